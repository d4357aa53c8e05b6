/**
 * The databases of a metadata state, in their protobuf order (creation order; a drop closes the
 * gap), held in chunks that states share.
 *
 * Why not an array: a published state is never changed, so a command that changes one database
 * must give the new state its own list. With an array that meant copying every database reference
 * (10,000 at production scale) for any change inside any database. Here the command copies the
 * chunk holding the database and the short array of chunks, so its cost does not grow with the
 * number of databases; and the encoder keeps each chunk's bytes (see MetaStateMachine.snapshot),
 * so one commit re-encodes one chunk.
 *
 * Each database has a key: a number that grows with creation order and that a drop never
 * renumbers. Lookups go by key (a binary search over the chunks, then within one); the meta index
 * maps names and shards to keys. Keys are this process's bookkeeping: they are not metadata and
 * never leave it.
 *
 * Published lists are never changed. A command changes a copy it made with `editable`, and copies
 * each chunk the first time it writes into it; both are registered in the command's `copies`, as
 * MetaDraft does for the objects it copies.
 */
import type { DatabaseState } from "./readonly.ts";

/**
 * Databases per chunk when full. Copying one costs well under a microsecond; the encoding and the
 * long poll's gzip are made per chunk (see MetaStateMachine.snapshotPieces), and a gzip of pieces
 * this large is within 5% of one of the whole, where chunks of 64 cost 15%.
 */
export const CHUNK_SIZE = 256;
/** A chunk that shrinks below this is merged into a neighbour, so drops cannot leave thousands
 *  of tiny chunks (which would make the array of chunks as long as the databases). */
const MIN_CHUNK = CHUNK_SIZE / 4;

/** A run of consecutive databases; `keys[i]` is the key of `items[i]`, ascending. Never empty. */
export interface DatabaseChunk {
  readonly keys: readonly number[];
  readonly items: readonly DatabaseState[];
}

interface WritableChunk {
  keys: number[];
  items: DatabaseState[];
}

export class DatabaseList implements Iterable<DatabaseState> {
  private constructor(
    private readonly parts: DatabaseChunk[],
    private count: number,
  ) {}

  /** `databases` in that order, keyed 0, 1, 2, … (what MetaIndex.of assumes). */
  static of(databases: readonly DatabaseState[]): DatabaseList {
    const parts: DatabaseChunk[] = [];
    for (let at = 0; at < databases.length; at += CHUNK_SIZE) {
      const items = databases.slice(at, at + CHUNK_SIZE);
      parts.push({ keys: items.map((_, i) => at + i), items });
    }
    return new DatabaseList(parts, databases.length);
  }

  get length(): number {
    return this.count;
  }

  /** The chunks in order. A chunk two states share is the same object: what encodings are cached by. */
  get chunks(): readonly DatabaseChunk[] {
    return this.parts;
  }

  get(key: number): DatabaseState | undefined {
    const chunk = this.parts[this.chunkHolding(key)];
    if (!chunk) return undefined;
    const at = firstAtLeast(chunk.keys, key);
    return chunk.keys[at] === key ? chunk.items[at] : undefined;
  }

  *[Symbol.iterator](): Iterator<DatabaseState> {
    for (const chunk of this.parts.slice()) yield* chunk.items;
  }

  /** Every database with its key, in order. A command may change the list while it iterates:
   *  the iteration goes over the chunks as they were when it began. */
  *entries(): Generator<[number, DatabaseState]> {
    for (const chunk of this.parts.slice()) {
      for (let i = 0; i < chunk.keys.length; i++) yield [chunk.keys[i], chunk.items[i]];
    }
  }

  /** A copy of this list that a command may change (`copies` is the command's, see MetaDraft). */
  editable(copies: Set<object>): DatabaseList {
    const copy = new DatabaseList(this.parts.slice(), this.count);
    copies.add(copy);
    return copy;
  }

  /** Replaces the database with this key (which must be in the list). */
  set(key: number, db: DatabaseState, copies: Set<object>): void {
    this.mustBeOwned(copies);
    const c = this.chunkHolding(key);
    const at = c < this.parts.length ? firstAtLeast(this.parts[c].keys, key) : -1;
    if (at < 0 || this.parts[c].keys[at] !== key) {
      throw new Error(`DatabaseList.set: no database with key ${key}`);
    }
    this.writableChunk(c, copies).items[at] = db;
  }

  /** Adds a database at the end; its key must be greater than every key in the list. */
  append(key: number, db: DatabaseState, copies: Set<object>): void {
    this.mustBeOwned(copies);
    const last = this.parts.length - 1;
    const tail = this.parts[last];
    if (tail && tail.keys[tail.keys.length - 1] >= key) {
      throw new Error(`DatabaseList.append: key ${key} is not after the last key`);
    }
    if (!tail || tail.keys.length >= CHUNK_SIZE) {
      const fresh: WritableChunk = { keys: [key], items: [db] };
      copies.add(fresh);
      this.parts.push(fresh);
    } else {
      const chunk = this.writableChunk(last, copies);
      chunk.keys.push(key);
      chunk.items.push(db);
    }
    this.count += 1;
  }

  /** Removes the database with this key; returns false when there is none. */
  remove(key: number, copies: Set<object>): boolean {
    this.mustBeOwned(copies);
    const c = this.chunkHolding(key);
    if (c >= this.parts.length) return false;
    const at = firstAtLeast(this.parts[c].keys, key);
    if (this.parts[c].keys[at] !== key) return false;
    const chunk = this.writableChunk(c, copies);
    chunk.keys.splice(at, 1);
    chunk.items.splice(at, 1);
    this.count -= 1;
    if (chunk.keys.length === 0) this.parts.splice(c, 1);
    else if (chunk.keys.length < MIN_CHUNK) this.mergeWithNeighbour(c, copies);
    return true;
  }

  /** Merges the small chunk at `c` with the smaller of its neighbours when both fit in one. */
  private mergeWithNeighbour(c: number, copies: Set<object>): void {
    const before = this.parts[c - 1];
    const after = this.parts[c + 1];
    const first = !after || (before && before.keys.length <= after.keys.length) ? c - 1 : c;
    const left = this.parts[first];
    const right = this.parts[first + 1];
    if (!left || !right || left.keys.length + right.keys.length > CHUNK_SIZE) return;
    const merged: WritableChunk = {
      keys: left.keys.concat(right.keys),
      items: left.items.concat(right.items),
    };
    copies.add(merged);
    this.parts.splice(first, 2, merged);
  }

  /** Index of the chunk whose keys reach `key` (the chunk that holds it, if any chunk does). */
  private chunkHolding(key: number): number {
    let lo = 0;
    let hi = this.parts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const keys = this.parts[mid].keys;
      if (keys[keys.length - 1] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private writableChunk(c: number, copies: Set<object>): WritableChunk {
    const chunk = this.parts[c];
    if (copies.has(chunk)) return chunk as WritableChunk;
    const copy: WritableChunk = { keys: chunk.keys.slice(), items: chunk.items.slice() };
    copies.add(copy);
    this.parts[c] = copy;
    return copy;
  }

  private mustBeOwned(copies: Set<object>): void {
    if (!copies.has(this)) throw new Error("DatabaseList: changed without being made editable first");
  }
}

/** Position of the first key >= `key` in ascending `keys` (keys.length when none). */
function firstAtLeast(keys: readonly number[], key: number): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
