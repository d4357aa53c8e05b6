/**
 * The in-memory view of a Raft log and its validation rules, shared by the durable WAL (which
 * keeps every live entry decoded in memory; meta-store scale) and MemoryLogStore, so both
 * implement exactly the same LogStore semantics:
 *
 *  - entries are contiguous, [first, last]; firstIndex()/lastIndex() are 0 when empty;
 *  - `next` is the index the next append must start with, or null when any index is allowed
 *    (a fresh or reset log). Dropping a prefix (truncateBefore) does not change `next`, so a log
 *    compacted down to nothing still only accepts its natural continuation;
 *  - terms never decrease along the log.
 */
import type { Entry } from "../types.ts";
import { checkEntryShape } from "../entry-codec.ts";

export class LogEntries {
  private first = 0;
  private list: Entry[] = [];
  private next: number | null = null;

  firstIndex(): number {
    return this.list.length > 0 ? this.first : 0;
  }

  lastIndex(): number {
    return this.list.length > 0 ? this.first + this.list.length - 1 : 0;
  }

  /** Index the next append must start at, or null if any index ≥ 1 is accepted. */
  nextIndex(): number | null {
    return this.next;
  }

  isEmpty(): boolean {
    return this.list.length === 0;
  }

  /** Inclusive range; throws when it reaches outside the stored entries. */
  entries(from: number, to: number): Entry[] {
    if (from > to) return [];
    if (this.list.length === 0 || from < this.first || to > this.lastIndex()) {
      throw new RangeError(
        `entries(${from}, ${to}) outside the stored range ` +
          (this.list.length === 0 ? "(log is empty)" : `[${this.first}, ${this.lastIndex()}]`),
      );
    }
    return this.list.slice(from - this.first, to - this.first + 1);
  }

  /** Throws a RangeError naming the problem if `batch` cannot be appended; changes nothing. */
  validateAppend(batch: readonly Entry[]): void {
    if (batch.length === 0) throw new RangeError("append of an empty batch");
    const start = batch[0].index;
    if (!Number.isSafeInteger(start) || start < 1) {
      throw new RangeError(`append: entry index must be an integer ≥ 1, got ${start}`);
    }
    if (this.next !== null && start !== this.next) {
      throw new RangeError(`append: expected index ${this.next}, got ${start}`);
    }
    let prevTerm = this.list.length > 0 ? this.list[this.list.length - 1].term : 0;
    for (let k = 0; k < batch.length; k++) {
      const e = batch[k];
      if (e.index !== start + k) {
        throw new RangeError(
          `append: batch not contiguous at position ${k}: index ${e.index}, expected ${start + k}`,
        );
      }
      checkEntryShape(e);
      if (!Number.isSafeInteger(e.term) || e.term < 1) {
        throw new RangeError(`append: entry ${e.index} has invalid term ${e.term}`);
      }
      if (e.term < prevTerm) {
        throw new RangeError(
          `append: entry ${e.index} term ${e.term} is lower than the previous term ${prevTerm}`,
        );
      }
      prevTerm = e.term;
    }
  }

  /** Appends a batch that passed validateAppend. */
  append(batch: readonly Entry[]): void {
    if (this.list.length === 0) this.first = batch[0].index;
    for (const e of batch) this.list.push(e);
    this.next = batch[batch.length - 1].index + 1;
  }

  /** Whether truncateAfter(index) would delete anything (or move where appends continue). */
  wouldTruncateAfter(index: number): boolean {
    return this.next !== null && index + 1 < this.next;
  }

  truncateAfter(index: number): void {
    if (this.wouldTruncateAfter(index)) this.continueAt(index + 1);
  }

  /** Drops entries ≥ `index`; the next append must start at `index` (WAL recovery applies a
   *  segment's base index this way). */
  continueAt(index: number): void {
    if (this.list.length > 0) this.list.length = Math.max(0, Math.min(this.list.length, index - this.first));
    this.next = index;
  }

  truncateBefore(index: number): void {
    if (this.list.length === 0 || index <= this.first) return;
    const drop = Math.min(this.list.length, index - this.first);
    this.list = this.list.slice(drop);
    this.first += drop;
  }

  reset(): void {
    this.list = [];
    this.first = 0;
    this.next = null;
  }
}

/** Throws unless `index` is a non-negative safe integer (argument check for truncations). */
export function checkIndexArg(what: string, index: number): void {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new RangeError(`${what}: index must be an integer ≥ 0, got ${index}`);
  }
}
