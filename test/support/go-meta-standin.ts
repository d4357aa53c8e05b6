/**
 * A stand-in for a cluster of Go meta nodes (chengshiwen/influxdb-cluster v1.8.11-c1.2.0, whose
 * 8091 API is InfluxDB Enterprise's), for testing clients that talk to such a cluster directly.
 * Every meta node is a real HTTP server on loopback and answers as the Go handler does, per the
 * facts observed on the wire: `/status` without Raft fields, `/show-cluster`'s shape (null arrays
 * without a leader), 307 from a follower on leader-only POSTs, 204 with an empty body for the
 * removals, `404 page not found` as text for unknown paths, the X-Influxdb-* headers, and the
 * `/join` and `/leave` flows that call other nodes over HTTP. Raft itself is not simulated: the
 * nodes share one membership list and one leader, elected among the live members when it dies.
 * Data nodes are HTTP servers answering `/ping` like an InfluxDB data node; the meta-to-data RPC
 * is represented by whether that data node is alive.
 *
 * Its metadata is also served as Go's `meta.Data`, protobuf (`GET /?index=N`, a long poll that
 * answers once the index exceeds N and, as Go's serveSnapshot, never before: no timeout), with
 * databases, users and continuous queries beside the nodes, at an index that starts where the
 * test says (`startIndex`, e.g. 40+: a cluster that has lived). `POST /execute` applies the few
 * commands a data node sends (databases, users, data node records), and the meta-node entry
 * commands migrate-meta's handover sends, on the leader (307 from a
 * follower) and answers Go's Response: `OK` always false, the new `Index`.
 */

import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import {
  decodeCommand,
  encodeData,
  encodeResponse,
  type DatabaseInfo,
  type MetaCommand,
  type MetaData,
  type NodeInfo,
  type UserInfo,
} from "../../src/proto/index.ts";
import { parseDuration } from "../../src/util/duration.ts";
import { verifyJwt } from "../../src/util/jwt.ts";
import { errorText, request } from "../../src/util/http-client.ts";

export const GO_VERSION = "1.8.11-c1.2.0";
const ZERO_TIME = "0001-01-01T00:00:00Z";
const DAY_MS = 86_400_000;

/** Go's time format for a whole second (no fraction), as the Go meta node prints it. */
function goSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

/**
 * A shard group that holds "now" with days to spare on both sides, computed from the clock so
 * that it stays current (and truncate-shards applies to it) whatever day the suite runs.
 */
function currentGroup(now = Date.now()): { start: string; end: string } {
  const start = (Math.floor(now / DAY_MS) - 3) * DAY_MS;
  return { start: goSeconds(start), end: goSeconds(start + 7 * DAY_MS) };
}

interface Member {
  id: number;
  httpAddr: string;
  raftAddr: string;
}

interface DataRecord {
  id: number;
  tcpAddr: string;
  httpAddr: string;
}

export interface StandinShard {
  id: number;
  database: string;
  rp: string;
  replicaN: number;
  groupId: number;
  start: string;
  end: string;
  expire: string;
  truncatedAt: string;
  /** Data node IDs. */
  owners: number[];
}

export interface LoggedRequest {
  /** HTTP address of the node that received it. */
  node: string;
  method: string;
  path: string;
  form: Record<string, string>;
  status: number;
}

class HttpNode {
  httpAddr = "";
  alive = false;
  private server: http.Server;
  private sockets = new Set<Socket>();

  constructor(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
    this.server = http.createServer(handler);
    this.server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
  }

  async listen(port = 0): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(port, "127.0.0.1", resolve));
    this.httpAddr = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.alive = true;
  }

  /** Like a killed process: the port refuses connections from now on. */
  async kill(): Promise<void> {
    this.alive = false;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export class GoMetaNode extends HttpNode {
  raftAddr = "";
  /** Not part of any cluster (never bootstrapped, or wiped by /leave). */
  blank = true;
}

export class GoDataNode extends HttpNode {
  /** Its RPC address (8088 in production); never dialled by this stand-in. */
  tcpAddr = "";
}

function readForm(req: http.IncomingMessage): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", reject);
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      const form = Object.fromEntries(url.searchParams);
      for (const [k, v] of new URLSearchParams(Buffer.concat(chunks).toString("utf8"))) form[k] = v;
      resolve(form);
    });
  });
}

class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown = undefined,
    readonly location?: string,
  ) {}
}

const fail = (status: number, message: string) => new Reply(status, { error: message });

export interface StandinOptions {
  /** Meta nodes forming the cluster (the first leads). */
  meta: number;
  /** Further meta nodes, running and blank. */
  blank?: number;
  /** Data node servers; `registered` of them are in the metadata already. */
  data?: number;
  registered?: number;
  /** `auth-enabled` with this admin user: every handled path, /ping included, wants basic
   *  credentials (or `?u=&p=`), as Go's handler chain does. */
  auth?: { user: string; password: string };
  /** The metadata index it starts at (default 1). */
  startIndex?: number;
  /** `meta-auth-enabled` with this internal shared secret: every handled path wants a JWT signed
   *  with it (instead of `auth`'s user credentials). */
  internalSecret?: string;
}

/** The paths Go's handler serves (others are http.NotFound, outside the auth chain). */
const HANDLED = new Set([
  "GET /",
  "POST /execute",
  "GET /ping",
  "GET /status",
  "GET /show-cluster",
  "GET /show-shards",
  "POST /join",
  "POST /leave",
  "POST /remove",
  "POST /add-data",
  "POST /remove-data",
  "POST /update-data",
  "POST /copy-shard",
  "POST /remove-shard",
  "POST /truncate-shards",
]);

export class GoMetaCluster {
  readonly nodes: GoMetaNode[] = [];
  readonly dataNodes: GoDataNode[] = [];
  readonly log: LoggedRequest[] = [];
  members: Member[] = [];
  dataRecords: DataRecord[] = [];
  shards: StandinShard[] = [];
  leader: GoMetaNode | null = null;
  auth: StandinOptions["auth"];
  internalSecret: string | undefined;
  /** Databases (with policies, shard groups, CQs) and users of its `Data`. */
  databases: DatabaseInfo[] = [];
  users: UserInfo[] = [];
  clusterId = 0x1234_5678_9abc_def0n;
  /** `Data.MetaNodes` once a CreateMetaNode/DeleteMetaNode command sent to /execute made it
   *  differ from the Raft membership (Go's FSM edits the entries only, not the Raft peers:
   *  services/meta/store_fsm.go applyCreateMetaNodeCommand, applyDeleteMetaNodeCommand). */
  private metaEntries: NodeInfo[] | null = null;
  /** Called with each command /execute is about to apply (a test commits a concurrent change). */
  beforeExecute?: (cmd: MetaCommand) => void;
  private nextId = 1;
  private index = 1;
  private requestIds = 0;
  private readonly waiters = new Set<() => void>();

  /** The metadata index (what `GET /?index=` compares and Influxdb-Metaindex reports). */
  get metaIndex(): number {
    return this.index;
  }

  static async start(opts: StandinOptions): Promise<GoMetaCluster> {
    const c = new GoMetaCluster();
    c.auth = opts.auth;
    c.index = opts.startIndex ?? 1;
    c.internalSecret = opts.internalSecret;
    const metaCount = opts.meta + (opts.blank ?? 0);
    for (let i = 0; i < metaCount; i++) {
      const node: GoMetaNode = new GoMetaNode((req, res) => void c.serve(node, req, res));
      await node.listen();
      node.raftAddr = `127.0.0.1:${18089 + i}`;
      c.nodes.push(node);
    }
    for (let i = 0; i < (opts.data ?? 0); i++) {
      const node = new GoDataNode((req, res) => {
        // An InfluxDB data node's HTTP API: /ping is 204 with its version.
        res.setHeader("X-Influxdb-Version", GO_VERSION);
        res.setHeader("X-Influxdb-Build", "ENT");
        if (req.url?.startsWith("/ping")) res.writeHead(204).end();
        else res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("404 page not found\n");
      });
      await node.listen();
      node.tcpAddr = `127.0.0.1:${28088 + i}`;
      c.dataNodes.push(node);
    }
    for (const node of c.nodes.slice(0, opts.meta)) c.addMember(node);
    c.leader = opts.meta > 0 ? c.nodes[0] : null;
    for (const d of c.dataNodes.slice(0, opts.registered ?? 0)) c.registerData(d);
    return c;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.nodes, ...this.dataNodes].filter((n) => n.alive).map((n) => n.kill()));
  }

  /** One committed change: the index moves and every long poll answers. */
  private bump(): void {
    this.index++;
    for (const wake of [...this.waiters]) wake();
  }

  /** A change committed on this tier (as a data node's command would): `change` edits the
   *  databases or users, then the index moves. */
  commit(change: (c: GoMetaCluster) => void): number {
    change(this);
    this.bump();
    return this.index;
  }

  /** Registers a data node record (as a data node's CreateDataNodeCommand does). */
  registerDataNode(tcpAddr: string, httpAddr: string): number {
    const existing = this.dataRecords.find((d) => d.tcpAddr === tcpAddr);
    if (existing) return existing.id;
    const rec = { id: this.nextId++, tcpAddr, httpAddr };
    this.dataRecords.push(rec);
    this.bump();
    return rec.id;
  }

  /** Its metadata as Go's `meta.Data`. */
  data(): MetaData {
    let maxShardGroupId = 0;
    let maxShardId = 0;
    for (const db of this.databases)
      for (const rp of db.retentionPolicies)
        for (const g of rp.shardGroups) {
          maxShardGroupId = Math.max(maxShardGroupId, g.id);
          for (const sh of g.shards) maxShardId = Math.max(maxShardId, sh.id);
        }
    return {
      term: 2,
      index: this.index,
      clusterId: this.clusterId,
      metaNodes: structuredClone(this.metaNodeEntries()),
      dataNodes: this.dataRecords.map((d) => ({ id: d.id, addr: d.httpAddr, tcpAddr: d.tcpAddr })),
      databases: structuredClone(this.databases),
      users: structuredClone(this.users),
      maxNodeId: this.nextId - 1,
      maxShardGroupId,
      maxShardId,
    };
  }

  private metaNodeEntries(): NodeInfo[] {
    return this.metaEntries ?? this.members.map((m) => ({ id: m.id, addr: m.httpAddr, tcpAddr: m.raftAddr }));
  }

  /** Go's serveSnapshot: waits, without a timeout, until the index exceeds `index`. */
  private afterIndex(index: number, res: http.ServerResponse): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.index > index) return resolve(true);
      const wake = () => {
        if (this.index <= index) return;
        this.waiters.delete(wake);
        resolve(true);
      };
      this.waiters.add(wake);
      res.once("close", () => {
        this.waiters.delete(wake);
        resolve(false);
      });
    });
  }

  /** The commands a data node (or the handover) sends; an FSM error is Response.Error, as in Go. */
  private apply(cmd: MetaCommand): string | undefined {
    switch (cmd.type) {
      case "CreateDatabaseCommand":
        if (!this.databases.some((d) => d.name === cmd.name))
          this.databases.push({
            name: cmd.name,
            defaultRetentionPolicy: cmd.retentionPolicy?.name ?? "autogen",
            retentionPolicies: [
              cmd.retentionPolicy ?? {
                name: "autogen",
                duration: 0n,
                shardGroupDuration: 7n * 86_400_000_000_000n,
                replicaN: 1,
                shardGroups: [],
                subscriptions: [],
              },
            ],
            continuousQueries: [],
          });
        break;
      case "DropDatabaseCommand":
        this.databases = this.databases.filter((d) => d.name !== cmd.name);
        break;
      case "CreateUserCommand":
        if (this.users.some((u) => u.name === cmd.name)) return "user already exists";
        this.users.push({ name: cmd.name, hash: cmd.hash, admin: cmd.admin, privileges: [] });
        break;
      case "CreateMetaNodeCommand": {
        // Data.CreateMetaNode (services/meta/data.go): an address already listed is refused; the
        // ID is a data node's with the same TCP address, else MaxNodeID+1; entries sorted by ID.
        const entries = this.metaNodeEntries();
        if (entries.some((n) => n.addr === cmd.httpAddr)) return "node already exists";
        const id = this.dataRecords.find((d) => d.tcpAddr === cmd.tcpAddr)?.id ?? this.nextId++;
        this.metaEntries = [...entries, { id, addr: cmd.httpAddr, tcpAddr: cmd.tcpAddr }].sort(
          (a, b) => a.id - b.id,
        );
        break;
      }
      case "DeleteMetaNodeCommand": {
        const entries = this.metaNodeEntries();
        if (!entries.some((n) => n.id === cmd.id)) return "node not found";
        this.metaEntries = entries.filter((n) => n.id !== cmd.id);
        break;
      }
      case "CreateDataNodeCommand":
        if (this.dataRecords.some((d) => d.tcpAddr === cmd.tcpAddr)) return "node already exists";
        this.dataRecords.push({ id: this.nextId++, tcpAddr: cmd.tcpAddr, httpAddr: cmd.httpAddr });
        break;
      default:
        return `stand-in: ${cmd.type} is not simulated`;
    }
    return undefined;
  }

  private async serveMetaData(
    node: GoMetaNode,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
  ): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const refusal = this.refuse(req, url);
    const headers = { "X-Influxdb-Version": GO_VERSION, "Content-Type": "application/octet-stream" };
    if (refusal) {
      res.writeHead(401, headers).end(JSON.stringify(refusal.body));
      return;
    }
    if (url.pathname === "/") {
      const index = Number(url.searchParams.get("index") ?? "0");
      if (!(await this.afterIndex(index, res))) return;
      res
        .writeHead(200, { ...headers, "Influxdb-Metaindex": String(this.index) })
        .end(encodeData(this.data()));
      return;
    }
    if (this.leader !== node) {
      if (!this.leader || !this.leaderOf(node)) {
        res.writeHead(503, headers).end();
        return;
      }
      res.writeHead(307, { ...headers, location: `http://${this.leader.httpAddr}/execute` }).end();
      return;
    }
    let error: string | undefined;
    try {
      const cmd = decodeCommand(Buffer.concat(chunks));
      this.beforeExecute?.(cmd);
      error = this.apply(cmd);
    } catch (err) {
      res.writeHead(400, headers).end((err as Error).message);
      return;
    }
    this.bump();
    res
      .writeHead(200, { ...headers, "Influxdb-Metaindex": String(this.index) })
      .end(encodeResponse({ ok: false, error, index: this.index }));
  }

  /** Kills a meta node; when it led, the live members elect the one with the lowest ID if they are a quorum. */
  async kill(node: GoMetaNode): Promise<void> {
    await node.kill();
    if (this.leader === node) this.elect();
  }

  member(node: GoMetaNode): Member | undefined {
    return this.members.find((m) => m.raftAddr === node.raftAddr);
  }

  requestsTo(path: string): LoggedRequest[] {
    return this.log.filter((r) => r.path === path);
  }

  addShard(shard: Partial<StandinShard> & { id: number; owners: number[] }): void {
    this.shards.push({
      database: "telegraf",
      rp: "autogen",
      replicaN: 2,
      groupId: shard.id,
      ...currentGroup(),
      expire: ZERO_TIME,
      truncatedAt: ZERO_TIME,
      ...shard,
    });
  }

  private elect(): void {
    const live = this.members.filter((m) => this.nodeOf(m)?.alive);
    const quorum = Math.floor(this.members.length / 2) + 1;
    this.leader = live.length >= quorum ? (this.nodeOf(live.sort((a, b) => a.id - b.id)[0]) ?? null) : null;
  }

  private nodeOf(m: Member): GoMetaNode | undefined {
    return this.nodes.find((n) => n.raftAddr === m.raftAddr);
  }

  private addMember(node: GoMetaNode): Member {
    const existing = this.member(node);
    if (existing) return existing;
    const m = { id: this.nextId++, httpAddr: node.httpAddr, raftAddr: node.raftAddr };
    this.members.push(m);
    node.blank = false;
    this.bump();
    return m;
  }

  /** A member that is no stand-in node: counted in the quorum, never alive. */
  private addStranger(ns: { httpAddr: string; raftAddr: string }): Member {
    const m = { id: this.nextId++, httpAddr: ns.httpAddr, raftAddr: ns.raftAddr };
    this.members.push(m);
    this.index++;
    return m;
  }

  private registerData(d: GoDataNode): DataRecord {
    const rec = { id: this.nextId++, tcpAddr: d.tcpAddr, httpAddr: d.httpAddr };
    this.dataRecords.push(rec);
    this.bump();
    return rec;
  }

  /** The leader's Raft address as `node` sees it: empty on a blank or removed node. */
  private leaderOf(node: GoMetaNode): string {
    return !node.blank && this.member(node) && this.leader ? this.leader.raftAddr : "";
  }

  private dataInfo(d: DataRecord) {
    const server = this.dataNodes.find((n) => n.tcpAddr === d.tcpAddr);
    return {
      id: d.id,
      tcpAddr: d.tcpAddr,
      httpAddr: d.httpAddr,
      httpScheme: "http",
      status: "joined",
      version: server?.alive ? GO_VERSION : "",
    };
  }

  private metaInfo(m: Member) {
    return {
      id: m.id,
      addr: m.httpAddr,
      httpScheme: "http",
      tcpAddr: m.raftAddr,
      version: this.nodeOf(m)?.alive ? GO_VERSION : "",
    };
  }

  /** 307 to the leader's same path, as a follower answers a leader-only request. */
  private toLeader(node: GoMetaNode, path: string): Reply | null {
    if (this.leader === node) return null;
    if (!this.leaderOf(node) || !this.leader) return fail(503, "no leader");
    return new Reply(307, undefined, `http://${this.leader.httpAddr}${path}`);
  }

  private shardJson(s: StandinShard, verbose: boolean) {
    return {
      id: s.id,
      database: s.database,
      "retention-policy": s.rp,
      "replica-n": s.replicaN,
      "shard-group-id": s.groupId,
      "start-time": s.start,
      "end-time": s.end,
      "expire-time": s.expire,
      "truncated-at": s.truncatedAt,
      owners: s.owners.map((id) => {
        const rec = this.dataRecords.find((d) => d.id === id);
        const alive = this.dataNodes.find((n) => n.tcpAddr === rec?.tcpAddr)?.alive ?? false;
        return {
          id,
          tcpAddr: rec?.tcpAddr ?? "",
          state: verbose && alive ? "hot" : "",
          "last-modified": verbose && alive ? "2026-11-29T10:00:00.123456789Z" : ZERO_TIME,
          size: verbose && alive ? 1024 : 0,
          err: verbose && !alive ? "not found" : "",
        };
      }),
    };
  }

  /** What a node sends another (Go signs a JWT with the internal secret; any accepted credential will do here). */
  private internalHeaders(): Record<string, string> | undefined {
    if (!this.auth) return undefined;
    const basic = Buffer.from(`${this.auth.user}:${this.auth.password}`).toString("base64");
    return { authorization: `Basic ${basic}` };
  }

  /** Go's authenticate(): null when the request may pass, else the refusal. */
  private refuse(req: http.IncomingMessage, url: URL): Reply | null {
    if (this.internalSecret && HANDLED.has(`${req.method} ${url.pathname}`)) {
      // meta-auth-enabled: a JWT signed with the internal shared secret (what Go's nodes send).
      const header = req.headers.authorization ?? "";
      if (!header.startsWith("Bearer ")) return fail(401, "unable to parse authentication credentials");
      try {
        verifyJwt(header.slice(7), this.internalSecret);
      } catch {
        return fail(401, "authorization failed");
      }
      return null;
    }
    if (!this.auth || !HANDLED.has(`${req.method} ${url.pathname}`)) return null;
    let user = url.searchParams.get("u");
    let password = url.searchParams.get("p");
    const header = req.headers.authorization ?? "";
    if (header.startsWith("Basic ")) {
      [user, password] = Buffer.from(header.slice(6), "base64").toString("utf8").split(":");
    }
    if (user === null) return fail(401, "unable to parse authentication credentials");
    if (user !== this.auth.user || password !== this.auth.password) return fail(401, "authorization failed");
    return null;
  }

  private async route(
    node: GoMetaNode,
    method: string,
    path: string,
    form: Record<string, string>,
    verbose: boolean,
  ): Promise<Reply | null> {
    const key = `${method} ${path}`;
    switch (key) {
      case "GET /ping":
        return new Reply(200, this.leaderOf(node));
      case "GET /status": {
        const leader = this.leaderOf(node);
        return new Reply(200, {
          nodeType: "meta",
          leader,
          httpAddr: node.httpAddr,
          raftAddr: node.raftAddr,
          peers: leader ? this.members.map((m) => m.raftAddr) : null,
        });
      }
      case "GET /show-cluster": {
        const has = this.leaderOf(node) !== "";
        return new Reply(200, {
          data: has && this.dataRecords.length ? this.dataRecords.map((d) => this.dataInfo(d)) : null,
          meta: has && this.members.length ? this.members.map((m) => this.metaInfo(m)) : null,
        });
      }
      case "GET /show-shards":
        return new Reply(200, this.shards.length ? this.shards.map((s) => this.shardJson(s, verbose)) : null);
      case "POST /join":
        return this.join(node, form);
      case "POST /leave": {
        if (!this.leaderOf(node) || !this.leader) return fail(503, "no leader");
        const res = await request(`http://${this.leader.httpAddr}/remove`, {
          method: "POST",
          form: { httpAddr: node.httpAddr },
          headers: this.internalHeaders(),
          timeoutMs: 2000,
        }).catch((err: Error) => err);
        if (res instanceof Error) return fail(503, res.message);
        if (res.status !== 204) return fail(503, errorText(res));
        node.blank = true; // the Go node resets itself: meta dir wiped, Raft reopened blank
        return new Reply(204);
      }
      case "POST /remove": {
        if (!form.httpAddr) return fail(400, "httpAddr is required");
        const redirect = this.toLeader(node, "/remove");
        if (redirect) return redirect;
        const m = this.members.find((x) => x.httpAddr === form.httpAddr);
        if (!m) return fail(500, `node not found: ${form.httpAddr}`);
        this.members = this.members.filter((x) => x !== m);
        this.bump();
        // Go's /remove ignores force and tcpAddr. A removed leader steps down; the rest elect.
        if (this.leader?.raftAddr === m.raftAddr) this.elect();
        return new Reply(204);
      }
      case "POST /add-data": {
        if (!form.addr) return fail(400, "addr is required");
        if (!this.leaderOf(node))
          return fail(400, "data node failed to contact valid meta server in list []");
        const existing = this.dataRecords.find((d) => d.tcpAddr === form.addr);
        if (existing) return new Reply(200, this.dataInfo(existing));
        const server = this.dataNodes.find((d) => d.tcpAddr === form.addr && d.alive);
        if (!server) return fail(500, `dial tcp ${form.addr}: connect: connection refused`);
        return new Reply(200, this.dataInfo(this.registerData(server)));
      }
      case "POST /remove-data": {
        if (!form.addr) return fail(400, "addr is required");
        const rec = this.dataRecords.find((d) => d.tcpAddr === form.addr);
        if (!rec) return fail(400, `node not found: ${form.addr}`);
        const redirect = this.toLeader(node, "/remove-data");
        if (redirect) return redirect;
        this.dataRecords = this.dataRecords.filter((d) => d !== rec);
        this.bump();
        // As Go: the record is gone before the node is told to leave.
        const server = this.dataNodes.find((d) => d.tcpAddr === rec.tcpAddr);
        if (form.force !== "true" && !server?.alive)
          return fail(500, `dial tcp ${rec.tcpAddr}: connect: connection refused`);
        return new Reply(204);
      }
      case "POST /update-data": {
        const { oldAddr, newAddr } = form;
        if (!oldAddr) return fail(400, "oldAddr is required");
        if (!newAddr) return fail(400, "newAddr is required");
        if (oldAddr === newAddr) return fail(400, "newAddr and oldAddr are the same");
        const rec = this.dataRecords.find((d) => d.tcpAddr === oldAddr);
        if (!rec) return fail(400, `no data node with bind address ${oldAddr} exists`);
        const server = this.dataNodes.find((d) => d.tcpAddr === newAddr && d.alive);
        if (!server)
          return fail(
            500,
            `Get "http://${newAddr}/status": dial tcp ${newAddr}: connect: connection refused`,
          );
        const redirect = this.toLeader(node, "/update-data");
        if (redirect) return redirect;
        rec.tcpAddr = server.tcpAddr;
        rec.httpAddr = server.httpAddr;
        this.bump();
        return new Reply(200, this.dataInfo(rec));
      }
      case "POST /copy-shard":
      case "POST /remove-shard":
        return this.shardChange(node, path, form);
      case "POST /truncate-shards": {
        let delayMs: number;
        try {
          delayMs = parseDuration(form.delay ?? "");
        } catch {
          return fail(400, `time: invalid duration "${form.delay ?? ""}"`);
        }
        const redirect = this.toLeader(node, "/truncate-shards");
        if (redirect) return redirect;
        const at = new Date(Date.now() + delayMs).toISOString();
        for (const s of this.shards) if (s.end > at) s.truncatedAt = at;
        this.bump();
        return new Reply(204);
      }
      default:
        return null;
    }
  }

  private async join(node: GoMetaNode, form: Record<string, string>): Promise<Reply> {
    const addr = form.addr;
    if (!addr) return fail(400, "addr is required");
    const res = await request(`http://${addr}/status`, {
      headers: this.internalHeaders(),
      timeoutMs: 2000,
    }).catch((err: Error) => err);
    if (res instanceof Error)
      return fail(500, `Get "http://${addr}/status": dial tcp ${addr}: connect: connection refused`);
    const ns = JSON.parse(res.body.toString("utf8")) as {
      leader: string;
      httpAddr: string;
      raftAddr: string;
      peers: string[] | null;
    };
    const leader = this.leaderOf(node);
    if (ns.leader !== "" && ns.leader !== leader)
      return fail(
        409,
        `meta node at "${addr}" is a member of another cluster: leader=${ns.leader} peers=[${(ns.peers ?? []).join(" ")}]`,
      );
    if (leader === "") {
      if (!node.blank || this.members.length > 0)
        return fail(
          400,
          `dangled meta node at "${node.httpAddr}" already has state present, cannot add another meta node`,
        );
      this.addMember(node);
      this.leader = node;
    }
    const redirect = this.toLeader(node, "/join");
    if (redirect) return redirect;
    const target = this.nodes.find((n) => n.raftAddr === ns.raftAddr);
    // Go adds whatever blank node answered as a Raft voter, even one that cannot speak its Raft
    // (issue 21: our node was added this way and the Go cluster lost quorum later).
    return new Reply(200, this.metaInfo(target ? this.addMember(target) : this.addStranger(ns)));
  }

  private shardChange(node: GoMetaNode, path: string, form: Record<string, string>): Reply {
    const copy = path === "/copy-shard";
    const { src, dest } = form;
    if (!src) return fail(400, "'src' is a required parameter");
    if (copy && !dest) return fail(400, "'dest' is a required parameter");
    if (copy && dest === src) return fail(400, "dest and src are the same");
    const srcRec = this.dataRecords.find((d) => d.tcpAddr === src);
    if (!srcRec) return fail(400, `unable to find node for "${src}"`);
    const destRec = copy ? this.dataRecords.find((d) => d.tcpAddr === dest) : undefined;
    if (copy && !destRec) return fail(400, `unable to find node for "${dest}"`);
    const id = Number(form.shard);
    if (!/^\d+$/.test(form.shard ?? ""))
      return fail(400, `error converting shard to int: ${form.shard ?? ""}`);
    if (id <= 0) return fail(400, "invalid parameter value for 'shard': shard id must be greater than 0");
    const shard = this.shards.find((s) => s.id === id);
    if (!shard) return fail(400, `shard not found for id: ${id}`);
    if (copy && !shard.owners.includes(srcRec.id))
      return fail(400, `"${src}" is not an owner of shard ${id}`);
    const redirect = this.toLeader(node, path);
    if (redirect) return redirect;
    if (copy && destRec && !shard.owners.includes(destRec.id)) shard.owners.push(destRec.id);
    if (!copy) shard.owners = shard.owners.filter((o) => o !== srcRec.id);
    this.bump();
    return new Reply(204);
  }

  private async serve(node: GoMetaNode, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    const method = req.method ?? "GET";
    if ((method === "GET" && url.pathname === "/") || (method === "POST" && url.pathname === "/execute")) {
      this.log.push({ node: node.httpAddr, method, path: url.pathname, form: {}, status: 200 });
      return this.serveMetaData(node, req, res, url);
    }
    const form = await readForm(req);
    const entry: LoggedRequest = { node: node.httpAddr, method, path: url.pathname, form, status: 0 };
    this.log.push(entry);
    if (method !== "GET" && method !== "POST") {
      entry.status = 400;
      res.writeHead(400, { "content-type": "text/plain; charset=utf-8" }).end("\n");
      return;
    }
    const reply =
      this.refuse(req, url) ??
      (await this.route(node, method, url.pathname, form, url.searchParams.get("verbose") === "true"));
    if (!reply) {
      // http.NotFound, outside the handler chain: no X-Influxdb-* headers.
      entry.status = 404;
      res
        .writeHead(404, { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" })
        .end("404 page not found\n");
      return;
    }
    entry.status = reply.status;
    const id = `stand-in-${++this.requestIds}`;
    const headers: Record<string, string> = {
      "X-Influxdb-Version": GO_VERSION,
      "Influxdb-Metaindex": String(this.index),
      "Request-Id": id,
      "X-Request-Id": id,
    };
    if (reply.location) headers.location = reply.location;
    if (reply.status === 401) headers["WWW-Authenticate"] = 'Basic realm="InfluxDB"';
    const body = reply.body as { error?: string } | string | undefined;
    if (reply.status >= 300 && typeof body === "object" && body?.error)
      headers["X-Influxdb-Error"] = body.error;
    if (reply.status === 204 || body === undefined) {
      res.writeHead(reply.status, headers).end();
    } else if (typeof body === "string") {
      res.writeHead(reply.status, { ...headers, "content-type": "text/plain; charset=utf-8" }).end(body);
    } else {
      // Go's json.Encoder ends with a newline.
      res
        .writeHead(reply.status, { ...headers, "content-type": "application/json" })
        .end(JSON.stringify(body) + "\n");
    }
  }
}
