/**
 * The meta service: the meta store (FSM over protobuf Data) replicated by one Raft node, and the
 * operations the HTTP API exposes. Membership and metadata change together: joining adds the
 * Raft server and its MetaNodes record in one log entry, and a DeleteMetaNodeCommand removes
 * both in one log entry, on every node alike.
 */

import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { encodeCommand, type MetaCommand, type MetaData, type NodeInfo } from "../proto/index.ts";
import { MetaRefusal } from "./errors.ts";
import type { RaftNode } from "../raft/host.ts";
import { NotLeaderError } from "../raft/errors.ts";
import { removalFacts, removalRefusal, RemovalRefusedError } from "../raft/membership.ts";
import type { Configuration } from "../raft/types.ts";
import type { MetaState } from "./data.ts";
import type { MetaStateMachine, ShardPlace } from "./fsm.ts";
import { PieceCompressor } from "./gzip-pieces.ts";

export type PublicRaftState = "leader" | "follower" | "candidate" | "removed" | "unbootstrapped" | "shutdown";

/** The process's start (performance.timeOrigin), not this service's: a wiped node that reopens
 *  blank in the same process was not restarted. */
const PROCESS_STARTED_AT = new Date(performance.timeOrigin).toISOString();

/** One incarnation of this node's replicated state; replaced when a removed node is wiped. */
export interface Replica {
  raft: RaftNode;
  fsm: MetaStateMachine;
}

/** One server of the Raft configuration in /status. */
export interface StatusServer {
  id: string;
  address: string;
  suffrage: "voter" | "nonvoter";
  /** The leader's Raft view (answered and kept up within an election timeout); null unless
   *  this node leads. */
  active: boolean | null;
}

export interface StatusJson {
  nodeType: "meta";
  id: number;
  serverId: string;
  httpAddr: string;
  raftAddr: string;
  /** This node's admin service (host:port), "" when it is disabled: what hints name with -bind. */
  adminAddr: string;
  /** The metadata's cluster id (decimal), "0" before the first record. */
  clusterId: string;
  /** Set when this node knows it was removed from its cluster: what to run to wipe it. */
  removal: RemovalNotice | null;
  leader: string;
  leaderHttp: string;
  peers: string[];
  version: string;
  /** When this process started (ISO 8601, UTC): a new value means the node was restarted, even
   *  when it came back too fast for a poller to see it down (the TUI's rolling-restart guide). */
  startedAt: string;
  raft: {
    state: PublicRaftState;
    term: number;
    commitIndex: number;
    appliedIndex: number;
    lastLogIndex: number;
    lastContactMs: number | null;
    voters: string[];
    nonvoters: string[];
    /** Index of the latest configuration: the precondition a removal plan carries. */
    configIndex: number;
    servers: StatusServer[];
  };
  /** Whether the meta dir can still hold what Raft acknowledges; when not, Raft is stopped and
   *  `error` says why (docs/operations.md, "The meta dir under a running node"). */
  storage: { ok: boolean; error: string | null };
}

/** How a node learned it is no longer a member, and the command that wipes it. */
export interface RemovalNotice {
  /** "raft": its own log committed the removal; "leader": the leader no longer lists it. */
  source: "raft" | "leader";
  /** The leader that said so (HTTP address), when source is "leader". */
  leaderHttp: string | null;
  /** The exact command that wipes this node (with -bind). */
  command: string;
}

/** Options of a DeleteMetaNodeCommand that removes a Raft server (see execute). */
export interface RemovalOptions {
  /** The configuration index the caller checked the rules against (hashicorp's prevIndex). */
  prevConfigIndex?: number;
  /** Skip the rules -force overrides (an inactive target, a quorum at risk); never the others. */
  force?: boolean;
}

/** The outcome of an /execute: the FSM's error is a result, not an exception (as in Go). */
export interface ExecuteResult {
  index: number;
  error?: string;
}

/** The `Rand` of a CreateMetaNodeCommand (the first one becomes the ClusterID): 63 random bits,
 *  as Go's rand.Int63, so the ID fits a signed 64-bit integer in every client. */
function random63(): bigint {
  return randomBytes(8).readBigUInt64BE() >> 1n;
}

/** Raised when this node cannot take a write: the caller answers 307 (leader known) or 503. */
export class NotLeader extends Error {
  constructor(readonly leaderHttp: string | null) {
    super(leaderHttp ? `not the leader; the leader is ${leaderHttp}` : "no leader");
  }
}

export class MetaService {
  private storageError: string | null = null;
  /** This node's admin service address, "" when disabled (set by the daemon). */
  adminAddr = "";
  /** Set by the daemon when the leader says this node is no longer a member. */
  private removedBy: string | null = null;

  constructor(
    private replica: Replica,
    readonly httpAddr: string,
    readonly raftAddr: string,
    readonly version: string,
    private readonly logger: Logger,
  ) {}

  get raft(): RaftNode {
    return this.replica.raft;
  }

  get fsm(): MetaStateMachine {
    return this.replica.fsm;
  }

  /** The meta dir failed under the running node: stop Raft (no more acknowledgements) and
   *  report it in /status. */
  async storageFailed(reason: string): Promise<void> {
    this.storageError = reason;
    await this.raft.shutdown();
  }

  /** Swaps in a fresh incarnation (after a wipe). */
  replace(replica: Replica): void {
    this.replica = replica;
    this.removedBy = null;
  }

  /** The leader at `leaderHttp` no longer lists this node: report "removed" until wiped. */
  markRemoved(leaderHttp: string): void {
    this.removedBy = leaderHttp;
  }

  /** Whether this node knows it was removed, and from where; null while it is a member. */
  removal(): RemovalNotice | null {
    const source = this.raft.state() === "removed" ? "raft" : this.removedBy !== null ? "leader" : null;
    if (!source) return null;
    const command = this.adminAddr
      ? `influxd-ctl -bind ${this.adminAddr} leave -y`
      : `stop influxd on ${this.httpAddr}, delete its meta dir, and start it again`;
    return { source, leaderHttp: source === "leader" ? this.removedBy : null, command };
  }

  data(): MetaState {
    return this.fsm.data();
  }

  /** A shard by ID with where it is, through the FSM's index. */
  shardById(id: number): ShardPlace | undefined {
    return this.fsm.shardById(id);
  }

  state(): PublicRaftState {
    const s = this.raft.state();
    if (this.removedBy !== null && s !== "shutdown" && s !== "unbootstrapped") return "removed";
    return s === "precandidate" ? "candidate" : s;
  }

  leaderRaftAddr(): string {
    return this.raft.leader()?.address ?? "";
  }

  /** The leader's HTTP address, from the metadata record whose Raft address is the leader's. */
  leaderHttp(): string | null {
    const leader = this.raft.leader();
    if (!leader) return null;
    if (leader.address === this.raftAddr) return this.httpAddr;
    return this.fsm.data().metaNodes.find((n) => n.tcpAddr === leader.address)?.addr ?? null;
  }

  status(): StatusJson {
    const stats = this.raft.stats();
    const latest = this.raft.configuration().latest.config;
    const voters = latest.servers.filter((s) => s.suffrage === "voter").map((s) => s.address);
    const nonvoters = latest.servers.filter((s) => s.suffrage === "nonvoter").map((s) => s.address);
    const data = this.fsm.data();
    return {
      nodeType: "meta",
      id: data.metaNodes.find((n) => n.tcpAddr === this.raftAddr)?.id ?? 0,
      serverId: stats.id,
      httpAddr: this.httpAddr,
      raftAddr: this.raftAddr,
      adminAddr: this.adminAddr,
      clusterId: data.clusterId.toString(),
      removal: this.removal(),
      leader: this.leaderRaftAddr(),
      leaderHttp: this.leaderHttp() ?? "",
      peers: latest.servers.map((s) => s.address),
      version: this.version,
      startedAt: PROCESS_STARTED_AT,
      raft: {
        state: this.state(),
        term: stats.term,
        commitIndex: stats.commitIndex,
        appliedIndex: stats.appliedIndex,
        lastLogIndex: stats.lastLogIndex,
        lastContactMs: stats.lastContactMs,
        voters,
        nonvoters,
        configIndex: stats.configIndex,
        servers: this.raft.servers().map(({ id, address, suffrage, active }) => ({
          id,
          address,
          suffrage,
          active,
        })),
      },
      storage: this.storage(),
    };
  }

  /** Whether the meta dir still holds what Raft acknowledges: a failure seen by the dir watch,
   *  or the error that stopped Raft (a full disk: ENOSPC), with its reason. */
  private storage(): StatusJson["storage"] {
    if (this.storageError !== null) return { ok: false, error: this.storageError };
    const failure = this.raft.failure();
    if (!failure) return { ok: true, error: null };
    // An errno code (ENOSPC, EIO, EROFS…) means the disk refused a write; anything else is named as is.
    const what = failure.code ? "a write to the meta dir failed" : "a failure";
    return { ok: false, error: `Raft stopped after ${what}: ${failure.message}` };
  }

  private requireLeader(): void {
    if (this.raft.state() !== "leader") throw new NotLeader(this.leaderHttp());
  }

  /** Maps the Raft layer's "not leader" into ours so HTTP can redirect. */
  private async onLeader<T>(fn: () => Promise<T>): Promise<T> {
    this.requireLeader();
    try {
      return await fn();
    } catch (err) {
      if (err instanceof NotLeaderError) throw new NotLeader(this.leaderHttp());
      throw err;
    }
  }

  /**
   * Executes a protobuf Command that the caller decoded and validated (`validateCommand`). A DeleteMetaNodeCommand
   * for a node in the Raft configuration becomes one Config entry that removes the server and
   * carries the command for the FSM. The removal rules (src/raft/membership.ts) are checked by
   * the leader when it appends that entry, against the configuration it replaces: a change that
   * would break them, or whose `prevConfigIndex` is no longer the latest, is refused then.
   */
  async execute(
    command: MetaCommand,
    bytes: Uint8Array,
    removal: RemovalOptions = {},
  ): Promise<ExecuteResult> {
    return this.onLeader(async () => {
      if (command.type === "SetDataCommand") this.refuseDroppingMembers(command.data);
      if (command.type === "DeleteMetaNodeCommand") {
        const node = this.fsm.data().metaNodes.find((n) => n.id === command.id);
        const server = node && this.serverByAddress(node.tcpAddr);
        if (node && server) {
          const r = await this.raft.removeServer(server.id, bytes, {
            prevIndex: removal.prevConfigIndex,
            precondition: (view) => {
              const facts = removalFacts(view.config, server.id, view.active);
              const refusal = removalRefusal(facts, removal.force ?? false);
              return refusal ? new RemovalRefusedError(refusal, facts, node.addr) : null;
            },
          });
          return this.toResult(r);
        }
      }
      this.fsm.decodedAs(bytes, command);
      return this.toResult(await this.raft.apply(bytes));
    });
  }

  /**
   * A SetDataCommand replaces the whole metadata. One whose Data lacks a meta node that is in this
   * cluster's Raft configuration (another cluster's Data, say) would leave members without their
   * records: refused, checked in the same step in which the leader proposes it.
   */
  private refuseDroppingMembers(data: MetaData): void {
    const servers = this.raft.configuration().latest.config.servers;
    const dropped = this.fsm
      .data()
      .metaNodes.filter((n) => servers.some((s) => s.address === n.tcpAddr))
      .filter(
        (n) => !data.metaNodes.some((m) => m.id === n.id && m.addr === n.addr && m.tcpAddr === n.tcpAddr),
      );
    if (dropped.length === 0) return;
    throw new MetaRefusal(
      `SetDataCommand refused: its Data drops ${dropped.map((n) => `meta node ${n.id} (${n.addr}, Raft ${n.tcpAddr})`).join(", ")} of this cluster; ` +
        `a SetDataCommand must keep the record of every meta node in the Raft configuration`,
      "SET_DATA_DROPS_META_NODES",
    );
  }

  /** The index answered is the metadata index the entry published (the FSM's, which can run
   *  above the Raft index after an import: see `metadataIndex`), what data nodes wait for. */
  private toResult(r: { index: number; result: unknown }): ExecuteResult {
    const result = r.result as { error?: string; index?: number } | undefined;
    const index = result?.index ?? r.index;
    return result?.error ? { index, error: result.error } : { index };
  }

  private serverByAddress(address: string) {
    return this.raft.configuration().latest.config.servers.find((s) => s.address === address);
  }

  /**
   * Adds a meta node (leader only): a nonvoter first, promoted to voter by Raft once it has caught
   * up, registered in MetaNodes by the same log entry that adds it.
   */
  async join(httpAddr: string, raftAddr: string, serverId: string): Promise<NodeInfo> {
    return this.onLeader(async () => {
      const existing = this.fsm.data().metaNodes.find((n) => n.addr === httpAddr);
      const inConfig = this.serverByAddress(raftAddr);
      if (existing && inConfig && inConfig.id === serverId) return existing;
      if (inConfig && inConfig.id !== serverId) {
        throw new Error(
          `raft address ${raftAddr} is still in the configuration as another server; remove meta node ${existing?.addr ?? raftAddr} first`,
        );
      }
      const command: MetaCommand = {
        type: "CreateMetaNodeCommand",
        httpAddr,
        tcpAddr: raftAddr,
        rand: random63(),
      };
      const r = await this.raft.addNonvoter(serverId, raftAddr, encodeCommand(command));
      const error = (r.result as { error?: string } | undefined)?.error;
      if (error) throw new Error(error);
      const node = this.fsm.data().metaNodes.find((n) => n.addr === httpAddr);
      if (!node) throw new Error(`meta node ${httpAddr} was not registered`);
      this.logger.info({ httpAddr, raftAddr, serverId, id: node.id }, "meta node joined");
      return node;
    });
  }

  /** Bootstraps a one-node cluster on this (blank) node and registers it. */
  async bootstrapSelf(): Promise<NodeInfo> {
    if (this.state() !== "unbootstrapped") {
      throw new Error(`meta node ${this.httpAddr} already belongs to a cluster`);
    }
    const config: Configuration = {
      servers: [{ id: this.raft.stats().id, address: this.raftAddr, suffrage: "voter" }],
    };
    await this.raft.bootstrap(config);
    await this.waitForLeadership(10_000);
    const command: MetaCommand = {
      type: "CreateMetaNodeCommand",
      httpAddr: this.httpAddr,
      tcpAddr: this.raftAddr,
      rand: random63(),
    };
    const r = await this.raft.apply(encodeCommand(command));
    const error = (r.result as { error?: string } | undefined)?.error;
    if (error) throw new Error(error);
    const node = this.fsm.data().metaNodes.find((n) => n.addr === this.httpAddr);
    if (!node) throw new Error(`meta node ${this.httpAddr} was not registered`);
    this.logger.info({ id: node.id }, "bootstrapped a new cluster");
    return node;
  }

  private waitForLeadership(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.raft.state() === "leader") return resolve();
      const timer = setTimeout(() => {
        off();
        reject(new Error(`meta node ${this.httpAddr} did not become leader within ${timeoutMs}ms`));
      }, timeoutMs);
      const off = this.raft.onStateChange(() => {
        if (this.raft.state() === "leader") {
          clearTimeout(timer);
          off();
          resolve();
        }
      });
    });
  }

  /**
   * The long-poll answer: the encoded Data once its index exceeds `index` (or at the timeout),
   * gzipped when `gzip`. Every poller answered at one index gets the same bytes: the FSM encodes
   * each state once (`MetaStateMachine.snapshot`), and the gzip is made once per state from
   * pieces compressed once each (`PieceCompressor`), so a commit compresses what it changed.
   * The encoding happens after the wake-up, outside the FSM's apply, and for the newest state.
   */
  async waitForIndex(
    index: number,
    timeoutMs: number,
    signal?: AbortSignal,
    gzip = false,
  ): Promise<Uint8Array> {
    const fsm = this.fsm;
    await changedAfter(fsm, index, timeoutMs, signal);
    await fsm.encodeInSlices();
    return gzip ? this.gzipped(fsm.snapshotPieces()) : fsm.snapshot();
  }

  /** gzipped encodings by encoding (its pieces): one per state, shared by every poller. */
  private readonly gzips = new WeakMap<readonly Uint8Array[], Promise<Uint8Array>>();
  private readonly compressor = new PieceCompressor();

  private gzipped(pieces: readonly Uint8Array[]): Promise<Uint8Array> {
    let compressed = this.gzips.get(pieces);
    if (!compressed) {
      compressed = this.compressor.gzip(pieces);
      this.gzips.set(pieces, compressed);
    }
    return compressed;
  }
}

/** Resolves once the FSM's index exceeds `index`, at the timeout, or when `signal` aborts. */
function changedAfter(fsm: MetaStateMachine, index: number, timeoutMs: number, signal?: AbortSignal) {
  return new Promise<void>((resolve) => {
    if (fsm.index() > index) return resolve();
    const finish = () => {
      clearTimeout(timer);
      off();
      signal?.removeEventListener("abort", finish);
      resolve();
    };
    const timer = setTimeout(finish, timeoutMs);
    const off = fsm.onChange(() => {
      if (fsm.index() > index) finish();
    });
    signal?.addEventListener("abort", finish);
  });
}
