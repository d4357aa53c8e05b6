/**
 * Wire format of the data nodes' cluster RPC (TCP 8088): the client writes the mux byte 2, then
 * frames of one type byte, an int64 big-endian length and a protobuf message (data-rpc.proto).
 * ListShards and LeaveCluster requests are the bare type byte. Both directions are here, so the
 * meta tier's client (src/cluster/data-node-rpc.ts) and the tests' data-node stand-in share them.
 */
import protobuf from "protobufjs";
import { DATA_RPC_PROTO } from "./schema.ts";
import { ProtoError } from "./index.ts";

/** First byte of a connection to a data node's TCP port that selects the cluster RPC. */
export const RPC_MUX_HEADER = 2;

/** Request and response type bytes. */
export const RPC = {
  copyShardRequest: 33,
  copyShardResponse: 34,
  removeShardRequest: 35,
  removeShardResponse: 36,
  listShardsRequest: 37,
  listShardsResponse: 38,
  joinClusterRequest: 39,
  joinClusterResponse: 40,
  leaveClusterRequest: 41,
  leaveClusterResponse: 42,
  removeHintedHandoffRequest: 43,
  removeHintedHandoffResponse: 44,
} as const;

/** Requests that are only their type byte, without length or payload. */
export const BARE_REQUESTS: ReadonlySet<number> = new Set([RPC.listShardsRequest, RPC.leaveClusterRequest]);

/** Largest frame accepted from the other side. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

const root = protobuf.parse(DATA_RPC_PROTO, { keepCase: true }).root;
root.resolveAll();
const type = (name: string) => root.lookupType(`datarpc.${name}`);
const T = {
  CopyShardRequest: type("CopyShardRequest"),
  RemoveShardRequest: type("RemoveShardRequest"),
  ListShardsResponse: type("ListShardsResponse"),
  JoinClusterRequest: type("JoinClusterRequest"),
  JoinClusterResponse: type("JoinClusterResponse"),
  RemoveHintedHandoffRequest: type("RemoveHintedHandoffRequest"),
  /** CopyShard, RemoveShard, LeaveCluster and RemoveHintedHandoff answer the same shape. */
  ErrResponse: type("LeaveClusterResponse"),
};

export interface RpcNodeInfo {
  id: number;
  addr: string;
  tcpAddr: string;
}

export interface JoinClusterRequest {
  metaServers: string[];
  update: boolean;
}

export interface JoinClusterResponse {
  node?: RpcNodeInfo;
  err?: string;
}

export interface ErrResponse {
  err?: string;
}

export interface CopyShardRequest {
  /** TCP address of the data node to copy from. */
  host: string;
  database: string;
  policy: string;
  shardId: number;
  /** Nanoseconds since the epoch; absent = everything. */
  since?: bigint;
}

/** What a data node reports of one shard it holds (JSON inside ListShardsResponse). */
export interface ShardOwnerStatus {
  id: number;
  tcpAddr: string;
  state: string;
  "last-modified": string;
  size: number;
  err: string;
}

export interface ListShardsResponse {
  /** By shard ID. */
  shards: Record<string, ShardOwnerStatus>;
  err?: string;
}

type Long = { toString(): string };

function uint64(value: unknown, field: string): number {
  const n = typeof value === "number" ? value : Number((value as Long).toString());
  if (!Number.isSafeInteger(n)) throw new ProtoError(`${field} ${String(value)} is out of range`);
  return n;
}

function decode(t: protobuf.Type, bytes: Uint8Array): Record<string, unknown> {
  try {
    return t.decode(bytes) as unknown as Record<string, unknown>;
  } catch (err) {
    throw new ProtoError(`malformed ${t.name}: ${(err as Error).message}`);
  }
}

const has = (msg: Record<string, unknown>, field: string) => Object.hasOwn(msg, field);

export function encodeJoinClusterRequest(req: JoinClusterRequest): Uint8Array {
  return T.JoinClusterRequest.encode({ MetaServers: req.metaServers, Update: req.update }).finish();
}

export function decodeJoinClusterRequest(bytes: Uint8Array): JoinClusterRequest {
  const m = decode(T.JoinClusterRequest, bytes);
  return { metaServers: (m.MetaServers as string[]) ?? [], update: Boolean(m.Update) };
}

export function encodeJoinClusterResponse(res: JoinClusterResponse): Uint8Array {
  const node = res.node && { ID: res.node.id, Addr: res.node.addr, TCPAddr: res.node.tcpAddr };
  return T.JoinClusterResponse.encode({ Node: node, Err: res.err }).finish();
}

export function decodeJoinClusterResponse(bytes: Uint8Array): JoinClusterResponse {
  const m = decode(T.JoinClusterResponse, bytes);
  const out: JoinClusterResponse = {};
  if (has(m, "Node")) {
    const n = m.Node as Record<string, unknown>;
    out.node = {
      id: uint64(n.ID, "NodeInfo.ID"),
      addr: String(n.Addr ?? ""),
      tcpAddr: String(n.TCPAddr ?? ""),
    };
  }
  if (has(m, "Err")) out.err = m.Err as string;
  return out;
}

export function encodeErrResponse(res: ErrResponse): Uint8Array {
  return T.ErrResponse.encode({ Err: res.err }).finish();
}

export function decodeErrResponse(bytes: Uint8Array): ErrResponse {
  const m = decode(T.ErrResponse, bytes);
  return has(m, "Err") ? { err: m.Err as string } : {};
}

export function encodeCopyShardRequest(req: CopyShardRequest): Uint8Array {
  return T.CopyShardRequest.encode({
    Host: req.host,
    Database: req.database,
    Policy: req.policy,
    ShardID: req.shardId,
    Since:
      req.since === undefined
        ? undefined
        : { low: Number(BigInt.asIntN(32, req.since)), high: Number(BigInt.asIntN(32, req.since >> 32n)) },
  }).finish();
}

export function decodeCopyShardRequest(bytes: Uint8Array): CopyShardRequest {
  const m = decode(T.CopyShardRequest, bytes);
  const out: CopyShardRequest = {
    host: m.Host as string,
    database: m.Database as string,
    policy: m.Policy as string,
    shardId: uint64(m.ShardID, "ShardID"),
  };
  if (has(m, "Since")) out.since = BigInt((m.Since as Long).toString());
  return out;
}

export function encodeShardIdRequest(shardId: number): Uint8Array {
  return T.RemoveShardRequest.encode({ ShardID: shardId }).finish();
}

export function decodeShardIdRequest(bytes: Uint8Array): number {
  return uint64(decode(T.RemoveShardRequest, bytes).ShardID, "ShardID");
}

export function encodeNodeIdRequest(nodeId: number): Uint8Array {
  return T.RemoveHintedHandoffRequest.encode({ NodeID: nodeId }).finish();
}

export function decodeNodeIdRequest(bytes: Uint8Array): number {
  return uint64(decode(T.RemoveHintedHandoffRequest, bytes).NodeID, "NodeID");
}

export function encodeListShardsResponse(res: ListShardsResponse): Uint8Array {
  return T.ListShardsResponse.encode({
    Shards: Buffer.from(JSON.stringify(res.shards)),
    Err: res.err,
  }).finish();
}

export function decodeListShardsResponse(bytes: Uint8Array): ListShardsResponse {
  const m = decode(T.ListShardsResponse, bytes);
  let shards: Record<string, ShardOwnerStatus>;
  try {
    // Go marshals a nil map as `null`.
    shards = (JSON.parse(Buffer.from(m.Shards as Uint8Array).toString("utf8")) ?? {}) as Record<
      string,
      ShardOwnerStatus
    >;
  } catch (err) {
    throw new ProtoError(`malformed ListShardsResponse: Shards is not JSON (${(err as Error).message})`);
  }
  return has(m, "Err") ? { shards, err: m.Err as string } : { shards };
}

/** One frame: the type byte, then (unless `payload` is null) the int64 BE length and the payload. */
export function encodeFrame(typeByte: number, payload: Uint8Array | null): Buffer {
  if (payload === null) return Buffer.from([typeByte]);
  const head = Buffer.alloc(9);
  head[0] = typeByte;
  head.writeBigInt64BE(BigInt(payload.byteLength), 1);
  return Buffer.concat([head, payload]);
}

/**
 * Reads frames from a byte stream fed in chunks. `bare` lists the type bytes that carry no length
 * or payload (requests only). Throws ProtoError on a negative or oversized length.
 */
export class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly bare: ReadonlySet<number> = new Set()) {}

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
  }

  /** The next complete frame, or null until more bytes arrive. */
  next(): { type: number; payload: Buffer } | null {
    if (this.buffer.length < 1) return null;
    const typeByte = this.buffer[0];
    if (this.bare.has(typeByte)) {
      this.buffer = this.buffer.subarray(1);
      return { type: typeByte, payload: Buffer.alloc(0) };
    }
    if (this.buffer.length < 9) return null;
    const length = this.buffer.readBigInt64BE(1);
    if (length < 0n || length > BigInt(MAX_FRAME_BYTES)) {
      throw new ProtoError(`frame of type ${typeByte} declares ${length} bytes (limit ${MAX_FRAME_BYTES})`);
    }
    const end = 9 + Number(length);
    if (this.buffer.length < end) return null;
    const payload = this.buffer.subarray(9, end);
    this.buffer = this.buffer.subarray(end);
    return { type: typeByte, payload };
  }
}
