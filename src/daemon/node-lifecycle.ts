/**
 * The life of this node's replicated state: open it on the meta dir, keep node.json's ID in step
 * with the metadata, find out that the cluster removed it, wipe it (keeping its identity) and
 * reopen it blank, shut it down. The meta routes and the admin service receive this object; the
 * daemon only starts and stops it.
 *
 * A node learns it was removed two ways (docs/operations.md, "A removed node"): its own log
 * commits the removal, or — when it was away while the cluster removed it, so nothing reaches it
 * any more — it asks the members it knows whenever it has no leader, and the leader's answer
 * (a committed configuration of the same cluster, newer than ours, without this node's server
 * id) says so. It then
 * reports `removed` and names the one command that wipes it; it never wipes itself unasked.
 */

import type { LocalNodeControl } from "../cluster/node-control.ts";
import { mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { MetaStateMachine } from "../meta/fsm.ts";
import { readIdentity, writeIdentity, type NodeIdentity } from "../meta/identity.ts";
import { MetaService, type Replica, type StatusJson } from "../meta/service.ts";
import { openRaftNode } from "../raft/open.ts";
import { NodeFileSystem } from "../raft/storage/fs.ts";
import type { TcpTransport } from "../raft/transport.ts";
import { probeMetaNode } from "../cluster/identify.ts";
import type { PeerAccess } from "../util/http-client.ts";
import { VERSION } from "../version.ts";
import type { Config } from "./config.ts";
import type { MetaDirLock } from "./dir-lock.ts";
import type { Logger } from "./logger.ts";
import { RaftFaultSwitch, TransportLease } from "./raft-link.ts";

/** Raft is driven in ticks of this length; timeouts in the config are converted to ticks. */
const TICK_MS = 10;
/** How often a node without a leader asks the members whether it is still one of them. */
const REMOVAL_CHECK_MS = 2_000;
const STATUS_TIMEOUT_MS = 1_500;

export interface NodeAddresses {
  httpAddr: string;
  raftAddr: string;
  /** "" when the admin service is disabled. */
  adminAddr: string;
}

export class NodeLifecycle implements LocalNodeControl {
  readonly meta: MetaService;
  private knownId: number;
  /** HTTP addresses of the other members (node.json's Members). */
  private members: string[];
  private wiping: Promise<string> | null = null;
  private identityWrite: Promise<void> = Promise.resolve();
  private watch: NodeJS.Timeout | null = null;
  private checking: Promise<boolean> | null = null;
  private warnedRemoved = false;

  private constructor(
    private readonly config: Config,
    private readonly transport: TcpTransport,
    private readonly faults: RaftFaultSwitch,
    private readonly peers: PeerAccess,
    /** The meta dir's lock, given up only while a wipe deletes and recreates the dir. */
    private readonly lock: MetaDirLock,
    private readonly logger: Logger,
    replica: Replica,
    addrs: NodeAddresses,
    identity: NodeIdentity | null,
  ) {
    this.meta = new MetaService(
      replica,
      addrs.httpAddr,
      addrs.raftAddr,
      VERSION,
      logger.child({ module: "meta" }),
    );
    this.meta.adminAddr = addrs.adminAddr;
    this.knownId = identity?.ID ?? 0;
    this.members = identity?.Members ?? [];
    this.trackIdentity(replica);
  }

  static async open(
    config: Config,
    transport: TcpTransport,
    addrs: NodeAddresses,
    peers: PeerAccess,
    lock: MetaDirLock,
    logger: Logger,
  ): Promise<NodeLifecycle> {
    // node.json first: a damaged one must stop start-up before Raft runs (nothing to shut down).
    const identity = await readIdentity(config.meta.dir);
    const faults = new RaftFaultSwitch(`${config.meta.dir}.raft-cut`);
    const replica = await openReplica(config, transport, faults, logger);
    const node = new NodeLifecycle(config, transport, faults, peers, lock, logger, replica, addrs, identity);
    node.watch = setInterval(() => void node.checkWhenLeaderless(), REMOVAL_CHECK_MS);
    node.watch.unref();
    return node;
  }

  wasMember(): boolean {
    return this.knownId > 0;
  }

  async clusterAdmins(): Promise<string[]> {
    const answers = await this.memberStatuses();
    return answers.map((s) => s.adminAddr).filter((a) => a !== "");
  }

  /**
   * Keep node.json in step with the metadata: this node's ID and the other members' HTTP
   * addresses. Only while the metadata has this node's record (after a restart the metadata is
   * empty until the commit index is known, and after a removal it lacks us: keep what we had).
   */
  private trackIdentity(r: Replica): void {
    // Runs on every commit; a state shares its metaNodes array with the previous one unless the
    // command changed it (MetaDraft copies what it writes), so most commits stop at the first test.
    let seen: unknown = null;
    r.fsm.onChange(() => {
      const nodes = r.fsm.data().metaNodes;
      if (nodes === seen) return;
      seen = nodes;
      const id = nodes.find((n) => n.tcpAddr === this.meta.raftAddr)?.id;
      if (!id) return;
      const members = nodes.filter((n) => n.addr !== this.meta.httpAddr).map((n) => n.addr);
      if (id === this.knownId && members.join() === this.members.join()) return;
      this.knownId = id;
      this.members = members;
      // writeIdentity queues writes to one dir in call order; the wipe waits for the last.
      this.identityWrite = writeIdentity(this.config.meta.dir, { ID: id, Members: members }).catch((err) =>
        this.logger.error({ err }, "cannot write node identity"),
      );
    });
  }

  /** /status of every other member this node knows of (metadata and node.json), those that answer. */
  private async memberStatuses(): Promise<StatusJson[]> {
    const self = this.meta;
    const known = new Set([...self.data().metaNodes.map((n) => n.addr), ...this.members]);
    known.delete(self.httpAddr);
    // Only our meta nodes report the Raft view this needs; a record of a Go meta node (or of
    // anything else) in the metadata is left out rather than read as one.
    const answers = await Promise.all(
      [...known].map((addr) => probeMetaNode(addr, this.peers, STATUS_TIMEOUT_MS)),
    );
    return answers.flatMap((id) => (id?.kind === "ours" ? [id.status] : []));
  }

  /** The periodic check: only a member that has lost its leader needs to ask. */
  private async checkWhenLeaderless(): Promise<void> {
    const state = this.meta.state();
    if (this.wiping || state === "unbootstrapped" || state === "shutdown" || state === "leader") return;
    if (state === "removed" || this.meta.raft.leader() === null)
      await this.confirmRemoved().catch(() => false);
    const notice = this.meta.removal();
    if (notice && !this.warnedRemoved) {
      this.warnedRemoved = true;
      this.logger.warn(
        { source: notice.source, leader: notice.leaderHttp, run: notice.command },
        `this meta node is no longer a member of its cluster; wipe it with: ${notice.command}`,
      );
    }
  }

  confirmRemoved(): Promise<boolean> {
    this.checking ??= this.askMembers().finally(() => (this.checking = null));
    return this.checking;
  }

  private async askMembers(): Promise<boolean> {
    const self = this.meta;
    if (self.raft.state() === "removed") return true;
    const leader = (await this.memberStatuses()).find((s) => s.raft.state === "leader");
    if (!leader) return false;
    const mine = self.status();
    const ours = new Set(mine.raft.servers.map((s) => s.id));
    // The same cluster: server ids are random per incarnation, so a shared one means a shared
    // history (our metadata, and its cluster id, may not be restored yet after a restart).
    const sameCluster = leader.raft.servers.some((s) => s.id !== mine.serverId && ours.has(s.id));
    // The leader's committed configuration lacks this server, and it is not an old one from
    // before this node joined (ours is older, or ours already lacks us too).
    const removed =
      sameCluster &&
      leader.raft.commitIndex >= leader.raft.configIndex &&
      !leader.raft.servers.some((s) => s.id === mine.serverId) &&
      (leader.raft.configIndex > mine.raft.configIndex || !ours.has(mine.serverId));
    if (removed) self.markRemoved(leader.httpAddr);
    return removed;
  }

  wipe(): Promise<string> {
    this.wiping ??= this.wipeAndReopen().finally(() => (this.wiping = null));
    return this.wiping;
  }

  private async wipeAndReopen(): Promise<string> {
    const dir = this.config.meta.dir;
    this.logger.warn({ dir }, "removed from the cluster: wiping meta dir");
    await this.meta.raft.shutdown();
    await this.identityWrite;
    await this.lock.whileReleased(() => wipeMetaDir(dir));
    const fresh = await openReplica(this.config, this.transport, this.faults, this.logger);
    this.meta.replace(fresh);
    this.trackIdentity(fresh);
    this.warnedRemoved = false;
    return dir;
  }

  async shutdown(): Promise<void> {
    if (this.watch) clearInterval(this.watch);
    this.faults.close();
    await this.wiping?.catch(() => undefined);
    await this.meta.raft.shutdown();
  }
}

async function openReplica(
  config: Config,
  transport: TcpTransport,
  faults: RaftFaultSwitch,
  logger: Logger,
): Promise<Replica> {
  const fsm = new MetaStateMachine();
  const raft = await openRaftNode(join(config.meta.dir, "raft"), {
    transport: new TransportLease(transport, faults),
    fsm,
    timing: {
      tickMs: TICK_MS,
      // A follower campaigns after a random silence in [T/2, T), T the smaller of the two
      // timeouts: with the 1 s defaults a dead leader is replaced in well under a second.
      electionTimeoutMs: Math.min(config.meta["election-timeout"], config.meta["heartbeat-timeout"]) / 2,
      heartbeatIntervalMs: config.meta["commit-timeout"],
      leaderLeaseMs: config.meta["leader-lease-timeout"],
      snapshotThreshold: config.meta["snapshot-threshold"],
      trailingLogs: config.meta["trailing-logs"],
    },
    logger: logger.child({ module: "raft" }),
  });
  return { raft, fsm };
}

/**
 * Deletes and recreates the meta dir (mode 0755), keeping only the node identity file: what a
 * removed node does so it can later be added again as a blank node.
 */
async function wipeMetaDir(dir: string): Promise<void> {
  const identity = await readIdentity(dir);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o755 });
  if (identity) await writeIdentity(dir, identity);
  // The directory itself was replaced: make its new entry in the parent durable too.
  const fs = new NodeFileSystem();
  await Promise.all([fs.fsyncDir(dir), fs.fsyncDir(dirname(dir))]);
}
