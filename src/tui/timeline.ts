/**
 * The session's history, for the timeline view (`t`): terms, leader changes and each node's commit
 * lag, recorded from the snapshots the view already polls, and drawn as rows of text (sparklines,
 * markers, a time axis and a cursor). Pure: recording returns a new history, drawing returns lines.
 *
 * Memory is bounded: the last TIMELINE_SAMPLES polls are kept (one hour at the default 2 s
 * interval), and a sample holds one small integer per node (an Int32Array), so 1,000 nodes cost
 * about 7 MB when the ring is full. The node list itself only grows when a node joins.
 */

import type { Tone } from "./events.ts";
import type { ClusterSnapshot } from "./model.ts";
import { scrollWindow } from "./scroll.ts";
import { clock, fit } from "./text.ts";

/** Samples kept: one hour of history at the default 2 s poll interval. */
export const TIMELINE_SAMPLES = 1800;

/** A node's value in a sample: its commit lag (>= 0), or one of these. */
export const DOWN = -1;
/** Up, but no lag is known (a data node, or no node reports a commit index). */
export const NO_LAG = -2;
/** Not probed yet, or not a member at that time. */
export const NO_DATA = -3;

export interface TimelineSample {
  at: number;
  term: number | null;
  leader: string | null;
  /** One value per node of `Timeline.nodes` known at the time (lag, DOWN, NO_LAG, NO_DATA). */
  values: Int32Array;
  leaderChanged: boolean;
  termChanged: boolean;
  /** Keys of the nodes that went DOWN in this sample. */
  wentDown: string[];
}

export interface TimelineNode {
  key: string;
  /** "127.0.0.1:8091" for a meta node, "data 127.0.0.1:8086" for a data node. */
  label: string;
}

export interface Timeline {
  /** Oldest first, at most TIMELINE_SAMPLES. */
  samples: TimelineSample[];
  /** Every node seen this session, in the order first seen: the index of its value in a sample. */
  nodes: TimelineNode[];
}

/** Where the view looks: the cursor and the window, in samples back from the newest. */
export interface TimelineView {
  /** The cursor: samples back from the newest (0 = the newest, and it follows new ones). */
  back: number;
  /** Samples hidden right of the window. */
  offset: number;
  /** Node rows scrolled past. */
  top: number;
}

export type TimelineNav =
  { cursor: number; chartWidth: number } | { to: "oldest" | "newest"; chartWidth: number } | { rows: number };

export function emptyTimeline(): Timeline {
  return { samples: [], nodes: [] };
}

export const NEWEST: TimelineView = { back: 0, offset: 0, top: 0 };

/**
 * The commit lag of each node: the leader's commit index minus the node's applied index (what it
 * has actually caught up to). Without a leader, the highest commit index any node reports stands in.
 */
function lagsOf(snapshot: ClusterSnapshot): Map<string, number> {
  const meta = snapshot.rows.filter((r) => r.role === "meta" && r.up === true);
  const leader = meta.find((r) => r.httpAddr === snapshot.leaderHttp);
  const reference =
    leader?.commitIndex ??
    meta.reduce<number | null>(
      (m, r) => (r.commitIndex === null ? m : Math.max(m ?? 0, r.commitIndex)),
      null,
    );
  const lags = new Map<string, number>();
  if (reference === null) return lags;
  for (const r of meta) {
    const index = r.appliedIndex ?? r.commitIndex;
    if (index !== null) lags.set(r.key, Math.max(0, reference - index));
  }
  return lags;
}

/** Adds one poll's snapshot; the oldest sample goes once `limit` are kept. */
export function recordSnapshot(tl: Timeline, snapshot: ClusterSnapshot, limit = TIMELINE_SAMPLES): Timeline {
  let nodes = tl.nodes;
  const index = new Map(nodes.map((n, i) => [n.key, i]));
  for (const r of snapshot.rows) {
    if (index.has(r.key)) continue;
    if (nodes === tl.nodes) nodes = [...nodes];
    index.set(r.key, nodes.length);
    nodes.push({ key: r.key, label: r.role === "data" ? `data ${r.httpAddr}` : r.httpAddr });
  }
  const prev = tl.samples.at(-1);
  const lags = lagsOf(snapshot);
  const values = new Int32Array(nodes.length).fill(NO_DATA);
  const wentDown: string[] = [];
  for (const r of snapshot.rows) {
    const i = index.get(r.key)!;
    if (r.up === false) {
      values[i] = DOWN;
      const before = prev && i < prev.values.length ? prev.values[i] : NO_DATA;
      if (before !== DOWN) wentDown.push(r.key);
    } else if (r.up === true) values[i] = lags.get(r.key) ?? NO_LAG;
  }
  const sample: TimelineSample = {
    at: snapshot.polledAt,
    term: snapshot.term,
    leader: snapshot.leaderHttp,
    values,
    leaderChanged: prev !== undefined && prev.leader !== snapshot.leaderHttp,
    termChanged:
      prev !== undefined && prev.term !== null && snapshot.term !== null && prev.term !== snapshot.term,
    wentDown,
  };
  const samples =
    tl.samples.length >= limit ? tl.samples.slice(tl.samples.length - limit + 1) : [...tl.samples];
  samples.push(sample);
  return { samples, nodes };
}

/** The view after a new sample: a cursor off the newest stays on its sample, as the window does. */
export function followSample(view: TimelineView, count: number): TimelineView {
  if (view.back === 0 && view.offset === 0) return view;
  const last = Math.max(count - 1, 0);
  return { ...view, back: Math.min(view.back + 1, last), offset: Math.min(view.offset + 1, last) };
}

/** Moves the cursor (scrolling the window to keep it in sight) or the node rows. */
export function navigate(
  view: TimelineView,
  nav: TimelineNav,
  count: number,
  nodeCount: number,
): TimelineView {
  if ("rows" in nav) {
    const top = Math.min(Math.max(view.top + nav.rows, 0), Math.max(nodeCount - 1, 0));
    return top === view.top ? view : { ...view, top };
  }
  const last = Math.max(count - 1, 0);
  const back =
    "to" in nav ? (nav.to === "newest" ? 0 : last) : Math.min(Math.max(view.back - nav.cursor, 0), last);
  const width = Math.max(nav.chartWidth, 1);
  const offset = Math.min(Math.max(view.offset, back - width + 1), back);
  return back === view.back && offset === view.offset ? view : { ...view, back, offset };
}

// --- drawing ------------------------------------------------------------------------------------

export interface TimelineLine {
  text: string;
  tone?: Tone;
  bold?: boolean;
}

// The lowest level is ASCII: a row without lag is then plain ASCII, which the terminal renderer
// measures at once (every other character costs it a grapheme lookup, on every frame).
const BARS = "_▂▃▄▅▆▇█";
const ASCII_BARS = "_.-=+*#@";
/** Width of the node labels column and of the value-at-cursor column. */
const VALUE_WIDTH = 10;
const AXIS_TICK = 16;

function labelWidth(columns: number): number {
  return Math.min(26, Math.max(10, Math.floor(columns / 4)));
}

/** Columns of the chart at `columns` terminal columns (one sample per column). */
export function chartWidth(columns: number): number {
  return Math.max(1, columns - labelWidth(columns) - VALUE_WIDTH - 2);
}

/** The symbol of the i-th node, in the leader row and before its label. */
function symbolOf(i: number): string {
  return "123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[i] ?? "*";
}

/** The marker of one sample: a leader change wins over a term change over a node going DOWN. */
function markerOf(s: TimelineSample): string {
  if (s.leaderChanged) return "L";
  if (s.termChanged) return "T";
  return s.wentDown.length ? "X" : " ";
}

function ago(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `-${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `-${m}m${s % 60 ? `${s % 60}s` : ""}` : `-${Math.floor(m / 60)}h${m % 60}m`;
}

function valueText(v: number): string {
  if (v === DOWN) return "DOWN";
  if (v === NO_LAG) return "up";
  if (v === NO_DATA) return "-";
  return `lag ${v}`;
}

export interface DrawOptions {
  columns: number;
  /** Lines available, the title included. */
  height: number;
  /** TERM=dumb: ASCII bars instead of block characters. */
  ascii?: boolean;
}

/**
 * The timeline as lines of text: title, legend, term, leader and marker rows, one row per node
 * (scrolled by `view.top`), the cursor's caret, the time axis in the session's local time, and
 * what the cursor's sample holds.
 */
export function drawTimeline(tl: Timeline, view: TimelineView, opts: DrawOptions): TimelineLine[] {
  const { columns, height } = opts;
  const bars = opts.ascii ? ASCII_BARS : BARS;
  const labelW = labelWidth(columns);
  const width = chartWidth(columns);
  const count = tl.samples.length;
  if (count === 0)
    return [{ text: fit("TIMELINE (no poll yet: it fills as the view polls)", columns), bold: true }];
  const back = Math.min(view.back, count - 1);
  const offset = Math.min(Math.max(view.offset, back - width + 1), back);
  const end = count - 1 - offset; // index of the rightmost sample shown
  const start = Math.max(0, end - width + 1);
  const window = tl.samples.slice(start, end + 1);
  const cursorIndex = count - 1 - back;
  const cursorCol = cursorIndex - start;
  const pad = (s: string) => s.padEnd(width).slice(0, width);
  const row = (label: string, chart: string, value: string) => ({
    text: fit(label, labelW) + " " + pad(chart) + " " + fit(value, VALUE_WIDTH),
  });

  const nodeIndex = new Map(tl.nodes.map((n, i) => [n.key, i]));
  const newest = tl.samples[count - 1].at;
  const cursor = tl.samples[cursorIndex];
  let maxLag = 1;
  for (const s of window) for (const v of s.values) if (v > maxLag) maxLag = v;
  const bar = (v: number, max: number) => bars[v <= 0 ? 0 : 1 + Math.min(6, Math.floor((v / max) * 7))];

  const terms = window.map((s) => s.term).filter((t): t is number => t !== null);
  const [lo, hi] = [Math.min(...terms), Math.max(...terms)];
  // Terms only rise: a step up at each new term, kept low (at most ▄) so it reads as a step, not a bar.
  const termChart = window
    .map((s) =>
      s.term === null ? " " : hi === lo ? bars[0] : bars[Math.round(((s.term - lo) / (hi - lo)) * 3)],
    )
    .join("");
  const leaderChart = window
    .map((s) => (s.leader === null ? "-" : symbolOf(nodeIndex.get(`meta:${s.leader}`) ?? -1)))
    .join("");
  const markers = window.map(markerOf).join("");
  const leaderIndex = cursor.leader === null ? -1 : (nodeIndex.get(`meta:${cursor.leader}`) ?? -1);

  const head: TimelineLine[] = [
    {
      text: fit(
        `TIMELINE ${clock(window[0].at)}–${clock(window[window.length - 1].at)}, ${count} of at most ${TIMELINE_SAMPLES} polls` +
          (offset ? ` (${offset} newer to the right)` : "") +
          `; lag bars scaled to ${maxLag}`,
        columns,
      ),
      bold: true,
    },
    {
      text: fit(
        `L leader change  T term change  X node went DOWN  x DOWN  ${bars[0]}…${bars[7]} commit lag (leader commit − applied)`,
        columns,
      ),
    },
    row("term", termChart, cursor.term === null ? "-" : `term ${cursor.term}`),
    row("leader (node symbol)", leaderChart, leaderIndex === -1 ? "none" : `leader ${symbolOf(leaderIndex)}`),
    { ...row("markers", markers, markerOf(cursor).trim()), tone: markers.trim() ? "warn" : undefined },
  ];

  const foot = footLines(window, cursor, cursorCol, newest, labelW, width, columns, tl);
  const fits = Math.max(0, height - head.length - foot.length);
  const { top, room, below, scrolls } = scrollWindow(tl.nodes.length, view.top, fits);
  const shownNodes = tl.nodes.slice(top, top + room);
  const nodeLines = shownNodes.map((n, j) => {
    const i = top + j;
    const chart = window
      .map((s) => {
        const v = i < s.values.length ? s.values[i] : NO_DATA;
        return v === DOWN ? "x" : v === NO_DATA ? " " : v === NO_LAG ? "." : bar(v, maxLag);
      })
      .join("");
    const at = i < cursor.values.length ? cursor.values[i] : NO_DATA;
    const hasDown = window.some((s) => i < s.values.length && s.values[i] === DOWN);
    const line: TimelineLine = { ...row(`${symbolOf(i)} ${n.label}`, chart, valueText(at)) };
    if (hasDown) line.tone = "error";
    return line;
  });
  if (scrolls)
    nodeLines.push({ text: fit(`nodes: ${top} above, ${below} below (↑↓ scroll)`, columns), tone: "info" });
  return [...head, ...nodeLines, ...foot].slice(0, Math.max(1, height));
}

/** The caret under the cursor's column, the time axis, and what happened at the cursor. */
function footLines(
  window: TimelineSample[],
  cursor: TimelineSample,
  cursorCol: number,
  newest: number,
  labelW: number,
  width: number,
  columns: number,
  tl: Timeline,
): TimelineLine[] {
  const indent = " ".repeat(labelW + 1);
  const caret = indent + " ".repeat(cursorCol) + "^";
  const axis = Array.from({ length: width }, () => " ");
  // Ticks counted from the right edge, each labelled with its sample's local time.
  for (let col = window.length - 1; col >= 0; col -= AXIS_TICK) {
    const label = `|${clock(window[col].at)}`;
    if (col + label.length > width) continue;
    for (let k = 0; k < label.length; k++) axis[col + k] = label[k];
  }
  const events: string[] = [];
  if (cursor.leaderChanged) events.push(`leader → ${cursor.leader ?? "none"}`);
  if (cursor.termChanged) events.push(`term → ${cursor.term}`);
  const label = (key: string) => tl.nodes.find((n) => n.key === key)?.label ?? key;
  for (const key of cursor.wentDown) events.push(`${label(key)} DOWN`);
  const at = `cursor ${clock(cursor.at)} (${cursor.at === newest ? "newest" : ago(newest - cursor.at)}): term ${cursor.term ?? "-"}, leader ${cursor.leader ?? "none"}`;
  return [
    { text: fit(caret, columns) },
    { text: fit("local time".padEnd(labelW) + " " + axis.join(""), columns) },
    { text: fit(at, columns) },
    // What changed at the cursor's poll, on its own line: the state above fills most of a narrow one.
    {
      text: fit(`changes: ${events.length ? events.join(", ") : "none"}`, columns),
      tone: events.length ? "warn" : undefined,
    },
  ];
}
