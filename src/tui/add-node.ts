/**
 * Adding a meta node from the view. The admin service's add-meta has no dry run, so the plan shown
 * before `y` is built here from what the view can see: the typed node's own /status (is it up, is
 * it blank, its Raft address) and the cluster's voters. The admin service then checks again and
 * decides; its answer (or refusal) is the result shown.
 */

import type { NodeResult } from "../contract/cluster.ts";
import { quorumSize } from "../raft/membership.ts";
import { isHostPort } from "../util/address.ts";
import type { PeerAccess } from "../util/http-client.ts";
import { nodeName } from "../wording.ts";
import type { ClusterSnapshot } from "./model.ts";
import { fetchStatus } from "./node-status.ts";
import type { Action, AddPlan } from "./state.ts";

export interface AddApi {
  addMeta(httpAddr: string): Promise<NodeResult>;
}

type Dispatch = (action: Action) => void;

/** Why `text` cannot be a node's address (the admin service requires host:port), or null. */
export function addressProblem(text: string): string | null {
  return isHostPort(text) ? null : `"${text}" is not host:port (the node's HTTP address, e.g. node4:8091)`;
}

export async function planAdd(
  httpAddr: string,
  cluster: ClusterSnapshot | null,
  access: PeerAccess,
  timeoutMs: number,
): Promise<AddPlan> {
  const name = nodeName("meta", 0, httpAddr);
  const votersBefore = cluster?.votersTotal ?? 0;
  const base = {
    httpAddr,
    votersBefore,
    votersAfter: votersBefore + 1,
    quorumAfter: quorumSize(votersBefore + 1),
  };
  const problem = addressProblem(httpAddr);
  if (problem)
    return { ...base, reachable: false, raftAddr: null, state: null, refusal: problem, warnings: [] };
  const answer = await fetchStatus(httpAddr, access, timeoutMs);
  if (!answer.status) {
    return {
      ...base,
      reachable: false,
      raftAddr: null,
      state: null,
      refusal: `${name} could not be reached (${answer.error}); start it and try again`,
      warnings: [],
    };
  }
  const { status } = answer;
  const member = cluster?.rows.find((r) => r.role === "meta" && r.httpAddr === httpAddr);
  const warnings: string[] = [];
  let refusal: string | null = null;
  if (member) refusal = `${nodeName("meta", member.id, httpAddr)} is already a member of this cluster`;
  // Not blank is a refusal, not a warning: the admin service adds only blank nodes, so `y`
  // could only fail.
  else if (status.raft.state !== "unbootstrapped")
    refusal = `${name} is not blank (its Raft state is ${status.raft.state}): only a blank meta node can be added; wipe its meta dir first`;
  if (cluster && !cluster.membershipKnown)
    warnings.push("the cluster's membership is unknown (no leader): the admin service cannot add it now");
  return { ...base, reachable: true, raftAddr: status.raftAddr, state: status.raft.state, refusal, warnings };
}

/** Makes the plan for the typed address and hands it to the reducer. */
export async function loadAddPlan(
  httpAddr: string,
  cluster: ClusterSnapshot | null,
  access: PeerAccess,
  timeoutMs: number,
  dispatch: Dispatch,
): Promise<void> {
  const plan = await planAdd(httpAddr, cluster, access, timeoutMs);
  dispatch({ type: "addPlanned", httpAddr, plan, at: Date.now() });
}

export async function carryOutAdd(api: AddApi, httpAddr: string, dispatch: Dispatch): Promise<void> {
  dispatch({ type: "addStarted", at: Date.now() });
  try {
    const result = await api.addMeta(httpAddr);
    dispatch({ type: "addDone", result, at: Date.now() });
  } catch (err) {
    dispatch({ type: "addFailed", httpAddr, error: (err as Error).message, at: Date.now() });
  }
}
