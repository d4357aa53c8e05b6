// End to end: the built executable (bin/influx-cluster.js → dist/) against a real local cluster —
// piped (one table) and in a real terminal (tmux): keys, dialog, help, colours, and the terminal
// given back on q, SIGTERM and SIGHUP. `npm test` builds dist/ first.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startLocalCluster, type LocalCluster } from "../../src/demo/local-cluster.ts";
import { ANY_ESCAPE, COLOR_ESCAPE } from "./frame.ts";
import { Tmux } from "./tmux.ts";
import { waitUntil } from "./wait.ts";

const BIN = resolve("bin/influx-cluster.js");
const home = mkdtempSync(join(tmpdir(), "tui-e2e-"));
const ENV = { XDG_STATE_HOME: join(home, "state"), INFLUX_CLUSTER_CONFIG_DIR: join(home, "config") };
let cluster: LocalCluster;
let bind: string;
const sessions: Tmux[] = [];

before(async () => {
  assert.ok(existsSync(resolve("dist/main.js")), "dist/ is missing: run npm run build (npm test does)");
  cluster = await startLocalCluster({ size: 3 });
  bind = cluster.nodes[0].adminAddr;
});
after(async () => {
  for (const s of sessions) s.kill();
  await cluster?.stop();
});

/** A tmux session running `command` (after `env` with ENV and `extraEnv`), then printing its exit
 *  code; killed after the tests. */
function session(name: string, command: string, extraEnv = ""): Tmux {
  const env = Object.entries(ENV)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  const t = new Tmux(
    name,
    `env ${env} ${extraEnv} ${process.execPath} ${BIN} ${command}; echo EXIT=$?; sleep 60`,
  );
  sessions.push(t);
  return t;
}

function open(name: string, extraEnv = ""): Tmux {
  return session(name, `-bind ${bind} -interval 300ms`, extraEnv);
}

test("piped: prints the table once, without escapes, and exits 0", () => {
  const r = spawnSync(process.execPath, [BIN, "-bind", bind], {
    encoding: "utf8",
    env: { ...process.env, ...ENV },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^leader \S+ {2}3\/3 voters up, tolerates 1 failure {2}term \d+$/m);
  assert.match(r.stdout, /^ROLE +ID HTTP ADDRESS/m);
  assert.equal((r.stdout.match(/ LEADER /g) ?? []).length, 1);
  assert.equal((r.stdout.match(/^meta /gm) ?? []).length, 3);
  assert.doesNotMatch(r.stdout, ANY_ESCAPE);
});

test("piped: bad flags, unknown profiles and a dead admin service are clear errors", () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...process.env, ...ENV } });
  const bad = run("-bogus");
  assert.equal(bad.status, 64, "a usage error, never a health state");
  assert.equal(
    bad.stderr,
    "influx-cluster: flag provided but not defined: -bogus (see 'influx-cluster -h')\n",
  );
  const typo = run("-bnd", "x");
  assert.equal(typo.status, 64);
  assert.match(
    typo.stderr,
    /^influx-cluster: flag provided but not defined: -bnd; did you mean -bind\? .*\n$/,
  );
  const profile = run("-profile", "nope");
  assert.equal(profile.status, 64);
  assert.match(profile.stderr, /no profile "nope" in the settings \(none defined\)/);
  const dead = run("-bind", "127.0.0.1:1");
  assert.equal(dead.status, 3);
  assert.equal(dead.stderr, "influx-cluster: 127.0.0.1:1: connection refused\n");
  const where = run("tui", "config", "path");
  assert.equal(where.status, 0);
  assert.equal(where.stdout.trim(), join(ENV.INFLUX_CLUSTER_CONFIG_DIR, "config.json"));
});

test("in a terminal: live table, dialog, help, filter, q restores the screen", async () => {
  const t = open("keys");
  await waitUntil(
    "the table",
    () => /3\/3 voters up/.test(t.capture()),
    undefined,
    () => t.capture(),
  );
  assert.ok(t.alternateOn(), "the TUI runs in the alternate screen");
  assert.match(t.capture(), / LEADER /);
  t.keys("j", "d");
  await waitUntil(
    "the dialog",
    () => /y removes it/.test(t.capture()),
    undefined,
    () => t.capture(),
  );
  assert.match(t.capture(), /Remove meta node 127\.0\.0\.1:\d+ \(id 2\)\?/);
  t.keys("n");
  await waitUntil(
    "cancel",
    () => /cancelled; nothing was changed/.test(t.capture()),
    undefined,
    () => t.capture(),
  );
  t.keys("/", "d", "3");
  await waitUntil(
    "the filter",
    () => /filter: \/d3/.test(t.capture()),
    undefined,
    () => t.capture(),
  );
  assert.doesNotMatch(t.capture(), /Remove meta node/, "d typed into the filter opened no dialog");
  // Esc and ? are sent apart, as a person types them: sent at once they reach the app as Alt+?.
  t.keys("Escape");
  await waitUntil(
    "the filter cleared",
    () => !/filter: /.test(t.capture()),
    undefined,
    () => t.capture(),
  );
  t.keys("?");
  await waitUntil(
    "the help",
    () => /any other key closes this help/.test(t.capture()),
    undefined,
    () => t.capture(),
  );
  t.keys("x", "q");
  await waitUntil(
    "exit",
    () => /EXIT=0/.test(t.capture()),
    undefined,
    () => t.capture(),
  );
  assert.ok(!t.alternateOn(), "the alternate screen was left");
  assert.equal((await cluster.admin(0).show()).meta.length, 3, "nothing was removed");
});

test("in a terminal: Enter/Esc details, s sorts, e opens the events, a asks for an address", async () => {
  const t = open("views");
  const shows = (what: string, re: RegExp) => t.shows(what, re);
  await shows("the table", /3\/3 voters up/);
  t.keys("j", "Enter");
  await shows("the detail pane", /Voters as this node sees them/);
  assert.match(t.capture(), /meta node 2 at 127\.0\.0\.1:\d+/);
  t.keys("Escape");
  await shows("the table again", /ROLE +ID HTTP ADDRESS/);
  t.keys("s");
  await shows("sorted by address", /HTTP ADDRESS↓/);
  t.keys("s");
  await shows("sorted by state", /STATE↓/);
  const rows = t
    .capture()
    .split("\n")
    .filter((l) => /^[> ] (meta|no raft)/.test(l));
  assert.match(rows[0], / LEADER /, "sorted by state: the leader first");
  // c inside tmux copies into tmux's own paste buffer (no set-clipboard needed), and says so.
  t.keys("c");
  await shows("the copy message", /copied 127\.0\.0\.1:\d+ to tmux's paste buffer/);
  const copied = /copied (127\.0\.0\.1:\d+) to tmux's/.exec(t.capture())![1];
  assert.equal(t.buffer(), copied, "tmux show-buffer holds the address");
  t.keys("e");
  await shows("the events view", /EVENTS \d+-\d+ of \d+/);
  assert.match(t.capture(), /\d\d:\d\d:\d\d copied 127\.0\.0\.1:\d+/, "the message is in the history");
  t.keys("Escape");
  await shows("the table again", /ROLE +ID HTTP ADDRESS/);
  t.keys("a");
  await shows("the add dialog", /Add a meta node/);
  t.keys("127.0.0.1:1", "Enter");
  await shows("the plan", /REFUSED: meta node 127\.0\.0\.1:1 could not be reached/);
  t.keys("Escape");
  await shows("cancelled", /adding 127\.0\.0\.1:1 cancelled; nothing was changed/);
  t.keys("q");
  await shows("exit", /EXIT=0/);
  assert.equal((await cluster.admin(0).show()).meta.length, 3, "nothing was added or removed");
});

test("in a terminal: m marks a node going down, : runs a command, u opens the rolling-restart guide", async () => {
  const t = open("features");
  const shows = (what: string, re: RegExp) => t.shows(what, re);
  await shows("the table", /3\/3 voters up/);
  t.keys("m");
  await shows(
    "the what-if header",
    /what-if: 2\/3 up, tolerates 0/, // the header's short form at tmux's 120 columns
  );
  t.keys("m");
  t.keys(":", "events", "Enter");
  // The events view full screen: its title, and no table.
  await waitUntil(
    "the events view, from the palette",
    () => /EVENTS/.test(t.capture()) && !/ROLE +ID HTTP ADDRESS/.test(t.capture()),
    undefined,
    () => t.capture(),
  );
  t.keys("Escape");
  await shows("the table again", /ROLE +ID HTTP ADDRESS/);
  assert.doesNotMatch(t.capture(), /what-if:/, "the mark is undone");
  t.keys("u");
  await shows("the guide", /Rolling restart: step 1 of 3/);
  assert.match(t.capture(), /\[ \] restarted: seen DOWN and back/);
  t.keys("Escape");
  await shows("the guide left", /rolling restart guide left at step 1 of 3/);
  t.keys("q");
  await shows("exit", /EXIT=0/);
});

test("demo: Ctrl-C while the nodes start exits at once, stopping what was started", async () => {
  const t = session("demo-ctrl-c", "demo -size 5", `TMPDIR=${home}`);
  const started = () => readdirSync(home).filter((d) => d.startsWith("influx-cluster-"));
  await waitUntil(
    "start-up",
    () => started().length === 1,
    undefined,
    () => t.capture(),
  );
  const sent = Date.now();
  t.keys("C-c");
  await waitUntil(
    "exit",
    () => /EXIT=130/.test(t.capture()),
    undefined,
    () => t.capture(),
  );
  const tookMs = Date.now() - sent;
  assert.match(t.capture(), /interrupted; the nodes were stopped/, `exited after ${tookMs} ms`);
  assert.deepEqual(
    readdirSync(home).filter((d) => d.startsWith("influx-cluster-")),
    [],
    "the demo's cluster directory was removed",
  );
});

test("demo: Tab shows its data nodes, the last one empty; quitting stops them and removes the directory", async () => {
  const t = session("demo-data", "demo -size 1 -data 2", `TMPDIR=${home}`);
  await t.shows("the demo's view", /voters up/);
  t.keys("Tab");
  await t.shows("the data tier with both nodes up", /data nodes: 2 up, 0 down/);
  const rows = t
    .capture()
    .split("\n")
    .filter((l) => /^[> ] +\d+ 127\.0\.0\.1:\d+ /.test(l));
  assert.equal(rows.length, 2, t.capture());
  // ID, address, status, version, shards, …: the last node was added after the shards, empty.
  assert.notEqual(rows[0].replace(/^>/, "").trim().split(/ +/)[4], "0", rows[0]);
  assert.equal(rows[1].replace(/^>/, "").trim().split(/ +/)[4], "0", rows[1]);
  t.keys("q");
  await t.shows("the quit question", /Stop the demo cluster/);
  t.keys("y");
  await t.shows("exit", /EXIT=0/);
  assert.deepEqual(
    readdirSync(home).filter((d) => d.startsWith("influx-cluster-")),
    [],
    "the demo's cluster directory was removed",
  );
});

test("colours in a terminal, none with NO_COLOR", async () => {
  const colour = open("colour", "TERM=xterm-256color");
  const plain = open("nocolour", "TERM=xterm-256color NO_COLOR=1");
  await waitUntil(
    "both tables",
    () => /voters up/.test(colour.capture()) && /voters up/.test(plain.capture()),
  );
  assert.match(colour.capture(true), COLOR_ESCAPE);
  assert.doesNotMatch(plain.capture(true), COLOR_ESCAPE);
  assert.match(plain.capture(), / LEADER /);
});

test("SIGTERM and SIGHUP leave the alternate screen and exit 143 and 129", async () => {
  for (const [signal, code] of [
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const) {
    const t = open(`sig-${code}`);
    await waitUntil("the table", () => /voters up/.test(t.capture()) && t.alternateOn());
    process.kill(t.programPid(), signal);
    await waitUntil(
      `exit after ${signal}`,
      () => new RegExp(`EXIT=${code}`).test(t.capture()),
      undefined,
      () => t.capture(),
    );
    assert.ok(!t.alternateOn(), `${signal}: the alternate screen was left`);
  }
});

test("a dead admin service: the view opens anyway and says it has no picture, never 'no nodes'", async () => {
  const t = session("dead-admin", "-bind 127.0.0.1:1 -interval 300ms");
  await t.shows("the view", /no picture of the cluster yet/);
  assert.match(t.capture(), /admin service 127\.0\.0\.1:1 unreachable: connection refused/);
  assert.doesNotMatch(t.capture(), /no nodes in the cluster/);
  t.keys("q");
  await t.shows("exit", /EXIT=0/);
});
