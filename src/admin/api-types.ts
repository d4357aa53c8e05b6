/** JSON shapes of the admin service (docs/http-api.md), shared by the service, the CLI and the TUI. */

import type { PublicRaftState } from "../meta/service.ts";

/** A node's own raft.state, as its /status reports it (one definition, in the meta service). */
export type NodeRaftState = PublicRaftState;

export interface MetaNodeView {
  id: number;
  httpAddr: string;
  raftAddr: string;
  version: string;
  reachable: boolean;
  /** "unknown": the node answers but does not report its Raft state (a Go/Enterprise meta node). */
  state: NodeRaftState | "unreachable" | "unknown";
  suffrage: "voter" | "nonvoter";
}

export interface DataNodeView {
  id: number;
  httpAddr: string;
  tcpAddr: string;
  /** Announced by the data node (POST /announce); "" when not heard recently. */
  version: string;
  /** Its announced status ("joined", …); "" when not heard recently. */
  status?: string;
  reachable: boolean;
}

export interface ShowResult {
  /** The meta node this admin service runs beside. */
  self: { httpAddr: string; raftAddr: string };
  leader: { raftAddr: string; httpAddr: string } | null;
  meta: MetaNodeView[];
  data: DataNodeView[];
}

export interface RemovalPlan {
  node: { id: number; httpAddr: string; raftAddr: string; reachable: boolean; isLeader: boolean };
  votersBefore: number;
  votersAfter: number;
  reachableVotersAfter: number;
  quorumAfter: number;
  forceRequired: boolean;
  /** The error remove-meta would return with these parameters; null when it would proceed. */
  refusal: string | null;
  warnings: string[];
}

export interface RemoveMetaResult {
  id: number;
  addr: string;
  cleanup: "done" | "skipped" | "failed";
  warnings: string[];
}

export interface NodeResult {
  id: number;
  addr: string;
  tcpAddr: string;
}
