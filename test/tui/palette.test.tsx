// The command palette: `:` opens it, Tab completes from the key table's command names (and node
// addresses), Enter runs exactly what the key would do, with the same refusals.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BINDINGS, completeLine, paletteCommands } from "../../src/tui/keymap.ts";
import { selectedRow } from "../../src/tui/state.ts";
import { healthy, stateAfter } from "./fixtures.ts";
import { KEY, withKeys } from "./harness.tsx";

const size = { columns: 110, rows: 30 };
const ADDR3 = "127.0.0.1:9093";

test("the palette's commands are the key table's command names, plus :profile", () => {
  const names = paletteCommands().map((c) => c.command);
  for (const b of BINDINGS.filter((b) => b.command)) assert.ok(names.includes(b.command!), b.command);
  assert.ok(names.includes("profile"));
  assert.equal(new Set(names).size, names.length, "each command once");
  const state = stateAfter([{ type: "snapshot", snapshot: healthy() }], size);
  assert.equal(completeLine("rem", state), "remove ");
  assert.equal(completeLine("re", state), "re", "several commands: unchanged (they are listed)");
  assert.equal(completeLine("remove 127.0.0.1:9093", state), `remove ${ADDR3}`);
  assert.equal(completeLine("remove 127.0.0.1:909", state), "remove 127.0.0.1:909");
  assert.equal(completeLine("pro", state), "profile ");
});

test(": then Tab-completed :remove ADDR selects that node and asks about its removal, as d does", async () => {
  const ui = await withKeys(stateAfter([{ type: "snapshot", snapshot: healthy() }], size));
  await ui.type(":");
  assert.equal(ui.state().mode, "palette");
  assert.match(
    ui.frame(),
    /^: +help +quit +details +remove ADDR\|ID.* \+\d+ \(Tab\)$/m,
    "the commands are listed",
  );
  await ui.type("rem", "\t", "127.0.0.1:9093", KEY.enter);
  assert.deepEqual(ui.calls.askRemove, [ADDR3]);
  assert.equal(selectedRow(ui.state())?.httpAddr, ADDR3);
  assert.equal(ui.state().mode, "confirm");
  ui.unmount();
});

test(":profile NAME switches; :filter TEXT filters; unknown commands and read-only get one line", async () => {
  const ui = await withKeys(stateAfter([{ type: "snapshot", snapshot: healthy() }], size, "-read-only"));
  await ui.type(":", "profile prod", KEY.enter);
  assert.deepEqual(ui.calls.profiles, ["prod"]);
  await ui.type(":", "filter 9092", KEY.enter);
  assert.equal(ui.state().filter, "9092");
  assert.equal(ui.state().mode, "list");
  await ui.type(":", "remvoe 1", KEY.enter);
  assert.equal(ui.state().status?.text, "unknown command :remvoe; did you mean :remove? (Tab completes)");
  await ui.type(KEY.esc, ":", "remove 127.0.0.1:9092", KEY.enter);
  assert.match(ui.state().status?.text ?? "", /^read-only \(-read-only\): removing nodes is disabled/);
  assert.deepEqual(ui.calls.askRemove, [], "read-only refuses :remove as it refuses d");
  await ui.type(":", "abc", KEY.ctrlC);
  assert.equal(ui.state().mode, "list", "Ctrl-C closes the palette");
  assert.equal(ui.calls.quit, 0);
  ui.unmount();
});
