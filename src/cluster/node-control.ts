/**
 * The port through which operations reach this node's own lifecycle; the daemon implements it
 * (src/daemon/node-lifecycle.ts), the admin service and the meta routes use it.
 */

export interface LocalNodeControl {
  /** Whether this node belonged to a cluster before (node.json has a meta node id). */
  wasMember(): boolean;
  /** Admin services of the members of the cluster this node belongs or belonged to, as they
   *  answer now (for hints that name -bind). */
  clusterAdmins(): Promise<string[]>;
  /** Asks the members now: true when the leader no longer lists this node (and marks it). */
  confirmRemoved(): Promise<boolean>;
  /** Deletes the meta dir except node.json and reopens blank; resolves with the dir. */
  wipe(): Promise<string>;
}
