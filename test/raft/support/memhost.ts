/**
 * Environment for RaftNode tests without wall-clock time: a manual clock whose timers fire only
 * when the test advances it, an in-memory transport network with cuttable nodes, a list FSM,
 * and helpers to start a cluster of hosts on memory stores.
 */
import { seededRandom } from "../../support/random.ts";
import { RaftNode, type RaftNodeOptions } from "../../../src/raft/host.ts";
import { MemoryLogStore, MemorySnapshotStore, MemoryStableStore } from "../../../src/raft/storage/memory.ts";
import type { Clock, Entry, Message, ServerId, StateMachine, Transport } from "../../../src/raft/types.ts";
import { dec, enc } from "./memnet.ts";

/** Let every promise chain started so far run to completion. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((r) => setImmediate(r));
}

interface Timer {
  fn: () => void;
  ms: number;
  next: number;
  cancelled: boolean;
  seq: number;
}

export class ManualClock implements Clock {
  private t = 0;
  private timers: Timer[] = [];
  private seq = 0;

  now(): number {
    return this.t;
  }

  setInterval(fn: () => void, ms: number): { cancel(): void } {
    const timer: Timer = { fn, ms, next: this.t + ms, cancelled: false, seq: this.seq++ };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Move time forward, firing due timers in (time, creation) order and settling after each. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      this.timers = this.timers.filter((x) => !x.cancelled);
      const due = this.timers
        .filter((x) => x.next <= end)
        .sort((a, b) => a.next - b.next || a.seq - b.seq)[0];
      if (!due) break;
      this.t = due.next;
      due.next += due.ms;
      due.fn();
      await settle();
    }
    this.t = end;
    await settle();
  }
}

export class MemNetwork {
  private readonly endpoints = new Map<string, MemTransport>();
  /** Addresses that neither send nor receive (a partitioned or dead machine). */
  readonly isolated = new Set<string>();

  transport(address: string): MemTransport {
    const t = new MemTransport(this, address);
    this.endpoints.set(address, t);
    return t;
  }

  deliver(from: string, toAddress: string, messages: Message[]): void {
    const target = this.endpoints.get(toAddress);
    if (!target || this.isolated.has(from) || this.isolated.has(toAddress)) return;
    // Copy like a real wire would, so no object is shared between nodes.
    const copies = structuredClone(messages);
    queueMicrotask(() => {
      for (const m of copies) target.receive(m, from);
    });
  }
}

export class MemTransport implements Transport {
  private handler: ((m: Message, fromAddress: string) => void) | null = null;
  private closed = false;
  sentBatches = 0;

  constructor(
    private readonly net: MemNetwork,
    readonly localAddress: string,
  ) {}

  send(to: { id: ServerId; address: string }, messages: Message[]): void {
    if (this.closed) return;
    this.sentBatches++;
    this.net.deliver(this.localAddress, to.address, messages);
  }

  onMessage(handler: (m: Message, fromAddress: string) => void): void {
    this.handler = handler;
  }

  receive(m: Message, fromAddress: string): void {
    if (!this.closed) this.handler?.(m, fromAddress);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** FSM: an ordered list of applied payloads; apply returns the list length. */
export class ListFsm implements StateMachine<number> {
  items: string[] = [];

  apply(entry: Entry): number {
    if (entry.data.length > 0) this.items.push(dec(entry.data));
    return this.items.length;
  }

  snapshot(): Uint8Array {
    return enc(JSON.stringify(this.items));
  }

  restore(data: Uint8Array): void {
    this.items = JSON.parse(dec(data)) as string[];
  }
}

/** Log store that records the size of every append call (group-commit assertions). */
export class CountingLogStore extends MemoryLogStore {
  appendCalls: number[] = [];
  failWith: Error | null = null;

  override async append(entries: Entry[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.appendCalls.push(entries.length);
    return super.append(entries);
  }
}

/** One server's durable state, reusable across restarts. */
export interface ServerDisk {
  id: ServerId;
  address: string;
  logStore: CountingLogStore;
  stableStore: MemoryStableStore;
  snapshotStore: MemorySnapshotStore;
}

export function newDisk(id: ServerId): ServerDisk {
  return {
    id,
    address: `${id}:8089`,
    logStore: new CountingLogStore(),
    stableStore: new MemoryStableStore(),
    snapshotStore: new MemorySnapshotStore(),
  };
}

export const TIMING = { tickMs: 10, electionTimeoutMs: 100, heartbeatIntervalMs: 10, leaderLeaseMs: 100 };

export class HostCluster {
  readonly clock = new ManualClock();
  readonly net = new MemNetwork();
  readonly disks = new Map<ServerId, ServerDisk>();
  readonly nodes = new Map<ServerId, RaftNode>();
  readonly fsms = new Map<ServerId, ListFsm>();
  private seed = 7;

  constructor(
    private readonly extra: Partial<RaftNodeOptions> = {},
    private readonly newFsm: () => ListFsm = () => new ListFsm(),
  ) {}

  async start(id: ServerId): Promise<RaftNode> {
    let disk = this.disks.get(id);
    if (!disk) {
      disk = newDisk(id);
      this.disks.set(id, disk);
    }
    // A reopened log store: the memory store object itself survives, as a disk would.
    const fsm = this.newFsm();
    const node = await RaftNode.open({
      id,
      clock: this.clock,
      transport: this.net.transport(disk.address),
      logStore: disk.logStore,
      stableStore: disk.stableStore,
      snapshotStore: disk.snapshotStore,
      fsm,
      ...TIMING,
      snapshotThreshold: 1000,
      trailingLogs: 100,
      random: seededRandom(this.seed++),
      ...this.extra,
    });
    this.nodes.set(id, node);
    this.fsms.set(id, fsm);
    return node;
  }

  /** Start `ids`, bootstrap them all with one configuration and wait for a leader. */
  static async bootstrapped(
    ids: ServerId[],
    extra: Partial<RaftNodeOptions> = {},
    newFsm?: () => ListFsm,
  ): Promise<HostCluster> {
    const c = new HostCluster(extra, newFsm);
    for (const id of ids) await c.start(id);
    const config = { servers: ids.map((id) => ({ id, address: `${id}:8089`, suffrage: "voter" as const })) };
    for (const id of ids) await c.node(id).bootstrap(config);
    await c.waitForLeader();
    return c;
  }

  node(id: ServerId): RaftNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  fsm(id: ServerId): ListFsm {
    return this.fsms.get(id)!;
  }

  leader(): RaftNode | null {
    return [...this.nodes.values()].find((n) => n.state() === "leader") ?? null;
  }

  async waitForLeader(maxMs = 5000): Promise<RaftNode> {
    for (let t = 0; t < maxMs; t += TIMING.tickMs) {
      const l = this.leader();
      if (l) {
        await this.clock.advance(TIMING.tickMs * 2); // let it commit its Noop
        return l;
      }
      await this.clock.advance(TIMING.tickMs);
    }
    throw new Error("no leader");
  }

  /** Advance virtual time until `p` settles (or fail after maxMs). */
  async run<T>(p: Promise<T>, maxMs = 5000): Promise<T> {
    let done = false;
    const tracked = p.finally(() => {
      done = true;
    });
    tracked.catch(() => undefined);
    await settle();
    for (let t = 0; t < maxMs && !done; t += TIMING.tickMs) await this.clock.advance(TIMING.tickMs);
    if (!done) throw new Error("operation did not settle in virtual time");
    return tracked;
  }

  /** Stop the process and start it again from what its stores hold. */
  async restart(id: ServerId): Promise<RaftNode> {
    await this.node(id).shutdown();
    const disk = this.disks.get(id)!;
    // MemoryLogStore refuses use after close(); carry its contents over as a disk would.
    const reopened = new CountingLogStore();
    const old = disk.logStore;
    if (old.lastIndex() > 0) await reopened.append(old.entries(old.firstIndex(), old.lastIndex()));
    disk.logStore = reopened;
    return this.start(id);
  }

  async shutdownAll(): Promise<void> {
    for (const n of this.nodes.values()) await n.shutdown();
  }
}
