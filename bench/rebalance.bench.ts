// `influxd-ctl rebalance -dry-run` planning on the issue-15 state (bench/lib/scale-state.ts:
// 100,000 shard groups, 200,000 shards, 600,000 copies on 100 data nodes): the time our meta node
// spends from its metadata and the data nodes' ListShards answers to the plan (shardsOfMetadata +
// planRebalance, src/cluster/replica-health.ts), and the health report show-shards asks for
// (assessReplicas). The ListShards answers are built in memory: the RPC round trips (one per data
// node, in parallel) are not part of the figure. Median of 5 after one warm-up.
// Run: node --import tsx bench/rebalance.bench.ts
import {
  assessReplicas,
  planRebalance,
  shardsOfMetadata,
  type TierCopy,
  type TierNode,
} from "../src/cluster/replica-health.ts";
import { Report } from "./lib/results.ts";
import { ISSUE_SCALE, scaleState } from "./lib/scale-state.ts";

const RUNS = 5;
const TARGET_MS = 1_000;

const data = scaleState(ISSUE_SCALE);
const nowNs = BigInt(Date.now()) * 1_000_000n;
const copies = new Map<number, Map<number, TierCopy>>();
for (const s of shardsOfMetadata(data.databases, nowNs)) {
  for (const o of s.owners) {
    let m = copies.get(o);
    if (!m) copies.set(o, (m = new Map()));
    m.set(s.id, { size: 1_000_000 + (s.id % 1_000) * 1_000, state: "cold" });
  }
}
const nodes: TierNode[] = data.dataNodes.map((n) => ({
  id: n.id,
  tcpAddr: n.tcpAddr,
  up: true,
  copies: copies.get(n.id) ?? new Map(),
}));
const added: TierNode = { id: 100_000, tcpAddr: "127.0.0.1:9999", up: true, copies: new Map() };

function median(f: () => number): { ms: number; moves: number } {
  let moves = 0;
  const run = () => {
    const t = performance.now();
    moves = f();
    return performance.now() - t;
  };
  run();
  const times = Array.from({ length: RUNS }, run).sort((a, b) => a - b);
  return { ms: +times[Math.floor(RUNS / 2)].toFixed(1), moves };
}

const cases: [string, () => number][] = [
  [
    "balanced cluster (nothing to move)",
    () => planRebalance({ nodes, shards: shardsOfMetadata(data.databases, nowNs) }).moves.length,
  ],
  [
    "an added, empty data node",
    () =>
      planRebalance({ nodes: [...nodes, added], shards: shardsOfMetadata(data.databases, nowNs) }).moves
        .length,
  ],
  [
    "-drain one data node",
    () =>
      planRebalance(
        { nodes: [...nodes, added], shards: shardsOfMetadata(data.databases, nowNs) },
        { drain: nodes[0].tcpAddr },
      ).moves.length,
  ],
  [
    "replica health (show-shards summary)",
    () => assessReplicas({ nodes, shards: shardsOfMetadata(data.databases, nowNs) }).shards.length,
  ],
];
const rows = cases.map(([name, f]) => ({ case: name, ...median(f) }));
const report = new Report("rebalance", "rebalance -dry-run planning on the issue-15 state");
report.table(
  "Planning from the metadata and ListShards answers (ms, median of 5; moves or listed shards)",
  rows,
);
for (const r of rows.slice(0, 3)) {
  report.target(`rebalance -dry-run plan, ${r.case}`, `${r.ms} ms`, `< ${TARGET_MS} ms`, r.ms < TARGET_MS);
}
report.note(
  `Measured with a load average of ${(await import("node:os")).loadavg()[0].toFixed(1)} on ${(await import("node:os")).cpus().length} cores; figures scale with it. ` +
    "The plan is computed by our meta node (GET /rebalance-plan) from its metadata and one ListShards RPC per data node; " +
    "this figure leaves out the RPCs (parallel, one per node) and the HTTP answer.",
);

// A move's overhead beyond the copy: real influxd (one meta node) and data-node stand-ins, shards
// of a few bytes (the copy itself takes well under a millisecond), moved as influxd-ctl rebalance
// moves them: /copy-shard (guards, CopyShard RPC, verification, owner) then /remove-shard.
const { LocalCluster } = await import("../src/demo/local-cluster.ts");
const { MetaApi } = await import("../src/client/meta-api.ts");
const { DataNodeStandIn } = await import("../test/support/data-node.ts");
const OVERHEAD_TARGET_MS = 100;
const cluster = await LocalCluster.start({ size: 1 });
const standIns: Awaited<ReturnType<typeof DataNodeStandIn.start>>[] = [];
try {
  for (let i = 0; i < 2; i++) {
    const s = await DataNodeStandIn.start();
    standIns.push(s);
    await cluster.admin(0).addData(s.tcpAddr);
  }
  const api = new MetaApi({
    bind: cluster.nodes[0].httpAddr,
    access: { scheme: "http", headers: () => ({}) },
    timeoutMs: 10_000,
  });
  const { metaClient } = await import("../test/support/cluster.ts");
  const client = metaClient(cluster);
  await client.execute({
    type: "CreateDatabaseCommand",
    name: "bench",
    retentionPolicy: {
      name: "rp",
      duration: 0n,
      shardGroupDuration: 3_600_000_000_000n,
      replicaN: 1,
      shardGroups: [],
      subscriptions: [],
    },
  });
  for (let h = 1; h <= 10; h++) {
    await client.execute({
      type: "CreateShardGroupCommand",
      database: "bench",
      policy: "rp",
      timestamp: BigInt(Date.now() - h * 3_600_000) * 1_000_000n,
    });
  }
  const data = await client.data();
  const byAddr = new Map(data.dataNodes.map((n) => [n.id, standIns.find((s) => s.tcpAddr === n.tcpAddr)!]));
  const shards = data.databases
    .find((d) => d.name === "bench")!
    .retentionPolicies[0].shardGroups.flatMap((g) => g.shards);
  for (const s of shards) byAddr.get(s.owners[0].nodeId)!.write(s.id, [`cpu value=${s.id} ${s.id}`]);
  const moveMs: number[] = [];
  for (const s of shards) {
    const from = byAddr.get(s.owners[0].nodeId)!;
    const to = standIns.find((x) => x !== from)!;
    const t = performance.now();
    await api.copyShard(from.tcpAddr, to.tcpAddr, s.id);
    await api.removeShard(from.tcpAddr, s.id);
    moveMs.push(performance.now() - t);
  }
  moveMs.sort((a, b) => a - b);
  const med = +moveMs[Math.floor(moveMs.length / 2)].toFixed(1);
  report.table("One move of a tiny shard through a real meta node (ms)", [
    { moves: moveMs.length, median: med, max: +moveMs[moveMs.length - 1].toFixed(1) },
  ]);
  report.target(
    "a move's overhead beyond the copy (median)",
    `${med} ms`,
    `< ${OVERHEAD_TARGET_MS} ms`,
    med < OVERHEAD_TARGET_MS,
  );
} finally {
  await Promise.all(standIns.map((s) => s.stop()));
  await cluster.stop();
}
report.save(rows);
