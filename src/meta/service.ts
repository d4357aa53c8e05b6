/**
 * The meta service: the meta store (FSM over protobuf Data) replicated by one Raft node, and the
 * operations the HTTP API exposes. Membership and metadata change together: joining adds the
 * Raft server and its MetaNodes record in one log entry, and a DeleteMetaNodeCommand removes
 * both in one log entry, on every node alike.
 */

import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { encodeCommand, type MetaCommand, type NodeInfo } from "../proto/index.ts";
import type { RaftNode } from "../raft/host.ts";
import { NotLeaderError } from "../raft/errors.ts";
import type { Configuration } from "../raft/types.ts";
import type { MetaState } from "./data.ts";
import type { MetaStateMachine } from "./fsm.ts";

export type PublicRaftState = "leader" | "follower" | "candidate" | "removed" | "unbootstrapped" | "shutdown";

/** One incarnation of this node's replicated state; replaced when a removed node is wiped. */
export interface Replica {
  raft: RaftNode;
  fsm: MetaStateMachine;
}

export interface StatusJson {
  nodeType: "meta";
  id: number;
  serverId: string;
  httpAddr: string;
  raftAddr: string;
  leader: string;
  leaderHttp: string;
  peers: string[];
  version: string;
  raft: {
    state: PublicRaftState;
    term: number;
    commitIndex: number;
    appliedIndex: number;
    lastLogIndex: number;
    lastContactMs: number | null;
    voters: string[];
    nonvoters: string[];
  };
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

  /** Swaps in a fresh incarnation (after a wipe). */
  replace(replica: Replica): void {
    this.replica = replica;
  }

  data(): MetaState {
    return this.fsm.data();
  }

  state(): PublicRaftState {
    const s = this.raft.state();
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
    return {
      nodeType: "meta",
      id: this.fsm.data().metaNodes.find((n) => n.tcpAddr === this.raftAddr)?.id ?? 0,
      serverId: stats.id,
      httpAddr: this.httpAddr,
      raftAddr: this.raftAddr,
      leader: this.leaderRaftAddr(),
      leaderHttp: this.leaderHttp() ?? "",
      peers: latest.servers.map((s) => s.address),
      version: this.version,
      raft: {
        state: this.state(),
        term: stats.term,
        commitIndex: stats.commitIndex,
        appliedIndex: stats.appliedIndex,
        lastLogIndex: stats.lastLogIndex,
        lastContactMs: stats.lastContactMs,
        voters,
        nonvoters,
      },
    };
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
   * carries the command for the FSM.
   */
  async execute(command: MetaCommand, bytes: Uint8Array): Promise<ExecuteResult> {
    return this.onLeader(async () => {
      if (command.type === "DeleteMetaNodeCommand") {
        const node = this.fsm.data().metaNodes.find((n) => n.id === command.id);
        const server = node && this.serverByAddress(node.tcpAddr);
        if (server) return this.toResult(await this.raft.removeServer(server.id, bytes));
      }
      return this.toResult(await this.raft.apply(bytes));
    });
  }

  private toResult(r: { index: number; result: unknown }): ExecuteResult {
    const error = (r.result as { error?: string } | undefined)?.error;
    return error ? { index: r.index, error } : { index: r.index };
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

  /** Resolves with the encoded Data once its index exceeds `index`, or at the timeout. */
  waitForIndex(index: number, timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array> {
    return new Promise((resolve) => {
      const fsm = this.fsm;
      if (fsm.index() > index) return resolve(fsm.snapshot());
      const finish = () => {
        clearTimeout(timer);
        off();
        signal?.removeEventListener("abort", finish);
        resolve(fsm.snapshot());
      };
      const timer = setTimeout(finish, timeoutMs);
      const off = fsm.onChange(() => {
        if (fsm.index() > index) finish();
      });
      signal?.addEventListener("abort", finish);
    });
  }
}
