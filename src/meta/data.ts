/**
 * The metadata model (protobuf `Data`, see src/proto/types.ts), the lookups every group of
 * operations shares, and the draft commands write through.
 *
 * Published states are immutable and share structure: a command copies only the objects on the
 * path to what it changes (copy-on-write through a MetaDraft) and the new state shares every
 * other database, policy, shard group, user and node list with the previous one. So applying a
 * command costs what it changes, not the size of the metadata, and an old state stays a valid
 * view of its index. Operations (nodes.ts, databases.ts, users.ts, shards.ts) throw MetaError to
 * refuse; the FSM keeps the draft only on success, so a refused command changes nothing (as Go's
 * clone-then-swap does).
 *
 * Lookups that would scan the state go through a MetaIndex kept beside it (see below), so that a
 * command's cost does not grow with the number of databases or shard groups.
 */
import { emptyData, type DatabaseInfo, type MetaData, type RetentionPolicyInfo } from "../proto/index.ts";
import { databaseNotFound, MetaError, metaError, retentionPolicyNotFound } from "./errors.ts";

/** Longest database or retention policy name (bytes): it becomes a directory name on disk. */
export const MAX_NAME_LEN = 255;

/** `T` with every field and element read-only, all the way down. */
export type DeepReadonly<T> = T extends readonly (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** A published metadata state: shared between states, so nobody may change it. */
export type MetaState = DeepReadonly<MetaData>;
export type DatabaseState = DeepReadonly<DatabaseInfo>;
export type RetentionPolicyState = DeepReadonly<RetentionPolicyInfo>;

/** One level made writable: fields (or elements) can be replaced, what they hold stays read-only. */
export type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** The part of a Map the lookups use: a committed MetaIndex's maps and a draft's overlays. */
export interface Lookup<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): unknown;
  delete(key: K): unknown;
}

/**
 * Lookups into one state that would otherwise scan it: every database's position by name, and the
 * database holding every shard (by shard ID). Membership is exact: a name or shard ID is here if
 * and only if the state has it. Positions are hints: checked against the array on every use and
 * repaired where a drop moved a database towards the front, so dropping one renumbers nothing.
 */
export class MetaIndex {
  readonly databasePositions = new Map<string, number>();
  readonly shardDatabases = new Map<number, string>();

  /** The index of `state`, built by one pass over it (restore, SetDataCommand). */
  static of(state: MetaState): MetaIndex {
    const index = new MetaIndex();
    state.databases.forEach((db, at) => {
      index.databasePositions.set(db.name, at);
      for (const rp of db.retentionPolicies) {
        for (const group of rp.shardGroups) {
          for (const shard of group.shards) index.shardDatabases.set(shard.id, db.name);
        }
      }
    });
    return index;
  }
}

/** A state with its index: what every lookup below reads. */
export interface IndexedState {
  readonly data: MetaState;
  readonly databasePositions: Lookup<string, number>;
  readonly shardDatabases: Lookup<number, string>;
}

/** Marks a key a command deleted from its overlay. */
const DELETED = Symbol("deleted");

/** A command's changes to a committed map: read through, written aside, merged by `commit`. */
class Overlay<K, V> implements Lookup<K, V> {
  private readonly changes = new Map<K, V | typeof DELETED>();

  constructor(private readonly base: Map<K, V>) {}

  get(key: K): V | undefined {
    const changed = this.changes.get(key);
    if (changed === DELETED) return undefined;
    return changed !== undefined ? changed : this.base.get(key);
  }

  set(key: K, value: V): void {
    this.changes.set(key, value);
  }

  delete(key: K): void {
    this.changes.set(key, DELETED);
  }

  commit(): void {
    for (const [key, value] of this.changes) {
      if (value === DELETED) this.base.delete(key);
      else this.base.set(key, value);
    }
  }
}

/**
 * The state a command builds: starts as a shallow copy of the published state's top level and
 * copies a nested object or array the first time the command writes into it (`edit`). Objects it
 * did not copy belong to published states and are never written. Its index changes stay in
 * overlays until the FSM keeps the command (`commitIndex`).
 */
export class MetaDraft implements IndexedState {
  /** The new state's top level (writable; reads see the command's own changes). */
  readonly data: Writable<MetaState>;
  readonly databasePositions: Overlay<string, number>;
  readonly shardDatabases: Overlay<number, string>;
  /** Objects and arrays copied by this command: the only ones it may write into. */
  private readonly copies = new Set<object>();

  constructor(base: MetaState, index: MetaIndex) {
    this.data = this.copy(base);
    this.databasePositions = new Overlay(index.databasePositions);
    this.shardDatabases = new Overlay(index.shardDatabases);
  }

  /** Writes this command's index changes into the index it started from. */
  commitIndex(): void {
    this.databasePositions.commit();
    this.shardDatabases.commit();
  }

  /**
   * `parent[key]`, made writable: copied the first time and the copy put in its place.
   * `parent` must be writable already (the top level, or an earlier `edit`), so a write always
   * reaches the new state and never a published one.
   */
  edit<P extends Record<K, object>, K extends PropertyKey>(parent: P, key: K): Writable<P[K]> {
    if (!this.copies.has(parent))
      throw new Error("MetaDraft.edit: the parent was not copied by this command");
    const child = parent[key];
    if (this.copies.has(child)) return child as Writable<P[K]>;
    const copy = this.copy(child);
    parent[key] = copy as unknown as P[K];
    return copy;
  }

  /**
   * Appends `item` to the array `parent[key]` (`parent` writable, as for `edit`). The first append
   * copies the array at its final length: pushing onto a copy would reallocate it, and V8 puts an
   * array of more than about 16,000 elements in large-object space, where every allocation costs
   * hundreds of microseconds.
   */
  append<P extends Record<K, readonly unknown[]>, K extends PropertyKey>(
    parent: P,
    key: K,
    item: P[K][number],
  ): void {
    if (!this.copies.has(parent))
      throw new Error("MetaDraft.append: the parent was not copied by this command");
    const list = parent[key];
    if (this.copies.has(list)) {
      (list as unknown as unknown[]).push(item);
      return;
    }
    const copy = list.concat([item]);
    this.copies.add(copy);
    parent[key] = copy as unknown as P[K];
  }

  private copy<T extends object>(value: T): Writable<T> {
    // slice(), not spread: spreading an array goes through its iterator, far slower when large.
    const copy = (Array.isArray(value) ? value.slice() : { ...value }) as Writable<T>;
    this.copies.add(copy);
    return copy;
  }
}

export { emptyData };

export function checkNameLength(name: string): void {
  if (Buffer.byteLength(name, "utf8") > MAX_NAME_LEN) throw metaError("nameTooLong");
}

/** Position of the named database in the state, or -1. */
export function databasePosition(state: IndexedState, name: string): number {
  const hint = state.databasePositions.get(name);
  if (hint === undefined) return -1;
  const databases = state.data.databases;
  if (databases[hint]?.name === name) return hint;
  // Only drops move a database, and only towards the front: look back from the hint.
  for (let at = Math.min(hint, databases.length) - 1; at >= 0; at--) {
    if (databases[at].name === name) {
      state.databasePositions.set(name, at);
      return at;
    }
  }
  throw new Error(`meta index out of step: database "${name}" is indexed but not in the state`);
}

export function findDatabase(state: IndexedState, name: string): DatabaseState | undefined {
  const at = databasePosition(state, name);
  return at < 0 ? undefined : state.data.databases[at];
}

function requireDatabaseIndex(state: IndexedState, name: string): number {
  const at = databasePosition(state, name);
  if (at < 0) throw databaseNotFound(name);
  return at;
}

export function requireDatabase(state: IndexedState, name: string): DatabaseState {
  return state.data.databases[requireDatabaseIndex(state, name)];
}

/** A policy by name; the empty name means the database's default policy (as in Go). */
export function findRetentionPolicy(db: DatabaseState, name: string): RetentionPolicyState | undefined {
  const wanted = name === "" ? db.defaultRetentionPolicy : name;
  if (wanted === "") return undefined;
  return db.retentionPolicies.find((rp) => rp.name === wanted);
}

/** Go's Data.RetentionPolicy followed by the usual nil check. */
export function requireRetentionPolicy(
  state: IndexedState,
  database: string,
  name: string,
): RetentionPolicyState {
  const rp = findRetentionPolicy(requireDatabase(state, database), name);
  if (!rp) throw retentionPolicyNotFound(name);
  return rp;
}

/** The database at `index` in the draft, made writable. */
export function editDatabaseAt(draft: MetaDraft, index: number): Writable<DatabaseState> {
  return draft.edit(draft.edit(draft.data, "databases"), index);
}

/** The named database made writable; throws databaseNotFound like requireDatabase. */
export function editDatabase(draft: MetaDraft, name: string): Writable<DatabaseState> {
  return editDatabaseAt(draft, requireDatabaseIndex(draft, name));
}

/** The policy at `policyIndex` of the database at `databaseIndex`, made writable. */
export function editRetentionPolicyAt(
  draft: MetaDraft,
  databaseIndex: number,
  policyIndex: number,
): Writable<RetentionPolicyState> {
  return draft.edit(draft.edit(editDatabaseAt(draft, databaseIndex), "retentionPolicies"), policyIndex);
}

/** The policy requireRetentionPolicy finds, made writable (same errors). */
export function editRetentionPolicy(
  draft: MetaDraft,
  database: string,
  name: string,
): Writable<RetentionPolicyState> {
  const databaseIndex = requireDatabaseIndex(draft, database);
  const db = draft.data.databases[databaseIndex];
  const rp = findRetentionPolicy(db, name);
  if (!rp) throw retentionPolicyNotFound(name);
  return editRetentionPolicyAt(draft, databaseIndex, db.retentionPolicies.indexOf(rp));
}

/**
 * The next ID after `current`. IDs travel as uint64 but must stay exact JS numbers: past 2^53 - 1
 * the command is refused (all servers alike) rather than producing Data that cannot be encoded,
 * which would stop every server at its next snapshot.
 */
export function nextId(current: number, what: string): number {
  if (current >= Number.MAX_SAFE_INTEGER) throw new MetaError(`${what} IDs exhausted`);
  return current + 1;
}
