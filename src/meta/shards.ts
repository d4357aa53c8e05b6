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
import type { MetaData, RetentionPolicyInfo, ShardGroupInfo, ShardInfo } from "../proto/index.ts";
import { metaError } from "./errors.ts";
import { requireRetentionPolicy } from "./data.ts";

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

function isDeleted(group: ShardGroupInfo): boolean {
  return group.deletedAt !== 0n;
}

function isTruncated(group: ShardGroupInfo): boolean {
  return group.truncatedAt !== 0n;
}

function effectiveEnd(group: ShardGroupInfo): bigint {
  return isTruncated(group) ? group.truncatedAt : group.endTime;
}

function markDeleted(group: ShardGroupInfo): void {
  group.deletedAt = group.endTime !== 0n ? group.endTime : 1n;
}

/** Order Go keeps shard groups in: by (truncated) end time, then start time. */
function compareGroups(a: ShardGroupInfo, b: ShardGroupInfo): number {
  const ea = effectiveEnd(a);
  const eb = effectiveEnd(b);
  if (ea !== eb) return ea < eb ? -1 : 1;
  return a.startTime < b.startTime ? -1 : a.startTime > b.startTime ? 1 : 0;
}

function allGroups(data: MetaData): ShardGroupInfo[] {
  return data.databases.flatMap((db) => db.retentionPolicies.flatMap((rp) => rp.shardGroups));
}

function findShard(data: MetaData, shardId: number): { group: ShardGroupInfo; shard: ShardInfo } | undefined {
  for (const group of allGroups(data)) {
    const shard = group.shards.find((s) => s.id === shardId);
    if (shard) return { group, shard };
  }
  return undefined;
}

function removeShard(group: ShardGroupInfo, shard: ShardInfo): void {
  group.shards.splice(group.shards.indexOf(shard), 1);
  if (group.shards.length === 0) markDeleted(group);
}

function groupContaining(rp: RetentionPolicyInfo, timestamp: bigint): ShardGroupInfo | undefined {
  return rp.shardGroups.find(
    (g) =>
      g.startTime <= timestamp &&
      timestamp < g.endTime &&
      !isDeleted(g) &&
      (!isTruncated(g) || timestamp < g.truncatedAt),
  );
}

/** Creates the group covering `timestamp`, unless one exists or there is no data node. */
export function createShardGroup(data: MetaData, database: string, policy: string, timestamp: bigint): void {
  if (data.dataNodes.length === 0) return;
  const rp = requireRetentionPolicy(data, database, policy);
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

  data.maxShardGroupId += 1;
  const group: ShardGroupInfo = {
    id: data.maxShardGroupId,
    startTime,
    endTime,
    deletedAt: 0n,
    truncatedAt: 0n,
    shards: [],
  };
  // Round robin over the data nodes from a start point every server computes alike.
  let nodeIndex = data.index % nodeCount;
  for (let i = 0; i < shardN; i++) {
    data.maxShardId += 1;
    const shard: ShardInfo = { id: data.maxShardId, owners: [] };
    for (let r = 0; r < replicaN; r++) {
      shard.owners.push({ nodeId: data.dataNodes[nodeIndex % nodeCount].id });
      nodeIndex += 1;
    }
    group.shards.push(shard);
  }
  rp.shardGroups.push(group);
  rp.shardGroups.sort(compareGroups);
}

export function deleteShardGroup(data: MetaData, database: string, policy: string, groupId: number): void {
  const rp = requireRetentionPolicy(data, database, policy);
  const group = rp.shardGroups.find((g) => g.id === groupId);
  if (!group) throw metaError("shardGroupNotFound");
  markDeleted(group);
}

/** Removes a shard; unknown IDs are ignored so the command can be re-run. */
export function dropShard(data: MetaData, shardId: number): void {
  const found = findShard(data, shardId);
  if (found) removeShard(found.group, found.shard);
}

/** Stops every group that could hold points after `timestamp` from accepting more. */
export function truncateShardGroups(data: MetaData, timestamp: bigint): void {
  for (const g of allGroups(data)) {
    if (timestamp >= g.endTime || isDeleted(g) || (isTruncated(g) && g.truncatedAt < timestamp)) continue;
    g.truncatedAt = timestamp <= g.startTime ? g.startTime : timestamp;
  }
}

export function pruneShardGroups(data: MetaData): void {
  for (const db of data.databases) {
    for (const rp of db.retentionPolicies) rp.shardGroups = rp.shardGroups.filter((g) => !isDeleted(g));
  }
}

/** Adds `nodeId` to the shard's owners (kept in ID order); unknown shards are ignored. */
export function copyShardOwner(data: MetaData, shardId: number, nodeId: number): void {
  const found = findShard(data, shardId);
  if (!found || found.shard.owners.some((o) => o.nodeId === nodeId)) return;
  const owners = found.shard.owners;
  const at = owners.findIndex((o) => o.nodeId > nodeId);
  owners.splice(at < 0 ? owners.length : at, 0, { nodeId });
}

/** Removes `nodeId` from the shard's owners; a shard left without owners is dropped. */
export function removeShardOwner(data: MetaData, shardId: number, nodeId: number): void {
  const found = findShard(data, shardId);
  if (!found) return;
  const owners = found.shard.owners;
  const at = owners.findIndex((o) => o.nodeId === nodeId);
  if (at >= 0) owners.splice(at, 1);
  if (owners.length === 0) removeShard(found.group, found.shard);
}

/**
 * A data node leaves: it gives up every shard it owns. A group whose shards are all left without
 * owners (or that has no shard) is marked deleted; otherwise each orphaned shard gets a new owner.
 */
export function releaseShardsOf(data: MetaData, nodeId: number): void {
  for (const group of allGroups(data)) {
    const shardsPerNode = new Map<number, number>();
    const orphans: ShardInfo[] = [];
    for (const shard of group.shards) {
      for (const o of shard.owners) shardsPerNode.set(o.nodeId, (shardsPerNode.get(o.nodeId) ?? 0) + 1);
      shard.owners = shard.owners.filter((o) => o.nodeId !== nodeId);
      if (shard.owners.length === 0) orphans.push(shard);
    }
    if (orphans.length === group.shards.length) {
      markDeleted(group);
      continue;
    }
    shardsPerNode.delete(nodeId);
    for (const orphan of orphans) {
      // Never undefined: a shard that kept an owner put that owner in the map.
      const newOwner = leastLoaded(shardsPerNode)!;
      shardsPerNode.set(newOwner, (shardsPerNode.get(newOwner) ?? 0) + 1);
      orphan.owners.push({ nodeId: newOwner });
    }
  }
}

function leastLoaded(shardsPerNode: Map<number, number>): number | undefined {
  let best: number | undefined;
  for (const [node, count] of shardsPerNode) {
    const bestCount = best === undefined ? Infinity : shardsPerNode.get(best)!;
    if (count < bestCount || (count === bestCount && node < best!)) best = node;
  }
  return best;
}
