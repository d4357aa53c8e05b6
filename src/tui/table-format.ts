/**
 * The node table's columns: titles, widths, cell text and which columns to drop first when the
 * terminal is narrow. Shared by the Ink table and the plain one-shot output (no TTY).
 */

import type { Tone } from "./events.ts";
import type { NodeRow } from "./model.ts";
import { fit } from "./text.ts";

export interface Column {
  id: string;
  title: string;
  width: number;
  /** Lower numbers survive longer on narrow terminals. */
  priority: number;
  align: "left" | "right";
  cell: (row: NodeRow) => string;
  tone?: (row: NodeRow) => Tone;
}

export function formatMs(ms: number | null): string {
  if (ms === null) return "-";
  if (ms < 1) return "<1ms";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.round(ms / 60_000)}m`;
}

function pingText(row: NodeRow): string {
  if (row.up === null) return "...";
  return row.up ? "ok" : "DOWN";
}

function stateText(row: NodeRow): string {
  if (row.role === "data") return row.announcedStatus ?? "-";
  if (row.up === false) return "DOWN";
  // Up without a state: the node does not report it (a Go/Enterprise meta node).
  if (row.state === null) return row.up ? "-" : "...";
  // Raft stopped because its disk failed: the reason is in the detail pane and the events.
  if (row.storageError) return "DISK FAIL";
  return row.state === "leader" ? "LEADER" : row.state;
}

function stateTone(row: NodeRow): Tone {
  if (row.up === false || row.storageError) return "error";
  if (row.state === "leader") return "ok";
  if (row.state === "candidate" || row.state === "removed" || row.state === "shutdown") return "warn";
  return "info";
}

function num(n: number | null): string {
  return n === null ? "-" : String(n);
}

function roleText(row: NodeRow): string {
  if (row.role !== "meta") return row.role;
  // A metadata record the Raft configuration does not contain votes for nothing.
  return row.suffrage === "nonvoter" ? "meta nv" : row.suffrage === "none" ? "no raft" : "meta";
}

export const COLUMNS: Column[] = [
  { id: "role", title: "ROLE", width: 7, priority: 3, align: "left", cell: roleText },
  { id: "id", title: "ID", width: 3, priority: 4, align: "right", cell: (r) => (r.id ? String(r.id) : "-") },
  { id: "http", title: "HTTP ADDRESS", width: 21, priority: 0, align: "left", cell: (r) => r.httpAddr },
  {
    id: "ping",
    title: "PING",
    width: 4,
    priority: 2,
    align: "left",
    cell: pingText,
    tone: (r) => (r.up === false ? "error" : "info"),
  },
  {
    id: "latency",
    title: "LAT",
    width: 5,
    priority: 5,
    align: "right",
    cell: (r) => (r.up ? formatMs(r.pingMs) : "-"),
  },
  { id: "state", title: "STATE", width: 10, priority: 1, align: "left", cell: stateText, tone: stateTone },
  {
    id: "term",
    title: "TERM",
    width: 5,
    priority: 6,
    align: "right",
    cell: (r) => (r.up ? num(r.term) : "-"),
  },
  {
    id: "index",
    title: "COMMIT/APPLIED",
    width: 15,
    priority: 7,
    align: "right",
    cell: (r) => (r.up && r.commitIndex !== null ? `${r.commitIndex}/${num(r.appliedIndex)}` : "-"),
  },
  { id: "raft", title: "RAFT ADDRESS", width: 21, priority: 8, align: "left", cell: (r) => r.raftAddr },
  {
    id: "contact",
    title: "CONTACT",
    width: 7,
    priority: 9,
    align: "right",
    cell: (r) => (r.up && r.role === "meta" && r.state !== "leader" ? formatMs(r.lastContactMs) : "-"),
  },
  { id: "version", title: "VERSION", width: 8, priority: 10, align: "left", cell: (r) => r.version || "-" },
];

/** What `s` cycles through: a column id, or null for the default order (role, then ID). */
export type SortKey = "http" | "state" | "latency" | "term" | "version" | null;

const SORT_CYCLE: SortKey[] = [null, "http", "state", "latency", "term", "version"];

export function nextSort(current: SortKey): SortKey {
  return SORT_CYCLE[(SORT_CYCLE.indexOf(current) + 1) % SORT_CYCLE.length];
}

/** Leader first, then voters that answer, then the rest; DOWN last. */
function stateRank(row: NodeRow): number {
  if (row.up === false) return 9;
  const order = ["leader", "follower", "candidate", "learner", "unbootstrapped", "removed", "shutdown"];
  const i = row.state ? order.indexOf(row.state) : -1;
  return i === -1 ? 8 : i;
}

/** Upper bounds (ms) of the latency buckets the sort uses. */
const LATENCY_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000];

/**
 * A latency's bucket: sorting by raw milliseconds reshuffled rows on every poll (3.1 ms vs 2.9 ms
 * is noise), so nodes in one bucket tie and keep ID order.
 */
export function latencyBucket(ms: number): number {
  const i = LATENCY_BUCKETS.findIndex((limit) => ms < limit);
  return i === -1 ? LATENCY_BUCKETS.length : i;
}

type SortValue = string | number | null;
const SORT_VALUE: Record<Exclude<SortKey, null>, (row: NodeRow) => SortValue> = {
  http: (r) => r.httpAddr,
  state: stateRank,
  latency: (r) => (r.up && r.pingMs !== null ? latencyBucket(r.pingMs) : null),
  term: (r) => (r.up ? r.term : null),
  version: (r) => r.version || null,
};

/**
 * The rows in `key` order, or its reverse (`S`). Unknown values stay last either way, and ties
 * keep role-then-ID order either way, so a poll that changes nothing moves nothing. Returns `rows`
 * itself for the default order.
 */
export function sortRows(rows: NodeRow[], key: SortKey, reverse = false): NodeRow[] {
  if (key === null) return reverse ? [...rows].reverse() : rows;
  const value = SORT_VALUE[key];
  const sign = reverse ? -1 : 1;
  const tie = (a: NodeRow, b: NodeRow) => a.role.localeCompare(b.role) || a.id - b.id;
  return [...rows].sort((a, b) => {
    const x = value(a);
    const y = value(b);
    if (x === y) return tie(a, b);
    if (x === null) return 1;
    if (y === null) return -1;
    const order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
    return sign * order || tie(a, b);
  });
}

/** Width of the selection marker ("> ") in front of every row. */
export const MARKER_WIDTH = 2;

/** The columns that fit in `width` characters (one space between columns), in display order. */
export function fitColumns(width: number): Column[] {
  const chosen = new Set<Column>();
  let used = MARKER_WIDTH;
  for (const col of [...COLUMNS].sort((a, b) => a.priority - b.priority)) {
    const need = (chosen.size ? 1 : 0) + col.width;
    if (used + need > width) continue;
    chosen.add(col);
    used += need;
  }
  return COLUMNS.filter((c) => chosen.has(c));
}

/**
 * What a narrow table leaves out, in words that say how to get it back, longest that fits:
 * "+3 columns (RAFT ADDRESS, CONTACT, VERSION): widen or press Enter for details".
 */
export function hiddenColumnsText(shown: Column[], width: number): string | null {
  const hidden = COLUMNS.filter((c) => !shown.includes(c));
  if (hidden.length === 0) return null;
  const n = `+${hidden.length} column${hidden.length === 1 ? "" : "s"}`;
  const forms = [
    `${n} (${hidden.map((c) => c.title).join(", ")}): widen or press Enter for details`,
    `${n}: widen or press Enter for details`,
    `${n}: Enter for details`,
    n,
  ];
  return forms.find((f) => f.length <= width) ?? n;
}

/** A column's title, marked when the rows are sorted by it (↓ ascending, ↑ reversed). */
export function columnTitle(col: Column, sort: SortKey = null, reverse = false): string {
  const marked = col.id === sort || (sort === null && reverse && col.id === "id");
  return fit(marked ? col.title + (reverse ? "↑" : "↓") : col.title, col.width, col.align);
}

/** The table as plain text lines (header first), for output without a terminal. */
export function plainTable(rows: NodeRow[], columns: Column[] = COLUMNS): string[] {
  const line = (cells: string[]) => cells.join(" ").trimEnd();
  return [
    line(columns.map((c) => columnTitle(c))),
    ...rows.map((r) => line(columns.map((c) => fit(c.cell(r), c.width, c.align)))),
  ];
}
