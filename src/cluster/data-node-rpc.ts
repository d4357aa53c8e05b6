/**
 * Client of the data nodes' cluster RPC (TCP 8088, see src/proto/data-rpc.ts): what the meta tier
 * sends a data node to tell it its meta servers (JoinCluster), to make it leave (LeaveCluster),
 * to list, copy or drop its shards and to drop hinted handoff for a removed peer. One connection
 * per call, as the Go data nodes expect; every call has a deadline covering connect, request and
 * answer, and every error names the data node.
 */
import net from "node:net";
import tls from "node:tls";
import {
  BARE_REQUESTS,
  decodeErrResponse,
  decodeJoinClusterResponse,
  decodeListShardsResponse,
  encodeCopyShardRequest,
  encodeFrame,
  encodeJoinClusterRequest,
  encodeNodeIdRequest,
  encodeShardIdRequest,
  FrameReader,
  RPC,
  RPC_MUX_HEADER,
  type CopyShardRequest,
  type RpcNodeInfo,
  type ShardOwnerStatus,
} from "../proto/data-rpc.ts";
import { describe } from "../util/http-client.ts";

export interface DataNodeRpcOptions {
  /** Deadline of one call (connect + request + answer). */
  timeoutMs: number;
  /** Set when the data nodes serve their TCP port over TLS (`[meta] data-use-tls`). */
  tls?: { rejectUnauthorized: boolean; ca?: string | Buffer };
}

/** The data node could not be reached or did not answer in time: nothing was done there. */
export class DataNodeUnreachable extends Error {}

/** The data node answered with an error. */
export class DataNodeError extends Error {}

/** JoinCluster waits up to 10 s on the data node for its record: the deadline must cover it. */
const JOIN_EXTRA_MS = 11_000;

export class DataNodeRpc {
  constructor(private readonly opts: DataNodeRpcOptions) {}

  /** Tells the data node its meta servers; it registers itself (or, with `update`, finds its
   *  re-addressed record) and answers with its record. */
  async joinCluster(addr: string, metaServers: string[], update: boolean): Promise<RpcNodeInfo> {
    const res = decodeJoinClusterResponse(
      await this.call(
        addr,
        RPC.joinClusterRequest,
        encodeJoinClusterRequest({ metaServers, update }),
        RPC.joinClusterResponse,
        this.opts.timeoutMs + JOIN_EXTRA_MS,
      ),
    );
    if (res.err) throw new DataNodeError(`data node ${addr}: ${res.err}`);
    if (!res.node) throw new DataNodeError(`data node ${addr}: answered JoinCluster without its node record`);
    return res.node;
  }

  /** Tells the data node it was removed: it forgets its meta servers and resets itself. */
  leaveCluster(addr: string): Promise<void> {
    return this.errOnly(addr, RPC.leaveClusterRequest, null, this.opts.timeoutMs + JOIN_EXTRA_MS);
  }

  /** The shards the data node holds, by shard ID. Changes nothing there. */
  async listShards(addr: string): Promise<Record<string, ShardOwnerStatus>> {
    const res = decodeListShardsResponse(
      await this.call(addr, RPC.listShardsRequest, null, RPC.listShardsResponse),
    );
    if (res.err) throw new DataNodeError(`data node ${addr}: ${res.err}`);
    return res.shards;
  }

  /** Makes the data node at `addr` copy a shard from `req.host`; waits until it has it. */
  copyShard(addr: string, req: CopyShardRequest, timeoutMs: number): Promise<void> {
    return this.errOnly(addr, RPC.copyShardRequest, encodeCopyShardRequest(req), timeoutMs);
  }

  removeShard(addr: string, shardId: number): Promise<void> {
    return this.errOnly(addr, RPC.removeShardRequest, encodeShardIdRequest(shardId));
  }

  removeHintedHandoff(addr: string, nodeId: number): Promise<void> {
    return this.errOnly(addr, RPC.removeHintedHandoffRequest, encodeNodeIdRequest(nodeId));
  }

  /** A call whose answer (type: the request's + 1) carries only an optional error. */
  private async errOnly(
    addr: string,
    requestType: number,
    payload: Uint8Array | null,
    timeoutMs = this.opts.timeoutMs,
  ): Promise<void> {
    const res = decodeErrResponse(await this.call(addr, requestType, payload, requestType + 1, timeoutMs));
    if (res.err) throw new DataNodeError(`data node ${addr}: ${res.err}`);
  }

  /** One request on a fresh connection; resolves with the payload of the expected answer. */
  call(
    addr: string,
    requestType: number,
    payload: Uint8Array | null,
    responseType: number,
    timeoutMs = this.opts.timeoutMs,
  ): Promise<Buffer> {
    const { host, port } = splitAddress(addr);
    return new Promise((resolve, reject) => {
      let settled = false;
      const reader = new FrameReader();
      const frame = encodeFrame(requestType, BARE_REQUESTS.has(requestType) ? null : payload);
      const request = Buffer.concat([Buffer.from([RPC_MUX_HEADER]), frame]);
      const socket = this.opts.tls
        ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ...this.opts.tls })
        : net.connect({ host, port });
      const finish = (err: Error | null, value?: Buffer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        if (err) reject(err);
        else resolve(value!);
      };
      const timer = setTimeout(
        () => finish(new DataNodeUnreachable(`data node ${addr}: no answer within ${timeoutMs}ms`)),
        timeoutMs,
      );
      socket.once(this.opts.tls ? "secureConnect" : "connect", () => socket.write(request));
      socket.on("data", (chunk: Buffer) => {
        try {
          reader.push(chunk);
          const answer = reader.next();
          if (!answer) return;
          if (answer.type !== responseType) {
            throw new Error(`answered with message type ${answer.type}, expected ${responseType}`);
          }
          finish(null, answer.payload);
        } catch (err) {
          finish(new DataNodeError(`data node ${addr}: ${(err as Error).message}`));
        }
      });
      socket.on("error", (err: NodeJS.ErrnoException) =>
        finish(new DataNodeUnreachable(`data node ${addr}: ${describeRpcError(err)}`)),
      );
      socket.on("close", () =>
        finish(new DataNodeUnreachable(`data node ${addr}: closed the connection without answering`)),
      );
    });
  }
}

function splitAddress(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(addr);
  const port = Number(m?.[3] ?? 0);
  if (!m || port < 1 || port > 65535) {
    throw new DataNodeUnreachable(`data node ${addr}: not a host:port address`);
  }
  return { host: m[1] ?? (m[2] || "localhost"), port };
}

/** As for any peer, with a hint at the usual mistake: the HTTP port instead of the TCP one. */
function describeRpcError(err: NodeJS.ErrnoException): string {
  return err.code === "ECONNREFUSED"
    ? "connection refused (is its TCP port, usually 8088, right?)"
    : describe(err);
}
