/**
 * Cluster operations on data nodes and shards, one implementation behind both the admin service
 * (8084, influxd-ctl and the TUI) and the Enterprise meta API (8091, the Go influxd-ctl): each
 * changes the metadata through the meta client (one command through the leader) and tells the
 * data nodes through their cluster RPC (src/cluster/data-node-rpc.ts). Shapes: docs/http-api.md.
 *
 * The shard operations are guarded by the replica health model (replica-health.ts): nothing
 * removes the last live copy of a shard (a copy on a data node that is up and reports it) unless
 * `force` says so; a copy is verified on the destination before it becomes an owner, and a copy of
 * a hot shard is followed by a catch-up copy of what was written meanwhile.
 */
import type { Logger } from "pino";
import type { MetaClient } from "../meta/client.ts";
import { MetaCommandError } from "../meta/client.ts";
import type { MetaService } from "../meta/service.ts";
import type { MetaCommand, MetaData, NodeInfo } from "../proto/index.ts";
import type { MetaState } from "../meta/data.ts";
import { listShardGroups, shardsOf, type ListedGroup, type ShardGroupListing } from "./shard-groups.ts";
import {
  goTime,
  type ClusterShardInfo,
  type DataNodeInfo,
  type ShardOwnerInfo,
} from "../contract/data-tier.ts";
import { requestJson, type TlsClientOptions } from "../util/http-client.ts";
import { OperationError, refused } from "./errors.ts";
import { DataNodeRpc } from "./data-node-rpc.ts";
import type { ShardOwnerStatus } from "../proto/data-rpc.ts";
import type { CopyShardStatus, RebalancePlan, ReplicaHealthReport } from "../contract/data-tier.ts";
import {
  assessReplicas,
  destHasShard,
  holdsLastCopies,
  indexNodes,
  isLastLiveCopy,
  lastCopy,
  lastLiveCopies,
  planRebalance,
  shardHealth,
  shardsOfMetadata,
  sourceLacksShard,
  type DataTierState,
  type HealthDetail,
  type MetadataDatabase,
  type TierNode,
  type TierShard,
} from "./replica-health.ts";

/** What a guarded copy-shard did. */
export interface CopyShardResult {
  shard: number;
  /** Bytes the destination reports after the copy. */
  bytes: number;
  /** The shard was hot: a second copy brought what was written during the first. */
  caughtUp: boolean;
}

/** What a guarded remove-shard did; `lost` when -force removed the last live copy. */
export interface RemoveShardResult {
  shard: number;
  lost: boolean;
}

export interface DataNodeOptions {
  /** Deadline of one RPC or HTTP call to a data node. */
  timeoutMs: number;
  /** Deadline of a shard copy (the destination streams the whole shard before it answers). */
  copyTimeoutMs: number;
  /** The data nodes' TCP port speaks TLS (`[meta] data-use-tls`). */
  tls?: TlsClientOptions;
  logger: Logger;
}

/** The node lists of `Data`: the local state's or a meta node's decoded answer. */
interface NodeLists {
  readonly dataNodes: readonly NodeInfo[];
  readonly metaNodes: readonly NodeInfo[];
}

/** What a data node's TCP port answers to `GET /status` over HTTP. */
interface DataNodeStatus {
  nodeType: string;
  tcpAddr: string;
  httpAddr: string;
  nodeStatus: "joined" | "disjoined";
}

const NS_PER_MS = 1_000_000n;

export function dataNodeInfo(n: NodeInfo): DataNodeInfo {
  return { id: n.id, tcpAddr: n.tcpAddr, httpAddr: n.addr, httpScheme: "", status: "", version: "" };
}

export class DataNodeOperations {
  readonly rpc: DataNodeRpc;
  /** Copies under way on this node, by `shard:dest`. */
  private readonly copies = new Map<string, CopyShardStatus>();
  /** Shards a copy, a removal or a remove-data is changing on this node, with what it is. */
  private readonly busy = new Map<number, string>();

  /** Reads this node's metadata and sends commands (through the leader). */
  private readonly client: MetaClient;

  constructor(
    private readonly meta: MetaService,
    /** A meta client for one meta node's HTTP address, with this node's peer access. */
    private readonly clientFor: (httpAddr: string) => MetaClient,
    private readonly opts: DataNodeOptions,
  ) {
    this.client = clientFor(meta.httpAddr);
    this.rpc = new DataNodeRpc({ timeoutMs: opts.timeoutMs, tls: opts.tls });
  }

  /**
   * The metadata a data-node change is checked against: the leader's. This node, a follower, may
   * not have applied a change the leader has already acknowledged (an add-data through another
   * node a moment ago), and a check that guards a change must hold on the leader's view
   * (docs/operations.md, "Data nodes and InfluxDB Enterprise tooling").
   */
  private async leaderData(): Promise<MetaData> {
    const leader = this.meta.leaderHttp();
    if (leader === null || leader === this.meta.httpAddr) return this.client.data();
    return this.clientFor(leader)
      .data()
      .catch((err: Error) => {
        throw new OperationError(503, `could not read the leader's metadata at ${leader}: ${err.message}`);
      });
  }

  /**
   * Runs `change` with `shards` marked busy. Each guard decides on the copies it sees, so two
   * changes of one shard at once could each see a copy the other is removing (two remove-shards
   * of a shard's two copies would both pass "not the last live copy"). A second change of a busy
   * shard is refused at once (SHARD_BUSY), never queued behind a copy that can take minutes. The
   * shard operations run on the leader, so this covers every one sent through the meta API.
   */
  private async exclusive<T>(shards: number[], what: string, change: () => Promise<T>): Promise<T> {
    for (const id of shards) {
      const under = this.busy.get(id);
      if (under !== undefined)
        throw refused(
          409,
          `shard ${id} is being changed already (${under}); ${what} was not started. Run it again when that ends (influxd-ctl copy-shard-status lists copies)`,
          "SHARD_BUSY",
        );
    }
    for (const id of shards) this.busy.set(id, what);
    try {
      return await change();
    } finally {
      for (const id of shards) this.busy.delete(id);
    }
  }

  /** HTTP addresses of every meta node: what a data node is told to use. */
  private metaServers(data: NodeLists): string[] {
    return data.metaNodes.map((n) => n.addr);
  }

  private async execute(what: string, command: MetaCommand): Promise<void> {
    try {
      await this.client.execute(command);
    } catch (err) {
      throw new OperationError(
        err instanceof MetaCommandError ? 409 : 503,
        `${what}: ${(err as Error).message}`,
      );
    }
  }

  /** A data-node failure as an HTTP error: the data node is the gateway here. */
  private static gateway(err: unknown): OperationError {
    return err instanceof OperationError ? err : new OperationError(502, (err as Error).message);
  }

  private requireLeaderKnown(): void {
    if (!this.meta.leaderRaftAddr()) {
      throw new OperationError(
        503,
        "no leader: a data node can only join a cluster whose meta nodes have a leader",
      );
    }
  }

  private static byTcpAddr(data: NodeLists, tcpAddr: string): NodeInfo | undefined {
    return data.dataNodes.find((n) => n.tcpAddr === tcpAddr);
  }

  /**
   * Adds the data node whose TCP (RPC) address is `tcpAddr`: it is told the meta servers by the
   * JoinCluster RPC and registers itself with its own HTTP address. A node already registered is
   * returned as it is.
   */
  async add(tcpAddr: string): Promise<NodeInfo & { alreadyRegistered?: boolean }> {
    this.requireLeaderKnown();
    const data = await this.leaderData();
    const existing = DataNodeOperations.byTcpAddr(data, tcpAddr);
    if (existing) return this.tellAgain(existing, data);
    try {
      const node = await this.rpc.joinCluster(tcpAddr, this.metaServers(data), false);
      this.opts.logger.info({ tcpAddr, id: node.id }, "data node joined");
      return { id: node.id, addr: node.addr, tcpAddr: node.tcpAddr };
    } catch (err) {
      throw DataNodeOperations.gateway(err);
    }
  }

  /**
   * add-data of a registered node: its record stays, and the node is told this cluster's meta
   * servers again (JoinCluster with update), so one that lost them, or knows old ones, follows
   * this tier. When it cannot be told, the refusal says exactly that.
   */
  private async tellAgain(
    existing: NodeInfo,
    data: NodeLists,
  ): Promise<NodeInfo & { alreadyRegistered: true }> {
    const servers = this.metaServers(data);
    try {
      await this.rpc.joinCluster(existing.tcpAddr, servers, true);
    } catch (err) {
      throw new OperationError(
        502,
        `data node ${existing.id} at ${existing.tcpAddr} is registered already, but telling it the meta servers ` +
          `[${servers.join(" ")}] failed: ${(err as Error).message}; its record was kept and nothing else was changed`,
        "DATA_NODE_NOT_TOLD",
      );
    }
    this.opts.logger.info(
      { tcpAddr: existing.tcpAddr, id: existing.id },
      "registered data node told its meta servers again",
    );
    return { ...existing, alreadyRegistered: true };
  }

  private async find(addr: string): Promise<{ data: MetaData; node: NodeInfo }> {
    const data = await this.leaderData();
    const node =
      data.dataNodes.find((n) => n.tcpAddr === addr) ?? data.dataNodes.find((n) => n.addr === addr);
    if (!node) throw new OperationError(404, `data node ${addr} does not exist in cluster`);
    return { data, node };
  }

  /**
   * Removes a data node (by TCP address, or HTTP address): without `force` it must answer first
   * (a read-only ListShards), is removed from the metadata, then told to leave (it resets itself);
   * with `force` it is only removed from the metadata. Either way the other data nodes drop the
   * hinted handoff they queued for it.
   */
  async remove(addr: string, force: boolean): Promise<NodeInfo> {
    const { data, node } = await this.find(addr);
    const held = shardsOfMetadata(data.databases, 0n)
      .filter((s) => s.owners.includes(node.id))
      .map((s) => s.id);
    return this.exclusive(held, `remove-data ${addr}`, () => this.removeNode(data, node, addr, force));
  }

  private async removeNode(data: MetaData, node: NodeInfo, addr: string, force: boolean): Promise<NodeInfo> {
    if (!force) {
      await this.rpc.listShards(node.tcpAddr).catch((err: Error) => {
        throw new OperationError(
          409,
          `${err.message}; it was not removed. Use -force to remove a data node that cannot be reached`,
        );
      });
      const lost = lastLiveCopies(await this.tierState(data), node.id);
      if (lost.length > 0)
        throw holdsLastCopies(
          node.tcpAddr,
          lost.map((s) => s.id),
        );
    }
    await this.execute(`removing data node ${addr}`, { type: "DeleteDataNodeCommand", id: node.id });
    this.opts.logger.info({ tcpAddr: node.tcpAddr, id: node.id, force }, "data node removed");
    for (const other of data.dataNodes.filter((n) => n.id !== node.id)) {
      this.rpc
        .removeHintedHandoff(other.tcpAddr, node.id)
        .catch((err: Error) =>
          this.opts.logger.warn({ err: err.message, nodeId: node.id }, "could not drop hinted handoff"),
        );
    }
    if (!force) {
      await this.rpc.leaveCluster(node.tcpAddr).catch((err: Error) => {
        throw new OperationError(
          502,
          `data node ${addr} was removed from the cluster but did not confirm leaving (${err.message}); restart it with an empty meta dir before reuse`,
        );
      });
    }
    return node;
  }

  /** ListShards of each node, in parallel (each within the RPC deadline); an error for a node down. */
  private async reports(
    nodes: readonly NodeInfo[],
  ): Promise<Map<number, Record<string, ShardOwnerStatus> | Error>> {
    return new Map(
      await Promise.all(
        nodes.map(
          async (n) => [n.id, await this.rpc.listShards(n.tcpAddr).catch((err: Error) => err)] as const,
        ),
      ),
    );
  }

  /** The data tier as the replica health model reads it: the metadata and every node's ListShards. */
  async tierState(
    data: { databases: Iterable<MetadataDatabase>; dataNodes: readonly NodeInfo[] } = this.meta.data(),
  ): Promise<DataTierState> {
    const shards = shardsOfMetadata(data.databases, BigInt(Date.now()) * NS_PER_MS);
    const reports = await this.reports(data.dataNodes);
    return { nodes: data.dataNodes.map((n) => tierNode(n, reports.get(n.id))), shards };
  }

  /** `GET /replica-health`: every shard's health (only those needing attention unless `detail`). */
  async replicaHealth(detail: HealthDetail): Promise<ReplicaHealthReport> {
    return assessReplicas(await this.tierState(), detail);
  }

  /** `GET /rebalance-plan`: the moves that even the shards, or with `drain` empty that node. */
  async rebalancePlan(drain?: string): Promise<RebalancePlan> {
    return planRebalance(await this.tierState(), drain ? { drain } : {});
  }

  /** One shard as the model reads it, with its owners' nodes asked (and `also`). */
  private async shardState(id: number, also: NodeInfo[] = []) {
    const data = this.meta.data();
    const found = this.meta.shardById(id);
    if (!found) throw new OperationError(400, `shard not found for id: ${id}`);
    const shard = shardsOfMetadata(
      [...data.databases]
        .filter((d) => d.name === found.database)
        .map((d) => ({
          ...d,
          retentionPolicies: d.retentionPolicies
            .filter((r) => r.name === found.retentionPolicy)
            .map((r) => ({ ...r, shardGroups: r.shardGroups.filter((g) => g.id === found.shardGroupId) })),
        })),
      BigInt(Date.now()) * NS_PER_MS,
    ).find((s) => s.id === id) ?? {
      // An expired or deleted group is still the metadata's: it is not hot.
      id,
      database: found.database,
      retentionPolicy: found.retentionPolicy,
      replicaN: 1,
      shardGroupId: found.shardGroupId,
      hot: false,
      owners: found.shard.owners.map((o) => o.nodeId),
    };
    const asked = data.dataNodes.filter(
      (n) => shard.owners.includes(n.id) || also.some((a) => a.id === n.id),
    );
    const reports = await this.reports(asked);
    const nodes = indexNodes(asked.map((n) => tierNode(n, reports.get(n.id))));
    return { shard, nodes, health: shardHealth(shard, nodes) };
  }

  /**
   * Moves a data node's record to a new TCP address (a replacement host keeps the node's ID and
   * shards): the new node must answer `GET /status` on its TCP port and not be joined yet; the
   * record takes its addresses, then it is told the meta servers (JoinCluster with update).
   */
  async update(oldAddr: string, newAddr: string): Promise<NodeInfo> {
    if (oldAddr === newAddr) throw new OperationError(400, "newAddr and oldAddr are the same");
    const data = await this.leaderData();
    const node = DataNodeOperations.byTcpAddr(data, oldAddr);
    if (!node) throw new OperationError(404, `no data node with bind address ${oldAddr} exists`);
    const scheme = this.opts.tls ? "https" : "http";
    const status = await requestJson<DataNodeStatus>(`${scheme}://${newAddr}/status`, {
      timeoutMs: this.opts.timeoutMs,
      tls: this.opts.tls,
    }).catch((err: Error) => {
      throw new OperationError(502, `data node ${newAddr}: ${err.message}`);
    });
    if (status?.nodeType !== "data") throw new OperationError(409, `${newAddr} is not a data node`);
    if (status.nodeStatus === "joined") {
      throw DataNodeOperations.byTcpAddr(data, newAddr)
        ? new OperationError(
            400,
            `cannot update data node ${oldAddr} to ${newAddr}; ${newAddr} is already part of cluster`,
          )
        : new OperationError(409, `data node ${newAddr} is already joined to a cluster`);
    }
    await this.execute(`updating data node ${oldAddr}`, {
      type: "UpdateDataNodeCommand",
      id: node.id,
      httpAddr: status.httpAddr,
      tcpAddr: status.tcpAddr,
    });
    try {
      const joined = await this.rpc.joinCluster(newAddr, this.metaServers(data), true);
      return { id: joined.id, addr: joined.addr, tcpAddr: joined.tcpAddr };
    } catch (err) {
      throw DataNodeOperations.gateway(err);
    }
  }

  /**
   * Every live shard group (not deleted, not expired) with the fields its shards share, as
   * /show-shards writes them: the times are formatted once per group, not once per shard.
   */
  private *liveGroups(data: MetaState): Generator<ListedGroup> {
    const nowNs = BigInt(Date.now()) * NS_PER_MS;
    // Groups of one duration start and end on the same few boundaries: format each time once.
    const times = new Map<bigint, string>();
    const time = (ns: bigint) => {
      let text = times.get(ns);
      if (text === undefined) times.set(ns, (text = goTime(ns)));
      return text;
    };
    for (const db of data.databases) {
      for (const rp of db.retentionPolicies) {
        for (const sg of rp.shardGroups) {
          if (sg.deletedAt !== 0n) continue;
          if (rp.duration !== 0n && sg.endTime + rp.duration < nowNs) continue;
          yield {
            database: db.name,
            retentionPolicy: rp.name,
            replicaN: rp.replicaN,
            id: sg.id,
            startTime: time(sg.startTime),
            endTime: time(sg.endTime),
            expireTime: time(rp.duration === 0n ? 0n : sg.endTime + rp.duration),
            truncatedAt: time(sg.truncatedAt),
            shards: sg.shards,
          };
        }
      }
    }
  }

  /** The live shards grouped by shard group (our compact format: see shard-groups.ts). */
  showShardGroups(): ShardGroupListing {
    const data = this.meta.data();
    return listShardGroups(data.dataNodes, this.liveGroups(data));
  }

  /** Every live shard with its owners (Go's format); `verbose` asks each data node for state and size. */
  async showShards(verbose: boolean): Promise<ClusterShardInfo[]> {
    const data = this.meta.data();
    const shards = [...shardsOf(this.liveGroups(data), data.dataNodes)];
    if (!verbose) return shards;
    const reports = new Map(
      await Promise.all(
        data.dataNodes.map(
          async (n) => [n.id, await this.rpc.listShards(n.tcpAddr).catch((err: Error) => err)] as const,
        ),
      ),
    );
    for (const shard of shards) {
      // Owner records are shared between shards (shardsOf): each shard gets its own here.
      shard.owners = shard.owners.map((owner) => {
        const report = reports.get(owner.id);
        const held: ShardOwnerInfo | undefined =
          report && !(report instanceof Error) ? report[String(shard.id)] : undefined;
        return {
          ...owner,
          state: held?.state ?? "",
          "last-modified": held?.["last-modified"] ?? goTime(0n),
          size: held?.size ?? 0,
          err: held ? held.err : report instanceof Error ? report.message : "not found",
        };
      });
    }
    return shards;
  }

  private static shardId(raw: string | null): number {
    if (raw === null || !/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
      throw new OperationError(400, `error converting shard to int: ${raw ?? ""}`);
    }
    const id = Number(raw);
    if (id <= 0)
      throw new OperationError(400, "invalid parameter value for 'shard': shard id must be greater than 0");
    return id;
  }

  private nodeFor(data: NodeLists, addr: string): NodeInfo {
    const node = DataNodeOperations.byTcpAddr(data, addr);
    if (!node) throw new OperationError(400, `unable to find node for "${addr}"`);
    return node;
  }

  /** Checks copy-shard's parameters against the metadata; changes nothing. */
  checkCopyShard(src: string, dest: string, rawShard: string | null) {
    if (!src) throw new OperationError(400, "'src' is a required parameter");
    if (!dest) throw new OperationError(400, "'dest' is a required parameter");
    if (src === dest) throw new OperationError(400, "dest and src are the same");
    const data = this.meta.data();
    const srcNode = this.nodeFor(data, src);
    const destNode = this.nodeFor(data, dest);
    const id = DataNodeOperations.shardId(rawShard);
    const found = this.meta.shardById(id);
    if (!found) throw new OperationError(400, `shard not found for id: ${id}`);
    if (!found.shard.owners.some((o) => o.nodeId === srcNode.id)) {
      throw new OperationError(400, `"${src}" is not an owner of shard ${id}`);
    }
    if (found.shard.owners.some((o) => o.nodeId === destNode.id)) {
      throw destHasShard(dest, id, true);
    }
    return { id, found, srcNode, destNode };
  }

  /**
   * Has `dest` copy the shard from `src` (the data node's CopyShard streams it and answers when it
   * has it), checks that `dest` reports it with at least the size `src` reported before, records
   * `dest` as an owner and, when the shard is hot, has `dest` copy again what `src` received since
   * the first copy started. Refused when `dest` already holds the shard or `src` does not.
   */
  async copyShard(src: string, dest: string, rawShard: string | null): Promise<CopyShardResult> {
    const checked = this.checkCopyShard(src, dest, rawShard);
    return this.exclusive([checked.id], `copy-shard ${src} ${dest} ${checked.id}`, () =>
      this.copyChecked(src, dest, checked),
    );
  }

  private async copyChecked(
    src: string,
    dest: string,
    { id, found, srcNode, destNode }: ReturnType<DataNodeOperations["checkCopyShard"]>,
  ): Promise<CopyShardResult> {
    const { shard, nodes } = await this.shardState(id, [destNode]);
    const [srcState, destState] = [nodes.get(srcNode.id)!, nodes.get(destNode.id)!];
    for (const n of [srcState, destState]) {
      if (!n.up) throw new OperationError(502, `${n.error}; shard ${id} was not copied`);
    }
    const held = destState.copies.get(id);
    if (held) {
      throw destHasShard(dest, id, false, held.size);
    }
    const source = srcState.copies.get(id);
    if (!source) {
      throw sourceLacksShard(src, id);
    }
    // A copy of this shard already under way was refused above (SHARD_BUSY).
    const key = `${id}:${dest}`;
    const status: CopyShardStatus = {
      shard: id,
      database: found.database,
      "retention-policy": found.retentionPolicy,
      source: src,
      dest,
      "total-size": source.size,
      "started-at": new Date().toISOString(),
      phase: "copying",
      killed: false,
    };
    this.copies.set(key, status);
    try {
      return await this.copyRegistered(status, destNode, source.size, shard.hot);
    } finally {
      this.copies.delete(key);
    }
  }

  /** The copies under way on this node (the leader runs them). */
  copyShardStatus(): CopyShardStatus[] {
    return [...this.copies.values()].map((c) => ({ ...c }));
  }

  /**
   * Stops a copy under way: the data node's CopyShard cannot be interrupted, so once it answers,
   * the destination is told to drop its copy and is not made an owner.
   */
  killCopyShard(src: string, dest: string, rawShard: string | null): CopyShardStatus {
    const id = DataNodeOperations.shardId(rawShard);
    const copy = this.copies.get(`${id}:${dest}`);
    if (!copy || copy.source !== src) {
      throw new OperationError(404, `no copy of shard ${id} from ${src} to ${dest} is under way`);
    }
    if (copy.phase === "catching-up") {
      throw refused(
        409,
        `shard ${id} is already owned by ${dest} (catching up): remove it with remove-shard`,
        "COPY_DONE",
      );
    }
    copy.killed = true;
    return { ...copy };
  }

  private async copyRegistered(
    status: CopyShardStatus,
    destNode: NodeInfo,
    sourceSize: number,
    hot: boolean,
  ): Promise<CopyShardResult> {
    const [id, src, dest] = [status.shard, status.source, status.dest];
    const request = { host: src, database: status.database, policy: status["retention-policy"], shardId: id };
    const startedNs = BigInt(Date.now()) * NS_PER_MS;
    await this.rpc.copyShard(dest, request, this.opts.copyTimeoutMs).catch((err) => {
      throw DataNodeOperations.gateway(err);
    });
    if (status.killed) {
      await this.rpc.removeShard(dest, id).catch(() => undefined);
      throw refused(
        409,
        `the copy of shard ${id} from ${src} to ${dest} was killed: ${dest} dropped its copy and is not an owner`,
        "COPY_KILLED",
      );
    }
    const copied = (
      await this.rpc.listShards(dest).catch((err) => {
        throw DataNodeOperations.gateway(err);
      })
    )[String(id)];
    if (!copied || copied.size < sourceSize) {
      throw refused(
        502,
        `data node ${dest} reports ${copied ? `${copied.size} bytes` : "no copy"} of shard ${id} after the copy, less than the ${sourceSize} bytes ${src} reported; it was not made an owner`,
        "COPY_INCOMPLETE",
      );
    }
    await this.execute(`copying shard ${id}`, { type: "CopyShardOwnerCommand", id, nodeId: destNode.id });
    this.opts.logger.info({ shard: id, src, dest, bytes: copied.size, hot }, "shard copied");
    if (!hot) return { shard: id, bytes: copied.size, caughtUp: false };
    status.phase = "catching-up";
    // Writes reach `dest` now that it owns the shard; a second copy brings those made meanwhile.
    await this.rpc.copyShard(dest, { ...request, since: startedNs }, this.opts.copyTimeoutMs).catch((err) => {
      throw refused(
        502,
        `shard ${id} was copied to ${dest}, which owns it now, but the catch-up copy of the writes made during the copy failed (${(err as Error).message}); the points written to ${src} during the copy may be missing on ${dest}`,
        "COPY_CATCH_UP_FAILED",
      );
    });
    const after = (await this.rpc.listShards(dest).catch(() => ({}) as Record<string, ShardOwnerStatus>))[
      String(id)
    ];
    return { shard: id, bytes: after?.size ?? copied.size, caughtUp: true };
  }

  /** Checks remove-shard's parameters against the metadata; changes nothing. */
  checkRemoveShard(src: string, rawShard: string | null) {
    if (!src) throw new OperationError(400, "'src' is a required parameter");
    const srcNode = this.nodeFor(this.meta.data(), src);
    const id = DataNodeOperations.shardId(rawShard);
    if (!this.meta.shardById(id)) throw new OperationError(400, `shard not found for id: ${id}`);
    return { id, srcNode };
  }

  /**
   * Has `src` drop the shard, then removes it from the shard's owners. Refused when `src` holds
   * the last live copy (LAST_LIVE_COPY) or cannot be reached (DATA_NODE_UNREACHABLE); `force`
   * skips whichever of the two applies (they exclude each other: a node down holds no live copy).
   * A node that is up but does not hold the shard is only dropped as an owner.
   */
  async removeShard(src: string, rawShard: string | null, force = false): Promise<RemoveShardResult> {
    const { id, srcNode } = this.checkRemoveShard(src, rawShard);
    return this.exclusive([id], `remove-shard ${src} ${id}`, () =>
      this.removeChecked(src, id, srcNode, force),
    );
  }

  private async removeChecked(
    src: string,
    id: number,
    srcNode: NodeInfo,
    force: boolean,
  ): Promise<RemoveShardResult> {
    const { nodes, health } = await this.shardState(id, [srcNode]);
    const srcState = nodes.get(srcNode.id)!;
    const last = isLastLiveCopy(health, srcNode.id);
    if (!srcState.up && !force) {
      throw refused(
        409,
        `${srcState.error}; shard ${id} was not removed. Use -force (force=true) to drop ${src} as its owner anyway; its copy stays on its disk`,
        "DATA_NODE_UNREACHABLE",
      );
    }
    if (last && !force) {
      throw lastCopy(src, id);
    }
    if (srcState.copies.has(id)) {
      await this.rpc.removeShard(src, id).catch((err) => {
        throw DataNodeOperations.gateway(err);
      });
    }
    if (health.owners.includes(srcNode.id)) {
      await this.execute(`removing shard ${id}`, { type: "RemoveShardOwnerCommand", id, nodeId: srcNode.id });
    }
    if (last) this.opts.logger.warn({ shard: id, src }, "forced: the last live copy of a shard was removed");
    return { shard: id, lost: last };
  }

  /** Ends the current shard groups at now + delay, so new writes go to new groups. */
  async truncateShards(delayMs: number): Promise<void> {
    const timestamp = (BigInt(Date.now()) + BigInt(Math.round(delayMs))) * NS_PER_MS;
    await this.execute("truncating shards", { type: "TruncateShardGroupsCommand", timestamp });
  }
}

/** A data node as the model reads it, from its ListShards answer (or the error it gave). */
function tierNode(n: NodeInfo, report: Record<string, ShardOwnerStatus> | Error | undefined): TierNode {
  if (!report || report instanceof Error) {
    return {
      id: n.id,
      tcpAddr: n.tcpAddr,
      up: false,
      error: report?.message ?? "not asked",
      copies: new Map(),
    };
  }
  const copies = new Map<number, { size: number; state: string }>();
  for (const [key, s] of Object.entries(report)) copies.set(Number(key), { size: s.size, state: s.state });
  return { id: n.id, tcpAddr: n.tcpAddr, up: true, copies };
}

export type { TierShard };
