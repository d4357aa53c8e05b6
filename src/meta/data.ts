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
 */
import type { DatabaseInfo, MetaData, RetentionPolicyInfo } from "../proto/index.ts";
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

/**
 * The state a command builds: starts as a shallow copy of the published state's top level and
 * copies a nested object or array the first time the command writes into it (`edit`). Objects it
 * did not copy belong to published states and are never written.
 */
export class MetaDraft {
  /** The new state's top level (writable; reads see the command's own changes). */
  readonly data: Writable<MetaState>;
  /** Objects and arrays copied by this command: the only ones it may write into. */
  private readonly copies = new Set<object>();

  constructor(base: MetaState) {
    this.data = this.copy(base);
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
    parent[key] = copy as P[K];
    return copy;
  }

  private copy<T extends object>(value: T): Writable<T> {
    const copy = (Array.isArray(value) ? [...value] : { ...value }) as Writable<T>;
    this.copies.add(copy);
    return copy;
  }
}

export function emptyData(): MetaData {
  return {
    term: 0,
    index: 0,
    clusterId: 0n,
    metaNodes: [],
    dataNodes: [],
    databases: [],
    users: [],
    maxNodeId: 0,
    maxShardGroupId: 0,
    maxShardId: 0,
  };
}

export function checkNameLength(name: string): void {
  if (Buffer.byteLength(name, "utf8") > MAX_NAME_LEN) throw metaError("nameTooLong");
}

export function findDatabase(data: MetaState, name: string): DatabaseState | undefined {
  return data.databases.find((db) => db.name === name);
}

function requireDatabaseIndex(data: MetaState, name: string): number {
  const index = data.databases.findIndex((db) => db.name === name);
  if (index < 0) throw databaseNotFound(name);
  return index;
}

export function requireDatabase(data: MetaState, name: string): DatabaseState {
  return data.databases[requireDatabaseIndex(data, name)];
}

/** A policy by name; the empty name means the database's default policy (as in Go). */
export function findRetentionPolicy(db: DatabaseState, name: string): RetentionPolicyState | undefined {
  const wanted = name === "" ? db.defaultRetentionPolicy : name;
  if (wanted === "") return undefined;
  return db.retentionPolicies.find((rp) => rp.name === wanted);
}

/** Go's Data.RetentionPolicy followed by the usual nil check. */
export function requireRetentionPolicy(
  data: MetaState,
  database: string,
  name: string,
): RetentionPolicyState {
  const rp = findRetentionPolicy(requireDatabase(data, database), name);
  if (!rp) throw retentionPolicyNotFound(name);
  return rp;
}

/** The database at `index` in the draft, made writable. */
export function editDatabaseAt(draft: MetaDraft, index: number): Writable<DatabaseState> {
  return draft.edit(draft.edit(draft.data, "databases"), index);
}

/** The named database made writable; throws databaseNotFound like requireDatabase. */
export function editDatabase(draft: MetaDraft, name: string): Writable<DatabaseState> {
  return editDatabaseAt(draft, requireDatabaseIndex(draft.data, name));
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
  const databaseIndex = requireDatabaseIndex(draft.data, database);
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
