import "./force-color.ts";
import { test } from "node:test";
import assert from "node:assert/strict";
import { renderToString } from "ink";
import { render } from "ink-testing-library";
import { Screen, MIN_COLUMNS, MIN_ROWS } from "../../src/tui/components/Screen.tsx";
import type { Action, AppState } from "../../src/tui/state.ts";
import { chooseTheme, colorTheme, dumbTheme, noColorTheme, type Theme } from "../../src/tui/theme.ts";
import { healthy, node3Down, plan, stateAfter, T0 } from "./fixtures.ts";
import { ANY_ESCAPE, COLOR_ESCAPE, lines, plain, prose, widest } from "./frame.ts";
import { CONTEXT } from "./harness.tsx";

const ADDR3 = "127.0.0.1:9093";

function view(state: AppState, theme: Theme = colorTheme): string {
  const ui = render(<Screen state={state} theme={theme} context={CONTEXT} />);
  const frame = ui.lastFrame() ?? "";
  ui.unmount();
  return frame;
}

const size = { columns: 100, rows: 24 };
const healthyState = () => stateAfter([{ type: "snapshot", snapshot: healthy() }], size);
const downState = () =>
  stateAfter(
    [
      { type: "snapshot", snapshot: healthy() },
      { type: "snapshot", snapshot: node3Down() },
    ],
    size,
  );
const confirmActions = (over = {}): Action[] => [
  { type: "snapshot", snapshot: healthy() },
  { type: "moveTo", where: "last" },
  { type: "removeAsked", row: healthy().rows[2], at: T0 },
  { type: "planLoaded", httpAddr: ADDR3, plan: plan(over), force: false, forceReason: null },
];
const forceActions: Action[] = [
  { type: "snapshot", snapshot: node3Down() },
  { type: "moveTo", where: "last" },
  { type: "removeAsked", row: node3Down().rows[2], at: T0 },
  {
    type: "planLoaded",
    httpAddr: ADDR3,
    plan: plan({ node: { ...plan().node, reachable: false } }),
    force: true,
    forceReason: `meta node ${ADDR3} could not be reached`,
  },
];

test("healthy cluster: header with leader, 3/3 voters up and the poll time; the leader row says LEADER", () => {
  const frame = plain(view(healthyState()));
  assert.match(frame, /leader 127\.0\.0\.1:9091 {2}3\/3 voters up {2}term 3 {2}polled \d\d:\d\d:\d\d/);
  assert.doesNotMatch(frame, /quorum at risk/);
  assert.match(frame, /meta +1 127\.0\.0\.1:9091 +ok +<1ms LEADER +3 +42\/42/);
  assert.match(frame, /meta +2 127\.0\.0\.1:9092 +ok +<1ms follower/);
  assert.match(frame, /ROLE +ID HTTP ADDRESS +PING +LAT STATE/);
});

test("a down node reads DOWN as text, the quorum warning is red, and the event is listed", () => {
  const raw = view(downState());
  const frame = plain(raw);
  assert.match(frame, /meta +3 127\.0\.0\.1:9093 +DOWN +- DOWN/);
  assert.match(frame, /2\/3 voters up - quorum at risk/);
  assert.match(frame, /\d\d:\d\d:\d\d meta node 127\.0\.0\.1:9093 \(id 3\) DOWN: connection refused/);
  // chalk's red is SGR 31; the quorum text is drawn with it.
  assert.ok(raw.includes("\x1b[31m2/3 voters up - quorum at risk"), "the quorum warning is red");
});

test("no-colour output has no colour escapes; the colour theme does (so the check means something)", () => {
  for (const state of [downState(), stateAfter(confirmActions(), size), stateAfter(forceActions, size)]) {
    assert.match(view(state, colorTheme), COLOR_ESCAPE);
    const nc = view(state, noColorTheme);
    assert.doesNotMatch(nc, COLOR_ESCAPE);
    assert.match(plain(nc), /DOWN|remove meta node/i, "state stays readable as words");
    assert.doesNotMatch(view(state, dumbTheme), ANY_ESCAPE, "TERM=dumb gets no escapes at all");
  }
});

test("theme choice: NO_COLOR, -no-color and TERM=dumb", () => {
  assert.equal(chooseTheme({ noColorFlag: false, env: { TERM: "xterm-256color" } }).name, "color");
  assert.equal(chooseTheme({ noColorFlag: false, env: { NO_COLOR: "1" } }).name, "no-color");
  assert.equal(
    chooseTheme({ noColorFlag: false, env: { NO_COLOR: "" } }).name,
    "color",
    "empty NO_COLOR is unset",
  );
  assert.equal(chooseTheme({ noColorFlag: true, env: {} }).name, "no-color");
  assert.equal(chooseTheme({ noColorFlag: false, env: { TERM: "dumb" } }).name, "dumb");
});

test("the remove dialog names the node, says whether it leads, the quorum after, and defaults to cancel", () => {
  const frame = prose(view(stateAfter(confirmActions(), size)));
  assert.match(frame, /Remove meta node 127\.0\.0\.1:9093 \(id 3\)\?/);
  assert.match(frame, /It is not the leader\./);
  assert.match(frame, /Voters 3 → 2; quorum after removal: 2 of 2 \(2 reachable\)\./);
  assert.match(frame, /y removes it\. n, Esc, Enter or any other key cancels\./);
  const leader = prose(view(stateAfter(confirmActions({ node: { ...plan().node, isLeader: true } }), size)));
  assert.match(leader, /It is the LEADER\./);
  const loading = stateAfter(confirmActions().slice(0, 3), size);
  assert.match(prose(view(loading)), /Checking what this removal would do/);
});

test("the force dialog explains the consequence and asks for the address", () => {
  const frame = prose(view(stateAfter([...forceActions, { type: "forceType", text: "127.0" }], size)));
  assert.match(frame, /FORCE-remove meta node 127\.0\.0\.1:9093 \(id 3\)/);
  assert.match(frame, /WARNING: meta node 127\.0\.0\.1:9093 could not be reached/);
  assert.match(frame, /do not restart that node with its old data/);
  assert.match(frame, /Type 127\.0\.0\.1:9093 and press Enter to remove it\. Esc cancels\./);
  assert.match(frame, /> 127\.0/);
});

test("read-only shows in the header and the key bar", () => {
  const frame = plain(view(stateAfter([{ type: "snapshot", snapshot: healthy() }], size, 'profile "prod"')));
  assert.match(frame, /\[READ-ONLY\]/);
  assert.match(frame, /d \(read-only\)/);
});

test("every view at every size stays inside the terminal: width <= columns, height <= rows-1", () => {
  const states: [string, Action[]][] = [
    ["list", [{ type: "snapshot", snapshot: node3Down() }]],
    [
      "confirm",
      confirmActions({ warnings: ["a long warning about something the operator must read first"] }),
    ],
    ["force", forceActions],
    [
      "help",
      [
        { type: "snapshot", snapshot: healthy() },
        { type: "help", open: true },
      ],
    ],
  ];
  for (const [name, actions] of states) {
    for (const columns of [20, 39, 40, 41, 55, 80, 132]) {
      for (const rows of [5, 9, 10, 11, 14, 24, 50]) {
        const state = stateAfter(actions, { columns, rows });
        const out = renderToString(<Screen state={state} theme={noColorTheme} context={CONTEXT} />, {
          columns,
        });
        const where = `${name} at ${columns}x${rows}`;
        assert.ok(widest(out) <= columns, `${where}: a line is wider than the terminal`);
        assert.ok(lines(out).length <= rows - 1, `${where}: ${lines(out).length} lines`);
        if (columns < MIN_COLUMNS || rows < MIN_ROWS)
          assert.match(plain(out).replace(/\n/g, " "), /Terminal too small/);
        else assert.match(plain(out), /influx-cluster/, where);
      }
    }
  }
});

test("narrow terminals drop low-priority columns but keep address, ping and state", () => {
  const out = plain(
    renderToString(
      <Screen
        state={stateAfter([{ type: "snapshot", snapshot: node3Down() }], { columns: 50, rows: 12 })}
        theme={noColorTheme}
        context={CONTEXT}
      />,
      { columns: 50 },
    ),
  );
  assert.match(out, /127\.0\.0\.1:9093 +DOWN/);
  assert.doesNotMatch(out, /RAFT ADDRESS|VERSION/);
  const wide = plain(
    renderToString(
      <Screen
        state={stateAfter([{ type: "snapshot", snapshot: node3Down() }], { columns: 140, rows: 12 })}
        theme={noColorTheme}
        context={CONTEXT}
      />,
      { columns: 140 },
    ),
  );
  assert.match(wide, /RAFT ADDRESS/);
  assert.match(wide, /VERSION/);
});
