/**
 * Concurrent clients applying meta commands (users and databases) and linearizable reads while
 * the faults happen, recording every operation in the history.
 *
 * Keys are retired after a few operations and replaced by fresh ones (Jepsen's "independent
 * keys"): an operation with an unknown outcome stays concurrent with everything after it, so
 * the checker's search grows with the number of such operations per key; short-lived keys keep
 * that number small however long the run.
 */

import type { Rng } from "../raft/sim/rng.ts";
import { FaultClient } from "./client.ts";
import type { History, HistoryEntry } from "./history.ts";
import { commandFor, DB_PRESENT, valueIn, type MetaInput } from "./model.ts";

export interface WorkloadOptions {
  clients: number;
  servers: string[];
  rng: Rng;
  history: History;
  requestTimeoutMs: number;
  deadlineMs: number;
  /** Key slots of each kind; each slot's key changes after `opsPerKey` writes. */
  userSlots?: number;
  dbSlots?: number;
  opsPerKey?: number;
  /** Share of operations that are reads. */
  readShare?: number;
}

/** FSM refusals that carry information in the model; any other refusal is a finding. */
const EXPECTED_REFUSALS = new Set(["user already exists", "user not found"]);

class KeySpace {
  private readonly slots: { kind: "user" | "db"; gen: number; writes: number }[] = [];
  readonly everUsed = new Set<string>();

  constructor(
    users: number,
    dbs: number,
    private readonly opsPerKey: number,
  ) {
    for (let i = 0; i < users; i++) this.slots.push({ kind: "user", gen: 0, writes: 0 });
    for (let i = 0; i < dbs; i++) this.slots.push({ kind: "db", gen: 0, writes: 0 });
  }

  private key(slot: number): string {
    const s = this.slots[slot];
    return s.kind === "user" ? `user:u${slot}g${s.gen}` : `db:d${slot}g${s.gen}`;
  }

  /** A key for the next write (retiring the slot's key when it has had its share). */
  forWrite(rng: Rng): { kind: "user" | "db"; key: string } {
    const slot = rng.int(0, this.slots.length - 1);
    const s = this.slots[slot];
    if (s.writes >= this.opsPerKey) {
      s.gen++;
      s.writes = 0;
    }
    s.writes++;
    const key = this.key(slot);
    this.everUsed.add(key);
    return { kind: s.kind, key };
  }

  current(): string[] {
    return this.slots.map((_, i) => this.key(i));
  }
}

export class Workload {
  private stopped = false;
  private running: Promise<void>[] = [];
  private readonly keys: KeySpace;
  readonly stats = { readsFailed: 0, unexpectedRefusals: [] as string[] };

  constructor(private readonly opts: WorkloadOptions) {
    this.keys = new KeySpace(opts.userSlots ?? 3, opts.dbSlots ?? 2, opts.opsPerKey ?? 25);
  }

  /** Every key any write touched (the final check reads all of them). */
  get allKeys(): string[] {
    return [...this.keys.everUsed].sort();
  }

  start(): void {
    for (let c = 0; c < this.opts.clients; c++) this.running.push(this.runClient(c, this.opts.rng.fork()));
  }

  /** Stops issuing operations and waits for those in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.running);
  }

  private async runClient(id: number, rng: Rng): Promise<void> {
    const client = new FaultClient({
      servers: this.opts.servers,
      first: id,
      requestTimeoutMs: this.opts.requestTimeoutMs,
      deadlineMs: this.opts.deadlineMs,
    });
    let seq = 0;
    while (!this.stopped) {
      if (rng.chance(this.opts.readShare ?? 0.25)) await this.read(id, client);
      else await this.write(id, client, this.nextWrite(rng, `c${id}.${seq++}`));
      await new Promise((r) => setTimeout(r, rng.int(0, 40)));
    }
  }

  private nextWrite(rng: Rng, value: string): Exclude<MetaInput, { op: "read" }> {
    const { kind, key } = this.keys.forWrite(rng);
    if (kind === "db") return { op: "put", key, value: rng.chance(0.6) ? DB_PRESENT : null };
    const r = rng.next();
    if (r < 0.45) return { op: "create", key, value };
    if (r < 0.75) return { op: "update", key, value };
    return { op: "drop", key };
  }

  private async write(
    id: number,
    client: FaultClient,
    input: Exclude<MetaInput, { op: "read" }>,
  ): Promise<void> {
    const entry: HistoryEntry = this.opts.history.invoke(id, input);
    const outcome = await client.execute(commandFor(input));
    const history = this.opts.history;
    switch (outcome.kind) {
      case "applied":
        if (outcome.error && !EXPECTED_REFUSALS.has(outcome.error)) {
          this.stats.unexpectedRefusals.push(`${input.op} ${input.key}: ${outcome.error}`);
        }
        history.complete(entry, "ok", { ok: !outcome.error }, `index ${outcome.index} via ${outcome.node}`);
        break;
      case "not-applied":
        history.complete(entry, "fail", undefined, outcome.reason);
        break;
      case "unknown":
        history.complete(entry, "info", undefined, outcome.reason);
        break;
    }
  }

  private async read(id: number, client: FaultClient): Promise<void> {
    const keys = this.keys.current();
    const call = this.opts.history.now();
    const result = await client.read();
    if ("error" in result) {
      // A read that returned nothing changed nothing: it has no place in the history.
      this.stats.readsFailed++;
      return;
    }
    const values = new Map(keys.map((k) => [k, valueIn(result.data, k)]));
    this.opts.history.recordReads(id, call, values, `index ${result.data.index} via ${result.node}`);
  }
}
