// The TUI's data tier against a real influxd and data-node stand-ins holding real points: the data
// nodes' counts, a node's shards with their health, remove-data refused on a last live copy with
// the drain advice, a rebalance run (stopped mid-run, then continued) that keeps every point, and
// the header's warning when a shard's only copy goes down.
import { after, afterEach, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { clientFor } from "../../src/client/detect.ts";
import { assessReplicas } from "../../src/cluster/replica-health.ts";
import { LocalCluster } from "../../src/demo/local-cluster.ts";
import { keyBarItems } from "../../src/tui/keymap.ts";
import { CONFIRM_GRACE_MS } from "../../src/tui/state.ts";
import { PLAIN_HTTP } from "../../src/util/http-client.ts";
import { DataTier } from "../support/data-tier.ts";
import { healthLine, unavailableText } from "../../src/tui/data-tier.ts";
import { healthy, metaRow, snapshot, stateAfter, T0 } from "./fixtures.ts";
import { drive, KEY, renderApp, withKeys } from "./harness.tsx";

const INTERVAL = 300;
let cluster: LocalCluster;
const tier = new DataTier(() => cluster);

before(async () => {
  cluster = await LocalCluster.start({ size: 1 });
});
const open: { unmount(): void }[] = [];
afterEach(() => {
  for (const app of open.splice(0)) app.unmount();
});
after(async () => {
  await tier.stop();
  await cluster?.stop();
});

function openApp(readOnly: string | null = null) {
  const bind = cluster.nodes[0].adminAddr;
  const ui = renderApp({
    admin: clientFor("admin", bind, PLAIN_HTTP, 10_000),
    bind,
    intervalMs: INTERVAL,
    readOnly,
  });
  open.push(ui);
  const app = drive(ui);
  return {
    ...app,
    /** In the data tier view: selects the node at `tcpAddr` (rows in ID order). */
    async selectData(tcpAddr: string) {
      const row = new RegExp(`^> +\\d+ ${tcpAddr.replace(/\./g, "\\.")} `, "m");
      for (let i = 0; i < 10 && !row.test(app.frame()); i++) await app.type(i === 0 ? "k".repeat(10) : "j");
      assert.match(app.frame(), row);
    },
  };
}

const esc = (s: string) => s.replace(/\./g, "\\.");

/** A node's line in the data tier view: ID, address, status, version, shards, bytes, under-replicated, unavailable. */
function nodeLine(frame: string, tcpAddr: string): string[] {
  const line = frame.split("\n").find((l) => new RegExp(`^[> ] +\\d+ ${esc(tcpAddr)} `).test(l));
  assert.ok(line, `a line for ${tcpAddr} in:\n${frame}`);
  return line.replace(/^>/, "").trim().split(/ +/);
}

test("read-only disables remove, rebalance and drain in the data tier, as for meta nodes", () => {
  const s = {
    ...stateAfter([{ type: "snapshot", snapshot: healthy() }], undefined, "-read-only"),
    mode: "data" as const,
  };
  const bar = keyBarItems(s, 0).map((c) => c.text);
  for (const label of ["d remove (read-only)", "b rebalance (read-only)", "D drain (read-only)"])
    assert.ok(bar.includes(label), `${label} in ${bar.join(" | ")}`);
});

test("a data node with more shards than the screen has rows scrolls through them, saying how many are above and below", async () => {
  const SHARDS = 40;
  const data = metaRow(4, { key: "data:127.0.0.1:8188", role: "data", raftAddr: "127.0.0.1:8188" });
  const shards = Array.from({ length: SHARDS }, (_, i) => ({
    id: 101 + i,
    database: "db",
    retentionPolicy: "autogen",
    replicaN: 1,
    shardGroupId: 1 + i,
    hot: false,
    owners: [4],
  }));
  const copies = new Map(shards.map((sh) => [sh.id, { size: 1024, state: "active" }]));
  const report = assessReplicas(
    { nodes: [{ id: 4, tcpAddr: "127.0.0.1:8188", up: true, copies }], shards },
    "all",
  );
  const s = stateAfter(
    [
      { type: "snapshot", snapshot: snapshot([metaRow(1), data]) },
      { type: "dataHealth", health: { report, error: null, at: T0 } },
      { type: "dataOpen" },
    ],
    { columns: 120, rows: 24 },
  );
  const app = await withKeys(s);
  try {
    await app.type(KEY.enter);
    const shardRows = (f: string) => f.split("\n").filter((l) => /^ +\d+ db\.autogen /.test(l));
    assert.match(app.frame(), /Shards of data node 4/);
    assert.match(app.frame(), /^ +101 db\.autogen /m, "the first shard on top");
    const shown = shardRows(app.frame()).length;
    assert.ok(shown > 1 && shown < SHARDS, `${shown} of ${SHARDS} shards fit`);
    assert.match(app.frame(), new RegExp(`0 above, ${SHARDS - shown} below`));
    await app.type("j", "j");
    assert.match(app.frame(), new RegExp(`2 above, ${SHARDS - shown - 2} below`));
    assert.match(shardRows(app.frame())[0], /^ +103 /, "two lines down");
    await app.type("G");
    const last = shardRows(app.frame());
    assert.match(last.at(-1)!, new RegExp(`^ +${100 + SHARDS} `), "the last shard shows");
    assert.match(app.frame(), new RegExp(`${SHARDS - shown} above, 0 below`));
    await app.type("k");
    assert.match(
      app.frame(),
      new RegExp(`${SHARDS - shown - 1} above, 1 below`),
      "k moves at once from the end",
    );
    await app.type("g");
    assert.match(app.frame(), new RegExp(`0 above, ${SHARDS - shown} below`));
  } finally {
    app.unmount();
  }
});

test("a failed health poll keeps the last report, marked stale with the failure", () => {
  const report = {
    summary: {
      shards: 3,
      healthy: 2,
      "under-replicated": 0,
      unavailable: 1,
      missing: 0,
      orphan: 0,
      hot: 0,
      "nodes-up": 1,
      "nodes-down": 1,
    },
    nodes: [],
    shards: [],
    orphans: [],
  };
  const s = stateAfter([
    { type: "dataHealth", health: { report, error: null, at: T0 } },
    { type: "dataHealthFailed", error: "replica health: no answer within 5000ms", at: T0 + 10_000 },
  ]);
  assert.equal(s.dataHealth?.report, report);
  const line = healthLine(s.dataHealth);
  assert.match(
    line.text,
    /^as of \S+ \(now: replica health: no answer within 5000ms\): 3 shards: 2 healthy, .*1 unavailable/,
  );
  assert.equal(unavailableText(s.dataHealth), "1 shard UNAVAILABLE", "the header keeps saying it");
});

test("the data tier shows each node's counts; Enter lists its shards with their health; d on a last copy is refused with the drain advice", async () => {
  const [a, b] = [await tier.dataNode(), await tier.dataNode()];
  const { shards } = await tier.database(1, [3, 4]);
  for (const s of shards) await tier.seed(s);
  const app = openApp();
  await app.waitFor("the table", /LEADER/);
  await app.type(KEY.tab);
  await app.waitFor(
    "the health counts",
    new RegExp(`${shards.length} shards: ${shards.length} healthy, 0 under-replicated, 0 unavailable`),
  );
  const aShards = a.shards.size;
  const line = nodeLine(app.frame(), a.tcpAddr);
  // ID, address, status, version, shards, bytes (value and unit), under-replicated, unavailable, last copies.
  assert.match(line[2], /^(up|joined)$/);
  assert.equal(line[4], String(aShards));
  assert.equal(line.at(-3), "0");
  assert.equal(line.at(-2), "0");
  assert.equal(line.at(-1), String(aShards), "every copy on it is a last copy (one replica)");

  await app.selectData(a.tcpAddr);
  await app.type("\r");
  await app.waitFor("its shards", new RegExp(`Shards of data node \\d+ at ${esc(a.tcpAddr)}`));
  for (const id of a.shards.keys())
    assert.match(app.frame(), new RegExp(`^ +${id} db\\d+\\.rp +1/1 .* live +healthy`, "m"));
  await app.type("\x1b");

  await app.selectData(a.tcpAddr);
  await app.type("d");
  await app.waitFor(
    "the refusal",
    new RegExp(`REFUSED: data node ${esc(a.tcpAddr)} holds the last live copy of ${aShards} shards? \\(`),
  );
  assert.match(app.frame().replace(/\n *│? */g, " "), new RegExp(`rebalance -drain ${esc(a.tcpAddr)}`));
  assert.match(app.frame(), /Nothing will be changed/);
  // f: the stricter typed confirmation, saying what would be lost; Esc leaves it untouched.
  await app.type("f");
  await app.waitFor("the force dialog", new RegExp(`FORCE-remove data node ${esc(a.tcpAddr)}`));
  assert.match(app.frame(), new RegExp(`force: ${aShards} shards? lose their last live copy`));
  assert.match(app.frame(), new RegExp(`Type ${esc(a.tcpAddr)} and press Enter`));
  await app.type("\x1b");
  await app.waitFor("the cancel", new RegExp(`removal of ${esc(a.tcpAddr)} cancelled; nothing was changed`));
  await app.type("d");
  await app.waitFor("the refusal again", /REFUSED: /);
  await app.type("n");
  await app.waitFor("the data nodes again", /Data nodes \(2\)/);
  const show = await cluster.admin(0).show();
  assert.ok(
    show.data.some((d) => d.tcpAddr === a.tcpAddr),
    "nothing was removed",
  );
  assert.ok(b.shards.size > 0);
});

test("b plans a rebalance; y runs it with a progress bar; s stops after the current move with nothing less replicated; running it again finishes it, every point kept", async () => {
  const [x, y] = [await tier.dataNode(), await tier.dataNode()];
  const { shards } = await tier.database(1, [10, 11, 12, 13, 14, 15]);
  const sums = new Map<number, string>();
  for (const s of shards) sums.set(s, await tier.seed(s, 50));
  const z = await tier.dataNode();
  // Long copies, so that the stop arrives while a move is under way.
  for (const n of tier.standIns) n.backupDelayMs = 600;
  const app = openApp();
  await app.waitFor("the table", /LEADER/);
  await app.type(KEY.tab);
  await app.waitFor("the new node", new RegExp(`${esc(z.tcpAddr)} `));
  await app.type("b");
  await app.waitFor("the plan", /y makes the \d+ moves/);
  const planned = Number(/Rebalance: (\d+) moves/.exec(app.frame())?.[1]);
  assert.ok(planned >= 2, app.frame());
  await new Promise((r) => setTimeout(r, CONFIRM_GRACE_MS + 50));
  await app.type("y");
  await app.waitFor("the first move under way", /now: shard \d+ .*-> /);
  assert.match(app.frame(), /\[[#.]+\] 0\/\d+ moves/);
  await app.type("s");
  await app.waitFor("the stop", /stopped after \d+ of \d+ moves/, 30_000);
  const stopped = Number(/stopped after (\d+) of/.exec(app.frame())?.[1]);
  assert.ok(stopped < planned, app.frame());
  for (const [s, sum] of sums)
    assert.ok((await tier.liveCopies(s, sum)) >= 1, `shard ${s} still has a copy with every point`);

  for (const n of tier.standIns) n.backupDelayMs = 0;
  await app.type("b");
  await app.waitFor("the rest of the plan", /y makes the \d+ moves/);
  const rest = Number(/Rebalance: (\d+) moves/.exec(app.frame())?.[1]);
  assert.equal(rest, planned - stopped, "the second run continues where the first stopped");
  await new Promise((r) => setTimeout(r, CONFIRM_GRACE_MS + 50));
  await app.type("y");
  await app.waitFor("the end", new RegExp(`moved ${rest} shards?`), 30_000);
  for (const [s, sum] of sums) assert.equal(await tier.liveCopies(s, sum), 1, `shard ${s} kept every point`);
  assert.ok(z.shards.size > 0, "the added node took shards");
  assert.ok(x.shards.size > 0 && y.shards.size > 0);
  await app.type("b");
  await app.waitFor("nothing left", /Nothing to move\./);
});

test("the header says when a shard is unavailable: its only copy's node stopped", async () => {
  const lonely = await tier.dataNode();
  await tier.dataNode();
  const { shards } = await tier.database(1, [30]);
  for (const s of shards) await tier.seed(s);
  const app = openApp();
  await app.waitFor("the table", /LEADER/);
  await app.type(KEY.tab);
  await app.waitFor("the health, with no shard unavailable", / 0 unavailable/);
  await app.type("\x1b");
  assert.doesNotMatch(app.frame(), /UNAVAILABLE/);
  assert.ok(lonely.shards.size > 0);
  await lonely.stop();
  await app.waitFor("the warning", /DATA: \d+ shards? UNAVAILABLE/);
  await app.type(KEY.tab);
  await app.waitFor("the node down", new RegExp(`${esc(lonely.tcpAddr)} +DOWN`));
  assert.match(app.frame(), /[1-9]\d* unavailable/);
});

test("-json and the plain report carry the data tier's health: its summary and each node's counts", async () => {
  // Asynchronously: the stand-ins live in this process and must answer while it runs.
  const home = mkdtempSync(join(tmpdir(), "tui-data-"));
  const run = (...args: string[]) =>
    promisify(execFile)(process.execPath, [resolve("bin/influx-cluster.js"), ...args], {
      env: {
        ...process.env,
        XDG_STATE_HOME: join(home, "state"),
        INFLUX_CLUSTER_CONFIG_DIR: join(home, "config"),
      },
    }).catch((err: { stdout: string; code: number }) => err);
  const bind = cluster.nodes[0].adminAddr;
  const health = await clientFor("admin", bind, PLAIN_HTTP, 10_000).replicaHealth("none");
  const json = await run("-bind", bind, "-json");
  const model = JSON.parse(json.stdout) as {
    dataTier: {
      summary: { shards: number; unavailable: number };
      nodes: { tcpAddr: string; shards: number }[];
    };
  };
  assert.equal(model.dataTier.summary.shards, health.summary.shards);
  assert.equal(model.dataTier.summary.unavailable, health.summary.unavailable);
  assert.deepEqual(
    model.dataTier.nodes.map((n) => [n.tcpAddr, n.shards]),
    health.nodes.map((n) => [n.tcpAddr, n.shards]),
  );
  const text = await run("-bind", bind);
  assert.match(
    text.stdout,
    new RegExp(
      `^data tier: ${health.summary.shards} shards: .* ${health.summary.unavailable} unavailable`,
      "m",
    ),
  );
});

test("d on a DOWN data node goes straight to the typed confirmation; only its exact TCP address removes it", async () => {
  const dead = await tier.dataNode();
  await tier.dataNode();
  await dead.stop();
  const app = openApp();
  await app.waitFor("the table", /LEADER/);
  await app.type(KEY.tab);
  await app.waitFor("the node down", new RegExp(`${esc(dead.tcpAddr)} +DOWN`));
  await app.selectData(dead.tcpAddr);
  await app.type("d");
  await app.waitFor("the force dialog", new RegExp(`FORCE-remove data node ${esc(dead.tcpAddr)}`));
  assert.match(app.frame(), /it cannot be reached: it is only dropped from the cluster/);
  await app.type(..."127.0.0.1:1".split(""), "\r");
  await app.waitFor("the mismatch", /is not .*; nothing was removed/);
  assert.ok(
    (await cluster.admin(0).show()).data.some((d) => d.tcpAddr === dead.tcpAddr),
    "nothing was removed",
  );
  for (let i = 0; i < 20; i++) await app.type("\x7f");
  await app.type(...dead.tcpAddr.split(""), "\r");
  await app.waitFor("the removal", new RegExp(`removed data node \\d+ at ${esc(dead.tcpAddr)} \\(force\\)`));
  assert.ok(!(await cluster.admin(0).show()).data.some((d) => d.tcpAddr === dead.tcpAddr), "it was removed");
});

test("a replica health that does not answer degrades the data tier (it says so) and never freezes the view; a client without data-tier operations says so", async () => {
  // A real service that accepts the connection and never answers.
  const sockets: net.Socket[] = [];
  const hung = net.createServer((socket) => void sockets.push(socket));
  await new Promise<void>((r) => hung.listen(0, "127.0.0.1", r));
  try {
    const bind = cluster.nodes[0].adminAddr;
    const real = clientFor("admin", bind, PLAIN_HTTP, 10_000);
    const silent = clientFor(
      "meta",
      `127.0.0.1:${(hung.address() as net.AddressInfo).port}`,
      PLAIN_HTTP,
      60_000,
    );
    const admin = Object.assign(Object.create(real) as typeof real, {
      replicaHealth: (detail: "all") => silent.replicaHealth(detail),
    });
    const ui = renderApp({ admin, bind, intervalMs: INTERVAL });
    open.push(ui);
    const app = drive(ui);
    await app.waitFor("the table", /LEADER/);
    await app.type(KEY.tab);
    assert.match(app.frame(), /asking the data nodes for their shards/);
    // Keys still work and the node polls go on while the health is awaited.
    await app.type("\x1b");
    const polled = /polled (\S+)/.exec(app.frame())?.[1];
    await app.waitFor("a later poll", new RegExp(`polled (?!${polled})`));
    await app.type(KEY.tab);
    await app.waitFor(
      "the deadline said",
      /data tier unknown: replica health: no answer within \d+ms/,
      20_000,
    );

    const bare = renderApp({ admin: cluster.admin(0), bind, intervalMs: INTERVAL });
    open.push(bare);
    const other = drive(bare);
    await other.waitFor("the table", /LEADER/);
    await other.type(KEY.tab);
    await other.waitFor("why", /data tier unknown: this service offers no data-tier operations/);
  } finally {
    for (const socket of sockets) socket.destroy();
    hung.close();
  }
});
