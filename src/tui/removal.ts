/**
 * The removal flow's side effects: ask what a removal would do (the admin service's plan, or the
 * same plan computed by the direct meta API client) before any confirmation, then carry it out.
 * Results go to the reducer as actions.
 */

import type { RemovalPlan, RemoveMetaResult } from "../contract/cluster.ts";
import type { Action, Removal } from "./state.ts";

export interface RemovalApi {
  planRemoveMeta(httpAddr: string, force: boolean): Promise<RemovalPlan>;
  removeMeta(httpAddr: string, opts: { force: boolean }): Promise<RemoveMetaResult>;
}

type Dispatch = (action: Action) => void;

/**
 * The plan's words are the admin service's, written for influxd-ctl ("use -force"); the view has
 * no such flag: its force dialog is the force, so the flag advice is dropped here.
 */
export function cliFree(text: string): string {
  return text
    .replace(/[;,] (?:or )?use -force\b[^;.]*/g, "")
    .replace(/ \(influxd-ctl remove-meta -force\)/g, "")
    .replace(/; or remove it anyway with -force, losing them/g, "");
}

/**
 * Fetches the plan. When the plain removal would need force (the node is unreachable, or quorum
 * after removal depends on it), fetches the forced plan too, so the force dialog can say both why
 * force is needed and whether even force would be refused.
 */
export async function loadPlan(api: RemovalApi, httpAddr: string, dispatch: Dispatch): Promise<void> {
  try {
    const plan = await api.planRemoveMeta(httpAddr, false);
    if (!plan.forceRequired) {
      dispatch({ type: "planLoaded", httpAddr, plan, force: false, forceReason: null, at: Date.now() });
      return;
    }
    const forced = await api.planRemoveMeta(httpAddr, true);
    dispatch({
      type: "planLoaded",
      httpAddr,
      plan: forced,
      force: true,
      forceReason: plan.refusal,
      at: Date.now(),
    });
  } catch (err) {
    dispatch({ type: "planFailed", httpAddr, error: (err as Error).message, at: Date.now() });
  }
}

export async function carryOut(api: RemovalApi, removal: Removal, dispatch: Dispatch): Promise<void> {
  const httpAddr = removal.target.httpAddr;
  dispatch({ type: "removeStarted", at: Date.now() });
  try {
    const result = await api.removeMeta(httpAddr, { force: removal.force });
    dispatch({ type: "removeDone", httpAddr, result, at: Date.now() });
  } catch (err) {
    dispatch({ type: "removeFailed", httpAddr, error: (err as Error).message, at: Date.now() });
  }
}
