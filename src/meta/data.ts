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
 * The databases are held in a DatabaseList (chunks states share) rather than an array, and lookups
 * that would scan the state go through a MetaIndex kept beside it (see below), so that a command's
 * cost does not grow with the number of databases or shard groups.
 */
import { emptyData, type MetaData } from "../proto/index.ts";
import { databaseNotFound, MetaError, metaError, retentionPolicyNotFound } from "./errors.ts";
import { DatabaseList } from "./database-list.ts";
import type { DatabaseState, DeepReadonly, RetentionPolicyState, Writable } from "./readonly.ts";

/** Longest database or retention policy name (bytes): it becomes a directory name on disk. */
export const MAX_NAME_LEN = 255;

/**
 * A published metadata state: the protobuf `Data`, read-only all the way down and shared between
 * states, with its databases in a DatabaseList (see database-list.ts) rather than an array.
 */
export type MetaState = {
  readonly [K in Exclude<keyof MetaData, "databases">]: DeepReadonly<MetaData[K]>;
} & { readonly databases: DatabaseList };
/** The state of `data` (decoded bytes, a SetDataCommand): its databases put in a DatabaseList. */
export function stateOf(data: MetaData): MetaState {
  return { ...data, databases: DatabaseList.of(data.databases) };
}

/** The part of a Map the lookups use: a committed MetaIndex's maps and a draft's overlays. */
export interface Lookup<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): unknown;
  delete(key: K): unknown;
}

/**
 * Shard ID → database key. Shard IDs are handed out one after another from 1, so an array indexed
 * by ID is dense: setting and reading an entry costs a few nanoseconds at any size, where a Map of
 * 200,000 entries costs hundreds (and rehashes the whole table as it grows). IDs past the array
 * index range (a Go cluster may have jumped them) go to a Map.
 */
export class ShardDirectory implements Lookup<number, number> {
  private static readonly DENSE_LIMIT = 2 ** 31;
  private readonly dense: (number | undefined)[] = [];
  private readonly sparse = new Map<number, number>();

  get(id: number): number | undefined {
    return id < ShardDirectory.DENSE_LIMIT ? this.dense[id] : this.sparse.get(id);
  }

  set(id: number, databaseKey: number): void {
    if (id < ShardDirectory.DENSE_LIMIT) this.dense[id] = databaseKey;
    else this.sparse.set(id, databaseKey);
  }

  delete(id: number): void {
    if (id < ShardDirectory.DENSE_LIMIT) this.dense[id] = undefined;
    else this.sparse.delete(id);
  }
}

/**
 * Lookups into one state that would otherwise scan it: every database's key by name, and the
 * database holding every shard (by shard ID). Membership is exact: a name or shard ID is here if
 * and only if the state has it.
 */
export class MetaIndex {
  readonly databaseKeys = new Map<string, number>();
  readonly shardDatabases = new ShardDirectory();
  /** The key the next database created gets (keys only grow: see DatabaseList). */
  nextDatabaseKey = 0;

  /** The index of `state`, built by one pass over it (restore, SetDataCommand). */
  static of(state: MetaState): MetaIndex {
    const index = new MetaIndex();
    for (const [key, db] of state.databases.entries()) {
      index.databaseKeys.set(db.name, key);
      index.nextDatabaseKey = key + 1;
      for (const rp of db.retentionPolicies) {
        for (const group of rp.shardGroups) {
          for (const shard of group.shards) index.shardDatabases.set(shard.id, key);
        }
      }
    }
    return index;
  }
}

/** A state with its index: what every lookup below reads. */
export interface IndexedState {
  readonly data: MetaState;
  readonly databaseKeys: Lookup<string, number>;
  readonly shardDatabases: Lookup<number, number>;
}

/** Marks a key a command deleted from its overlay. */
const DELETED = Symbol("deleted");

/** A command's changes to a committed lookup: read through, written aside, merged by `commit`. */
class Overlay<K, V> implements Lookup<K, V> {
  private readonly changes = new Map<K, V | typeof DELETED>();

  constructor(private readonly base: Lookup<K, V>) {}

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
  readonly databaseKeys: Overlay<string, number>;
  readonly shardDatabases: Overlay<number, number>;
  /** Objects and arrays copied by this command: the only ones it may write into. */
  private readonly copies = new Set<object>();
  private nextDatabaseKey: number;

  constructor(
    base: MetaState,
    private readonly index: MetaIndex,
  ) {
    this.data = this.copy(base);
    this.databaseKeys = new Overlay(index.databaseKeys);
    this.shardDatabases = new Overlay(index.shardDatabases);
    this.nextDatabaseKey = index.nextDatabaseKey;
  }

  /** Writes this command's index changes into the index it started from. */
  commitIndex(): void {
    this.databaseKeys.commit();
    this.shardDatabases.commit();
    this.index.nextDatabaseKey = this.nextDatabaseKey;
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

  /** The database with this key, made writable. */
  editDatabase(key: number): Writable<DatabaseState> {
    const list = this.databases();
    const db = list.get(key);
    if (!db) throw new Error(`meta index out of step: no database with key ${key}`);
    if (this.copies.has(db)) return db as Writable<DatabaseState>;
    const copy = this.copy(db);
    list.set(key, copy, this.copies);
    return copy;
  }

  /** Adds a database the command made at the end of the list, and indexes its name. */
  appendDatabase(db: Writable<DatabaseState>): void {
    const key = this.nextDatabaseKey++;
    this.copies.add(db);
    this.databases().append(key, db, this.copies);
    this.databaseKeys.set(db.name, key);
  }

  /** Removes the database with this key and its name from the index. */
  removeDatabase(key: number): void {
    const db = this.data.databases.get(key);
    if (!db || !this.databases().remove(key, this.copies)) {
      throw new Error(`meta index out of step: no database with key ${key}`);
    }
    this.databaseKeys.delete(db.name);
  }

  /** The draft's database list, made editable the first time. */
  private databases(): DatabaseList {
    const list = this.data.databases;
    if (this.copies.has(list)) return list;
    return (this.data.databases = list.editable(this.copies));
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

/** Key of the named database (see DatabaseList), or undefined when the state has none. */
export function databaseKey(state: IndexedState, name: string): number | undefined {
  return state.databaseKeys.get(name);
}

/** The database with this key; the index only holds keys the state has. */
export function databaseWithKey(state: IndexedState, key: number): DatabaseState {
  const db = state.data.databases.get(key);
  if (!db) throw new Error(`meta index out of step: no database with key ${key}`);
  return db;
}

export function findDatabase(state: IndexedState, name: string): DatabaseState | undefined {
  const key = databaseKey(state, name);
  return key === undefined ? undefined : databaseWithKey(state, key);
}

export function requireDatabaseKey(state: IndexedState, name: string): number {
  const key = databaseKey(state, name);
  if (key === undefined) throw databaseNotFound(name);
  return key;
}

export function requireDatabase(state: IndexedState, name: string): DatabaseState {
  return databaseWithKey(state, requireDatabaseKey(state, name));
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

/** The named database made writable; throws databaseNotFound like requireDatabase. */
export function editDatabase(draft: MetaDraft, name: string): Writable<DatabaseState> {
  return draft.editDatabase(requireDatabaseKey(draft, name));
}

/** The policy at `policyIndex` of the database with key `databaseKey`, made writable. */
export function editRetentionPolicyAt(
  draft: MetaDraft,
  databaseKey: number,
  policyIndex: number,
): Writable<RetentionPolicyState> {
  return draft.edit(draft.edit(draft.editDatabase(databaseKey), "retentionPolicies"), policyIndex);
}

/** The policy requireRetentionPolicy finds, made writable (same errors). */
export function editRetentionPolicy(
  draft: MetaDraft,
  database: string,
  name: string,
): Writable<RetentionPolicyState> {
  const key = requireDatabaseKey(draft, database);
  const db = databaseWithKey(draft, key);
  const rp = findRetentionPolicy(db, name);
  if (!rp) throw retentionPolicyNotFound(name);
  return editRetentionPolicyAt(draft, key, db.retentionPolicies.indexOf(rp));
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
