/**
 * fast-check arbitraries of /execute bodies: valid meta commands with extreme field values, the
 * same commands mutated at the wire level (bit flips, truncations, lengths that run past the
 * end, wrong wire types, unknown extension fields, over-long varints), raw protobuf that the
 * typed encoder refuses to write (IDs of 2^53), and arbitrary bytes.
 */

import fc from "fast-check";
import protobuf from "protobufjs";
import { COMMAND_TYPES, encodeCommand, type MetaCommand, type MetaData } from "../../src/proto/index.ts";

/** Strings a hostile client would pick: empty, unicode (astral, combining, RTL, NUL), long. */
export const hostileString = (maxLength = 64): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.string({ maxLength }) },
    { weight: 3, arbitrary: fc.string({ unit: "binary", maxLength }) },
    { weight: 2, arbitrary: fc.string({ unit: "grapheme-composite", maxLength }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom("", "\0", "\u202e", "💥", "a\u0301", "%s%n", "../../etc/passwd", "\r\n"),
    },
    { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 20_000 }).map((n) => "x".repeat(n)) },
  );

/** uint64 fields the codec holds as numbers: 0, small, and the edge at 2^53 - 1. */
const id = fc.oneof(
  fc.constantFrom(0, 1, 2 ** 32, Number.MAX_SAFE_INTEGER),
  fc.integer({ min: 0, max: 100 }),
  fc.maxSafeNat(),
);
const int64 = fc.oneof(
  fc.constantFrom(0n, 1n, -1n, -(1n << 63n), (1n << 63n) - 1n),
  fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
);
const uint64Big = fc.oneof(
  fc.constantFrom(0n, (1n << 64n) - 1n),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
);
const uint32 = fc.oneof(fc.constantFrom(0, 1, 0xffffffff), fc.nat({ max: 0xffffffff }));
const int32 = fc.oneof(
  fc.constantFrom(0, -1, 3, 0x7fffffff, -0x7fffffff),
  fc.integer({ min: -0x7fffffff, max: 0x7fffffff }),
);
const name = hostileString();

const retentionPolicy = fc.record({
  name,
  duration: int64,
  shardGroupDuration: int64,
  replicaN: uint32,
  shardGroups: fc.array(
    fc.record({
      id,
      startTime: int64,
      endTime: int64,
      deletedAt: int64,
      truncatedAt: int64,
      shards: fc.array(fc.record({ id, owners: fc.array(fc.record({ nodeId: id }), { maxLength: 2 }) }), {
        maxLength: 2,
      }),
    }),
    { maxLength: 2 },
  ),
  subscriptions: fc.array(fc.record({ name, mode: name, destinations: fc.array(name, { maxLength: 2 }) }), {
    maxLength: 2,
  }),
});

const nodeInfo = fc.record({ id, addr: name, tcpAddr: name });

const metaData: fc.Arbitrary<MetaData> = fc.record({
  term: id,
  index: id,
  clusterId: uint64Big,
  metaNodes: fc.array(nodeInfo, { maxLength: 3 }),
  dataNodes: fc.array(nodeInfo, { maxLength: 3 }),
  databases: fc.array(
    fc.record({
      name,
      defaultRetentionPolicy: name,
      retentionPolicies: fc.array(retentionPolicy, { maxLength: 2 }),
      continuousQueries: fc.array(fc.record({ name, query: name }), { maxLength: 2 }),
    }),
    { maxLength: 3 },
  ),
  users: fc.array(
    fc.record({
      name,
      hash: name,
      admin: fc.boolean(),
      privileges: fc.array(fc.record({ database: name, privilege: int32 }), { maxLength: 2 }),
    }),
    { maxLength: 2 },
  ),
  maxNodeId: id,
  maxShardGroupId: id,
  maxShardId: id,
});

/**
 * Every command type except DeleteMetaNodeCommand, which changes the Raft membership: a
 * legitimate, tested-elsewhere operation that would only turn this suite into a removal test.
 */
export const validCommand: fc.Arbitrary<MetaCommand> = fc.oneof(
  fc.record({ type: fc.constant("CreateNodeCommand" as const), host: name, rand: uint64Big }),
  fc.record({ type: fc.constant("DeleteNodeCommand" as const), id, force: fc.boolean() }),
  fc.record(
    {
      type: fc.constant("CreateDatabaseCommand" as const),
      name,
      retentionPolicy: retentionPolicy,
    },
    { requiredKeys: ["type", "name"] },
  ),
  fc.record({ type: fc.constant("DropDatabaseCommand" as const), name }),
  fc.record(
    {
      type: fc.constant("CreateRetentionPolicyCommand" as const),
      database: name,
      retentionPolicy,
      default: fc.boolean(),
    },
    { requiredKeys: ["type", "database", "retentionPolicy"] },
  ),
  fc.record({ type: fc.constant("DropRetentionPolicyCommand" as const), database: name, name }),
  fc.record({ type: fc.constant("SetDefaultRetentionPolicyCommand" as const), database: name, name }),
  fc.record(
    {
      type: fc.constant("UpdateRetentionPolicyCommand" as const),
      database: name,
      name,
      newName: name,
      duration: int64,
      replicaN: uint32,
      shardGroupDuration: int64,
      default: fc.boolean(),
    },
    { requiredKeys: ["type", "database", "name"] },
  ),
  fc.record({
    type: fc.constant("CreateShardGroupCommand" as const),
    database: name,
    policy: name,
    timestamp: int64,
  }),
  fc.record({
    type: fc.constant("DeleteShardGroupCommand" as const),
    database: name,
    policy: name,
    shardGroupId: id,
  }),
  fc.record({
    type: fc.constant("CreateContinuousQueryCommand" as const),
    database: name,
    name,
    query: name,
  }),
  fc.record({ type: fc.constant("DropContinuousQueryCommand" as const), database: name, name }),
  fc.record({ type: fc.constant("CreateUserCommand" as const), name, hash: name, admin: fc.boolean() }),
  fc.record({ type: fc.constant("DropUserCommand" as const), name }),
  fc.record({ type: fc.constant("UpdateUserCommand" as const), name, hash: name }),
  fc.record({
    type: fc.constant("SetPrivilegeCommand" as const),
    username: name,
    database: name,
    privilege: int32,
  }),
  fc.record({ type: fc.constant("SetDataCommand" as const), data: metaData }),
  fc.record({ type: fc.constant("SetAdminPrivilegeCommand" as const), username: name, admin: fc.boolean() }),
  fc.record({ type: fc.constant("UpdateNodeCommand" as const), id, host: name }),
  fc.record({
    type: fc.constant("CreateSubscriptionCommand" as const),
    name,
    database: name,
    retentionPolicy: name,
    mode: fc.oneof(fc.constantFrom("ALL", "ANY"), name),
    destinations: fc.array(name, { maxLength: 4 }),
  }),
  fc.record({
    type: fc.constant("DropSubscriptionCommand" as const),
    name,
    database: name,
    retentionPolicy: name,
  }),
  fc.record(
    { type: fc.constant("RemovePeerCommand" as const), id, addr: name },
    { requiredKeys: ["type", "addr"] },
  ),
  fc.record({
    type: fc.constant("CreateMetaNodeCommand" as const),
    httpAddr: name,
    tcpAddr: name,
    rand: uint64Big,
  }),
  fc.record({ type: fc.constant("CreateDataNodeCommand" as const), httpAddr: name, tcpAddr: name }),
  fc.record({ type: fc.constant("UpdateDataNodeCommand" as const), id, httpAddr: name, tcpAddr: name }),
  fc.record({ type: fc.constant("DeleteDataNodeCommand" as const), id }),
  fc.record({
    type: fc.constant("SetMetaNodeCommand" as const),
    httpAddr: name,
    tcpAddr: name,
    rand: uint64Big,
  }),
  fc.record({ type: fc.constant("DropShardCommand" as const), id }),
  fc.record({ type: fc.constant("TruncateShardGroupsCommand" as const), timestamp: int64 }),
  fc.record({ type: fc.constant("PruneShardGroupsCommand" as const) }),
  fc.record({ type: fc.constant("CopyShardOwnerCommand" as const), id, nodeId: id }),
  fc.record({ type: fc.constant("RemoveShardOwnerCommand" as const), id, nodeId: id }),
);

// ---------------------------------------------------------------------------------------------
// Wire-level mutations

interface FieldSpan {
  /** Offset of the tag varint. */
  tag: number;
  wireType: number;
  /** For length-delimited fields: offset and size of the length varint. */
  lengthAt?: number;
  lengthSize?: number;
}

/** The fields of a message and (best effort) of the messages nested in it, in byte order. */
function fieldSpans(bytes: Uint8Array, start = 0, end = bytes.length, depth = 0): FieldSpan[] {
  const spans: FieldSpan[] = [];
  const reader = protobuf.Reader.create(bytes.subarray(0, end));
  reader.pos = start;
  try {
    while (reader.pos < end) {
      const tag = reader.pos;
      const wireType = reader.uint32() & 7;
      if (wireType === 2) {
        const lengthAt = reader.pos;
        const length = reader.uint32();
        const body = reader.pos;
        spans.push({ tag, wireType, lengthAt, lengthSize: body - lengthAt });
        if (depth < 4) spans.push(...fieldSpans(bytes, body, Math.min(body + length, end), depth + 1));
        reader.pos = body + length;
      } else {
        spans.push({ tag, wireType });
        reader.skipType(wireType);
      }
    }
  } catch {
    // A nested "message" may be a string: the spans read so far are still real positions.
  }
  return spans;
}

const varint = (value: bigint): number[] => {
  const out: number[] = [];
  let v = BigInt.asUintN(64, value);
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? low | 0x80 : low);
  } while (v > 0n);
  return out;
};

const splice = (bytes: Uint8Array, at: number, remove: number, insert: number[]): Uint8Array =>
  Uint8Array.from([...bytes.subarray(0, at), ...insert, ...bytes.subarray(at + remove)]);

/** A mutation of encoded bytes; `pick` is a random fraction choosing the position it applies to. */
type Mutation = (bytes: Uint8Array) => Uint8Array;

const at = (bytes: Uint8Array, pick: number) => Math.floor(pick * bytes.length);
const spanAt = <T>(list: T[], pick: number): T | undefined => list[Math.floor(pick * list.length)];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // Bit flip anywhere.
  fc
    .tuple(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.nat({ max: 7 }))
    .map(([pick, bit]): Mutation => (b) => {
      if (b.length === 0) return b;
      const out = Uint8Array.from(b);
      out[at(b, pick)] ^= 1 << bit;
      return out;
    }),
  // Truncation.
  fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }).map(
    (pick): Mutation =>
      (b) =>
        b.subarray(0, at(b, pick)),
  ),
  // A length prefix that claims more (or far more) bytes than follow.
  fc
    .tuple(
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      fc.constantFrom(1n, 7n, 1n << 31n, (1n << 64n) - 1n),
    )
    .map(([pick, extra]): Mutation => (b) => {
      const span = spanAt(
        fieldSpans(b).filter((s) => s.lengthAt !== undefined),
        pick,
      );
      if (!span) return b;
      const reader = protobuf.Reader.create(b);
      reader.pos = span.lengthAt!;
      const length = BigInt(reader.uint32());
      return splice(b, span.lengthAt!, span.lengthSize!, varint(length + extra));
    }),
  // The same field number with another wire type (including the invalid 6 and 7).
  fc
    .tuple(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.nat({ max: 7 }))
    .map(([pick, wireType]): Mutation => (b) => {
      const span = spanAt(fieldSpans(b), pick);
      if (!span) return b;
      const out = Uint8Array.from(b);
      out[span.tag] = (out[span.tag] & ~7) | wireType;
      return out;
    }),
  // An extension (or plain field) number the schema does not know, with a payload of any wire type.
  fc
    .tuple(
      fc.oneof(fc.integer({ min: 135, max: 199 }), fc.integer({ min: 2, max: 99 }), fc.constant(536_870_911)),
      fc.constantFrom(0, 1, 2, 5),
      fc.uint8Array({ maxLength: 16 }),
    )
    .map(([field, wireType, payload]): Mutation => (b) => {
      const tag = varint(BigInt((field << 3) | wireType) & 0xffffffffn);
      const value =
        wireType === 0
          ? varint(BigInt(payload[0] ?? 0))
          : wireType === 1
            ? [...payload, 0, 0, 0, 0, 0, 0, 0, 0].slice(0, 8)
            : wireType === 5
              ? [...payload, 0, 0, 0, 0].slice(0, 4)
              : [...varint(BigInt(payload.length)), ...payload];
      return Uint8Array.from([...b, ...tag, ...value]);
    }),
  // A varint of 10 or 11 bytes (the last one past the 64-bit limit) in place of a value or tag.
  fc
    .tuple(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.integer({ min: 10, max: 11 }))
    .map(([pick, size]): Mutation => (b) => {
      const huge = [...Array<number>(size - 1).fill(0xff), 0x01];
      return splice(b, at(b, pick), 0, huge);
    }),
);

export const mutatedCommand: fc.Arbitrary<Uint8Array> = fc
  .tuple(validCommand, fc.array(mutation, { minLength: 1, maxLength: 3 }))
  .map(([cmd, mutations]) => mutations.reduce((b, m) => m(b), encodeCommand(cmd)));

/**
 * Commands the typed encoder cannot produce: an ID of 2^53 and above (must be refused, not
 * rounded), a type with no payload, a payload under another type's extension number, an
 * unknown command type.
 */
export const rawCommand: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.bigInt({ min: 1n << 53n, max: (1n << 64n) - 1n }).map((big) => {
    const payload = protobuf.Writer.create()
      .uint32((1 << 3) | 0)
      .uint64(big.toString())
      .finish();
    const type = COMMAND_TYPES.DropShardCommand;
    return protobuf.Writer.create()
      .uint32((1 << 3) | 0)
      .int32(type)
      .uint32(((100 + type) << 3) | 2)
      .bytes(payload)
      .finish();
  }),
  fc
    .constantFrom(...Object.values(COMMAND_TYPES))
    .map((type) => protobuf.Writer.create().uint32(8).int32(type).finish()),
  fc
    .integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })
    .map((type) => protobuf.Writer.create().uint32(8).int32(type).finish()),
  fc.tuple(fc.constantFrom(...Object.values(COMMAND_TYPES)), validCommand).map(([type, cmd]) => {
    // Re-label a valid command with another type number: its payload sits under the wrong extension.
    const bytes = encodeCommand(cmd);
    return Uint8Array.from([
      ...protobuf.Writer.create().uint32(8).int32(type).finish(),
      ...bytes.subarray(2),
    ]);
  }),
);

/** Every kind of body, arbitrary bytes included. */
export const anyBody: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 512 }) },
  { weight: 2, arbitrary: validCommand.map(encodeCommand) },
  { weight: 4, arbitrary: mutatedCommand },
  { weight: 2, arbitrary: rawCommand },
);
