/**
 * The demo's data node: an in-process stand-in for an InfluxDB data node, for `influx-cluster
 * demo` and the tests. It is not a data node: it has no storage engine, no query or write API.
 * What it does speak for real is the Go data node's cluster-administration RPC on a real TCP port
 * (coordinator/service.go): first byte 2 selects the cluster RPC (JoinCluster, LeaveCluster,
 * ListShards, CopyShard, RemoveShard, RemoveHintedHandoff), any other first byte is HTTP
 * (`GET /status`). Joining registers it through the meta servers it is told, with the real meta
 * client, as the Go data node does: the list must share an address with the current one
 * ("already joined to cluster"), the first server must know a leader, and (update) the node's own
 * record must appear in the metadata within 10 s.
 *
 * Shard copies hold generated points (line-protocol lines, each with the time it arrived).
 * CopyShard makes this node pull the shard from the source over the RPC (a backup request, type
 * 31, as the Go data node's copy streams a backup of the source), only the points that arrived
 * after `since` when it is given, and answers when it has them: synchronous, like Go's. A write
 * that reaches the source while a copy streams is not on the destination unless a second copy with
 * `since` follows. ListShards reports what the node really holds; `checksum` proves two copies
 * hold the same points. The protected hooks let the tests' stand-in record and delay requests.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import tls from "node:tls";
import { DataNodeRpc } from "../cluster/data-node-rpc.ts";
import { MetaClient } from "../meta/client.ts";
import type { MetaCommand, MetaData } from "../proto/index.ts";
import {
  BARE_REQUESTS,
  decodeCopyShardRequest,
  decodeJoinClusterRequest,
  decodeNodeIdRequest,
  decodeShardIdRequest,
  encodeErrResponse,
  encodeFrame,
  encodeJoinClusterResponse,
  encodeListShardsResponse,
  FrameReader,
  RPC,
  RPC_MUX_HEADER,
  type CopyShardRequest,
  type JoinClusterRequest,
  type RpcNodeInfo,
  type ShardOwnerStatus,
} from "../proto/data-rpc.ts";

/** A cluster RPC request as it arrived, with its raw bytes (the mux byte included). */
export type RpcRequest =
  | { kind: "join"; request: JoinClusterRequest; raw: Buffer }
  | { kind: "leave"; raw: Buffer }
  | { kind: "list-shards"; raw: Buffer }
  | { kind: "copy-shard"; request: CopyShardRequest; raw: Buffer }
  | { kind: "remove-shard"; shardId: number; raw: Buffer }
  | { kind: "remove-hinted-handoff"; nodeId: number; raw: Buffer };

/** The Go data node's backupShard request and response types (coordinator/service.go). */
const BACKUP_SHARD_REQUEST = 31;
const BACKUP_SHARD_RESPONSE = 32;
/** The copy's client to the source's RPC port: the meta tier's own, with its 10 s deadline. */
const SOURCE_RPC = new DataNodeRpc({ timeoutMs: 10_000 });

export interface StoredPoint {
  line: string;
  /** When it arrived, in nanoseconds (what `since` compares with, like a file's modification time). */
  at: bigint;
}

/** A shard copy: its state and size as ListShards reports them, and its points. */
export interface ShardCopy {
  state: string;
  size: number;
  points?: StoredPoint[];
  lastModified?: string;
}

const nowNs = () => BigInt(Date.now()) * 1_000_000n;
const pointBytes = (points: StoredPoint[]) => points.reduce((n, p) => n + Buffer.byteLength(p.line) + 1, 0);

export interface DemoDataNodeOptions {
  /** The TCP port speaks TLS first (a data node with https-enabled), then the mux byte. */
  tls?: { cert: Buffer; key: Buffer };
  /** Listen on the HTTP address it registers too (`/ping`, `/status`), as a data node's HTTP API
   *  does; the demo's nodes do, so `show` and the view see them up. */
  http?: boolean;
}

export class DemoDataNode {
  private ownServers: string[] = [];

  get metaServers(): string[] {
    return this.ownServers;
  }

  set metaServers(servers: string[]) {
    this.ownServers = servers;
  }
  /** Shards it holds, by ID (what ListShards reports). */
  readonly shards = new Map<number, ShardCopy>();
  private readonly sockets = new Set<net.Socket>();
  private readonly statusServer: http.Server;

  protected constructor(
    private readonly server: net.Server,
    readonly tcpAddr: string,
    /** The HTTP address it registers: where `http` listens, else an address nothing listens on
     *  (the tests need only the record, and a data node whose HTTP API does not answer). */
    readonly httpAddr: string,
    private readonly httpServer?: http.Server,
  ) {
    const status = (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (req.url !== "/status") return void res.writeHead(404).end("404 page not found\n");
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          nodeType: "data",
          hostname: "127.0.0.1",
          tcpBind: this.tcpAddr,
          tcpAddr: this.tcpAddr,
          httpAddr: this.httpAddr,
          nodeStatus: this.metaServers.length > 0 ? "joined" : "disjoined",
          metaAddrs: this.metaServers,
        }),
      );
    };
    this.statusServer = http.createServer(status);
    // The HTTP API's /ping, as influxd answers it: what `show` checks a data node's reachability by.
    httpServer?.on("request", (req: http.IncomingMessage, res: http.ServerResponse) =>
      req.url === "/ping" ? void res.writeHead(204).end() : status(req, res),
    );
    server.on(server instanceof tls.Server ? "secureConnection" : "connection", (socket: net.Socket) =>
      this.accept(socket),
    );
  }

  /** Listening servers on free loopback ports, and the addresses the node registers. */
  protected static async listen(
    opts: DemoDataNodeOptions,
  ): Promise<[server: net.Server, tcpAddr: string, httpAddr: string, httpServer?: http.Server]> {
    const listening = async (server: net.Server) => {
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      return (server.address() as net.AddressInfo).port;
    };
    const server = opts.tls ? tls.createServer(opts.tls) : net.createServer();
    const port = await listening(server);
    if (!opts.http) return [server, `127.0.0.1:${port}`, `127.0.0.1:${port + 1}`];
    const httpServer = http.createServer();
    const httpPort = await listening(httpServer);
    return [server, `127.0.0.1:${port}`, `127.0.0.1:${httpPort}`, httpServer];
  }

  static async start(opts: DemoDataNodeOptions = {}): Promise<DemoDataNode> {
    return new DemoDataNode(...(await DemoDataNode.listen(opts)));
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.httpServer?.closeAllConnections();
    await Promise.all(
      [this.server, this.httpServer].map((server) => server && new Promise((r) => server.close(r))),
    );
  }

  /** Writes points (line-protocol lines) to the shard, creating the copy; a line written again
   *  replaces the earlier one, as a point with the same series and time does. */
  write(shardId: number, lines: string[]): void {
    const copy = this.shards.get(shardId) ?? { state: "hot", size: 0, points: [] };
    const points = copy.points ?? [];
    const at = nowNs();
    const seen = new Map(points.map((p, i) => [p.line, i]));
    for (const line of lines) {
      const i = seen.get(line);
      if (i === undefined) seen.set(line, points.push({ line, at }) - 1);
      else points[i] = { line, at };
    }
    copy.points = points;
    copy.size = pointBytes(points);
    copy.lastModified = new Date().toISOString();
    this.shards.set(shardId, copy);
  }

  /** SHA-256 of the shard's points, in order (empty string when it does not hold the shard). */
  checksum(shardId: number): string {
    const copy = this.shards.get(shardId);
    if (!copy) return "";
    const lines = (copy.points ?? []).map((p) => p.line).sort();
    return createHash("sha256").update(lines.join("\n")).digest("hex");
  }

  pointCount(shardId: number): number {
    return this.shards.get(shardId)?.points?.length ?? 0;
  }

  /** Called with every cluster RPC request as it arrives (the tests record them). */
  protected onRequest(_request: RpcRequest): void {}

  /** Called when a backup's snapshot is taken, before it is sent (the tests hold it there). */
  protected async backupTaken(): Promise<void> {}

  private client(): MetaClient {
    return new MetaClient({ servers: this.metaServers, timeoutMs: 2_000, retryDelayMs: 100 });
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    socket.once("readable", () => {
      const first = socket.read(1) as Buffer | null;
      if (!first) return void socket.destroy();
      if (first[0] !== RPC_MUX_HEADER) {
        socket.unshift(first);
        this.statusServer.emit("connection", socket);
        return;
      }
      const reader = new FrameReader(BARE_REQUESTS);
      const raw: Buffer[] = [];
      const onData = (chunk: Buffer) => {
        raw.push(chunk);
        reader.push(chunk);
        const frame = reader.next();
        if (!frame) return;
        socket.off("data", onData);
        void this.handle(frame.type, frame.payload, Buffer.concat([first, ...raw])).then(
          (answer) => socket.end(answer),
          () => socket.destroy(),
        );
      };
      // Bytes already buffered after the mux byte arrive as "data" once flowing.
      socket.on("data", onData);
    });
  }

  private async handle(type: number, payload: Buffer, raw: Buffer): Promise<Buffer> {
    switch (type) {
      case RPC.joinClusterRequest: {
        const request = decodeJoinClusterRequest(payload);
        this.onRequest({ kind: "join", request, raw });
        return this.join(request)
          .then((node) => encodeFrame(RPC.joinClusterResponse, encodeJoinClusterResponse({ node })))
          .catch((err: Error) =>
            encodeFrame(RPC.joinClusterResponse, encodeJoinClusterResponse({ err: err.message })),
          );
      }
      case RPC.leaveClusterRequest: {
        this.onRequest({ kind: "leave", raw });
        await this.waitUntil(async (data) => !data.dataNodes.some((n) => n.tcpAddr === this.tcpAddr));
        this.metaServers = [];
        this.shards.clear();
        return encodeFrame(RPC.leaveClusterResponse, encodeErrResponse({}));
      }
      case RPC.listShardsRequest: {
        this.onRequest({ kind: "list-shards", raw });
        const shards: Record<string, ShardOwnerStatus> = {};
        for (const [id, s] of this.shards) {
          shards[String(id)] = {
            id: await this.nodeId(),
            tcpAddr: this.tcpAddr,
            state: s.state,
            "last-modified": s.lastModified ?? "2026-01-02T03:04:05.123456789Z",
            size: s.size,
            err: "",
          };
        }
        return encodeFrame(RPC.listShardsResponse, encodeListShardsResponse({ shards }));
      }
      case RPC.copyShardRequest: {
        const request = decodeCopyShardRequest(payload);
        this.onRequest({ kind: "copy-shard", request, raw });
        return this.pull(request)
          .then(() => encodeFrame(RPC.copyShardResponse, encodeErrResponse({})))
          .catch((err: Error) => encodeFrame(RPC.copyShardResponse, encodeErrResponse({ err: err.message })));
      }
      case BACKUP_SHARD_REQUEST: {
        const { shardId, since } = JSON.parse(payload.toString("utf8")) as {
          shardId: number;
          since?: string;
        };
        const copy = this.shards.get(shardId);
        if (!copy) {
          return encodeFrame(
            BACKUP_SHARD_RESPONSE,
            Buffer.from(JSON.stringify({ err: `shard ${shardId} not found` })),
          );
        }
        const after = since === undefined ? -1n : BigInt(since);
        const points = (copy.points ?? [])
          .filter((p) => p.at > after)
          .map((p) => ({ line: p.line, at: String(p.at) }));
        const size = copy.size;
        await this.backupTaken();
        return encodeFrame(BACKUP_SHARD_RESPONSE, Buffer.from(JSON.stringify({ points, size })));
      }
      case RPC.removeShardRequest: {
        const shardId = decodeShardIdRequest(payload);
        this.onRequest({ kind: "remove-shard", shardId, raw });
        const had = this.shards.delete(shardId);
        return encodeFrame(RPC.removeShardResponse, encodeErrResponse(had ? {} : { err: "shard not found" }));
      }
      case RPC.removeHintedHandoffRequest: {
        const nodeId = decodeNodeIdRequest(payload);
        this.onRequest({ kind: "remove-hinted-handoff", nodeId, raw });
        return encodeFrame(RPC.removeHintedHandoffResponse, encodeErrResponse({}));
      }
      default:
        throw new Error(`unexpected message type ${type}`);
    }
  }

  /** CopyShard: dials the source's RPC, asks for a backup of the shard (after `since`), merges it. */
  private async pull(req: CopyShardRequest): Promise<void> {
    const body = JSON.stringify({ shardId: req.shardId, since: req.since?.toString() });
    const answer = await SOURCE_RPC.call(
      req.host,
      BACKUP_SHARD_REQUEST,
      Buffer.from(body),
      BACKUP_SHARD_RESPONSE,
    );
    const backup = JSON.parse(answer.toString("utf8")) as {
      points?: { line: string; at: string }[];
      size?: number;
      err?: string;
    };
    if (backup.err) throw new Error(`error copying shard ${req.shardId} from ${req.host}: ${backup.err}`);
    const copy = this.shards.get(req.shardId) ?? { state: "cold", size: 0, points: [] };
    const points = copy.points ?? [];
    const index = new Map(points.map((p, i) => [p.line, i]));
    for (const p of backup.points ?? []) {
      const point = { line: p.line, at: nowNs() };
      const i = index.get(p.line);
      if (i === undefined) index.set(p.line, points.push(point) - 1);
      else points[i] = point;
    }
    copy.points = points;
    // A copy given only a size (no points) keeps the source's size.
    copy.size = points.length > 0 ? pointBytes(points) : Math.max(copy.size, backup.size ?? 0);
    copy.lastModified = new Date().toISOString();
    this.shards.set(req.shardId, copy);
  }

  private async nodeId(): Promise<number> {
    if (this.metaServers.length === 0) return 0;
    const data = await this.client().data();
    return data.dataNodes.find((n) => n.tcpAddr === this.tcpAddr)?.id ?? 0;
  }

  /** Polls the metadata for up to 10 s (as the Go data node does). */
  private async waitUntil(check: (data: MetaData) => Promise<boolean>) {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (await check(await this.client().data())) return true;
      await sleep(100);
    }
    return false;
  }

  /** What a Go data node does on JoinCluster (processJoinClusterRequest of coordinator/service.go;
   *  see the meta tier's DataNodeOperations), over the metadata as `joinView` sees it. */
  protected async join(req: JoinClusterRequest): Promise<RpcNodeInfo> {
    if (req.metaServers.length === 0) throw new Error("empty meta servers");
    if (this.metaServers.length > 0 && !req.metaServers.some((s) => this.metaServers.includes(s))) {
      throw new Error("already joined to cluster");
    }
    this.metaServers = req.metaServers;
    const view = this.joinView();
    if (!(await view.hasLeader())) throw new Error(view.noLeader);
    if (req.update) {
      const node = await view.waitForSelf();
      if (!node) throw new Error(view.notFound);
      return node;
    }
    const existing = await view.self();
    if (existing) return existing;
    await view.execute({ type: "CreateDataNodeCommand", httpAddr: this.httpAddr, tcpAddr: this.tcpAddr });
    const node = await view.self();
    if (!node) throw new Error("unable to create data node");
    return node;
  }

  /** The metadata as the joining node reads and changes it: through the meta client here. */
  protected joinView(): JoinView {
    const client = this.client();
    const self = (data: MetaData) => data.dataNodes.find((n) => n.tcpAddr === this.tcpAddr);
    return {
      hasLeader: async () => Boolean((await client.status(this.metaServers[0])).leader),
      self: async () => self(await client.data()),
      waitForSelf: async () => {
        let node: RpcNodeInfo | undefined;
        await this.waitUntil(async (data) => Boolean((node = self(data))));
        return node;
      },
      execute: async (cmd) => void (await client.execute(cmd)),
      noLeader: `no leader in meta servers: [${this.metaServers.join(" ")}]`,
      notFound: "unable to update data node, timed out: node not found",
    };
  }
}

/** What JoinCluster needs of the metadata, and how its two failures are worded. */
export interface JoinView {
  hasLeader(): Promise<boolean>;
  /** This node's record, if the metadata has it. */
  self(): Promise<RpcNodeInfo | undefined>;
  /** This node's record once it appears (an update: added elsewhere), or undefined at the deadline. */
  waitForSelf(): Promise<RpcNodeInfo | undefined>;
  execute(cmd: MetaCommand): Promise<void>;
  noLeader: string;
  notFound: string;
}
