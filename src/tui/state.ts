/**
 * The TUI's whole state and the one reducer that changes it. Every change has a named action, so
 * key handling, polling and the removal flow stay testable without a terminal.
 */

import type { RemovalPlan, RemoveMetaResult } from "../admin/api-types.ts";
import { diffSnapshots, type ClusterEvent, type Tone } from "./events.ts";
import type { ClusterSnapshot, NodeRow } from "./model.ts";
import { removalBlocked } from "./removal.ts";

export type Mode = "list" | "filter" | "help" | "confirm" | "force-confirm" | "removing";

/** The removal being asked about or carried out. */
export interface Removal {
  target: { httpAddr: string; raftAddr: string; id: number };
  /** null while the admin service's plan is being fetched. */
  plan: RemovalPlan | null;
  force: boolean;
  /** Why force is needed (the refusal of the unforced plan). */
  forceReason: string | null;
  /** What the operator typed in the force dialog. */
  typed: string;
  /** Set when Enter was pressed on a text that is not the address. */
  mismatch: boolean;
  startedAt: number | null;
}

export interface StatusLine {
  text: string;
  tone: Tone;
  at: number;
}

export interface AppState {
  cluster: ClusterSnapshot | null;
  /** Key of the selected row; the selection follows the node across refreshes and filters. */
  selectedKey: string | null;
  filter: string;
  mode: Mode;
  removal: Removal | null;
  status: StatusLine | null;
  events: ClusterEvent[];
  size: { columns: number; rows: number };
  /** Why destructive actions are disabled (e.g. "-read-only"), null when they are allowed. */
  readOnly: string | null;
}

export const MAX_EVENTS = 100;

export type Action =
  | { type: "snapshot"; snapshot: ClusterSnapshot }
  | { type: "move"; delta: number }
  | { type: "moveTo"; where: "first" | "last" }
  | { type: "filterStart" }
  | { type: "filterType"; text: string }
  | { type: "filterErase" }
  | { type: "filterAccept" }
  | { type: "filterClear" }
  | { type: "help"; open: boolean }
  | { type: "removeAsked"; row: NodeRow; at: number }
  | { type: "planLoaded"; httpAddr: string; plan: RemovalPlan; force: boolean; forceReason: string | null }
  | { type: "planFailed"; httpAddr: string; error: string; at: number }
  | { type: "forceType"; text: string }
  | { type: "forceErase" }
  | { type: "forceMismatch" }
  | { type: "dialogCancel"; at: number }
  | { type: "removeStarted"; at: number }
  | { type: "removeDone"; httpAddr: string; result: RemoveMetaResult; at: number }
  | { type: "removeFailed"; httpAddr: string; error: string; at: number }
  | { type: "status"; text: string; tone: Tone; at: number }
  | { type: "resize"; columns: number; rows: number };

export function initialState(opts: { columns: number; rows: number; readOnly: string | null }): AppState {
  return {
    cluster: null,
    selectedKey: null,
    filter: "",
    mode: "list",
    removal: null,
    status: null,
    events: [],
    size: { columns: opts.columns, rows: opts.rows },
    readOnly: opts.readOnly,
  };
}

/** Text a filter matches against: addresses, role, ID and the state as shown (DOWN, LEADER). */
function searchText(row: NodeRow): string {
  const state = row.up === false ? "down" : (row.state ?? "");
  return `${row.role} ${row.id} ${row.httpAddr} ${row.raftAddr} ${state} ${row.version}`.toLowerCase();
}

export function visibleRows(state: AppState): NodeRow[] {
  const rows = state.cluster?.rows ?? [];
  const needle = state.filter.trim().toLowerCase();
  return needle ? rows.filter((r) => searchText(r).includes(needle)) : rows;
}

export function selectedIndex(state: AppState): number {
  const rows = visibleRows(state);
  const i = rows.findIndex((r) => r.key === state.selectedKey);
  return i === -1 ? 0 : i;
}

export function selectedRow(state: AppState): NodeRow | null {
  return visibleRows(state)[selectedIndex(state)] ?? null;
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

function withEvents(state: AppState, events: ClusterEvent[]): ClusterEvent[] {
  if (events.length === 0) return state.events;
  return [...state.events, ...events].slice(-MAX_EVENTS);
}

function status(text: string, tone: Tone, at: number): StatusLine {
  return { text, tone, at };
}

function describeResult(httpAddr: string, result: RemoveMetaResult): { text: string; tone: Tone } {
  const cleanup =
    result.cleanup === "done"
      ? "its meta data was wiped"
      : result.cleanup === "skipped"
        ? "cleanup skipped (node unreachable)"
        : "cleanup FAILED";
  const warnings = result.warnings.length ? `; warnings: ${result.warnings.join("; ")}` : "";
  const tone: Tone = result.cleanup === "done" && result.warnings.length === 0 ? "ok" : "warn";
  return { text: `removed meta node ${httpAddr} (id ${result.id}); ${cleanup}${warnings}`, tone };
}

export function reducer(state: AppState, action: Action): AppState {
  switch (action.type) {
    case "snapshot": {
      const prev = state.cluster;
      const snapshot =
        prev && sameRows(prev.rows, action.snapshot.rows)
          ? { ...action.snapshot, rows: prev.rows }
          : action.snapshot;
      const index = selectedIndex(state);
      const next = { ...state, cluster: snapshot, events: withEvents(state, diffSnapshots(prev, snapshot)) };
      return reselect(next, index);
    }
    case "move": {
      const rows = visibleRows(state);
      if (rows.length === 0 || state.mode !== "list") return state;
      const i = Math.min(Math.max(selectedIndex(state) + action.delta, 0), rows.length - 1);
      return rows[i].key === state.selectedKey ? state : { ...state, selectedKey: rows[i].key };
    }
    case "moveTo": {
      const rows = visibleRows(state);
      if (rows.length === 0 || state.mode !== "list") return state;
      return { ...state, selectedKey: rows[action.where === "first" ? 0 : rows.length - 1].key };
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
      if (action.open) return state.mode === "list" ? { ...state, mode: "help" } : state;
      return state.mode === "help" ? { ...state, mode: "list" } : state;
    case "removeAsked": {
      if (state.mode !== "list") return state;
      const row = action.row;
      const blocked = removalBlocked(state, row);
      if (blocked) return { ...state, status: status(blocked, "error", action.at) };
      const target = { httpAddr: row.httpAddr, raftAddr: row.raftAddr, id: row.id };
      return {
        ...state,
        mode: row.up === false ? "force-confirm" : "confirm",
        removal: {
          target,
          plan: null,
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
      if (!r || r.target.httpAddr !== action.httpAddr || r.plan !== null) return state;
      return {
        ...state,
        mode: action.force ? "force-confirm" : "confirm",
        removal: { ...r, plan: action.plan, force: action.force, forceReason: action.forceReason },
      };
    }
    case "planFailed": {
      const r = state.removal;
      if (!r || r.target.httpAddr !== action.httpAddr || r.plan !== null) return state;
      return {
        ...state,
        mode: "list",
        removal: null,
        status: status(
          `could not check the removal of ${action.httpAddr}: ${action.error}`,
          "error",
          action.at,
        ),
      };
    }
    case "forceType":
      if (state.mode !== "force-confirm" || !state.removal) return state;
      return {
        ...state,
        removal: { ...state.removal, typed: state.removal.typed + action.text, mismatch: false },
      };
    case "forceErase":
      if (state.mode !== "force-confirm" || !state.removal) return state;
      return {
        ...state,
        removal: { ...state.removal, typed: state.removal.typed.slice(0, -1), mismatch: false },
      };
    case "forceMismatch":
      if (state.mode !== "force-confirm" || !state.removal) return state;
      return { ...state, removal: { ...state.removal, mismatch: true } };
    case "dialogCancel":
      if (state.mode !== "confirm" && state.mode !== "force-confirm") return state;
      return {
        ...state,
        mode: "list",
        removal: null,
        status: state.removal
          ? status(
              `removal of ${state.removal.target.httpAddr} cancelled; nothing was changed`,
              "info",
              action.at,
            )
          : state.status,
      };
    case "removeStarted":
      if ((state.mode !== "confirm" && state.mode !== "force-confirm") || !state.removal?.plan) return state;
      return { ...state, mode: "removing", removal: { ...state.removal, startedAt: action.at } };
    case "removeDone": {
      const { text, tone } = describeResult(action.httpAddr, action.result);
      const event: ClusterEvent = { at: action.at, text, tone };
      return {
        ...state,
        mode: state.mode === "removing" ? "list" : state.mode,
        removal: state.mode === "removing" ? null : state.removal,
        status: status(text, tone, action.at),
        events: withEvents(state, [event]),
      };
    }
    case "removeFailed": {
      const text = `removing ${action.httpAddr} failed: ${action.error}`;
      return {
        ...state,
        mode: state.mode === "removing" ? "list" : state.mode,
        removal: state.mode === "removing" ? null : state.removal,
        status: status(text, "error", action.at),
        events: withEvents(state, [{ at: action.at, text, tone: "error" }]),
      };
    }
    case "status":
      return { ...state, status: status(action.text, action.tone, action.at) };
    case "resize":
      if (state.size.columns === action.columns && state.size.rows === action.rows) return state;
      return { ...state, size: { columns: action.columns, rows: action.rows } };
  }
}
