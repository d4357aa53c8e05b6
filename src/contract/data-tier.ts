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
