/**
 * Deterministic in-memory cluster of RaftCore instances for core and scenario tests: each
 * node has a "disk" (what its Readies made durable), a tiny FSM (the list of applied command
 * payloads), and the network is a FIFO queue with cuttable links. Time is explicit ticks.
 * Every step follows the Ready contract: persist, then send, then apply, then advance.
 */
import { seededRandom } from "../../support/random.ts";
import { RaftCore, type CoreOptions } from "../../../src/raft/core.ts";
import {
  EntryType,
  type Configuration,
  type Entry,
  type HardState,
  type Message,
  type ServerId,
  type Snapshot,
} from "../../../src/raft/types.ts";

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

export interface Disk {
  hardState: HardState | null;
  snapshot: Snapshot | null;
  entries: Entry[];
}

export class SimNode {
  readonly id: ServerId;
  core!: RaftCore;
  readonly disk: Disk = { hardState: null, snapshot: null, entries: [] };
  /** FSM state: payloads of applied commands (and config entries' data), in order. */
  fsm: string[] = [];
  appliedIndex = 0;
  up = true;
  readonly opts: Omit<CoreOptions, "id" | "rng">;
  private readonly seed: number;
  private restarts = 0;

  constructor(id: ServerId, opts: Omit<CoreOptions, "id" | "rng">, seed: number) {
    this.id = id;
    this.opts = opts;
    this.seed = seed;
    this.start();
  }

  /** (Re)create the core from the disk, like a process start. */
  start(): void {
    const snap = this.disk.snapshot;
    this.fsm = snap ? (JSON.parse(dec(snap.data)) as string[]) : [];
    this.appliedIndex = snap?.meta.index ?? 0;
    this.core = new RaftCore(
      { ...this.opts, id: this.id, rng: seededRandom(this.seed * 1000 + this.restarts++) },
      { hardState: this.disk.hardState, snapshot: snap, entries: this.disk.entries.slice() },
    );
    this.up = true;
  }

  /** One Ready cycle; returns the messages to send. */
  process(): Message[] {
    const rd = this.core.ready();
    if (rd.hardState) this.disk.hardState = { ...rd.hardState };
    if (rd.snapshot) {
      this.disk.snapshot = rd.snapshot;
      this.disk.entries = [];
      this.fsm = JSON.parse(dec(rd.snapshot.data)) as string[];
      this.appliedIndex = rd.snapshot.meta.index;
    }
    if (rd.truncateFrom !== undefined) {
      this.disk.entries = this.disk.entries.filter((e) => e.index < rd.truncateFrom!);
    }
    for (const e of rd.entries) {
      const last = this.disk.entries[this.disk.entries.length - 1];
      if (last && e.index !== last.index + 1)
        throw new Error(`${this.id}: disk append gap ${last.index} -> ${e.index}`);
      this.disk.entries.push(e);
    }
    for (const e of rd.committed) {
      if (e.index !== this.appliedIndex + 1)
        throw new Error(`${this.id}: apply gap ${this.appliedIndex} -> ${e.index}`);
      if (e.type === EntryType.Command || (e.type === EntryType.Config && e.data.length > 0))
        this.fsm.push(dec(e.data));
      this.appliedIndex = e.index;
    }
    this.core.advance(rd);
    return rd.messages;
  }

  /** Snapshot the FSM at the applied index and compact, as the host does. */
  snapshotNow(trailing: number): void {
    const meta = this.core.snapshotMeta(this.appliedIndex);
    const snap: Snapshot = { meta, data: enc(JSON.stringify(this.fsm)) };
    this.disk.snapshot = snap;
    const keepFrom = this.core.compact(snap, trailing);
    this.disk.entries = this.disk.entries.filter((e) => e.index >= keepFrom);
  }
}

export class CoreCluster {
  readonly nodes = new Map<ServerId, SimNode>();
  private queue: Message[] = [];
  private readonly cut = new Set<string>();
  /** Message types to drop everywhere (e.g. to starve a node of heartbeats). */
  readonly dropTypes = new Set<number>();
  /** Optional fault injection: rewrites each delivery batch (drop, duplicate, reorder). */
  faults: ((batch: Message[]) => Message[]) | null = null;
  /** Every message ever delivered, for assertions about who talked to whom. */
  readonly delivered: Message[] = [];
  readonly opts: Omit<CoreOptions, "id" | "rng">;
  private seed = 1;

  constructor(opts: Partial<Omit<CoreOptions, "id" | "rng">> = {}) {
    this.opts = { electionTicks: 10, heartbeatTicks: 1, ...opts };
  }

  /** A cluster of `ids`, all bootstrapped with the same configuration, with `ids[0]` elected. */
  static bootstrapped(ids: ServerId[], opts: Partial<Omit<CoreOptions, "id" | "rng">> = {}): CoreCluster {
    const c = new CoreCluster(opts);
    const config = configOf(ids);
    for (const id of ids) c.add(id).core.bootstrap(config);
    c.stabilize();
    c.elect(ids[0]);
    return c;
  }

  add(id: ServerId): SimNode {
    const n = new SimNode(id, this.opts, this.seed++);
    this.nodes.set(id, n);
    return n;
  }

  node(id: ServerId): SimNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  core(id: ServerId): RaftCore {
    return this.node(id).core;
  }

  leader(): ServerId | null {
    const leaders = [...this.nodes.values()].filter((n) => n.up && n.core.status().state === "leader");
    return leaders.length === 0
      ? null
      : leaders.map((n) => n.id).sort((a, b) => this.term(b) - this.term(a))[0];
  }

  term(id: ServerId): number {
    return this.core(id).status().term;
  }

  /** Run Readies and deliver messages until nothing moves. */
  stabilize(maxRounds = 10_000): void {
    for (let round = 0; round < maxRounds; round++) {
      let moved = false;
      for (const n of this.nodes.values()) {
        while (n.up && n.core.hasReady()) {
          this.queue.push(...n.process());
          moved = true;
        }
      }
      if (this.queue.length > 0) {
        moved = true;
        this.deliverAll();
      }
      if (!moved) return;
    }
    throw new Error("cluster did not stabilize");
  }

  /** Put messages a test took out of a Ready by hand onto the network. */
  send(messages: Message[]): void {
    this.queue.push(...messages);
  }

  private deliverAll(): void {
    const batch = this.faults ? this.faults(this.queue) : this.queue;
    this.queue = [];
    for (const m of batch) {
      const to = this.nodes.get(m.to);
      if (!to || !to.up || this.cut.has(`${m.from}>${m.to}`) || this.dropTypes.has(m.type)) continue;
      const from = this.nodes.get(m.from);
      if (from && !from.up) continue;
      this.delivered.push(m);
      to.core.step(m);
    }
  }

  /** Advance every live node's clock by `ticks`, stabilizing after each tick. */
  tick(ticks = 1, only?: ServerId[]): void {
    for (let i = 0; i < ticks; i++) {
      for (const n of this.nodes.values()) if (n.up && (!only || only.includes(n.id))) n.core.tick();
      this.stabilize();
    }
  }

  /** Make `id` campaign now: tick it alone until it leaves the follower state, then settle. */
  elect(id: ServerId): void {
    const core = this.core(id);
    for (let i = 0; i < 100 && core.status().state === "follower"; i++) core.tick();
    this.stabilize();
    if (core.status().state !== "leader") throw new Error(`${id} did not win: ${core.status().state}`);
  }

  /** Tick everybody until some leader exists (and the cluster settled). */
  tickUntilLeader(maxTicks = 200): ServerId {
    for (let i = 0; i < maxTicks; i++) {
      const l = this.leader();
      if (l !== null) return l;
      this.tick(1);
    }
    throw new Error("no leader elected");
  }

  propose(id: ServerId, payload: string): { index: number; term: number } {
    const r = this.core(id).propose(enc(payload));
    this.stabilize();
    return r;
  }

  isolate(id: ServerId): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}>${other}`);
      this.cut.add(`${other}>${id}`);
    }
  }

  /** Split into groups that only talk among themselves. */
  partition(...groups: ServerId[][]): void {
    for (const g of groups)
      for (const h of groups) if (g !== h) for (const a of g) for (const b of h) this.cut.add(`${a}>${b}`);
  }

  heal(): void {
    this.cut.clear();
  }

  crash(id: ServerId): void {
    this.node(id).up = false;
    this.queue = this.queue.filter((m) => m.to !== id && m.from !== id);
  }

  restart(id: ServerId): void {
    this.node(id).start();
  }
}

export function configOf(voterIds: ServerId[], nonvoterIds: ServerId[] = []): Configuration {
  return {
    servers: [
      ...voterIds.map((id) => ({ id, address: `${id}:8089`, suffrage: "voter" as const })),
      ...nonvoterIds.map((id) => ({ id, address: `${id}:8089`, suffrage: "nonvoter" as const })),
    ],
  };
}

export function serverIds(config: Configuration, suffrage?: "voter" | "nonvoter"): ServerId[] {
  return config.servers
    .filter((s) => !suffrage || s.suffrage === suffrage)
    .map((s) => s.id)
    .sort();
}
