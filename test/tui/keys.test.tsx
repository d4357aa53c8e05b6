import { test } from "node:test";
import assert from "node:assert/strict";
import { CONFIRM_GRACE_MS, reducer, selectedRow, visibleRows } from "../../src/tui/state.ts";
import { addPlan, healthy, metaRow, node3Down, plan, snapshot, stateAfter, T0 } from "./fixtures.ts";
import { KEY, settle, withKeys } from "./harness.tsx";
import { keyBarItems } from "../../src/tui/keymap.ts";

const ADDR3 = "127.0.0.1:9093";
const size = { columns: 100, rows: 30 };

test("j/k, arrows, g/G move the selection", async () => {
  const ui = await withKeys(stateAfter([{ type: "snapshot", snapshot: healthy() }], size));
  await ui.type("j", "j");
  assert.equal(selectedRow(ui.state())?.id, 3);
  await ui.type("k", KEY.up);
  assert.equal(selectedRow(ui.state())?.id, 1);
  await ui.type("G");
  assert.equal(selectedRow(ui.state())?.id, 3);
  await ui.type("g", KEY.down);
  assert.equal(selectedRow(ui.state())?.id, 2);
  assert.match(ui.frame(), /^> meta +2 127\.0\.0\.1:9092/m, "the selected row carries the > marker");
  ui.unmount();
});

test("d asks about the selected row; r refreshes; q quits", async () => {
  const ui = await withKeys(stateAfter([{ type: "snapshot", snapshot: healthy() }], size));
  await ui.type("r", "j", "j", "d");
  assert.equal(ui.calls.refresh, 1);
  assert.deepEqual(ui.calls.askRemove, [ADDR3]);
  assert.equal(ui.state().mode, "confirm");
  ui.unmount();
  const ui2 = await withKeys(stateAfter([{ type: "snapshot", snapshot: healthy() }], size));
  await ui2.type("q");
  assert.equal(ui2.calls.quit, 1);
  ui2.unmount();
});

test("while the filter takes text, d and q are letters, not actions", async () => {
  const ui = await withKeys(stateAfter([{ type: "snapshot", snapshot: healthy() }], size));
  await ui.type("/", "d", "q", KEY.backspace, KEY.backspace, "9", "3");
  assert.deepEqual(ui.calls.askRemove, [], "d typed into the filter removed nothing");
  assert.equal(ui.calls.quit, 0);
  assert.equal(ui.state().filter, "93");
  assert.match(ui.frame(), /filter: \/93/);
  await ui.type(KEY.enter);
  assert.equal(ui.state().mode, "list");
  assert.equal(selectedRow(ui.state())?.httpAddr, ADDR3);
  await ui.type(KEY.esc);
  assert.equal(ui.state().filter, "", "Esc clears a kept filter");
  ui.unmount();
});

test("the confirm dialog: y confirms; n, Enter, Esc and other keys cancel", async () => {
  const confirmState = stateAfter(
    [
      { type: "snapshot", snapshot: healthy() },
      { type: "moveTo", where: "last" },
      { type: "removeAsked", row: healthy().rows[2], at: 0 },
      { type: "planLoaded", httpAddr: ADDR3, plan: plan(), force: false, forceReason: null, at: 0 },
    ],
    size,
  );
  for (const key of ["n", KEY.enter, KEY.esc, "x", "d"]) {
    const ui = await withKeys(confirmState);
    await ui.type(key);
    assert.equal(ui.state().mode, "list", `key ${JSON.stringify(key)} cancels`);
    assert.equal(ui.calls.confirmRemove, 0);
    ui.unmount();
  }
  const ui = await withKeys(confirmState);
  await ui.type("y");
  assert.equal(ui.calls.confirmRemove, 1);
  ui.unmount();
});

test("the force dialog: letters are typed, a wrong address is refused, the exact one confirms", async () => {
  const down = node3Down().rows[2];
  const forceState = stateAfter(
    [
      { type: "snapshot", snapshot: node3Down() },
      { type: "removeAsked", row: down, at: 0 },
      {
        type: "planLoaded",
        httpAddr: ADDR3,
        plan: plan({ forceRequired: false }),
        force: true,
        forceReason: "meta node 127.0.0.1:9093 could not be reached",
        at: 0,
      },
    ],
    size,
  );
  const ui = await withKeys(forceState);
  await ui.type("d", "y", "q");
  assert.equal(ui.state().removal?.typed, "dyq", "d, y and q are just text here");
  assert.equal(ui.calls.quit, 0);
  assert.equal(ui.calls.confirmRemove, 0);
  await ui.type(KEY.backspace, KEY.backspace, KEY.backspace, "127.0.0.1:9094", KEY.enter);
  assert.equal(ui.calls.confirmRemove, 0, "a wrong address removes nothing");
  assert.match(ui.frame(), /"127\.0\.0\.1:9094" is not 127\.0\.0\.1:9093; nothing was removed/);
  await ui.type(KEY.backspace, "3", KEY.enter);
  assert.equal(ui.calls.confirmRemove, 1);
  ui.unmount();
  const esc = await withKeys(forceState);
  await esc.type("127.0.0.1:9093", KEY.esc);
  assert.equal(esc.state().mode, "list");
  assert.equal(esc.calls.confirmRemove, 0);
  esc.unmount();
});

test("? opens the help, any key closes it; Ctrl-C closes what is open and quits only from the table", async () => {
  const ui = await withKeys(stateAfter([{ type: "snapshot", snapshot: healthy() }], size));
  await ui.type("?");
  assert.equal(ui.state().mode, "help");
  assert.match(ui.frame(), /remove the selected meta node/);
  await ui.type("d");
  assert.equal(ui.state().mode, "list");
  assert.deepEqual(ui.calls.askRemove, [], "the key that closes the help does nothing else");
  await ui.type("/", "ab", KEY.ctrlC);
  assert.equal(ui.state().mode, "list");
  assert.equal(ui.state().filter, "", "Ctrl-C in the filter clears it");
  await ui.type("?", KEY.ctrlC, KEY.enter, KEY.ctrlC, "e", KEY.ctrlC);
  assert.equal(ui.state().mode, "list");
  await ui.type("j", "j", "d");
  assert.equal(ui.state().mode, "confirm");
  await ui.type(KEY.ctrlC);
  assert.equal(ui.state().mode, "list", "Ctrl-C cancels the removal dialog");
  assert.match(ui.state().status?.text ?? "", /cancelled; nothing was changed/);
  await ui.type("a", "12", KEY.ctrlC);
  assert.equal(ui.state().mode, "list", "Ctrl-C cancels the add dialog");
  assert.equal(ui.calls.quit, 0, "nothing so far quit");
  await ui.type(KEY.ctrlC);
  assert.equal(ui.calls.quit, 1, "Ctrl-C in the table quits");
  ui.unmount();
});

test("a session that owns its cluster (the demo) asks before quitting; Ctrl-C and other keys stay", async () => {
  const init = stateAfter([{ type: "snapshot", snapshot: healthy() }], size);
  const ui = await withKeys({ ...init, quitQuestion: "Stop the demo cluster and delete its directory?" });
  await ui.type(KEY.ctrlC);
  assert.equal(ui.state().mode, "quit-confirm");
  assert.match(ui.frame(), /Stop the demo cluster and delete its directory\?/);
  assert.match(ui.frame(), /y quits\. n, Esc, Ctrl-C or any other key stays\./);
  await ui.type(KEY.ctrlC);
  assert.equal(ui.state().mode, "list");
  await ui.type("q", "n");
  assert.equal(ui.state().mode, "list");
  assert.equal(ui.calls.quit, 0);
  await ui.type("q", "y");
  assert.equal(ui.calls.quit, 1);
  ui.unmount();
});

test("R restarts a DOWN node only where the session can (the demo), and only a DOWN one", async () => {
  const down = stateAfter(
    [
      { type: "snapshot", snapshot: node3Down() },
      { type: "moveTo", where: "last" },
    ],
    size,
  );
  const plain = await withKeys(down);
  await plain.type("R");
  assert.deepEqual(plain.calls.restart, [], "not offered outside the demo");
  assert.ok(!keyBarItems(plain.state(), Date.now()).some((c) => c.text === "R restart"));
  plain.unmount();
  const demo = await withKeys({ ...down, canRestart: true });
  assert.ok(
    keyBarItems(demo.state(), Date.now()).some((c) => c.text === "R restart"),
    "offered in the demo",
  );
  await demo.type("R", "k", "R");
  assert.deepEqual(demo.calls.restart, [ADDR3], "the DOWN node only");
  demo.unmount();
});

test("keys that arrive as one chunk (key repeat, tmux send-keys) each act in turn", async () => {
  const ui = await withKeys(stateAfter([{ type: "snapshot", snapshot: healthy() }], size));
  await ui.type("jjd");
  assert.deepEqual(ui.calls.askRemove, [ADDR3]);
  assert.equal(ui.state().mode, "confirm");
  ui.unmount();
  const f = await withKeys(stateAfter([{ type: "snapshot", snapshot: healthy() }], size));
  await f.type("/9d3");
  assert.equal(f.state().filter, "9d3", "after / the rest of the chunk is filter text");
  assert.deepEqual(f.calls.askRemove, []);
  f.unmount();
});

test("Esc followed at once by a key (Alt+key on the wire) is Esc, then the key", async () => {
  const ui = await withKeys(stateAfter([{ type: "snapshot", snapshot: healthy() }], size));
  await ui.type("/", "9", "\x1bj");
  assert.equal(ui.state().filter, "", "Esc cleared the filter");
  assert.equal(ui.state().mode, "list");
  assert.equal(selectedRow(ui.state())?.id, 2, "j then moved the selection");
  ui.unmount();
});

test("Enter opens the selected node's details, j shows the next node's, Esc goes back", async () => {
  const ui = await withKeys(stateAfter([{ type: "snapshot", snapshot: healthy() }], size));
  await ui.type("j", KEY.enter);
  assert.equal(ui.state().mode, "detail");
  assert.equal(ui.state().detail?.key, "meta:127.0.0.1:9092");
  assert.match(ui.frame(), /meta node 2 at 127\.0\.0\.1:9092/);
  await ui.type("j");
  assert.equal(ui.state().detail?.key, "meta:127.0.0.1:9093", "the pane follows the selection");
  await ui.type(KEY.esc);
  assert.equal(ui.state().mode, "list");
  assert.equal(selectedRow(ui.state())?.id, 3);
  ui.unmount();
});

test("e opens the events view full screen; k scrolls back, G returns to the newest, Esc leaves", async () => {
  let init = stateAfter([{ type: "snapshot", snapshot: healthy() }], size);
  for (let i = 0; i < 40; i++)
    init = reducer(init, { type: "status", text: `message ${i}`, tone: "info", at: T0 + i });
  const ui = await withKeys(init);
  await ui.type("e");
  assert.equal(ui.state().mode, "events");
  assert.match(ui.frame(), /message 39/);
  await ui.type("k", "k", "k");
  assert.equal(ui.state().eventsBack, 3);
  assert.doesNotMatch(ui.frame(), /message 3[78]/, "scrolled back past the newest");
  assert.match(ui.frame(), /message 36\n/);
  assert.match(ui.frame(), /3 newer below/);
  await ui.type("G");
  assert.equal(ui.state().eventsBack, 0);
  await ui.type(KEY.esc);
  assert.equal(ui.state().mode, "list");
  ui.unmount();
});

test("s cycles the sort column and marks it; the selection stays on its node", async () => {
  const rows = [metaRow(1), metaRow(2, { pingMs: 30 }), metaRow(3, { pingMs: 5 })];
  const ui = await withKeys(stateAfter([{ type: "snapshot", snapshot: snapshot(rows) }], size));
  await ui.type("G");
  assert.equal(selectedRow(ui.state())?.id, 3);
  await ui.type("s", "s", "s");
  assert.equal(ui.state().sort, "latency");
  assert.match(ui.frame(), /LAT↓/);
  assert.deepEqual(
    visibleRows(ui.state()).map((r) => r.id),
    [1, 3, 2],
    "fastest first",
  );
  assert.equal(selectedRow(ui.state())?.id, 3, "the selection followed node 3");
  await ui.type("s", "s", "s");
  assert.equal(ui.state().sort, null, "back to the default order after a full cycle");
  ui.unmount();
});

test("c copies the selected node's address", async () => {
  const ui = await withKeys(stateAfter([{ type: "snapshot", snapshot: healthy() }], size));
  await ui.type("j", "c");
  assert.deepEqual(ui.calls.copy, ["127.0.0.1:9092"]);
  ui.unmount();
});

test("a: the address field takes every letter; Enter asks for the plan; Esc cancels", async () => {
  const ui = await withKeys(stateAfter([{ type: "snapshot", snapshot: healthy() }], size));
  await ui.type("a");
  assert.equal(ui.state().mode, "add-input");
  await ui.type("dqy", KEY.backspace, KEY.backspace, KEY.backspace, "127.0.0.1:9094");
  assert.equal(ui.state().adding?.typed, "127.0.0.1:9094");
  assert.equal(ui.calls.quit, 0, "q typed into the field is a letter");
  assert.match(ui.frame(), /> 127\.0\.0\.1:9094/);
  await ui.type(KEY.enter);
  assert.deepEqual(ui.calls.planAdd, ["127.0.0.1:9094"]);
  assert.equal(ui.state().adding?.checking, true);
  await ui.type(KEY.esc);
  assert.equal(ui.state().mode, "list");
  assert.match(ui.state().status?.text ?? "", /adding 127\.0\.0\.1:9094 cancelled; nothing was changed/);
  ui.unmount();
});

test("y is ignored for 300 ms after a plan appears, in the removal and the add dialogs", async () => {
  const removal = stateAfter(
    [
      { type: "snapshot", snapshot: healthy() },
      { type: "removeAsked", row: healthy().rows[2], at: 0 },
      { type: "planLoaded", httpAddr: ADDR3, plan: plan(), force: false, forceReason: null, at: Date.now() },
    ],
    size,
  );
  const ui = await withKeys(removal);
  await ui.type("y");
  assert.equal(ui.calls.confirmRemove, 0, "too soon");
  assert.equal(ui.state().mode, "confirm", "and not taken as cancel either");
  assert.match(ui.state().status?.text ?? "", /the plan has just appeared/);
  await settle(CONFIRM_GRACE_MS);
  await ui.type("y");
  assert.equal(ui.calls.confirmRemove, 1);
  ui.unmount();

  let adding = stateAfter([{ type: "snapshot", snapshot: healthy() }, { type: "addStart" }], size);
  adding = reducer(adding, { type: "addType", text: "127.0.0.1:9094" });
  adding = reducer(adding, { type: "addSubmit" });
  adding = reducer(adding, {
    type: "addPlanned",
    httpAddr: "127.0.0.1:9094",
    plan: addPlan(),
    at: Date.now(),
  });
  const add = await withKeys(adding);
  await add.type("y");
  assert.equal(add.calls.confirmAdd, 0);
  await settle(CONFIRM_GRACE_MS);
  await add.type("y");
  assert.equal(add.calls.confirmAdd, 1);
  add.unmount();
});

test("two Backspaces that arrive in one chunk both apply", async () => {
  const ui = await withKeys(stateAfter([{ type: "snapshot", snapshot: healthy() }], size));
  await ui.type("/", "9093");
  await ui.type(KEY.backspace + KEY.backspace);
  assert.equal(ui.state().filter, "90");
  ui.unmount();
});
