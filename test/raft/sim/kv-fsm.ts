/**
 * A tiny deterministic key-value state machine for the simulator: put / get / cas on string
 * keys. Commands travel in the Raft log as JSON. Each instance reports what it applies to an
 * observer, which the invariant checker uses for state-machine safety.
 */
import { EntryType, type Entry, type StateMachine } from "../../../src/raft/types.ts";

export type KvCommand =
  | { op: "put"; key: string; value: string }
  | { op: "get"; key: string }
  | { op: "cas"; key: string; expected: string | null; value: string };

export type KvResult = { ok: boolean } | { value: string | null };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeCommand(c: KvCommand): Uint8Array {
  return encoder.encode(JSON.stringify(c));
}

export function decodeCommand(data: Uint8Array): KvCommand {
  return JSON.parse(decoder.decode(data)) as KvCommand;
}

/** 32-bit FNV-1a, as hex: cheap and deterministic, good enough to compare states and entries. */
export function fnv1a(data: string | Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) {
    h ^= typeof data === "string" ? data.charCodeAt(i) : data[i];
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

export interface FsmObserver {
  /** After `entry` was applied; `stateHash` is the FSM state right after it. */
  applied(entry: Entry, stateHash: string): void;
  /** After a snapshot restore that brought the FSM to the state after entry `index`. */
  restored(index: number, stateHash: string): void;
}

interface SnapshotBody {
  /** Index of the last entry applied to this state (entries are applied in index order). */
  index: number;
  kv: [string, string][];
}

export class KvStateMachine implements StateMachine<KvResult | undefined> {
  private kv = new Map<string, string>();
  /** Index of the last entry this FSM applied (or restored up to). */
  lastIndex = 0;

  constructor(private readonly observer?: FsmObserver) {}

  apply(entry: Entry): KvResult | undefined {
    if (entry.index <= this.lastIndex)
      throw new Error(`FSM got entry ${entry.index} after entry ${this.lastIndex}: applied out of order`);
    this.lastIndex = entry.index;
    let result: KvResult | undefined;
    // Config entries may carry no command: they only move the applied index.
    if (entry.type === EntryType.Command || entry.data.length > 0)
      result = this.execute(decodeCommand(entry.data));
    this.observer?.applied(entry, this.stateHash());
    return result;
  }

  private execute(c: KvCommand): KvResult {
    const current = this.kv.get(c.key) ?? null;
    switch (c.op) {
      case "put":
        this.kv.set(c.key, c.value);
        return { ok: true };
      case "get":
        return { value: current };
      case "cas": {
        const swaps = current === c.expected;
        if (swaps) this.kv.set(c.key, c.value);
        return { ok: swaps };
      }
    }
  }

  read(key: string): string | null {
    return this.kv.get(key) ?? null;
  }

  snapshot(): Uint8Array {
    const body: SnapshotBody = { index: this.lastIndex, kv: this.sorted() };
    return encoder.encode(JSON.stringify(body));
  }

  restore(data: Uint8Array): void {
    const body = JSON.parse(decoder.decode(data)) as SnapshotBody;
    this.kv = new Map(body.kv);
    this.lastIndex = body.index;
    this.observer?.restored(body.index, this.stateHash());
  }

  stateHash(): string {
    return fnv1a(JSON.stringify(this.sorted()));
  }

  private sorted(): [string, string][] {
    return [...this.kv.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
}
