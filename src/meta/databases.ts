/** Databases, retention policies, continuous queries and subscriptions (Go: Data.CreateDatabase & co.). */
import {
  invalidSubscriptionUrl,
  MetaError,
  metaError,
  META_ERRORS,
  retentionPolicyNotFound,
} from "./errors.ts";
import {
  checkNameLength,
  databaseKey,
  databaseWithKey,
  editDatabase,
  editRetentionPolicy,
  findDatabase,
  findRetentionPolicy,
  requireDatabase,
  requireRetentionPolicy,
  type MetaDraft,
} from "./data.ts";
import type { RetentionPolicyState } from "./readonly.ts";
import { forgetShards } from "./shards.ts";
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
  draft: MetaDraft,
  name: string,
  policy: RetentionPolicySettings | undefined,
  autoCreatePolicy: boolean,
): void {
  if (name === "") throw metaError("databaseNameRequired");
  checkNameLength(name);
  if (!findDatabase(draft, name)) {
    draft.appendDatabase({ name, defaultRetentionPolicy: "", retentionPolicies: [], continuousQueries: [] });
  }
  if (policy) {
    try {
      createRetentionPolicy(draft, name, policy, true);
    } catch (err) {
      if (err instanceof MetaError && err.message === META_ERRORS.retentionPolicyExists) {
        throw metaError("retentionPolicyConflict");
      }
      throw err;
    }
  } else if (autoCreatePolicy) {
    const replicaN = Math.min(Math.max(draft.data.dataNodes.length, 1), MAX_AUTOGEN_REPLICA_N);
    createRetentionPolicy(
      draft,
      name,
      { name: AUTOGEN_POLICY, replicaN, duration: 0n, shardGroupDuration: 0n },
      true,
    );
  }
}

/** Removes the database and every privilege on it; an unknown name is not an error. */
export function dropDatabase(draft: MetaDraft, name: string): void {
  const key = databaseKey(draft, name);
  if (key !== undefined) {
    for (const rp of databaseWithKey(draft, key).retentionPolicies) forgetShards(draft, rp);
    draft.removeDatabase(key);
  }
  draft.data.users.forEach((user, index) => {
    if (!user.privileges.some((p) => p.database === name)) return;
    const edited = draft.edit(draft.edit(draft.data, "users"), index);
    edited.privileges = user.privileges.filter((p) => p.database !== name);
  });
}

/** Creating a policy identical to an existing one succeeds without change (idempotent). */
export function createRetentionPolicy(
  draft: MetaDraft,
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

  const db = requireDatabase(draft, database);
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
  const edited = editDatabase(draft, database);
  draft.edit(edited, "retentionPolicies").push({
    name: settings.name,
    replicaN: settings.replicaN,
    duration: settings.duration,
    shardGroupDuration,
    shardGroups: [],
    subscriptions: [],
  });
  if (makeDefault) edited.defaultRetentionPolicy = settings.name;
}

/** An unknown database or policy is not an error (the drop is already done). */
export function dropRetentionPolicy(draft: MetaDraft, database: string, name: string): void {
  const db = findDatabase(draft, database);
  const dropped = db?.retentionPolicies.find((rp) => rp.name === name);
  if (!db || !dropped) return;
  forgetShards(draft, dropped);
  editDatabase(draft, database).retentionPolicies = db.retentionPolicies.filter((rp) => rp !== dropped);
}

export function setDefaultRetentionPolicy(draft: MetaDraft, database: string, name: string): void {
  const rp = findRetentionPolicy(requireDatabase(draft, database), name);
  if (!rp) throw retentionPolicyNotFound(name);
  editDatabase(draft, database).defaultRetentionPolicy = rp.name;
}

/** The fields an UpdateRetentionPolicyCommand sets; absent ones are left as they are. */
export interface RetentionPolicyUpdate {
  name?: string;
  duration?: bigint;
  replicaN?: number;
  shardGroupDuration?: bigint;
}

export function updateRetentionPolicy(
  draft: MetaDraft,
  database: string,
  name: string,
  update: RetentionPolicyUpdate,
  makeDefault: boolean,
): void {
  const db = requireDatabase(draft, database);
  const current = findRetentionPolicy(db, name);
  if (!current) throw retentionPolicyNotFound(name);
  if (update.name !== undefined && update.name !== name && findRetentionPolicy(db, update.name)) {
    throw metaError("retentionPolicyNameExists");
  }
  const { duration, shardGroupDuration } = update;
  if (duration !== undefined && duration !== 0n && duration < MIN_RETENTION_POLICY_DURATION) {
    throw metaError("retentionPolicyDurationTooLow");
  }
  if (shortensBelowShardGroups(current, duration, shardGroupDuration))
    throw metaError("incompatibleDurations");

  const rp = editRetentionPolicy(draft, database, name);
  if (update.name !== undefined) rp.name = update.name;
  if (duration !== undefined) rp.duration = duration;
  if (update.replicaN !== undefined) rp.replicaN = update.replicaN;
  if (shardGroupDuration !== undefined) {
    rp.shardGroupDuration = normalisedShardGroupDuration(shardGroupDuration, rp.duration);
  }
  if (makeDefault) editDatabase(draft, database).defaultRetentionPolicy = rp.name;
}

/** A finite retention must not be shorter than the shard group duration (new or current). */
function shortensBelowShardGroups(
  rp: RetentionPolicyState,
  duration: bigint | undefined,
  shardGroupDuration: bigint | undefined,
): boolean {
  if (duration !== undefined)
    return duration > 0n && duration < (shardGroupDuration ?? rp.shardGroupDuration);
  return rp.duration > 0n && shardGroupDuration !== undefined && rp.duration < shardGroupDuration;
}

/** Re-creating a query with the same text (ignoring case) succeeds without change. */
export function createContinuousQuery(draft: MetaDraft, database: string, name: string, query: string): void {
  const db = requireDatabase(draft, database);
  const existing = db.continuousQueries.find((cq) => cq.name === name);
  if (existing) {
    if (existing.query.toLowerCase() === query.toLowerCase()) return;
    throw metaError("continuousQueryExists");
  }
  draft.edit(editDatabase(draft, database), "continuousQueries").push({ name, query });
}

/** An unknown database or query is not an error. */
export function dropContinuousQuery(draft: MetaDraft, database: string, name: string): void {
  const db = findDatabase(draft, database);
  if (!db?.continuousQueries.some((cq) => cq.name === name)) return;
  editDatabase(draft, database).continuousQueries = db.continuousQueries.filter((cq) => cq.name !== name);
}

export function createSubscription(
  draft: MetaDraft,
  database: string,
  policy: string,
  name: string,
  mode: string,
  destinations: string[],
): void {
  for (const destination of destinations) checkSubscriptionUrl(destination);
  const rp = requireRetentionPolicy(draft, database, policy);
  if (rp.subscriptions.some((s) => s.name === name)) throw metaError("subscriptionExists");
  draft
    .edit(editRetentionPolicy(draft, database, policy), "subscriptions")
    .push({ name, mode, destinations: [...destinations] });
}

export function dropSubscription(draft: MetaDraft, database: string, policy: string, name: string): void {
  const rp = requireRetentionPolicy(draft, database, policy);
  const index = rp.subscriptions.findIndex((s) => s.name === name);
  if (index < 0) throw metaError("subscriptionNotFound");
  draft.edit(editRetentionPolicy(draft, database, policy), "subscriptions").splice(index, 1);
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
