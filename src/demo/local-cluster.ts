/**
 * A cluster of real `influxd` processes on loopback, in one directory: what `influx-cluster demo`,
 * `npm run screenshots`, the multi-process tests and the benchmarks all start. Each node gets free
 * ports, its own meta dir and log file; the cluster is formed the way an operator would do it
 * (`add-meta` on the first node bootstraps it, then `add-meta` of each other node). With `auth`
 * and `tls` it runs the way a secured cluster does: JWT secrets in files, HTTPS on both services
 * and mutual TLS on Raft with certificates from a CA made for it.
 */

import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { AdminClient } from "../client/admin-client.ts";
import { internalAuthorization } from "../server/auth.ts";
import { peerOptions, peerUrl, request, type PeerAccess } from "../util/http-client.ts";
import { signJwt } from "../util/jwt.ts";
import { generateDevCertificates } from "./dev-certs.ts";

export interface LocalNode {
  name: string;
  httpAddr: string;
  raftAddr: string;
  adminAddr: string;
  dir: string;
  configFile: string;
  logFile: string;
  pid: number | undefined;
}

export interface LocalClusterOptions {
  size?: number;
  /** Where node directories go; default a new temporary directory, removed by stop(). */
  baseDir?: string;
  /** Form the cluster (default true); false leaves every node blank. */
  form?: boolean;
  /** Run the admin service (default true); false writes `[admin_cluster] enabled = false`, a meta
   *  tier managed through its meta API only (form it with `form: false` and influxd-ctl on 8091). */
  adminService?: boolean;
  /** Extra [meta] settings written into every node's config, e.g. { "election-timeout": "1s" }. */
  meta?: Record<string, string | number | boolean>;
  /** Extra environment for every node. */
  env?: Record<string, string>;
  /** Give node i its own loopback address 127.0.0.(i+1) (default: all on 127.0.0.1), so that
   *  per-link firewall rules can tell nodes apart (the fault-injection suite). */
  distinctHosts?: boolean;
  /** Extra Node.js flags for every node (e.g. --cpu-prof when profiling a benchmark). */
  nodeArgs?: string[];
  /** `[meta] auth-enabled`: random secrets are written to files (mode 0600) in the cluster dir
   *  and named by every node's config (`shared-secret-file`, `internal-shared-secret-file`). */
  auth?: boolean;
  /** HTTPS on the meta and admin services and mutual TLS on Raft, with a CA and a node
   *  certificate that `openssl` generates in the cluster dir. */
  tls?: boolean;
  /** Aborting it stops a start-up under way (the demo's Ctrl-C): start() stops what it started
   *  and rejects within one poll of waitFor. */
  signal?: AbortSignal;
}

/** Where a secured LocalCluster keeps its secrets and certificates (all in the cluster dir). */
export interface LocalClusterSecurity {
  sharedSecretFile?: string;
  internalSecretFile?: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

// This module runs from src/daemon (tsx) or from a dist/ chunk (bundled): find the executable from either.
const BIN = ["../../bin/influx-cluster.js", "../bin/influx-cluster.js"]
  .map((rel) => fileURLToPath(new URL(rel, import.meta.url)))
  .find((path) => existsSync(path)) as string;
const DEFAULT_HOST = "127.0.0.1";

/** Ports the kernel says are free now (bound to port 0, then released). */
async function freePorts(host: string, count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import("node:net").Server>((resolve, reject) => {
          const s = createServer();
          s.once("error", reject);
          s.listen(0, host, () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function tomlValue(v: string | number | boolean): string {
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}

/** Loopback addresses the generated certificate covers (distinctHosts gives node i 127.0.0.(i+1)). */
const CERTIFIED_HOSTS = 32;

export class LocalCluster {
  readonly nodes: LocalNode[] = [];
  readonly security: LocalClusterSecurity = {};
  private readonly procs = new Map<number, ChildProcess>();
  private stopped = false;

  private constructor(
    readonly baseDir: string,
    private readonly ownsDir: boolean,
    private readonly opts: LocalClusterOptions,
  ) {
    if (opts.auth) {
      const dir = join(baseDir, "secrets");
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      for (const name of ["shared", "internal"] as const) {
        const file = join(dir, `${name}-secret`);
        writeFileSync(file, randomBytes(32).toString("base64url") + "\n", { mode: 0o600 });
        this.security[name === "shared" ? "sharedSecretFile" : "internalSecretFile"] = file;
      }
    }
    if (opts.tls) {
      const ips = opts.distinctHosts
        ? Array.from({ length: CERTIFIED_HOSTS }, (_, i) => `127.0.0.${i + 1}`)
        : [DEFAULT_HOST];
      Object.assign(this.security, generateDevCertificates(join(baseDir, "tls"), ips));
    }
  }

  private secret(file: string | undefined): string {
    if (!file) throw new Error("this cluster was started without auth");
    return readFileSync(file, "utf8").trim();
  }

  /** The shared secret operators' tools sign their tokens with (throws without auth). */
  get sharedSecret(): string {
    return this.secret(this.security.sharedSecretFile);
  }

  /** The node-to-node secret (throws without auth). */
  get internalSecret(): string {
    return this.secret(this.security.internalSecretFile);
  }

  /**
   * How a client reaches the meta services: https with the cluster's CA when `tls`, and with
   * `auth` a fresh token per request signed with the shared secret (an operator's tool) or,
   * `as: "internal"`, with the internal secret (what a node sends; needed for /execute).
   */
  access(as: "operator" | "internal" = "operator"): PeerAccess {
    const { caFile, sharedSecretFile, internalSecretFile } = this.security;
    const access: PeerAccess = caFile
      ? { scheme: "https", tls: { rejectUnauthorized: true, ca: readFileSync(caFile) } }
      : { scheme: "http" };
    if (sharedSecretFile && internalSecretFile) {
      const secret = as === "internal" ? this.internalSecret : this.sharedSecret;
      access.headers =
        as === "internal"
          ? () => ({ authorization: internalAuthorization(secret, "local-cluster") })
          : () => ({ authorization: "Bearer " + signJwt({ username: "local-cluster" }, secret, 60) });
    }
    return access;
  }

  private ping(httpAddr: string) {
    const access = this.access();
    return request(peerUrl(access, httpAddr, "/ping"), { timeoutMs: 500, ...peerOptions(access, false) });
  }

  static async start(opts: LocalClusterOptions = {}): Promise<LocalCluster> {
    const ownsDir = !opts.baseDir;
    const baseDir = opts.baseDir ?? mkdtempSync(join(tmpdir(), "influx-cluster-"));
    const cluster = new LocalCluster(baseDir, ownsDir, opts);
    try {
      for (let i = 0; i < (opts.size ?? 3); i++) await cluster.addNode();
      if (opts.form ?? true) await cluster.form();
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** Starts one more node, blank or asking the members at `join` to add it (`influxd -join`);
   *  returns its index. */
  async addNode(opts: { join?: string[] } = {}): Promise<number> {
    const index = this.nodes.length;
    const name = `node${index + 1}`;
    const host = this.opts.distinctHosts ? `127.0.0.${index + 1}` : DEFAULT_HOST;
    const [raft, http, admin] = await freePorts(host, 3);
    const dir = join(this.baseDir, name);
    mkdirSync(dir, { recursive: true });
    const configFile = join(dir, "influxdb-meta.conf");
    const sec = this.security;
    const meta = {
      dir: join(dir, "meta"),
      "bind-address": `${host}:${raft}`,
      "http-bind-address": `${host}:${http}`,
      ...(sec.caFile && {
        "https-enabled": true,
        "https-certificate": sec.certFile,
        "https-private-key": sec.keyFile,
        "https-ca": sec.caFile,
      }),
      ...(sec.sharedSecretFile && {
        "auth-enabled": true,
        "shared-secret-file": sec.sharedSecretFile,
        "internal-shared-secret-file": sec.internalSecretFile,
      }),
      ...this.opts.meta,
    };
    writeFileSync(
      configFile,
      [
        `hostname = "${host}"`,
        "[meta]",
        ...Object.entries(meta).map(([k, v]) => `  ${k} = ${tomlValue(v)}`),
        "[admin_cluster]",
        ...(this.opts.adminService === false ? ["  enabled = false"] : []),
        `  bind-address = "${host}:${admin}"`,
        ...(sec.caFile ? ["  https-enabled = true"] : []),
        "",
      ].join("\n"),
    );
    const node: LocalNode = {
      name,
      httpAddr: `${host}:${http}`,
      raftAddr: `${host}:${raft}`,
      adminAddr: `${host}:${admin}`,
      dir,
      configFile,
      logFile: join(dir, "influxd.log"),
      pid: undefined,
    };
    this.nodes.push(node);
    await this.spawn(index, opts.join?.length ? ["-join", opts.join.join(",")] : []);
    return index;
  }

  private async spawn(index: number, influxdArgs: string[] = [], nodeArgs: string[] = []): Promise<void> {
    const node = this.nodes[index];
    const log = openSync(node.logFile, "a");
    const child = spawn(
      process.execPath,
      [
        ...(this.opts.nodeArgs ?? []),
        ...nodeArgs,
        BIN,
        "influxd",
        "-config",
        node.configFile,
        ...influxdArgs,
      ],
      {
        stdio: ["ignore", log, log],
        env: { ...process.env, ...this.opts.env },
      },
    );
    closeSync(log);
    node.pid = child.pid;
    this.procs.set(index, child);
    child.once("exit", () => {
      if (this.procs.get(index) === child) this.procs.delete(index);
    });
    await this.waitFor(`${node.name} to serve /ping`, async () => {
      if (child.exitCode !== null)
        throw new Error(`${node.name} exited with code ${child.exitCode}; see ${node.logFile}`);
      const res = await this.ping(node.httpAddr).catch(() => null);
      return res !== null && res.status === 200;
    });
  }

  admin(index: number, timeoutMs = 10_000): AdminClient {
    const access = this.access();
    return new AdminClient({
      bind: this.nodes[index].adminAddr,
      timeoutMs,
      tls: access.tls,
      headers: access.headers,
    });
  }

  /** Bootstraps node 1 on itself, then adds every other node through it. */
  async form(): Promise<void> {
    await this.admin(0).addMeta(this.nodes[0].httpAddr);
    for (let i = 1; i < this.nodes.length; i++) await this.admin(0).addMeta(this.nodes[i].httpAddr);
    await this.waitFor("every node to be a voter with a leader", async () => {
      const show = await this.admin(0)
        .show()
        .catch(() => null);
      return (
        show !== null &&
        show.leader !== null &&
        show.meta.length === this.nodes.length &&
        show.meta.every((m) => m.suffrage === "voter" && m.reachable)
      );
    });
  }

  /** Index of the node whose Raft address is the leader's, per any reachable node. */
  async leaderIndex(): Promise<number> {
    let found = -1;
    await this.waitFor("a leader", async () => {
      for (const [i, node] of this.nodes.entries()) {
        if (!this.procs.has(i)) continue;
        const res = await this.ping(node.httpAddr).catch(() => null);
        const leader = res?.status === 200 ? res.body.toString() : "";
        found = this.nodes.findIndex((n) => n.raftAddr === leader);
        if (found !== -1 && this.procs.has(found)) return true;
      }
      return false;
    });
    return found;
  }

  isRunning(index: number): boolean {
    return this.procs.has(index);
  }

  /** Sends a signal (default SIGKILL) and waits for the process to exit (not for SIGSTOP). */
  async kill(index: number, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const child = this.procs.get(index);
    if (!child) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    if (signal !== "SIGSTOP" && signal !== "SIGCONT") await exited;
  }

  /** Starts a stopped node again with its existing meta dir (`nodeArgs`: extra arguments to node
   *  for this start only, e.g. a profiler's). */
  async restart(index: number, nodeArgs: string[] = []): Promise<void> {
    if (this.procs.has(index)) await this.kill(index, "SIGTERM");
    await this.spawn(index, [], nodeArgs);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(
      [...this.procs.entries()].map(async ([i, child]) => {
        child.kill("SIGCONT");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await this.kill(i, "SIGTERM");
        clearTimeout(timer);
      }),
    );
    if (this.ownsDir) rmSync(this.baseDir, { recursive: true, force: true });
  }

  /** Polls `check` every 50 ms until it returns true; fails after `timeoutMs`. */
  async waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      this.opts.signal?.throwIfAborted();
      try {
        if (await check()) return;
      } catch (err) {
        lastError = err;
        if ((err as Error).message.includes("exited with code")) throw err;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(
      `timed out waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ""}`,
    );
  }
}

export function startLocalCluster(opts: LocalClusterOptions = {}): Promise<LocalCluster> {
  return LocalCluster.start(opts);
}
