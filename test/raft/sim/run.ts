/**
 * One simulation run, a pure function of its seed:
 *   1. start the cluster (bootstrapped voters + unbootstrapped spares for membership changes);
 *   2. fault phase: clients run put/get/cas while the nemesis injects the seed's faults;
 *      invariants are checked after every event;
 *   3. heal: network calm and whole, paused nodes resumed, crashed nodes restarted; there must
 *      be a single leader within 10 election timeouts, and every member must converge to the
 *      same applied index and FSM state;
 *   4. durability: every node crashes at once (power loss) and restarts; the cluster must
 *      converge again, at least to the highest index a client got an acknowledgement for;
 *   5. final reads of every key, then the whole client history goes through the
 *      linearizability checker.
 */
import { checkLinearizability, kvModel } from "../../support/linearizability.ts";
import { SimCluster, type SimNode, type TimingOptions } from "./cluster.ts";
import { Nemesis } from "./nemesis.ts";
import { CALM_NETWORK } from "./network.ts";
import { Rng } from "./rng.ts";
import { Scheduler, settle } from "./scheduler.ts";
import { describeSwarm, networkFaults, pickSwarm, type SwarmConfig } from "./swarm.ts";
import { Workload } from "./workload.ts";

export interface SimOptions {
  seed: number;
  /** Override the seed's swarm choice (named scenarios). */
  swarm?: Partial<SwarmConfig>;
  /** Virtual duration of the fault phase. */
  faultMs?: number;
  clients?: number;
  keys?: number;
  /** Clients read the local FSM without ReadIndex: a known-broken read path, used to show
   *  that the simulator and checker catch stale reads. */
  staleReads?: boolean;
  /** Scripted actions for a named scenario, scheduled when the fault phase starts. */
  script?: (ctx: ScriptContext) => void;
}

export interface ScriptContext {
  cluster: SimCluster;
  /** Run `fn` `ms` virtual ms after the fault phase starts; a throw or rejection fails the run. */
  at(ms: number, label: string, fn: () => void | Promise<void>): void;
  /** Checked after the run (cluster converged, history linearizable); a throw fails the run. */
  atEnd(fn: () => void): void;
  trace(line: string): void;
}

export interface SimReport {
  seed: number;
  swarm: string;
  events: number;
  virtualMs: number;
  traceHash: string;
  operations: { ok: number; fail: number; indeterminate: number };
  historyLength: number;
  finalAppliedIndex: number;
  nemesisActions: number;
  selfExits: number;
  messages: { delivered: number; dropped: number };
}

export class SimFailure extends Error {
  constructor(
    readonly seed: number,
    reason: string,
    traceTail: string[],
  ) {
    super(
      `simulation seed ${seed} failed: ${reason}\n` +
        `replay: SEED=${seed} node --import tsx --test test/raft/sim.test.ts\n` +
        `--- trace tail ---\n${traceTail.join("\n")}`,
    );
    this.name = "SimFailure";
  }
}

const TIMING: TimingOptions = {
  tickMs: 10,
  electionTimeoutMs: 150,
  heartbeatIntervalMs: 40,
  leaderLeaseMs: 150,
  snapshotThreshold: 1000,
  trailingLogs: 100,
  opTimeoutMs: 600,
};

export async function runSimulation(options: SimOptions): Promise<SimReport> {
  const { seed } = options;
  const root = new Rng(seed);
  const swarm: SwarmConfig = { ...pickSwarm(root.fork()), ...options.swarm };
  const scheduler = new Scheduler();
  const setupRng = root.fork();
  const timing: TimingOptions = swarm.smallSnapshots
    ? { ...TIMING, snapshotThreshold: setupRng.int(3, 12), trailingLogs: setupRng.int(0, 4) }
    : TIMING;
  const cluster = new SimCluster(
    scheduler,
    root.fork(),
    timing,
    swarm.slowDisk
      ? { syncLatencyMax: 3, spikeRate: 0.02, spikeMax: 200, segmentSize: 4096 }
      : { syncLatencyMax: 0, spikeRate: 0, spikeMax: 0, segmentSize: 4096 },
    swarm.clockDrift,
  );
  const workload = new Workload(scheduler, root.fork(), cluster.routing(options.staleReads ?? false), {
    clients: options.clients ?? 3,
    keys: options.keys ?? 3,
    opTimeout: 2 * timing.opTimeoutMs,
    thinkMin: 5,
    thinkMax: 60,
  });
  const nemesis = new Nemesis(cluster, root.fork(), swarm);
  const election = timing.electionTimeoutMs;
  const endChecks: (() => void)[] = [];

  const check = () => {
    if (cluster.checker.violation) throw cluster.checker.violation;
    if (cluster.errors.length > 0) throw new Error(cluster.errors[0]);
    cluster.checkInvariants();
  };
  const fail = (reason: string): never => {
    throw new SimFailure(seed, `${reason}\nswarm: ${describeSwarm(swarm)}`, scheduler.traceTail());
  };

  try {
    // 1. Start.
    const voters: SimNode[] = [];
    for (let i = 1; i <= swarm.nodes; i++) voters.push(cluster.addNode(`n${i}`));
    const spares = swarm.membership ? [cluster.addNode("s1"), cluster.addNode("s2")] : [];
    const config = {
      servers: voters.map((n) => ({ id: n.id, address: n.address, suffrage: "voter" as const })),
    };
    await scheduler.runUntilSettled(
      Promise.all([...voters.map((n) => cluster.start(n, config)), ...spares.map((n) => cluster.start(n))]),
      1000,
      check,
    );

    // 2. Faults under load.
    const faultStart = scheduler.now;
    const faultEnd = faultStart + (options.faultMs ?? 1500);
    cluster.network.faults = networkFaults(swarm, root.fork());
    workload.start(faultEnd);
    nemesis.start(faultEnd);
    options.script?.({
      cluster,
      at: (ms, label, fn) =>
        scheduler.schedule(faultStart + ms - scheduler.now, `script: ${label}`, () => {
          const recordError = (err: unknown) =>
            cluster.errors.push(
              `scenario step "${label}" failed: ${err instanceof Error ? err.message : String(err)}`,
            );
          try {
            Promise.resolve(fn()).catch(recordError);
          } catch (err) {
            recordError(err);
          }
        }),
      atEnd: (fn) => endChecks.push(fn),
      trace: (line) => scheduler.trace(`script: ${line}`),
    });
    await scheduler.runUntil(faultEnd, check);

    // 3. Heal; liveness.
    heal(cluster);
    await waitFor(
      scheduler,
      check,
      scheduler.now + 10 * election,
      () => stableLeader(cluster) !== null,
      () =>
        fail(`no single stable leader within 10 election timeouts after healing\n${describeNodes(cluster)}`),
    );
    // Clients finish (their pending operations answer or time out).
    await waitFor(
      scheduler,
      check,
      scheduler.now + 10 * timing.opTimeoutMs,
      () => !workload.busy,
      () => fail("client operations still pending long after healing"),
    );
    let members: SimNode[] | null = null;
    await waitFor(
      scheduler,
      check,
      scheduler.now + 40 * election,
      () => (members = converged(cluster)) !== null,
      () => fail(`members did not converge after healing\n${describeNodes(cluster)}`),
    );

    // 4. Durability: power loss everywhere, then restart every member.
    const acked = cluster.maxAckedIndex;
    let finalMembers: SimNode[] | null = null;
    for (const n of cluster.nodes) if (n.up || n.starting) cluster.crash(n);
    for (const n of members!) void cluster.start(n);
    await waitFor(
      scheduler,
      check,
      scheduler.now + 10 * election,
      () => stableLeader(cluster) !== null,
      () =>
        fail(`no leader within 10 election timeouts after a full-cluster crash\n${describeNodes(cluster)}`),
    );
    await waitFor(
      scheduler,
      check,
      scheduler.now + 40 * election,
      () => {
        finalMembers = converged(cluster);
        return finalMembers !== null && finalMembers[0].host!.stats().appliedIndex >= acked;
      },
      () =>
        fail(
          `after a full-cluster crash, members did not converge to acknowledged index ${acked}\n${describeNodes(cluster)}`,
        ),
    );

    // 5. Linearizability.
    await scheduler.runUntilSettled(
      workload.finalReads(scheduler.now + 100 * election),
      scheduler.now + 100 * election,
      check,
    );
    const result = checkLinearizability(kvModel, workload.history, { maxSteps: 2_000_000 });
    if (result.ok === false) fail(`history is not linearizable: ${result.explanation}`);
    if (result.ok === "unknown") fail(`linearizability check inconclusive: ${result.explanation}`);
    for (const endCheck of endChecks) endCheck();

    const finalAppliedIndex = (finalMembers as SimNode[] | null)?.[0].host?.stats().appliedIndex ?? -1;
    return {
      seed,
      swarm: describeSwarm(swarm),
      events: scheduler.eventsRun,
      virtualMs: Math.round(scheduler.now),
      traceHash: scheduler.traceHash(),
      operations: { ...workload.counts },
      historyLength: workload.history.length,
      finalAppliedIndex,
      nemesisActions: nemesis.actions,
      selfExits: cluster.selfExits,
      messages: { delivered: cluster.network.delivered, dropped: cluster.network.dropped },
    };
  } catch (err) {
    if (err instanceof SimFailure) throw err;
    return fail(err instanceof Error ? (err.stack ?? err.message) : String(err));
  } finally {
    // Stop every process so nothing of this run lingers (its timers are virtual anyway).
    for (const n of cluster.nodes) if (n.up) cluster.crash(n);
  }
}

function heal(cluster: SimCluster): void {
  cluster.scheduler.trace("HEAL: network whole and calm, every node up");
  cluster.network.heal();
  cluster.network.faults = { ...CALM_NETWORK };
  for (const n of cluster.nodes) {
    if (n.paused) cluster.resume(n);
    if (!n.up && !n.starting && n.hasClusterState) void cluster.start(n);
  }
}

async function waitFor(
  scheduler: Scheduler,
  check: () => void,
  deadline: number,
  condition: () => boolean,
  onTimeout: () => never,
): Promise<void> {
  await settle(); // let work started just before (e.g. node restarts) schedule its events
  while (!condition()) {
    if (!(await scheduler.step(deadline))) onTimeout();
    check();
  }
}

/** The one leader all running members agree on (same term, everyone follows it), or null. */
function stableLeader(cluster: SimCluster): SimNode | null {
  const leader = cluster.leader();
  if (!leader?.host) return null;
  const st = leader.host.coreStatus();
  const config = st.latestConfig.config;
  for (const s of config.servers) {
    const n = cluster.byId(s.id);
    if (!n?.host) return null;
    const ns = n.host.coreStatus();
    if (ns.term !== st.term || ns.leader !== leader.id) return null;
  }
  return leader;
}

/**
 * When the configuration is settled and every member has applied everything the leader has,
 * with equal FSM states: the members (leader first). Otherwise null.
 */
function converged(cluster: SimCluster): SimNode[] | null {
  const leader = stableLeader(cluster);
  if (!leader?.host) return null;
  const st = leader.host.coreStatus();
  if (st.pendingConfigChange || st.commitIndex !== st.lastIndex) return null;
  const members = [
    leader,
    ...st.latestConfig.config.servers.filter((s) => s.id !== leader.id).map((s) => cluster.byId(s.id)!),
  ];
  const hash = leader.fsm!.stateHash();
  for (const n of members) {
    if (!n.host || n.host.stats().appliedIndex !== st.lastIndex || n.fsm!.stateHash() !== hash) return null;
  }
  return members;
}

function describeNodes(cluster: SimCluster): string {
  return cluster.nodes
    .map((n) => {
      if (!n.host) return `  ${n.name} (${n.id}): down${n.starting ? " (starting)" : ""}`;
      const s = n.host.stats();
      return (
        `  ${n.name} (${n.id}): ${s.state} term ${s.term} leader ${s.leaderId} commit ${s.commitIndex} applied ${s.appliedIndex}` +
        ` last ${s.lastLogIndex} voters [${s.voters.join(",")}] nonvoters [${s.nonvoters.join(",")}]` +
        `${n.paused ? " PAUSED" : ""}`
      );
    })
    .join("\n");
}
