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
report.save(rows);
