/**
 * Polls the data tier's replica health for the app's lifetime. It is polled less often than the
 * nodes' /status: one report asks every data node for its shard list (ListShards) and walks every
 * shard of the metadata (100,000 shard groups in the issue-15 state), so it runs every
 * HEALTH_EVERY node polls, with a deadline of its own; a slow or failing answer only marks the
 * data tier stale in the view. One poll at a time: a slow one is not stacked.
 */

import { useEffect, useRef } from "react";
import { healthDeadline, pollHealth, type DataTierApi } from "./data-ops.ts";
import type { Action } from "./state.ts";

/** Node polls per replica-health poll. */
export const HEALTH_EVERY = 5;

export function useDataHealth(
  api: DataTierApi | undefined,
  intervalMs: number,
  timeoutMs: number,
  dispatch: (action: Action) => void,
): { refresh(): void } {
  const refreshRef = useRef<() => void>(() => undefined);
  useEffect(() => {
    let stopped = false;
    let running = false;
    let again = false;
    let timer: NodeJS.Timeout | undefined;
    const run = async () => {
      if (stopped) return;
      if (running) {
        again = true;
        return;
      }
      running = true;
      clearTimeout(timer);
      await pollHealth(api, healthDeadline(timeoutMs), (a) => {
        if (!stopped) dispatch(a);
      });
      running = false;
      if (stopped) return;
      if (again) {
        again = false;
        void run();
      } else timer = setTimeout(() => void run(), intervalMs * HEALTH_EVERY);
    };
    refreshRef.current = () => void run();
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [api, intervalMs, timeoutMs, dispatch]);
  return { refresh: () => refreshRef.current() };
}
