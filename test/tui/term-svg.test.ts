import { test } from "node:test";
import assert from "node:assert/strict";
import xterm from "@xterm/headless";
import { screenToSvg } from "../../src/tui/term-svg.ts";

async function screen(ansi: string, cols = 20, rows = 3) {
  const term = new xterm.Terminal({ cols, rows, allowProposedApi: true });
  await new Promise<void>((r) => term.write(ansi, r));
  const buffer = term.buffer.active;
  return { cols, rows, cell: (x: number, y: number) => buffer.getLine(y)?.getCell(x) };
}

test("runs of one style become one text element, coloured, bold and escaped", async () => {
  const svg = screenToSvg(await screen("ab \x1b[31;1mDOWN\x1b[0m <x>"));
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, /fill="#e06c75" font-weight="bold"[^>]*>DOWN<\/text>/, "red bold run");
  assert.match(svg, />ab <\/text>/);
  assert.match(svg, /> &lt;x&gt;/, "markup characters are escaped");
});

test("reverse video paints the background; box-drawing characters become strokes", async () => {
  const svg = screenToSvg(await screen("\x1b[7msel\x1b[0m\r\n╭─╮"));
  assert.match(svg, /<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="\d+" fill="#d7dae0"\/>/);
  assert.equal((svg.match(/<path d="M/g) ?? []).length, 3);
  assert.doesNotMatch(svg, /[╭─╮]/);
});
