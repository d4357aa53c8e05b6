// Maintenance what-if (m): marked nodes are shown going down in the header and in the removal
// plan; nothing is touched.
import { test } from "node:test";
import assert from "node:assert/strict";
import { render } from "ink-testing-library";
import { Screen } from "../../src/tui/components/Screen.tsx";
import { whatIf, type AppState } from "../../src/tui/state.ts";
import { noColorTheme } from "../../src/tui/theme.ts";
import { healthy, plan, stateAfter, T0 } from "./fixtures.ts";
import { CONTEXT, withKeys } from "./harness.tsx";
import { prose } from "./frame.ts";

const size = { columns: 120, rows: 30 };

function frame(state: AppState): string {
  const ui = render(<Screen state={state} theme={noColorTheme} context={CONTEXT} />);
  const text = ui.lastFrame() ?? "";
  ui.unmount();
  return text;
}

test("m marks the selected node going down; the header shows what would remain; m again unmarks", async () => {
  const ui = await withKeys(stateAfter([{ type: "snapshot", snapshot: healthy() }], size));
  await ui.type("j", "m");
  assert.deepEqual(ui.state().marked, ["meta:127.0.0.1:9092"]);
  assert.match(ui.frame(), /what-if 1 down: 2\/3 voters up - quorum at risk: tolerates 0 more failures/);
  assert.match(ui.frame(), /^> ↓ meta +2 /m, "the row carries the mark");
  assert.match(ui.frame(), /leader \S+ {2}3\/3 (voters )?up/, "the real state is still shown");
  await ui.type("j", "m");
  assert.deepEqual(whatIf(ui.state()), { marked: 2, votersUp: 1, votersTotal: 3 });
  assert.match(ui.frame(), /what-if 2 down: 1\/3 voters up - NO QUORUM/);
  await ui.type("m", "k", "m");
  assert.equal(whatIf(ui.state()), null);
  assert.doesNotMatch(ui.frame(), /what-if \d/);
  assert.equal(ui.calls.askRemove.length + ui.calls.confirmRemove, 0, "nothing was touched");
  ui.unmount();
});

test("the removal plan takes the marks into account", () => {
  const state = stateAfter(
    [
      { type: "snapshot", snapshot: healthy() },
      { type: "moveTo", where: "first" },
      { type: "markToggle", at: T0 },
      { type: "moveTo", where: "last" },
      { type: "removeAsked", row: healthy().rows[2], at: T0 },
      {
        type: "planLoaded",
        httpAddr: "127.0.0.1:9093",
        plan: plan(),
        force: false,
        forceReason: null,
        at: 0,
      },
    ],
    size,
  );
  assert.match(prose(frame(state)), /What-if, with the 1 marked node down too: 1\/2 voters up - NO QUORUM\./);
});
