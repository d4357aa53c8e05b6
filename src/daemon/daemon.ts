/**
 * `influxd run`: opens the meta dir, starts Raft (TCP on [meta] bind-address), the meta service
 * (HTTP on [meta] http-bind-address) and the admin service ([admin_cluster] bind-address), joins
 * a cluster when asked, and shuts down cleanly on SIGINT/SIGTERM within a bounded time.
 */

import { mkdir, access, constants } from "node:fs/promises";
import { AdminService } from "../cluster/admin-service.ts";
import { OperationError } from "../cluster/errors.ts";
import { probeMetaNode, requireOurMetaNode } from "../cluster/identify.ts";
import { adminRoutes } from "../server/admin-routes.ts";
import { MetaClient } from "../meta/client.ts";
import { Announcements, registeredIn } from "../meta/enterprise/announcements.ts";
import { Gossip } from "../meta/enterprise/gossip.ts";
import { Leases } from "../meta/enterprise/leases.ts";
import { enterpriseRoutes } from "../server/enterprise-routes.ts";
import { metaRoutes } from "../server/meta-routes.ts";
import type { MetaService } from "../meta/service.ts";
import { TcpTransport } from "../raft/transport.ts";
import type { PeerAccess } from "../util/http-client.ts";
import { HttpService } from "../server/http-server.ts";
import { VERSION } from "../version.ts";
import { StorageCorruptionError } from "../raft/storage/corruption.ts";
import { advertised, splitHostPort, type Config } from "./config.ts";
import { MetaDirLock } from "./dir-lock.ts";
import { watchMetaDir, type DirWatch } from "./dir-watch.ts";
import { createLogger, type Logger } from "./logger.ts";
import { NodeLifecycle } from "./node-lifecycle.ts";
import { loadSecurity } from "./security.ts";

const SHUTDOWN_GRACE_MS = 5_000;
/** What to do about a damaged meta dir (docs/operations.md, "A damaged meta dir"). */
const CORRUPTION_RECOVERY =
  "the meta dir is damaged and this node will not start on it. Recovery: if the other meta nodes " +
  "still have a quorum, remove this node (influxd-ctl remove-meta -force), wipe its meta dir and add " +
  "it again; if this node is needed for a quorum, restore the survivors with peers.json " +
  '(docs/operations.md, "Losing quorum")';

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

export interface DaemonOptions {
  join: string[];
}

export async function runDaemon(config: Config, opts: DaemonOptions): Promise<number> {
  const logger = createLogger(config.logging.level);
  const raftAddr = advertised(config.meta["bind-address"], config.hostname);
  const httpAddr = advertised(config.meta["http-bind-address"], config.hostname);
  const adminAddr = config.admin_cluster.enabled
    ? advertised(config.admin_cluster["bind-address"], config.hostname)
    : "";
  const servers: HttpService[] = [];
  let transport: TcpTransport | undefined;
  /** `-join` under way: resolves to a refusal when a listed node cannot be joined. */
  let joining: Promise<string | null> = Promise.resolve(null);
  let node: NodeLifecycle | undefined;
  let lock: MetaDirLock | undefined;
  let watch: DirWatch | undefined;
  let gossip: Gossip | undefined;
  try {
    // User credentials are checked against the meta store's users (once it is open).
    const security = loadSecurity(config, httpAddr, logger, () => node?.meta.data().users ?? []);
    await prepareMetaDir(config.meta.dir);
    lock = await MetaDirLock.acquire(config.meta.dir);
    if (lock.staleOwner !== null)
      logger.warn(
        { dir: config.meta.dir, pid: lock.staleOwner },
        "took over the lock of a process that is gone",
      );
    const raftBind = splitHostPort(config.meta["bind-address"]);
    transport = await TcpTransport.listen({
      bindHost: raftBind.host,
      port: raftBind.port,
      advertiseAddress: raftAddr,
      tls: security.raftTls,
      logger: logger.child({ module: "transport" }),
    });
    node = await NodeLifecycle.open(
      config,
      transport,
      { httpAddr, raftAddr, adminAddr },
      security.peers,
      lock,
      logger,
    );
    const service = node.meta;
    watch = watchMetaDir(lock, (reason) => {
      logger.error(
        { dir: config.meta.dir },
        `${reason}: Raft stopped, this node serves no writes until restarted`,
      );
      void service.storageFailed(reason);
    });
    // The admin service's operations also serve the Enterprise routes of 8091, so it exists
    // even when its own listener (8084) is disabled.
    const announcements = new Announcements(
      config.meta["announcement-expiration"],
      raftAddr,
      registeredIn(() => service.data()),
    );
    const admin = new AdminService(service, node, {
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
        node,
        enterprise: enterpriseRoutes({
          service,
          admin,
          leases: new Leases(config.meta["lease-duration"]),
          announcements,
          peers: security.peers,
        }),
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
    if (opts.join.length > 0) joining = joinCluster(service, opts.join, logger, security.peers);
  } catch (err) {
    logger.error({ err }, "start-up failed");
    process.stderr.write(`influxd: ${(err as Error).message}\n`);
    if (err instanceof StorageCorruptionError) process.stderr.write(`influxd: ${CORRUPTION_RECOVERY}\n`);
    watch?.stop();
    gossip?.stop();
    await Promise.allSettled([...servers.map((s) => s.close(0)), node?.shutdown(), transport?.close()]);
    await lock?.release();
    return 1;
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string, code = 0) => {
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
        watch!.stop();
        await Promise.allSettled([node!.shutdown()]);
        await transport!.close();
        await lock!.release();
        clearTimeout(hardStop);
        logger.info("stopped");
        resolve(code);
      })();
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
    // A -join that can never succeed (a Go meta node) ends the process with its one-line reason.
    void joining.then((refusal) => {
      if (!refusal) return;
      process.stderr.write(`influxd: ${refusal}\n`);
      stop("join refused", 1);
    });
  });
}

/**
 * `-join`: asks the listed members to add this node, retrying until one accepts. Each listed node
 * is identified first (GET /status): a Go or Enterprise meta node, or anything not a meta node of
 * ours, is a refusal returned at once, and nothing is sent to it that could make it add us.
 */
async function joinCluster(
  service: MetaService,
  via: string[],
  logger: Logger,
  peers: PeerAccess,
): Promise<string | null> {
  if (service.state() !== "unbootstrapped") {
    logger.info("already a member of a cluster: -join ignored");
    return null;
  }
  const client = new MetaClient({ servers: via, timeoutMs: 5_000, access: peers });
  for (let attempt = 1; service.state() === "unbootstrapped"; attempt++) {
    try {
      const identities = await Promise.all(via.map((addr) => probeMetaNode(addr, peers, 5_000)));
      identities.forEach((id, i) => id && requireOurMetaNode(via[i], id));
      if (identities.some((id) => id !== null)) {
        const node = await client.join({
          addr: service.httpAddr,
          raftAddr: service.raftAddr,
          serverId: service.status().serverId,
        });
        logger.info({ id: node.id, via }, "joined the cluster");
        return null;
      }
      logger.warn({ attempt, via }, "join failed: no listed meta node answered; retrying");
    } catch (err) {
      if (err instanceof OperationError) {
        logger.error({ err: err.message, code: err.code, via }, "join refused");
        return err.message;
      }
      logger.warn({ err: (err as Error).message, attempt, via }, "join failed; retrying");
    }
    await new Promise((r) => setTimeout(r, Math.min(5_000, 250 * attempt)));
  }
  return null;
}
