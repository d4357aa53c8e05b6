/**
 * The TUI on a running cluster, for the scale benchmark (bench/scale.bench.ts runs this file in a
 * process of its own): the TUI's own poller (node list from the admin service given as the
 * argument, every node probed) polls 5 times, then Ink draws the first snapshot at 120x40 and
 * redraws the whole view for each of 140 key presses, j then k (a poll that changes the picture
 * redraws the same view). Prints one line: TUI_RESULT followed by the figures as JSON.
 *
 * Run: node --import tsx bench/lib/tui-at-scale.ts <admin host:port>
 */
import { pathToFileURL } from "node:url";
import { ClusterPoller } from "../../src/tui/poller.ts";
import { adminPoolFor } from "../../src/tui/access.ts";
import { loadInteractive } from "../../src/tui/cli.ts";
import type { ClusterSnapshot } from "../../src/tui/model.ts";
import { PLAIN_HTTP } from "../../src/util/http-client.ts";
import type { Frame } from "./tui-frames.ts";

export const TUI_RESULT = "TUI_RESULT ";

export interface TuiAtScale {
  /** Wall time of each complete poll. */
  pollMs: number[];
  /** Rows of the view (meta and data nodes). */
  rows: number;
  firstFrame: Frame;
  keyFrames: Frame[];
}

async function measure(adminAddr: string): Promise<TuiAtScale> {
  // Ink decides at import whether it runs in CI (and then draws only the last frame), and chalk
  // picks its colour level at import: load them the way the executable does, on a colour terminal.
  process.env.FORCE_COLOR ??= "1";
  await loadInteractive();
  const { openFrames } = await import("./tui-frames.ts");
  const poller = new ClusterPoller({
    admin: adminPoolFor([adminAddr], 10_000, PLAIN_HTTP),
    timeoutMs: 2000,
    onSnapshot: () => undefined,
  });
  const pollMs: number[] = [];
  const polls: ClusterSnapshot[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      polls.push(await poller.pollOnce());
      pollMs.push(performance.now() - started);
    }
  } finally {
    await poller.stop();
  }
  const { session, firstFrame } = await openFrames(polls[0], { columns: 120, rows: 40 });
  try {
    const keyFrames: Frame[] = [];
    // As bench/tui.bench.ts scrolls its table: 100 rows down, 40 up.
    for (let i = 0; i < 100; i++) keyFrames.push(await session.key("j"));
    for (let i = 0; i < 40; i++) keyFrames.push(await session.key("k"));
    return { pollMs, rows: polls[0].rows.length, firstFrame, keyFrames };
  } finally {
    session.unmount();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const adminAddr = process.argv[2];
  if (!adminAddr) {
    console.error("usage: node --import tsx bench/lib/tui-at-scale.ts <admin host:port>");
    process.exit(2);
  }
  const result = await measure(adminAddr);
  process.stdout.write(`\n${TUI_RESULT}${JSON.stringify(result)}\n`);
  process.exit(0);
}
