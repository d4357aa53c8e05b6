import { useApp, useStdout } from "ink";
import type { Logger } from "pino";
import { useCallback } from "react";
import type { ShowResult } from "../../admin/api-types.ts";
import type { PeerAccess } from "../../util/http-client.ts";
import type { NodeRow } from "../model.ts";
import { carryOut, loadPlan, removalBlocked, type RemovalApi } from "../removal.ts";
import { initialState, reducer } from "../state.ts";
import type { Theme } from "../theme.ts";
import { useClusterPoll } from "../use-cluster-poll.ts";
import { useKeys } from "../use-keys.ts";
import { useStore } from "../use-store.ts";
import { readSize, useTerminalSize, type TerminalSize } from "../use-terminal-size.ts";
import { Screen, type ScreenContext } from "./Screen.tsx";

export interface AppProps {
  admin: RemovalApi & { show(): Promise<ShowResult> };
  /** How the poller reaches the nodes: the same scheme, CA and credentials as `admin` (default plain HTTP). */
  access?: PeerAccess;
  intervalMs: number;
  /** Deadline of each poll request. */
  timeoutMs: number;
  theme: Theme;
  readOnly: string | null;
  context: ScreenContext;
  logger: Logger;
  /** Whether keys are read (false when stdin cannot be put in raw mode). */
  interactive?: boolean;
  /** First text of the status line (the demo says how to make a node fail). */
  notice?: string;
}

export function App(props: AppProps) {
  const {
    admin,
    access,
    intervalMs,
    timeoutMs,
    theme,
    readOnly,
    context,
    logger,
    interactive = true,
    notice,
  } = props;
  const { exit } = useApp();
  const { stdout } = useStdout();
  const [state, dispatch, current] = useStore(() => {
    const init = initialState({ ...readSize(stdout), readOnly });
    return notice ? reducer(init, { type: "status", text: notice, tone: "info", at: Date.now() }) : init;
  });
  const onSize = useCallback((size: TerminalSize) => dispatch({ type: "resize", ...size }), [dispatch]);
  useTerminalSize(onSize);
  const poll = useClusterPoll({ admin, access, intervalMs, timeoutMs, dispatch, logger });

  useKeys(
    current,
    dispatch,
    {
      quit: () => exit(),
      refresh: () => {
        dispatch({ type: "status", text: "refreshing…", tone: "info", at: Date.now() });
        poll.refresh();
      },
      askRemove: (row: NodeRow | null) => {
        const blocked = removalBlocked(current(), row);
        if (blocked || !row) {
          dispatch({ type: "status", text: blocked ?? "no node selected", tone: "error", at: Date.now() });
          if (blocked) logger.info({ node: row?.httpAddr, blocked }, "removal refused before asking");
          return;
        }
        dispatch({ type: "removeAsked", row, at: Date.now() });
        logger.info({ node: row.httpAddr, up: row.up }, "removal asked; fetching plan");
        void loadPlan(admin, row.httpAddr, dispatch);
      },
      confirmRemove: () => {
        const removal = current().removal;
        if (!removal) return;
        logger.warn({ node: removal.target.httpAddr, force: removal.force }, "removal confirmed");
        void carryOut(admin, removal, dispatch).then(() => {
          const s = current().status;
          logger.info({ node: removal.target.httpAddr, result: s?.text }, "removal finished");
          poll.refresh();
        });
      },
    },
    interactive,
  );

  return <Screen state={state} theme={theme} context={context} />;
}
