import "./force-color.ts";
import { test } from "node:test";
import assert from "node:assert/strict";
import { renderToString } from "ink";
import { render } from "ink-testing-library";
import { Screen, MIN_COLUMNS, MIN_ROWS } from "../../src/tui/components/Screen.tsx";
import type { Action, AppState } from "../../src/tui/state.ts";
import { chooseTheme, colorTheme, dumbTheme, noColorTheme, type Theme } from "../../src/tui/theme.ts";
import type { AddPlan } from "../../src/tui/state.ts";
import { addPlan, healthy, metaRow, node3Down, plan, snapshot, stateAfter, T0 } from "./fixtures.ts";
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
  { type: "planLoaded", httpAddr: ADDR3, plan: plan(over), force: false, forceReason: null, at: 0 },
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
    at: 0,
  },
];

test("healthy cluster: header with leader, 3/3 voters up and the poll time; the leader row says LEADER", () => {
  const frame = plain(view(healthyState()));
  assert.match(
    frame,
    /leader 127\.0\.0\.1:9091 {2}3\/3 voters up, tolerates 1 failure {2}term 3 {2}polled \d\d:\d\d:\d\d/,
  );
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
  assert.match(frame, /\d\d:\d\d:\d\d meta node 3 at 127\.0\.0\.1:9093 is DOWN \(connection refused\)/);
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
  assert.match(
    frame,
    /3 voters, tolerates 1 failure → 2 voters, tolerates 0 failures \(LOWERS fault tolerance\); quorum after removal: 2 of 2 \(2 reachable\)\./,
  );
  assert.match(frame, /y removes it\. n, Esc, Enter or any other key cancels\./);
  const leader = prose(view(stateAfter(confirmActions({ node: { ...plan().node, isLeader: true } }), size)));
  assert.match(leader, /It is the LEADER\./);
  const loading = stateAfter(confirmActions().slice(0, 3), size);
  assert.match(prose(view(loading)), /Checking what this removal would do/);
});

test("the force dialog explains the consequence and asks for the address", () => {
  const frame = prose(view(stateAfter([...forceActions, { type: "forceType", text: "127.0" }], size)));
  assert.match(frame, /FORCE-remove meta node 127\.0\.0\.1:9093 \(id 3\)/);
  assert.match(frame, /Warning: force is needed: meta node 127\.0\.0\.1:9093 could not be reached/);
  assert.match(frame, /do not restart that node with its old data/);
  assert.match(frame, /Type 127\.0\.0\.1:9093 and press Enter to remove it\. Esc cancels\./);
  assert.match(frame, /> 127\.0/);
});

test("read-only shows in the header and the key bar", () => {
  const frame = plain(view(stateAfter([{ type: "snapshot", snapshot: healthy() }], size, 'profile "prod"')));
  assert.match(frame, /\[READ-ONLY\]/);
  assert.match(frame, /d remove \(read-only\)/);
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
        { type: "helpScroll", delta: 10 },
      ],
    ],
    [
      "detail",
      [
        { type: "snapshot", snapshot: node3Down() },
        { type: "moveTo", where: "last" },
        { type: "detailOpen" },
      ],
    ],
    ["events", [...manyEvents(30), { type: "eventsOpen" }, { type: "eventsScroll", delta: -4 }]],
    ["add", addActions()],
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

function manyEvents(n: number): Action[] {
  const actions: Action[] = [{ type: "snapshot", snapshot: healthy() }];
  for (let i = 0; i < n; i++)
    actions.push({
      type: "status",
      text: `event ${i}: ${"a long explanation that wraps ".repeat(i % 4)}end ${i}`,
      tone: i % 3 ? "info" : "warn",
      at: T0 + i * 1000,
    });
  return actions;
}

function addActions(over: Partial<AddPlan> = {}): Action[] {
  return [
    { type: "snapshot", snapshot: healthy() },
    { type: "addStart" },
    { type: "addType", text: "127.0.0.1:9094" },
    { type: "addSubmit" },
    { type: "addPlanned", httpAddr: "127.0.0.1:9094", plan: addPlan(over), at: T0 },
  ];
}

test("the detail pane: Raft view, voters the node sees, and its last warning in full", () => {
  const long =
    "meta node 127.0.0.1:9093 was removed but did not wipe its meta dir (connection reset); run influxd-ctl leave on it or wipe it before reuse";
  const state = stateAfter(
    [
      { type: "snapshot", snapshot: healthy() },
      { type: "moveTo", where: "last" },
      { type: "removeFailed", httpAddr: ADDR3, error: long, at: T0 },
      { type: "statusExpire", at: T0 + 60_000 },
      { type: "detailOpen" },
      {
        type: "detailStatus",
        key: `meta:${ADDR3}`,
        error: null,
        status: {
          nodeType: "meta",
          id: 3,
          serverId: "srv-3",
          httpAddr: ADDR3,
          raftAddr: "127.0.0.1:8083",
          leader: "127.0.0.1:8081",
          leaderHttp: "127.0.0.1:9091",
          peers: [],
          version: "0.1.0",
          startedAt: new Date(T0).toISOString(),
          adminAddr: "127.0.0.1:9084",
          clusterId: "1",
          removal: null,
          storage: { ok: true, error: null },
          raft: {
            state: "follower",
            term: 3,
            commitIndex: 42,
            appliedIndex: 41,
            lastLogIndex: 43,
            lastContactMs: 12,
            voters: ["127.0.0.1:8081", "127.0.0.1:8082", "127.0.0.1:8083"],
            nonvoters: [],
            configIndex: 9,
            servers: [],
          },
        },
      },
    ],
    { columns: 80, rows: 30 },
  );
  const text = prose(view(state));
  assert.match(text, /meta node 3 at 127\.0\.0\.1:9093/);
  assert.match(text, /Raft 127\.0\.0\.1:8083; voter; leader's view: in contact with the leader/);
  assert.match(text, /State follower, term 3; server id srv-3/);
  assert.match(text, /last index 43, commit 42, applied 41; last contact with the leader 12ms/);
  assert.match(
    text,
    /Voters as this node sees them: 127\.0\.0\.1:8081, 127\.0\.0\.1:8082, 127\.0\.0\.1:8083/,
  );
  assert.ok(text.includes(`Last warning (`) && text.includes(long), "the whole warning, not cut: " + text);
  const none = prose(
    view(
      stateAfter(
        [
          {
            type: "snapshot",
            snapshot: snapshot([metaRow(1), metaRow(2, { suffrage: "none", raftActive: false })]),
          },
          { type: "moveTo", where: "last" },
          { type: "detailOpen" },
        ],
        { columns: 100, rows: 30 },
      ),
    ),
  );
  assert.match(none, /not in the Raft configuration; leader's view: NOT in contact with the leader/);
});

test("the events view wraps every event whole and says what is scrolled past", () => {
  const state = stateAfter([...manyEvents(30), { type: "eventsOpen" }, { type: "eventsScroll", delta: -2 }], {
    columns: 60,
    rows: 30,
  });
  const frame = plain(view(state));
  const pane = lines(frame).slice(2, -2).join("\n"); // without the header, status line and key bar
  assert.match(pane, /EVENTS \d+-28 of 30 \(2 newer below\)/);
  assert.match(pane, /end 27$/, "the newest shown event ends whole, wrapped, not cut");
  assert.doesNotMatch(pane, /end 2[89]/);
  assert.ok(widest(frame) <= 60);
});

test("the events pane uses a tall terminal's rows instead of leaving them blank", () => {
  const state = stateAfter(manyEvents(80), { columns: 100, rows: 60 });
  const frame = lines(plain(view(state)));
  const shown = frame.filter((l) => /^\d\d:\d\d:\d\d event/.test(l)).length;
  assert.ok(shown >= 45, `${shown} events shown on 60 rows`);
  assert.equal(frame.length, 59);
});

test("at 40 columns the table keeps the address and STATE", () => {
  const out = plain(
    renderToString(
      <Screen
        state={stateAfter([{ type: "snapshot", snapshot: node3Down() }], { columns: 40, rows: 12 })}
        theme={noColorTheme}
        context={CONTEXT}
      />,
      { columns: 40 },
    ),
  );
  assert.match(out, /HTTP ADDRESS +PING +STATE/);
  assert.match(out, /127\.0\.0\.1:9091 +ok +LEADER/);
  assert.match(out, /127\.0\.0\.1:9093 +DOWN +DOWN/);
});

test("the add dialog shows the plan, a refusal, and the help the demo's PIDs", () => {
  const ok = prose(view(stateAfter(addActions(), size)));
  assert.match(ok, /Add meta node 127\.0\.0\.1:9094\?/);
  assert.match(ok, /It answers: Raft address 127\.0\.0\.1:8084, state unbootstrapped/);
  assert.match(ok, /Voters 3 → 4 once it has caught up .* quorum then: 3 of 4/);
  assert.match(ok, /y asks the admin service to add it/);
  const refused = prose(
    view(
      stateAfter(
        addActions({
          reachable: false,
          refusal:
            "meta node 127.0.0.1:9094 could not be reached (connection refused); start it and try again",
        }),
        size,
      ),
    ),
  );
  assert.match(refused, /REFUSED: meta node 127\.0\.0\.1:9094 could not be reached/);
  assert.doesNotMatch(refused, /y asks/);
  const help = prose(
    view(
      stateAfter(
        [
          { type: "snapshot", snapshot: healthy() },
          { type: "help", open: true },
        ],
        size,
      ),
    ),
  );
  assert.match(help, /demo cluster: pids node1 101, node2 102, node3 103; kill one to see it go DOWN/);
});

test("membership unknown is said in the header, and the table is not called empty", () => {
  const state = stateAfter(
    [{ type: "snapshot", snapshot: snapshot([], { membershipKnown: false, leaderHttp: null }) }],
    size,
  );
  const frame = plain(view(state));
  assert.match(
    frame,
    /leader none {2}membership unknown \(no leader answered\) {2}0\/0 voters up - NO QUORUM/,
  );
  assert.match(frame, /membership unknown: no leader answered/);
  assert.doesNotMatch(frame, /no nodes in the cluster/);
});

test("a refused removal leads with the refusal and shows no plan arithmetic nor handover", () => {
  const lastVoter = plan({
    node: { ...plan().node, isLeader: true },
    votersBefore: 1,
    votersAfter: 0,
    quorumAfter: 1,
    refusal: "meta node 127.0.0.1:9093 is the last voter; removing it would leave no cluster",
    refusalCode: "LAST_VOTER",
    warnings: ["leadership moves to another voter first"],
  });
  const frame = prose(view(stateAfter(confirmActions(lastVoter), size)));
  const body = frame.slice(frame.indexOf("Remove meta node"));
  assert.match(
    body,
    /^Remove meta node 127\.0\.0\.1:9093 \(id 3\)\? REFUSED: meta node .* is the last voter/,
  );
  assert.match(body, /Now: 1 voter, tolerates 0 failures\./);
  assert.doesNotMatch(body, /1 of 0|→|leadership moves/);
  assert.match(body, /Nothing will be changed\. Any key closes\./);
});

test("the force dialog does not tell the TUI user to use -force; a refused force dialog leads with the refusal", () => {
  const needs = stateAfter(
    [
      ...forceActions.slice(0, 3),
      {
        type: "planLoaded",
        httpAddr: ADDR3,
        plan: plan({ node: { ...plan().node, reachable: false } }),
        force: true,
        forceReason: `meta node ${ADDR3} could not be reached; use -force to remove an unreachable node`,
        at: 0,
      },
    ],
    size,
  );
  const frame = prose(view(needs));
  assert.match(frame, /force is needed: meta node 127\.0\.0\.1:9093 could not be reached/);
  assert.doesNotMatch(frame, /-force/);
  const refused = stateAfter(
    [
      ...forceActions.slice(0, 3),
      {
        type: "planLoaded",
        httpAddr: ADDR3,
        plan: plan({ refusal: "the Raft configuration changed", votersAfter: 0 }),
        force: true,
        forceReason: "meta node 127.0.0.1:9093 could not be reached",
        at: 0,
      },
    ],
    size,
  );
  const text = prose(view(refused));
  assert.match(text.slice(text.indexOf("FORCE-remove")), /^FORCE-remove meta node \S+ \(id 3\) REFUSED:/);
});

test("a failed add keeps its dialog with the whole error; a non-blank node is refused, with no y", () => {
  const long =
    "adding meta node 127.0.0.1:9094 failed: joining the cluster through 127.0.0.1:9091 failed: the leader refused the configuration change because another change is in flight; retry when it is done";
  const failed = stateAfter(
    [
      ...addActions(),
      { type: "addStarted", at: T0 + 1 },
      { type: "addFailed", httpAddr: "127.0.0.1:9094", error: long, at: T0 + 2 },
    ],
    size,
  );
  const frame = prose(view(failed));
  assert.ok(frame.includes(`FAILED: ${long}`), frame);
  assert.match(frame, /Any key closes/);
  assert.doesNotMatch(frame, /\by add\b/, "no y on a failure");
  const notBlank = stateAfter(
    addActions({
      state: "follower",
      refusal:
        "meta node 127.0.0.1:9094 is not blank (its Raft state is follower): only a blank meta node can be added; wipe its meta dir first",
    }),
    size,
  );
  const refused = prose(view(notBlank));
  assert.match(refused, /Add meta node 127\.0\.0\.1:9094\? REFUSED: .* is not blank/);
  assert.doesNotMatch(refused, /\by add\b|y asks/, "y is not offered");
});
