/**
 * The data tier's side effects: the replica-health poll, the remove-data and rebalance plans, and
 * carrying them out (the moves through src/client/shard-moves.ts, the loop influxd-ctl rebalance
 * runs too). Every request has a deadline; results go to the reducer as actions.
 */

import { runMoves } from "../client/shard-moves.ts";
import type { RebalancePlan } from "../contract/data-tier.ts";
import { formatBytes } from "../wording.ts";
import type { DataTierOperations } from "./admin-pool.ts";
import { removeDataPlan, type DataHealth, type DataOp } from "./data-tier.ts";
import type { Action } from "./state.ts";

/** What the view asks of the data tier (an admin service or a meta API, src/client). */
export type DataTierApi = DataTierOperations;

/** The data-tier operations of the view's service, if it has them (a bare admin client has not). */
export function dataTierOf(api: Partial<DataTierApi>): DataTierApi | undefined {
  return api.replicaHealth && api.rebalancePlan && api.copyShard && api.removeShard && api.removeData
    ? (api as DataTierApi)
    : undefined;
}

type Dispatch = (action: Action) => void;

/** Said when the service behind -bind offers no data-tier operations to this view. */
export const NO_DATA_TIER = "this service offers no data-tier operations to the view";

/** `promise`, or a rejection once `ms` passed: a hung service degrades the view, never freezes it. */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms}ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** The replica-health request's deadline: ListShards on every data node takes longer than a /status. */
export function healthDeadline(timeoutMs: number): number {
  return Math.max(5000, timeoutMs * 5);
}

/** The replica health (every shard listed: the view counts per node and lists shards), or why not. */
export async function fetchHealth(api: DataTierApi | undefined, deadlineMs: number): Promise<DataHealth> {
  if (!api) return { report: null, error: NO_DATA_TIER, at: Date.now() };
  try {
    const report = await withDeadline(api.replicaHealth("all"), deadlineMs, "replica health");
    return { report, error: null, at: Date.now() };
  } catch (err) {
    return { report: null, error: (err as Error).message, at: Date.now() };
  }
}

/** One poll for the live view: a failure keeps the last report, marked stale (state.ts). */
export async function pollHealth(
  api: DataTierApi | undefined,
  deadlineMs: number,
  dispatch: Dispatch,
): Promise<void> {
  const health = await fetchHealth(api, deadlineMs);
  dispatch(
    health.report || !api
      ? { type: "dataHealth", health }
      : { type: "dataHealthFailed", error: health.error ?? "", at: health.at },
  );
}

/** The remove-data plan, from a fresh health report (the poll's may be seconds old). */
export async function loadRemoveData(
  api: DataTierApi | undefined,
  tcpAddr: string,
  deadlineMs: number,
  dispatch: Dispatch,
): Promise<void> {
  try {
    if (!api) throw new Error(NO_DATA_TIER);
    const report = await withDeadline(api.replicaHealth("all"), deadlineMs, "replica health");
    const plan = removeDataPlan(report, tcpAddr);
    if (!plan) throw new Error(`data node ${tcpAddr} is not in the replica health report`);
    dispatch({ type: "dataRemovePlanned", tcpAddr, plan, at: Date.now() });
  } catch (err) {
    const error = `could not check the removal of ${tcpAddr}: ${(err as Error).message}`;
    dispatch({ type: "dataPlanFailed", error, at: Date.now() });
  }
}

export async function loadRebalance(
  api: DataTierApi | undefined,
  drain: string | undefined,
  deadlineMs: number,
  dispatch: Dispatch,
): Promise<void> {
  try {
    if (!api) throw new Error(NO_DATA_TIER);
    const plan = await withDeadline(api.rebalancePlan(drain), deadlineMs, "rebalance plan");
    dispatch({ type: "rebalancePlanned", plan, at: Date.now() });
  } catch (err) {
    const error = `could not plan the ${drain ? `drain of ${drain}` : "rebalance"}: ${(err as Error).message}`;
    dispatch({ type: "dataPlanFailed", error, at: Date.now() });
  }
}

/** Carries out the confirmed operation; `stopRequested` ends a rebalance after its current move. */
export async function carryOutData(
  api: DataTierApi | undefined,
  op: DataOp,
  stopRequested: () => boolean,
  dispatch: Dispatch,
): Promise<void> {
  dispatch({ type: "dataStarted", at: Date.now() });
  const done = (text: string, tone: "ok" | "warn" | "error") =>
    dispatch({ type: "dataDone", text, tone, at: Date.now() });
  try {
    if (!api) throw new Error(NO_DATA_TIER);
    if (op.kind === "remove-data") {
      const node = await api.removeData(op.tcpAddr, op.force);
      done(
        `removed data node ${node.id} at ${node.tcpAddr}${op.force ? " (force)" : ""}`,
        op.force ? "warn" : "ok",
      );
      return;
    }
    if (!op.plan) return;
    const result = await runMoves(api, op.plan, {
      stopRequested,
      onProgress: (progress) => dispatch({ type: "dataProgress", progress }),
    });
    done(movesText(op.plan, result.done, result.bytes), result.stopped ? "warn" : "ok");
  } catch (err) {
    done((err as Error).message, "error");
  }
}

function movesText(plan: RebalancePlan, done: number, bytes: number): string {
  const moved = `moved ${done} shard${done === 1 ? "" : "s"} (${formatBytes(bytes)})`;
  return done < plan.moves.length
    ? `stopped after ${done} of ${plan.moves.length} moves (${formatBytes(bytes)}); b or D plans the rest again`
    : moved;
}
