/** Runs a ClusterPoller for the app's lifetime and feeds its snapshots to the reducer. */

import { useEffect, useRef } from "react";
import type { Logger } from "pino";
import type { ShowResult } from "../contract/cluster.ts";
import type { PeerAccess } from "../util/http-client.ts";
import { ClusterPoller } from "./poller.ts";
import type { Action } from "./state.ts";

export interface PollOptions {
  admin: { show(): Promise<ShowResult> };
  /** How the nodes are polled (scheme, TLS trust, credentials). */
  access?: PeerAccess;
  intervalMs: number;
  timeoutMs: number;
  dispatch: (action: Action) => void;
  logger: Logger;
}

export function useClusterPoll({ admin, access, intervalMs, timeoutMs, dispatch, logger }: PollOptions): {
  refresh(): void;
} {
  const poller = useRef<ClusterPoller | null>(null);
  useEffect(() => {
    const p = new ClusterPoller({
      admin,
      access,
      timeoutMs,
      onSnapshot: (snapshot) => dispatch({ type: "snapshot", snapshot }),
      onAdminError: (error) =>
        error ? logger.warn({ error }, "admin service request failed") : logger.info("admin service answers"),
    });
    poller.current = p;
    p.start(intervalMs);
    return () => {
      poller.current = null;
      void p.stop();
    };
  }, [admin, access, intervalMs, timeoutMs, dispatch, logger]);
  return { refresh: () => poller.current?.refresh() };
}
