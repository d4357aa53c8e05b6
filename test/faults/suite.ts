/**
 * One fault-injection scenario against real influxd processes: form a cluster (each node on its
 * own loopback address), run concurrent clients while the seeded schedule injects faults and
 * membership changes, heal everything, then check:
 *
 *   - election safety: never two leaders in one term (sampled all along);
 *   - liveness: after healing, one leader and every node a voter again within a bound;
 *   - membership = metadata: the Raft configuration and the MetaNodes records agree on every node;
 *   - convergence: every node holds the same users and databases at the same index;
 *   - the history (plus a final read of every node) is linearizable;
 *   - every acknowledged write that nothing raced is in every node's final metadata.
 *
 * A failing scenario leaves its history, schedule, fault log and node logs in a directory under
 * the OS temp dir and says where.
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalCluster } from "../../src/demo/local-cluster.ts";
import { MetaClient } from "../../src/meta/client.ts";
import type { StatusJson } from "../../src/meta/service.ts";
import type { MetaData } from "../../src/proto/index.ts";
import { request } from "../../src/util/http-client.ts";
import { checkLinearizability } from "../support/linearizability.ts";
import { Rng } from "../raft/sim/rng.ts";
import { FaultClient } from "./client.ts";
import { History, type HistoryEntry } from "./history.ts";
import { metaRegisterModel, valueIn } from "./model.ts";
import { LeaderMonitor } from "./monitor.ts";
import {
  makeSchedule,
  Nemesis,
  NETWORK_FAULTS,
  PROCESS_FAULTS,
  QUICK_NETWORK,
  QUICK_PROCESS,
  statuses,
  type FaultKind,
  type Step,
} from "./nemesis.ts";
import { NetFaults } from "./netfaults.ts";
import { Workload } from "./workload.ts";

export type Profile = "quick" | "full";

export interface ScenarioOptions {
  seed: number;
  profile: Profile;
  /** Use the network fault layer (only inside a private namespace). */
  network: boolean;
  log?: (line: string) => void;
}

export interface ScenarioResult {
  seed: number;
  ok: boolean;
  problems: string[];
  summary: string;
  /** Where the evidence of a failed run was written. */
  artifacts?: string;
}

const CONVERGE_TIMEOUT_MS = 60_000;

interface Plan {
  size: number;
  clients: number;
  schedule: Step[];
}

/** Everything the seed decides. */
export function planFor(seed: number, profile: Profile, network: boolean): Plan {
  const rng = new Rng(seed);
  const size = profile === "quick" ? 3 : rng.pick([3, 5]);
  let kinds: FaultKind[];
  if (profile === "quick") kinds = rng.shuffle([...(network ? QUICK_NETWORK : QUICK_PROCESS)]);
  else {
    const pool = network ? [...NETWORK_FAULTS, ...PROCESS_FAULTS] : [...PROCESS_FAULTS];
    kinds = Array.from({ length: rng.int(12, 20) }, () => rng.pick(pool));
  }
  return { size, clients: size + 1, schedule: makeSchedule(rng.fork(), kinds, size) };
}

export async function runScenario(opts: ScenarioOptions): Promise<ScenarioResult> {
  const log = opts.log ?? (() => undefined);
  const plan = planFor(opts.seed, opts.profile, opts.network);
  const dir = mkdtempSync(join(tmpdir(), `influx-faults-${opts.seed}-`));
  const history = new History();
  const problems: string[] = [];
  let cluster: LocalCluster | null = null;
  let net: NetFaults | null = null;
  let nemesis: Nemesis | null = null;
  let monitor: LeaderMonitor | null = null;
  let workload: Workload | null = null;
  let finalStatuses: Record<string, StatusJson | null> = {};
  log(
    `seed ${opts.seed}: ${plan.size} nodes, ${plan.clients} clients, ${plan.schedule.length} faults: ` +
      plan.schedule.map((s) => s.kind).join(", "),
  );
  try {
    cluster = await LocalCluster.start({
      size: plan.size,
      baseDir: join(dir, "cluster"),
      distinctHosts: true,
    });
    const nodes = cluster.nodes;
    if (opts.network) {
      net = NetFaults.open(
        nodes.map((n) => {
          const [ip, port] = n.raftAddr.split(":");
          return { ip, raftPort: Number(port) };
        }),
      );
      log(
        `network faults: iptables + tc htb${net.hasNetem ? " + netem" : " (no netem in this kernel: slow = throttled + lossy)"}`,
      );
    }
    nemesis = new Nemesis(cluster, net, () => history.now(), log);
    monitor = new LeaderMonitor(cluster, nemesis.paused, () => history.now());
    const rng = new Rng(opts.seed ^ 0x5eed);
    workload = new Workload({
      clients: plan.clients,
      servers: nodes.map((n) => n.httpAddr),
      rng,
      history,
      requestTimeoutMs: 3_000,
      deadlineMs: 8_000,
    });
    monitor.start();
    workload.start();
    await nemesis.run(plan.schedule);
    await nemesis.healAll();
    log("healed; letting the clients run on a healthy cluster");
    await new Promise((r) => setTimeout(r, 2_000));
    await workload.stop();
    await converge(cluster, nemesis, problems);
    await monitor.stop();
    problems.push(...monitor.violations);
    if (problems.length === 0) {
      const finalData = await finalReads(cluster, history);
      finalStatuses = Object.fromEntries(
        [...(await statuses(cluster, new Set()))].map(([i, s]) => [nodes[i].name, s]),
      );
      problems.push(...checkMembership(cluster, finalData, Object.values(finalStatuses)));
      problems.push(...checkConvergence(cluster, finalData));
      problems.push(...checkAcknowledged(history, workload.allKeys, cluster, finalData));
      const lin = checkLinearizability(metaRegisterModel, history.operations());
      if (lin.ok === false) problems.push(`history is not linearizable: ${lin.explanation}`);
      else if (lin.ok === "unknown") problems.push(`linearizability check inconclusive: ${lin.explanation}`);
    }
    problems.push(...workload.stats.unexpectedRefusals.map((r) => `unexpected FSM refusal: ${r}`));
  } catch (err) {
    problems.push(`scenario error: ${(err as Error).stack ?? String(err)}`);
  } finally {
    await workload?.stop().catch(() => undefined);
    await monitor?.stop().catch(() => undefined);
    try {
      net?.close();
    } catch (err) {
      problems.push(`could not remove the network faults: ${(err as Error).message}`);
    }
    await cluster?.stop().catch(() => undefined);
  }
  const counts = history.counts();
  const summary =
    `seed ${opts.seed}: ${history.entries.length} ops (ok ${counts.ok}, fail ${counts.fail}, unknown ${counts.info}), ` +
    `${workload?.stats.readsFailed ?? 0} reads without answer, leaders: ${monitor?.timeline.length ?? 0} terms`;
  const ok = problems.length === 0;
  if (ok) {
    rmSync(dir, { recursive: true, force: true });
    return { seed: opts.seed, ok, problems, summary };
  }
  writeFileSync(
    join(dir, "report.json"),
    JSON.stringify(
      {
        seed: opts.seed,
        profile: opts.profile,
        network: opts.network,
        problems,
        plan,
        faultLog: nemesis?.log ?? [],
        leaders: monitor?.timeline ?? [],
        finalStatuses,
      },
      null,
      2,
    ),
  );
  writeFileSync(join(dir, "history.json"), JSON.stringify(history.entries, null, 1));
  return { seed: opts.seed, ok, problems, summary, artifacts: dir };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits for one leader with every node a voter, re-adding nodes a membership step left out (its
 * add-meta may have failed under the faults), and cleaning up a node that was removed but not
 * wiped. Records a problem when the cluster does not get there in time.
 */
async function converge(cluster: LocalCluster, nemesis: Nemesis, problems: string[]): Promise<void> {
  const deadline = Date.now() + CONVERGE_TIMEOUT_MS;
  const all = cluster.nodes.map((n) => n.raftAddr).sort();
  let last = "no status yet";
  while (Date.now() < deadline) {
    const live = await statuses(cluster, new Set());
    const leaderEntry = [...live].find(([, s]) => s.raft.state === "leader");
    if (!leaderEntry) {
      last = `no leader; states: ${[...live].map(([i, s]) => `${i + 1}:${s.raft.state}/t${s.raft.term}`).join(" ")}`;
      await sleep(500);
      continue;
    }
    const [leaderIndex, leader] = leaderEntry;
    const members = new Set([...leader.raft.voters, ...leader.raft.nonvoters]);
    for (const [i, node] of cluster.nodes.entries()) {
      if (members.has(node.raftAddr)) continue;
      const state = live.get(i)?.raft.state;
      if (state === "unbootstrapped") {
        await cluster
          .admin(leaderIndex, 30_000)
          .addMeta(node.httpAddr)
          .then(() => nemesis.note(`heal: add-meta ${i + 1}`))
          .catch((err: Error) => (last = `add-meta ${i + 1}: ${err.message}`));
      } else if (state !== undefined) {
        // Out of the configuration but still holding its old state: have it wipe itself.
        await request(`http://${node.httpAddr}/remove-meta`, { method: "POST", timeoutMs: 10_000 })
          .then((res) => nemesis.note(`heal: cleanup of ${i + 1} answered ${res.status}`))
          .catch((err: Error) => (last = `cleanup ${i + 1}: ${err.message}`));
      }
    }
    const agreed = [...live.values()].every(
      (s) => s.leader === leader.raftAddr && [...s.raft.voters].sort().join() === all.join(),
    );
    if (live.size === cluster.nodes.length && agreed && leader.raft.nonvoters.length === 0) return;
    last = `leader ${leaderIndex + 1} t${leader.raft.term}; voters ${leader.raft.voters.join(",")}; nonvoters ${leader.raft.nonvoters.join(",")}`;
    await sleep(500);
  }
  problems.push(`stuck cluster: not converged ${CONVERGE_TIMEOUT_MS / 1000}s after healing (${last})`);
}

/** Each node's metadata at or after a barrier committed after everything else; recorded as reads. */
async function finalReads(cluster: LocalCluster, history: History): Promise<MetaData[]> {
  const servers = cluster.nodes.map((n) => n.httpAddr);
  const call = history.now();
  const barrier = await new FaultClient({
    servers,
    first: 0,
    requestTimeoutMs: 5_000,
    deadlineMs: 20_000,
  }).barrier();
  if (barrier.kind !== "applied") throw new Error(`final barrier ${barrier.kind}: ${barrier.reason}`);
  const datas = await Promise.all(
    servers.map((addr) =>
      new MetaClient({ servers: [addr], timeoutMs: 10_000, maxTries: 1 }).data(barrier.index),
    ),
  );
  const keys = new Set(history.entries.filter((e) => e.input.op !== "read").map((e) => e.input.key));
  datas.forEach((data, i) => {
    history.recordReads(
      1000 + i,
      call,
      new Map([...keys].map((k) => [k, valueIn(data, k)])),
      `final read of node ${i + 1}`,
    );
  });
  return datas;
}

function checkMembership(cluster: LocalCluster, datas: MetaData[], finals: (StatusJson | null)[]): string[] {
  const problems: string[] = [];
  const raftAddrs = cluster.nodes
    .map((n) => n.raftAddr)
    .sort()
    .join();
  datas.forEach((data, i) => {
    const records = data.metaNodes.map((m) => `${m.addr}=${m.tcpAddr}`).sort();
    const expected = cluster.nodes.map((n) => `${n.httpAddr}=${n.raftAddr}`).sort();
    if (records.join() !== expected.join())
      problems.push(
        `node ${i + 1}: MetaNodes ${records.join(" ")} do not match the nodes ${expected.join(" ")}`,
      );
  });
  for (const s of finals) {
    if (!s) continue;
    if ([...s.raft.voters].sort().join() !== raftAddrs || [...s.peers].sort().join() !== raftAddrs)
      problems.push(`${s.httpAddr}: Raft configuration ${s.peers.join(",")} is not the cluster ${raftAddrs}`);
  }
  return problems;
}

function checkConvergence(cluster: LocalCluster, datas: MetaData[]): string[] {
  const view = (d: MetaData) =>
    JSON.stringify({
      users: d.users.map((u) => `${u.name}:${u.hash}`).sort(),
      databases: d.databases.map((db) => db.name).sort(),
    });
  const first = view(datas[0]);
  return datas.flatMap((d, i) =>
    view(d) === first ? [] : [`node ${i + 1} diverges from node 1: ${view(d)} vs ${first}`],
  );
}

/**
 * For each key whose last write was acknowledged and raced nothing (every other write on the key
 * was acknowledged before it began), every node must hold that write's value.
 */
function checkAcknowledged(
  history: History,
  keys: string[],
  cluster: LocalCluster,
  datas: MetaData[],
): string[] {
  const problems: string[] = [];
  for (const key of keys) {
    const writes = history.entries.filter(
      (e) => e.input.key === key && e.input.op !== "read" && e.outcome !== "fail" && !refused(e),
    );
    if (writes.length === 0) continue;
    const last = writes.reduce((a, b) => (b.call > a.call ? b : a));
    const raced = writes.some((w) => w !== last && (w.outcome !== "ok" || (w.return as number) >= last.call));
    if (last.outcome !== "ok" || raced) continue;
    const expected = last.input.op === "drop" ? null : "value" in last.input ? last.input.value : null;
    datas.forEach((data, i) => {
      const actual = valueIn(data, key);
      if (actual !== expected)
        problems.push(
          `acknowledged write lost on ${cluster.nodes[i].name}: ${last.input.op} ${key} ` +
            `(op ${last.id}, ${last.note}) expects ${JSON.stringify(expected)}, found ${JSON.stringify(actual)}`,
        );
    });
  }
  return problems;
}

function refused(e: HistoryEntry): boolean {
  return e.outcome === "ok" && e.output !== undefined && "ok" in e.output && !e.output.ok;
}
