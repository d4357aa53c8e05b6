/**
 * A simulated cluster: real RaftNode hosts over the real file-backed stores (SegmentedWal,
 * FileStableStore, FileSnapshotStore) on a per-node SimulatedFileSystem, connected by the
 * simulated network, timed by virtual clocks. Node life cycle: start, crash (process dies and
 * the machine loses power: `fs.crash`), restart from the crashed disk, restart from an older
 * copy of its disk, pause/resume, wipe.
 */
import { RaftNode, type RaftLogger } from "../../../src/raft/host.ts";
import { NotLeaderError, LeadershipTransferInProgressError } from "../../../src/raft/errors.ts";
import { SimulatedCrashError, SimulatedFileSystem } from "../../support/sim-fs.ts";
import { errorCode } from "../../../src/raft/storage/fs.ts";
import { SegmentedWal } from "../../../src/raft/storage/wal.ts";
import { FileStableStore } from "../../../src/raft/storage/stable.ts";
import { FileSnapshotStore } from "../../../src/raft/storage/snapshots.ts";
import { checkStores } from "../../../src/raft/storage/integrity.ts";
import type { Configuration, ServerId } from "../../../src/raft/types.ts";
import { SimClock } from "./clock.ts";
import { InvariantChecker, type NodeStatus } from "./invariants.ts";
import { KvStateMachine, encodeCommand, type KvResult } from "./kv-fsm.ts";
import { SimNetwork, messageLabel, type SimTransport } from "./network.ts";
import type { Rng } from "./rng.ts";
import type { Scheduler } from "./scheduler.ts";
import type { ClientRouting, KvEndpoint } from "./workload.ts";

export interface TimingOptions {
  tickMs: number;
  electionTimeoutMs: number;
  heartbeatIntervalMs: number;
  leaderLeaseMs: number;
  snapshotThreshold: number;
  trailingLogs: number;
  /** Bound on apply / read / membership calls inside the host. */
  opTimeoutMs: number;
}

export interface DiskOptions {
  /** Latency of fsync-class operations, virtual ms; 0 = instant. */
  syncLatencyMax: number;
  /** Chance that one fsync takes much longer (a latency spike). */
  spikeRate: number;
  spikeMax: number;
  /** WAL segment size: small, so segment rollover and head deletion happen. */
  segmentSize: number;
}

/** A copy of a node's files, as an operator's backup would take it. */
export interface DiskCopy {
  generation: number;
  dirs: string[];
  files: Map<string, Uint8Array>;
}

/** After an older disk copy was restored: the node must get back what it had acknowledged. */
interface CatchUp {
  node: SimNode;
  life: number;
  target: number;
  deadline: number;
}

export class SimNode {
  /** Current incarnation's server id (a wiped node rejoins under a fresh one). */
  id: ServerId;
  fs = new SimulatedFileSystem();
  host: RaftNode | null = null;
  fsm: KvStateMachine | null = null;
  clock: SimClock | null = null;
  transport: SimTransport | null = null;
  paused = false;
  starting = false;
  /** This incarnation was bootstrapped or asked to join: its disk may hold cluster state. */
  hasClusterState = false;
  /** Incremented at every start and crash: callbacks of older lives are ignored. */
  life = 0;
  /** Incremented when the disk is wiped: the node then joins as a new server, `name.generation`. */
  generation = 1;
  /** An older copy of this node's disk, for the "restarts with an older disk" fault. */
  backup: DiskCopy | null = null;

  constructor(
    readonly name: string,
    readonly address: string,
  ) {
    this.id = name;
  }

  get up(): boolean {
    return this.host !== null;
  }
}

const DATA_DIR = "/raft";
const STABLE_DIR = `${DATA_DIR}/stable`;

async function readTree(
  fs: SimulatedFileSystem,
  dir: string,
  copy: { dirs: string[]; files: Map<string, Uint8Array> },
) {
  copy.dirs.push(dir);
  for (const name of await fs.readdir(dir)) {
    const path = `${dir}/${name}`;
    if ((await fs.stat(path)).isDirectory) await readTree(fs, path, copy);
    else copy.files.set(path, await fs.readFile(path));
  }
}

function isInjectedDiskFault(err: unknown): boolean {
  if (err instanceof SimulatedCrashError) return true;
  const code = errorCode(err);
  return code === "EIO" || code === "ENOSPC";
}

function statusOf(host: RaftNode): NodeStatus {
  const st = host.coreStatus();
  return { id: st.id, state: st.state, term: st.term, commitIndex: st.commitIndex };
}

export class SimCluster {
  readonly nodes: SimNode[] = [];
  readonly network: SimNetwork;
  readonly checker: InvariantChecker;
  /** Errors that must fail the run (e.g. a node failing to reopen its disk). */
  readonly errors: string[] = [];
  /** Highest log index of a write a client got an acknowledgement for. */
  maxAckedIndex = 0;
  /** Processes that stopped on their own (fail-stop on a disk fault) and were restarted. */
  selfExits = 0;
  /** Nodes restarted from an older disk copy that have not caught up yet. */
  readonly catchUps: CatchUp[] = [];

  constructor(
    readonly scheduler: Scheduler,
    private readonly rng: Rng,
    readonly timing: TimingOptions,
    readonly disk: DiskOptions,
    private readonly clockDrift: boolean,
  ) {
    this.network = new SimNetwork(scheduler, rng.fork());
    this.checker = new InvariantChecker((line) => scheduler.trace(line));
  }

  addNode(name: string): SimNode {
    const node = new SimNode(name, `${name}:8089`);
    this.nodes.push(node);
    this.configureDisk(node);
    return node;
  }

  node(name: string): SimNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no simulated node ${name}`);
    return n;
  }

  byId(id: ServerId): SimNode | undefined {
    return this.nodes.find((n) => n.id === id);
  }

  private configureDisk(node: SimNode): void {
    const { syncLatencyMax, spikeRate, spikeMax } = this.disk;
    if (syncLatencyMax <= 0 && spikeRate <= 0) return;
    const rng = this.rng.fork();
    node.fs.onOp = (op) => {
      if (op.kind !== "datasync" && op.kind !== "sync" && op.kind !== "fsyncDir") return;
      let delay = rng.next() * syncLatencyMax;
      if (rng.chance(spikeRate)) delay += rng.next() * spikeMax;
      if (delay <= 0) return;
      return new Promise<void>((resolve) =>
        this.scheduler.schedule(delay, `${node.name} fsync done`, resolve),
      );
    };
  }

  /** Start (or restart) the node's process on its disk. */
  async start(node: SimNode, bootstrap?: Configuration): Promise<void> {
    if (node.host || node.starting) throw new Error(`${node.name} is already running`);
    node.starting = true;
    const life = ++node.life;
    const current = () => node.life === life;
    const id = node.id;
    try {
      const wal = await SegmentedWal.open(node.fs, `${DATA_DIR}/wal`, { segmentSize: this.disk.segmentSize });
      const stable = await FileStableStore.open(node.fs, `${DATA_DIR}/stable`);
      const snaps = await FileSnapshotStore.open(node.fs, `${DATA_DIR}/snapshots`);
      if (!current()) return;
      // The daemon's own check (src/raft/open.ts): a crash must never look like corruption.
      for (const w of checkStores({
        log: wal,
        stable,
        snapshots: snaps,
        snapshotDir: `${DATA_DIR}/snapshots`,
      }))
        this.scheduler.trace(`${node.name} warn: ${w}`);
      this.checker.reopened(id, wal, stable, snaps);
      const observer = this.checker.fsmObserver(id);
      const fsm = new KvStateMachine({
        applied: (e, s) => current() && observer.applied(e, s),
        restored: (i, s) => current() && observer.restored(i, s),
      });
      const rate = this.clockDrift ? 0.95 + this.rng.next() * 0.1 : 1;
      const clock = new SimClock(
        this.scheduler,
        node.name,
        rate,
        this.rng.int(0, 1_000_000),
        () => node.paused,
      );
      const transport = this.network.attach(node.address);
      transport.onSend = (m) => {
        if (!current()) return;
        if (process.env.SIM_TRACE_SENDS) this.scheduler.trace(`send ${messageLabel(m)}`);
        this.checker.checkOutgoing(id, m);
      };
      const random = this.rng.fork();
      const host = await RaftNode.open({
        id,
        clock,
        transport,
        logStore: this.checker.wrapLogStore(id, wal, current, () =>
          current() && node.host ? statusOf(node.host) : null,
        ),
        stableStore: this.checker.wrapStableStore(id, stable, current),
        snapshotStore: this.checker.wrapSnapshotStore(id, snaps, current),
        fsm,
        tickMs: this.timing.tickMs,
        electionTimeoutMs: this.timing.electionTimeoutMs,
        heartbeatIntervalMs: this.timing.heartbeatIntervalMs,
        leaderLeaseMs: this.timing.leaderLeaseMs,
        snapshotThreshold: this.timing.snapshotThreshold,
        trailingLogs: this.timing.trailingLogs,
        defaultTimeoutMs: this.timing.opTimeoutMs,
        random: () => random.next(),
        logger: this.logger(node),
      });
      if (!current()) {
        clock.stop();
        await transport.close();
        return;
      }
      node.host = host;
      node.fsm = fsm;
      node.clock = clock;
      node.transport = transport;
      this.scheduler.trace(`${node.name} (${id}) started`);
      host.onStateChange((state) => {
        if (state === "leader" && current()) this.checker.leaderSeen(id, host.coreStatus().term);
        // The node stopped itself (fail-stop after a disk error): the supervisor restarts it.
        if (state === "shutdown" && current())
          this.scheduler.schedule(0, `${node.name} exited`, () => {
            if (current()) this.processExited(node);
          });
      });
      if (bootstrap) {
        node.hasClusterState = true;
        await host.bootstrap(bootstrap);
      }
    } catch (err) {
      if (!current()) return;
      // An injected disk fault or crash point may hit the start-up itself: the process dies
      // and is restarted. Anything else (e.g. acknowledged data found corrupt) fails the run.
      if (isInjectedDiskFault(err)) {
        this.scheduler.trace(
          `${node.name} start failed on an injected disk fault: ${(err as Error).message}`,
        );
        node.starting = false;
        this.processExited(node);
      } else this.errors.push(`${node.name} failed to start: ${(err as Error).stack ?? String(err)}`);
    } finally {
      if (current()) node.starting = false;
    }
  }

  /** A process that stopped on its own is treated as crashed, and restarted a bit later. */
  private processExited(node: SimNode): void {
    this.selfExits++;
    this.crash(node);
    const life = node.life;
    this.scheduler.schedule(this.rng.int(10, 200), `${node.name} supervisor restart`, () => {
      if (node.life === life && !node.up && !node.starting) void this.start(node);
    });
  }

  /** Arm a disk fault on the node: an I/O error on some operation, or a crash point. */
  injectDiskFault(node: SimNode): void {
    if (this.rng.chance(0.5)) {
      const target = this.rng.pick(["write", "sync", "create", "rename", "unlink"] as const);
      const code = this.rng.pick(["EIO", "ENOSPC"] as const);
      this.scheduler.trace(`${node.name} disk: next ${target} fails with ${code}`);
      node.fs.failNext(target, code);
    } else {
      const n = this.rng.int(1, 8);
      this.scheduler.trace(`${node.name} disk: crash point at mutating op +${n}`);
      node.fs.crashAtOp(n);
    }
  }

  private logger(node: SimNode): RaftLogger {
    const log = (level: string) => (o: object, msg: string) => {
      const err = (o as { err?: unknown }).err;
      this.scheduler.trace(
        `${node.name} ${level}: ${msg}${err ? ` (${(err as Error).message ?? String(err)})` : ""}`,
      );
    };
    return { info: () => {}, warn: log("warn"), error: log("error") };
  }

  /** The process dies and the machine loses power: only what was fsynced (plus some luck)
   *  survives on disk. */
  crash(node: SimNode): void {
    this.scheduler.trace(`${node.name} CRASH`);
    node.life++;
    node.starting = false;
    node.clock?.stop();
    void node.transport?.close();
    node.host = node.fsm = node.clock = node.transport = null;
    node.paused = false;
    this.network.dropBuffers(node.address);
    node.fs.crash(() => this.rng.next());
    this.checker.processEnded(node.id);
  }

  /** A crash that also loses the disk; the node comes back as a new server with a fresh id. */
  wipe(node: SimNode): void {
    if (node.up || node.starting) this.crash(node);
    this.checker.forget(node.id);
    node.fs = new SimulatedFileSystem();
    this.configureDisk(node);
    node.generation++;
    node.hasClusterState = false;
    node.id = `${node.name}.${node.generation}`;
    this.scheduler.trace(`${node.name} WIPED, new id ${node.id}`);
  }

  pause(node: SimNode): void {
    this.scheduler.trace(`${node.name} PAUSE`);
    node.paused = true;
    this.network.pause(node.address);
  }

  resume(node: SimNode): void {
    this.scheduler.trace(`${node.name} RESUME`);
    node.paused = false;
    this.network.resume(node.address);
  }

  /** Statuses of running processes, for the invariant checks after every event. */
  statuses(): NodeStatus[] {
    const out: NodeStatus[] = [];
    for (const n of this.nodes) {
      if (!n.host) continue;
      out.push(statusOf(n.host));
    }
    return out;
  }

  checkInvariants(): void {
    this.checker.checkStatus(this.statuses());
    for (let k = this.catchUps.length - 1; k >= 0; k--) {
      const c = this.catchUps[k];
      const last = c.node.host?.stats().lastLogIndex ?? 0;
      if (c.node.life !== c.life || !c.node.host || last >= c.target) {
        this.scheduler.trace(
          `${c.node.name} ${last >= c.target ? `caught up to ${c.target}` : "restarted again"} after the older disk`,
        );
        this.catchUps.splice(k, 1);
      } else if (this.scheduler.now > c.deadline) {
        throw new Error(
          `${c.node.name} restarted with an older copy of its disk never caught up: its log ends at ${last}, ` +
            `it had acknowledged ${c.target}`,
        );
      }
    }
  }

  // --- older disk copies --------------------------------------------------------------------

  /** Take a copy of the node's files now (what an operator's backup would hold). */
  async backUp(node: SimNode): Promise<void> {
    const generation = node.generation;
    const copy: DiskCopy = { generation, dirs: [], files: new Map() };
    try {
      await readTree(node.fs, DATA_DIR, copy);
    } catch {
      return; // the disk is halted at a crash point: no copy this time
    }
    if (node.generation === generation) node.backup = copy;
    this.scheduler.trace(`${node.name} disk copied (${copy.files.size} files)`);
  }

  /**
   * The node restarts with its backed-up log and snapshots (its stable store stays current, as
   * after a restored WAL; a rolled-back vote is a different fault no store can detect). Only
   * done when every entry it loses is durable on every other member, so the cluster's safety
   * does not depend on the lost copy; the node must then catch up within `deadlineMs`.
   * Returns null when that condition does not hold, else the node's last log index once it has
   * restarted (before catching up).
   */
  restartWithOlderDisk(node: SimNode, deadlineMs: number): Promise<number> | null {
    const backup = node.backup;
    const leader = this.leader();
    if (!backup || backup.generation !== node.generation || !node.host || !leader?.host || leader === node)
      return null;
    const members = leader.host.configuration().latest.config.servers.map((s) => s.id);
    if (!members.includes(node.id)) return null;
    const last = this.checker.durableLast(node.id);
    const entry = this.checker.durableEntry(node.id, last);
    if (!entry) return null;
    for (const id of members) {
      if (id === node.id) continue;
      const other = this.checker.durableEntry(id, last);
      if (!other || other.term !== entry.term || other.hash !== entry.hash) return null;
    }
    const target = Math.min(last, leader.host.coreStatus().commitIndex);
    this.crash(node);
    const crashed = node.fs;
    const fs = new SimulatedFileSystem();
    node.starting = true; // nobody else restarts it meanwhile
    return (async () => {
      const current: DiskCopy = { generation: node.generation, dirs: [], files: new Map() };
      await readTree(crashed, STABLE_DIR, current);
      const files = [...backup.files].filter(([path]) => !path.startsWith(`${STABLE_DIR}/`));
      for (const dir of backup.dirs) await fs.mkdir(dir);
      for (const [path, bytes] of [...files, ...current.files]) {
        const h = await fs.open(path, "create");
        await h.writeDurable(bytes, 0);
        await h.close();
      }
      for (const dir of backup.dirs) await fs.fsyncDir(dir);
      node.fs = fs;
      this.configureDisk(node);
      this.checker.rolledBack(node.id);
      this.scheduler.trace(
        `${node.name} restarts with an older copy of its disk (log to ${target} acknowledged)`,
      );
      node.starting = false;
      await this.start(node);
      if (!node.host) return 0;
      this.catchUps.push({ node, life: node.life, target, deadline: this.scheduler.now + deadlineMs });
      return node.host.stats().lastLogIndex;
    })();
  }

  /** The running leader with the highest term, if any. */
  leader(): SimNode | null {
    let best: SimNode | null = null;
    let bestTerm = -1;
    for (const n of this.nodes) {
      if (!n.host || n.paused) continue;
      const st = n.host.coreStatus();
      if (st.state === "leader" && st.term > bestTerm) {
        best = n;
        bestTerm = st.term;
      }
    }
    return best;
  }

  // --- clients ----------------------------------------------------------------------------

  endpoint(node: SimNode, staleReads = false): KvEndpoint {
    const host = node.host!;
    const fsm = node.fsm!;
    return {
      id: node.name,
      apply: async (command) => {
        const { index, result } = await host.apply(encodeCommand(command));
        this.maxAckedIndex = Math.max(this.maxAckedIndex, index);
        return result as KvResult;
      },
      read: async (key) => {
        if (!staleReads) await host.readIndex();
        return fsm.read(key);
      },
    };
  }

  routing(staleReads: boolean): ClientRouting {
    return {
      endpoint: (hint, rng) => {
        const hinted = hint === null ? undefined : this.nodes.find((n) => n.name === hint || n.id === hint);
        if (hinted?.host) return this.endpoint(hinted, staleReads);
        const live = this.nodes.filter((n) => n.host);
        return live.length === 0 ? null : this.endpoint(rng.pick(live), staleReads);
      },
      // Refused before anything was appended: the operation cannot take effect.
      isDefiniteFailure: (err) =>
        err instanceof NotLeaderError || err instanceof LeadershipTransferInProgressError,
      leaderHint: (err) => (err instanceof NotLeaderError ? err.leaderId : null),
    };
  }
}
