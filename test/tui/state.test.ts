import { test } from "node:test";
import assert from "node:assert/strict";
import { diffSnapshots } from "../../src/tui/events.ts";
import { quorumHealth, verdict } from "../../src/tui/model.ts";
import { MAX_EVENTS, reducer, selectedRow, STATUS_TTL_MS, visibleRows } from "../../src/tui/state.ts";
import { plainTable } from "../../src/tui/table-format.ts";
import { votersText } from "../../src/tui/report.ts";
import { faultTolerance, faultToleranceText, lowersTolerance } from "../../src/wording.ts";
import { addPlan, healthy, metaRow, node3Down, plan, snapshot, stateAfter, T0 } from "./fixtures.ts";

const ADDR3 = "127.0.0.1:9093";

test("selection moves, clamps at both ends and follows its node across refreshes", () => {
  let s = stateAfter([{ type: "snapshot", snapshot: healthy() }]);
  assert.equal(selectedRow(s)?.id, 1, "the first row is selected at start");
  s = reducer(s, { type: "move", delta: -1 });
  assert.equal(selectedRow(s)?.id, 1);
  s = reducer(s, { type: "move", delta: 1 });
  s = reducer(s, { type: "move", delta: 5 });
  assert.equal(selectedRow(s)?.id, 3);
  s = reducer(s, { type: "moveTo", where: "first" });
  assert.equal(selectedRow(s)?.id, 1);
  s = reducer(s, { type: "moveTo", where: "last" });
  // A refresh that reorders rows keeps the same node selected.
  s = reducer(s, { type: "snapshot", snapshot: snapshot([metaRow(3), metaRow(1), metaRow(2)]) });
  assert.equal(selectedRow(s)?.id, 3);
  // The selected node disappears: the selection stays at the same position.
  s = reducer(s, { type: "snapshot", snapshot: snapshot([metaRow(1), metaRow(2)]) });
  assert.equal(selectedRow(s)?.id, 1);
});

test("the filter narrows rows by address, role and state words, and Esc clears it", () => {
  let s = stateAfter([{ type: "snapshot", snapshot: node3Down() }, { type: "filterStart" }]);
  assert.equal(s.mode, "filter");
  s = reducer(s, { type: "filterType", text: "dow" });
  s = reducer(s, { type: "filterType", text: "n" });
  assert.deepEqual(
    visibleRows(s).map((r) => r.id),
    [3],
    "DOWN nodes match 'down'",
  );
  assert.equal(selectedRow(s)?.id, 3, "the selection moves onto a visible row");
  s = reducer(s, { type: "filterErase" });
  assert.equal(s.filter, "dow");
  s = reducer(s, { type: "filterAccept" });
  assert.equal(s.mode, "list");
  assert.equal(s.filter, "dow", "Enter keeps the filter");
  s = reducer(s, { type: "filterClear" });
  assert.equal(s.filter, "");
  assert.equal(visibleRows(s).length, 3);
  const leader = reducer(reducer(s, { type: "filterStart" }), { type: "filterType", text: "LEADER" });
  assert.deepEqual(
    visibleRows(leader).map((r) => r.id),
    [1],
  );
});

test("moving and asking for removal do nothing outside list mode", () => {
  const s = stateAfter([{ type: "snapshot", snapshot: healthy() }, { type: "filterStart" }]);
  assert.equal(reducer(s, { type: "move", delta: 1 }), s);
  assert.equal(reducer(s, { type: "removeAsked", row: metaRow(2), at: T0 }), s);
});

test("d on a reachable node opens the confirm dialog, which waits for the plan", () => {
  let s = stateAfter([
    { type: "snapshot", snapshot: healthy() },
    { type: "removeAsked", row: metaRow(3), at: T0 },
  ]);
  assert.equal(s.mode, "confirm");
  assert.equal(s.removal?.plan, null);
  assert.equal(s.removal?.target.httpAddr, ADDR3);
  s = reducer(s, {
    type: "planLoaded",
    httpAddr: ADDR3,
    plan: plan(),
    force: false,
    forceReason: null,
    at: 0,
  });
  assert.equal(s.mode, "confirm");
  assert.equal(s.removal?.plan?.quorumAfter, 2);
  // A late answer about another node (the operator moved on) is ignored.
  assert.equal(
    reducer(s, { type: "planLoaded", httpAddr: "x:1", plan: plan(), force: true, forceReason: "y", at: 0 }),
    s,
  );
  const cancelled = reducer(s, { type: "dialogCancel", at: T0 });
  assert.equal(cancelled.mode, "list");
  assert.equal(cancelled.removal, null);
  assert.match(cancelled.status?.text ?? "", /cancelled; nothing was changed/);
});

test("a plan that needs force switches to the force dialog", () => {
  const s = stateAfter([
    { type: "snapshot", snapshot: healthy() },
    { type: "removeAsked", row: metaRow(3), at: T0 },
    {
      type: "planLoaded",
      httpAddr: ADDR3,
      plan: plan({ forceRequired: false }),
      force: true,
      forceReason: "quorum",
      at: 0,
    },
  ]);
  assert.equal(s.mode, "force-confirm");
  assert.equal(s.removal?.force, true);
  assert.equal(s.removal?.forceReason, "quorum");
});

test("d on a DOWN node opens the force dialog; typing, erasing and a mismatch are recorded", () => {
  const down = node3Down().rows[2];
  let s = stateAfter([
    { type: "snapshot", snapshot: node3Down() },
    { type: "removeAsked", row: down, at: T0 },
  ]);
  assert.equal(s.mode, "force-confirm");
  s = reducer(s, { type: "forceType", text: "127.0.0.1:909" });
  s = reducer(s, { type: "forceType", text: "4" });
  s = reducer(s, { type: "forceMismatch" });
  assert.equal(s.removal?.typed, "127.0.0.1:9094");
  assert.equal(s.removal?.mismatch, true);
  s = reducer(s, { type: "forceErase" });
  assert.equal(s.removal?.typed, "127.0.0.1:909");
  assert.equal(s.removal?.mismatch, false, "editing clears the mismatch message");
});

test("read-only and data nodes refuse d with a message and no dialog", () => {
  const ro = stateAfter([{ type: "snapshot", snapshot: healthy() }], undefined, "-read-only");
  const s = reducer(ro, { type: "removeAsked", row: metaRow(2), at: T0 });
  assert.equal(s.mode, "list");
  assert.equal(s.removal, null);
  assert.match(s.status?.text ?? "", /read-only \(-read-only\): removing nodes is disabled/);
  const data = metaRow(4, { role: "data", key: "data:x", httpAddr: "127.0.0.1:8086", state: null });
  const d = reducer(stateAfter([{ type: "snapshot", snapshot: healthy() }]), {
    type: "removeAsked",
    row: data,
    at: T0,
  });
  assert.equal(d.mode, "list");
  assert.match(d.status?.text ?? "", /data node; d removes meta nodes only/);
});

test("the removal outcome lands in the status line and the events, warnings included", () => {
  const asked = stateAfter([
    { type: "snapshot", snapshot: healthy() },
    { type: "removeAsked", row: metaRow(3), at: T0 },
    { type: "planLoaded", httpAddr: ADDR3, plan: plan(), force: false, forceReason: null, at: 0 },
  ]);
  const started = reducer(asked, { type: "removeStarted", at: T0 + 1 });
  assert.equal(started.mode, "removing");
  assert.equal(started.removal?.startedAt, T0 + 1);
  const done = reducer(started, {
    type: "removeDone",
    httpAddr: ADDR3,
    result: {
      id: 3,
      addr: ADDR3,
      cleanup: "skipped",
      warnings: ["node did not answer"],
      warningCodes: ["NOT_WIPED"],
    },
    at: T0 + 2,
  });
  assert.equal(done.mode, "list");
  assert.equal(done.status?.tone, "warn");
  assert.match(
    done.status?.text ?? "",
    /^Removed meta node 3 at 127\.0\.0\.1:9093\. Its meta dir was not wiped \(the node was unreachable\)\. Warning: node did not answer\.$/,
  );
  assert.equal(done.events.at(-1)?.text, done.status?.text);
  const failed = reducer(started, { type: "removeFailed", httpAddr: ADDR3, error: "no leader", at: T0 + 2 });
  assert.equal(failed.status?.tone, "error");
  assert.match(failed.status?.text ?? "", /removing 127\.0\.0\.1:9093 failed: no leader/);
});

test("a confirm without a loaded plan cannot start a removal", () => {
  const s = stateAfter([
    { type: "snapshot", snapshot: healthy() },
    { type: "removeAsked", row: metaRow(3), at: T0 },
  ]);
  assert.equal(reducer(s, { type: "removeStarted", at: T0 }), s);
});

test("events: leader change, node down and back, node removed, admin trouble", () => {
  const first = diffSnapshots(null, node3Down());
  assert.deepEqual(
    first.map((e) => e.text),
    ["meta node 3 at 127.0.0.1:9093 is DOWN (connection refused)"],
  );
  assert.deepEqual(diffSnapshots(healthy(), healthy()), [], "nothing changed, nothing to report");
  const newLeader = snapshot(
    [metaRow(1, { state: "follower" }), metaRow(2, { state: "leader" }), metaRow(3)],
    { term: 4 },
  );
  const texts = (a: ReturnType<typeof healthy>, b: ReturnType<typeof healthy>) =>
    diffSnapshots(a, b).map((e) => e.text);
  assert.deepEqual(texts(healthy(), newLeader), ["leader changed: 127.0.0.1:9091 → 127.0.0.1:9092 (term 4)"]);
  assert.deepEqual(texts(healthy(), node3Down()), [
    "meta node 3 at 127.0.0.1:9093 is DOWN (connection refused)",
  ]);
  assert.deepEqual(texts(node3Down(), healthy()), ["meta node 3 at 127.0.0.1:9093 is back up"]);
  assert.deepEqual(texts(healthy(), snapshot([metaRow(1), metaRow(2)])), [
    "meta node 3 at 127.0.0.1:9093 removed from the cluster",
  ]);
  assert.deepEqual(texts(healthy(), snapshot(healthy().rows, { adminError: "connection refused" })), [
    "admin service unreachable: connection refused",
  ]);
  assert.deepEqual(
    texts(healthy(), snapshot(healthy().rows, { adminError: "authorization failed", adminRefused: true })),
    ["admin service refused: authorization failed"],
  );
});

test("events are kept in order and capped", () => {
  let s = stateAfter([{ type: "snapshot", snapshot: healthy() }]);
  for (let i = 0; i < MAX_EVENTS / 2 + 10; i++) {
    s = reducer(s, { type: "snapshot", snapshot: { ...node3Down(), polledAt: T0 + i * 2 } });
    s = reducer(s, { type: "snapshot", snapshot: { ...healthy(), polledAt: T0 + i * 2 + 1 } });
  }
  assert.equal(s.events.length, MAX_EVENTS);
  assert.match(s.events.at(-1)?.text ?? "", /back up/);
  assert.ok(s.events.every((e, i) => i === 0 || e.at >= s.events[i - 1].at));
});

test("an identical poll keeps the same rows array, so the table does not redraw", () => {
  const a = stateAfter([{ type: "snapshot", snapshot: healthy() }]);
  const b = reducer(a, { type: "snapshot", snapshot: { ...healthy(), polledAt: T0 + 2000 } });
  assert.equal(b.cluster?.rows, a.cluster?.rows);
  assert.equal(b.cluster?.polledAt, T0 + 2000);
  const c = reducer(b, { type: "snapshot", snapshot: node3Down() });
  assert.notEqual(c.cluster?.rows, a.cluster?.rows);
});

test("quorum health: all up, degraded, at risk, lost", () => {
  assert.equal(quorumHealth(3, 3), "ok");
  assert.equal(quorumHealth(4, 5), "degraded");
  assert.equal(quorumHealth(2, 3), "at-risk");
  assert.equal(quorumHealth(1, 3), "lost");
  assert.equal(quorumHealth(0, 0), "lost");
  // A healthy single voter tolerates 0 failures by design: the header says so in words, not "at risk".
  assert.equal(quorumHealth(1, 1), "ok");
  assert.equal(votersText(1, 1), "1/1 voters up, tolerates 0 failures");
  assert.equal(votersText(3, 3), "3/3 voters up, tolerates 1 failure");
  assert.equal(votersText(4, 5), "4/5 voters up (degraded), tolerates 1 more failure");
  assert.equal(votersText(2, 3), "2/3 voters up - quorum at risk: tolerates 0 more failures");
  assert.equal(votersText(1, 3), "1/3 voters up - NO QUORUM");
});

test("fault tolerance in words: 3 voters tolerate 1 failure, 2 tolerate 0; a removal from 3 to 2 lowers it", () => {
  assert.deepEqual([1, 2, 3, 4, 5, 7].map(faultTolerance), [0, 0, 1, 1, 2, 3]);
  assert.equal(faultToleranceText(3), "3 voters, tolerates 1 failure");
  assert.equal(faultToleranceText(2), "2 voters, tolerates 0 failures");
  assert.equal(faultToleranceText(1), "1 voter, tolerates 0 failures");
  assert.ok(lowersTolerance(3, 2));
  assert.ok(!lowersTolerance(4, 3));
});

test("resize records the new size and ignores a same-size event", () => {
  const s = stateAfter([]);
  assert.equal(reducer(s, { type: "resize", columns: 120, rows: 30 }), s);
  assert.deepEqual(reducer(s, { type: "resize", columns: 60, rows: 15 }).size, { columns: 60, rows: 15 });
});

test("a data node's row shows its announced status and version, or '-' when not heard", () => {
  const heard = metaRow(5, {
    role: "data",
    key: "data:d1",
    httpAddr: "d1:8086",
    state: null,
    version: "1.8.11-c1.2.0",
    announcedStatus: "joined",
  });
  const silent = metaRow(6, { role: "data", key: "data:d2", httpAddr: "d2:8086", state: null, version: "" });
  const [, first, second] = plainTable([heard, silent]);
  assert.match(first, /\bjoined\b.*1\.8\.11-/); // the version column may be cut short
  assert.doesNotMatch(second, /joined/);
  assert.match(second, / - /);
});

test("a status message expires after a few seconds and stays in the events, in order", () => {
  let s = stateAfter([{ type: "snapshot", snapshot: healthy() }]);
  s = reducer(s, { type: "status", text: "first", tone: "info", at: T0 + 10 });
  s = reducer(s, { type: "snapshot", snapshot: { ...node3Down(), polledAt: T0 + 20 } });
  s = reducer(s, { type: "status", text: "refreshing…", tone: "info", at: T0 + 30, transient: true });
  assert.deepEqual(
    s.events.map((e) => e.text),
    ["first", "meta node 3 at 127.0.0.1:9093 is DOWN (connection refused)"],
    "messages and cluster events share one history, in order; transient ones stay out of it",
  );
  assert.equal(
    reducer(s, { type: "statusExpire", at: T0 + 30 + STATUS_TTL_MS - 1 }).status?.text,
    "refreshing…",
  );
  assert.equal(reducer(s, { type: "statusExpire", at: T0 + 30 + STATUS_TTL_MS }).status, null);
});

test("membership unknown (no leader): no node is reported removed or joined from missing data", () => {
  const unknown = snapshot([metaRow(1, { state: "candidate" })], {
    membershipKnown: false,
    leaderHttp: null,
  });
  const texts = diffSnapshots(healthy(), unknown).map((e) => e.text);
  assert.ok(texts.includes("membership unknown (no leader answered)"), texts.join(" | "));
  assert.ok(!texts.some((t) => /removed/.test(t)), texts.join(" | "));
  const back = diffSnapshots(unknown, healthy()).map((e) => e.text);
  assert.ok(!back.some((t) => /joined/.test(t)), back.join(" | "));
  assert.ok(back.includes("membership known again (a leader answered)"));
});

test("membership unknown: rows missing from /show keep their last known state, and come back up as events", () => {
  const down = node3Down();
  const unknown = snapshot([metaRow(1, { state: "candidate" })], {
    membershipKnown: false,
    leaderHttp: null,
  });
  let s = stateAfter([{ type: "snapshot", snapshot: down }]);
  s = reducer(s, { type: "snapshot", snapshot: unknown });
  assert.deepEqual(
    s.cluster?.rows.map((r) => [r.key, r.up]),
    [["meta:127.0.0.1:9091", true], ...down.rows.slice(1).map((r) => [r.key, r.up])],
    "the listed row is fresh; the others are as last known",
  );
  s = reducer(s, { type: "snapshot", snapshot: healthy() });
  const texts = s.events.map((e) => e.text);
  assert.ok(texts.includes(`meta node 3 at ${ADDR3} is back up`), texts.join(" | "));
  assert.ok(!texts.some((t) => /removed|joined/.test(t)), texts.join(" | "));
});

test("the verdict: 0 healthy, 1 a node DOWN, 2 no quorum or no leader, 3 no answer", () => {
  assert.deepEqual(verdict(healthy()), { health: "healthy", exitCode: 0, reasons: [] });
  assert.equal(verdict(node3Down()).exitCode, 1);
  assert.deepEqual(verdict(node3Down()).reasons, ["meta 127.0.0.1:9093 DOWN"]);
  const twoDown = snapshot([
    metaRow(1, { state: "candidate" }),
    metaRow(2, { up: false, state: null }),
    metaRow(3, { up: false, state: null }),
  ]);
  assert.equal(verdict(twoDown).health, "no-quorum");
  assert.equal(verdict(twoDown).exitCode, 2);
  assert.equal(verdict(snapshot(healthy().rows, { leaderHttp: null })).exitCode, 2);
  assert.equal(verdict(snapshot(healthy().rows, { membershipKnown: false })).exitCode, 2);
  assert.equal(verdict(snapshot([], { adminError: "connection refused" })).exitCode, 3);
});

test("a new plan (reachability changed) replaces the old one and switches between the dialogs", () => {
  let s = stateAfter([
    { type: "snapshot", snapshot: healthy() },
    { type: "removeAsked", row: metaRow(3), at: T0 },
    { type: "planLoaded", httpAddr: ADDR3, plan: plan(), force: false, forceReason: null, at: T0 },
  ]);
  s = reducer(s, {
    type: "planLoaded",
    httpAddr: ADDR3,
    plan: plan({ node: { ...plan().node, reachable: false } }),
    force: true,
    forceReason: "meta node 127.0.0.1:9093 could not be reached",
    at: T0 + 5,
  });
  assert.equal(s.mode, "force-confirm");
  assert.equal(s.removal?.planAt, T0 + 5, "the 300 ms wait starts again");
  s = reducer(s, { type: "forceType", text: "127.0" });
  s = reducer(s, {
    type: "planLoaded",
    httpAddr: ADDR3,
    plan: plan(),
    force: false,
    forceReason: null,
    at: T0 + 9,
  });
  assert.equal(s.mode, "confirm", "the node came back: the plain dialog again");
  assert.equal(s.removal?.typed, "");
});

test("an add: typed address, plan, outcome in the status line and the events", () => {
  let s = stateAfter([{ type: "snapshot", snapshot: healthy() }, { type: "addStart" }]);
  assert.equal(s.mode, "add-input");
  s = reducer(s, { type: "addType", text: " 127.0.0.1:9094 " });
  assert.equal(s.adding?.typed, "127.0.0.1:9094");
  s = reducer(s, { type: "addSubmit" });
  s = reducer(s, { type: "addPlanned", httpAddr: "127.0.0.1:9094", plan: addPlan(), at: T0 });
  assert.equal(s.mode, "add-confirm");
  s = reducer(s, { type: "addStarted", at: T0 + 1 });
  assert.equal(s.mode, "adding");
  const done = reducer(s, {
    type: "addDone",
    result: { id: 4, addr: "127.0.0.1:9094", tcpAddr: "127.0.0.1:8084" },
    at: T0 + 2,
  });
  assert.equal(done.mode, "list");
  assert.equal(done.status?.text, "Added meta node 4 at 127.0.0.1:9094");
  assert.equal(done.events.at(-1)?.node, "meta:127.0.0.1:9094");
  const failed = reducer(s, { type: "addFailed", httpAddr: "127.0.0.1:9094", error: "busy", at: T0 + 2 });
  assert.equal(failed.status?.text, "adding meta node 127.0.0.1:9094 failed: busy");
  assert.equal(failed.mode, "add-confirm", "the dialog stays, with the whole error");
  assert.equal(failed.adding?.failed, "busy");
  const closed = reducer(failed, { type: "dialogCancel", at: T0 + 3 });
  assert.equal(closed.mode, "list");
  assert.equal(closed.status?.text, failed.status?.text, "closing says nothing more");
  const ro = stateAfter(
    [{ type: "snapshot", snapshot: healthy() }, { type: "addStart" }],
    undefined,
    "-read-only",
  );
  assert.equal(ro.mode, "list", "read-only: no add dialog");
});
