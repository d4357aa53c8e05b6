/** What the TUI knows about the cluster: one row per node, merged from the admin service's /show and each node's own /ping and /status. */

import type { NodeRaftState } from "../contract/cluster.ts";
import type { StatusJson } from "../meta/service.ts";
import { quorumSize } from "../raft/membership.ts";

/** JSON of one of our meta nodes' GET /status (docs/http-api.md): the meta service's own type. */
export type MetaStatus = StatusJson;

export type Role = "meta" | "data";

export interface NodeRow {
  /** Stable identity across polls: role and HTTP address. */
  key: string;
  role: Role;
  id: number;
  httpAddr: string;
  /** Raft address of a meta node, TCP address of a data node. */
  raftAddr: string;
  /** From the admin service: "none" = a metadata record not in the Raft configuration; null for data nodes. */
  suffrage: "voter" | "nonvoter" | "none" | null;
  /** The leader's Raft view of this meta node (recent contact); null without a leader or for data nodes. */
  raftActive: boolean | null;
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
  /** A meta node's meta dir failed under it (e.g. ENOSPC): why; Raft is stopped on it. */
  storageError?: string;
  /** Index of the Raft configuration the meta node knows (absent when not reported). */
  configIndex?: number;
  /** When the meta node's process started, from its /status (absent when not reported): a new
   *  value is a restart, even one too quick for a poll to see the node DOWN. */
  startedAt?: string;
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
  /** False when the admin service had no leader to ask: the rows are what it last knew, not the
   *  membership, and nodes missing from them are not removals. */
  membershipKnown: boolean;
  /** The admin service that answered (it switches to another member's when this one fails). */
  adminBind: string | null;
  /** HTTP address of the meta node that admin service runs beside. */
  adminSelf: string | null;
  /** When the admin service could not be asked for the node list: why (the last known list stays). */
  adminError: string | null;
  /** The admin service answered with an error (e.g. refused the credentials) rather than not answering. */
  adminRefused?: boolean;
  polledAt: number;
}

export type QuorumHealth = "ok" | "degraded" | "at-risk" | "lost";

/**
 * "ok": every voter is up (a healthy single voter too: it tolerates 0 failures by design, which
 * the header says in words, not as a risk); "degraded": some voter is down but one more failure
 * is survivable; "at-risk": a voter is down and one more failure loses quorum; "lost": no quorum.
 */
export function quorumHealth(up: number, total: number): QuorumHealth {
  if (total === 0) return "lost";
  const quorum = quorumSize(total);
  if (up < quorum) return "lost";
  if (up === total) return "ok";
  return up - 1 < quorum ? "at-risk" : "degraded";
}

/** The verdict of one snapshot, for scripts (exit code) and people (the header's words). */
export interface Verdict {
  health: "healthy" | "degraded" | "no-quorum" | "no-leader" | "unknown";
  /** exit-codes.ts: 0 healthy, 1 degraded (a node DOWN), 2 no quorum or no leader, 3 no picture. */
  exitCode: 0 | 1 | 2 | 3;
  /** Why it is not healthy, one short phrase per fact. */
  reasons: string[];
}

export function verdict(snapshot: ClusterSnapshot): Verdict {
  if (snapshot.rows.length === 0 && snapshot.adminError)
    return { health: "unknown", exitCode: 3, reasons: [`admin service: ${snapshot.adminError}`] };
  const down = snapshot.rows.filter((r) => r.up === false).map((r) => `${r.role} ${r.httpAddr} DOWN`);
  if (quorumHealth(snapshot.votersUp, snapshot.votersTotal) === "lost")
    return { health: "no-quorum", exitCode: 2, reasons: ["no quorum", ...down] };
  if (snapshot.leaderHttp === null || !snapshot.membershipKnown)
    return { health: "no-leader", exitCode: 2, reasons: ["no leader", ...down] };
  if (down.length) return { health: "degraded", exitCode: 1, reasons: down };
  return { health: "healthy", exitCode: 0, reasons: [] };
}
