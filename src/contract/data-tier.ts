/**
 * JSON shapes of the data tier as the meta API (8091) answers them, in Go's field names, shared
 * by the server (src/cluster/data-nodes.ts, src/cluster/shard-groups.ts) and the clients.
 */
import type { ShardOwnerStatus } from "../proto/data-rpc.ts";

/** A data node as /add-data and /update-data answer it (Go's DataNodeInfo). */
export interface DataNodeInfo {
  id: number;
  tcpAddr: string;
  httpAddr: string;
  httpScheme: string;
  status: string;
  version: string;
}

/** One owner of a shard (Go's ShardOwnerInfo: the data node's own report of it, so the same
 *  fields; state, size and times only filled in by a verbose listing). */
export type ShardOwnerInfo = ShardOwnerStatus;

/** One shard as /show-shards lists it (Go's ClusterShardInfo). */
export interface ClusterShardInfo {
  id: number;
  database: string;
  "retention-policy": string;
  "replica-n": number;
  "shard-group-id": number;
  "start-time": string;
  "end-time": string;
  "expire-time": string;
  "truncated-at": string;
  owners: ShardOwnerInfo[];
}

/** A time in nanoseconds as Go's encoding/json writes a UTC time.Time (RFC 3339, trailing zeros
 *  of the fraction dropped); 0 is Go's zero time. */
export function goTime(ns: bigint): string {
  if (ns === 0n) return "0001-01-01T00:00:00Z";
  const NS_PER_S = 1_000_000_000n;
  const seconds = ns / NS_PER_S - (ns % NS_PER_S < 0n ? 1n : 0n);
  const fraction = ns - seconds * NS_PER_S;
  const base = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  const digits = fraction.toString().padStart(9, "0").replace(/0+$/, "");
  return `${base}${digits ? "." + digits : ""}Z`;
}

/**
 * A shard's replica health (src/cluster/replica-health.ts): `healthy` when every owner in the
 * metadata that can be asked holds it and it has at least its retention policy's replica count of
 * live copies; `under-replicated` fewer live copies than that; `unavailable` no live copy;
 * `missing` an owner that answers does not report it; `hot` its shard group is still current (it
 * is written to: a copy must catch up). A shard can be in several states at once.
 */
export type ShardHealthState = "healthy" | "under-replicated" | "unavailable" | "missing" | "hot";

/** One shard's health: owners and copies by data node ID. */
export interface ShardHealth {
  id: number;
  database: string;
  "retention-policy": string;
  "replica-n": number;
  "shard-group-id": number;
  states: ShardHealthState[];
  /** Owners in the metadata. */
  owners: number[];
  /** Owners that are up and report the shard. */
  live: number[];
  /** Owners that are up and do not report it. */
  missing: number[];
  /** Largest size a live copy reports (bytes). */
  size: number;
}

/** A copy on a data node that no metadata lists as an owner of that shard. */
export interface OrphanCopy {
  shard: number;
  node: number;
  tcpAddr: string;
  size: number;
  /** The shard is in the metadata (another node owns it) rather than unknown or deleted. */
  known: boolean;
}

/** One data node in the health report. */
export interface DataNodeHealth {
  id: number;
  tcpAddr: string;
  up: boolean;
  /** Why it counts as down (its ListShards error), when it does. */
  error?: string;
  /** Shards the metadata lists it as an owner of. */
  shards: number;
  /** Bytes of the copies it reports. */
  bytes: number;
  /** Shards whose only live copy is on this node. */
  lastCopies: number;
}

export interface ReplicaHealthSummary {
  shards: number;
  healthy: number;
  "under-replicated": number;
  unavailable: number;
  missing: number;
  orphan: number;
  hot: number;
  "nodes-up": number;
  "nodes-down": number;
}

/** What `GET /replica-health` answers and `show-shards -json` carries under `health`. */
export interface ReplicaHealthReport {
  summary: ReplicaHealthSummary;
  nodes: DataNodeHealth[];
  /** Every shard (with `detail`), else only the shards that are not healthy. */
  shards: ShardHealth[];
  orphans: OrphanCopy[];
}

/** One step of a rebalance or drain: copy the shard to `dest`, then drop `source`'s copy. */
export interface RebalanceMove {
  shard: number;
  database: string;
  "retention-policy": string;
  /** Where the copy comes from: `source` itself, or (a dead source) another live owner. */
  from: { id: number; tcpAddr: string };
  source: { id: number; tcpAddr: string };
  dest: { id: number; tcpAddr: string };
  /** Bytes of the copy to stream. */
  size: number;
  /** Its shard group is current: the copy is followed by a catch-up copy. */
  hot: boolean;
  /** `source` is down: only its ownership is dropped (its disk is not touched). */
  sourceDown: boolean;
}

/** What `rebalance` would do; derived from the state alone, so running it again continues. */
export interface RebalancePlan {
  /** TCP address of the drained node, when draining. */
  drain?: string;
  moves: RebalanceMove[];
  /** Shards that cannot be moved, with why. */
  skipped: { shard: number; reason: string }[];
  /** Owned shards per live data node, before and after the plan. */
  before: Record<string, number>;
  after: Record<string, number>;
  bytes: number;
}

/** A shard copy the meta node (the leader) is running (`GET /copy-shard-status`). */
export interface CopyShardStatus {
  shard: number;
  database: string;
  "retention-policy": string;
  source: string;
  dest: string;
  /** Bytes the source reported when the copy began. */
  "total-size": number;
  "started-at": string;
  phase: "copying" | "catching-up";
  /** kill-copy-shard was asked: the copy is dropped once the data node answers. */
  killed: boolean;
}
