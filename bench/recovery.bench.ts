// Recovery time of a meta node restarted with 100,000 entries in its Raft log: from process start
// to serving /status as a follower of the running cluster. Target (issue 7): under 2 s.
// Snapshots are pushed out of the way (snapshot-threshold above the entry count) so the whole
// log is replayed from the WAL.
import http from "node:http";
import { LocalCluster } from "../src/demo/local-cluster.ts";
import { encodeCommand, decodeResponse } from "../src/proto/index.ts";
import { request } from "../src/util/http-client.ts";
import { median, runLoad } from "./lib/load.ts";
import { Report } from "./lib/results.ts";
import type { StatusJson } from "../src/meta/service.ts";

const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 100_000);
const RESTARTS = Number(process.env.BENCH_RESTARTS ?? 3);
const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });

const cluster = await LocalCluster.start({ size: 3, meta: { "snapshot-threshold": ENTRIES * 10 } });
const times: number[] = [];
const toLeader: number[] = [];
let lastIndex = 0;
try {
  const leader = cluster.nodes[await cluster.leaderIndex()];
  const bodies = Array.from({ length: 100 }, (_, i) =>
    encodeCommand({ type: "CreateDatabaseCommand", name: `r-${i}` }),
  );
  // Fill the log as fast as the cluster takes it.
  await runLoad(
    64,
    600_000,
    async (w, seq) => {
      const res = await request(`http://${leader.httpAddr}/execute`, {
        method: "POST",
        body: bodies[(w + seq) % 100],
        contentType: "application/octet-stream",
        timeoutMs: 10_000,
        agent,
      });
      if (res.status !== 200 || !decodeResponse(res.body).ok) throw new Error(`status ${res.status}`);
    },
    ENTRIES,
  );
  const followerIndex = [0, 1, 2].find((i) => cluster.nodes[i] !== leader)!;
  const follower = cluster.nodes[followerIndex];
  for (let k = 0; k < RESTARTS; k++) {
    await cluster.kill(followerIndex, "SIGTERM");
    const started = performance.now();
    await cluster.restart(followerIndex);
    let served = false;
    for (;;) {
      const res = await request(`http://${follower.httpAddr}/status`, { timeoutMs: 1000 }).catch(() => null);
      const s = res?.status === 200 ? (JSON.parse(res.body.toString()) as StatusJson) : null;
      if (!served && s?.raft.state === "follower") {
        served = true;
        times.push(performance.now() - started);
        lastIndex = s.raft.lastLogIndex;
      }
      if (s?.raft.state === "follower" && s.leader !== "") {
        toLeader.push(performance.now() - started);
        break;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  }
} finally {
  await cluster.stop();
}
const report = new Report("recovery", "Restart of a meta node with a long Raft log");
report.table("Process start → /status answers as a follower", [
  {
    logEntries: lastIndex,
    restarts: times.length,
    servingAsFollowerMs: median(times).toFixed(0),
    runsMs: times.map((t) => t.toFixed(0)).join(", "),
    leaderKnownMs: median(toLeader).toFixed(0),
  },
]);
report.target(
  `restart with ${lastIndex} log entries → serving /status as a follower (median)`,
  `${median(times).toFixed(0)} ms`,
  "< 2000 ms",
  median(times) < 2000,
);
report.save({ entries: lastIndex, restartMs: times, leaderKnownMs: toLeader });
