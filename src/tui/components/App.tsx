import { useApp, useStdout } from "ink";
import type { Logger } from "pino";
import { useCallback, useEffect, useRef, useState } from "react";
import type { ShowResult } from "../../contract/cluster.ts";
import { PLAIN_HTTP, type PeerAccess } from "../../util/http-client.ts";
import { carryOutAdd, loadAddPlan, type AddApi } from "../add-node.ts";
import { writeSessionBundle } from "../bundle-key.ts";
import { copyText, realCopyDeps } from "../clipboard.ts";
import {
  carryOutData,
  dataTierOf,
  healthDeadline,
  loadRebalance,
  loadRemoveData,
  type DataTierApi,
} from "../data-ops.ts";
import type { KeyHandlers } from "../keymap.ts";
import { fetchStatus } from "../node-status.ts";
import { carryOut, loadPlan, type RemovalApi } from "../removal.ts";
import { CONFIRM_GRACE_MS, initialState, reducer, STATUS_TTL_MS, type AppState } from "../state.ts";
import type { Profile } from "../settings.ts";
import type { Theme } from "../theme.ts";
import { useClusterPoll } from "../use-cluster-poll.ts";
import { useDataHealth } from "../use-data-health.ts";
import { useKeys } from "../use-keys.ts";
import { runCommand } from "../palette.ts";
import { useStore } from "../use-store.ts";
import { readSize, useTerminalSize, type TerminalSize } from "../use-terminal-size.ts";
import { Screen, type ScreenContext } from "./Screen.tsx";

export interface AppProps {
  /** With the data tier's operations (an AdminPool, a ClusterApi), the data tier view can act;
   *  without them it says the service offers none. */
  admin: RemovalApi & AddApi & { show(): Promise<ShowResult>; readonly bind?: string } & Partial<DataTierApi>;
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
  /** Environment for the clipboard decision (TERM, TMUX, STY); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** What a session that owns its cluster (the demo) adds: live notes, a question before
   *  quitting, restarting its stopped nodes. */
  session?: SessionHooks;
  /** `:profile NAME`: reconnect with that profile (interactive.tsx); absent in the demo. */
  switchProfile?: (name: string) => void;
  /** Where `b` writes incident bundles (default: the current directory), and the profile in use
   *  (scrubbed into the bundle). */
  bundle?: { dir?: string; profile?: Profile | null };
}

export interface SessionHooks {
  /** Lines for the help, as of now (the demo's running nodes and their PIDs). */
  notes(): string[];
  /** Asked before q or Ctrl-C quits, when quitting has a cost ("Stop the demo cluster and quit?"). */
  quitQuestion: string | null;
  /** Starts a stopped node of this session again (`running`: stops it first, for the
   *  rolling-restart guide); resolves to what to tell the operator. */
  restart?(httpAddr: string, opts?: { running: boolean }): Promise<{ text: string; ok: boolean }>;
}

/** Expires the status message STATUS_TTL_MS after it appeared (it stays in the events). */
function useStatusExpiry(state: AppState, dispatch: (a: { type: "statusExpire"; at: number }) => void): void {
  const at = state.status?.at;
  useEffect(() => {
    if (at === undefined) return;
    const timer = setTimeout(
      () => dispatch({ type: "statusExpire", at: Date.now() }),
      Math.max(0, at + STATUS_TTL_MS - Date.now()) + 10,
    );
    return () => clearTimeout(timer);
  }, [at, dispatch]);
}

/** Draws again once `y` is accepted after a plan appeared, so the key bar stops saying "wait". */
function useRedrawAfterGrace(planAt: number | null): void {
  const [, redraw] = useState(0);
  useEffect(() => {
    if (planAt === null) return;
    const timer = setTimeout(
      () => redraw((n) => n + 1),
      Math.max(0, planAt + CONFIRM_GRACE_MS - Date.now()) + 10,
    );
    return () => clearTimeout(timer);
  }, [planAt]);
}

export function App(props: AppProps) {
  const {
    admin,
    access = PLAIN_HTTP,
    intervalMs,
    timeoutMs,
    theme,
    readOnly,
    context,
    logger,
    interactive = true,
    notice,
    env = process.env,
    session,
    switchProfile,
    bundle,
  } = props;
  const { exit } = useApp();
  const { stdout } = useStdout();
  const [state, dispatch, current] = useStore(() => {
    const init = initialState({
      ...readSize(stdout),
      readOnly,
      quitQuestion: session?.quitQuestion ?? null,
      canRestart: session?.restart !== undefined,
    });
    return notice ? reducer(init, { type: "status", text: notice, tone: "info", at: Date.now() }) : init;
  });
  const onSize = useCallback((size: TerminalSize) => dispatch({ type: "resize", ...size }), [dispatch]);
  useTerminalSize(onSize);
  const poll = useClusterPoll({ admin, access, intervalMs, timeoutMs, dispatch, logger });
  const dataApi = dataTierOf(admin);
  const health = useDataHealth(dataApi, intervalMs, timeoutMs, dispatch);
  // Set by a stop key while moves run; the move loop reads it between moves.
  const stopMoves = useRef(false);
  useStatusExpiry(state, dispatch);
  useRedrawAfterGrace(state.removal?.planAt ?? state.adding?.planAt ?? null);

  // The detail pane's node: its full /status, again after every poll while the pane is open.
  const detailKey = state.mode === "detail" ? (state.detail?.key ?? null) : null;
  const polledAt = state.cluster?.polledAt;
  useEffect(() => {
    const row = current().cluster?.rows.find((r) => r.key === detailKey);
    if (!detailKey || !row || row.role !== "meta" || row.up === false) return;
    let live = true;
    void fetchStatus(row.httpAddr, access, timeoutMs).then((answer) => {
      if (live) dispatch({ type: "detailStatus", key: detailKey, ...answer });
    });
    return () => {
      live = false;
    };
  }, [detailKey, polledAt, access, timeoutMs, current, dispatch]);

  // A removal dialog asks for a new plan when a meta node went down or came back: the node removed
  // (the force dialog must not offer what the old reachability allowed) or any other voter (the
  // quorum that remains, and so whether force is needed, changed). Reachable is HTTP up and, when
  // the leader reports it, active in the leader's Raft view (a node answers HTTP before the
  // leader hears it). A node not heard either way yet changes nothing.
  const removal = state.removal;
  const reachable =
    removal && (state.mode === "confirm" || state.mode === "force-confirm")
      ? (state.cluster?.rows ?? [])
          .filter((r) => r.key.startsWith("meta:") && r.up != null)
          .map((r) => `${r.key}=${r.up && r.raftActive !== false ? "up" : "down"}`)
          .sort() // the table's order (a sort by latency) is no change
          .join(" ")
      : null;
  const plannedWith = useRef<{ target: string; reachable: string } | null>(null);
  useEffect(() => {
    const r = current().removal;
    if (!r?.plan || reachable === null) return;
    const seen = plannedWith.current;
    plannedWith.current = { target: r.target.httpAddr, reachable };
    if (seen?.target !== r.target.httpAddr || seen.reachable === reachable) return;
    logger.info({ node: r.target.httpAddr, reachable }, "reachability changed; planning the removal again");
    void loadPlan(admin, r.target.httpAddr, dispatch);
  }, [reachable, removal?.plan, admin, current, dispatch, logger]);

  const handlers: KeyHandlers = {
    quit: () => exit(),
    refresh: () => {
      dispatch({ type: "status", text: "refreshing…", tone: "info", at: Date.now(), transient: true });
      poll.refresh();
      health.refresh();
    },
    askRemove: (row) => {
      plannedWith.current = null;
      dispatch({ type: "removeAsked", row, at: Date.now() });
      if (current().removal?.target.httpAddr !== row.httpAddr) return; // refused before asking
      logger.info({ node: row.httpAddr, up: row.up }, "removal asked; fetching plan");
      void loadPlan(admin, row.httpAddr, dispatch);
    },
    confirmRemove: () => {
      const r = current().removal;
      if (!r) return;
      logger.warn({ node: r.target.httpAddr, force: r.force }, "removal confirmed");
      void carryOut(admin, r, dispatch).then(() => {
        logger.info({ node: r.target.httpAddr, result: current().status?.text }, "removal finished");
        poll.refresh();
      });
    },
    openDetail: () => dispatch({ type: "detailOpen" }),
    copy: (row) => {
      const deps = realCopyDeps((s) => stdout.write(s));
      const result = copyText(row.httpAddr, env, stdout.isTTY === true, deps);
      logger.info({ node: row.httpAddr, ok: result.ok }, result.message);
      dispatch({ type: "status", text: result.message, tone: result.ok ? "ok" : "warn", at: Date.now() });
    },
    planAdd: (httpAddr) => {
      logger.info({ node: httpAddr }, "add asked; checking the node");
      void loadAddPlan(httpAddr, current().cluster, access, timeoutMs, dispatch);
    },
    restart: (row, opts) => {
      if (!session?.restart) return;
      logger.warn({ node: row.httpAddr }, "restart asked");
      dispatch({ type: "status", text: `restarting ${row.httpAddr}…`, tone: "info", at: Date.now() });
      void session.restart(row.httpAddr, opts).then(({ text, ok }) => {
        dispatch({ type: "status", text, tone: ok ? "ok" : "error", at: Date.now() });
        poll.refresh();
      });
    },
    confirmAdd: () => {
      const typed = current().adding?.typed;
      if (!typed) return;
      logger.warn({ node: typed }, "add confirmed");
      void carryOutAdd(admin, typed, dispatch).then(() => {
        logger.info({ node: typed, result: current().status?.text }, "add finished");
        poll.refresh();
      });
    },
  };
  handlers.askRemoveData = (tcpAddr) => {
    dispatch({ type: "dataRemoveAsked", tcpAddr });
    logger.info({ node: tcpAddr }, "data node removal asked; fetching plan");
    void loadRemoveData(dataApi, tcpAddr, healthDeadline(timeoutMs), dispatch);
  };
  handlers.askRebalance = (drain) => {
    dispatch({ type: "rebalanceAsked", drain });
    logger.info({ drain }, "rebalance asked; fetching plan");
    void loadRebalance(dataApi, drain, healthDeadline(timeoutMs), dispatch);
  };
  handlers.confirmData = () => {
    const op = current().dataOp;
    if (!op) return;
    stopMoves.current = false;
    logger.warn(
      { op: op.kind, node: op.kind === "remove-data" ? op.tcpAddr : op.drain },
      "data-tier change confirmed",
    );
    void carryOutData(dataApi, op, () => stopMoves.current, dispatch).then(() => {
      logger.info({ result: current().status?.text }, "data-tier change finished");
      poll.refresh();
      health.refresh();
    });
  };
  handlers.stopMoves = () => {
    stopMoves.current = true;
    logger.warn("moves: stop asked");
  };
  handlers.bundle = (path) =>
    void writeSessionBundle(current(), dispatch, {
      path,
      dir: bundle?.dir,
      admin,
      access,
      timeoutMs,
      context,
      profile: bundle?.profile,
      logger,
    });
  handlers.runCommand = (line) =>
    runCommand(line, { state: current(), dispatch, on: handlers, text: "", now: Date.now(), switchProfile });
  useKeys(current, dispatch, handlers, interactive);

  // The demo's notes are read at each draw: PIDs change when nodes are killed and restarted.
  const shown = session ? { ...context, notes: session.notes() } : context;
  return <Screen state={state} theme={theme} context={shown} />;
}
