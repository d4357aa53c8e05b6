/**
 * What influxd-ctl and the TUI ask of a cluster, whichever API they reach it through: the
 * admin service of influx-cluster (8084) or a meta node's API (8091, InfluxDB Enterprise's,
 * spoken by chengshiwen/influxdb-cluster and our own meta nodes). Both implementations answer in
 * the admin service's shapes (docs/http-api.md), so `-json` output and the TUI are the same in
 * both modes.
 */

import type { NodeResult, NodeSelf, RemovalPlan, RemoveMetaResult, ShowResult } from "../contract/cluster.ts";
import type {
  ClusterShardInfo,
  CopyShardStatus,
  RebalancePlan,
  ReplicaHealthReport,
  ShardOwnerInfo,
} from "../contract/data-tier.ts";
import type { HealthDetail } from "../cluster/replica-health.ts";

export type ApiKind = "admin" | "meta";

/** One owner of a shard, as `GET /show-shards` reports it: our meta nodes send every field
 *  (src/cluster/data-nodes.ts); a Go node fills state, size and times only with `?verbose=true`. */
export type ShardOwner = Pick<ShardOwnerInfo, "id" | "tcpAddr"> &
  Partial<Omit<ShardOwnerInfo, "id" | "tcpAddr">>;

/** One shard, as `GET /show-shards` reports it; a Go node sends `owners: null` for none. */
export type ShardView = Omit<ClusterShardInfo, "owners"> & { owners: ShardOwner[] | null };

/**
 * The shards of a listing, in order, to be read as often as needed (a production listing has
 * 200,000: influxd-ctl formats them in two passes without holding them all). `-json` writes them
 * as Go's array.
 */
export interface ShardList extends Iterable<ShardView> {
  toJSON(): ShardView[];
}

/** The operations alone (what a command calls). */
export type ClusterOperations = Omit<ClusterApi, "kind" | "bind">;

export interface ClusterApi {
  readonly kind: ApiKind;
  /** host:port of the service asked. */
  readonly bind: string;
  /** The meta node at `bind` as it describes itself; answers on a blank node too. */
  self(): Promise<NodeSelf>;
  show(): Promise<ShowResult>;
  /** What remove-meta would do and whether it would be refused; changes nothing. */
  planRemoveMeta(httpAddr: string, force: boolean, tcpAddr?: string): Promise<RemovalPlan>;
  removeMeta(httpAddr: string, opts: { force: boolean; tcpAddr?: string }): Promise<RemoveMetaResult>;
  /** Removes the meta node at `bind` from its cluster. */
  leave(): Promise<RemoveMetaResult>;
  /** Joins the blank meta node at `bind` to the cluster `via` belongs to. */
  join(via: string): Promise<NodeResult>;
  /** `newCluster`: bootstrap a new cluster on a node that belonged to one before (admin API only). */
  addMeta(httpAddr: string, opts?: { newCluster?: boolean }): Promise<NodeResult>;
  /** The data node at `tcpAddr` (its RPC port) is told to join; it reports its HTTP address. */
  addData(tcpAddr: string): Promise<NodeResult>;
  removeData(addr: string, force: boolean): Promise<NodeResult>;
  updateData(oldAddr: string, newAddr: string): Promise<NodeResult>;
  showShards(verbose: boolean): Promise<ShardList>;
  /** Refused when `dest` already has the shard or `src` lacks it; a hot shard is caught up. */
  copyShard(src: string, dest: string, shardId: number): Promise<void>;
  /** Refused when `src` holds the last live copy, unless `force`. */
  removeShard(src: string, shardId: number, force?: boolean): Promise<void>;
  /** Every shard's replica health; `detail` says which shards are listed (none: the summary only). */
  replicaHealth(detail: HealthDetail): Promise<ReplicaHealthReport>;
  /** The moves of a rebalance, or of draining the data node at `drain`; changes nothing. */
  rebalancePlan(drain?: string): Promise<RebalancePlan>;
  /** The shard copies under way (our meta nodes only). */
  copyShardStatus(): Promise<CopyShardStatus[]>;
  /** Stops a copy under way: the destination drops its copy and is not made an owner. */
  killCopyShard(src: string, dest: string, shardId: number): Promise<CopyShardStatus>;
  /** Truncates the current shard groups `delayMs` from now. */
  truncateShards(delayMs: number): Promise<void>;
}
