/**
 * The cluster managed through a meta node's API (8091) directly, as InfluxDB Enterprise's
 * `influxd-ctl` does: `show` from `/show-cluster` plus each node's `/status` and `/ping`,
 * removals through the leaving node's `/leave` or the leader's `/remove`, data nodes and shards
 * through their endpoints (docs/operations.md, "Managing a cluster through its meta API").
 *
 * The safety rules of a removal are checked here, client-side, with the admin service's rules
 * and plan shape (removal-plan.ts) before anything is sent. A Go meta node does not check them
 * itself. Go's `/status` carries no Raft state, term, indexes or Raft view of the others: those
 * are reported as unknown (null, "unknown", index 0), never guessed, except that a node which
 * names itself the leader is the leader. When the leader is one of our meta nodes, its /status
 * carries its Raft configuration and view, and they are used.
 *
 * Data-tier guards (no command removes the last live copy of a shard without `force`): our meta
 * nodes check them themselves, with every data node's ListShards. A Go meta node does not: the
 * guards are then checked here, client-side only, from a verbose /show-shards (the meta node asks
 * each data node), before anything is sent. Another client of the Go cluster is not guarded.
 */

import {
  isShardGroupListing,
  SHARD_GROUPS_FORMAT,
  shardsOfGroups,
  type ShardGroupListing,
} from "../cluster/shard-groups.ts";
import type {
  DataNodeView,
  MetaNodeView,
  NodeResult,
  NodeSelf,
  PlanVoter,
  RemovalPlan,
  RemoveMetaResult,
  ShowResult,
} from "../contract/cluster.ts";
import type { StatusJson } from "../meta/service.ts";
import type { HttpResponse, PeerAccess } from "../util/http-client.ts";
import { formatDuration } from "../util/duration.ts";
import { answersPing, MetaHttp } from "./meta-http.ts";
import { claimedLeader } from "../cluster/leader.ts";
import { buildRemovalPlan } from "../cluster/removal-plan.ts";
import { alreadyBlank, noLeaderToRemove, noSuchMetaNode } from "../cluster/removal-rules.ts";
import type { ClusterApi, ShardList, ShardView } from "./cluster-api.ts";
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
  sourceLacksShard,
  stateFromListing,
  type DataTierState,
  type HealthDetail,
} from "../cluster/replica-health.ts";

/** `GET /status` of a meta node: Go's fields; our meta nodes add `version` and `raft`. */
export interface MetaApiStatus {
  nodeType: string;
  leader: string;
  httpAddr: string;
  raftAddr: string;
  peers: string[] | null;
  version?: string;
  startedAt?: string;
  raft?: StatusJson["raft"];
  storage?: StatusJson["storage"];
  removal?: StatusJson["removal"];
}

/** `GET /show-cluster`: arrays are null or absent on a node without a leader. */
interface ShowCluster {
  meta?: { id: number; addr: string; tcpAddr: string; version?: string }[] | null;
  data?:
    | { id: number; tcpAddr: string; httpAddr?: string; addr?: string; version?: string; status?: string }[]
    | null;
}

/** Go's MetaNodeInfo / DataNodeInfo answers of /join, /add-data, /update-data. */
interface NodeInfoJson {
  id?: number;
  addr?: string;
  httpAddr?: string;
  tcpAddr?: string;
}

export interface MetaApiOptions {
  /** host:port of the meta node asked. */
  bind: string;
  access: PeerAccess;
  timeoutMs: number;
  /** Deadline of each /ping and /status of another node in `show` (default min(timeoutMs, 2 s)). */
  probeTimeoutMs?: number;
}

interface Probe {
  reachable: boolean;
  status: MetaApiStatus | null;
  /** X-Influxdb-Version of its answers (every Go meta node sends it). */
  version: string;
}

/** Everything `show` and a removal plan need, from one look at the cluster. */
interface Survey {
  show: ShowResult;
  /** The voters of the leader's configuration, each with its HTTP side. */
  voters: PlanVoter[];
}

function versionHeader(res: HttpResponse | null): string {
  const v = res?.headers["x-influxdb-version"];
  return typeof v === "string" ? v : "";
}

/** The node says it leads: our raft.state, or Go's `leader` naming its own Raft address. */
function claimsLeadership(s: MetaApiStatus): boolean {
  return s.raft ? s.raft.state === "leader" : s.leader !== "" && s.leader === s.raftAddr;
}

function stateOf(p: Probe): MetaNodeView["state"] {
  if (!p.reachable) return "unreachable";
  if (p.status?.raft) return p.status.raft.state;
  return p.status && claimsLeadership(p.status) ? "leader" : "unknown";
}

/** A removal's warnings: the plan's (over the meta API the leader's warning still applies after). */
function warningsOf(plan: RemovalPlan): Pick<RemoveMetaResult, "warnings" | "warningCodes"> {
  return { warnings: plan.warnings, warningCodes: plan.warningCodes };
}

/** A shard listing is as large as the cluster's history: 200,000 shards are about 110 MB in Go's
 *  JSON. The answer is held in memory anyway, so this bounds only a runaway. */
const SHOW_SHARDS_MAX_BYTES = 1024 * 1024 * 1024;

/** A ShardList reading `shards()` afresh each time. */
function shardList(shards: () => Iterable<ShardView>): ShardList {
  return { [Symbol.iterator]: () => shards()[Symbol.iterator](), toJSON: () => [...shards()] };
}

export class MetaApi implements ClusterApi {
  readonly kind = "meta" as const;
  readonly bind: string;
  private readonly http: MetaHttp;
  private readonly probeTimeoutMs: number;

  constructor(opts: MetaApiOptions) {
    this.bind = opts.bind;
    this.http = new MetaHttp(opts.access, opts.timeoutMs);
    this.probeTimeoutMs = opts.probeTimeoutMs ?? Math.min(opts.timeoutMs, 2000);
  }

  /** `GET /status` of the node at `addr`; a node that is no meta node is an error naming it. */
  async status(addr: string = this.bind): Promise<MetaApiStatus> {
    const s = await this.http.json<MetaApiStatus>(addr, "/status");
    if (!s || s.nodeType !== "meta") throw new Error(`${addr} is not a meta node`);
    return s;
  }

  /** From `/status`, which cannot tell a node that was a member before from a blank one: forming
   *  a cluster on such a node is refused by the node itself (WAS_MEMBER). */
  async self(): Promise<NodeSelf> {
    const s = await this.status();
    const blank = s.raft ? s.raft.state === "unbootstrapped" : !s.leader;
    return {
      service: "meta",
      ours: s.raft !== undefined,
      httpAddr: s.httpAddr,
      raftAddr: s.raftAddr,
      state: blank ? "blank" : s.removal ? "removed" : "member",
    };
  }

  private async probe(addr: string, withStatus: boolean): Promise<Probe> {
    const opts = { timeoutMs: this.probeTimeoutMs };
    const [ping, status] = await Promise.all([
      this.http.send(addr, "/ping", { ...opts, credentials: false }).catch(() => null),
      withStatus ? this.http.json<MetaApiStatus>(addr, "/status", opts).catch(() => undefined) : undefined,
    ]);
    const reachable = ping !== null && answersPing(ping.status);
    return { reachable, status: reachable ? (status ?? null) : null, version: versionHeader(ping) };
  }

  private async survey(): Promise<Survey> {
    const [cluster, self] = await Promise.all([
      this.http.json<ShowCluster>(this.bind, "/show-cluster"),
      this.status(),
    ]);
    const metaNodes = cluster?.meta ?? [];
    if (metaNodes.length === 0) {
      throw new Error(
        self.leader
          ? `meta node ${this.bind} lists no meta nodes`
          : `meta node ${this.bind} has no leader: it is blank (add it with influxd-ctl add-meta) or its cluster lost quorum`,
      );
    }
    const dataNodes = cluster?.data ?? [];
    const [metaProbes, dataProbes] = await Promise.all([
      Promise.all(metaNodes.map((m) => this.probe(m.addr, true))),
      Promise.all(dataNodes.map((d) => this.probe(d.httpAddr ?? d.addr ?? "", false))),
    ]);
    const leader = claimedLeader(
      metaProbes.map((p) => p.status).filter((s) => s !== null),
      claimsLeadership,
      (s) => s.raft?.term,
    );
    // The leader's configuration: ours reports its servers with its Raft view of each; Go's
    // /status lists its servers as peers (Go adds only voters) and has no Raft view.
    const raft = leader?.raft ?? self.raft;
    const servers: ShowResult["raftConfig"]["servers"] = raft
      ? raft.servers.map((s) => ({ raftAddr: s.address, suffrage: s.suffrage }))
      : ([leader?.peers, self.peers].find((v) => v && v.length) ?? metaNodes.map((m) => m.tcpAddr)).map(
          (raftAddr) => ({ raftAddr, suffrage: "voter" as const }),
        );
    const leaderView = new Map((leader?.raft?.servers ?? []).map((s) => [s.address, s.active]));
    const meta: MetaNodeView[] = metaNodes.map((m, i) => {
      const p = metaProbes[i];
      return {
        id: m.id,
        httpAddr: m.addr,
        raftAddr: m.tcpAddr,
        version: m.version || p.status?.version || p.version,
        reachable: p.reachable,
        state: stateOf(p),
        suffrage: servers.find((s) => s.raftAddr === m.tcpAddr)?.suffrage ?? "none",
        raftActive: leaderView.get(m.tcpAddr) ?? null,
      };
    });
    const data: DataNodeView[] = dataNodes.map((d, i) => ({
      id: d.id,
      httpAddr: d.httpAddr ?? d.addr ?? "",
      tcpAddr: d.tcpAddr,
      version: d.version || dataProbes[i].version,
      status: d.status ?? "",
      reachable: dataProbes[i].reachable,
    }));
    const voters: PlanVoter[] = servers
      .filter((s) => s.suffrage === "voter")
      .map((s) => {
        const m = meta.find((n) => n.raftAddr === s.raftAddr);
        const httpUp = m?.reachable ?? false;
        // Without the leader's Raft view, reachability is HTTP only (removal-plan.ts).
        return {
          httpAddr: m?.httpAddr ?? "",
          raftAddr: s.raftAddr,
          httpUp,
          raftActive: m?.raftActive ?? httpUp,
        };
      });
    return {
      show: {
        self: { httpAddr: self.httpAddr, raftAddr: self.raftAddr },
        leader: leader ? { raftAddr: leader.raftAddr, httpAddr: leader.httpAddr } : null,
        membershipKnown: leader !== null,
        raftConfig: { index: raft?.configIndex ?? 0, servers },
        meta,
        data,
      },
      voters,
    };
  }

  async show(): Promise<ShowResult> {
    return (await this.survey()).show;
  }

  planRemoveMeta(httpAddr: string, force: boolean, tcpAddr?: string): Promise<RemovalPlan> {
    return this.plan(httpAddr, force, tcpAddr);
  }

  private async plan(httpAddr: string, force: boolean, tcpAddr?: string): Promise<RemovalPlan> {
    const { show, voters } = await this.survey();
    const record =
      show.meta.find((m) => m.httpAddr === httpAddr) ??
      (tcpAddr ? show.meta.find((m) => m.raftAddr === tcpAddr) : undefined);
    if (!record) throw new Error(noSuchMetaNode(httpAddr));
    if (!show.leader) throw new Error(noLeaderToRemove(httpAddr));
    const voter = voters.find((v) => v.raftAddr === record.raftAddr);
    return buildRemovalPlan(
      {
        target: { id: record.id, httpAddr: record.httpAddr, raftAddr: record.raftAddr },
        name: httpAddr,
        httpUp: record.reachable,
        suffrage: voter ? "voter" : "none",
        // Without the leader's Raft view, a node that answers counts as active.
        raftActive: record.reachable && (voter?.raftActive ?? true),
        voters,
        configIndex: show.raftConfig.index,
        leaderRaftAddr: show.leader.raftAddr,
        texts: {
          leaderMoves: `meta node ${httpAddr} is the leader: the other voters elect a new leader once it is gone (replace the leader last)`,
          notWiped: `meta node ${httpAddr} is unreachable: its meta dir will not be wiped; do not restart it with its old data`,
        },
      },
      force,
    );
  }

  /**
   * Without force the node leaves by itself (`POST <node>/leave`: it has the leader remove it,
   * then wipes its meta dir). With force the leader removes it (`POST /remove`, 307 followed)
   * and the node is never contacted, as Enterprise's `remove-meta -force` does.
   */
  async removeMeta(httpAddr: string, opts: { force: boolean; tcpAddr?: string }): Promise<RemoveMetaResult> {
    const plan = await this.plan(httpAddr, opts.force, opts.tcpAddr);
    if (plan.refusal) throw new Error(plan.refusal);
    const { node } = plan;
    // A node that is blank already (a stray record) is not wiped by its removal: never say it was.
    const blank =
      node.reachable &&
      (await this.status(node.httpAddr).catch(() => null))?.raft?.state === "unbootstrapped";
    if (!opts.force) {
      await this.http.ok(node.httpAddr, "/leave", { method: "POST" });
      return { id: node.id, addr: httpAddr, cleanup: "done", ...warningsOf(plan) };
    }
    await this.http.ok(this.bind, "/remove", {
      method: "POST",
      form: { httpAddr: node.httpAddr, force: "true", tcpAddr: opts.tcpAddr ?? node.raftAddr },
    });
    if (!node.reachable) return { id: node.id, addr: httpAddr, cleanup: "skipped", ...warningsOf(plan) };
    if (blank) {
      const { warnings, warningCodes } = warningsOf(plan);
      const w = alreadyBlank(httpAddr);
      return {
        id: node.id,
        addr: httpAddr,
        cleanup: "nothing",
        warnings: [...warnings, w.message],
        warningCodes: [...warningCodes, w.code],
      };
    }
    // Our meta nodes wipe a reachable node even on a forced removal (it then reports itself
    // unbootstrapped); a Go meta node never contacts it.
    const after = await this.status(node.httpAddr).catch(() => null);
    if (after?.raft?.state === "unbootstrapped")
      return { id: node.id, addr: httpAddr, cleanup: "done", ...warningsOf(plan) };
    const notWiped = `meta node ${httpAddr} was removed without its cooperation: its meta dir was not wiped; wipe it before the node is used again`;
    const { warnings, warningCodes } = warningsOf(plan);
    return {
      id: node.id,
      addr: httpAddr,
      cleanup: "skipped",
      warnings: [...warnings, notWiped],
      warningCodes: [...warningCodes, "NOT_WIPED"],
    };
  }

  async leave(): Promise<RemoveMetaResult> {
    const self = await this.status();
    return this.removeMeta(self.httpAddr, { force: false });
  }

  async join(via: string): Promise<NodeResult> {
    const self = await this.status();
    if (self.leader || (self.raft && self.raft.state !== "unbootstrapped"))
      throw new Error(
        `meta node ${this.bind} already belongs to a cluster (leader ${self.leader || "unknown"}); only a blank meta node can join`,
      );
    return this.nodeResult(
      await this.http.json<NodeInfoJson>(via, "/join", { method: "POST", form: { addr: self.httpAddr } }),
      "meta",
      self.httpAddr,
    );
  }

  async addMeta(httpAddr: string, opts: { newCluster?: boolean } = {}): Promise<NodeResult> {
    if (opts.newCluster)
      throw new Error(
        "-new-cluster is an admin service option: use -bind <node>:8084 (the meta API has no such flag)",
      );
    return this.nodeResult(
      await this.http.json<NodeInfoJson>(this.bind, "/join", { method: "POST", form: { addr: httpAddr } }),
      "meta",
      httpAddr,
    );
  }

  async addData(tcpAddr: string): Promise<NodeResult> {
    return this.nodeResult(
      await this.http.json<NodeInfoJson>(this.bind, "/add-data", { method: "POST", form: { addr: tcpAddr } }),
      "data",
      tcpAddr,
    );
  }

  /** Our meta nodes (their /status reports Raft) check the data-tier guards themselves. */
  private async checksItself(): Promise<boolean> {
    return Boolean((await this.status()).raft);
  }

  /** The data tier as a verbose /show-shards shows it (a Go meta node asks every data node). */
  private async tierState(): Promise<DataTierState> {
    const [cluster, listing] = await Promise.all([
      this.http.json<ShowCluster>(this.bind, "/show-cluster"),
      this.http.json<ShardView[] | null>(this.bind, "/show-shards", {
        query: { verbose: "true" },
        maxBodyBytes: SHOW_SHARDS_MAX_BYTES,
      }),
    ]);
    return stateFromListing(cluster?.data ?? [], listing ?? [], Date.now());
  }

  async replicaHealth(detail: HealthDetail): Promise<ReplicaHealthReport> {
    if (await this.checksItself()) {
      const query: Record<string, string> = { shards: detail };
      return (await this.http.json<ReplicaHealthReport>(this.bind, "/replica-health", {
        query,
        maxBodyBytes: SHOW_SHARDS_MAX_BYTES,
      }))!;
    }
    return assessReplicas(await this.tierState(), detail);
  }

  async rebalancePlan(drain?: string): Promise<RebalancePlan> {
    if (await this.checksItself()) {
      const query: Record<string, string> = drain ? { drain } : {};
      return (await this.http.json<RebalancePlan>(this.bind, "/rebalance-plan", {
        query,
        maxBodyBytes: SHOW_SHARDS_MAX_BYTES,
      }))!;
    }
    return planRebalance(await this.tierState(), drain ? { drain } : {});
  }

  /** Copies run inside our meta node's /copy-shard; a Go meta node's are not visible. */
  private async requireOurs(what: string): Promise<void> {
    if (!(await this.checksItself()))
      throw new Error(
        `${what} needs one of our meta nodes: ${this.bind} (Go's meta API) does not track copies`,
      );
  }

  async copyShardStatus(): Promise<CopyShardStatus[]> {
    await this.requireOurs("copy-shard-status");
    return (await this.http.json<CopyShardStatus[]>(this.bind, "/copy-shard-status")) ?? [];
  }

  async killCopyShard(src: string, dest: string, shardId: number): Promise<CopyShardStatus> {
    await this.requireOurs("kill-copy-shard");
    return (await this.http.json<CopyShardStatus>(this.bind, "/kill-copy-shard", {
      method: "POST",
      form: { src, dest, shard: String(shardId) },
    }))!;
  }

  async removeData(addr: string, force: boolean): Promise<NodeResult> {
    const cluster = await this.http.json<ShowCluster>(this.bind, "/show-cluster");
    const node = (cluster?.data ?? []).find((d) => d.tcpAddr === addr || (d.httpAddr ?? d.addr) === addr);
    if (!node) throw new Error(`data node ${addr} does not exist in cluster`);
    const result = { id: node.id, addr: node.httpAddr ?? node.addr ?? "", tcpAddr: node.tcpAddr };
    // A Go meta node deletes the record before it tells the node to leave, and does not check
    // first: refuse here, not half-way. Ours (its /status reports Raft) checks over the RPC itself.
    const checksItself = await this.checksItself();
    if (!force && !checksItself && !(await this.probe(result.addr, false)).reachable)
      throw new Error(`data node ${addr} could not be reached; use -force to remove an unreachable node`);
    if (!force && !checksItself) {
      const lost = lastLiveCopies(await this.tierState(), node.id);
      if (lost.length > 0)
        throw holdsLastCopies(
          node.tcpAddr,
          lost.map((s) => s.id),
        );
    }
    await this.http.ok(this.bind, "/remove-data", {
      method: "POST",
      form: { addr: node.tcpAddr, force: String(force) },
    });
    return result;
  }

  async updateData(oldAddr: string, newAddr: string): Promise<NodeResult> {
    return this.nodeResult(
      await this.http.json<NodeInfoJson>(this.bind, "/update-data", {
        method: "POST",
        form: { oldAddr, newAddr },
      }),
      "data",
      newAddr,
    );
  }

  async showShards(verbose: boolean): Promise<ShardList> {
    // Our meta nodes answer the compact listing; a Go node ignores `format` and sends its array.
    const query: Record<string, string> = verbose ? { verbose: "true" } : { format: SHARD_GROUPS_FORMAT };
    const body = await this.http.json<ShardView[] | ShardGroupListing | null>(this.bind, "/show-shards", {
      query,
      maxBodyBytes: SHOW_SHARDS_MAX_BYTES,
    });
    return shardList(isShardGroupListing(body) ? () => shardsOfGroups(body) : () => body ?? []);
  }

  /**
   * Our meta node checks, copies, verifies and catches up itself. A Go meta node: the guards are
   * checked here; its /copy-shard adds the owner after the copy, so the copy is verified after
   * that (an incomplete copy is an error, and nothing more is done), and a hot shard is copied a
   * second time (Go's API has no `since`: the whole shard again) to bring the writes made meanwhile.
   */
  async copyShard(src: string, dest: string, shardId: number): Promise<void> {
    const post = () =>
      this.http.ok(this.bind, "/copy-shard", { method: "POST", form: { src, dest, shard: String(shardId) } });
    if (await this.checksItself()) return void (await post());
    const state = await this.tierState();
    const shard = state.shards.find((s) => s.id === shardId);
    const [srcNode, destNode] = [src, dest].map((a) => state.nodes.find((n) => n.tcpAddr === a));
    // Unknown shards and nodes: the meta node's own refusals say it.
    if (!shard || !srcNode || !destNode) return void (await post());
    if (shard.owners.includes(destNode.id)) throw destHasShard(dest, shardId, true);
    const before = srcNode.copies.get(shardId);
    if (srcNode.up && shard.owners.includes(srcNode.id) && !before) throw sourceLacksShard(src, shardId);
    await post();
    if (shard.hot) await post();
    const after = (await this.tierState()).nodes.find((n) => n.id === destNode.id)?.copies.get(shardId);
    if (!after || after.size < (before?.size ?? 0)) {
      throw new Error(
        `data node ${dest} reports ${after ? `${after.size} bytes` : "no copy"} of shard ${shardId} after the copy, less than the ${before?.size ?? 0} bytes ${src} reported; the meta node made it an owner anyway: check it before removing any other copy`,
      );
    }
  }

  async removeShard(src: string, shardId: number, force = false): Promise<void> {
    const checksItself = await this.checksItself();
    if (!force && !checksItself) {
      const state = await this.tierState();
      const shard = state.shards.find((s) => s.id === shardId);
      const node = state.nodes.find((n) => n.tcpAddr === src);
      if (shard && node) {
        const h = shardHealth(shard, indexNodes(state.nodes));
        if (isLastLiveCopy(h, node.id)) throw lastCopy(src, shardId);
      }
    }
    const form: Record<string, string> = { src, shard: String(shardId) };
    if (force) form.force = "true";
    await this.http.ok(this.bind, "/remove-shard", { method: "POST", form });
  }

  async truncateShards(delayMs: number): Promise<void> {
    await this.http.ok(this.bind, "/truncate-shards", {
      method: "POST",
      form: { delay: formatDuration(delayMs) },
    });
  }

  /**
   * The node a 2xx answer names. A server that answered without it (an empty 204) still did
   * the work, so the node is looked up instead of failing a command that succeeded.
   */
  private async nodeResult(
    body: NodeInfoJson | undefined,
    role: "meta" | "data",
    addr: string,
  ): Promise<NodeResult> {
    if (body && typeof body.id === "number") {
      const http = body.httpAddr ?? body.addr ?? "";
      return { id: body.id, addr: role === "meta" ? (body.addr ?? addr) : http, tcpAddr: body.tcpAddr ?? "" };
    }
    const cluster = await this.http.json<ShowCluster>(this.bind, "/show-cluster").catch(() => undefined);
    if (role === "meta") {
      const m = cluster?.meta?.find((n) => n.addr === addr);
      return { id: m?.id ?? 0, addr, tcpAddr: m?.tcpAddr ?? "" };
    }
    const d = cluster?.data?.find((n) => n.tcpAddr === addr);
    return { id: d?.id ?? 0, addr: d?.httpAddr ?? d?.addr ?? "", tcpAddr: addr };
  }
}
