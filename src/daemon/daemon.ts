/**
 * `influxd run`: opens the meta dir, starts Raft (TCP on [meta] bind-address), the meta service
 * (HTTP on [meta] http-bind-address) and the admin service ([admin_cluster] bind-address), joins
 * a cluster when asked, and shuts down cleanly on SIGINT/SIGTERM within a bounded time.
 */

import { mkdir, rm, access, constants } from "node:fs/promises";
import { dirname, join } from "node:path";
import { AdminService } from "../admin/service.ts";
import { adminRoutes } from "../admin/http.ts";
import { MetaClient } from "../meta/client.ts";
import { MetaStateMachine } from "../meta/fsm.ts";
import { metaRoutes } from "../meta/http.ts";
import { Announcements } from "../meta/enterprise/announcements.ts";
import { Gossip } from "../meta/enterprise/gossip.ts";
import { Leases } from "../meta/enterprise/leases.ts";
import { enterpriseRoutes } from "../meta/enterprise/routes.ts";
import { readIdentity, writeIdentity } from "../meta/identity.ts";
import { MetaService, type Replica, type StatusJson } from "../meta/service.ts";
import { openRaftNode } from "../raft/open.ts";
import { NodeFileSystem } from "../raft/storage/fs.ts";
import { TcpTransport } from "../raft/transport.ts";
import type { Message, ServerId, Transport } from "../raft/types.ts";
import { peerOptions, peerUrl, requestJson, type PeerAccess } from "../util/http-client.ts";
import { HttpService } from "../util/http-server.ts";
import { VERSION } from "../version.ts";
import { advertised, splitHostPort, type Config } from "./config.ts";
import { createLogger, type Logger } from "./logger.ts";
import { loadSecurity } from "./security.ts";

const SHUTDOWN_GRACE_MS = 5_000;
/** Raft is driven in ticks of this length; timeouts in the config are converted to ticks. */
const TICK_MS = 10;

/**
 * The daemon owns the one TCP transport; each Raft incarnation gets a view of it whose close()
 * only detaches, so a wiped node keeps its Raft port while its Raft state is recreated.
 */
class TransportLease implements Transport {
  private handler: ((m: Message, from: string) => void) | null = null;

  constructor(private readonly inner: TcpTransport) {
    inner.onMessage((m, from) => this.handler?.(m, from));
  }

  get localAddress(): string {
    return this.inner.localAddress;
  }

  send(to: { id: ServerId; address: string }, messages: Message[]): void {
    this.inner.send(to, messages);
  }

  onMessage(handler: (m: Message, from: string) => void): void {
    this.handler = handler;
  }

  async close(): Promise<void> {
    this.handler = null;
  }
}

async function openReplica(config: Config, transport: TcpTransport, logger: Logger): Promise<Replica> {
  const fsm = new MetaStateMachine();
  const raft = await openRaftNode(join(config.meta.dir, "raft"), {
    transport: new TransportLease(transport),
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

/** Creates the meta dir (0755) and checks it is writable, with an error an operator can act on. */
async function prepareMetaDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await access(dir, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`meta dir ${dir} is not writable (${code ?? (err as Error).message})`);
  }
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

export interface DaemonOptions {
  join: string[];
}

export async function runDaemon(config: Config, opts: DaemonOptions): Promise<number> {
  const logger = createLogger(config.logging.level);
  const raftAddr = advertised(config.meta["bind-address"], config.hostname);
  const httpAddr = advertised(config.meta["http-bind-address"], config.hostname);
  const servers: HttpService[] = [];
  let transport: TcpTransport | undefined;
  let meta: MetaService | undefined;
  let gossip: Gossip | undefined;
  try {
    // User credentials are checked against the meta store's users (once it is open).
    const security = loadSecurity(config, httpAddr, logger, () => meta?.data().users ?? []);
    await prepareMetaDir(config.meta.dir);
    const raftBind = splitHostPort(config.meta["bind-address"]);
    transport = await TcpTransport.listen({
      bindHost: raftBind.host,
      port: raftBind.port,
      advertiseAddress: raftAddr,
      tls: security.raftTls,
      logger: logger.child({ module: "transport" }),
    });
    const replica = await openReplica(config, transport, logger);
    meta = new MetaService(replica, httpAddr, raftAddr, VERSION, logger.child({ module: "meta" }));
    const service = meta;
    const liveTransport = transport;

    // Keep node.json's ID in step with the metadata record of this node.
    const trackIdentity = (r: Replica) =>
      r.fsm.onChange(() => {
        const id = r.fsm.data().metaNodes.find((n) => n.tcpAddr === raftAddr)?.id;
        if (id && id !== knownId) {
          knownId = id;
          writeIdentity(config.meta.dir, { ID: id }).catch((err) =>
            logger.error({ err }, "cannot write node identity"),
          );
        }
      });
    let knownId = (await readIdentity(config.meta.dir))?.ID ?? 0;
    trackIdentity(replica);

    // The admin service's operations also serve the Enterprise routes of 8091, so it exists
    // even when its own listener (8084) is disabled.
    const announcements = new Announcements(config.meta["announcement-expiration"], raftAddr);
    const admin = new AdminService(service, {
      pingTimeoutMs: config.admin_cluster["ping-timeout"],
      requestTimeoutMs: 10_000,
      logger: logger.child({ module: "admin" }),
      peers: security.peers,
      // Data nodes' TLS certificates are checked against [meta] https-ca when set, else the system's roots.
      dataNodes: config.meta["data-use-tls"]
        ? { tls: { rejectUnauthorized: !config.meta["data-insecure-tls"], ca: security.peers.tls?.ca } }
        : undefined,
      announced: (tcpAddr) => announcements.get(tcpAddr),
    });
    gossip = new Gossip(service, announcements, security.peers, logger.child({ module: "gossip" }));
    gossip.start(config.meta["gossip-frequency"]);

    let wiping: Promise<string> | null = null;
    const metaHttp = new HttpService({
      name: "meta service",
      maxBodyBytes: config.meta["max-body-size"],
      logger: logger.child({ module: "meta-http" }),
      tls: security.metaTls,
      guard: security.metaGuard,
      // As the Go meta node: its version and the metadata index on every response.
      headers: () => ({ "x-influxdb-version": VERSION, "influxdb-metaindex": String(service.fsm.index()) }),
      routes: metaRoutes(service, {
        scheme: security.peers.scheme,
        enterprise: enterpriseRoutes({
          service,
          admin,
          leases: new Leases(config.meta["lease-duration"]),
          announcements,
          peers: security.peers,
        }),
        confirmRemoved: () => confirmRemoved(service, security.peers),
        cleanupAfterRemoval: () =>
          (wiping ??= (async () => {
            logger.warn({ dir: config.meta.dir }, "removed from the cluster: wiping meta dir");
            await service.raft.shutdown();
            await wipeMetaDir(config.meta.dir);
            const fresh = await openReplica(config, liveTransport, logger);
            service.replace(fresh);
            trackIdentity(fresh);
            return config.meta.dir;
          })().finally(() => (wiping = null))),
      }),
    });
    const metaBind = splitHostPort(config.meta["http-bind-address"]);
    await metaHttp.listen(metaBind.host, metaBind.port);
    servers.push(metaHttp);

    if (config.admin_cluster.enabled) {
      const adminHttp = new HttpService({
        name: "admin service",
        maxBodyBytes: 1024 * 1024,
        logger: logger.child({ module: "admin-http" }),
        tls: security.adminTls,
        guard: security.adminGuard,
        routes: adminRoutes(admin),
      });
      const adminBind = splitHostPort(config.admin_cluster["bind-address"]);
      await adminHttp.listen(adminBind.host, adminBind.port);
      servers.push(adminHttp);
    }
    logger.info(
      {
        httpAddr,
        raftAddr,
        dir: config.meta.dir,
        version: VERSION,
        state: service.state(),
        https: { meta: Boolean(security.metaTls), admin: Boolean(security.adminTls) },
        raftTls: Boolean(security.raftTls),
        authEnabled: config.meta["auth-enabled"],
      },
      "influxd started",
    );
    if (opts.join.length > 0) void joinCluster(service, opts.join, logger, security.peers);
  } catch (err) {
    logger.error({ err }, "start-up failed");
    process.stderr.write(`influxd: ${(err as Error).message}\n`);
    gossip?.stop();
    await Promise.allSettled([...servers.map((s) => s.close(0)), meta?.raft.shutdown(), transport?.close()]);
    return 1;
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, "shutting down");
      const hardStop = setTimeout(() => {
        logger.error("shutdown did not finish in time; exiting");
        resolve(1);
      }, SHUTDOWN_GRACE_MS + 2_000);
      hardStop.unref();
      void (async () => {
        gossip?.stop();
        await Promise.allSettled(servers.map((s) => s.close(SHUTDOWN_GRACE_MS)));
        await Promise.allSettled([meta!.raft.shutdown()]);
        await transport!.close();
        clearTimeout(hardStop);
        logger.info("stopped");
        resolve(0);
      })();
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
}

/**
 * Whether the cluster no longer lists this node, asked of the other members (a node removed while
 * it was away never hears of its own removal). Only a leader's answer counts.
 */
async function confirmRemoved(service: MetaService, peers: PeerAccess): Promise<boolean> {
  const others = service.data().metaNodes.filter((n) => n.addr !== service.httpAddr);
  const answers = await Promise.all(
    others.map((n) =>
      requestJson<StatusJson>(peerUrl(peers, n.addr, "/status"), {
        timeoutMs: 2_000,
        ...peerOptions(peers),
      }).catch(() => null),
    ),
  );
  const leader = answers.find((s) => s?.raft.state === "leader");
  if (!leader) return false;
  return !leader.peers.includes(service.raftAddr);
}

/** `-join`: asks the listed members to add this node, retrying until one accepts. */
async function joinCluster(
  service: MetaService,
  via: string[],
  logger: Logger,
  peers: PeerAccess,
): Promise<void> {
  if (service.state() !== "unbootstrapped") {
    logger.info("already a member of a cluster: -join ignored");
    return;
  }
  const client = new MetaClient({ servers: via, timeoutMs: 5_000, access: peers });
  for (let attempt = 1; service.state() === "unbootstrapped"; attempt++) {
    try {
      const node = await client.join({
        addr: service.httpAddr,
        raftAddr: service.raftAddr,
        serverId: service.status().serverId,
      });
      logger.info({ id: node.id, via }, "joined the cluster");
      return;
    } catch (err) {
      logger.warn({ err: (err as Error).message, attempt, via }, "join failed; retrying");
      await new Promise((r) => setTimeout(r, Math.min(5_000, 250 * attempt)));
    }
  }
}
