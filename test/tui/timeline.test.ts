// The timeline's recording and drawing (src/tui/timeline.ts), without a terminal: commit lags and
// markers recorded from snapshots, the bounded ring, the cursor and the window, and the lines drawn.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { NodeRow } from "../../src/tui/model.ts";
import { reducer, type Action } from "../../src/tui/state.ts";
import { clock } from "../../src/tui/text.ts";
import {
  chartWidth,
  DOWN,
  drawTimeline,
  emptyTimeline,
  followSample,
  navigate,
  NEWEST,
  NO_LAG,
  recordSnapshot,
  type Timeline,
} from "../../src/tui/timeline.ts";
import { metaRow, snapshot, stateAfter, T0 } from "./fixtures.ts";

/** Poll i of a 3-node cluster: node 1 leads (term 3) until `change`, then node 2 (term 4); node 1 is DOWN from `change`. */
function poll(i: number, change = 30, lag3 = 0) {
  const after = i >= change;
  const rows: NodeRow[] = [1, 2, 3].map((n) =>
    metaRow(n, {
      state: n === (after ? 2 : 1) ? "leader" : "follower",
      up: !(n === 1 && after),
      term: after ? 4 : 3,
      commitIndex: 100 + i,
      appliedIndex: 100 + i - (n === 3 ? lag3 : 0),
    }),
  );
  return snapshot(rows, { polledAt: T0 + i * 2000, term: after ? 4 : 3 });
}

function history(count: number, change = 30, limit?: number): Timeline {
  let tl = emptyTimeline();
  for (let i = 0; i < count; i++) tl = recordSnapshot(tl, poll(i, change, i % 5), limit);
  return tl;
}

const COLUMNS = 100;

test("a sample holds each node's commit lag (leader's commit − its applied index), DOWN, and the changes", () => {
  let tl = recordSnapshot(emptyTimeline(), poll(0, 1, 0));
  tl = recordSnapshot(tl, poll(1, 1, 4));
  const [first, second] = tl.samples;
  assert.deepEqual(Array.from(first.values), [0, 0, 0]);
  assert.equal(first.leaderChanged, false, "the first poll changes nothing");
  // Node 2 leads at commit 101, node 3 has applied 97; node 1 is DOWN.
  assert.deepEqual(Array.from(second.values), [DOWN, 0, 4]);
  assert.equal(second.leaderChanged, true);
  assert.equal(second.termChanged, true);
  assert.deepEqual(second.wentDown, ["meta:127.0.0.1:9091"]);
  tl = recordSnapshot(tl, poll(2, 1, 0));
  assert.deepEqual(tl.samples[2].wentDown, [], "a node DOWN already is not a new marker");
  // A data node has no Raft indexes: up, without a lag.
  const data: NodeRow = {
    ...metaRow(4),
    key: "data:127.0.0.1:8086",
    role: "data",
    commitIndex: null,
    appliedIndex: null,
  };
  const withData = recordSnapshot(emptyTimeline(), snapshot([metaRow(1), data]));
  assert.deepEqual(Array.from(withData.samples[0].values), [0, NO_LAG]);
  assert.equal(withData.nodes[1].label, "data 127.0.0.1:9094");
});

test("the history is a bounded ring: the oldest samples go once the limit is reached", () => {
  const tl = history(25, 100, 10);
  assert.equal(tl.samples.length, 10);
  assert.equal(tl.samples[0].at, T0 + 15 * 2000, "the newest ten are kept");
  assert.equal(tl.samples[9].at, T0 + 24 * 2000);
});

test("drawn: the leader change's marker L is in the column of its sample, and the cursor shows it", () => {
  const tl = history(50, 30);
  const lines = drawTimeline(tl, NEWEST, { columns: COLUMNS, height: 20 }).map((l) => l.text);
  const markers = lines.find((l) => l.startsWith("markers"))!;
  const leader = lines.find((l) => l.startsWith("leader"))!;
  const node1 = lines.find((l) => l.startsWith("1 127.0.0.1:9091"))!;
  const col = markers.indexOf("L");
  assert.ok(col > 0, markers);
  // All 50 polls fit: the window starts at poll 0, so poll 30 is 30 columns into the chart.
  assert.equal(leader[col - 1], "1", "node 1 led before");
  assert.equal(leader[col], "2", "node 2 leads from the marker on");
  assert.equal(node1[col - 1], "_", "no lag: the lowest level");
  assert.equal(node1[col], "x", "node 1 is DOWN from the same poll");
  assert.equal(leader.slice(col - 30, col), "1".repeat(30), "thirty polls before it");
  assert.match(
    lines.at(-2)!,
    new RegExp(`^cursor ${clock(T0 + 49 * 2000)} \\(newest\\): term 4, leader 127\\.0\\.0\\.1:9092`),
  );

  // The cursor moved onto the change: the caret is under the marker, and it names the change.
  const back = 49 - 30;
  const at = drawTimeline(tl, { back, offset: 0, top: 0 }, { columns: COLUMNS, height: 20 }).map(
    (l) => l.text,
  );
  assert.equal(at.at(-4)!.indexOf("^"), col, "the caret is under the L");
  assert.match(
    at.at(-2)!,
    new RegExp(`^cursor ${clock(T0 + 30 * 2000)} \\(-38s\\): term 4, leader 127\\.0\\.0\\.1:9092 *$`),
  );
  assert.match(at.at(-1)!, /^changes: leader → 127\.0\.0\.1:9092, term → 4, 127\.0\.0\.1:9091 DOWN *$/);
  assert.match(lines.at(-1)!, /^changes: none *$/);
  // The axis is labelled in local time, a tick under the newest sample's column every 16 polls back.
  const axis = at.at(-3)!;
  assert.ok(axis.startsWith("local time"));
  assert.equal(axis.indexOf(`|${clock(T0 + 33 * 2000)}`), col + 3);
});

test("the cursor scrolls the window through time; ↑↓ scroll the node rows", () => {
  const width = chartWidth(COLUMNS);
  const tl = history(width * 3, width);
  const count = tl.samples.length;
  let view = NEWEST;
  // Left inside the window: only the cursor moves.
  view = navigate(view, { cursor: -(width - 1), chartWidth: width }, count, 3);
  assert.deepEqual(view, { back: width - 1, offset: 0, top: 0 });
  // One more: the window scrolls with it.
  view = navigate(view, { cursor: -1, chartWidth: width }, count, 3);
  assert.deepEqual(view, { back: width, offset: 1, top: 0 });
  const title = drawTimeline(tl, view, { columns: COLUMNS, height: 20 })[0].text;
  assert.match(title, /\(1 newer to the right\)/);
  assert.match(
    title,
    new RegExp(`TIMELINE ${clock(T0 + (count - 1 - width) * 2000)}–${clock(T0 + (count - 2) * 2000)}`),
  );
  // To the oldest and back to the newest.
  view = navigate(view, { to: "oldest", chartWidth: width }, count, 3);
  assert.deepEqual(view, { back: count - 1, offset: count - width, top: 0 });
  view = navigate(view, { to: "newest", chartWidth: width }, count, 3);
  assert.deepEqual(view, { back: 0, offset: 0, top: 0 });
  // A new poll: a cursor off the newest stays on its sample; on the newest it follows.
  assert.deepEqual(followSample({ back: 5, offset: 2, top: 0 }, count), { back: 6, offset: 3, top: 0 });
  assert.equal(followSample(NEWEST, count), NEWEST);
  // Rows: only as far as the nodes go.
  assert.deepEqual(navigate(NEWEST, { rows: 5 }, count, 3), { back: 0, offset: 0, top: 2 });
  const short = drawTimeline(tl, { back: 0, offset: 0, top: 1 }, { columns: COLUMNS, height: 11 }).map(
    (l) => l.text,
  );
  assert.ok(!short.some((l) => l.startsWith("1 127.0.0.1:9091")), "node 1 scrolled off");
  assert.match(short.join("\n"), /nodes: 1 above, 1 below \(↑↓ scroll\)/);
  assert.ok(
    short.some((l) => l.startsWith("2 127.0.0.1:9092")),
    "node 2 shown",
  );
});

test("the reducer records every poll and the view opens with t, moves, and goes back", () => {
  const actions: Action[] = Array.from({ length: 40 }, (_, i) => ({
    type: "snapshot",
    snapshot: poll(i, 30),
  }));
  let state = stateAfter(actions, { columns: COLUMNS, rows: 30 });
  assert.equal(state.timeline.samples.length, 40);
  state = reducer(state, { type: "timelineOpen" });
  assert.equal(state.mode, "timeline");
  state = reducer(state, { type: "timelineNav", nav: { cursor: -3, chartWidth: 60 } });
  assert.equal(state.timelineView.back, 3);
  state = reducer(state, { type: "snapshot", snapshot: poll(40, 30) });
  assert.equal(state.timelineView.back, 4, "the cursor stays on the poll it was on");
  state = reducer(state, { type: "back" });
  assert.equal(state.mode, "list");
});
