// The rolling-restart guide's logic: the order, the caught-up predicate and the steps, over the
// snapshots the poller builds.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { NodeRow } from "../../src/tui/model.ts";
import {
  advanceGuide,
  CAUGHT_UP_MAX_CONTACT_MS,
  CAUGHT_UP_MAX_LAG,
  caughtUp,
  restartOrder,
  startGuide,
  startRefusal,
  type RollingRestart,
} from "../../src/tui/rolling-restart.ts";
import { initialState, reducer } from "../../src/tui/state.ts";
import { KEY, withKeys } from "./harness.tsx";
import { stateAfter, metaRow, snapshot, T0 } from "./fixtures.ts";

const STARTED = new Date(T0).toISOString();
const RESTARTED = new Date(T0 + 60_000).toISOString();

/** A node as the poller reports our meta nodes: configuration index and process start included. */
function node(n: number, over: Partial<NodeRow> = {}): NodeRow {
  return metaRow(n, { configIndex: 9, startedAt: STARTED, ...over });
}

const cluster = (over: Record<number, Partial<NodeRow>> = {}, leader = 1) =>
  snapshot(
    [1, 2, 3].map((n) =>
      node(n, {
        state: n === leader ? "leader" : "follower",
        lastContactMs: n === leader ? 0 : 12,
        ...over[n],
      }),
    ),
  );

const key = (n: number) => `meta:127.0.0.1:${9090 + n}`;
const down = { up: false, state: null, error: "connection refused", commitIndex: null, appliedIndex: null };

/** Runs the guide over the snapshots, returning the last guide and everything it said. */
function run(guide: RollingRestart, ...snapshots: ReturnType<typeof cluster>[]) {
  const said: string[] = [];
  for (const s of snapshots) {
    const r = advanceGuide(guide, s);
    guide = r.guide;
    said.push(...r.news.map((n) => n.text));
  }
  return { guide, said };
}

test("order: followers by ID first, the leader last; non-voters before voters", () => {
  assert.deepEqual(restartOrder(cluster({}, 2)), [key(1), key(3), key(2)]);
  const withNonvoter = cluster({ 1: { suffrage: "nonvoter", state: "follower" } }, 3);
  assert.deepEqual(restartOrder(withNonvoter), [key(1), key(2), key(3)]);
  assert.equal(
    restartOrder(snapshot([node(1), node(2), node(3, { suffrage: "none" })])).length,
    2,
    "a record outside the Raft configuration is no Raft member to restart",
  );
});

test("refused without a failure to spare, in the fault-tolerance words", () => {
  assert.equal(startRefusal(cluster()), null);
  const one = snapshot([node(1)]);
  assert.match(startRefusal(one)!, /^1 voter, tolerates 0 failures; a restart loses quorum$/);
  const two = snapshot([node(1), node(2)]);
  assert.match(startRefusal(two)!, /^2 voters, tolerates 0 failures; a restart loses quorum$/);
  assert.match(
    startRefusal(cluster({ 3: down }))!,
    /meta node 3 at 127\.0\.0\.1:9093 is DOWN .*bring it back/,
  );
  assert.match(startRefusal(cluster({}, 0))!, /no leader answers/);
  assert.match(
    startRefusal(snapshot([node(1), node(2), node(3)], { raftUnreported: true }))!,
    /Go\/Enterprise/,
  );
});

test("caught up: every condition, each failing on its own", () => {
  const ok = cluster({ 2: { commitIndex: 42, appliedIndex: 42 } });
  assert.ok(caughtUp(ok.rows[1], ok).every((c) => c.met));
  const failing = (over: Partial<NodeRow>, which: RegExp) => {
    const s = cluster({ 2: over });
    const unmet = caughtUp(s.rows[1], s).filter((c) => !c.met);
    assert.equal(unmet.length, 1, `only one unmet for ${JSON.stringify(over)}: ${unmet.map((c) => c.text)}`);
    assert.match(unmet[0].text, which);
  };
  failing(
    { commitIndex: 41 - CAUGHT_UP_MAX_LAG, appliedIndex: 41 - CAUGHT_UP_MAX_LAG },
    /^applied within 10 entries/,
  );
  failing({ commitIndex: 43, appliedIndex: 42 }, /^commit index = applied index \(commit 43, applied 42\)/);
  failing({ lastContactMs: CAUGHT_UP_MAX_CONTACT_MS + 1 }, /^recent contact with the leader/);
  failing({ lastContactMs: null }, /recent contact .*none yet/);
  failing({ raftActive: false }, /the leader does not see it/);
  failing({ configIndex: 7 }, /^same Raft configuration .*config index 7, leader's 9/);
  // A node a little behind a busy leader is in step.
  const busy = cluster({
    1: { commitIndex: 42 + CAUGHT_UP_MAX_LAG },
    2: { commitIndex: 42, appliedIndex: 42 },
  });
  assert.ok(caughtUp(busy.rows[1], busy).every((c) => c.met));
});

test("a step unlocks the next node only after a restart and a catch-up; the leader goes last", () => {
  let guide = startGuide(cluster());
  assert.deepEqual(guide.order, [key(2), key(3), key(1)]);
  let r = run(guide, cluster());
  assert.equal(r.guide.step, 0, "not restarted yet: nothing unlocks");
  assert.equal(r.guide.phase, "restart");
  // Down, then up but replaying its log: still locked.
  r = run(
    r.guide,
    cluster({ 2: down }),
    cluster({ 2: { appliedIndex: 12, commitIndex: 30, lastContactMs: 5 } }),
  );
  assert.equal(r.guide.step, 0);
  assert.equal(r.guide.phase, "back");
  assert.deepEqual(r.said, [
    "meta node 2 at 127.0.0.1:9092 is DOWN for its restart",
    "meta node 2 at 127.0.0.1:9092 was restarted; waiting for it to catch up",
  ]);
  r = run(r.guide, cluster({ 2: { appliedIndex: 42, commitIndex: 42 } }));
  assert.equal(r.guide.step, 1);
  assert.deepEqual(r.said, [
    "meta node 2 at 127.0.0.1:9092 is back and caught up (applied 42); next: meta node 3 at 127.0.0.1:9093",
  ]);
  guide = r.guide;
  // A restart too quick for a poll to see it down: a new process start time.
  r = run(guide, cluster({ 3: { startedAt: RESTARTED } }), cluster({ 3: { startedAt: RESTARTED } }));
  assert.equal(r.guide.step, 2);
  assert.equal(r.guide.order[2], key(1), "the leader, last");
  // The leader restarts: no leader for a poll, then node 2 leads; node 1 catches up as a follower.
  r = run(
    r.guide,
    cluster({ 1: down }, 0),
    cluster({ 1: { startedAt: RESTARTED, state: "follower", lastContactMs: 20 } }, 2),
  );
  assert.equal(r.guide.phase, "done");
  assert.match(
    r.said.at(-1)!,
    /rolling restart done: every meta node was restarted \(3 voters, tolerates 1 failure\)/,
  );
});

test("another node going down stops the guide; so does a membership change", () => {
  const guide = startGuide(cluster());
  const r = run(guide, cluster({ 2: down }), cluster({ 2: down, 3: down }), cluster());
  assert.equal(r.guide.phase, "stopped");
  assert.match(r.guide.stopped!, /meta node 3 at 127\.0\.0\.1:9093 is DOWN .*not the node being restarted/);
  assert.equal(r.said.filter((t) => /stopped/.test(t)).length, 1, "said once");
  const removed = run(guide, snapshot([node(1), node(2)]));
  assert.match(removed.guide.stopped!, /membership changed/);
});

test("the leader changed mid-guide: the remaining steps put the new leader last", () => {
  const guide = startGuide(cluster());
  // Node 3 took over while node 2 restarted: node 3 goes last, the old leader before it.
  const r = run(
    guide,
    cluster({ 2: down }),
    cluster({ 2: { lastContactMs: 5 } }, 3),
    cluster({ 2: { lastContactMs: 5 } }, 3),
  );
  assert.deepEqual(r.guide.order, [key(2), key(1), key(3)]);
});

test("the reducer: u starts the guide, a refusal leaves the table, Esc leaves it", () => {
  const started = stateAfter([
    { type: "snapshot", snapshot: cluster() },
    { type: "rollingStart", at: T0 },
  ]);
  assert.equal(started.mode, "rolling");
  assert.equal(started.rolling?.order[0], key(2));
  const advanced = reducer(started, { type: "snapshot", snapshot: cluster({ 2: down }) });
  assert.equal(advanced.rolling?.phase, "down", "each poll advances the guide");
  assert.match(advanced.events.at(-1)!.text, /meta node 2 at 127\.0\.0\.1:9092 is DOWN for its restart/);
  const refused = stateAfter([
    { type: "snapshot", snapshot: snapshot([node(1)]) },
    { type: "rollingStart", at: T0 },
  ]);
  assert.equal(refused.mode, "list");
  assert.match(refused.status!.text, /rolling restart refused: 1 voter, tolerates 0 failures/);
  const left = stateAfter([
    { type: "snapshot", snapshot: cluster() },
    { type: "rollingStart", at: T0 },
    { type: "rollingLeave", at: T0 },
  ]);
  assert.equal(left.mode, "list");
  assert.equal(left.rolling, null);
  assert.match(left.status!.text, /left at step 1 of 3/);
});

test("R in the guide restarts the node it names, only in a session that owns its nodes (the demo)", async () => {
  const guideOn = (canRestart: boolean) =>
    [
      { type: "snapshot" as const, snapshot: cluster() },
      { type: "rollingStart" as const, at: T0 },
    ].reduce(reducer, initialState({ columns: 120, rows: 30, readOnly: null, canRestart }));
  const demo = await withKeys(guideOn(true));
  assert.match(demo.frame(), /R restarts it \(demo\)/);
  await demo.type("R");
  assert.deepEqual(demo.calls.restart, ["127.0.0.1:9092"]);
  demo.unmount();
  const production = await withKeys(guideOn(false));
  assert.doesNotMatch(production.frame(), /R restart/);
  await production.type("R");
  assert.deepEqual(production.calls.restart, [], "the view restarts no production node");
  assert.equal(production.state().mode, "rolling");
  await production.type(KEY.ctrlC);
  assert.equal(production.state().mode, "list", "Ctrl-C leaves the guide");
  assert.equal(production.calls.quit, 0);
  production.unmount();
});
