/**
 * The metadata model (protobuf `Data`, see src/proto/types.ts) and the lookups every group of
 * operations shares. Operations (nodes.ts, databases.ts, users.ts, shards.ts) mutate a private
 * copy of the data and throw MetaError to refuse; the FSM keeps the copy only on success, so a
 * refused command changes nothing (as Go's clone-then-swap does).
 */
import type { DatabaseInfo, MetaData, RetentionPolicyInfo } from "../proto/index.ts";
import { databaseNotFound, metaError, retentionPolicyNotFound } from "./errors.ts";

/** Longest database or retention policy name (bytes): it becomes a directory name on disk. */
export const MAX_NAME_LEN = 255;

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

export function cloneData(data: MetaData): MetaData {
  return structuredClone(data);
}

export function checkNameLength(name: string): void {
  if (Buffer.byteLength(name, "utf8") > MAX_NAME_LEN) throw metaError("nameTooLong");
}

export function findDatabase(data: MetaData, name: string): DatabaseInfo | undefined {
  return data.databases.find((db) => db.name === name);
}

export function requireDatabase(data: MetaData, name: string): DatabaseInfo {
  const db = findDatabase(data, name);
  if (!db) throw databaseNotFound(name);
  return db;
}

/** A policy by name; the empty name means the database's default policy (as in Go). */
export function findRetentionPolicy(db: DatabaseInfo, name: string): RetentionPolicyInfo | undefined {
  const wanted = name === "" ? db.defaultRetentionPolicy : name;
  if (wanted === "") return undefined;
  return db.retentionPolicies.find((rp) => rp.name === wanted);
}

/** Go's Data.RetentionPolicy followed by the usual nil check. */
export function requireRetentionPolicy(data: MetaData, database: string, name: string): RetentionPolicyInfo {
  const rp = findRetentionPolicy(requireDatabase(data, database), name);
  if (!rp) throw retentionPolicyNotFound(name);
  return rp;
}

/**
 * Freezes a published value so that no reader can change the FSM's state behind its back
 * (mutation throws in strict-mode modules). Already frozen subtrees (shared with the previous
 * value, e.g. after a refused command) are not walked again.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
