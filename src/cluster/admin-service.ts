/**
 * The admin service (8084): cluster management on behalf of `influxd-ctl` and the TUI. It plans
 * a removal (docs/operations.md, "Removing a meta node") from the leader's Raft view
 * with the rules of src/raft/membership.ts, moves leadership away before removing the leader,
 * removes through the meta client with the plan's configuration index as the precondition the
 * leader checks again when it appends the change (one Raft entry), makes sure a lost answer is
 * not misreported, then has the removed node wipe itself. It also adds nodes, never letting a
 * former member bootstrap a second cluster unasked.
 */

import type { Logger } from "pino";
import { MetaClient, MetaCommandError, MetaRequestError } from "../meta/client.ts";
import type { MetaService, StatusJson } from "../meta/service.ts";
import type { NodeInfo } from "../proto/index.ts";
import {
  errorText,
  peerOptions,
  peerUrl,
  PLAIN_HTTP,
  request,
  type PeerAccess,
} from "../util/http-client.ts";
import { DataNodeOperations, type DataNodeOptions } from "./data-nodes.ts";
import type {
  DataNodeView,
  MetaNodeView,
  NodeResult,
  NodeSelf,
  RemovalPlan,
  RemoveMetaResult,
  ShowResult,
} from "../contract/cluster.ts";
import { OperationError, refused, unavailable, type OperationStatus } from "./errors.ts";
import { probeMetaNode, requireOurMetaNode, type MetaNodeIdentity } from "./identify.ts";
import { claimedLeader } from "./leader.ts";
import type { LocalNodeControl } from "./node-control.ts";
import { buildRemovalPlan } from "./removal-plan.ts";
import { alreadyBlank, noLeaderToRemove, noSuchMetaNode, notOurs } from "./removal-rules.ts";

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

/** The leader's refusals that keep their status when a removal fails (a CONFIG_CHANGED 409 stays
 *  a 409); anything else another node answers is a 502. */
const KEPT_STATUSES: ReadonlySet<number> = new Set([400, 404, 409]);

/** /show's bound on each node's answer: the whole view stays under 2 s with nodes down. */
const SHOW_STATUS_TIMEOUT_MS = 1_000;

/** What the admin service knows of the cluster at one moment. */
interface ClusterView {
  records: readonly NodeInfo[];
  /** The leader's status (its Raft view is authoritative), or null when none answered. */
  leader: StatusJson | null;
  /** Every meta node's status by HTTP address; null when unreachable or not ours. */
  statuses: Map<string, StatusJson | null>;
  /** Records answered by something other than our meta node (a Go meta node put there by a
   *  SetDataCommand, a data node, …), with the version it reported. */
  foreign: Map<string, string>;
}

export class AdminService {
  private readonly client: MetaClient;
  /** Membership changes from this service run one at a time; across admin services the leader
   *  orders them and re-checks each when it appends it. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Admin addresses the meta nodes reported in /status, kept for hints about nodes now down. */
  private readonly adminOf = new Map<string, string>();
  /** Data node and shard operations, shared with the Enterprise routes of the meta API. */
  readonly dataNodes: DataNodeOperations;

  constructor(
    private readonly meta: MetaService,
    private readonly node: LocalNodeControl,
    private readonly opts: AdminOptions,
  ) {
    this.client = this.metaClient(meta.httpAddr);
    this.dataNodes = new DataNodeOperations(meta, (server) => this.metaClient(server), {
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

  /** What answers at `httpAddr` (this node without a request); null when nothing answered. */
  private async identify(httpAddr: string, timeoutMs: number): Promise<MetaNodeIdentity | null> {
    const id: MetaNodeIdentity | null =
      httpAddr === this.meta.httpAddr
        ? { kind: "ours", status: this.meta.status() }
        : await probeMetaNode(httpAddr, this.peers, timeoutMs);
    if (id?.kind === "ours" && id.status.adminAddr) this.adminOf.set(httpAddr, id.status.adminAddr);
    return id;
  }

  /** `influxd-ctl -bind <admin of httpAddr> <command>`, when that admin address is known. */
  private ctlOn(httpAddr: string, command: string): string | null {
    const admin = httpAddr === this.meta.httpAddr ? this.meta.adminAddr : this.adminOf.get(httpAddr);
    return admin ? `influxd-ctl -bind ${admin} ${command}` : null;
  }

  /** The command that adds `httpAddr` from a member of the cluster this node knows. */
  private addBackCommand(httpAddr: string, members: string[]): string {
    const admin = members.find((a) => a !== this.meta.adminAddr);
    return admin
      ? `influxd-ctl -bind ${admin} add-meta ${httpAddr}`
      : `influxd-ctl -bind <admin address of a member> add-meta ${httpAddr}`;
  }

  /** Refuses what needs this node to be a member: blank, or removed and not wiped yet. */
  private async requireMember(): Promise<void> {
    const self = this.meta.httpAddr;
    const state = this.meta.state();
    if (state === "unbootstrapped") {
      if (this.node.wasMember()) {
        throw refused(
          409,
          `meta node ${self} was removed from its cluster and is blank; add it back from a member: ${this.addBackCommand(self, await this.node.clusterAdmins())}`,
          "WAS_MEMBER",
        );
      }
      const bootstrap = this.ctlOn(self, `add-meta ${self}`) ?? `influxd-ctl add-meta ${self}`;
      throw refused(
        409,
        `meta node ${self} is not part of a cluster; bootstrap a new cluster on it with: ${bootstrap}, or add it to an existing cluster with: influxd-ctl -bind <admin address of a member> add-meta ${self}`,
        "NOT_IN_CLUSTER",
      );
    }
    const removal = this.meta.removal();
    if (removal) {
      throw refused(
        409,
        `meta node ${self} was removed from its cluster${removal.leaderHttp ? ` (the leader ${removal.leaderHttp} no longer lists it)` : ""}; wipe it with: ${removal.command}; then add it back from a member: ${this.addBackCommand(self, await this.node.clusterAdmins())}`,
        "NODE_REMOVED",
      );
    }
  }

  /**
   * Every known meta node's /status within `timeoutMs`, and the leader among them. The records
   * are this node's metadata; the Raft configuration comes from the leader's status.
   */
  private async view(timeoutMs: number): Promise<ClusterView> {
    await this.requireMember();
    const records = this.meta.data().metaNodes;
    const statuses = new Map<string, StatusJson | null>();
    const foreign = new Map<string, string>();
    await Promise.all(
      records.map(async (n) => {
        const id = await this.identify(n.addr, timeoutMs);
        statuses.set(n.addr, id?.kind === "ours" ? id.status : null);
        if (id && id.kind !== "ours") foreign.set(n.addr, id.kind === "go-meta" ? id.version : "");
      }),
    );
    const leader = claimedLeader(
      [...statuses.values()].filter((s): s is StatusJson => s !== null),
      (s) => s.raft.state === "leader",
      (s) => s.raft.term,
    );
    return { records, leader, statuses, foreign };
  }

  /** What this node is, without asking any other node: answers on a blank node too. */
  self(): NodeSelf {
    const blank = this.meta.state() === "unbootstrapped";
    return {
      service: "admin",
      ours: true,
      httpAddr: this.meta.httpAddr,
      raftAddr: this.meta.raftAddr,
      state: blank
        ? this.node.wasMember()
          ? "was-member"
          : "blank"
        : this.meta.removal()
          ? "removed"
          : "member",
    };
  }

  async show(): Promise<ShowResult> {
    const { records, leader, statuses, foreign } = await this.view(SHOW_STATUS_TIMEOUT_MS);
    const own = this.meta.status();
    const servers = (leader ?? own).raft.servers;
    const meta: MetaNodeView[] = records.map((n) => {
      const s = statuses.get(n.addr) ?? null;
      const server = servers.find((v) => v.address === n.tcpAddr);
      const other = foreign.get(n.addr);
      return {
        id: n.id,
        httpAddr: n.addr,
        raftAddr: n.tcpAddr,
        version: s?.version ?? other ?? "",
        reachable: s !== null || other !== undefined,
        // Something answers that does not report our Raft state (a Go meta node): unknown.
        state: s ? s.raft.state : other !== undefined ? "unknown" : "unreachable",
        suffrage: server?.suffrage ?? "none",
        raftActive: leader ? (server?.active ?? false) : null,
        ...(s?.storage?.ok === false ? { storageError: s.storage.error ?? "meta dir failed" } : {}),
      };
    });
    const dataNodes: DataNodeView[] = await Promise.all(
      this.meta.data().dataNodes.map(async (n) => ({
        id: n.id,
        httpAddr: n.addr,
        tcpAddr: n.tcpAddr,
        version: this.opts.announced?.(n.tcpAddr)?.version ?? "",
        status: this.opts.announced?.(n.tcpAddr)?.status ?? "",
        reachable: await this.reachable(n.addr, SHOW_STATUS_TIMEOUT_MS),
      })),
    );
    return {
      self: { httpAddr: this.meta.httpAddr, raftAddr: this.meta.raftAddr },
      leader: leader ? { raftAddr: leader.raftAddr, httpAddr: leader.httpAddr } : null,
      membershipKnown: leader !== null,
      raftConfig: {
        index: (leader ?? own).raft.configIndex,
        servers: servers.map((v) => ({ raftAddr: v.address, suffrage: v.suffrage })),
      },
      meta,
      data: dataNodes,
    };
  }

  private async reachable(httpAddr: string, timeoutMs = this.opts.pingTimeoutMs): Promise<boolean> {
    const res = await request(peerUrl(this.peers, httpAddr, "/ping"), {
      timeoutMs,
      ...peerOptions(this.peers, false),
    }).catch(() => null);
    return res !== null && res.status < 500;
  }

  /**
   * The metadata record remove-meta means. With -tcpAddr too, both must name the same record:
   * a Raft address that belongs to another node (or to none) is refused, never followed.
   */
  private target(records: readonly NodeInfo[], httpAddr: string, tcpAddr?: string): NodeInfo {
    const byHttp = records.find((n) => n.addr === httpAddr);
    if (tcpAddr !== undefined && byHttp && byHttp.tcpAddr !== tcpAddr) {
      throw refused(
        400,
        `-tcpAddr ${tcpAddr} does not match meta node ${byHttp.id} at ${httpAddr}, whose Raft address is ${byHttp.tcpAddr}`,
        "TCP_ADDR_MISMATCH",
      );
    }
    if (!byHttp) {
      const byTcp = tcpAddr !== undefined ? records.find((n) => n.tcpAddr === tcpAddr) : undefined;
      if (byTcp) {
        throw refused(
          400,
          `-tcpAddr ${tcpAddr} belongs to meta node ${byTcp.id} at ${byTcp.addr}, not to ${httpAddr}`,
          "TCP_ADDR_MISMATCH",
        );
      }
      throw refused(404, noSuchMetaNode(httpAddr), "NODE_NOT_FOUND");
    }
    return byHttp;
  }

  /** What remove-meta would do, and the refusal it would give; changes nothing. */
  async plan(
    httpAddr: string,
    force: boolean,
    tcpAddr?: string,
  ): Promise<RemovalPlan & { record: NodeInfo }> {
    const [httpUp, view] = await Promise.all([this.reachable(httpAddr), this.view(this.opts.pingTimeoutMs)]);
    const record = this.target(view.records, httpAddr, tcpAddr);
    const leader = view.leader;
    if (!leader) throw unavailable(noLeaderToRemove(httpAddr), "NO_LEADER");
    const servers = leader.raft.servers;
    const server = servers.find((s) => s.address === record.tcpAddr);
    const httpOf = (raftAddr: string) => view.records.find((n) => n.tcpAddr === raftAddr)?.addr ?? "";
    const leave = httpUp ? null : this.ctlOn(httpAddr, "leave -y");
    const plan = buildRemovalPlan(
      {
        target: { id: record.id, httpAddr: record.addr, raftAddr: record.tcpAddr },
        name: httpAddr,
        httpUp,
        suffrage: server?.suffrage ?? "none",
        raftActive: server?.active ?? false,
        voters: servers
          .filter((s) => s.suffrage === "voter")
          .map((s) => ({
            httpAddr: httpOf(s.address),
            raftAddr: s.address,
            httpUp: view.statuses.get(httpOf(s.address)) != null,
            raftActive: s.active === true,
          })),
        configIndex: leader.raft.configIndex,
        leaderRaftAddr: leader.raftAddr,
        texts: {
          leaderMoves: `meta node ${httpAddr} is the leader: leadership moves to another voter first`,
          notWiped: `meta node ${httpAddr} is unreachable: its meta dir will not be wiped; if it comes back with its old data it reports itself removed and must be wiped${leave ? ` with: ${leave}` : " (it names the command)"}`,
        },
      },
      force,
    );
    return { ...plan, record };
  }

  /**
   * remove-meta: plan, move leadership away from the target, remove it with the plan's
   * configuration index as the precondition the leader checks, then have it wipe itself.
   */
  removeMeta(httpAddr: string, force: boolean, tcpAddr?: string): Promise<RemoveMetaResult> {
    return this.serialize(async () => {
      const plan = await this.plan(httpAddr, force, tcpAddr);
      if (plan.refusal) throw refused(409, plan.refusal, plan.refusalCode ?? "REFUSED");
      const kept = plan.warningCodes.map((code, i) => ({ code, message: plan.warnings[i] }));
      const warnings = kept.filter((w) => w.code !== "LEADER_MOVES");
      // What answers at the target before it is removed: a blank node or a foreign one has no
      // meta dir of this cluster to wipe, and must not be reported wiped.
      const before = plan.node.reachable ? await this.identify(httpAddr, this.opts.pingTimeoutMs) : null;
      if (plan.node.isLeader) await this.moveLeadershipAway(plan.record);
      this.opts.logger.info(
        { httpAddr, id: plan.node.id, force, configIndex: plan.configIndex },
        "removing meta node",
      );
      try {
        await this.client.deleteMetaNode(plan.node.id, {
          prevConfigIndex: plan.node.suffrage === "none" ? undefined : plan.configIndex,
          force,
        });
      } catch (err) {
        // A first attempt may have committed before its answer was lost: the retry then finds
        // the configuration moved or the record gone. Look before reporting anything.
        const unknown =
          (err instanceof MetaRequestError || err instanceof MetaCommandError) && err.outcomeUnknown;
        if (!unknown) throw this.removalFailure(httpAddr, err);
        if (!(await this.removalCommitted(plan.record))) {
          throw unavailable(
            `removing meta node ${httpAddr}: ${(err as Error).message}; the leader does not show it removed — check with influxd-ctl show before trying again`,
            "REMOVAL_NOT_CONFIRMED",
          );
        }
        this.opts.logger.info({ httpAddr, err: (err as Error).message }, "removal had committed");
      }
      let cleanup: RemoveMetaResult["cleanup"] = "skipped";
      const nothing = plan.node.reachable ? nothingToWipe(httpAddr, before) : null;
      if (nothing) {
        cleanup = "nothing";
        warnings.push(nothing);
      } else if (plan.node.reachable) {
        const res = await this.postToNode(httpAddr, "/remove-meta").catch((err: Error) => ({
          status: 0,
          body: Buffer.from(JSON.stringify({ error: err.message })),
          headers: {},
        }));
        if (res.status === 200) cleanup = "done";
        else {
          cleanup = "failed";
          const leave = this.ctlOn(httpAddr, "leave -y");
          warnings.push({
            code: "WIPE_FAILED",
            message: `meta node ${httpAddr} was removed but did not wipe its meta dir (${errorText(res)}); wipe it before reuse${leave ? ` with: ${leave}` : " (it names the command in its log and /status)"}`,
          });
        }
      }
      return {
        id: plan.node.id,
        addr: httpAddr,
        cleanup,
        warnings: warnings.map((w) => w.message),
        warningCodes: warnings.map((w) => w.code),
      };
    });
  }

  /** Whether the leader's committed state no longer has the record (nor its Raft server). */
  private async removalCommitted(record: NodeInfo): Promise<boolean> {
    const view = await this.view(this.opts.pingTimeoutMs).catch(() => null);
    const leader = view?.leader;
    if (!leader || leader.raft.commitIndex < leader.raft.configIndex) return false;
    if (leader.raft.servers.some((s) => s.address === record.tcpAddr)) return false;
    const data = await this.metaClient(leader.httpAddr)
      .data(leader.raft.commitIndex)
      .catch(() => null);
    return data !== null && !data.metaNodes.some((n) => n.id === record.id);
  }

  /** The error remove-meta reports when the removal certainly did not happen. */
  private removalFailure(httpAddr: string, err: unknown): OperationError {
    const message = `removing meta node ${httpAddr} failed: ${(err as Error).message}`;
    if (err instanceof MetaRequestError && err.status === 503)
      return unavailable(`${message}; nothing was changed`, err.code ?? "UNAVAILABLE");
    if (err instanceof MetaRequestError)
      return refused(
        KEPT_STATUSES.has(err.status) ? (err.status as OperationStatus) : 502,
        message,
        err.code ?? "REFUSED",
      );
    if (err instanceof MetaCommandError) return refused(409, message, "COMMAND_FAILED");
    return refused(502, message, "UNAVAILABLE");
  }

  /** Asks the leader to hand leadership to an up-to-date voter and waits for a new leader. */
  private async moveLeadershipAway(leader: NodeInfo): Promise<void> {
    const res = await this.postToNode(leader.addr, "/leadership-transfer").catch((err: Error) => {
      throw unavailable(
        `could not move leadership away from meta node ${leader.addr}: ${err.message}`,
        "TRANSFER_FAILED",
      );
    });
    if (res.status !== 200) {
      throw unavailable(
        `could not move leadership away from meta node ${leader.addr}: ${errorText(res)}`,
        "TRANSFER_FAILED",
      );
    }
  }

  /**
   * Bootstraps this node (`newCluster` is required when it belonged to a cluster before), or adds
   * another blank node to this node's cluster.
   */
  addMeta(httpAddr: string, opts: { newCluster?: boolean } = {}): Promise<NodeResult> {
    return this.serialize(async () => {
      const self = this.meta.httpAddr;
      const blank = this.meta.state() === "unbootstrapped";
      if (opts.newCluster && !(httpAddr === self && blank)) {
        throw refused(
          400,
          `-new-cluster bootstraps the blank meta node beside -bind on itself (${self}${blank ? "" : ", which is not blank"}), not ${httpAddr}`,
          "NEW_CLUSTER_NOT_SELF",
        );
      }
      if (httpAddr === self && blank && (opts.newCluster || !this.node.wasMember())) {
        // A Raft refusal (already bootstrapped, shutting down) reaches HTTP through the mapper.
        const node = await this.meta.bootstrapSelf();
        return { id: node.id, addr: node.addr, tcpAddr: node.tcpAddr };
      }
      await this.requireMember();
      const target = await this.ourMetaNode(httpAddr);
      const existing = (await this.client.data()).metaNodes.find((n) => n.addr === httpAddr);
      if (existing && target.raft.state !== "unbootstrapped" && target.removal === null) return existing;
      if (target.raft.state !== "unbootstrapped") {
        const wipe =
          target.removal?.command ??
          this.ctlOn(httpAddr, "leave -y") ??
          `stop it, delete its meta dir, and start it again`;
        throw refused(
          409,
          target.removal
            ? `meta node ${httpAddr} was removed but still holds its old data; wipe it first with: ${wipe}`
            : `meta node ${httpAddr} already belongs to another cluster (leader ${target.leader || "unknown"}); remove it from there first: ${wipe}`,
          target.removal ? "NODE_REMOVED" : "OTHER_CLUSTER",
        );
      }
      try {
        return await this.client.join({
          addr: httpAddr,
          raftAddr: target.raftAddr,
          serverId: target.serverId,
        });
      } catch (err) {
        throw refused(409, `adding meta node ${httpAddr} failed: ${(err as Error).message}`, "JOIN_FAILED");
      }
    });
  }

  /**
   * `influxd-ctl leave`: removes the meta node this service runs beside. A node the cluster has
   * already removed (its log says so, or the leader no longer lists it) is only wiped.
   */
  async leave(): Promise<RemoveMetaResult> {
    const self = this.meta.httpAddr;
    if (this.meta.state() === "unbootstrapped")
      throw refused(409, `meta node ${self} is not part of a cluster: nothing to leave`, "NOT_IN_CLUSTER");
    if (this.meta.removal() !== null || (await this.node.confirmRemoved())) {
      const id = this.meta.status().id;
      await this.node.wipe();
      return { id, addr: self, cleanup: "done", warnings: [], warningCodes: [] };
    }
    return this.removeMeta(self, false);
  }

  /**
   * The status of our meta node at `httpAddr`; anything else is refused before a request that
   * could change it is sent (a Go meta node would add our Raft address as a voter it can never
   * reach: docs/operations.md, "Joining only what we can join").
   */
  private async ourMetaNode(httpAddr: string): Promise<StatusJson> {
    const id = await this.identify(httpAddr, this.opts.pingTimeoutMs);
    if (!id)
      throw refused(502, `meta node ${httpAddr} could not be reached; start it and try again`, "UNREACHABLE");
    return requireOurMetaNode(httpAddr, id);
  }

  /** Joins this blank node to the cluster that `via` belongs to, once `via` is known to be ours. */
  async joinVia(via: string): Promise<NodeResult> {
    if (this.meta.state() !== "unbootstrapped") {
      const removal = this.meta.removal();
      if (removal) {
        throw refused(
          409,
          `meta node ${this.meta.httpAddr} was removed from its cluster but still holds its old data; wipe it first with: ${removal.command}`,
          "NODE_REMOVED",
        );
      }
      throw refused(409, `meta node ${this.meta.httpAddr} already belongs to a cluster`, "ALREADY_MEMBER");
    }
    await this.ourMetaNode(via);
    const client = this.metaClient(via);
    const status = this.meta.status();
    try {
      return await client.join({
        addr: this.meta.httpAddr,
        raftAddr: this.meta.raftAddr,
        serverId: status.serverId,
      });
    } catch (err) {
      throw refused(
        502,
        `joining the cluster through ${via} failed: ${(err as Error).message}`,
        "JOIN_FAILED",
      );
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

/** Why a removed node's meta dir is not wiped although it answers, or null when it should be. */
function nothingToWipe(
  httpAddr: string,
  before: MetaNodeIdentity | null,
): { code: string; message: string } | null {
  if (before?.kind === "ours" && before.status.raft.state === "unbootstrapped") return alreadyBlank(httpAddr);
  if (before && before.kind !== "ours") return notOurs(httpAddr, before.kind === "go-meta");
  return null;
}
