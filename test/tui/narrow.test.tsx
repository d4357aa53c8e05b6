// Narrow terminals say what they hide and never cut a word: the table names its hidden columns,
// the header keeps the poll time at 40 columns, and the key bar drops whole chips.
import { test } from "node:test";
import assert from "node:assert/strict";
import { render } from "ink-testing-library";
import { Screen } from "../../src/tui/components/Screen.tsx";
import type { AppState } from "../../src/tui/state.ts";
import { noColorTheme } from "../../src/tui/theme.ts";
import { fitChips, fitSegments } from "../../src/tui/fit.ts";
import { healthy, stateAfter } from "./fixtures.ts";
import { CONTEXT } from "./harness.tsx";

function frameAt(columns: number, over: Partial<AppState> = {}): string[] {
  const state = {
    ...stateAfter([{ type: "snapshot", snapshot: healthy() }], { columns, rows: 16 }),
    ...over,
  };
  const ui = render(
    <Screen state={state} theme={noColorTheme} context={{ ...CONTEXT, profileName: "prod" }} />,
  );
  const lines = (ui.lastFrame() ?? "").split("\n");
  ui.unmount();
  return lines;
}

test("at 80 columns the table says which columns it hides and how to see them", () => {
  const lines = frameAt(80);
  assert.ok(
    lines.some(
      (l) =>
        /^ {2}\+3 columns \(RAFT ADDRESS, CONTACT, VERSION\): widen or press Enter for details$/.test(l) ||
        /^ {2}\+\d columns: widen or press Enter for details$/.test(l),
    ),
    lines.join("\n"),
  );
  const wide = frameAt(130);
  assert.ok(!wide.some((l) => /\+\d+ columns?/.test(l)), "nothing hidden, nothing said");
});

test("at 40 columns the header keeps the leader, the voters and the poll time, each whole", () => {
  const [first, second] = frameAt(40, { readOnly: "-read-only" });
  assert.match(second, /^leader 127\.0\.0\.1:9091 {2}3\/3 up {2}\d\d:\d\d:\d\d$/);
  assert.match(first, /\[READ-ONLY\]|\[RO\]/);
  assert.doesNotMatch(first + second, /…/, "no fact is cut mid-word");
});

test("the key bar never cuts a chip: the ones that do not fit are counted and point at the help", () => {
  for (const columns of [40, 50, 60, 80]) {
    const bar = frameAt(columns, { readOnly: "-read-only" }).at(-1)!;
    assert.doesNotMatch(bar, /…/, `${columns}: ${bar}`);
    assert.ok(bar.length <= columns, `${columns}: ${bar}`);
    assert.match(bar, /^\? help/, "help survives");
    if (columns < 80) assert.match(bar, /\+\d+ more: \?$/, `${columns}: ${bar}`);
  }
});

test("fitSegments shrinks, then drops, the least important facts; fitChips keeps chips whole", () => {
  const segs = [
    { forms: ["leader a:1"], priority: 0, droppable: false },
    { forms: ["3/3 voters up, tolerates 1 failure", "3/3 up"], priority: 1, droppable: false },
    { forms: ["term 3"], priority: 3, droppable: true },
    { forms: ["polled 10:00:00", "10:00:00"], priority: 2, droppable: false },
  ];
  const text = (w: number) =>
    fitSegments(segs, w)
      .map((f) => f.text)
      .join("  ");
  assert.equal(text(200), "leader a:1  3/3 voters up, tolerates 1 failure  term 3  polled 10:00:00");
  assert.equal(text(64), "leader a:1  3/3 voters up, tolerates 1 failure  polled 10:00:00");
  assert.equal(text(30), "leader a:1  3/3 up  10:00:00");
  assert.equal(
    fitChips(["? help", "q quit", "r refresh"], 20, (n) => `+${n} more: ?`),
    "? help  +2 more: ?",
  );
  assert.equal(
    fitChips(["? help", "q quit"], 20, () => "x"),
    "? help  q quit",
  );
});
