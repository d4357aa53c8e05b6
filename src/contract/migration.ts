/** JSON shapes of `influxd-ctl migrate-meta` (its -json output): the plan, each data node's
 *  state and the outcome. See docs/operations.md, "Migrating from a Go or Enterprise meta tier". */

/** Where one data node stands in the migration. */
export type DataNodeMigrationState =
  /** Still pointed at the Go tier only. */
  | "on-go"
  /** Re-pointed: its meta servers are ours first, then one Go meta node (until the handover). */
  | "switched"
  /** Its meta servers are ours only (it has read our metadata and saved client.json). */
  | "on-ours"
  /** Its TCP port did not answer. */
  | "unreachable"
  /** Left out by -force because it was unreachable when planned. */
  | "left-behind"
  /** The JoinCluster RPC failed: `error` says why. */
  | "failed";

export interface MigrationDataNode {
  id: number;
  tcpAddr: string;
  httpAddr: string;
  state: DataNodeMigrationState;
  /** The meta servers it reports (GET /status on its TCP port), when it answered. */
  metaServers: string[];
  error?: string;
}

export interface MigrationImport {
  databases: {
    name: string;
    retentionPolicies: { name: string; shardGroups: number }[];
    continuousQueries: string[];
  }[];
  users: { name: string; admin: boolean; hash: string }[];
  dataNodes: { id: number; tcpAddr: string; httpAddr: string }[];
  /** Counts, for the summary. */
  shardGroups: number;
  shards: number;
}

export interface MigrationPlan {
  source: {
    /** The -from address and the Go leader's HTTP address it led to. */
    addr: string;
    leaderHttp: string;
    version: string;
    index: number;
    clusterId: string;
    metaNodes: string[];
  };
  ours: {
    metaNodes: string[];
    index: number;
    /** "blank": no user data; "imported": holds exactly the source's metadata already, or took
     *  it and handed over (a second run); "differs": holds other user data (refused). */
    state: "blank" | "imported" | "differs";
    /** Once ours took this source's metadata: how ours and the source differ, each a line
     *  (what ours holds that the source does not, and the reverse); what -rollback would lose. */
    changes: string[];
    /** The blank meta node a one-node cluster is formed on before the import (its `metaNodes`
     *  are then what it will be); null when ours is formed already. */
    formsOn: string | null;
  };
  import: MigrationImport;
  dataNodes: MigrationDataNode[];
  /** Set when the migration must not go ahead; the one-line reason. */
  refusal: string | null;
}

export interface MigrationResult {
  /** "done": every data node switched; "nothing-to-do": a second run; "dry-run"; "rolled-back";
   *  "failed": see `error` and `next`. */
  outcome: "done" | "nothing-to-do" | "dry-run" | "rolled-back" | "failed";
  plan: MigrationPlan;
  /** Our metadata index right after the import (above the source's). */
  importedIndex: number | null;
  /** Changes committed on the source during the switch that were carried over, each a line. */
  carriedOver: string[];
  /** With -rollback: `plan.ours.changes`, lost by going back (-force), each a line. */
  changesOnOurs: string[];
  error: string | null;
  /** The one command that continues (or rolls back) after a failure. */
  next: string | null;
  /** The Go meta nodes to stop once the migration is done. */
  stop: string[];
}
