/**
 * The core's in-memory view of the log: every entry after the last compaction point, plus the
 * bookkeeping that tells the host what still has to reach the disk.
 *
 * Three cursors matter:
 * - `unstableFrom`: first entry not yet handed to the host in a Ready (the host will write it).
 * - `storedLast`:   highest index the log store may contain (handed out, maybe not yet durable).
 *                   A truncation at or below it must be replayed on the store (`truncateFrom`).
 * - `persisted`:    highest index known durable AND identical to the in-memory entry. Only this
 *                   one may be counted as the leader's own match.
 */
import type { Entry } from "./types.ts";

export class RaftLog {
  /** Index/term of the entry just before entries[0] (snapshot point or last dropped entry). */
  private baseIndex: number;
  private baseTerm: number;
  private entries: Entry[] = [];
  private unstableFrom: number;
  private storedLast: number;
  private pendingTruncate: number | null = null;
  persisted: number;

  constructor(baseIndex: number, baseTerm: number, stored: Entry[]) {
    this.baseIndex = baseIndex;
    this.baseTerm = baseTerm;
    this.entries = stored.slice();
    this.persisted = this.lastIndex();
    this.storedLast = this.lastIndex();
    this.unstableFrom = this.lastIndex() + 1;
  }

  firstIndex(): number {
    return this.baseIndex + 1;
  }

  lastIndex(): number {
    return this.baseIndex + this.entries.length;
  }

  lastTerm(): number {
    return this.entries.length === 0 ? this.baseTerm : this.entries[this.entries.length - 1].term;
  }

  /** Term of the entry at `index`, or undefined when it is compacted away or beyond the end. */
  term(index: number): number | undefined {
    if (index === this.baseIndex) return this.baseTerm;
    if (index < this.baseIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - this.baseIndex - 1].term;
  }

  entry(index: number): Entry | undefined {
    if (index <= this.baseIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - this.baseIndex - 1];
  }

  /** Entries [from, to] (inclusive), at most `max` of them. Caller guarantees from >= firstIndex. */
  slice(from: number, to: number, max = Infinity): Entry[] {
    const hi = Math.min(to, this.lastIndex(), from + max - 1);
    if (from > hi) return [];
    return this.entries.slice(from - this.baseIndex - 1, hi - this.baseIndex);
  }

  /** §5.4.1: is a candidate's log (lastIndex, lastTerm) at least as up to date as ours? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    return lastTerm > this.lastTerm() || (lastTerm === this.lastTerm() && lastIndex >= this.lastIndex());
  }

  /** Leader-side append of new entries at the end. */
  append(entries: Entry[]): void {
    for (const e of entries) {
      if (e.index !== this.lastIndex() + 1)
        throw new Error(`log gap: appending ${e.index} after ${this.lastIndex()}`);
      this.entries.push(e);
    }
  }

  /**
   * Follower-side merge of a leader's entries that follow a matched prefix: entries already
   * present with the same term are skipped, the first conflicting one truncates our suffix.
   * Returns the first index written (anything we had from there on is gone), or null.
   */
  merge(entries: Entry[]): number | null {
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      const mine = this.term(e.index);
      if (mine === e.term) continue;
      if (mine !== undefined) this.truncateFrom(e.index);
      this.append(entries.slice(i));
      return e.index;
    }
    return null;
  }

  /** Drop entries >= index, and remember to drop them from the store if it may hold them. */
  private truncateFrom(index: number): void {
    this.entries.length = index - this.baseIndex - 1;
    this.persisted = Math.min(this.persisted, index - 1);
    this.unstableFrom = Math.min(this.unstableFrom, index);
    if (index <= this.storedLast) {
      this.pendingTruncate = Math.min(this.pendingTruncate ?? index, index);
      this.storedLast = index - 1;
    }
  }

  /** Replace everything with an installed snapshot at (index, term); the store is reset by the host. */
  resetTo(index: number, term: number): void {
    this.baseIndex = index;
    this.baseTerm = term;
    this.entries = [];
    this.persisted = Math.min(this.persisted, index);
    this.unstableFrom = index + 1;
    this.storedLast = index;
    this.pendingTruncate = null;
  }

  /** Forget in-memory entries below `index` (they are covered by a snapshot). */
  compactTo(index: number): void {
    if (index <= this.firstIndex()) return;
    const drop = Math.min(index, this.lastIndex() + 1) - this.firstIndex();
    this.baseTerm = this.term(this.baseIndex + drop)!;
    this.baseIndex += drop;
    this.entries.splice(0, drop);
  }

  hasUnstable(): boolean {
    return this.unstableFrom <= this.lastIndex() || this.pendingTruncate !== null;
  }

  /** Hands the unwritten suffix (and any pending store truncation) to the host exactly once. */
  takeUnstable(): { truncateFrom: number | null; entries: Entry[] } {
    const out = {
      truncateFrom: this.pendingTruncate,
      entries: this.slice(this.unstableFrom, this.lastIndex()),
    };
    this.pendingTruncate = null;
    this.unstableFrom = this.lastIndex() + 1;
    this.storedLast = this.lastIndex();
    return out;
  }

  /**
   * The host made `last` durable. Count it only if the entry is still the same one (it may
   * have been truncated and replaced while the write was in flight); by the Log Matching
   * property an equal (index, term) implies the whole prefix is equal too.
   */
  stableTo(last: { index: number; term: number }): void {
    if (last.index > this.persisted && this.term(last.index) === last.term) this.persisted = last.index;
  }
}
