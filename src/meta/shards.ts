/**
 * Shard groups, shards and shard ownership (Go: Data.CreateShardGroup & co.).
 *
 * Determinism: Go stamps DeletedAt with the wall clock and prunes groups deleted more than 24 h
 * ago, and reassigns orphaned shards in map order. An FSM must give every server the same
 * result, and these commands carry no time, so here:
 * - a deleted group's DeletedAt is its EndTime (1 ns if that is 0): non-zero, the same on every
 *   server, and never after the data it covered;
 * - PruneShardGroupsCommand removes every group marked deleted (whoever issues it owns the delay);
 * - an orphaned shard goes to the node owning the fewest shards of its group, lowest ID on a tie.
 */
import { shardOwner, type ShardGroupInfo, type ShardInfo, type ShardOwner } from "../proto/index.ts";
import { metaError } from "./errors.ts";
import {
  databaseWithKey,
  editRetentionPolicy,
  editRetentionPolicyAt,
  nextId,
  requireDatabaseKey,
  requireRetentionPolicy,
  type IndexedState,
  type MetaDraft,
  type MetaState,
} from "./data.ts";
import type { DeepReadonly, RetentionPolicyState, Writable } from "./readonly.ts";

type ShardGroupState = DeepReadonly<ShardGroupInfo>;
export type ShardState = DeepReadonly<ShardInfo>;
type OwnerState = DeepReadonly<ShardOwner>;

/** Nanoseconds from Go's zero time (0001-01-01T00:00:00Z) to the Unix epoch. */
const GO_ZERO_TO_UNIX_NS = 62_135_596_800n * 1_000_000_000n;
/** models.MaxNanoTime: the latest timestamp a point may carry. */
export const MAX_NANO_TIME = (1n << 63n) - 2n;

/**
 * Go's time.Truncate: rounds down to a multiple of `duration` counted from Go's zero time, not
 * from the Unix epoch — which is why weekly shard groups start on Mondays.
 */
export function truncateTime(timestamp: bigint, duration: bigint): bigint {
  if (duration <= 0n) return timestamp;
  return timestamp - ((timestamp + GO_ZERO_TO_UNIX_NS) % duration);
}

function isDeleted(group: ShardGroupState): boolean {
  return group.deletedAt !== 0n;
}

function isTruncated(group: ShardGroupState): boolean {
  return group.truncatedAt !== 0n;
}

function effectiveEnd(group: ShardGroupState): bigint {
  return isTruncated(group) ? group.truncatedAt : group.endTime;
}

/** The DeletedAt a group gets when it is marked deleted (see the module comment). */
function deletionTime(group: ShardGroupState): bigint {
  return group.endTime !== 0n ? group.endTime : 1n;
}

/** Order Go keeps shard groups in: by (truncated) end time, then start time. */
function compareGroups(a: ShardGroupState, b: ShardGroupState): number {
  const ea = effectiveEnd(a);
  const eb = effectiveEnd(b);
  if (ea !== eb) return ea < eb ? -1 : 1;
  return a.startTime < b.startTime ? -1 : a.startTime > b.startTime ? 1 : 0;
}

/** Where a shard group is: its database's key (see DatabaseList), indices of its policy and itself. */
interface GroupLocation {
  database: number;
  policy: number;
  group: number;
}

/** Every shard group with its location, in database, policy and group order. */
function* allGroups(data: MetaState): Generator<{ at: GroupLocation; group: ShardGroupState }> {
  for (const [database, db] of data.databases.entries()) {
    for (const [policy, rp] of db.retentionPolicies.entries()) {
      for (const [group, g] of rp.shardGroups.entries()) yield { at: { database, policy, group }, group: g };
    }
  }
}

function editGroup(draft: MetaDraft, at: GroupLocation): Writable<ShardGroupState> {
  const rp = editRetentionPolicyAt(draft, at.database, at.policy);
  return draft.edit(draft.edit(rp, "shardGroups"), at.group);
}

function editShard(draft: MetaDraft, at: GroupLocation, shard: number): Writable<ShardState> {
  return draft.edit(draft.edit(editGroup(draft, at), "shards"), shard);
}

/** Marks the group deleted; copies it only if that changes it. */
function markDeleted(draft: MetaDraft, at: GroupLocation, group: ShardGroupState): void {
  const deletedAt = deletionTime(group);
  if (group.deletedAt !== deletedAt) editGroup(draft, at).deletedAt = deletedAt;
}

interface ShardLocation {
  at: GroupLocation;
  group: ShardGroupState;
  /** Index of the shard in its group. */
  index: number;
  shard: ShardState;
}

/** The shard with this ID, in the database the index names for it. */
export function findShard(state: IndexedState, shardId: number): ShardLocation | undefined {
  const database = state.shardDatabases.get(shardId);
  if (database === undefined) return undefined;
  const db = databaseWithKey(state, database);
  for (const [policy, rp] of db.retentionPolicies.entries()) {
    for (const [group, g] of rp.shardGroups.entries()) {
      const index = g.shards.findIndex((s) => s.id === shardId);
      if (index >= 0) return { at: { database, policy, group }, group: g, index, shard: g.shards[index] };
    }
  }
  throw new Error(`meta index out of step: shard ${shardId} is indexed in "${db.name}" but not there`);
}

function removeShard(draft: MetaDraft, found: ShardLocation): void {
  const group = editGroup(draft, found.at);
  draft.edit(group, "shards").splice(found.index, 1);
  draft.shardDatabases.delete(found.shard.id);
  if (group.shards.length === 0) group.deletedAt = deletionTime(group);
}

/** Drops the shards of these groups from the index (their policy or database is going). */
export function forgetShards(
  draft: MetaDraft,
  rp: { readonly shardGroups: readonly ShardGroupState[] },
): void {
  for (const group of rp.shardGroups) {
    for (const shard of group.shards) draft.shardDatabases.delete(shard.id);
  }
}

function groupContaining(rp: RetentionPolicyState, timestamp: bigint): ShardGroupState | undefined {
  return rp.shardGroups.find(
    (g) =>
      g.startTime <= timestamp &&
      timestamp < g.endTime &&
      !isDeleted(g) &&
      (!isTruncated(g) || timestamp < g.truncatedAt),
  );
}

/** Creates the group covering `timestamp`, unless one exists or there is no data node. */
export function createShardGroup(
  draft: MetaDraft,
  database: string,
  policy: string,
  timestamp: bigint,
): void {
  const data = draft.data;
  if (data.dataNodes.length === 0) return;
  const databaseKey = requireDatabaseKey(draft, database);
  const rp = requireRetentionPolicy(draft, database, policy);
  if (groupContaining(rp, timestamp)) return;

  const nodeCount = data.dataNodes.length;
  const replicaN = Math.min(Math.max(rp.replicaN, 1), nodeCount);
  // Enough shards that every node holds the same number of replicas.
  let shardN = 1;
  while ((shardN * replicaN) % nodeCount !== 0) shardN += 1;

  let startTime = truncateTime(timestamp, rp.shardGroupDuration);
  let endTime = startTime + rp.shardGroupDuration;
  if (endTime > MAX_NANO_TIME) endTime = MAX_NANO_TIME + 1n; // the range is [start, end)
  // Shrink the range so that it overlaps no live group (e.g. one truncated earlier).
  for (const g of rp.shardGroups) {
    if (isDeleted(g)) continue;
    const end = effectiveEnd(g);
    if (timestamp >= end && end > startTime) startTime = end;
    if (g.startTime > timestamp && g.startTime < endTime) endTime = g.startTime;
  }

  data.maxShardGroupId = nextId(data.maxShardGroupId, "shard group");
  // Arrays made at their final length: grown by push they would keep room for 16 more elements,
  // and the state holds one owner list per shard for as long as the shard lives.
  const shards = new Array<ShardInfo>(shardN);
  // Round robin over the data nodes from a start point every server computes alike.
  let nodeIndex = data.index % nodeCount;
  for (let i = 0; i < shardN; i++) {
    data.maxShardId = nextId(data.maxShardId, "shard");
    const owners = new Array<ShardOwner>(replicaN);
    for (let r = 0; r < replicaN; r++) {
      owners[r] = shardOwner(data.dataNodes[nodeIndex % nodeCount].id);
      nodeIndex += 1;
    }
    shards[i] = { id: data.maxShardId, owners };
    draft.shardDatabases.set(data.maxShardId, databaseKey);
  }
  const group: ShardGroupInfo = {
    id: data.maxShardGroupId,
    startTime,
    endTime,
    deletedAt: 0n,
    truncatedAt: 0n,
    shards,
  };
  const groups = draft.edit(editRetentionPolicy(draft, database, policy), "shardGroups");
  groups.push(group);
  groups.sort(compareGroups);
}

export function deleteShardGroup(draft: MetaDraft, database: string, policy: string, groupId: number): void {
  const index = requireRetentionPolicy(draft, database, policy).shardGroups.findIndex(
    (g) => g.id === groupId,
  );
  if (index < 0) throw metaError("shardGroupNotFound");
  const groups = draft.edit(editRetentionPolicy(draft, database, policy), "shardGroups");
  const group = draft.edit(groups, index);
  group.deletedAt = deletionTime(group);
}

/** Removes a shard; unknown IDs are ignored so the command can be re-run. */
export function dropShard(draft: MetaDraft, shardId: number): void {
  const found = findShard(draft, shardId);
  if (found) removeShard(draft, found);
}

/** Stops every group that could hold points after `timestamp` from accepting more. */
export function truncateShardGroups(draft: MetaDraft, timestamp: bigint): void {
  for (const { at, group: g } of allGroups(draft.data)) {
    if (timestamp >= g.endTime || isDeleted(g) || (isTruncated(g) && g.truncatedAt < timestamp)) continue;
    const truncatedAt = timestamp <= g.startTime ? g.startTime : timestamp;
    if (g.truncatedAt !== truncatedAt) editGroup(draft, at).truncatedAt = truncatedAt;
  }
}

export function pruneShardGroups(draft: MetaDraft): void {
  for (const [database, db] of draft.data.databases.entries()) {
    for (const [policy, rp] of db.retentionPolicies.entries()) {
      if (!rp.shardGroups.some(isDeleted)) continue;
      forgetShards(draft, { shardGroups: rp.shardGroups.filter(isDeleted) });
      editRetentionPolicyAt(draft, database, policy).shardGroups = rp.shardGroups.filter(
        (g) => !isDeleted(g),
      );
    }
  }
}

/** Adds `nodeId` to the shard's owners (kept in ID order); unknown shards are ignored. */
export function copyShardOwner(draft: MetaDraft, shardId: number, nodeId: number): void {
  const found = findShard(draft, shardId);
  if (!found || found.shard.owners.some((o) => o.nodeId === nodeId)) return;
  const owners = draft.edit(editShard(draft, found.at, found.index), "owners");
  const at = owners.findIndex((o) => o.nodeId > nodeId);
  owners.splice(at < 0 ? owners.length : at, 0, shardOwner(nodeId));
}

/** Removes `nodeId` from the shard's owners; a shard left without owners is dropped. */
export function removeShardOwner(draft: MetaDraft, shardId: number, nodeId: number): void {
  const found = findShard(draft, shardId);
  if (!found) return;
  const owners = found.shard.owners;
  const at = owners.findIndex((o) => o.nodeId === nodeId);
  const left = at < 0 ? owners.length : owners.length - 1;
  if (left === 0) removeShard(draft, found);
  else if (at >= 0) draft.edit(editShard(draft, found.at, found.index), "owners").splice(at, 1);
}

/**
 * A data node leaves: it gives up every shard it owns. A group whose shards are all left without
 * owners (or that has no shard) is marked deleted; otherwise each orphaned shard gets a new owner.
 * Only the shards and groups this changes are copied.
 */
export function releaseShardsOf(draft: MetaDraft, nodeId: number): void {
  const owns = (shard: ShardState) => shard.owners.some((o) => o.nodeId === nodeId);
  for (const { at, group } of allGroups(draft.data)) {
    // Most groups hold nothing of the node: leave them without building anything. (A group with
    // no shard at all is marked deleted below, as in Go.)
    if (group.shards.length > 0 && !group.shards.some(owns)) continue;
    const shardsPerNode = new Map<number, number>();
    for (const shard of group.shards) {
      for (const o of shard.owners) shardsPerNode.set(o.nodeId, (shardsPerNode.get(o.nodeId) ?? 0) + 1);
    }
    const kept = group.shards.map((shard) => shard.owners.filter((o) => o.nodeId !== nodeId));
    const allOrphaned = kept.every((owners) => owners.length === 0);
    if (!allOrphaned) {
      shardsPerNode.delete(nodeId);
      for (const owners of kept) {
        if (owners.length > 0) continue;
        // Never undefined: a shard that kept an owner put that owner in the map.
        const newOwner = leastLoaded(shardsPerNode)!;
        shardsPerNode.set(newOwner, (shardsPerNode.get(newOwner) ?? 0) + 1);
        owners.push(shardOwner(newOwner));
      }
    }
    kept.forEach((owners, index) => {
      if (!sameOwners(owners, group.shards[index].owners)) editShard(draft, at, index).owners = owners;
    });
    if (allOrphaned) markDeleted(draft, at, group);
  }
}

function sameOwners(a: readonly OwnerState[], b: readonly OwnerState[]): boolean {
  return a.length === b.length && a.every((o, i) => o.nodeId === b[i].nodeId);
}

function leastLoaded(shardsPerNode: Map<number, number>): number | undefined {
  let best: number | undefined;
  for (const [node, count] of shardsPerNode) {
    const bestCount = best === undefined ? Infinity : shardsPerNode.get(best)!;
    if (count < bestCount || (count === bestCount && node < best!)) best = node;
  }
  return best;
}
