/**
 * The TUI's whole state and the one reducer that changes it. Every change has a named action, so
 * key handling, polling and the add and removal flows stay testable without a terminal.
 */

import type { RemovalPlan, RemoveMetaResult, NodeResult } from "../contract/cluster.ts";
import { addedText, nodeName, oneLine, removedText } from "../wording.ts";
import type { MoveProgress } from "../client/shard-moves.ts";
import type { RebalancePlan } from "../contract/data-tier.ts";
import {
  selectedShardLines,
  shardListLines,
  type DataHealth,
  type DataOp,
  type RemoveDataPlan,
} from "./data-tier.ts";
import { diffSnapshots, type ClusterEvent, type Tone } from "./events.ts";
import type { ClusterSnapshot, MetaStatus, NodeRow } from "./model.ts";
import { advanceGuide, startGuide, startRefusal, type RollingRestart } from "./rolling-restart.ts";
import { scrollWindow } from "./scroll.ts";
import { nextSort, sortRows, type SortKey } from "./table-format.ts";
import {
  emptyTimeline,
  followSample,
  navigate,
  NEWEST,
  recordSnapshot,
  type Timeline,
  type TimelineNav,
  type TimelineView,
} from "./timeline.ts";

export type Mode =
  | "list"
  | "filter"
  | "help"
  | "detail"
  | "events"
  | "confirm"
  | "force-confirm"
  | "removing"
  | "add-input"
  | "add-confirm"
  | "adding"
  | "quit-confirm"
  | "palette"
  | "rolling"
  // The data tier (Tab): its nodes, one node's shards, a remove-data or rebalance plan, the typed
  // force confirmation of remove-data, and the removal or moves under way.
  | "data"
  | "data-shards"
  | "data-confirm"
  | "data-force"
  | "data-busy"
  | "timeline";

/** The removal being asked about or carried out. */
export interface Removal {
  target: { httpAddr: string; raftAddr: string; id: number };
  /** null while the admin service's plan is being fetched. */
  plan: RemovalPlan | null;
  /** When the plan appeared: `y` is ignored for a moment after, so a key meant for the table
   *  cannot confirm a dialog the operator has not seen. */
  planAt: number | null;
  force: boolean;
  /** Why force is needed (the refusal of the unforced plan). */
  forceReason: string | null;
  /** What the operator typed in the force dialog. */
  typed: string;
  /** Set when Enter was pressed on a text that is not the address. */
  mismatch: boolean;
  startedAt: number | null;
}

/** Adding a meta node: the typed address, then the plan, then the admin service's answer. */
export interface Adding {
  typed: string;
  /** null while the address is typed or the plan is being made. */
  plan: AddPlan | null;
  planAt: number | null;
  /** Set once Enter submitted the address (the plan is being made). */
  checking: boolean;
  startedAt: number | null;
  /** The admin service's error, shown whole in the dialog (the status line cut it off). */
  failed?: string | null;
}

export interface StatusLine {
  text: string;
  tone: Tone;
  at: number;
}

/** The node shown by the detail pane: its full /status, fetched when the pane opens and on each poll. */
export interface Detail {
  key: string;
  status: MetaStatus | null;
  /** Why the last /status fetch failed. */
  error: string | null;
}

export interface AppState {
  cluster: ClusterSnapshot | null;
  /** Key of the selected row; the selection follows the node across refreshes, filters and sorts. */
  selectedKey: string | null;
  filter: string;
  sort: SortKey;
  /** `S`: the sort reversed (ties still in ID order). */
  sortReverse: boolean;
  mode: Mode;
  removal: Removal | null;
  adding: Adding | null;
  detail: Detail | null;
  status: StatusLine | null;
  events: ClusterEvent[];
  /** Help: body lines scrolled past. */
  helpTop: number;
  /** Events view: how many events up from the newest the view is scrolled (0 = follows the newest). */
  eventsBack: number;
  size: { columns: number; rows: number };
  /** Why destructive actions are disabled (e.g. "-read-only"), null when they are allowed. */
  readOnly: string | null;
  /** Asked before quitting (the demo stops its cluster on the way out); null: quit at once. */
  quitQuestion: string | null;
  /** This session can restart its own stopped nodes (the demo's): `R` on a DOWN row. */
  canRestart: boolean;
  /** The command palette's line while it is open, null when closed. */
  palette: string | null;
  /** Maintenance what-if (`m`): keys of the nodes marked "going down". Nothing is touched; the
   *  header and the removal plan show what would remain. */
  marked: string[];
  /** The guided rolling restart (`u`), shown in mode "rolling"; null when not running. */
  rolling: RollingRestart | null;
  /** The last replica-health poll (data-ops.ts), null before the first. */
  dataHealth: DataHealth | null;
  /** TCP address of the data node selected in the data tier view. */
  dataSelected: string | null;
  /** A data node's shards (mode "data-shards"): rows scrolled past. */
  dataShardsTop: number;
  dataOp: DataOp | null;
  /** The session's history of terms, leaders and commit lags (timeline.ts, bounded), and where the
   *  timeline view (`t`) looks. */
  timeline: Timeline;
  timelineView: TimelineView;
}

export const MAX_EVENTS = 500;
/** A status message shows this long; it stays in the events history. */
export const STATUS_TTL_MS = 5000;
/** `y` is ignored this long after a plan appears. */
export const CONFIRM_GRACE_MS = 300;
/** The help is about this many lines long at most. */
const HELP_SCROLL_MAX = 200;

export type Action =
  | { type: "snapshot"; snapshot: ClusterSnapshot }
  | { type: "move"; delta: number }
  | { type: "moveTo"; where: "first" | "last" }
  | { type: "sortNext"; at: number }
  | { type: "sortReverse"; at: number }
  | { type: "filterStart" }
  | { type: "filterType"; text: string }
  | { type: "filterErase" }
  | { type: "filterAccept" }
  | { type: "filterClear" }
  | { type: "help"; open: boolean }
  | { type: "helpScroll"; delta: number }
  | { type: "detailOpen" }
  | { type: "detailStatus"; key: string; status: MetaStatus | null; error: string | null }
  | { type: "back" }
  | { type: "eventsOpen" }
  | { type: "eventsScroll"; delta: number }
  | { type: "eventsTo"; where: "oldest" | "newest" }
  | { type: "removeAsked"; row: NodeRow; at: number }
  | {
      type: "planLoaded";
      httpAddr: string;
      plan: RemovalPlan;
      force: boolean;
      forceReason: string | null;
      at: number;
    }
  | { type: "planFailed"; httpAddr: string; error: string; at: number }
  | { type: "forceType"; text: string }
  | { type: "forceErase" }
  | { type: "forceMismatch" }
  | { type: "dialogCancel"; at: number }
  | { type: "removeStarted"; at: number }
  | { type: "removeDone"; httpAddr: string; result: RemoveMetaResult; at: number }
  | { type: "removeFailed"; httpAddr: string; error: string; at: number }
  | { type: "addStart" }
  | { type: "addType"; text: string }
  | { type: "addErase" }
  | { type: "addSubmit" }
  | { type: "addPlanned"; httpAddr: string; plan: AddPlan; at: number }
  | { type: "addStarted"; at: number }
  | { type: "addDone"; result: NodeResult; at: number }
  | { type: "addFailed"; httpAddr: string; error: string; at: number }
  | { type: "status"; text: string; tone: Tone; at: number; transient?: boolean }
  | { type: "statusExpire"; at: number }
  | { type: "resize"; columns: number; rows: number }
  | { type: "select"; key: string }
  | { type: "markToggle"; at: number }
  | { type: "paletteOpen" }
  | { type: "paletteType"; text: string }
  | { type: "paletteErase" }
  | { type: "paletteSet"; text: string }
  | { type: "paletteClose" }
  | { type: "rollingStart"; at: number }
  | { type: "rollingLeave"; at: number }
  | { type: "quitAsk" }
  | { type: "quitCancel" }
  | { type: "dataHealth"; health: DataHealth }
  | { type: "dataHealthFailed"; error: string; at: number }
  | { type: "dataOpen" }
  | { type: "dataSelect"; tcpAddr: string }
  | { type: "dataShardsOpen" }
  | { type: "dataShardsScroll"; delta: number }
  | { type: "dataShardsScroll"; to: "first" | "last" }
  | { type: "dataRemoveAsked"; tcpAddr: string }
  | { type: "dataRemovePlanned"; tcpAddr: string; plan: RemoveDataPlan; at: number }
  | { type: "dataForce"; at: number }
  | { type: "rebalanceAsked"; drain?: string }
  | { type: "rebalancePlanned"; plan: RebalancePlan; at: number }
  | { type: "dataPlanFailed"; error: string; at: number }
  | { type: "dataStarted"; at: number }
  | { type: "dataProgress"; progress: MoveProgress }
  | { type: "dataStop"; at: number }
  | { type: "dataDone"; text: string; tone: Tone; at: number }
  | { type: "timelineOpen" }
  | { type: "timelineNav"; nav: TimelineNav };

export function initialState(opts: {
  columns: number;
  rows: number;
  readOnly: string | null;
  quitQuestion?: string | null;
  canRestart?: boolean;
}): AppState {
  return {
    cluster: null,
    selectedKey: null,
    filter: "",
    sort: null,
    sortReverse: false,
    mode: "list",
    removal: null,
    adding: null,
    detail: null,
    status: null,
    events: [],
    helpTop: 0,
    eventsBack: 0,
    size: { columns: opts.columns, rows: opts.rows },
    readOnly: opts.readOnly,
    quitQuestion: opts.quitQuestion ?? null,
    canRestart: opts.canRestart ?? false,
    palette: null,
    marked: [],
    rolling: null,
    dataHealth: null,
    dataSelected: null,
    dataShardsTop: 0,
    dataOp: null,
    timeline: emptyTimeline(),
    timelineView: NEWEST,
  };
}

/** Text a filter matches against: addresses, role, ID and the state as shown (DOWN, LEADER). */
function searchText(row: NodeRow): string {
  const state = row.up === false ? "down" : (row.state ?? "");
  return `${row.role} ${row.id} ${row.httpAddr} ${row.raftAddr} ${state} ${row.version}`.toLowerCase();
}

/** The rows the table shows: filtered, then sorted. Memoised on its inputs: keys call it often. */
let memo: { rows: NodeRow[]; filter: string; sort: SortKey; reverse: boolean; out: NodeRow[] } | null = null;
export function visibleRows(state: AppState): NodeRow[] {
  const rows = state.cluster?.rows ?? [];
  const reverse = state.sortReverse;
  if (
    memo &&
    memo.rows === rows &&
    memo.filter === state.filter &&
    memo.sort === state.sort &&
    memo.reverse === reverse
  )
    return memo.out;
  const needle = state.filter.trim().toLowerCase();
  const out = sortRows(
    needle ? rows.filter((r) => searchText(r).includes(needle)) : rows,
    state.sort,
    reverse,
  );
  memo = { rows, filter: state.filter, sort: state.sort, reverse, out };
  return out;
}

/** "latency" / "latency, reversed": what the status line says after s or S. */
function sortText(state: AppState): string {
  return `sorted by ${state.sort ?? "ID"}${state.sortReverse ? ", reversed" : ""}`;
}

export function selectedIndex(state: AppState): number {
  const rows = visibleRows(state);
  const i = rows.findIndex((r) => r.key === state.selectedKey);
  return i === -1 ? 0 : i;
}

export function selectedRow(state: AppState): NodeRow | null {
  return visibleRows(state)[selectedIndex(state)] ?? null;
}

/** The row the detail pane shows (it may have left the cluster: then null). */
export function detailRow(state: AppState): NodeRow | null {
  const key = state.detail?.key;
  return state.cluster?.rows.find((r) => r.key === key) ?? null;
}

/** Keeps the selection on a visible row: the same node if it is still shown, else the nearest position. */
function reselect(state: AppState, previousIndex: number): AppState {
  const rows = visibleRows(state);
  if (rows.length === 0) return state.selectedKey === null ? state : { ...state, selectedKey: null };
  if (rows.some((r) => r.key === state.selectedKey)) return state;
  const i = Math.min(Math.max(previousIndex, 0), rows.length - 1);
  return { ...state, selectedKey: rows[i].key };
}

function sameRows(a: NodeRow[], b: NodeRow[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((row, i) => {
    const other = b[i] as unknown as Record<string, unknown>;
    return Object.entries(row).every(([k, v]) => other[k] === v);
  });
}

/** Appends events; a scrolled-back events view stays on the same lines. */
function withEvents(state: AppState, events: ClusterEvent[]): AppState {
  if (events.length === 0) return state;
  const all = [...state.events, ...events];
  const kept = all.slice(-MAX_EVENTS);
  const eventsBack = state.eventsBack ? Math.min(state.eventsBack + events.length, kept.length - 1) : 0;
  return { ...state, events: kept, eventsBack };
}

/**
 * Shows a message in the status line for a few seconds and, unless it is transient ("refreshing…"),
 * records it in the events history, so messages and cluster events keep one order.
 */
function say(
  state: AppState,
  text: string,
  tone: Tone,
  at: number,
  opts: { transient?: boolean; node?: string } = {},
): AppState {
  const next = { ...state, status: { text, tone, at } };
  return opts.transient ? next : withEvents(next, [{ at, text, tone, node: opts.node }]);
}

function metaKey(httpAddr: string): string {
  return `meta:${httpAddr}`;
}

/**
 * Without a leader, a node missing from /show is missing data, not a removal: its last known row
 * stays (the header says membership is unknown), so the view never empties and a node that comes
 * back while no leader answers is reported back up once one does.
 */
function withLastKnownRows(prev: ClusterSnapshot | null, next: ClusterSnapshot): ClusterSnapshot {
  if (next.membershipKnown || !prev) return next;
  const listed = new Set(next.rows.map((r) => r.key));
  const missing = prev.rows.filter((r) => !listed.has(r.key));
  return missing.length === 0 ? next : { ...next, rows: [...next.rows, ...missing] };
}

/** The rolling-restart guide after a poll; what it says goes to the status line and the events. */
function guided(state: AppState, snapshot: ClusterSnapshot, at: number): AppState {
  const { guide, news } = advanceGuide(state.rolling!, snapshot);
  return news.reduce<AppState>((s, n) => say(s, n.text, n.tone, at), { ...state, rolling: guide });
}

/** Leaves a dialog or pane for the table. */
function toList(state: AppState): AppState {
  return { ...state, mode: "list", removal: null, adding: null, detail: null, dataOp: null };
}

export function reducer(state: AppState, action: Action): AppState {
  switch (action.type) {
    case "snapshot": {
      const prev = state.cluster;
      const polled = withLastKnownRows(prev, action.snapshot);
      const snapshot = prev && sameRows(prev.rows, polled.rows) ? { ...polled, rows: prev.rows } : polled;
      const index = selectedIndex(state);
      const timeline = recordSnapshot(state.timeline, polled);
      const timelineView = followSample(state.timelineView, timeline.samples.length);
      const next = withEvents(
        { ...state, cluster: snapshot, timeline, timelineView },
        diffSnapshots(prev, snapshot),
      );
      return reselect(state.rolling ? guided(next, snapshot, action.snapshot.polledAt) : next, index);
    }
    case "move": {
      const rows = visibleRows(state);
      if (rows.length === 0 || (state.mode !== "list" && state.mode !== "detail")) return state;
      const i = Math.min(Math.max(selectedIndex(state) + action.delta, 0), rows.length - 1);
      if (rows[i].key === state.selectedKey) return state;
      // In the detail pane, moving shows the next node's details.
      const detail = state.detail ? { key: rows[i].key, status: null, error: null } : null;
      return { ...state, selectedKey: rows[i].key, detail };
    }
    case "moveTo": {
      const rows = visibleRows(state);
      if (rows.length === 0 || state.mode !== "list") return state;
      return { ...state, selectedKey: rows[action.where === "first" ? 0 : rows.length - 1].key };
    }
    case "sortNext": {
      if (state.mode !== "list") return state;
      const next = { ...state, sort: nextSort(state.sort) };
      return say(next, sortText(next), "info", action.at, { transient: true });
    }
    case "sortReverse": {
      if (state.mode !== "list") return state;
      const next = { ...state, sortReverse: !state.sortReverse };
      return say(next, sortText(next), "info", action.at, { transient: true });
    }
    case "filterStart":
      return state.mode === "list" ? { ...state, mode: "filter" } : state;
    case "filterType": {
      if (state.mode !== "filter") return state;
      const index = selectedIndex(state);
      return reselect({ ...state, filter: state.filter + action.text }, index);
    }
    case "filterErase": {
      if (state.mode !== "filter") return state;
      const index = selectedIndex(state);
      return reselect({ ...state, filter: state.filter.slice(0, -1) }, index);
    }
    case "filterAccept":
      return state.mode === "filter" ? { ...state, mode: "list" } : state;
    case "filterClear": {
      const index = selectedIndex(state);
      return reselect({ ...state, filter: "", mode: state.mode === "filter" ? "list" : state.mode }, index);
    }
    case "help":
      if (action.open) return state.mode === "list" ? { ...state, mode: "help", helpTop: 0 } : state;
      return state.mode === "help" ? { ...state, mode: "list" } : state;
    case "helpScroll": {
      if (state.mode !== "help") return state;
      // The frame stops at the last line; this bound only keeps the offset finite.
      const helpTop = Math.min(Math.max(state.helpTop + action.delta, 0), HELP_SCROLL_MAX);
      return helpTop === state.helpTop ? state : { ...state, helpTop };
    }
    case "detailOpen": {
      const row = selectedRow(state);
      if (state.mode !== "list" || !row) return state;
      return { ...state, mode: "detail", detail: { key: row.key, status: null, error: null } };
    }
    case "detailStatus":
      if (state.detail?.key !== action.key) return state;
      return { ...state, detail: { key: action.key, status: action.status, error: action.error } };
    case "back":
      if (state.mode === "data-shards") return { ...state, mode: "data" };
      return ["detail", "events", "help", "timeline", "data"].includes(state.mode)
        ? { ...toList(state), eventsBack: 0 }
        : state;
    case "eventsOpen":
      return state.mode === "list" ? { ...state, mode: "events", eventsBack: 0 } : state;
    case "eventsScroll": {
      if (state.mode !== "events") return state;
      const back = Math.min(
        Math.max(state.eventsBack - action.delta, 0),
        Math.max(state.events.length - 1, 0),
      );
      return back === state.eventsBack ? state : { ...state, eventsBack: back };
    }
    case "eventsTo":
      if (state.mode !== "events") return state;
      return { ...state, eventsBack: action.where === "newest" ? 0 : Math.max(state.events.length - 1, 0) };
    case "removeAsked": {
      if (state.mode !== "list" && state.mode !== "detail") return state;
      const row = action.row;
      const blocked = removalBlocked(state, row);
      if (blocked) return say(state, blocked, "error", action.at, { node: row.key });
      const target = { httpAddr: row.httpAddr, raftAddr: row.raftAddr, id: row.id };
      return {
        ...state,
        mode: row.up === false ? "force-confirm" : "confirm",
        detail: null,
        removal: {
          target,
          plan: null,
          planAt: null,
          force: row.up === false,
          forceReason: null,
          typed: "",
          mismatch: false,
          startedAt: null,
        },
      };
    }
    case "planLoaded": {
      const r = state.removal;
      if (!r || r.target.httpAddr !== action.httpAddr || r.startedAt !== null) return state;
      if (state.mode !== "confirm" && state.mode !== "force-confirm") return state;
      // A new plan (the node's reachability changed) replaces the old one; what was typed for a
      // force dialog stays only while it is still a force dialog.
      return {
        ...state,
        mode: action.force ? "force-confirm" : "confirm",
        removal: {
          ...r,
          plan: action.plan,
          planAt: action.at,
          force: action.force,
          forceReason: action.forceReason,
          typed: action.force && r.force ? r.typed : "",
          mismatch: false,
        },
      };
    }
    case "planFailed": {
      const r = state.removal;
      if (!r || r.target.httpAddr !== action.httpAddr || r.startedAt !== null) return state;
      return say(
        toList(state),
        `could not check the removal of ${action.httpAddr}: ${action.error}`,
        "error",
        action.at,
        { node: metaKey(action.httpAddr) },
      );
    }
    case "forceType":
      if (state.mode === "data-force") return typedData(state, (t) => t + action.text);
      if (state.mode !== "force-confirm" || !state.removal) return state;
      return {
        ...state,
        removal: { ...state.removal, typed: state.removal.typed + action.text, mismatch: false },
      };
    case "forceErase":
      if (state.mode === "data-force") return typedData(state, (t) => t.slice(0, -1));
      if (state.mode !== "force-confirm" || !state.removal) return state;
      return {
        ...state,
        removal: { ...state.removal, typed: state.removal.typed.slice(0, -1), mismatch: false },
      };
    case "forceMismatch":
      if (state.mode === "data-force" && state.dataOp?.kind === "remove-data")
        return { ...state, dataOp: { ...state.dataOp, mismatch: true } };
      if (state.mode !== "force-confirm" || !state.removal) return state;
      return { ...state, removal: { ...state.removal, mismatch: true } };
    case "dialogCancel": {
      if (state.mode === "data-confirm" || state.mode === "data-force") {
        const op = state.dataOp;
        const what =
          op?.kind === "remove-data"
            ? `removal of ${op.tcpAddr}`
            : op?.drain
              ? `drain of ${op.drain}`
              : "rebalance";
        return say(
          { ...state, mode: "data", dataOp: null },
          `${what} cancelled; nothing was changed`,
          "info",
          action.at,
        );
      }
      const dialogs: Mode[] = ["confirm", "force-confirm", "add-input", "add-confirm"];
      if (!dialogs.includes(state.mode)) return state;
      // Closing a failed add's dialog: the failure was already said.
      if (state.adding?.failed) return toList(state);
      const what = state.removal
        ? `removal of ${state.removal.target.httpAddr}`
        : state.adding?.typed
          ? `adding ${state.adding.typed}`
          : "adding a meta node";
      return say(toList(state), `${what} cancelled; nothing was changed`, "info", action.at);
    }
    case "removeStarted":
      if ((state.mode !== "confirm" && state.mode !== "force-confirm") || !state.removal?.plan) return state;
      return { ...state, mode: "removing", removal: { ...state.removal, startedAt: action.at } };
    case "removeDone": {
      const text = oneLine(removedText(action.result));
      const clean =
        (action.result.cleanup === "done" || action.result.cleanup === "nothing") &&
        action.result.warnings.length === 0;
      const next = state.mode === "removing" ? toList(state) : state;
      return say(next, text, clean ? "ok" : "warn", action.at, { node: metaKey(action.httpAddr) });
    }
    case "removeFailed": {
      const text = `removing ${action.httpAddr} failed: ${action.error}`;
      const next = state.mode === "removing" ? toList(state) : state;
      return say(next, text, "error", action.at, { node: metaKey(action.httpAddr) });
    }
    case "addStart":
      if (state.mode !== "list") return state;
      if (state.readOnly) return state;
      return {
        ...state,
        mode: "add-input",
        adding: { typed: "", plan: null, planAt: null, checking: false, startedAt: null },
      };
    case "addType":
      if (state.mode !== "add-input" || !state.adding || state.adding.checking) return state;
      return { ...state, adding: { ...state.adding, typed: state.adding.typed + action.text.trim() } };
    case "addErase":
      if (state.mode !== "add-input" || !state.adding || state.adding.checking) return state;
      return { ...state, adding: { ...state.adding, typed: state.adding.typed.slice(0, -1) } };
    case "addSubmit":
      if (state.mode !== "add-input" || !state.adding || !state.adding.typed) return state;
      return { ...state, adding: { ...state.adding, checking: true } };
    case "addPlanned": {
      const a = state.adding;
      if (state.mode !== "add-input" || !a || a.typed !== action.httpAddr) return state;
      return { ...state, mode: "add-confirm", adding: { ...a, plan: action.plan, planAt: action.at } };
    }
    case "addStarted":
      if (state.mode !== "add-confirm" || !state.adding?.plan) return state;
      return { ...state, mode: "adding", adding: { ...state.adding, startedAt: action.at } };
    case "addDone": {
      const next = state.mode === "adding" ? toList(state) : state;
      return say(next, addedText(action.result), "ok", action.at, { node: metaKey(action.result.addr) });
    }
    case "addFailed": {
      const text = `adding ${nodeName("meta", 0, action.httpAddr)} failed: ${action.error}`;
      // The dialog stays, with the whole error in it; any key closes it.
      const next =
        state.mode === "adding" && state.adding
          ? { ...state, mode: "add-confirm" as const, adding: { ...state.adding, failed: action.error } }
          : state;
      return say(next, text, "error", action.at, { node: metaKey(action.httpAddr) });
    }
    case "status":
      return say(state, action.text, action.tone, action.at, { transient: action.transient });
    case "statusExpire":
      if (!state.status || state.status.at + STATUS_TTL_MS > action.at) return state;
      return { ...state, status: null };
    case "markToggle": {
      const row = selectedRow(state);
      if (state.mode !== "list" || !row) return state;
      const on = !state.marked.includes(row.key);
      const marked = on ? [...state.marked, row.key] : state.marked.filter((k) => k !== row.key);
      const text = `${row.httpAddr} ${on ? "marked going down (what-if; nothing is touched)" : "unmarked"}`;
      return say({ ...state, marked }, text, "info", action.at, { transient: true });
    }
    case "select":
      return visibleRows(state).some((r) => r.key === action.key)
        ? { ...state, selectedKey: action.key }
        : state;
    case "paletteOpen":
      return state.mode === "list" ? { ...state, mode: "palette", palette: "" } : state;
    case "paletteType":
      return state.mode === "palette" ? { ...state, palette: (state.palette ?? "") + action.text } : state;
    case "paletteErase":
      return state.mode === "palette" ? { ...state, palette: (state.palette ?? "").slice(0, -1) } : state;
    case "paletteSet":
      return state.mode === "palette" ? { ...state, palette: action.text } : state;
    case "paletteClose":
      return state.mode === "palette" ? { ...state, mode: "list", palette: null } : state;
    case "rollingStart": {
      if (state.mode !== "list") return state;
      const refusal = startRefusal(state.cluster);
      if (refusal) return say(state, `rolling restart refused: ${refusal}`, "error", action.at);
      const rolling = startGuide(state.cluster!);
      const text = `rolling restart guide: ${rolling.order.length} meta nodes, followers first, the leader last`;
      return say({ ...state, mode: "rolling", rolling }, text, "info", action.at);
    }
    case "rollingLeave": {
      if (state.mode !== "rolling" || !state.rolling) return state;
      const r = state.rolling;
      const where = r.phase === "done" ? "done" : `left at step ${r.step + 1} of ${r.order.length}`;
      return say(
        { ...state, mode: "list", rolling: null },
        `rolling restart guide ${where}`,
        "info",
        action.at,
      );
    }
    case "quitAsk":
      return ["list", "detail", "events", "timeline", "data", "data-shards"].includes(state.mode)
        ? { ...toList(state), mode: "quit-confirm" }
        : state;
    case "timelineOpen":
      return state.mode === "list" ? { ...state, mode: "timeline", timelineView: NEWEST } : state;
    case "timelineNav": {
      if (state.mode !== "timeline") return state;
      const { samples, nodes } = state.timeline;
      const view = navigate(state.timelineView, action.nav, samples.length, nodes.length);
      return view === state.timelineView ? state : { ...state, timelineView: view };
    }
    case "quitCancel":
      return state.mode === "quit-confirm" ? { ...state, mode: "list" } : state;
    case "dataHealth":
      return { ...state, dataHealth: action.health };
    case "dataHealthFailed":
      // The last report stays, marked with the failure: the view says it is stale.
      return {
        ...state,
        dataHealth: {
          report: state.dataHealth?.report ?? null,
          error: action.error,
          at: state.dataHealth?.at ?? action.at,
        },
      };
    case "dataOpen":
      return state.mode === "list" ? { ...state, mode: "data" } : state;
    case "dataSelect":
      return state.mode === "data" ? { ...state, dataSelected: action.tcpAddr } : state;
    case "dataShardsOpen":
      return state.mode === "data" ? { ...state, mode: "data-shards", dataShardsTop: 0 } : state;
    case "dataShardsScroll": {
      if (state.mode !== "data-shards") return state;
      const total = selectedShardLines(state.cluster, state.dataHealth, state.dataSelected).length;
      const want = "to" in action ? (action.to === "first" ? 0 : total) : state.dataShardsTop + action.delta;
      const { top } = scrollWindow(total, want, shardListLines(state.size.rows));
      return top === state.dataShardsTop ? state : { ...state, dataShardsTop: top };
    }
    case "dataRemoveAsked":
      if (state.mode !== "data" || state.readOnly) return state;
      return {
        ...state,
        mode: "data-confirm",
        dataOp: {
          kind: "remove-data",
          tcpAddr: action.tcpAddr,
          plan: null,
          planAt: null,
          force: false,
          typed: "",
          mismatch: false,
          startedAt: null,
        },
      };
    case "dataRemovePlanned": {
      const op = state.dataOp;
      if (op?.kind !== "remove-data" || op.tcpAddr !== action.tcpAddr || state.mode !== "data-confirm")
        return state;
      // A node that cannot be reached can only be removed by force: straight to the typed dialog.
      const down = !action.plan.up;
      return {
        ...state,
        mode: down ? "data-force" : "data-confirm",
        dataOp: { ...op, plan: action.plan, planAt: action.at, force: down },
      };
    }
    case "dataForce": {
      const op = state.dataOp;
      if (state.mode !== "data-confirm" || op?.kind !== "remove-data" || !op.plan?.refusal) return state;
      return { ...state, mode: "data-force", dataOp: { ...op, force: true, planAt: action.at } };
    }
    case "rebalanceAsked":
      if (state.mode !== "data" || state.readOnly) return state;
      return {
        ...state,
        mode: "data-confirm",
        dataOp: {
          kind: "rebalance",
          drain: action.drain,
          plan: null,
          planAt: null,
          startedAt: null,
          progress: null,
          stopping: false,
        },
      };
    case "rebalancePlanned": {
      const op = state.dataOp;
      if (op?.kind !== "rebalance" || state.mode !== "data-confirm" || op.startedAt !== null) return state;
      return { ...state, dataOp: { ...op, plan: action.plan, planAt: action.at } };
    }
    case "dataPlanFailed":
      if (state.mode !== "data-confirm" && state.mode !== "data-force") return state;
      return say({ ...state, mode: "data", dataOp: null }, action.error, "error", action.at);
    case "dataStarted":
      if ((state.mode !== "data-confirm" && state.mode !== "data-force") || !state.dataOp) return state;
      return { ...state, mode: "data-busy", dataOp: { ...state.dataOp, startedAt: action.at } };
    case "dataProgress":
      if (state.dataOp?.kind !== "rebalance") return state;
      return { ...state, dataOp: { ...state.dataOp, progress: action.progress } };
    case "dataStop":
      if (state.mode !== "data-busy" || state.dataOp?.kind !== "rebalance" || state.dataOp.stopping)
        return state;
      return say(
        { ...state, dataOp: { ...state.dataOp, stopping: true } },
        "stopping after the current move…",
        "warn",
        action.at,
        { transient: true },
      );
    case "dataDone": {
      const next = state.mode === "data-busy" ? { ...state, mode: "data" as const, dataOp: null } : state;
      return say(next, action.text, action.tone, action.at);
    }
    case "resize":
      if (state.size.columns === action.columns && state.size.rows === action.rows) return state;
      return { ...state, size: { columns: action.columns, rows: action.rows } };
  }
}

export interface AddPlan {
  httpAddr: string;
  reachable: boolean;
  /** The node's Raft address, from its /status. */
  raftAddr: string | null;
  /** The node's own Raft state ("unbootstrapped" = blank, ready to be added). */
  state: string | null;
  votersBefore: number;
  votersAfter: number;
  quorumAfter: number;
  refusal: string | null;
  warnings: string[];
}

/** What is typed in the data tier's force dialog changes. */
function typedData(state: AppState, edit: (typed: string) => string): AppState {
  const op = state.dataOp;
  if (op?.kind !== "remove-data") return state;
  return { ...state, dataOp: { ...op, typed: edit(op.typed), mismatch: false } };
}

/** Why `d` cannot act on `row`, or null when it may ask about the removal. */
export function removalBlocked(state: AppState, row: NodeRow | null): string | null {
  if (!row) return "no node selected";
  if (state.readOnly) return `read-only (${state.readOnly}): removing nodes is disabled`;
  if (row.role !== "meta")
    return `${row.httpAddr} is a data node; d removes meta nodes only here (Tab opens the data tier, where d removes data nodes)`;
  return null;
}

/**
 * The what-if: voters that would still be up with the marked nodes down. Only voters that are up
 * now count (a DOWN node marked changes nothing); marks on nodes that left are ignored.
 */
export function whatIf(state: AppState): { marked: number; votersUp: number; votersTotal: number } | null {
  const cluster = state.cluster;
  if (!cluster || state.marked.length === 0) return null;
  const marked = cluster.rows.filter((r) => state.marked.includes(r.key));
  if (marked.length === 0) return null;
  return {
    marked: marked.length,
    votersUp: cluster.votersUp - markedVotersUp(state),
    votersTotal: cluster.votersTotal,
  };
}

/**
 * Voters marked going down that are up now (what the marks would take away), other than `except`
 * (HTTP address: the node a removal or leave plan already takes out). The header and every plan
 * count the marks here.
 */
export function markedVotersUp(state: AppState, except?: string): number {
  return (state.cluster?.rows ?? []).filter(
    (r) => state.marked.includes(r.key) && r.suffrage === "voter" && r.up === true && r.httpAddr !== except,
  ).length;
}
