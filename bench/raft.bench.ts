// The Raft engine alone: three in-process nodes over loopback TCP with the real WAL, stable store
// and snapshot store (fdatasync on every batch). Committed entries per second and p50/p99
// latency at 1, 16 and 64 concurrent proposers, and the time from killing the leader to the next
// committed entry (defaults: election timeout 1 s → random 0.5–1 s silence).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NotLeaderError } from "../src/raft/errors.ts";
import type { RaftNode } from "../src/raft/host.ts";
import { openRaftNode, type RaftTiming } from "../src/raft/open.ts";
import { TcpTransport } from "../src/raft/transport.ts";
import type { Configuration, Entry, StateMachine } from "../src/raft/types.ts";
import { median, runLoad, type LoadResult } from "./lib/load.ts";
import { Report } from "./lib/results.ts";

const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 5) * 1000;
const FAILOVERS = Number(process.env.BENCH_FAILOVERS ?? 5);
const PAYLOAD = new Uint8Array(64).fill(7);
const timing: RaftTiming = {
  tickMs: 10,
  electionTimeoutMs: 500,
  heartbeatIntervalMs: 50,
  leaderLeaseMs: 500,
  snapshotThreshold: 8192,
  trailingLogs: 10240,
};

class Counter implements StateMachine<number> {
  n = 0;
  apply(entry: Entry): number {
    return entry.data.length > 0 ? ++this.n : this.n;
  }
  snapshot(): Uint8Array {
    return new TextEncoder().encode(String(this.n));
  }
  restore(data: Uint8Array): void {
    this.n = Number(new TextDecoder().decode(data));
  }
}

interface Member {
  dir: string;
  port: number;
  transport: TcpTransport;
  raft: RaftNode;
}

const base = mkdtempSync(join(tmpdir(), "raft-bench-"));

async function open(i: number, port = 0): Promise<Member> {
  const transport = await TcpTransport.listen({
    bindHost: "127.0.0.1",
    port,
    advertiseAddress: `127.0.0.1:${port}`,
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  });
  const dir = join(base, `n${i}`);
  const raft = await openRaftNode(dir, { transport, fsm: new Counter(), timing });
  return { dir, port: Number(transport.localAddress.split(":")[1]), transport, raft };
}

const members: Member[] = [];
for (let i = 0; i < 3; i++) members.push(await open(i));
const config: Configuration = {
  servers: members.map((m) => ({
    id: m.raft.stats().id,
    address: m.transport.localAddress,
    suffrage: "voter" as const,
  })),
};
await Promise.all(members.map((m) => m.raft.bootstrap(config)));

async function leader(): Promise<RaftNode> {
  for (;;) {
    const l = members.find((m) => m.raft.state() === "leader");
    if (l) return l.raft;
    await new Promise((r) => setTimeout(r, 5));
  }
}

const load: LoadResult[] = [];
for (const c of [1, 16, 64]) {
  const l = await leader();
  load.push(await runLoad(c, DURATION_MS, async () => void (await l.apply(PAYLOAD))));
}

const failovers: number[] = [];
for (let k = 0; k < FAILOVERS; k++) {
  const l = await leader();
  const idx = members.findIndex((m) => m.raft === l);
  const victim = members[idx];
  const killedAt = performance.now();
  await victim.raft.shutdown();
  await victim.transport.close();
  for (;;) {
    const next = members.find((m, i) => i !== idx && m.raft.state() === "leader");
    if (next) {
      try {
        await next.raft.apply(PAYLOAD, 2000);
        break;
      } catch (err) {
        if (!(err instanceof NotLeaderError)) throw err;
      }
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  failovers.push(performance.now() - killedAt);
  members[idx] = await open(idx, victim.port);
}

const report = new Report("raft", "Raft engine: three in-process nodes over loopback TCP with the real WAL");
report.table(
  "Committed 64-byte entries (fdatasync on every batch)",
  load.map((r) => ({ ...r })),
);
report.target(
  "leader killed → next committed entry (median)",
  `${median(failovers).toFixed(0)} ms (${failovers.map((f) => f.toFixed(0)).join(", ")})`,
  "< 1500 ms",
  median(failovers) < 1500,
);
report.save({ load, failoverMs: failovers, timing });
await Promise.all(members.map(async (m) => (await m.raft.shutdown(), await m.transport.close())));
rmSync(base, { recursive: true, force: true });
