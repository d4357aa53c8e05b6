// The demo's data tier is real: the function `influx-cluster demo` starts its cluster with
// registers demo data nodes through the admin service, their shards hold points in every owner's
// copy, the last node starts empty so a rebalance plans moves onto it (and makes them), and stop
// leaves nothing listening. Also: -data's bad values are usage errors that start nothing.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import net from "node:net";
import { startDemoCluster, type DemoCluster } from "../../src/demo/demo-cluster.ts";
import { BIN, ctl } from "../support/cluster.ts";

let demo: DemoCluster;
const admin = () => ["-bind", demo.cluster.nodes[0].adminAddr];

before(async () => {
  demo = await startDemoCluster({ size: 1, dataNodes: 3, secure: false });
});
after(async () => {
  await demo?.stop();
});

test("the demo's data nodes are registered and up, as add-data registers them", async () => {
  assert.equal(demo.dataNodes.length, 3);
  const shown = await ctl([...admin(), "-json", "show"]);
  assert.equal(shown.code, 0, shown.stderr);
  const data = (JSON.parse(shown.stdout) as { data: { tcpAddr: string; reachable: boolean }[] }).data;
  assert.deepEqual(
    data.map((d) => [d.tcpAddr, d.reachable]),
    demo.dataNodes.map((n) => [n.tcpAddr, true]),
  );
});

test("every shard is owned, and every owner's copy holds the same points; the last node holds none", async () => {
  const shown = await ctl([...admin(), "-json", "show-shards", "-v"]);
  assert.equal(shown.code, 0, shown.stderr);
  const health = (
    JSON.parse(shown.stdout) as {
      health: {
        summary: Record<string, number>;
        shards: { id: number; owners: number[]; states: string[] }[];
      };
    }
  ).health;
  assert.ok(health.shards.length > 0, "the demo created shards");
  assert.equal(health.summary["under-replicated"], 0);
  assert.equal(health.summary.unavailable, 0);
  const [last] = demo.dataNodes.slice(-1);
  assert.equal(last.shards.size, 0, "the last data node was added empty");
  for (const shard of health.shards) {
    const holders = demo.dataNodes.filter((n) => n.shards.has(shard.id));
    assert.equal(holders.length, shard.owners.length, `shard ${shard.id}: a copy on every owner`);
    assert.ok(holders[0].pointCount(shard.id) > 0, `shard ${shard.id} holds points`);
    assert.ok(
      holders.every((h) => h.checksum(shard.id) === holders[0].checksum(shard.id)),
      `shard ${shard.id}: the same points in every copy`,
    );
  }
});

test("rebalance -dry-run plans moves onto the empty node and changes nothing", async () => {
  const [last] = demo.dataNodes.slice(-1);
  const dry = await ctl([...admin(), "-json", "rebalance", "-dry-run"]);
  assert.equal(dry.code, 0, dry.stderr);
  const plan = JSON.parse(dry.stdout) as { moves: { dest: { tcpAddr: string } }[] };
  assert.ok(
    plan.moves.some((m) => m.dest.tcpAddr === last.tcpAddr),
    `a move onto ${last.tcpAddr} in ${dry.stdout}`,
  );
  assert.equal(last.shards.size, 0, "a dry run copies nothing");
});

test("the rebalance runs for real: the empty node ends up holding the points of the shards moved to it", async () => {
  const [last] = demo.dataNodes.slice(-1);
  const dry = await ctl([...admin(), "-json", "rebalance", "-dry-run"]);
  const moves = (JSON.parse(dry.stdout) as { moves: { shard: number; dest: { tcpAddr: string } }[] }).moves;
  const sums = new Map(
    moves.map((m) => [m.shard, demo.dataNodes.find((n) => n.shards.has(m.shard))!.checksum(m.shard)]),
  );
  const run = await ctl([...admin(), "rebalance", "-y"]);
  assert.equal(run.code, 0, run.stderr);
  for (const m of moves.filter((x) => x.dest.tcpAddr === last.tcpAddr))
    assert.equal(
      last.checksum(m.shard),
      sums.get(m.shard),
      `shard ${m.shard}: its points on ${last.tcpAddr}`,
    );
  assert.ok(last.shards.size > 0);
});

test("stop leaves nothing listening", async () => {
  const addrs = [
    ...demo.dataNodes.flatMap((n) => [n.tcpAddr, n.httpAddr]),
    ...demo.cluster.nodes.flatMap((n) => [n.httpAddr, n.adminAddr, n.raftAddr]),
  ];
  await demo.stop();
  for (const addr of addrs) {
    const [host, port] = addr.split(":");
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host, port: Number(port) });
      socket.once("connect", () => (socket.destroy(), resolve(false)));
      socket.once("error", () => resolve(true));
    });
    assert.ok(refused, `nothing listens on ${addr}`);
  }
});

test("-data outside 0 to 5 is a one-line usage error, and starts nothing", () => {
  for (const bad of ["6", "-1", "x", "", "2.5"]) {
    const r = spawnSync(process.execPath, [BIN, "demo", "-data", bad], { encoding: "utf8" });
    assert.equal(r.status, 64, `-data ${JSON.stringify(bad)}: ${r.stderr}`);
    assert.equal(r.stderr, `influx-cluster demo: -data must be 0 to 5, got "${bad}"\n`);
    assert.equal(r.stdout, "");
  }
});
