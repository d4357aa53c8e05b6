/** Databases, retention policies, continuous queries and subscriptions (Go: Data.CreateDatabase & co.). */
import type { MetaData, RetentionPolicyInfo } from "../proto/index.ts";
import {
  invalidSubscriptionUrl,
  MetaError,
  metaError,
  META_ERRORS,
  retentionPolicyNotFound,
} from "./errors.ts";
import {
  checkNameLength,
  findDatabase,
  findRetentionPolicy,
  requireDatabase,
  requireRetentionPolicy,
} from "./data.ts";
import { MIN_RETENTION_POLICY_DURATION, normalisedShardGroupDuration } from "./durations.ts";

/** Name, replication and durations of a policy to create: what the commands carry. */
export interface RetentionPolicySettings {
  name: string;
  replicaN: number;
  duration: bigint;
  shardGroupDuration: bigint;
}

export const AUTOGEN_POLICY = "autogen";
/** Auto-created policies replicate to every data node, up to this many. */
const MAX_AUTOGEN_REPLICA_N = 3;

/**
 * Creates the database (an existing one is kept) and then its policy: `policy` when given, else
 * "autogen" when `autoCreatePolicy`. Both are made the default, so re-creating a database whose
 * default policy has changed is a conflict, as in Go.
 */
export function createDatabase(
  data: MetaData,
  name: string,
  policy: RetentionPolicySettings | undefined,
  autoCreatePolicy: boolean,
): void {
  if (name === "") throw metaError("databaseNameRequired");
  checkNameLength(name);
  if (!findDatabase(data, name)) {
    data.databases.push({ name, defaultRetentionPolicy: "", retentionPolicies: [], continuousQueries: [] });
  }
  if (policy) {
    try {
      createRetentionPolicy(data, name, policy, true);
    } catch (err) {
      if (err instanceof MetaError && err.message === META_ERRORS.retentionPolicyExists) {
        throw metaError("retentionPolicyConflict");
      }
      throw err;
    }
  } else if (autoCreatePolicy) {
    const replicaN = Math.min(Math.max(data.dataNodes.length, 1), MAX_AUTOGEN_REPLICA_N);
    createRetentionPolicy(
      data,
      name,
      { name: AUTOGEN_POLICY, replicaN, duration: 0n, shardGroupDuration: 0n },
      true,
    );
  }
}

/** Removes the database and every privilege on it; an unknown name is not an error. */
export function dropDatabase(data: MetaData, name: string): void {
  data.databases = data.databases.filter((db) => db.name !== name);
  for (const user of data.users) user.privileges = user.privileges.filter((p) => p.database !== name);
}

/** Creating a policy identical to an existing one succeeds without change (idempotent). */
export function createRetentionPolicy(
  data: MetaData,
  database: string,
  settings: RetentionPolicySettings,
  makeDefault: boolean,
): void {
  if (settings.name === "") throw metaError("retentionPolicyNameRequired");
  checkNameLength(settings.name);
  if (settings.replicaN < 1) throw metaError("replicationFactorTooLow");
  const shardGroupDuration = normalisedShardGroupDuration(settings.shardGroupDuration, settings.duration);
  if (settings.duration > 0n && settings.duration < shardGroupDuration)
    throw metaError("incompatibleDurations");

  const db = requireDatabase(data, database);
  const existing = findRetentionPolicy(db, settings.name);
  if (existing) {
    if (
      existing.replicaN !== settings.replicaN ||
      existing.duration !== settings.duration ||
      existing.shardGroupDuration !== shardGroupDuration
    ) {
      throw metaError("retentionPolicyExists");
    }
    if (makeDefault && db.defaultRetentionPolicy !== settings.name)
      throw metaError("retentionPolicyConflict");
    return;
  }
  db.retentionPolicies.push({
    name: settings.name,
    replicaN: settings.replicaN,
    duration: settings.duration,
    shardGroupDuration,
    shardGroups: [],
    subscriptions: [],
  });
  if (makeDefault) db.defaultRetentionPolicy = settings.name;
}

/** An unknown database or policy is not an error (the drop is already done). */
export function dropRetentionPolicy(data: MetaData, database: string, name: string): void {
  const db = findDatabase(data, database);
  if (db) db.retentionPolicies = db.retentionPolicies.filter((rp) => rp.name !== name);
}

export function setDefaultRetentionPolicy(data: MetaData, database: string, name: string): void {
  const db = requireDatabase(data, database);
  const rp = findRetentionPolicy(db, name);
  if (!rp) throw retentionPolicyNotFound(name);
  db.defaultRetentionPolicy = rp.name;
}

/** The fields an UpdateRetentionPolicyCommand sets; absent ones are left as they are. */
export interface RetentionPolicyUpdate {
  name?: string;
  duration?: bigint;
  replicaN?: number;
  shardGroupDuration?: bigint;
}

export function updateRetentionPolicy(
  data: MetaData,
  database: string,
  name: string,
  update: RetentionPolicyUpdate,
  makeDefault: boolean,
): void {
  const db = requireDatabase(data, database);
  const rp = findRetentionPolicy(db, name);
  if (!rp) throw retentionPolicyNotFound(name);
  if (update.name !== undefined && update.name !== name && findRetentionPolicy(db, update.name)) {
    throw metaError("retentionPolicyNameExists");
  }
  const { duration, shardGroupDuration } = update;
  if (duration !== undefined && duration !== 0n && duration < MIN_RETENTION_POLICY_DURATION) {
    throw metaError("retentionPolicyDurationTooLow");
  }
  if (shortensBelowShardGroups(rp, duration, shardGroupDuration)) throw metaError("incompatibleDurations");

  if (update.name !== undefined) rp.name = update.name;
  if (duration !== undefined) rp.duration = duration;
  if (update.replicaN !== undefined) rp.replicaN = update.replicaN;
  if (shardGroupDuration !== undefined) {
    rp.shardGroupDuration = normalisedShardGroupDuration(shardGroupDuration, rp.duration);
  }
  if (makeDefault) db.defaultRetentionPolicy = rp.name;
}

/** A finite retention must not be shorter than the shard group duration (new or current). */
function shortensBelowShardGroups(
  rp: RetentionPolicyInfo,
  duration: bigint | undefined,
  shardGroupDuration: bigint | undefined,
): boolean {
  if (duration !== undefined)
    return duration > 0n && duration < (shardGroupDuration ?? rp.shardGroupDuration);
  return rp.duration > 0n && shardGroupDuration !== undefined && rp.duration < shardGroupDuration;
}

/** Re-creating a query with the same text (ignoring case) succeeds without change. */
export function createContinuousQuery(data: MetaData, database: string, name: string, query: string): void {
  const db = requireDatabase(data, database);
  const existing = db.continuousQueries.find((cq) => cq.name === name);
  if (existing) {
    if (existing.query.toLowerCase() === query.toLowerCase()) return;
    throw metaError("continuousQueryExists");
  }
  db.continuousQueries.push({ name, query });
}

/** An unknown database or query is not an error. */
export function dropContinuousQuery(data: MetaData, database: string, name: string): void {
  const db = findDatabase(data, database);
  if (db) db.continuousQueries = db.continuousQueries.filter((cq) => cq.name !== name);
}

export function createSubscription(
  data: MetaData,
  database: string,
  policy: string,
  name: string,
  mode: string,
  destinations: string[],
): void {
  for (const destination of destinations) checkSubscriptionUrl(destination);
  const rp = requireRetentionPolicy(data, database, policy);
  if (rp.subscriptions.some((s) => s.name === name)) throw metaError("subscriptionExists");
  rp.subscriptions.push({ name, mode, destinations: [...destinations] });
}

export function dropSubscription(data: MetaData, database: string, policy: string, name: string): void {
  const rp = requireRetentionPolicy(data, database, policy);
  const index = rp.subscriptions.findIndex((s) => s.name === name);
  if (index < 0) throw metaError("subscriptionNotFound");
  rp.subscriptions.splice(index, 1);
}

/** A destination is udp://, http:// or https:// with an explicit port (Go's validateURL). */
function checkSubscriptionUrl(input: string): void {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)/.exec(input);
  const scheme = match?.[1].toLowerCase();
  if (!match || (scheme !== "udp" && scheme !== "http" && scheme !== "https"))
    throw invalidSubscriptionUrl(input);
  const authority = match[2];
  const hostPort = authority.slice(authority.lastIndexOf("@") + 1);
  const port = hostPort.startsWith("[")
    ? /^\[[^\]]*\]:(\d+)$/.exec(hostPort)?.[1]
    : /^[^:]*:(\d+)$/.exec(hostPort)?.[1];
  if (port === undefined) throw invalidSubscriptionUrl(input);
}
