/**
 * The safety rules of removing a meta node (docs/operations.md, "Removing a meta node"), as one
 * pure function over what is known about the cluster. The admin service applies it to what it
 * gathered for its plan; influxd-ctl and the TUI apply it client-side when they talk to a meta
 * API directly (-api meta), so both modes refuse and warn with the same words.
 */

import type { RemovalPlan } from "../admin/api-types.ts";
import { quorumSize } from "../raft/membership.ts";

export interface RemovalFacts {
  /** The meta node's record in the metadata. */
  node: { id: number; httpAddr: string; raftAddr: string };
  /** The address as the operator named it, for the messages. */
  addr: string;
  /** Whether the node answered just now. */
  reachable: boolean;
  /** Raft addresses of the voters in the leader's configuration. */
  voters: readonly string[];
  /** Whether the voter at this Raft address answered just now. */
  voterReachable: (raftAddr: string) => boolean;
  leaderRaftAddr: string;
  force: boolean;
  /** What happens when the node leads, if not that leadership moves first (the admin service). */
  leaderWarning?: string;
}

export function noSuchMetaNode(addr: string): string {
  return `meta node ${addr} does not exist in cluster`;
}

export function noLeaderToRemove(addr: string): string {
  return `the cluster has no leader; meta node ${addr} cannot be removed until a quorum of meta nodes is back`;
}

/**
 * Checks in order: the last voter is never removed; an unreachable node needs force; so does a
 * removal after which fewer voters answer than the new quorum. Removing the leader is allowed
 * with a warning (leadership moves first, so it goes last).
 */
export function planRemoval(f: RemovalFacts): RemovalPlan {
  const { node, addr, reachable, voters, force } = f;
  const isVoter = voters.includes(node.raftAddr);
  const votersAfter = voters.length - (isVoter ? 1 : 0);
  const reachableVotersAfter = voters.filter((v) => v !== node.raftAddr && f.voterReachable(v)).length;
  const quorumAfter = quorumSize(votersAfter);
  const isLeader = f.leaderRaftAddr === node.raftAddr;
  const warnings: string[] = [];
  let refusal: string | null = null;
  let forceRequired = false;
  if (isVoter && votersAfter === 0) {
    refusal = `meta node ${addr} is the last voter; removing it would leave no cluster`;
  } else if (!reachable && !force) {
    refusal = `meta node ${addr} could not be reached; use -force to remove an unreachable node`;
    forceRequired = true;
  } else if (reachableVotersAfter < quorumAfter && !force) {
    refusal =
      `removing meta node ${addr} would leave ${reachableVotersAfter} reachable voter(s), fewer than the quorum of ` +
      `${quorumAfter} for ${votersAfter} voters; bring the other meta nodes back first, or use -force`;
    forceRequired = true;
  }
  if (isLeader)
    warnings.push(
      f.leaderWarning ?? `meta node ${addr} is the leader: leadership moves to another voter first`,
    );
  if (!reachable) {
    warnings.push(
      `meta node ${addr} is unreachable: its meta dir will not be wiped; do not restart it with its old data`,
    );
  }
  if (reachableVotersAfter < quorumAfter && force) {
    warnings.push(
      `after removal only ${reachableVotersAfter} of ${votersAfter} voters are reachable: the cluster has no quorum until more return`,
    );
  }
  return {
    node: { id: node.id, httpAddr: node.httpAddr, raftAddr: node.raftAddr, reachable, isLeader },
    votersBefore: voters.length,
    votersAfter,
    reachableVotersAfter,
    quorumAfter,
    forceRequired,
    refusal,
    warnings,
  };
}
