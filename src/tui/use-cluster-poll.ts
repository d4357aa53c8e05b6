/** Runs a ClusterPoller for the app's lifetime and feeds its snapshots to the reducer. */

import { useEffect, useRef } from "react";
import type { Logger } from "pino";
import type { ShowResult } from "../admin/api-types.ts";
import { ClusterPoller } from "./poller.ts";
import type { Action } from "./state.ts";

export interface PollOptions {
  admin: { show(): Promise<ShowResult> };
  intervalMs: number;
  timeoutMs: number;
  dispatch: (action: Action) => void;
  logger: Logger;
}

export function useClusterPoll({ admin, intervalMs, timeoutMs, dispatch, logger }: PollOptions): {
  refresh(): void;
} {
  const poller = useRef<ClusterPoller | null>(null);
  useEffect(() => {
    const p = new ClusterPoller({
      admin,
      timeoutMs,
      onSnapshot: (snapshot) => dispatch({ type: "snapshot", snapshot }),
      onAdminError: (error) =>
        error ? logger.warn({ error }, "admin service unreachable") : logger.info("admin service reachable"),
    });
    poller.current = p;
    p.start(intervalMs);
    return () => {
      poller.current = null;
      void p.stop();
    };
  }, [admin, intervalMs, timeoutMs, dispatch, logger]);
  return { refresh: () => poller.current?.refresh() };
}
