// /execute throughput and latency on three real influxd processes over loopback (CreateDatabase
// commands), failover time after kill -9 of the leader, and, when etcd is installed, the same
// load generator against a three-member etcd in the same run.
// Targets (issue 4): >= 1.25x etcd's throughput at concurrency 64; p50 at concurrency 1 no worse
// than etcd's; failover under 1.5 s median with default timeouts. Issue 15: p99 at concurrency 1
// at most 1.2x etcd's.
import http from "node:http";
import { cpus, loadavg } from "node:os";
import { LocalCluster } from "../src/demo/local-cluster.ts";
import { encodeCommand, decodeResponse } from "../src/proto/index.ts";
import { request } from "../src/util/http-client.ts";
import { EtcdCluster, etcdAvailable } from "./lib/etcd.ts";
import {
  epochNow,
  GC_OBSERVER_ARGS,
  gcRows,
  readGcPauses,
  slowestMeetingGc,
  type Interval,
} from "./lib/gc-pauses.ts";
import { median, runLoad, type LoadResult } from "./lib/load.ts";
import { Report } from "./lib/results.ts";

const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 5) * 1000;
// BENCH_LEVELS=1,64 narrows the run while tuning; the published run uses all three.
const LEVELS = (process.env.BENCH_LEVELS ?? "1,16,64").split(",").map(Number);
const FAILOVERS = Number(process.env.BENCH_FAILOVERS ?? 5);
// A bounded key space keeps the state small, so the figures measure consensus, not state growth.
const KEYS = 100;
// Both systems get the same untimed warm-up before the measured levels: V8 optimises the hot
// path only after some thousands of requests, and a cold JIT is not what the figures compare.
const WARMUP_MS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3) * 1000;
const WARMUP_CONCURRENCY = 16;
const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });

/** The untimed warm-up, then one measured run per concurrency level (`onLevel` is told which). */
async function measureLevels(
  op: (worker: number, seq: number) => Promise<void>,
  onLevel: (concurrency: number) => void = () => {},
): Promise<LoadResult[]> {
  if (WARMUP_MS > 0) await runLoad(WARMUP_CONCURRENCY, WARMUP_MS, op);
  const results: LoadResult[] = [];
  for (const c of LEVELS) {
    onLevel(c);
    results.push(await runLoad(c, DURATION_MS, op));
  }
  return results;
}

/** Every request at concurrency 1 (start and latency), to set against the nodes' collections. */
const atConcurrency1: Interval[] = [];

async function influxLoad(cluster: LocalCluster, leaderIndex: number): Promise<LoadResult[]> {
  const leader = cluster.nodes[leaderIndex].httpAddr;
  const bodies = Array.from({ length: KEYS }, (_, i) =>
    encodeCommand({ type: "CreateDatabaseCommand", name: `bench-${i}` }),
  );
  let level = 0;
  return measureLevels(
    async (w, seq) => {
      const start = epochNow();
      const res = await request(`http://${leader}/execute`, {
        method: "POST",
        body: bodies[(w * 7919 + seq) % KEYS],
        contentType: "application/octet-stream",
        timeoutMs: 10_000,
        agent,
      });
      if (res.status !== 200 || !decodeResponse(res.body).ok) throw new Error(`status ${res.status}`);
      if (level === 1) atConcurrency1.push({ start, ms: epochNow() - start });
    },
    (c) => (level = c),
  );
}

async function etcdLoad(etcd: EtcdCluster): Promise<LoadResult[]> {
  const leader = await etcd.leaderUrl();
  const bodies = Array.from({ length: KEYS }, (_, i) =>
    Buffer.from(
      JSON.stringify({
        key: Buffer.from(`bench-${i}`).toString("base64"),
        value: Buffer.from("x").toString("base64"),
      }),
    ),
  );
  return measureLevels(async (w, seq) => {
    const res = await request(`${leader}/v3/kv/put`, {
      method: "POST",
      body: bodies[(w * 7919 + seq) % KEYS],
      contentType: "application/json",
      timeoutMs: 10_000,
      agent,
    });
    if (res.status !== 200) throw new Error(`status ${res.status}`);
  });
}

/** kill -9 of the leader → first write acknowledged by the new leader, in ms. */
async function failover(cluster: LocalCluster): Promise<number> {
  const old = await cluster.leaderIndex();
  const body = encodeCommand({ type: "CreateDatabaseCommand", name: "failover" });
  const survivors = cluster.nodes.filter((_, i) => i !== old);
  const killedAt = performance.now();
  await cluster.kill(old, "SIGKILL");
  for (;;) {
    for (const n of survivors) {
      const res = await request(`http://${n.httpAddr}/execute`, {
        method: "POST",
        body,
        contentType: "application/octet-stream",
        timeoutMs: 500,
      }).catch(() => null);
      if (res?.status === 200 && decodeResponse(res.body).ok) {
        const ms = performance.now() - killedAt;
        await cluster.restart(old);
        await cluster.leaderIndex();
        return ms;
      }
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

// The 1-minute load average before and after: on a shared machine it says what else competed for
// the cores (tail latency suffers first).
const loadBefore = loadavg()[0];
// Each node logs its garbage collections (bench/lib/gc-observer.mjs), read after the load.
const cluster = await LocalCluster.start({ size: 3, nodeArgs: GC_OBSERVER_ARGS });
let influx: LoadResult[];
let gcNodes: { name: string; pauses: ReturnType<typeof readGcPauses> }[] = [];
const failovers: number[] = [];
try {
  const leaderIndex = await cluster.leaderIndex();
  influx = await influxLoad(cluster, leaderIndex);
  gcNodes = cluster.nodes.map((n, i) => ({
    name: i === leaderIndex ? "leader" : `follower ${n.name}`,
    pauses: readGcPauses(n.logFile),
  }));
  for (let i = 0; i < FAILOVERS; i++) failovers.push(await failover(cluster));
} finally {
  await cluster.stop();
}
const report = new Report("meta", "Meta service: /execute on three influxd processes, next to etcd");
report.note(
  `Each system gets the same untimed warm-up first (${WARMUP_MS / 1000} s at concurrency ${WARMUP_CONCURRENCY}), ` +
    `then ${DURATION_MS / 1000} s per level. ` +
    "Without it the first level measures V8 optimising the server and the load " +
    "generator (p50 at concurrency 1 falls from about 2 ms in the first second to 1.1 ms by the fifth), " +
    "and the shared load generator is cold for our run but warm for etcd's.",
);
report.table(
  "influx-cluster POST /execute, CreateDatabaseCommand (3 influxd processes, loopback)",
  influx.map((r) => ({ ...r })),
);
if (atConcurrency1.length > 0) {
  report.table(
    "influxd garbage collections during the concurrency-1 level, per 1000 commits",
    gcRows(gcNodes, atConcurrency1),
  );
  const met = slowestMeetingGc(gcNodes, atConcurrency1);
  report.note(
    `Of the ${met.slowest} slowest requests at concurrency 1 (the 1% above p99), ${met.any} overlapped a garbage ` +
      `collection in an influxd (${Object.entries(met.byNode)
        .map(([n, k]) => `${n}: ${k}`)
        .join(", ")}); the rest met none. ` +
      (met.any * 2 < met.slowest
        ? "Collections do not set this run's tail: its slowest requests waited elsewhere, mostly for a core " +
          "(see the load average below; a CPU profile of the leader under such load puts the largest share of its time per " +
          "commit (about a third) in the loopback socket writes, where the receiving process is woken and takes the core). "
        : "") +
      "Each influxd logs its collections through a PerformanceObserver that only this benchmark loads " +
      "(bench/lib/gc-observer.mjs); no V8 flag is set.",
  );
}
report.note(
  "p99 at concurrency 1 (issue 15): it was set by young-generation pauses, which are paid per byte allocated, so the " +
    "commit path allocates less (Raft frames encoded into one reused buffer per peer, WAL batches into a reused " +
    "writer, server ids interned on decode, no per-acknowledgement arrays or sorts, no async call for a Ready that " +
    "writes nothing, fdatasync without FileHandle's promise machinery, the Ready loop scheduled without " +
    "queueMicrotask's AsyncResource): the leader allocates 34 KiB per commit instead of 62, a follower 12 KiB " +
    "instead of 26. Measured in a diagnosis run, not by this benchmark: this load at concurrency 1 for 5 s " +
    "between two forced scavenges, with --expose-gc --trace-gc-nvp, the idle rate subtracted. A sampling heap " +
    "profile of the leader puts what remains in Node's HTTP server and socket streams (about 12 KiB per commit), " +
    "the /execute handler with its protobuf decode and answer (about 6.5 KiB), the Raft Ready loop with the FSM's " +
    "apply (about 11 KiB) and promise and tick bookkeeping (about 3.5 KiB).",
);
const failoverMedian = median(failovers);
if (failovers.length > 0)
  report.target(
    "failover: kill -9 of the leader → next committed write (median)",
    `${failoverMedian.toFixed(0)} ms (${failovers.map((f) => f.toFixed(0)).join(", ")})`,
    "< 1500 ms",
    failoverMedian < 1500,
  );

let etcd: LoadResult[] | null = null;
if (etcdAvailable()) {
  const e = await EtcdCluster.start(3);
  try {
    etcd = await etcdLoad(e);
  } finally {
    await e.stop();
  }
  report.table(
    "etcd 3.4, 3 members, POST /v3/kv/put (same load generator, same machine)",
    etcd.map((r) => ({ ...r })),
  );
  const ratios = LEVELS.map((c, i) => ({
    concurrency: c,
    throughputRatio: +(influx[i].opsPerSec / etcd![i].opsPerSec).toFixed(2),
    p50Ratio: +(influx[i].p50Ms / etcd![i].p50Ms).toFixed(2),
    p99Ratio: +(influx[i].p99Ms / etcd![i].p99Ms).toFixed(2),
  }));
  report.table("influx-cluster / etcd", ratios);
  const at = (c: number) => ratios.find((r) => r.concurrency === c);
  const at64 = at(64);
  const at1 = at(1);
  if (at64) {
    report.target(
      "throughput at concurrency 64, relative to etcd",
      `${at64.throughputRatio}x`,
      ">= 1.25x",
      at64.throughputRatio >= 1.25,
    );
  }
  if (at1) {
    report.target(
      "p50 latency at concurrency 1, relative to etcd",
      `${at1.p50Ratio}x`,
      "<= 1.0x",
      at1.p50Ratio <= 1.0,
    );
    report.target(
      "p99 latency at concurrency 1, relative to etcd",
      `${at1.p99Ratio}x`,
      "<= 1.2x",
      at1.p99Ratio <= 1.2,
    );
  }
} else {
  report.note("etcd is not on the PATH (apt-get install etcd-server): no comparison in this run.");
}
report.note(
  `1-minute load average of the machine before the run: ${loadBefore.toFixed(2)} (other work sharing the ` +
    `${cpus().length} cores; near 0 on an otherwise idle machine); after it: ${loadavg()[0].toFixed(2)}.`,
);
report.save({ influx, etcd, failoverMs: failovers });
