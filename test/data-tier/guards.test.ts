// Data-tier guards, show-shards health and rebalance against a real influxd and data-node
// stand-ins that hold real points: no command removes the last live copy of a shard without
// -force, copies are verified and caught up, and every move keeps every point (checksums).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { LocalCluster } from "../../src/demo/local-cluster.ts";
import { request } from "../../src/util/http-client.ts";
import { DataTier } from "../support/data-tier.ts";
import { BIN, ctl } from "../support/cluster.ts";
import { GoMetaCluster } from "../support/go-meta-standin.ts";

let cluster: LocalCluster;
const tier = new DataTier(() => cluster);

before(async () => {
  cluster = await LocalCluster.start({ size: 1 });
});
after(async () => {
  await tier.stop();
  await cluster?.stop();
});

const dataNode = () => tier.dataNode();
const admin = () => ["-bind", cluster.nodes[0].adminAddr];
const meta = () => ["-bind", cluster.nodes[0].httpAddr];
const metadata = () => tier.metadata();
const database = (replicaN: number, hoursAgo: number[]) => tier.database(replicaN, hoursAgo);
const owners = (shard: number) => tier.owners(shard);
const seed = (shard: number, points?: number) => tier.seed(shard, points);
const liveCopies = (shard: number, checksum: string) => tier.liveCopies(shard, checksum);

test("remove-shard refuses the last live copy (8084 and 8091, ours and Go's ctl shape); -force removes it", async () => {
  const [a, b] = [await dataNode(), await dataNode()];
  const { shards } = await database(1, [3]);
  const sums = new Map<number, string>();
  for (const s of shards) sums.set(s, await seed(s));
  const [shard] = shards;
  const [owner] = await owners(shard);
  const other = owner === a ? b : a;
  for (const bind of [admin(), meta()]) {
    const refused = await ctl([...bind, "remove-shard", owner.tcpAddr, String(shard)]);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      new RegExp(
        `^remove-shard: data node ${owner.tcpAddr} holds the last live copy of shard ${shard}; .*-force`,
      ),
    );
  }
  // Go's influxd-ctl posts /remove-shard without a force parameter: a 409 that names it.
  const res = await request(`http://${cluster.nodes[0].httpAddr}/remove-shard`, {
    method: "POST",
    form: { src: owner.tcpAddr, shard: String(shard) },
    timeoutMs: 10_000,
  });
  assert.equal(res.status, 409);
  const body = JSON.parse(res.body.toString()) as { error: string; code: string };
  assert.equal(body.code, "LAST_LIVE_COPY");
  assert.match(body.error, /force=true/);
  assert.equal(owner.checksum(shard), sums.get(shard), "nothing was removed");
  assert.deepEqual(await owners(shard), [owner]);

  // With a second live copy, the first can go, and every point stays on the other.
  const copied = await ctl([...admin(), "copy-shard", owner.tcpAddr, other.tcpAddr, String(shard)]);
  assert.equal(copied.code, 0, copied.stderr);
  assert.equal(other.checksum(shard), sums.get(shard));
  const removed = await ctl([...meta(), "remove-shard", owner.tcpAddr, String(shard)]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.deepEqual(await owners(shard), [other]);
  assert.equal(owner.checksum(shard), "");

  const forced = await ctl([...admin(), "remove-shard", "-force", "-y", other.tcpAddr, String(shard)]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.deepEqual(await owners(shard), []);
  assert.equal(other.checksum(shard), "", "-force removed the last copy");
});

test("copy-shard refuses a destination that has the shard and a source that lacks it; a hot shard is caught up", async () => {
  const [a, b, c] = [await dataNode(), await dataNode(), await dataNode()];
  // A group an hour ahead: it is still current however long the test takes.
  const { shards } = await database(1, [-1]);
  const [shard] = shards;
  const checksum = await seed(shard);
  const [owner] = await owners(shard);
  const [dest] = [a, b, c].filter((n) => n !== owner);
  // dest holds a stray copy no metadata lists.
  dest.write(shard, ["stray value=1 1"]);
  const has = await ctl([...admin(), "copy-shard", owner.tcpAddr, dest.tcpAddr, String(shard)]);
  assert.equal(has.code, 1);
  assert.match(has.stderr, /already holds a copy of shard .* that no metadata lists/);
  dest.shards.delete(shard);
  // The source owns it in the metadata but does not hold it.
  const held = owner.shards.get(shard)!;
  owner.shards.delete(shard);
  const lacks = await ctl([...admin(), "copy-shard", owner.tcpAddr, dest.tcpAddr, String(shard)]);
  assert.equal(lacks.code, 1);
  assert.match(lacks.stderr, /owns shard \d+ but does not hold it/);
  owner.shards.set(shard, held);
  assert.deepEqual(await owners(shard), [owner], "no refusal changed the owners");

  // A copy of the hot shard while it is written: a write lands after the backup's snapshot.
  let release = () => {};
  owner.backupGate = new Promise((r) => (release = r));
  const taken = owner.backupsTaken;
  const copy = ctl([...admin(), "copy-shard", owner.tcpAddr, dest.tcpAddr, String(shard)]);
  await cluster.waitFor("the backup's snapshot", async () => owner.backupsTaken > taken, 30_000);
  owner.write(shard, ["cpu late=1 99"]);
  owner.backupGate = null;
  release();
  const done = await copy;
  assert.equal(done.code, 0, done.stderr);
  assert.notEqual(owner.checksum(shard), checksum, "the source took a write during the copy");
  assert.equal(dest.checksum(shard), owner.checksum(shard), "the catch-up copy brought it");
  const asked = dest.received.filter((r) => r.kind === "copy-shard");
  assert.equal(asked.length, 2);
  assert.ok(
    asked[1].kind === "copy-shard" && asked[1].request.since !== undefined,
    "the second copy has since",
  );
  // The destination owns it now: copying there again is refused.
  const again = await ctl([...admin(), "copy-shard", owner.tcpAddr, dest.tcpAddr, String(shard)]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already owns shard/);
});

test("remove-data refuses while the node holds the last live copy, naming the shards and rebalance -drain; drain then remove keeps every point", async () => {
  for (let i = 0; i < 3; i++) await dataNode();
  const { shards } = await database(1, [5, 6, 7]);
  const sums = new Map<number, string>();
  for (const s of shards) sums.set(s, await seed(s));
  const [victim] = await owners(shards[0]);
  const refused = await ctl([...admin(), "remove-data", "-y", victim.tcpAddr]);
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    new RegExp(
      `^remove-data: data node ${victim.tcpAddr} holds the last live copy of \\d+ shards? \\(.*\\); it was not removed\\. Move them first: influxd-ctl rebalance -drain ${victim.tcpAddr}`,
    ),
  );
  assert.ok(
    (await metadata()).dataNodes.some((n) => n.tcpAddr === victim.tcpAddr),
    "still a member",
  );

  const dry = await ctl([...meta(), "-json", "rebalance", "-drain", victim.tcpAddr, "-dry-run"]);
  assert.equal(dry.code, 0, dry.stderr);
  const plan = JSON.parse(dry.stdout) as { moves: { shard: number }[] };
  assert.ok(plan.moves.length > 0);
  const drained = await ctl([...admin(), "rebalance", "-drain", victim.tcpAddr, "-y"]);
  assert.equal(drained.code, 0, drained.stderr);
  assert.match(drained.stdout, /^Moved \d+ shards? \(/);
  assert.match(drained.stderr, /\[1\/\d+\] shard \d+ .*: copying/);
  for (const [s, sum] of sums) {
    assert.equal(await liveCopies(s, sum), 1, `shard ${s} kept every point`);
    assert.ok(!(await owners(s)).includes(victim), `shard ${s} is off the drained node`);
  }
  const removed = await ctl([...admin(), "remove-data", "-y", victim.tcpAddr]);
  assert.equal(removed.code, 0, removed.stderr);
});

test("show-shards: a health summary line after Go's listing, -v each shard's state, -json all of it", async () => {
  await dataNode();
  await dataNode();
  const { shards } = await database(2, [2]);
  const [shard] = shards;
  await seed(shard);
  // One owner loses its copy: the shard is under-replicated and missing there.
  const [first] = await owners(shard);
  first.shards.delete(shard);
  const shown = await ctl([...meta(), "show-shards"]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /^Shards\n==========\nID +Database +Retention Policy/);
  assert.match(
    shown.stdout,
    /\n\nReplica health: \d+ shards: \d+ healthy, [1-9]\d* under-replicated, \d+ unavailable, [1-9]\d* missing, /,
  );
  const verbose = await ctl([...admin(), "show-shards", "-v"]);
  assert.equal(verbose.code, 0, verbose.stderr);
  assert.match(verbose.stdout, new RegExp(`\\n${shard} +under-replicated,missing +1 +2 `));
  const json = await ctl([...admin(), "-json", "show-shards", "-v"]);
  const parsed = JSON.parse(json.stdout) as {
    shards: { id: number }[];
    health: { summary: Record<string, number>; shards: { id: number; states: string[] }[] };
  };
  assert.ok(parsed.shards.some((s) => s.id === shard));
  assert.deepEqual(parsed.health.shards.find((s) => s.id === shard)!.states, ["under-replicated", "missing"]);
  assert.ok(parsed.health.summary.unavailable >= 0 && parsed.health.summary["under-replicated"] >= 1);
  // A data node that is down: the shard only it owns is unavailable, and it is reported DOWN.
  const lonely = await database(1, [3]);
  await seed(lonely.shards[0]);
  const [only] = await owners(lonely.shards[0]);
  await only.stop();
  const down = await ctl([...admin(), "show-shards", "-v"]);
  assert.equal(down.code, 0, down.stderr);
  assert.match(down.stdout, /Replica health: .* [1-9]\d* unavailable, .*data nodes: \d+ up, 1 down/);
  assert.match(down.stdout, new RegExp(`\\n${lonely.shards[0]} +unavailable +0 +1 `));
  assert.match(down.stdout, new RegExp(`Data node \\d+ at ${only.tcpAddr} is DOWN`));
});

test("rebalance evens the shards onto an added node, one move at a time; Ctrl-C stops after the current move, a rerun continues, nothing is ever less replicated", async () => {
  // A fresh database on two nodes, then a third, empty node.
  for (let i = 0; i < 2; i++) await dataNode();
  const { shards } = await database(1, [10, 11, 12, 13, 14, 15]);
  const sums = new Map<number, string>();
  for (const s of shards) sums.set(s, await seed(s, 50));
  const z = await dataNode();
  // The plan covers the whole cluster, so earlier tests' shards may move too: every source is
  // slowed, so the interrupt lands while a copy is running.
  for (const n of tier.standIns) n.backupDelayMs = 800;
  const child = spawn(process.execPath, [BIN, "ctl", ...admin(), "rebalance", "-y"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<number>((r) => child.on("exit", (code) => r(code ?? -1)));
  let running = true;
  void exited.then(() => (running = false));
  while (running && !/: copying/.test(stderr)) await new Promise((r) => setTimeout(r, 50));
  assert.ok(running, `rebalance ended before its first move: ${stderr}`);
  child.kill("SIGINT");
  const code = await exited;
  assert.equal(code, 1, stderr);
  // The move under way when Ctrl-C came finishes, and no other starts.
  const [before, afterStop] = stderr.split(/Stopping after the current move[^\n]*\n/);
  assert.ok(afterStop !== undefined, stderr);
  const started = before.match(/: copying\n/g)!.length;
  assert.equal((afterStop.match(/: copying\n/g) ?? []).length, 0, stderr);
  assert.equal(stderr.match(/\] shard \d+ moved;/g)!.length, started, stderr);
  const stopped = new RegExp(
    `interrupted: stopped after ${started} of (\\d+) moves; run rebalance again to continue`,
  );
  assert.ok(started < Number(stopped.exec(stderr)?.[1] ?? 0), stderr);
  for (const [s, sum] of sums) assert.ok((await liveCopies(s, sum)) >= 1, `shard ${s} still has its copy`);
  for (const n of tier.standIns) n.backupDelayMs = 0;
  const rerun = await ctl([...admin(), "rebalance", "-y"]);
  assert.equal(rerun.code, 0, rerun.stderr);
  for (const [s, sum] of sums) assert.equal(await liveCopies(s, sum), 1, `shard ${s} kept every point`);
  const again = await ctl([...admin(), "rebalance", "-dry-run"]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /Nothing to move\.$/m);
  assert.ok(z.shards.size > 0, "the added node took shards");
});

test("replace a dead data node: rebalance -drain copies its shards from their other live copies, then remove-data -force", async () => {
  for (let i = 0; i < 3; i++) await dataNode();
  const { shards } = await database(2, [20, 21]);
  const sums = new Map<number, string>();
  for (const s of shards) sums.set(s, await seed(s));
  const [dead] = await owners(shards[0]);
  await dead.stop();
  const drained = await ctl([...admin(), "rebalance", "-drain", dead.tcpAddr, "-y"]);
  assert.equal(drained.code, 0, drained.stderr);
  assert.match(drained.stderr, /is down\)/, "the plan names the copy's other source");
  for (const [s, sum] of sums) {
    const o = await owners(s);
    assert.ok(!o.includes(dead), `shard ${s}: the dead node is no owner`);
    assert.equal(await liveCopies(s, sum), 2, `shard ${s} has its two copies again, every point kept`);
  }
  const removed = await ctl([...admin(), "remove-data", "-force", "-y", dead.tcpAddr]);
  assert.equal(removed.code, 0, removed.stderr);
});

test("against a Go meta API the guards are client-side: remove-shard of the last live copy is refused before anything is sent", async () => {
  const c = await GoMetaCluster.start({ meta: 1, data: 2, registered: 2 });
  try {
    const [a] = c.dataRecords;
    c.addShard({ id: 9, owners: [a.id], replicaN: 1 });
    const bind = ["-bind", c.nodes[0].httpAddr];
    const refused = await ctl([...bind, "remove-shard", a.tcpAddr, "9"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^remove-shard: data node .* holds the last live copy of shard 9/);
    assert.deepEqual(c.requestsTo("/remove-shard"), [], "nothing was sent");
    const data = await ctl([...bind, "remove-data", "-y", a.tcpAddr]);
    assert.equal(data.code, 1);
    assert.match(data.stderr, /holds the last live copy of 1 shard \(9\).*rebalance -drain/);
    assert.deepEqual(c.requestsTo("/remove-data"), []);
    const forced = await ctl([...bind, "remove-shard", "-force", "-y", a.tcpAddr, "9"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(c.shards[0].owners, []);
  } finally {
    await c.stop();
  }
});

test("one change per shard at a time: two remove-shards of a shard's two copies sent together leave one copy; a removal during a copy is refused SHARD_BUSY", async () => {
  await dataNode();
  await dataNode();
  const { shards } = await database(2, [40]);
  const [shard] = shards;
  const sum = await seed(shard);
  const [a, b] = await owners(shard);
  assert.equal(await liveCopies(shard, sum), 2);
  const removeShard = (src: string) =>
    request(`http://${cluster.nodes[0].httpAddr}/remove-shard`, {
      method: "POST",
      form: { src, shard: String(shard) },
      timeoutMs: 30_000,
    });
  const code = (res: { body: Buffer }) => (JSON.parse(res.body.toString()) as { code: string }).code;
  // Each alone would pass: the other copy is live. Together, only one may.
  const both = await Promise.all([removeShard(a.tcpAddr), removeShard(b.tcpAddr)]);
  assert.deepEqual(
    both.map((r) => r.status).sort(),
    [204, 409],
    both.map((r) => r.body.toString()).join(" | "),
  );
  assert.match(code(both.find((r) => r.status === 409)!), /^(SHARD_BUSY|LAST_LIVE_COPY)$/);
  assert.equal(await liveCopies(shard, sum), 1, "one copy is left, every point in it");

  // A copy under way (held open by its source) makes the shard busy until it ends.
  const [left] = await owners(shard);
  const dest = left === a ? b : a; // it dropped its copy above
  let release = () => {};
  left.backupGate = new Promise((r) => (release = r));
  const taken = left.backupsTaken;
  const copy = ctl([...admin(), "copy-shard", left.tcpAddr, dest.tcpAddr, String(shard)]);
  await cluster.waitFor("the copy to be streaming", async () => left.backupsTaken > taken, 30_000);
  const busy = await removeShard(left.tcpAddr);
  assert.equal(busy.status, 409, busy.body.toString());
  assert.equal(code(busy), "SHARD_BUSY");
  assert.match(busy.body.toString(), new RegExp(`copy-shard ${left.tcpAddr} ${dest.tcpAddr} ${shard}`));
  left.backupGate = null;
  release();
  const copied = await copy;
  assert.equal(copied.code, 0, copied.stderr);
  assert.equal(await liveCopies(shard, sum), 2, "the copy went on; the removal changed nothing");
});

test("copy-shard-status lists a copy under way; kill-copy-shard drops it once the data node answers, and the destination is no owner", async () => {
  const [a, b] = [await dataNode(), await dataNode()];
  const { shards } = await database(1, [30]);
  const [shard] = shards;
  const sum = await seed(shard);
  const [owner] = await owners(shard);
  const dest = owner === a ? b : a;
  const none = await ctl([...admin(), "copy-shard-status"]);
  assert.equal(none.stdout, "No shard copies in progress.\n");
  // The copy lasts until the kill has been answered.
  let release = () => {};
  owner.backupGate = new Promise((r) => (release = r));
  const copy = ctl([...meta(), "copy-shard", owner.tcpAddr, dest.tcpAddr, String(shard)]);
  let status = "";
  for (let i = 0; i < 100 && !status.includes(String(shard)); i++) {
    await new Promise((r) => setTimeout(r, 100));
    status = (await ctl([...admin(), "copy-shard-status"])).stdout;
  }
  assert.match(
    status,
    new RegExp(
      `^Source +Dest +Database +Policy +ShardID +TotalSize +StartedAt +Phase\\n${owner.tcpAddr} +${dest.tcpAddr} +db\\d+ +rp +${shard} +\\d+ +\\S+ +copying\\n$`,
    ),
  );
  const killed = await ctl([...admin(), "kill-copy-shard", owner.tcpAddr, dest.tcpAddr, String(shard)]);
  assert.equal(killed.code, 0, killed.stderr);
  assert.equal(killed.stdout, `Killed shard copy ${shard} from ${owner.tcpAddr} to ${dest.tcpAddr}\n`);
  owner.backupGate = null;
  release();
  const done = await copy;
  assert.equal(done.code, 1);
  assert.match(done.stderr, /was killed: .* dropped its copy and is not an owner/);
  assert.deepEqual(await owners(shard), [owner]);
  assert.equal(dest.checksum(shard), "");
  assert.equal(owner.checksum(shard), sum);
  const unknown = await ctl([...admin(), "kill-copy-shard", owner.tcpAddr, dest.tcpAddr, String(shard)]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /no copy of shard \d+ from .* is under way/);
});
