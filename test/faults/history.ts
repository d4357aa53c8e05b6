/**
 * The client history of a fault run, Jepsen style: every operation is invoked, then completes as
 * ok (the result is known), fail (it certainly did not take effect) or info (unknown: it may or
 * may not have taken effect, e.g. a timeout or a lost leadership). Times are milliseconds since
 * the run started, from the monotonic clock.
 */

import type { Operation } from "../support/linearizability.ts";
import type { MetaInput, MetaOutput } from "./model.ts";

export type Outcome = "ok" | "fail" | "info";

export interface HistoryEntry {
  id: number;
  client: number;
  input: MetaInput;
  call: number;
  /** null while pending. */
  return: number | null;
  outcome: Outcome | "pending";
  output?: MetaOutput;
  /** Why it failed or is unknown; which node answered. */
  note?: string;
}

export class History {
  readonly entries: HistoryEntry[] = [];
  private readonly t0 = performance.now();

  now(): number {
    return Math.round((performance.now() - this.t0) * 1000) / 1000;
  }

  invoke(client: number, input: MetaInput): HistoryEntry {
    const entry: HistoryEntry = {
      id: this.entries.length,
      client,
      input,
      call: this.now(),
      return: null,
      outcome: "pending",
    };
    this.entries.push(entry);
    return entry;
  }

  complete(entry: HistoryEntry, outcome: Outcome, output?: MetaOutput, note?: string): void {
    if (entry.outcome !== "pending") throw new Error(`operation ${entry.id} completed twice`);
    entry.outcome = outcome;
    entry.return = this.now();
    if (output !== undefined) entry.output = output;
    if (note !== undefined) entry.note = note;
  }

  /** A read of several keys observed at once: one completed read per key, sharing the times. */
  recordReads(client: number, call: number, values: Map<string, string | null>, note: string): void {
    const ret = this.now();
    for (const [key, value] of values) {
      this.entries.push({
        id: this.entries.length,
        client,
        input: { op: "read", key },
        call,
        return: ret,
        outcome: "ok",
        output: { value },
        note,
      });
    }
  }

  /** The checker's view: failed operations never happened; pending and info ones may have. */
  operations(): Operation<MetaInput, MetaOutput>[] {
    return this.entries
      .filter((e) => e.outcome !== "fail")
      .map((e) => {
        const known = e.outcome === "ok";
        return {
          clientId: e.client,
          input: e.input,
          output: known ? e.output : undefined,
          call: e.call,
          return: known ? (e.return as number) : Infinity,
        };
      });
  }

  counts(): Record<Outcome | "pending", number> {
    const counts = { ok: 0, fail: 0, info: 0, pending: 0 };
    for (const e of this.entries) counts[e.outcome]++;
    return counts;
  }
}
