/**
 * Simulated network: one `Transport` per node incarnation, all wired through the scheduler.
 * Every message goes through the real wire codec (encode on send, decode on delivery), so the
 * nodes never share objects and the codec is exercised on every hop.
 *
 * Faults (all seeded): drop, duplicate, random latency (reordering), rare long delays, and
 * partitions of any shape expressed as a set of cut directed links (symmetric splits, one-way
 * cuts, isolating a node, a "bridge" node that sees both sides).
 */
import { decodeMessage, encodeMessage } from "../../../src/raft/codec.ts";
import { MessageType, type Message, type ServerId, type Transport } from "../../../src/raft/types.ts";
import type { Rng } from "./rng.ts";
import type { Scheduler } from "./scheduler.ts";

export interface NetworkFaults {
  dropRate: number;
  duplicateRate: number;
  minLatency: number;
  maxLatency: number;
  /** When false, messages on one link keep their send order (like one TCP connection). */
  reorder: boolean;
  longDelayRate: number;
  longDelayMax: number;
}

export const CALM_NETWORK: NetworkFaults = {
  dropRate: 0,
  duplicateRate: 0,
  minLatency: 1,
  maxLatency: 3,
  reorder: false,
  longDelayRate: 0,
  longDelayMax: 0,
};

interface Endpoint {
  transport: SimTransport;
  handler: ((message: Message, fromAddress: string) => void) | null;
}

export class SimNetwork {
  faults: NetworkFaults = { ...CALM_NETWORK };
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly cut = new Set<string>();
  /** Last scheduled delivery time per link, to keep FIFO order when reordering is off. */
  private readonly lastDelivery = new Map<string, number>();
  /** Addresses whose process is paused: deliveries wait in the socket buffer until resume. */
  private readonly paused = new Map<string, { message: Uint8Array; from: string }[]>();
  /** What a paused process tried to send (work it had in progress): leaves on resume. */
  private readonly outgoing = new Map<string, { to: string; messages: Message[] }[]>();
  delivered = 0;
  dropped = 0;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly rng: Rng,
  ) {}

  /** A new transport bound to `address` (replacing any previous incarnation's). */
  attach(address: string): SimTransport {
    const transport = new SimTransport(this, address);
    this.endpoints.set(address, { transport, handler: null });
    return transport;
  }

  /** @internal called by SimTransport */
  setHandler(t: SimTransport, handler: (m: Message, from: string) => void): void {
    const e = this.endpoints.get(t.localAddress);
    if (e && e.transport === t) e.handler = handler;
  }

  /** @internal */
  detach(t: SimTransport): void {
    const e = this.endpoints.get(t.localAddress);
    if (e && e.transport === t) this.endpoints.delete(t.localAddress);
  }

  // --- partitions -------------------------------------------------------------------------

  isCut(from: string, to: string): boolean {
    return this.cut.has(`${from}>${to}`);
  }

  cutLink(from: string, to: string): void {
    this.cut.add(`${from}>${to}`);
  }

  /** Cut every link between different groups (both directions). */
  split(groups: string[][]): void {
    for (const g of groups)
      for (const h of groups) if (g !== h) for (const a of g) for (const b of h) this.cutLink(a, b);
  }

  /** `from` can no longer reach any of `to` (they can still reach it). */
  oneWay(from: string, to: string[]): void {
    for (const b of to) if (b !== from) this.cutLink(from, b);
  }

  isolate(address: string, all: string[]): void {
    this.split([[address], all.filter((a) => a !== address)]);
  }

  /** Two sides that cannot see each other, and one node that sees both. */
  bridge(left: string[], right: string[]): void {
    this.split([left, right]);
  }

  heal(): void {
    this.cut.clear();
  }

  describeCuts(): string {
    return [...this.cut].sort().join(" ");
  }

  // --- pause --------------------------------------------------------------------------------

  pause(address: string): void {
    if (!this.paused.has(address)) this.paused.set(address, []);
    if (!this.outgoing.has(address)) this.outgoing.set(address, []);
  }

  resume(address: string): void {
    const buffered = this.paused.get(address);
    const out = this.outgoing.get(address);
    this.paused.delete(address);
    this.outgoing.delete(address);
    for (const b of buffered ?? []) this.deliver(b.from, address, b.message);
    for (const o of out ?? []) this.send(address, o.to, o.messages);
  }

  /** The process at `address` died: what its sockets held is gone. */
  dropBuffers(address: string): void {
    this.paused.delete(address);
    this.outgoing.delete(address);
  }

  // --- sending ------------------------------------------------------------------------------

  /** @internal */
  send(from: string, toAddress: string, messages: Message[]): void {
    const held = this.outgoing.get(from);
    if (held) {
      held.push({ to: toAddress, messages });
      return;
    }
    for (const m of messages) {
      const bytes = encodeMessage(m);
      if (this.isCut(from, toAddress) || this.rng.chance(this.faults.dropRate)) {
        this.dropped++;
        continue;
      }
      this.transmit(from, toAddress, bytes, m);
      if (this.rng.chance(this.faults.duplicateRate)) this.transmit(from, toAddress, bytes, m);
    }
  }

  private transmit(from: string, to: string, bytes: Uint8Array, m: Message): void {
    const f = this.faults;
    let latency = f.minLatency + this.rng.next() * (f.maxLatency - f.minLatency);
    if (this.rng.chance(f.longDelayRate)) latency += this.rng.next() * f.longDelayMax;
    const link = `${from}>${to}`;
    let at = this.scheduler.now + latency;
    if (!f.reorder) at = Math.max(at, this.lastDelivery.get(link) ?? 0);
    this.lastDelivery.set(link, at);
    this.scheduler.schedule(at - this.scheduler.now, `net ${from}->${to} ${messageLabel(m)}`, () =>
      this.deliver(from, to, bytes),
    );
  }

  private deliver(from: string, to: string, bytes: Uint8Array): void {
    // A link cut while the message was in flight loses it, as a real partition would.
    if (this.isCut(from, to)) {
      this.dropped++;
      return;
    }
    const buffer = this.paused.get(to);
    if (buffer) {
      buffer.push({ message: bytes, from });
      return;
    }
    const e = this.endpoints.get(to);
    if (!e || !e.handler) {
      this.dropped++;
      return;
    }
    this.delivered++;
    e.handler(decodeMessage(bytes), from);
  }
}

export class SimTransport implements Transport {
  private closed = false;
  /** Sees every message the node sends, at the moment it sends it (invariant checks). */
  onSend: ((message: Message) => void) | null = null;

  constructor(
    private readonly network: SimNetwork,
    readonly localAddress: string,
  ) {}

  send(to: { id: ServerId; address: string }, messages: Message[]): void {
    if (this.closed || messages.length === 0) return;
    if (this.onSend) for (const m of messages) this.onSend(m);
    this.network.send(this.localAddress, to.address, messages);
  }

  onMessage(handler: (message: Message, fromAddress: string) => void): void {
    this.network.setHandler(this, (m, from) => {
      if (!this.closed) handler(m, from);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.network.detach(this);
  }
}

export function messageLabel(m: Message): string {
  const name = MessageType[m.type];
  let extra = "";
  if ("entries" in m) extra = ` prev=${m.prevLogIndex}/${m.prevLogTerm} n=${m.entries.length} c=${m.commit}`;
  else if ("granted" in m) extra = m.granted ? " yes" : " no";
  else if ("success" in m) extra = ` ${m.success ? "ok" : "rej"} i=${m.index}`;
  else if ("lastLogIndex" in m) extra = ` last=${m.lastLogIndex}/${m.lastLogTerm}`;
  return `${name} ${m.from}->${m.to} t${m.term}${extra}`;
}
