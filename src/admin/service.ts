/**
 * The admin service (8084): cluster management on behalf of `influxd-ctl` and the TUI. It is the
 * place the safety rules of SPEC §2 live: ping the target, refuse an unreachable node without
 * force, refuse to remove the last voter or to leave fewer reachable voters than a quorum, move
 * leadership away before removing the leader, remove through the meta client (one Raft entry),
 * then have the removed node wipe itself.
 */

import type { Logger } from "pino";
import { MetaClient, MetaCommandError } from "../meta/client.ts";
import type { MetaService, StatusJson } from "../meta/service.ts";
import type { MetaData, NodeInfo } from "../proto/index.ts";
import { noLeaderToRemove, noSuchMetaNode, planRemoval } from "../cluster-api/removal-plan.ts";
import {
  errorText,
  peerOptions,
  peerUrl,
  PLAIN_HTTP,
  request,
  requestJson,
  type PeerAccess,
} from "../util/http-client.ts";
import { HttpError } from "../util/http-server.ts";
import { DataNodeOperations, type DataNodeOptions } from "./data-nodes.ts";
import type {
  DataNodeView,
  MetaNodeView,
  NodeResult,
  RemovalPlan,
  RemoveMetaResult,
  ShowResult,
} from "./api-types.ts";

export interface AdminOptions {
  pingTimeoutMs: number;
  /** Deadline of calls to other nodes (status, cleanup, leadership transfer). */
  requestTimeoutMs: number;
  logger: Logger;
  /** Scheme, TLS trust and node-to-node credentials of the meta nodes; plain HTTP by default. */
  peers?: PeerAccess;
  /** What a node last announced about itself (POST /announce on 8091), by TCP address. */
  announced?: (tcpAddr: string) => { version: string; status: string } | undefined;
  /** How data nodes are reached (RPC deadlines, TLS); see DataNodeOperations. */
  dataNodes?: Partial<Omit<DataNodeOptions, "logger">>;
}

interface ClusterView {
  data: MetaData;
  /** Leader's status (authoritative configuration), or null without a leader. */
  leader: StatusJson | null;
  /** Every meta node's status by HTTP address; null when unreachable. */
  statuses: Map<string, StatusJson | null>;
}

export class AdminService {
  private readonly client: MetaClient;
  /** Membership changes from this service run one at a time so each plan is checked against
   *  the configuration it will change. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Data node and shard operations, shared with the Enterprise routes of the meta API. */
  readonly dataNodes: DataNodeOperations;

  constructor(
    private readonly meta: MetaService,
    private readonly opts: AdminOptions,
  ) {
    this.client = this.metaClient(meta.httpAddr);
    this.dataNodes = new DataNodeOperations(meta, this.client, {
      timeoutMs: opts.requestTimeoutMs,
      copyTimeoutMs: 30 * 60_000,
      ...opts.dataNodes,
      logger: opts.logger.child({ module: "data-nodes" }),
    });
  }

  private get peers(): PeerAccess {
    return this.opts.peers ?? PLAIN_HTTP;
  }

  private metaClient(server: string): MetaClient {
    return new MetaClient({ servers: [server], timeoutMs: this.opts.requestTimeoutMs, access: this.peers });
  }

  /** A POST to another meta node's node-to-node endpoint; network failures come back as an answer. */
  private postToNode(httpAddr: string, path: string) {
    return request(peerUrl(this.peers, httpAddr, path), {
      method: "POST",
      timeoutMs: this.opts.requestTimeoutMs,
      ...peerOptions(this.peers),
    });
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async status(httpAddr: string, timeoutMs: number): Promise<StatusJson | null> {
    if (httpAddr === this.meta.httpAddr) return this.meta.status();
    return requestJson<StatusJson>(peerUrl(this.peers, httpAddr, "/status"), {
      timeoutMs,
      ...peerOptions(this.peers),
    }).catch(() => null);
  }

  private async view(): Promise<ClusterView> {
    if (this.meta.state() === "unbootstrapped") {
      throw new HttpError(
        409,
        `meta node ${this.meta.httpAddr} is not part of a cluster; bootstrap it with influxd-ctl add-meta ${this.meta.httpAddr}`,
      );
    }
    const data = await this.client.data();
    const statuses = new Map<string, StatusJson | null>();
    await Promise.all(
      data.metaNodes.map(async (n) =>
        statuses.set(n.addr, await this.status(n.addr, this.opts.pingTimeoutMs)),
      ),
    );
    const leader = [...statuses.values()].find((s) => s?.raft.state === "leader") ?? null;
    return { data, leader, statuses };
  }

  async show(): Promise<ShowResult> {
    const { data, leader, statuses } = await this.view();
    const voters = new Set(leader?.raft.voters ?? this.meta.status().raft.voters);
    const meta: MetaNodeView[] = data.metaNodes.map((n) => {
      const s = statuses.get(n.addr) ?? null;
      return {
        id: n.id,
        httpAddr: n.addr,
        raftAddr: n.tcpAddr,
        version: s?.version ?? "",
        reachable: s !== null,
        state: s ? s.raft.state : "unreachable",
        suffrage: voters.has(n.tcpAddr) ? "voter" : "nonvoter",
      };
    });
    const dataNodes: DataNodeView[] = await Promise.all(
      data.dataNodes.map(async (n) => ({
        id: n.id,
        httpAddr: n.addr,
        tcpAddr: n.tcpAddr,
        version: this.opts.announced?.(n.tcpAddr)?.version ?? "",
        status: this.opts.announced?.(n.tcpAddr)?.status ?? "",
        reachable: await this.reachable(n.addr),
      })),
    );
    return {
      self: { httpAddr: this.meta.httpAddr, raftAddr: this.meta.raftAddr },
      leader: leader ? { raftAddr: leader.raftAddr, httpAddr: leader.httpAddr } : null,
      meta,
      data: dataNodes,
    };
  }

  private async reachable(httpAddr: string): Promise<boolean> {
    const res = await request(peerUrl(this.peers, httpAddr, "/ping"), {
      timeoutMs: this.opts.pingTimeoutMs,
      ...peerOptions(this.peers, false),
    }).catch(() => null);
    return res !== null && res.status < 500;
  }

  /** What remove-meta would do, and the refusal it would give; changes nothing. */
  async plan(
    httpAddr: string,
    force: boolean,
    tcpAddr?: string,
  ): Promise<RemovalPlan & { record: NodeInfo }> {
    const [reachable, view] = await Promise.all([this.reachable(httpAddr), this.view()]);
    const record =
      view.data.metaNodes.find((n) => n.addr === httpAddr) ??
      (tcpAddr ? view.data.metaNodes.find((n) => n.tcpAddr === tcpAddr) : undefined);
    if (!record) throw new HttpError(404, noSuchMetaNode(httpAddr));
    if (!view.leader) throw new HttpError(503, noLeaderToRemove(httpAddr));
    const httpOf = (raftAddr: string) => view.data.metaNodes.find((n) => n.tcpAddr === raftAddr)?.addr;
    const plan = planRemoval({
      node: { id: record.id, httpAddr: record.addr, raftAddr: record.tcpAddr },
      addr: httpAddr,
      reachable,
      voters: view.leader.raft.voters,
      voterReachable: (raftAddr) => view.statuses.get(httpOf(raftAddr) ?? "") != null,
      leaderRaftAddr: view.leader.raftAddr,
      force,
    });
    return { ...plan, record };
  }

  removeMeta(httpAddr: string, force: boolean, tcpAddr?: string): Promise<RemoveMetaResult> {
    return this.serialize(async () => {
      const plan = await this.plan(httpAddr, force, tcpAddr);
      if (plan.refusal) throw new HttpError(409, plan.refusal);
      const warnings = plan.warnings.filter((w) => !w.includes("leadership moves"));
      if (plan.node.isLeader) await this.moveLeadershipAway(plan.record);
      this.opts.logger.info({ httpAddr, id: plan.node.id, force }, "removing meta node");
      try {
        await this.client.deleteMetaNode(plan.node.id);
      } catch (err) {
        if (err instanceof MetaCommandError && err.message === "node not found") {
          throw new HttpError(404, `meta node ${httpAddr} does not exist in cluster (already removed?)`);
        }
        throw new HttpError(409, `removing meta node ${httpAddr} failed: ${(err as Error).message}`);
      }
      let cleanup: RemoveMetaResult["cleanup"] = "skipped";
      if (plan.node.reachable) {
        const res = await this.postToNode(httpAddr, "/remove-meta").catch((err: Error) => ({
          status: 0,
          body: Buffer.from(JSON.stringify({ error: err.message })),
          headers: {},
        }));
        if (res.status === 200) cleanup = "done";
        else {
          cleanup = "failed";
          warnings.push(
            `meta node ${httpAddr} was removed but did not wipe its meta dir (${errorText(res)}); run influxd-ctl leave on it or wipe it before reuse`,
          );
        }
      }
      return { id: plan.node.id, addr: httpAddr, cleanup, warnings };
    });
  }

  /** Asks the leader to hand leadership to an up-to-date voter and waits for a new leader. */
  private async moveLeadershipAway(leader: NodeInfo): Promise<void> {
    const res = await this.postToNode(leader.addr, "/leadership-transfer").catch((err: Error) => {
      throw new HttpError(
        503,
        `could not move leadership away from meta node ${leader.addr}: ${err.message}`,
      );
    });
    if (res.status !== 200) {
      throw new HttpError(
        503,
        `could not move leadership away from meta node ${leader.addr}: ${errorText(res)}`,
      );
    }
  }

  /** Bootstraps this node, or adds another blank node to this node's cluster. */
  addMeta(httpAddr: string): Promise<NodeResult> {
    return this.serialize(async () => {
      if (httpAddr === this.meta.httpAddr && this.meta.state() === "unbootstrapped") {
        const node = await this.meta.bootstrapSelf();
        return { id: node.id, addr: node.addr, tcpAddr: node.tcpAddr };
      }
      if (this.meta.state() === "unbootstrapped") {
        throw new HttpError(
          409,
          `meta node ${this.meta.httpAddr} is not part of a cluster; bootstrap it first with influxd-ctl add-meta ${this.meta.httpAddr}`,
        );
      }
      const target = await this.status(httpAddr, this.opts.pingTimeoutMs);
      if (!target)
        throw new HttpError(502, `meta node ${httpAddr} could not be reached; start it and try again`);
      const existing = (await this.client.data()).metaNodes.find((n) => n.addr === httpAddr);
      if (existing && target.raft.state !== "unbootstrapped") return existing;
      if (target.raft.state !== "unbootstrapped") {
        throw new HttpError(
          409,
          `meta node ${httpAddr} already belongs to another cluster; wipe it (influxd-ctl leave) before adding it`,
        );
      }
      try {
        return await this.client.join({
          addr: httpAddr,
          raftAddr: target.raftAddr,
          serverId: target.serverId,
        });
      } catch (err) {
        throw new HttpError(409, `adding meta node ${httpAddr} failed: ${(err as Error).message}`);
      }
    });
  }

  /** Removes the meta node this service runs beside (`influxd-ctl leave`). */
  leave(): Promise<RemoveMetaResult> {
    return this.removeMeta(this.meta.httpAddr, false);
  }

  /** Joins this blank node to the cluster that `via` belongs to. */
  async joinVia(via: string): Promise<NodeResult> {
    if (this.meta.state() !== "unbootstrapped") {
      throw new HttpError(409, `meta node ${this.meta.httpAddr} already belongs to a cluster`);
    }
    const client = this.metaClient(via);
    const status = this.meta.status();
    try {
      return await client.join({
        addr: this.meta.httpAddr,
        raftAddr: this.meta.raftAddr,
        serverId: status.serverId,
      });
    } catch (err) {
      throw new HttpError(502, `joining the cluster through ${via} failed: ${(err as Error).message}`);
    }
  }

  /** `influxd-ctl add-data`: the data node is told its meta servers and registers itself. */
  addData(tcpAddr: string): Promise<NodeResult> {
    return this.dataNodes.add(tcpAddr);
  }

  removeData(addr: string, force: boolean): Promise<NodeResult> {
    return this.dataNodes.remove(addr, force);
  }

  updateData(oldAddr: string, newAddr: string): Promise<NodeResult> {
    return this.dataNodes.update(oldAddr, newAddr);
  }
}
