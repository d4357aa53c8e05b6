/** JSON shapes of the admin service (docs/http-api.md), shared by the service, the CLI and the TUI. */

import type { PublicRaftState } from "../meta/service.ts";

/** A node's own raft.state, as its /status reports it (one definition, in the meta service). */
export type NodeRaftState = PublicRaftState;

export interface MetaNodeView {
  id: number;
  httpAddr: string;
  raftAddr: string;
  version: string;
  /** Its /status answered (HTTP up). */
  reachable: boolean;
  /** "unknown": the node answers but does not report its Raft state (a Go/Enterprise meta node). */
  state: NodeRaftState | "unreachable" | "unknown";
  /** Set when the node reports that its meta dir failed under it (it then serves no writes). */
  storageError?: string;
  /** From the Raft configuration (the leader's, else this node's); "none": a metadata record that
   *  is not in the Raft configuration. */
  suffrage: "voter" | "nonvoter" | "none";
  /** The leader's Raft view: answered and kept up within an election timeout; null without a
   *  leader. */
  raftActive: boolean | null;
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

/** How many voter failures the cluster survives, in numbers and in words ("3 voters, tolerates
 *  1 failure"). Optional everywhere it appears: added by the CLI and the view to the shapes the
 *  admin service returns. */
export interface FaultTolerance {
  voters: number;
  tolerates: number;
  text: string;
}

/**
 * The meta node behind a cluster API, as it describes itself (admin `GET /self`, or a meta API's
 * `/status`): what a command checks before it acts on the node. "blank": never a member (a
 * one-node cluster can be formed on it); "was-member": blank after a removal (only `add-meta
 * -new-cluster` forms one on it); "removed": removed but not wiped; "member".
 */
export interface NodeSelf {
  service: "admin" | "meta";
  /** An influx-cluster meta node; false: a Go or Enterprise one (its /status has no Raft state). */
  ours: boolean;
  httpAddr: string;
  raftAddr: string;
  state: "blank" | "was-member" | "removed" | "member";
}

export interface ShowResult {
  /** The meta node this admin service runs beside. */
  self: { httpAddr: string; raftAddr: string };
  leader: { raftAddr: string; httpAddr: string } | null;
  /** False when no leader answered: meta and data are then what this node last knew, with each
   *  node's own /status, and nothing can be concluded about membership from them. */
  membershipKnown: boolean;
  /** The Raft configuration (the leader's, else this node's): the peers `show` prints. */
  raftConfig: { index: number; servers: { raftAddr: string; suffrage: "voter" | "nonvoter" }[] };
  meta: MetaNodeView[];
  data: DataNodeView[];
  /** The Raft configuration's voters, and the failures they survive (added by influxd-ctl -json). */
  faultTolerance?: FaultTolerance;
}

/** A voter as a removal plan sees it: both its HTTP and its Raft side. */
export interface PlanVoter {
  httpAddr: string;
  raftAddr: string;
  httpUp: boolean;
  raftActive: boolean;
}

export interface RemovalPlan {
  node: {
    id: number;
    httpAddr: string;
    raftAddr: string;
    /** HTTP up (its /ping answered): needed to wipe it. */
    reachable: boolean;
    /** Active in the leader's Raft view. */
    raftActive: boolean;
    isLeader: boolean;
    suffrage: "voter" | "nonvoter" | "none";
  };
  /** Index of the Raft configuration the plan was checked against; remove-meta carries it to the
   *  leader, which refuses the change if the configuration has moved since (CONFIG_CHANGED). */
  configIndex: number;
  voters: PlanVoter[];
  votersBefore: number;
  votersAfter: number;
  /** Voters left after the removal that are active in the leader's Raft view. */
  reachableVotersAfter: number;
  quorumAfter: number;
  forceRequired: boolean;
  /** The error remove-meta would return with these parameters; null when it would proceed. */
  refusal: string | null;
  refusalCode: string | null;
  warnings: string[];
  /** The code of each warning, in the same order. */
  warningCodes: string[];
}

export interface RemoveMetaResult {
  id: number;
  addr: string;
  /** "done": its meta dir was wiped; "nothing": it was blank already, or not one of our meta
   *  nodes, so nothing was wiped (the warnings say which); "skipped": it was unreachable;
   *  "failed": it did not wipe (a warning says why). */
  cleanup: "done" | "nothing" | "skipped" | "failed";
  warnings: string[];
  warningCodes: string[];
}

export interface NodeResult {
  id: number;
  addr: string;
  tcpAddr: string;
  /** add-data of a data node that was registered already: it was told its meta servers again
   *  (JoinCluster with update) and its record was kept. */
  alreadyRegistered?: boolean;
}
