// The binding table drives the router, the key bar and the help: every binding is in the help,
// the key bar of each mode shows exactly that mode's bar bindings, and disabling one in the table
// disables it everywhere.
import { test } from "node:test";
import assert from "node:assert/strict";
import { render } from "ink-testing-library";
import { HelpOverlay } from "../../src/tui/components/HelpOverlay.tsx";
import { KeyBar } from "../../src/tui/components/KeyBar.tsx";
import { BINDINGS, bindingKeys, findBinding, keyBarItems, MODE_TITLES } from "../../src/tui/keymap.ts";
import type { AppState, Mode } from "../../src/tui/state.ts";
import { noColorTheme } from "../../src/tui/theme.ts";
import { healthy, plan, snapshot, stateAfter } from "./fixtures.ts";
import { prose } from "./frame.ts";
import { KEY, withKeys } from "./harness.tsx";

const wide = { columns: 400, rows: 200 };

function frameOf(node: React.ReactElement): string {
  const ui = render(node);
  const frame = ui.lastFrame() ?? "";
  ui.unmount();
  return frame;
}

test("every binding is listed in the help with its keys and help text, under its mode", () => {
  const state = stateAfter([{ type: "snapshot", snapshot: healthy() }], wide);
  const text = prose(
    frameOf(
      <HelpOverlay
        state={state}
        logFile="/tmp/tui.log"
        notes={["Node PIDs: node1 101"]}
        width={400}
        height={200}
        theme={noColorTheme}
      />,
    ),
  );
  for (const b of BINDINGS) {
    assert.ok(text.includes(b.help), `the help lists "${b.help}"`);
    assert.ok(text.includes(bindingKeys(b)), `the help names the keys ${bindingKeys(b)}`);
  }
  for (const [title] of MODE_TITLES) assert.ok(text.includes(`${title}:`), `section ${title}`);
  assert.match(text, /^Keys Node PIDs: node1 101/, "the session's notes (demo PIDs) come first");
  assert.match(text, /Log: \/tmp\/tui\.log/);
});

test("the key bar of each mode shows that mode's bar bindings from the table, in table order", () => {
  const base = stateAfter([{ type: "snapshot", snapshot: healthy() }], wide);
  const modes: Mode[] = ["list", "filter", "help", "detail", "events"];
  for (const mode of modes) {
    const state: AppState = { ...base, mode };
    const expected = BINDINGS.filter(
      (b) => b.bar && b.modes.includes(mode) && !b.disabled?.(state, Date.now())?.hidden,
    ).map((b) => b.bar as string);
    const chips = keyBarItems(state, Date.now()).map((c) => c.text);
    assert.equal(chips.length, expected.length, `${mode}: one chip per bar binding`);
    chips.forEach((chip, i) =>
      assert.ok(chip.endsWith(expected[i]), `${mode}: "${chip}" is "${expected[i]}"`),
    );
    // The bar is those chips, whole; the ones that do not fit are counted ("+2 more: ?").
    const bar = frameOf(
      <KeyBar state={{ ...state, size: { columns: 100, rows: 30 } }} theme={noColorTheme} />,
    );
    assert.ok(
      chips.join("  ").startsWith(bar.replace(/ {2}\+\d+ more: \?$/, "")),
      `${mode}: the KeyBar draws those chips: ${bar}`,
    );
    assert.ok(bar.length >= Math.min(chips.join("  ").length, 90), `${mode}: as many as fit`);
  }
  assert.match(keyBarItems(base, Date.now())[0].text, /^\? help/, "help comes first, so it survives a cut");
});

test("read-only disables d and a in the table: key bar, help and router all say so", async () => {
  const ro = stateAfter(
    [{ type: "snapshot", snapshot: healthy() }],
    { columns: 200, rows: 60 },
    "-read-only",
  );
  const chips = keyBarItems(ro, Date.now()).map((c) => c.text);
  assert.ok(chips.includes("d remove (read-only)"), chips.join(" | "));
  assert.ok(chips.includes("a add (read-only)"));
  const help = prose(
    frameOf(
      <HelpOverlay state={ro} logFile={null} notes={[]} width={200} height={60} theme={noColorTheme} />,
    ),
  );
  assert.match(
    help,
    /remove the selected meta node .* - disabled: read-only \(-read-only\): removing nodes is disabled/,
  );
  assert.match(
    help,
    /add a blank meta node.* - disabled: read-only \(-read-only\): adding nodes is disabled/,
  );
  const ui = await withKeys(ro);
  await ui.type("d", "a");
  assert.deepEqual(ui.calls.askRemove, [], "d asked nothing");
  assert.equal(ui.state().mode, "list", "a opened no dialog");
  assert.match(ui.state().status?.text ?? "", /adding nodes is disabled/);
  ui.unmount();
});

test("the router finds the mode's binding; text fields take letters; ANY catches the rest", () => {
  assert.equal(findBinding("list", "d", true)?.id, "remove");
  assert.equal(findBinding("filter", "d", true)?.id, "filter-type");
  assert.equal(findBinding("add-input", "y", true)?.id, "add-type");
  assert.equal(findBinding("confirm", "y", true)?.id, "remove-confirm");
  assert.equal(findBinding("confirm", "x", true)?.id, "remove-cancel");
  assert.equal(findBinding("help", "ctrl-c", false)?.id, "ctrl-c");
  assert.equal(findBinding("list", "x", true), undefined, "an unbound key does nothing in the table");
  // No key is bound twice in one mode.
  for (const b of BINDINGS)
    for (const mode of b.modes)
      for (const k of b.keys)
        assert.equal(
          BINDINGS.filter((o) => o.modes.includes(mode) && o.keys.includes(k)).length,
          1,
          `${k} in ${mode}`,
        );
});

test("a refused plan's dialog offers no y: not in the key bar, and y closes it like any key", async () => {
  const refused = stateAfter(
    [
      { type: "snapshot", snapshot: healthy() },
      { type: "removeAsked", row: healthy().rows[0], at: 0 },
      {
        type: "planLoaded",
        httpAddr: "127.0.0.1:9091",
        plan: plan({ refusal: "cannot remove the last voter" }),
        force: false,
        forceReason: null,
        at: 0,
      },
    ],
    { columns: 120, rows: 30 },
  );
  assert.deepEqual(
    keyBarItems(refused, Date.now()).map((c) => c.text),
    ["any other key cancels"],
  );
  const ui = await withKeys(refused);
  assert.doesNotMatch(ui.frame().split("\n").at(-1) ?? "", /y remove/);
  await ui.type("y");
  assert.equal(ui.calls.confirmRemove, 0);
  assert.equal(ui.state().mode, "list");
  ui.unmount();
});

test("Esc in the table without a filter is quietly nothing; a disabled key otherwise says why", async () => {
  const size = { columns: 120, rows: 30 };
  const ui = await withKeys(stateAfter([{ type: "snapshot", snapshot: healthy() }], size));
  await ui.type(KEY.esc);
  assert.equal(ui.state().status, null);
  assert.equal(ui.state().mode, "list");
  ui.unmount();
  const empty = await withKeys(stateAfter([{ type: "snapshot", snapshot: snapshot([]) }], size));
  await empty.type("c");
  assert.equal(empty.state().status?.text, "no node is selected");
  assert.deepEqual(empty.calls.copy, []);
  empty.unmount();
});
