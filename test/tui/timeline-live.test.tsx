// The timeline and the incident bundle on a REAL local cluster: the leader is killed, the
// timeline shows the leader change where it happened (and scrolls back to it), and `b` and
// `:bundle FILE` write a bundle holding every part, the dead node's entry being its error.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LocalCluster } from "../../src/demo/local-cluster.ts";
import { chartWidth } from "../../src/tui/timeline.ts";
import { KEY, settle } from "./harness.tsx";
import { esc, liveCluster, openApp as openLiveApp } from "./live-app.tsx";
import { waitUntil } from "./wait.ts";

let cluster: LocalCluster;
const open = liveCluster(3, (c) => (cluster = c));
const dir = mkdtempSync(join(tmpdir(), "tl-"));

const openApp = () => openLiveApp(cluster, open, { intervalMs: 100, bundleDir: dir });

interface Bundle {
  origin: string;
  model: { health: string; leader: string };
  show: { meta: { httpAddr: string }[] };
  status: { node: string; status?: { raft: { state: string } }; error?: string }[];
  events: { text: string }[];
  timeline: { nodes: string[]; samples: string[]; drawn: string[] };
}

test("the leader killed: the timeline marks the change in its column, the cursor finds it, the window scrolls; b writes the bundle", async () => {
  const app = openApp();
  await app.waitFor("first poll", /3\/3 voters up/);
  await settle(1500); // some history before the failure
  const old = cluster.nodes[await cluster.leaderIndex()];
  await cluster.kill(await cluster.leaderIndex());
  await app.waitFor(
    "a new leader",
    new RegExp(`leader (?!${esc(old.httpAddr)})127\\.0\\.0\\.1:\\d+ +2/3 voters up`),
    30_000,
  );
  const newLeader = /leader (127\.0\.0\.1:\d+)/.exec(app.frame())![1];

  await app.type("t");
  await app.waitFor("the timeline", /TIMELINE \d\d:\d\d:\d\d/);
  // g: the cursor on the oldest poll (the view stops following new polls), then → until the
  // cursor's poll is the one that saw the node DOWN. Each check reads one frame.
  await app.type("g");
  const screen = () => {
    const lines = app.frame().split("\n");
    const line = (start: string) => lines.find((l) => l.startsWith(start)) ?? "";
    const rowOf = (addr: string) => lines.find((l) => new RegExp(`^\\S ${esc(addr)} `).test(l)) ?? "";
    const caret = lines.find((l) => /^ +\^$/.test(l)) ?? "";
    return { line, rowOf, col: caret.length - 1, text: lines.join("\n") };
  };
  const until = async (what: string, re: RegExp) => {
    for (let i = 0; i < 400 && !re.test(screen().line("changes:")); i++) await app.type("l");
    assert.match(screen().line("changes:"), re, what);
    return screen();
  };
  const downRe = new RegExp(`${esc(old.httpAddr)} DOWN`);
  let at = await until("the cursor on the poll that saw the leader DOWN", downRe);
  // The killed node's row turns to x in the caret's column, and a marker stands there.
  assert.equal(at.rowOf(old.httpAddr)[at.col], "x", at.text);
  assert.notEqual(at.rowOf(old.httpAddr)[at.col - 1], "x", at.text);
  assert.match(at.line("markers")[at.col], /[LX]/, at.text);
  /** The symbol the leader row uses for a node: the first character of its row. */
  const symbol = (addr: string) => at.rowOf(addr)[0];
  assert.equal(at.line("leader (")[at.col - 1], symbol(old.httpAddr), "it led just before");

  // → on to the election: the caret under its L, the new leader's symbol from there on.
  at = await until("the cursor on the election", /leader → 127\.0\.0\.1:\d+/);
  assert.equal(at.line("markers")[at.col], "L", at.text);
  assert.equal(at.line("leader (")[at.col], symbol(newLeader), at.text);
  assert.notEqual(at.line("leader (")[at.col - 1], symbol(newLeader), at.text);
  assert.match(at.line("changes:"), new RegExp(`leader → ${esc(newLeader)}`));
  // More polls than the window is wide: g goes to the oldest, and the window scrolls.
  const width = chartWidth(100);
  await app.type("G");
  await waitUntil(
    "a history wider than the window",
    () => Number(/, (\d+) of at most/.exec(app.frame())?.[1] ?? 0) > width + 5,
    60_000,
    app.frame,
  );
  assert.doesNotMatch(app.frame(), /newer to the right/);
  await app.type("g");
  assert.match(app.frame(), /\(\d+ newer to the right\)/);
  await app.type(KEY.esc);
  await app.waitFor("the table", /HTTP ADDRESS/);

  // b: the bundle, beside the operator (here: `dir`).
  await app.type("b");
  await app.waitFor("the bundle written", /incident bundle written to/, 30_000);
  const files = readdirSync(dir).filter((f) => /^influx-cluster-bundle-\d{8}T\d{6}Z\.json$/.test(f));
  assert.equal(files.length, 1, readdirSync(dir).join(", "));
  const bundle = JSON.parse(readFileSync(join(dir, files[0]), "utf8")) as Bundle;
  assert.equal(bundle.origin, "live view");
  assert.equal(bundle.model.health, "degraded");
  assert.equal(bundle.model.leader, newLeader);
  assert.equal(bundle.show.meta.length, 3);
  const dead = bundle.status.find((s) => s.node === old.httpAddr)!;
  assert.equal(dead.error, "connection refused", "the dead node's entry is its error");
  assert.equal(bundle.status.filter((s) => s.status?.raft.state === "leader").length, 1);
  assert.ok(bundle.events.some((e) => /is DOWN/.test(e.text)));
  assert.ok(bundle.events.some((e) => /leader (changed|elected)|no leader/.test(e.text)));
  assert.ok(bundle.timeline.samples.length > width);
  assert.ok(bundle.timeline.samples.some((s) => s.includes("leader-change")));
  assert.ok(bundle.timeline.samples.some((s) => s.includes(`down:${old.httpAddr}`)));
  assert.ok(bundle.timeline.drawn[0].startsWith("TIMELINE"));

  // :bundle FILE names the file; the same name again is refused, in one line.
  const named = join(dir, "ticket-123.json");
  await app.type(":", `bundle ${named}`, KEY.enter);
  await app.waitFor("the named bundle", new RegExp(`incident bundle written to ${esc(named)}`), 30_000);
  await app.type(":", `bundle ${named}`, KEY.enter);
  await app.waitFor(
    "refused",
    /cannot write the bundle to .*ticket-123\.json: a file is there already/,
    30_000,
  );
});
