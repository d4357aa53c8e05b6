/** What the TUI knows about the cluster: one row per node, merged from the admin service's /show and each node's own /ping and /status. */

import type { NodeRaftState } from "../admin/api-types.ts";
export type Role = "meta" | "data";

export interface NodeRow {
  /** Stable identity across polls: role and HTTP address. */
  key: string;
  role: Role;
  id: number;
  httpAddr: string;
  /** Raft address of a meta node, TCP address of a data node. */
  raftAddr: string;
  suffrage: "voter" | "nonvoter" | null;
  /** null until the first probe of this node finished. */
  up: boolean | null;
  pingMs: number | null;
  /** Why the node is down (e.g. "connection refused"). */
  error: string | null;
  state: NodeRaftState | null;
  term: number | null;
  commitIndex: number | null;
  appliedIndex: number | null;
  lastContactMs: number | null;
  version: string;
  /** A data node's announced status ("joined", …), from the admin service's /show. */
  announcedStatus?: string;
}

/** One complete picture of the cluster, produced by the poller after every poll. */
export interface ClusterSnapshot {
  rows: NodeRow[];
  /** HTTP address of the leader, null without one. */
  leaderHttp: string | null;
  votersUp: number;
  votersTotal: number;
  term: number | null;
  /** Some meta nodes do not report term, indexes or Raft state (Go/Enterprise): shown as "-". */
  raftUnreported?: boolean;
  /** When the admin service could not be asked for the node list: why (the last known list stays). */
  adminError: string | null;
  /** The admin service answered with an error (e.g. refused the credentials) rather than not answering. */
  adminRefused?: boolean;
  polledAt: number;
}

/** Majority of `voters`. */
export function quorumOf(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

export type QuorumHealth = "ok" | "degraded" | "at-risk" | "lost";

/**
 * "degraded": some voter is down but one more failure is survivable; "at-risk": one more failure
 * loses quorum; "lost": no quorum now.
 */
export function quorumHealth(up: number, total: number): QuorumHealth {
  if (total === 0) return "lost";
  const quorum = quorumOf(total);
  if (up < quorum) return "lost";
  if (up === total && total > 1) return "ok";
  return up - 1 < quorum ? "at-risk" : "degraded";
}
