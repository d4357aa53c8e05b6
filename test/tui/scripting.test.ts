// Scripting, on real processes: without a terminal the executable prints the view's model (-json)
// or its table, and exits 0 healthy, 1 with a node DOWN, 2 without quorum or leader. -bind takes
// several admin services and a host without a port (8084 is added, and named in errors).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startLocalCluster, type LocalCluster } from "../../src/demo/local-cluster.ts";
import { EXIT, EXIT_TABLE } from "../../src/tui/exit-codes.ts";
import { waitUntil } from "./wait.ts";

const BIN = resolve("bin/influx-cluster.js");
const home = mkdtempSync(join(tmpdir(), "tui-script-"));
const ENV = { XDG_STATE_HOME: join(home, "state"), INFLUX_CLUSTER_CONFIG_DIR: join(home, "config") };
let cluster: LocalCluster;

before(async () => {
  assert.ok(existsSync(resolve("dist/main.js")), "dist/ is missing: run npm run build (npm test does)");
  cluster = await startLocalCluster({ size: 3 });
});
after(async () => {
  await cluster?.stop();
});

function run(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...process.env, ...ENV } });
}

interface Model {
  health: string;
  exitCode: number;
  reasons: string[];
  leader: string | null;
  membershipKnown: boolean;
  votersUp: number;
  votersTotal: number;
  admin: { bind: string; node: string; error: string | null };
  nodes: { httpAddr: string; up: boolean; state: string | null; role: string }[];
}

function json(bind: string): { status: number | null; model: Model; stderr: string } {
  // Stopped nodes refuse at once; the deadline only has to spare a live node on a loaded machine.
  const r = run("-bind", bind, "-json", "-timeout", "5s");
  return { status: r.status, model: JSON.parse(r.stdout) as Model, stderr: r.stderr };
}

test("--help prints the one exit-code table; no code is both a usage error and a health state", () => {
  const help = run("tui", "--help");
  assert.equal(help.status, 0);
  assert.match(help.stdout, /-json/);
  for (const [code, meaning] of EXIT_TABLE)
    assert.ok(help.stdout.includes(`${String(code).padStart(3)}  ${meaning}`), `${code} ${meaning}`);
  const health = [EXIT.healthy, EXIT.degraded, EXIT.noQuorum, EXIT.unknown] as number[];
  assert.ok(!health.includes(EXIT.usage));
  assert.equal(new Set(EXIT_TABLE.map(([c]) => c)).size, EXIT_TABLE.length, "each code means one thing");
});

test("exit codes, as a table: usage errors and health states never share a code, and -json always prints one object", () => {
  const live = cluster.nodes[0].adminAddr;
  const taken = join(home, "taken.json");
  writeFileSync(taken, "an earlier bundle");
  const cases: { args: string[]; code: number; health: string; reason?: RegExp }[] = [
    { args: ["-bind", live, "-json"], code: EXIT.healthy, health: "healthy" },
    {
      args: ["-bind", "127.0.0.1:1", "-json", "-timeout", "1s"],
      code: EXIT.unknown,
      health: "unknown",
      reason: /connection refused/,
    },
    { args: ["-bnd", "x", "-json"], code: EXIT.usage, health: "unknown", reason: /did you mean -bind\?/ },
    { args: ["-json", "-profile", "nope"], code: EXIT.usage, health: "unknown", reason: /no profile "nope"/ },
    {
      args: ["-json", "-bind", live, "extra"],
      code: EXIT.usage,
      health: "unknown",
      reason: /unexpected argument "extra"/,
    },
    {
      args: ["-json", "-interval", "soon"],
      code: EXIT.usage,
      health: "unknown",
      reason: /invalid value "soon"/,
    },
    // -bundle FILE that cannot be written: refused before the cluster is asked, never clobbered.
    {
      args: ["-bind", live, "-json", "-bundle", taken],
      code: EXIT.cantWrite,
      health: "unknown",
      reason: /cannot write the bundle to .*taken\.json: a file is there already \(-overwrite replaces it\)/,
    },
    {
      args: ["-bind", live, "-json", "-bundle", join(home, "no-such-dir", "b.json")],
      code: EXIT.cantWrite,
      health: "unknown",
      reason: /cannot write the bundle to .*b\.json: its directory does not exist/,
    },
    {
      args: ["-bind", live, "-json", "-bundle", join(taken, "b.json")],
      code: EXIT.cantWrite,
      health: "unknown",
      reason: /cannot write the bundle to .*: a part of its path is not a directory/,
    },
    {
      args: ["-bind", live, "-json", "-overwrite"],
      code: EXIT.usage,
      health: "unknown",
      reason: /-overwrite applies to -bundle FILE/,
    },
  ];
  for (const c of cases) {
    const r = run(...c.args);
    const what = `${c.args.join(" ")} → ${r.status}: ${r.stdout} ${r.stderr}`;
    assert.equal(r.status, c.code, what);
    const model = JSON.parse(r.stdout) as Model;
    assert.equal(model.health, c.health, what);
    assert.equal(model.exitCode, c.code, what);
    if (c.reason) assert.match(model.reasons.join("; "), c.reason, what);
    if (c.code !== EXIT.healthy) assert.equal(r.stderr.trim().split("\n").length, 1, `one line: ${what}`);
  }
  assert.equal(readFileSync(taken, "utf8"), "an earlier bundle", "the existing file is untouched");
  // Without -json, a usage error is one line naming the fix, not the 40-line help.
  const typo = run("-bnd", "x");
  assert.equal(typo.status, EXIT.usage);
  assert.equal(typo.stdout, "");
  assert.equal(
    typo.stderr,
    "influx-cluster: flag provided but not defined: -bnd; did you mean -bind? (see 'influx-cluster -h')\n",
  );
});

test("-json pingMs is rounded to a tenth of a millisecond", () => {
  const { model } = json(cluster.nodes[0].adminAddr);
  const pings = (model.nodes as unknown as { pingMs: number | null }[]).map((n) => n.pingMs);
  assert.ok(pings.some((p) => p !== null));
  for (const p of pings) if (p !== null) assert.equal(p, Math.round(p * 10) / 10, `unrounded: ${p}`);
});

test("-json carries the fault tolerance in numbers and words", () => {
  const { model } = json(cluster.nodes[0].adminAddr);
  assert.deepEqual((model as unknown as { faultTolerance: unknown }).faultTolerance, {
    voters: 3,
    tolerates: 1,
    text: "3 voters, tolerates 1 failure",
    left: 1,
  });
});

test("healthy: exit 0, and -json is the model the view shows", () => {
  const binds = cluster.nodes.map((n) => n.adminAddr).join(",");
  const { status, model } = json(binds);
  assert.equal(status, 0);
  assert.equal(model.health, "healthy");
  assert.equal(model.exitCode, 0);
  assert.equal(model.votersUp, 3);
  assert.equal(model.votersTotal, 3);
  assert.equal(model.membershipKnown, true);
  assert.equal(model.admin.bind, cluster.nodes[0].adminAddr);
  assert.deepEqual(model.nodes.map((n) => n.httpAddr).sort(), cluster.nodes.map((n) => n.httpAddr).sort());
  assert.equal(model.nodes.filter((n) => n.state === "leader").length, 1);
  assert.ok(model.leader && cluster.nodes.some((n) => n.httpAddr === model.leader));
  const table = run("-bind", binds);
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /^leader \S+ {2}3\/3 voters up, tolerates 1 failure {2}term \d+$/m);
});

test("-bundle FILE polls once, writes the bundle with every part, and exits with the verdict", () => {
  const binds = cluster.nodes.map((n) => n.adminAddr).join(",");
  const file = join(home, "incident.json");
  const r = run("-bind", binds, "-bundle", file);
  assert.equal(r.status, EXIT.healthy, r.stderr);
  assert.equal(r.stdout, "", "the view is not opened, nothing printed");
  assert.equal(r.stderr, `influx-cluster: incident bundle written to ${file} (health: healthy)\n`);
  const bundle = JSON.parse(readFileSync(file, "utf8")) as {
    origin: string;
    notes: string[];
    model: Model;
    show: { meta: { httpAddr: string }[] };
    status: { node: string; status?: { raft: { state: string } }; error?: string }[];
    events: unknown[];
    timeline: { nodes: string[]; samples: string[] };
  };
  assert.equal(bundle.origin, "one poll");
  assert.match(bundle.notes.join(" "), /from ONE poll/);
  assert.equal(bundle.model.health, "healthy");
  const addrs = cluster.nodes.map((n) => n.httpAddr).sort();
  assert.deepEqual(bundle.show.meta.map((m) => m.httpAddr).sort(), addrs);
  assert.deepEqual(bundle.status.map((s) => s.node).sort(), addrs);
  assert.equal(bundle.status.filter((s) => s.status?.raft.state === "leader").length, 1);
  assert.ok(Array.isArray(bundle.events));
  assert.equal(bundle.timeline.samples.length, 1);
  assert.match(bundle.timeline.samples[0], /term=\d+ leader=127\.0\.0\.1:\d+ lag=\d+,\d+,\d+/);
  // Asked again: refused, the first bundle kept; with -overwrite, replaced.
  const again = run("-bind", binds, "-bundle", file);
  assert.equal(again.status, EXIT.cantWrite);
  assert.equal(again.stderr.trim().split("\n").length, 1);
  const replaced = run("-bind", binds, "-bundle", file, "-overwrite");
  assert.equal(replaced.status, EXIT.healthy, replaced.stderr);
});

test("no port in -bind: 8084 is dialled and named; a list moves on to an answering service", () => {
  const r = run("-bind", "127.0.0.1");
  assert.equal(r.status, 3);
  assert.match(r.stderr, /using 127\.0\.0\.1:8084 \(the admin service port/, "the port assumed is said");
  assert.match(r.stderr, /^influx-cluster: 127\.0\.0\.1:8084: /m, "the port that was dialled is named");
  // The first address answers nothing: the next one in the list gives the picture.
  const { status, model } = json(`127.0.0.1:1,${cluster.nodes[0].adminAddr}`);
  assert.equal(status, 0);
  assert.equal(model.admin.bind, cluster.nodes[0].adminAddr);
});

test("one node killed: exit 1, degraded, the node named; two killed: exit 2", async () => {
  const binds = cluster.nodes.map((n) => n.adminAddr).join(",");
  const victim = cluster.nodes[2].httpAddr;
  await cluster.kill(2);
  let last = json(binds);
  await waitUntil(
    "exit 1",
    () => (last = json(binds)).status === 1,
    30_000,
    () => JSON.stringify(last.model),
  );
  assert.equal(last.model.health, "degraded");
  assert.deepEqual(last.model.reasons, [`meta ${victim} DOWN`]);
  assert.equal(last.model.nodes.find((n) => n.httpAddr === victim)?.up, false);
  const table = run("-bind", binds);
  assert.equal(table.status, 1);
  assert.match(table.stdout, /2\/3 voters up - quorum at risk: tolerates 0 more failures/);

  await cluster.kill(1);
  await waitUntil(
    "exit 2",
    () => (last = json(binds)).status === 2,
    30_000,
    () => JSON.stringify(last.model),
  );
  assert.match(last.model.health, /^no-(quorum|leader)$/);
  assert.equal(last.model.votersUp, 1);
});

test("-save-profile NAME writes the connection as a profile; -profile NAME then reaches the same cluster", () => {
  const live = cluster.nodes[0].adminAddr;
  const saved = run("-bind", live, "-interval", "500ms", "-read-only", "-save-profile", "scripted", "-json");
  // The earlier test killed two nodes: the verdict is a health code, not a usage error.
  assert.ok([0, 1, 2].includes(saved.status!), saved.stderr);
  assert.match(
    saved.stderr,
    /saved profile "scripted" in .*config\.json \(use: influx-cluster -profile scripted\)/,
  );
  const shown = JSON.parse(run("tui", "config", "show").stdout) as { profiles: Record<string, unknown> };
  assert.deepEqual(shown.profiles.scripted, { bind: live, readOnly: true, interval: "500ms" });
  const again = run("-profile", "scripted", "-json");
  assert.equal(again.status, saved.status, again.stderr);
  assert.equal((JSON.parse(again.stdout) as Model).admin.bind, live);
  const bad = run("-bind", live, "-save-profile", "no/slash", "-json");
  assert.equal(bad.status, EXIT.usage);
  assert.equal((JSON.parse(bad.stdout) as Model).health, "unknown");
});
