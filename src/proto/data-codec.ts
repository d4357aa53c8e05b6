/**
 * The `Data` message (the metadata: Raft snapshot payload and long-poll body) encoded and decoded
 * by hand, field by field, in the bytes the schema-driven codec of index.ts produces (the wire
 * vectors in test/metadata/proto.test.ts hold both to the same bytes).
 *
 * Why a second codec for one message: at production size (10,000 databases, 100,000 shard groups,
 * a million nested messages) the reflective path spends seconds building intermediate wire objects
 * and 64-bit Long values; this one writes into and reads from one buffer with no intermediate
 * objects, and lets the caller reuse the encoded bytes of databases it has encoded before
 * (`DatabaseBytesCache`), so that a state sharing most of its databases with the previous one
 * costs little more than a copy.
 *
 * Encoding checks every value's kind and range (ProtoError naming the message and field); the
 * messages' shapes are the TypeScript types', so no unknown property can reach it from typed code.
 * Decoding follows the schema: required fields must be present, absent optional fields take their
 * defaults, unknown fields are skipped, and pre-0.10 `Data.Nodes` and `ShardInfo.OwnerIDs` are read
 * as data nodes and owners, as Go reads them.
 */
import type {
  ContinuousQueryInfo,
  DatabaseInfo,
  MetaData,
  NodeInfo,
  RetentionPolicyInfo,
  ShardGroupInfo,
  ShardInfo,
  ShardOwner,
  SubscriptionInfo,
  UserInfo,
  UserPrivilege,
} from "./types.ts";
import type { Steps } from "../util/steps.ts";

/** Thrown for bytes that are not a valid message or a value that cannot be encoded. */
export type ErrorFactory = (message: string) => Error;

/**
 * Encoded DatabaseInfo messages by database object. Only for objects that are never changed once
 * encoded (the FSM's published states): the bytes are reused whenever the same object is encoded.
 */
export interface DatabaseBytesCache {
  get(db: DatabaseInfo): Uint8Array | undefined;
  set(db: DatabaseInfo, bytes: Uint8Array): void;
}

const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;
const TWO_32 = 4294967296;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

// ---------------------------------------------------------------------------------------------
// Encoding

class Writer {
  buf: Uint8Array;
  pos = 0;

  constructor(
    capacity: number,
    private readonly fail: ErrorFactory,
  ) {
    this.buf = new Uint8Array(capacity);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** A non-negative integer up to 2^53 - 1. */
  private varint(v: number): void {
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    while (v >= 0x80) {
      buf[pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    buf[pos++] = v;
    this.pos = pos;
  }

  /** Any value of 64 bits, as its two's complement (a negative one takes ten bytes). */
  private varintBig(v: bigint): void {
    if (v >= 0n && v <= 9007199254740991n) return this.varint(Number(v));
    let u = BigInt.asUintN(64, v);
    this.ensure(10);
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }

  private tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  uint64(field: number, v: unknown, where: string): void {
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
      throw this.fail(`${where}: expected a non-negative safe integer, got ${show(v)}`);
    this.tag(field, VARINT);
    this.varint(v);
  }

  /** `ClusterID`: all 64 bits, so a bigint. */
  uint64Big(field: number, v: unknown, where: string): void {
    if (typeof v !== "bigint" || v < 0n || v > UINT64_MAX)
      throw this.fail(`${where}: expected a uint64 bigint, got ${show(v)}`);
    this.tag(field, VARINT);
    this.varintBig(v);
  }

  int64(field: number, v: unknown, where: string): void {
    if (typeof v !== "bigint" || v < INT64_MIN || v > INT64_MAX)
      throw this.fail(`${where}: expected an int64 bigint, got ${show(v)}`);
    this.tag(field, VARINT);
    this.varintBig(v);
  }

  uint32(field: number, v: unknown, where: string): void {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0xffffffff)
      throw this.fail(`${where}: expected a uint32, got ${show(v)}`);
    this.tag(field, VARINT);
    this.varint(v);
  }

  int32(field: number, v: unknown, where: string): void {
    if (typeof v !== "number" || !Number.isInteger(v) || Math.abs(v) > 0x7fffffff)
      throw this.fail(`${where}: expected an int32, got ${show(v)}`);
    this.tag(field, VARINT);
    this.varintBig(BigInt(v)); // negative int32 values are sign-extended to 64 bits, as protobuf does
  }

  bool(field: number, v: unknown, where: string): void {
    if (typeof v !== "boolean") throw this.fail(`${where}: expected a boolean, got ${show(v)}`);
    this.tag(field, VARINT);
    this.varint(v ? 1 : 0);
  }

  string(field: number, s: unknown, where: string): void {
    if (typeof s !== "string") throw this.fail(`${where}: expected a string, got ${show(s)}`);
    this.tag(field, LEN);
    // ASCII (nearly every name and address) is written directly; anything else through UTF-8.
    let ascii = s.length < 0x80;
    for (let i = 0; ascii && i < s.length; i++) ascii = s.charCodeAt(i) < 0x80;
    if (ascii) {
      this.ensure(1 + s.length);
      this.buf[this.pos++] = s.length;
      for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i);
    } else this.bytes(Buffer.from(s, "utf8"));
  }

  /** A length-delimited field whose content is already encoded. */
  message(field: number, content: Uint8Array): void {
    this.tag(field, LEN);
    this.bytes(content);
  }

  private bytes(content: Uint8Array): void {
    this.varint(content.length);
    this.ensure(content.length);
    this.buf.set(content, this.pos);
    this.pos += content.length;
  }

  /** Starts a nested message: its tag and one byte for its length, fixed by `end`. */
  begin(field: number): number {
    this.tag(field, LEN);
    this.ensure(1);
    return this.pos++;
  }

  end(lengthAt: number): void {
    const length = this.pos - lengthAt - 1;
    if (length < 0x80) {
      this.buf[lengthAt] = length;
      return;
    }
    // Rare (messages over 127 bytes): move the content to make room for the longer length.
    let extra = 0;
    for (let v = length; v >= 0x80; v = Math.floor(v / 128)) extra += 1;
    this.ensure(extra);
    this.buf.copyWithin(lengthAt + 1 + extra, lengthAt + 1, this.pos);
    const end = this.pos + extra;
    this.pos = lengthAt;
    this.varint(length);
    this.pos = end;
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

function show(v: unknown): string {
  return typeof v === "bigint" ? `${v}n` : JSON.stringify(v);
}

function writeNode(w: Writer, field: number, n: NodeInfo, where: string): void {
  const at = w.begin(field);
  w.uint64(1, n.id, `${where}.id`);
  w.string(2, n.addr, `${where}.addr`);
  w.string(3, n.tcpAddr, `${where}.tcpAddr`);
  w.end(at);
}

function writeOwner(w: Writer, o: ShardOwner): void {
  const at = w.begin(3);
  w.uint64(1, o.nodeId, "ShardOwner.nodeId");
  w.end(at);
}

function writeShard(w: Writer, s: ShardInfo): void {
  const at = w.begin(5);
  w.uint64(1, s.id, "ShardInfo.id");
  for (const o of s.owners) writeOwner(w, o);
  w.end(at);
}

function writeShardGroup(w: Writer, g: ShardGroupInfo): void {
  const at = w.begin(5);
  w.uint64(1, g.id, "ShardGroupInfo.id");
  w.int64(2, g.startTime, "ShardGroupInfo.startTime");
  w.int64(3, g.endTime, "ShardGroupInfo.endTime");
  w.int64(4, g.deletedAt, "ShardGroupInfo.deletedAt");
  for (const s of g.shards) writeShard(w, s);
  // Go writes TruncatedAt only when set (a zero time is "unset").
  if (g.truncatedAt !== 0n) w.int64(6, g.truncatedAt, "ShardGroupInfo.truncatedAt");
  w.end(at);
}

function writeSubscription(w: Writer, s: SubscriptionInfo): void {
  const at = w.begin(6);
  w.string(1, s.name, "SubscriptionInfo.name");
  w.string(2, s.mode, "SubscriptionInfo.mode");
  for (const d of s.destinations) w.string(3, d, "SubscriptionInfo.destinations");
  w.end(at);
}

function writePolicy(w: Writer, rp: RetentionPolicyInfo): void {
  const at = w.begin(3);
  w.string(1, rp.name, "RetentionPolicyInfo.name");
  w.int64(2, rp.duration, "RetentionPolicyInfo.duration");
  w.int64(3, rp.shardGroupDuration, "RetentionPolicyInfo.shardGroupDuration");
  w.uint32(4, rp.replicaN, "RetentionPolicyInfo.replicaN");
  for (const g of rp.shardGroups) writeShardGroup(w, g);
  for (const s of rp.subscriptions) writeSubscription(w, s);
  w.end(at);
}

function writeContinuousQuery(w: Writer, cq: ContinuousQueryInfo): void {
  const at = w.begin(4);
  w.string(1, cq.name, "ContinuousQueryInfo.name");
  w.string(2, cq.query, "ContinuousQueryInfo.query");
  w.end(at);
}

/** One DatabaseInfo message, without its tag and length. */
function encodeDatabase(db: DatabaseInfo, fail: ErrorFactory): Uint8Array {
  const w = new Writer(256, fail);
  w.string(1, db.name, "DatabaseInfo.name");
  w.string(2, db.defaultRetentionPolicy, "DatabaseInfo.defaultRetentionPolicy");
  for (const rp of db.retentionPolicies) writePolicy(w, rp);
  for (const cq of db.continuousQueries) writeContinuousQuery(w, cq);
  return w.finish().slice();
}

function writeUser(w: Writer, u: UserInfo): void {
  const at = w.begin(6);
  w.string(1, u.name, "UserInfo.name");
  w.string(2, u.hash, "UserInfo.hash");
  w.bool(3, u.admin, "UserInfo.admin");
  for (const p of u.privileges) {
    const pa = w.begin(4);
    w.string(1, p.database, "UserPrivilege.database");
    w.int32(2, p.privilege, "UserPrivilege.privilege");
    w.end(pa);
  }
  w.end(at);
}

/** The fields of `Data` other than its databases (what writeDataParts encodes around them). */
export type DataFields = Omit<MetaData, "databases">;

/**
 * The DatabaseInfo entries of `Data` (field 5: tag, length and message) for these databases, one
 * after another; databases found in `cache` are not encoded again.
 */
export function writeDatabaseFields(
  databases: readonly DatabaseInfo[],
  fail: ErrorFactory,
  cache?: DatabaseBytesCache,
): Uint8Array {
  const encoded = databases.map((db) => {
    let bytes = cache?.get(db);
    if (!bytes) {
      bytes = encodeDatabase(db, fail);
      cache?.set(db, bytes);
    }
    return bytes;
  });
  const w = new Writer(
    encoded.reduce((sum, b) => sum + b.length + 6, 0),
    fail,
  );
  for (const bytes of encoded) w.message(5, bytes);
  return w.finish();
}

/**
 * `Data` in pieces whose concatenation is its wire bytes: the fields before the databases, the
 * `databaseFields` given (from writeDatabaseFields), the fields after. A caller holding most
 * databases' entries from an earlier encoding (the FSM, by chunk) encodes only the rest.
 */
export function writeDataParts(
  data: DataFields,
  databaseFields: readonly Uint8Array[],
  fail: ErrorFactory,
): Uint8Array[] {
  const head = new Writer(64, fail);
  head.uint64(1, data.term, "Data.term");
  head.uint64(2, data.index, "Data.index");
  head.uint64Big(3, data.clusterId, "Data.clusterId");
  const tail = new Writer(1024 + 64 * (data.users.length + data.dataNodes.length), fail);
  for (const u of data.users) writeUser(tail, u);
  tail.uint64(7, data.maxNodeId, "Data.maxNodeId");
  tail.uint64(8, data.maxShardGroupId, "Data.maxShardGroupId");
  tail.uint64(9, data.maxShardId, "Data.maxShardId");
  for (const n of data.dataNodes) writeNode(tail, 10, n, "Data.dataNodes");
  for (const n of data.metaNodes) writeNode(tail, 11, n, "Data.metaNodes");
  return [head.finish(), ...databaseFields, tail.finish()];
}

/** `Data` in its wire bytes; databases found in `cache` are not encoded again. */
export function writeData(data: MetaData, fail: ErrorFactory, cache?: DatabaseBytesCache): Uint8Array {
  return Buffer.concat(writeDataParts(data, [writeDatabaseFields(data.databases, fail, cache)], fail));
}

// ---------------------------------------------------------------------------------------------
// Decoding

class Reader {
  pos: number;
  /** The last varint read, as two unsigned 32-bit halves. */
  private lo = 0;
  private hi = 0;

  constructor(
    readonly buf: Uint8Array,
    start: number,
    private end: number,
    readonly fail: ErrorFactory,
  ) {
    this.pos = start;
  }

  more(): boolean {
    return this.pos < this.end;
  }

  private byte(): number {
    if (this.pos >= this.end) throw this.fail(`index out of range: ${this.pos} + 1 > ${this.end}`);
    return this.buf[this.pos++];
  }

  private varint(): void {
    let lo = 0;
    let b = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      b = this.byte();
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.lo = lo >>> 0;
        this.hi = 0;
        return;
      }
    }
    b = this.byte();
    lo |= (b & 0x0f) << 28;
    let hi = (b & 0x7f) >> 4;
    if (b >= 0x80) {
      for (let shift = 3; ; shift += 7) {
        if (shift > 31) throw this.fail("invalid varint encoding");
        b = this.byte();
        hi |= (b & 0x7f) << shift;
        if (b < 0x80) break;
      }
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  /** A tag: field number * 8 + wire type. */
  tag(): number {
    this.varint();
    return this.lo;
  }

  uint64(where: string): number {
    this.varint();
    if (this.hi >= 0x200000) {
      const big = (BigInt(this.hi) << 32n) | BigInt(this.lo);
      throw this.fail(`${where} = ${big} is above 2^53 - 1`);
    }
    return this.hi * TWO_32 + this.lo;
  }

  uint64Big(): bigint {
    this.varint();
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  int64(): bigint {
    this.varint();
    // One shared zero: most DeletedAt and Duration values are 0, and every BigInt is a heap object.
    if (this.hi === 0 && this.lo === 0) return 0n;
    if (this.hi < 0x200000) return BigInt(this.hi * TWO_32 + this.lo);
    return BigInt.asIntN(64, (BigInt(this.hi) << 32n) | BigInt(this.lo));
  }

  /** int32 and uint32: the low 32 bits (a negative int32 arrives sign-extended). */
  int32(): number {
    this.varint();
    return this.lo | 0;
  }

  uint32(): number {
    this.varint();
    return this.lo;
  }

  bool(): boolean {
    this.varint();
    return this.lo !== 0 || this.hi !== 0;
  }

  /** A length-delimited field: returns its end and leaves `pos` at its start. */
  delimited(): number {
    this.varint();
    const end = this.pos + this.lo + this.hi * TWO_32;
    if (end > this.end) throw this.fail(`index out of range: ${this.pos} + ${end - this.pos} > ${this.end}`);
    return end;
  }

  string(): string {
    const end = this.delimited();
    const buf = this.buf;
    let s = "";
    let pos = this.pos;
    if (end - pos < 64) {
      for (; pos < end && buf[pos] < 0x80; pos++) s += String.fromCharCode(buf[pos]);
    }
    if (pos < end) s = Buffer.from(buf.buffer, buf.byteOffset + this.pos, end - this.pos).toString("utf8");
    this.pos = end;
    return s;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case VARINT:
        this.varint();
        return;
      case FIXED64:
        this.pos += 8;
        break;
      case LEN:
        this.pos = this.delimited();
        return;
      case FIXED32:
        this.pos += 4;
        break;
      default:
        throw this.fail(`invalid wire type ${wireType} at offset ${this.pos}`);
    }
    if (this.pos > this.end) throw this.fail(`index out of range: ${this.pos} > ${this.end}`);
  }

  /**
   * Enters the nested message that starts here: until `leave`, `more()` is false at its end.
   * Returns the enclosing message's end, for `leave`.
   */
  enter(): number {
    const end = this.delimited();
    const outer = this.end;
    this.end = end;
    return outer;
  }

  leave(outer: number): void {
    if (this.pos !== this.end) throw this.fail(`nested message overruns its length at offset ${this.pos}`);
    this.end = outer;
  }
}

/**
 * Throws for the first required field (in `names`, by field number) whose bit is missing from
 * `seen`: bit n - 1 stands for field n.
 */
/**
 * `list` in an array of exactly its length. An array grown by push has room for 16 more elements
 * after its first: for the hundreds of thousands of one-to-three-element lists of a large `Data`
 * (owners, shards, policies) that room would be most of the decoded state's memory.
 */
function fitted<T>(list: T[]): T[] {
  return list.length > 0 ? list.slice() : list;
}

function requireFields(seen: number, required: number, names: readonly string[], fail: ErrorFactory): void {
  if ((seen & required) === required) return;
  for (let field = 1; field <= names.length; field++) {
    const bit = 1 << (field - 1);
    if (required & bit && !(seen & bit)) throw fail(`missing required '${names[field - 1]}'`);
  }
}

const ID_FIELD = ["ID"];
function readNode(r: Reader): NodeInfo {
  const outer = r.enter();
  const node: NodeInfo = { id: 0, addr: "", tcpAddr: "" };
  let seen = 0;
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) | VARINT:
        node.id = r.uint64("NodeInfo.id");
        seen |= 1;
        break;
      case (2 << 3) | LEN:
        node.addr = r.string();
        break;
      case (3 << 3) | LEN:
        node.tcpAddr = r.string();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  r.leave(outer);
  requireFields(seen, 0b1, ID_FIELD, r.fail);
  return node;
}

function readOwner(r: Reader): ShardOwner {
  const outer = r.enter();
  let nodeId = 0;
  let seen = 0;
  while (r.more()) {
    const tag = r.tag();
    if (tag === ((1 << 3) | VARINT)) {
      nodeId = r.uint64("ShardOwner.nodeId");
      seen = 1;
    } else r.skip(tag & 7);
  }
  r.leave(outer);
  requireFields(seen, 0b1, ["NodeID"], r.fail);
  return shardOwner(nodeId);
}

/** Shared owner records by node ID (see shardOwner); bounded, in case of bytes with absurd IDs. */
const owners = new Map<number, ShardOwner>();
const MAX_SHARED_OWNERS = 100_000;

/**
 * The owner record of `nodeId`: one frozen object per node, shared by every shard it owns. A
 * production-sized `Data` holds hundreds of thousands of owner records naming a hundred nodes;
 * sharing them saves that many heap objects (memory, decoding and collector time). Frozen, so
 * nothing can change one shard's owner through another's: an owner changes by replacing records.
 */
export function shardOwner(nodeId: number): ShardOwner {
  let owner = owners.get(nodeId);
  if (!owner) {
    owner = Object.freeze({ nodeId });
    if (owners.size < MAX_SHARED_OWNERS) owners.set(nodeId, owner);
  }
  return owner;
}

function readShard(r: Reader): ShardInfo {
  const outer = r.enter();
  const shard: ShardInfo = { id: 0, owners: [] };
  let legacyOwners: ShardOwner[] | undefined;
  let seen = 0;
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) | VARINT:
        shard.id = r.uint64("ShardInfo.id");
        seen |= 1;
        break;
      case (2 << 3) | VARINT: // OwnerIDs, unpacked
        (legacyOwners ??= []).push(shardOwner(r.uint64("ShardInfo.ownerIds")));
        break;
      case (2 << 3) | LEN: {
        // OwnerIDs, packed
        const outer = r.enter();
        while (r.more()) (legacyOwners ??= []).push(shardOwner(r.uint64("ShardInfo.ownerIds")));
        r.leave(outer);
        break;
      }
      case (3 << 3) | LEN:
        shard.owners.push(readOwner(r));
        break;
      default:
        r.skip(tag & 7);
    }
  }
  r.leave(outer);
  requireFields(seen, 0b1, ID_FIELD, r.fail);
  shard.owners = fitted(legacyOwners ?? shard.owners);
  return shard;
}

const GROUP_FIELDS = ["ID", "StartTime", "EndTime", "DeletedAt"];
function readShardGroup(r: Reader): ShardGroupInfo {
  const outer = r.enter();
  const group: ShardGroupInfo = {
    id: 0,
    startTime: 0n,
    endTime: 0n,
    deletedAt: 0n,
    truncatedAt: 0n,
    shards: [],
  };
  let seen = 0;
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) | VARINT:
        group.id = r.uint64("ShardGroupInfo.id");
        seen |= 1;
        break;
      case (2 << 3) | VARINT:
        group.startTime = r.int64();
        seen |= 2;
        break;
      case (3 << 3) | VARINT:
        group.endTime = r.int64();
        seen |= 4;
        break;
      case (4 << 3) | VARINT:
        group.deletedAt = r.int64();
        seen |= 8;
        break;
      case (5 << 3) | LEN:
        group.shards.push(readShard(r));
        break;
      case (6 << 3) | VARINT:
        group.truncatedAt = r.int64();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  r.leave(outer);
  requireFields(seen, 0b1111, GROUP_FIELDS, r.fail);
  group.shards = fitted(group.shards);
  return group;
}

const SUBSCRIPTION_FIELDS = ["Name", "Mode"];
function readSubscription(r: Reader): SubscriptionInfo {
  const outer = r.enter();
  const sub: SubscriptionInfo = { name: "", mode: "", destinations: [] };
  let seen = 0;
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) | LEN:
        sub.name = r.string();
        seen |= 1;
        break;
      case (2 << 3) | LEN:
        sub.mode = r.string();
        seen |= 2;
        break;
      case (3 << 3) | LEN:
        sub.destinations.push(r.string());
        break;
      default:
        r.skip(tag & 7);
    }
  }
  r.leave(outer);
  requireFields(seen, 0b11, SUBSCRIPTION_FIELDS, r.fail);
  return sub;
}

const POLICY_FIELDS = ["Name", "Duration", "ShardGroupDuration", "ReplicaN"];
function readPolicy(r: Reader): RetentionPolicyInfo {
  const outer = r.enter();
  const rp: RetentionPolicyInfo = {
    name: "",
    duration: 0n,
    shardGroupDuration: 0n,
    replicaN: 0,
    shardGroups: [],
    subscriptions: [],
  };
  let seen = 0;
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) | LEN:
        rp.name = r.string();
        seen |= 1;
        break;
      case (2 << 3) | VARINT:
        rp.duration = r.int64();
        seen |= 2;
        break;
      case (3 << 3) | VARINT:
        rp.shardGroupDuration = r.int64();
        seen |= 4;
        break;
      case (4 << 3) | VARINT:
        rp.replicaN = r.uint32();
        seen |= 8;
        break;
      case (5 << 3) | LEN:
        rp.shardGroups.push(readShardGroup(r));
        break;
      case (6 << 3) | LEN:
        rp.subscriptions.push(readSubscription(r));
        break;
      default:
        r.skip(tag & 7);
    }
  }
  r.leave(outer);
  requireFields(seen, 0b1111, POLICY_FIELDS, r.fail);
  rp.shardGroups = fitted(rp.shardGroups);
  return rp;
}

const NAME_QUERY_FIELDS = ["Name", "Query"];
function readContinuousQuery(r: Reader): ContinuousQueryInfo {
  const outer = r.enter();
  const cq: ContinuousQueryInfo = { name: "", query: "" };
  let seen = 0;
  while (r.more()) {
    const tag = r.tag();
    if (tag === ((1 << 3) | LEN)) {
      cq.name = r.string();
      seen |= 1;
    } else if (tag === ((2 << 3) | LEN)) {
      cq.query = r.string();
      seen |= 2;
    } else r.skip(tag & 7);
  }
  r.leave(outer);
  requireFields(seen, 0b11, NAME_QUERY_FIELDS, r.fail);
  return cq;
}

const DATABASE_FIELDS = ["Name", "DefaultRetentionPolicy"];
function readDatabase(r: Reader): DatabaseInfo {
  const outer = r.enter();
  const db: DatabaseInfo = {
    name: "",
    defaultRetentionPolicy: "",
    retentionPolicies: [],
    continuousQueries: [],
  };
  let seen = 0;
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) | LEN:
        db.name = r.string();
        seen |= 1;
        break;
      case (2 << 3) | LEN:
        db.defaultRetentionPolicy = r.string();
        seen |= 2;
        break;
      case (3 << 3) | LEN:
        db.retentionPolicies.push(readPolicy(r));
        break;
      case (4 << 3) | LEN:
        db.continuousQueries.push(readContinuousQuery(r));
        break;
      default:
        r.skip(tag & 7);
    }
  }
  r.leave(outer);
  requireFields(seen, 0b11, DATABASE_FIELDS, r.fail);
  db.retentionPolicies = fitted(db.retentionPolicies);
  return db;
}

const PRIVILEGE_FIELDS = ["Database", "Privilege"];
function readPrivilege(r: Reader): UserPrivilege {
  const outer = r.enter();
  const p: UserPrivilege = { database: "", privilege: 0 };
  let seen = 0;
  while (r.more()) {
    const tag = r.tag();
    if (tag === ((1 << 3) | LEN)) {
      p.database = r.string();
      seen |= 1;
    } else if (tag === ((2 << 3) | VARINT)) {
      p.privilege = r.int32();
      seen |= 2;
    } else r.skip(tag & 7);
  }
  r.leave(outer);
  requireFields(seen, 0b11, PRIVILEGE_FIELDS, r.fail);
  return p;
}

const USER_FIELDS = ["Name", "Hash", "Admin"];
function readUser(r: Reader): UserInfo {
  const outer = r.enter();
  const user: UserInfo = { name: "", hash: "", admin: false, privileges: [] };
  let seen = 0;
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) | LEN:
        user.name = r.string();
        seen |= 1;
        break;
      case (2 << 3) | LEN:
        user.hash = r.string();
        seen |= 2;
        break;
      case (3 << 3) | VARINT:
        user.admin = r.bool();
        seen |= 4;
        break;
      case (4 << 3) | LEN:
        user.privileges.push(readPrivilege(r));
        break;
      default:
        r.skip(tag & 7);
    }
  }
  r.leave(outer);
  requireFields(seen, 0b111, USER_FIELDS, r.fail);
  return user;
}

const DATA_FIELDS = [
  "Term",
  "Index",
  "ClusterID",
  "Nodes",
  "Databases",
  "Users",
  "MaxNodeID",
  "MaxShardGroupID",
  "MaxShardID",
];
/** Required: Term, Index, ClusterID, MaxNodeID, MaxShardGroupID, MaxShardID. */
const DATA_REQUIRED = 0b111000111;

/** A Data with nothing in it: every field at its default. */
export function emptyData(): MetaData {
  return {
    term: 0,
    index: 0,
    clusterId: 0n,
    metaNodes: [],
    dataNodes: [],
    databases: [],
    users: [],
    maxNodeId: 0,
    maxShardGroupId: 0,
    maxShardId: 0,
  };
}

/** Databases decoded between two pauses of readDataSteps (about 30 KB of a typical Data). */
const DATABASES_PER_STEP = 64;

/** `Data` from its wire bytes, in steps: it pauses after every few databases (src/util/steps.ts). */
export function* readDataSteps(bytes: Uint8Array, fail: ErrorFactory): Steps<MetaData> {
  const r = new Reader(bytes, 0, bytes.length, fail);
  const data = emptyData();
  const legacyNodes: NodeInfo[] = [];
  let seen = 0;
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) | VARINT:
        data.term = r.uint64("Data.term");
        seen |= 1 << 0;
        break;
      case (2 << 3) | VARINT:
        data.index = r.uint64("Data.index");
        seen |= 1 << 1;
        break;
      case (3 << 3) | VARINT:
        data.clusterId = r.uint64Big();
        seen |= 1 << 2;
        break;
      case (4 << 3) | LEN:
        legacyNodes.push(readNode(r));
        break;
      case (5 << 3) | LEN:
        data.databases.push(readDatabase(r));
        if (data.databases.length % DATABASES_PER_STEP === 0) yield;
        break;
      case (6 << 3) | LEN:
        data.users.push(readUser(r));
        break;
      case (7 << 3) | VARINT:
        data.maxNodeId = r.uint64("Data.maxNodeId");
        seen |= 1 << 6;
        break;
      case (8 << 3) | VARINT:
        data.maxShardGroupId = r.uint64("Data.maxShardGroupId");
        seen |= 1 << 7;
        break;
      case (9 << 3) | VARINT:
        data.maxShardId = r.uint64("Data.maxShardId");
        seen |= 1 << 8;
        break;
      case (10 << 3) | LEN:
        data.dataNodes.push(readNode(r));
        break;
      case (11 << 3) | LEN:
        data.metaNodes.push(readNode(r));
        break;
      default:
        r.skip(tag & 7);
    }
  }
  requireFields(seen, DATA_REQUIRED, DATA_FIELDS, fail);
  // Before 0.10 the data nodes were `Nodes` (Go reads them as DataNodes).
  if (legacyNodes.length > 0) data.dataNodes = legacyNodes;
  return data;
}
