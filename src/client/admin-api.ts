/**
 * The cluster managed through influx-cluster's admin service (8084). The admin service has no
 * shard endpoints: shard commands go to the meta API of the meta node it runs beside.
 */

import { AdminClient } from "./admin-client.ts";
import type { NodeResult, NodeSelf, RemovalPlan, RemoveMetaResult, ShowResult } from "../contract/cluster.ts";
import { peerOptions, type PeerAccess } from "../util/http-client.ts";
import { MetaApi } from "./meta-api.ts";
import type { ClusterApi, ShardList } from "./cluster-api.ts";
import type { CopyShardStatus, RebalancePlan, ReplicaHealthReport } from "../contract/data-tier.ts";
import type { HealthDetail } from "../cluster/replica-health.ts";

export interface AdminApiOptions {
  bind: string;
  access: PeerAccess;
  timeoutMs: number;
}

export class AdminApi implements ClusterApi {
  readonly kind = "admin" as const;
  readonly bind: string;
  private readonly client: AdminClient;

  constructor(private readonly opts: AdminApiOptions) {
    this.bind = opts.bind;
    const { tls } = peerOptions(opts.access, false);
    this.client = new AdminClient({
      bind: opts.bind,
      tls,
      timeoutMs: opts.timeoutMs,
      headers: opts.access.headers,
    });
  }

  self(): Promise<NodeSelf> {
    return this.client.self();
  }

  show(): Promise<ShowResult> {
    return this.client.show();
  }

  planRemoveMeta(httpAddr: string, force: boolean, tcpAddr?: string): Promise<RemovalPlan> {
    return this.client.planRemoveMeta(httpAddr, force, tcpAddr);
  }

  removeMeta(httpAddr: string, opts: { force: boolean; tcpAddr?: string }): Promise<RemoveMetaResult> {
    return this.client.removeMeta(httpAddr, opts);
  }

  leave(): Promise<RemoveMetaResult> {
    return this.client.leave();
  }

  join(via: string): Promise<NodeResult> {
    return this.client.join(via);
  }

  addMeta(httpAddr: string, opts: { newCluster?: boolean } = {}): Promise<NodeResult> {
    return this.client.addMeta(httpAddr, opts);
  }

  addData(tcpAddr: string): Promise<NodeResult> {
    return this.client.addData(tcpAddr);
  }

  removeData(addr: string, force: boolean): Promise<NodeResult> {
    return this.client.removeData(addr, force);
  }

  updateData(oldAddr: string, newAddr: string): Promise<NodeResult> {
    return this.client.updateData(oldAddr, newAddr);
  }

  /** The meta API of the meta node beside this admin service. */
  private async metaBeside(): Promise<MetaApi> {
    const { self } = await this.client.show();
    return new MetaApi({ bind: self.httpAddr, access: this.opts.access, timeoutMs: this.opts.timeoutMs });
  }

  async showShards(verbose: boolean): Promise<ShardList> {
    return (await this.metaBeside()).showShards(verbose);
  }

  async copyShard(src: string, dest: string, shardId: number): Promise<void> {
    return (await this.metaBeside()).copyShard(src, dest, shardId);
  }

  async removeShard(src: string, shardId: number, force = false): Promise<void> {
    return (await this.metaBeside()).removeShard(src, shardId, force);
  }

  async replicaHealth(detail: HealthDetail): Promise<ReplicaHealthReport> {
    return (await this.metaBeside()).replicaHealth(detail);
  }

  async rebalancePlan(drain?: string): Promise<RebalancePlan> {
    return (await this.metaBeside()).rebalancePlan(drain);
  }

  async copyShardStatus(): Promise<CopyShardStatus[]> {
    return (await this.metaBeside()).copyShardStatus();
  }

  async killCopyShard(src: string, dest: string, shardId: number): Promise<CopyShardStatus> {
    return (await this.metaBeside()).killCopyShard(src, dest, shardId);
  }

  async truncateShards(delayMs: number): Promise<void> {
    return (await this.metaBeside()).truncateShards(delayMs);
  }
}
