import { test } from "node:test";
import assert from "node:assert/strict";
import protobuf from "protobufjs";
import { META_PROTO } from "../../src/proto/schema.ts";
import {
  COMMAND_TYPES,
  decodeCommand,
  decodeData,
  decodeResponse,
  encodeCommand,
  encodeData,
  encodeResponse,
  jsFieldName,
  ProtoError,
} from "../../src/proto/index.ts";
import type { CommandName, MetaCommand, MetaData, RetentionPolicyInfo } from "../../src/proto/index.ts";
import { emptyData } from "../../src/meta/data.ts";
import { largeData } from "../support/large-data.ts";

// ---------------------------------------------------------------------------------------------
// Protobuf wire format by hand (https://protobuf.dev/programming-guides/encoding/): a field is
// a varint tag (field number << 3 | wire type) then a varint (type 0) or a varint length and
// that many bytes (type 2). Negative int64 values are sent as their 64-bit two's complement.

function varint(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}
const VARINT = 0;
const LEN = 2;
const tag = (field: number, wireType: number): number[] => varint((field << 3) | wireType);
const num = (field: number, value: number | bigint | boolean): number[] => [
  ...tag(field, VARINT),
  ...varint(typeof value === "boolean" ? Number(value) : value),
];
const bytes = (field: number, content: number[]): number[] => [
  ...tag(field, LEN),
  ...varint(content.length),
  ...content,
];
const str = (field: number, s: string): number[] => bytes(field, [...Buffer.from(s, "utf8")]);
/** A Command: `type` (field 1) then the payload as extension field 100 + type. */
const command = (type: number, payload: number[]): number[] => [
  ...num(1, type),
  ...bytes(100 + type, payload),
];

const hex = (b: Uint8Array | number[]): string => Buffer.from(b).toString("hex");

function assertWire<T>(
  value: T,
  expected: number[],
  encode: (v: T) => Uint8Array,
  decode: (b: Uint8Array) => T,
): void {
  assert.equal(hex(encode(value)), hex(expected));
  assert.deepEqual(decode(Uint8Array.from(expected)), value);
}

const rp = (over: Partial<RetentionPolicyInfo> = {}): RetentionPolicyInfo => ({
  name: "rp1",
  duration: 0n,
  shardGroupDuration: 0n,
  replicaN: 1,
  shardGroups: [],
  subscriptions: [],
  ...over,
});

const smallData = (): MetaData => ({
  term: 2,
  index: 7,
  clusterId: 0xfedcba9876543210n,
  metaNodes: [{ id: 1, addr: "m1:8091", tcpAddr: "m1:8089" }],
  dataNodes: [{ id: 2, addr: "d1:8086", tcpAddr: "d1:8088" }],
  databases: [
    {
      name: "db",
      defaultRetentionPolicy: "autogen",
      retentionPolicies: [
        {
          name: "autogen",
          duration: 0n,
          shardGroupDuration: 604_800_000_000_000n,
          replicaN: 1,
          shardGroups: [
            {
              id: 1,
              startTime: 1_700_000_000_000_000_000n,
              endTime: 1_700_604_800_000_000_000n,
              deletedAt: 0n,
              truncatedAt: 0n,
              shards: [{ id: 1, owners: [{ nodeId: 2 }] }],
            },
          ],
          subscriptions: [{ name: "s", mode: "ALL", destinations: ["udp://h:9000"] }],
        },
      ],
      continuousQueries: [{ name: "cq", query: "SELECT 1" }],
    },
  ],
  users: [{ name: "admin", hash: "$2a$", admin: true, privileges: [{ database: "db", privilege: 3 }] }],
  maxNodeId: 2,
  maxShardGroupId: 1,
  maxShardId: 1,
});

// One sample of every command, every field set (the mapped type makes a missing one a type error).
const SAMPLES: { [K in CommandName]: Extract<MetaCommand, { type: K }> } = {
  CreateNodeCommand: { type: "CreateNodeCommand", host: "h:8088", rand: 0xffff_ffff_ffff_ffffn },
  DeleteNodeCommand: { type: "DeleteNodeCommand", id: 4, force: true },
  CreateDatabaseCommand: {
    type: "CreateDatabaseCommand",
    name: "db",
    retentionPolicy: rp({
      duration: 3_600_000_000_000n,
      shardGroupDuration: 3_600_000_000_000n,
      replicaN: 2,
    }),
  },
  DropDatabaseCommand: { type: "DropDatabaseCommand", name: "db" },
  CreateRetentionPolicyCommand: {
    type: "CreateRetentionPolicyCommand",
    database: "db",
    retentionPolicy: rp(),
    default: true,
  },
  DropRetentionPolicyCommand: { type: "DropRetentionPolicyCommand", database: "db", name: "rp1" },
  SetDefaultRetentionPolicyCommand: { type: "SetDefaultRetentionPolicyCommand", database: "db", name: "rp1" },
  UpdateRetentionPolicyCommand: {
    type: "UpdateRetentionPolicyCommand",
    database: "db",
    name: "rp1",
    newName: "rp2",
    duration: 7_200_000_000_000n,
    replicaN: 3,
    shardGroupDuration: 3_600_000_000_000n,
    default: false,
  },
  CreateShardGroupCommand: {
    type: "CreateShardGroupCommand",
    database: "db",
    policy: "rp1",
    timestamp: 1_700_000_000_123_456_789n,
  },
  DeleteShardGroupCommand: {
    type: "DeleteShardGroupCommand",
    database: "db",
    policy: "rp1",
    shardGroupId: 9,
  },
  CreateContinuousQueryCommand: {
    type: "CreateContinuousQueryCommand",
    database: "db",
    name: "cq",
    query: "SELECT mean(v) INTO x FROM y GROUP BY time(1m)",
  },
  DropContinuousQueryCommand: { type: "DropContinuousQueryCommand", database: "db", name: "cq" },
  CreateUserCommand: { type: "CreateUserCommand", name: "u", hash: "$2a$10$abc", admin: true },
  DropUserCommand: { type: "DropUserCommand", name: "u" },
  UpdateUserCommand: { type: "UpdateUserCommand", name: "u", hash: "$2a$10$def" },
  SetPrivilegeCommand: { type: "SetPrivilegeCommand", username: "u", database: "db", privilege: 2 },
  SetDataCommand: { type: "SetDataCommand", data: smallData() },
  SetAdminPrivilegeCommand: { type: "SetAdminPrivilegeCommand", username: "u", admin: false },
  UpdateNodeCommand: { type: "UpdateNodeCommand", id: 2, host: "h2:8088" },
  CreateSubscriptionCommand: {
    type: "CreateSubscriptionCommand",
    name: "s",
    database: "db",
    retentionPolicy: "rp1",
    mode: "ANY",
    destinations: ["udp://a:1", "http://b:2"],
  },
  DropSubscriptionCommand: {
    type: "DropSubscriptionCommand",
    name: "s",
    database: "db",
    retentionPolicy: "rp1",
  },
  RemovePeerCommand: { type: "RemovePeerCommand", id: 3, addr: "m3:8089" },
  CreateMetaNodeCommand: { type: "CreateMetaNodeCommand", httpAddr: "m:8091", tcpAddr: "m:8089", rand: 42n },
  CreateDataNodeCommand: { type: "CreateDataNodeCommand", httpAddr: "d:8086", tcpAddr: "d:8088" },
  UpdateDataNodeCommand: { type: "UpdateDataNodeCommand", id: 5, httpAddr: "d2:8086", tcpAddr: "d2:8088" },
  DeleteMetaNodeCommand: { type: "DeleteMetaNodeCommand", id: 3 },
  DeleteDataNodeCommand: { type: "DeleteDataNodeCommand", id: 5 },
  SetMetaNodeCommand: { type: "SetMetaNodeCommand", httpAddr: "m:8091", tcpAddr: "m:8089", rand: 1n << 63n },
  DropShardCommand: { type: "DropShardCommand", id: 11 },
  TruncateShardGroupsCommand: { type: "TruncateShardGroupsCommand", timestamp: -1n },
  PruneShardGroupsCommand: { type: "PruneShardGroupsCommand" },
  CopyShardOwnerCommand: { type: "CopyShardOwnerCommand", id: 11, nodeId: 5 },
  RemoveShardOwnerCommand: { type: "RemoveShardOwnerCommand", id: 11, nodeId: 5 },
};

test("schema: Command.Type values 1–34 (20 unused) and payload extensions at 100 + type", () => {
  const root = protobuf.parse(META_PROTO, { keepCase: true }).root;
  root.resolveAll();
  const commandType = root.lookupType("meta.Command");
  const typeEnum = root.lookupEnum("meta.Command.Type");
  assert.deepEqual({ ...typeEnum.values }, COMMAND_TYPES);
  assert.deepEqual(
    Object.values(COMMAND_TYPES).sort((a, b) => a - b),
    Array.from({ length: 34 }, (_, i) => i + 1).filter((n) => n !== 20),
  );
  for (const [name, type] of Object.entries(COMMAND_TYPES)) {
    const ext = commandType.fields[`.meta.${name}.command`];
    assert.ok(ext, `extension for ${name}`);
    assert.equal(ext.id, 100 + type, name);
    assert.equal(ext.resolvedType?.name, name);
  }
  assert.deepEqual(
    root.lookupType("meta.Response").fieldsArray.map((f) => [f.name, f.id, f.type, f.required]),
    [
      ["OK", 1, "bool", true],
      ["Error", 2, "string", false],
      ["Index", 3, "uint64", false],
    ],
  );
  assert.deepEqual(
    root.lookupType("meta.Data").fieldsArray.map((f) => [f.name, f.id]),
    [
      ["Term", 1],
      ["Index", 2],
      ["ClusterID", 3],
      ["Nodes", 4],
      ["Databases", 5],
      ["Users", 6],
      ["MaxNodeID", 7],
      ["MaxShardGroupID", 8],
      ["MaxShardID", 9],
      ["DataNodes", 10],
      ["MetaNodes", 11],
    ],
  );
});

test("Go field names map to camelCase properties", () => {
  const cases: [string, string][] = [
    ["HTTPAddr", "httpAddr"],
    ["TCPAddr", "tcpAddr"],
    ["ID", "id"],
    ["OK", "ok"],
    ["ShardGroupID", "shardGroupId"],
    ["NodeID", "nodeId"],
    ["ClusterID", "clusterId"],
    ["ReplicaN", "replicaN"],
    ["DefaultRetentionPolicy", "defaultRetentionPolicy"],
  ];
  for (const [go, js] of cases) assert.equal(jsFieldName(go), js);
});

test("every command type round-trips with all fields set", () => {
  assert.deepEqual(Object.keys(SAMPLES).sort(), Object.keys(COMMAND_TYPES).sort());
  for (const sample of Object.values(SAMPLES)) {
    const encoded = encodeCommand(sample);
    assert.deepEqual(decodeCommand(encoded), sample, sample.type);
    // type first, then the payload in extension 100 + type
    const type = COMMAND_TYPES[sample.type];
    assert.deepEqual([...encoded.subarray(0, 2)], num(1, type), sample.type);
    assert.deepEqual([...encoded.subarray(2, 4)], tag(100 + type, LEN), sample.type);
  }
});

test("optional command fields stay absent when not set", () => {
  const cases: MetaCommand[] = [
    { type: "CreateDatabaseCommand", name: "db" },
    { type: "CreateRetentionPolicyCommand", database: "db", retentionPolicy: rp() },
    { type: "UpdateRetentionPolicyCommand", database: "db", name: "rp1", replicaN: 2 },
    { type: "RemovePeerCommand", addr: "m3:8089" },
  ];
  for (const cmd of cases) {
    const decoded = decodeCommand(encodeCommand(cmd));
    assert.deepEqual(decoded, cmd);
    assert.deepEqual(Object.keys(decoded).sort(), Object.keys(cmd).sort());
  }
});

/** A RetentionPolicyInfo from rp() on the wire (no shard groups or subscriptions). */
const rpWire = (p: RetentionPolicyInfo): number[] => [
  ...str(1, p.name),
  ...num(2, p.duration),
  ...num(3, p.shardGroupDuration),
  ...num(4, p.replicaN),
];

/**
 * SAMPLES on the wire, built by hand from the Go meta.proto numbers (Command.Type value; the
 * payload is extension 100 + type with the fields below, in number order), independently of
 * src/proto/meta.proto.
 */
const SAMPLE_WIRE: { [K in CommandName]: { type: number; payload: number[] } } = {
  CreateNodeCommand: { type: 1, payload: [...str(1, "h:8088"), ...num(2, 0xffff_ffff_ffff_ffffn)] },
  DeleteNodeCommand: { type: 2, payload: [...num(1, 4), ...num(2, true)] },
  CreateDatabaseCommand: {
    type: 3,
    payload: [...str(1, "db"), ...bytes(2, rpWire(SAMPLES.CreateDatabaseCommand.retentionPolicy!))],
  },
  DropDatabaseCommand: { type: 4, payload: str(1, "db") },
  CreateRetentionPolicyCommand: {
    type: 5,
    payload: [...str(1, "db"), ...bytes(2, rpWire(rp())), ...num(3, true)],
  },
  DropRetentionPolicyCommand: { type: 6, payload: [...str(1, "db"), ...str(2, "rp1")] },
  SetDefaultRetentionPolicyCommand: { type: 7, payload: [...str(1, "db"), ...str(2, "rp1")] },
  UpdateRetentionPolicyCommand: {
    type: 8,
    payload: [
      ...str(1, "db"),
      ...str(2, "rp1"),
      ...str(3, "rp2"),
      ...num(4, 7_200_000_000_000n),
      ...num(5, 3),
      ...num(6, 3_600_000_000_000n),
      ...num(7, false),
    ],
  },
  CreateShardGroupCommand: {
    type: 9,
    payload: [...str(1, "db"), ...str(2, "rp1"), ...num(3, 1_700_000_000_123_456_789n)],
  },
  DeleteShardGroupCommand: { type: 10, payload: [...str(1, "db"), ...str(2, "rp1"), ...num(3, 9)] },
  CreateContinuousQueryCommand: {
    type: 11,
    payload: [...str(1, "db"), ...str(2, "cq"), ...str(3, "SELECT mean(v) INTO x FROM y GROUP BY time(1m)")],
  },
  DropContinuousQueryCommand: { type: 12, payload: [...str(1, "db"), ...str(2, "cq")] },
  CreateUserCommand: { type: 13, payload: [...str(1, "u"), ...str(2, "$2a$10$abc"), ...num(3, true)] },
  DropUserCommand: { type: 14, payload: str(1, "u") },
  UpdateUserCommand: { type: 15, payload: [...str(1, "u"), ...str(2, "$2a$10$def")] },
  SetPrivilegeCommand: { type: 16, payload: [...str(1, "u"), ...str(2, "db"), ...num(3, 2)] },
  SetDataCommand: { type: 17, payload: bytes(1, smallDataWire()) },
  SetAdminPrivilegeCommand: { type: 18, payload: [...str(1, "u"), ...num(2, false)] },
  UpdateNodeCommand: { type: 19, payload: [...num(1, 2), ...str(2, "h2:8088")] },
  CreateSubscriptionCommand: {
    type: 21,
    payload: [
      ...str(1, "s"),
      ...str(2, "db"),
      ...str(3, "rp1"),
      ...str(4, "ANY"),
      ...str(5, "udp://a:1"),
      ...str(5, "http://b:2"),
    ],
  },
  DropSubscriptionCommand: { type: 22, payload: [...str(1, "s"), ...str(2, "db"), ...str(3, "rp1")] },
  RemovePeerCommand: { type: 23, payload: [...num(1, 3), ...str(2, "m3:8089")] },
  CreateMetaNodeCommand: { type: 24, payload: [...str(1, "m:8091"), ...str(2, "m:8089"), ...num(3, 42)] },
  CreateDataNodeCommand: { type: 25, payload: [...str(1, "d:8086"), ...str(2, "d:8088")] },
  UpdateDataNodeCommand: { type: 26, payload: [...num(1, 5), ...str(2, "d2:8086"), ...str(3, "d2:8088")] },
  DeleteMetaNodeCommand: { type: 27, payload: num(1, 3) },
  DeleteDataNodeCommand: { type: 28, payload: num(1, 5) },
  SetMetaNodeCommand: { type: 29, payload: [...str(1, "m:8091"), ...str(2, "m:8089"), ...num(3, 1n << 63n)] },
  DropShardCommand: { type: 30, payload: num(1, 11) },
  TruncateShardGroupsCommand: { type: 31, payload: num(1, -1n) },
  PruneShardGroupsCommand: { type: 32, payload: [] },
  CopyShardOwnerCommand: { type: 33, payload: [...num(1, 11), ...num(2, 5)] },
  RemoveShardOwnerCommand: { type: 34, payload: [...num(1, 11), ...num(2, 5)] },
};

test("wire vector: every command type, byte for byte, both ways", () => {
  for (const [name, { type, payload }] of Object.entries(SAMPLE_WIRE)) {
    const sample = SAMPLES[name as CommandName];
    assert.equal(hex(encodeCommand(sample)), hex(command(type, payload)), name);
    assert.deepEqual(decodeCommand(Uint8Array.from(command(type, payload))), sample, name);
  }
});

test("wire vector: CreateDatabaseCommand", () => {
  // type=3 → 08 03; extension 103, length-delimited → tag 103<<3|2 = 826 = ba 06; payload 0a 02 "db"
  assertWire(
    { type: "CreateDatabaseCommand", name: "db" },
    [0x08, 0x03, 0xba, 0x06, 0x04, 0x0a, 0x02, 0x64, 0x62],
    encodeCommand,
    decodeCommand,
  );
  const withPolicy: MetaCommand = {
    type: "CreateDatabaseCommand",
    name: "db",
    retentionPolicy: rp({
      name: "week",
      duration: 604_800_000_000_000n,
      shardGroupDuration: 86_400_000_000_000n,
      replicaN: 2,
    }),
  };
  const policy = [
    ...str(1, "week"),
    ...num(2, 604_800_000_000_000n),
    ...num(3, 86_400_000_000_000n),
    ...num(4, 2),
  ];
  assertWire(withPolicy, command(3, [...str(1, "db"), ...bytes(2, policy)]), encodeCommand, decodeCommand);
});

test("wire vector: DeleteMetaNodeCommand", () => {
  // 08 1b | 127<<3|2 = 1018 = fa 07 | 02 | 08 03
  assertWire(
    { type: "DeleteMetaNodeCommand", id: 3 },
    [0x08, 0x1b, 0xfa, 0x07, 0x02, 0x08, 0x03],
    encodeCommand,
    decodeCommand,
  );
});

test("wire vector: CreateMetaNodeCommand with a full 64-bit Rand", () => {
  const cmd: MetaCommand = {
    type: "CreateMetaNodeCommand",
    httpAddr: "node3:8091",
    tcpAddr: "node3:8089",
    rand: 0x8000_0000_0000_0001n,
  };
  const expected = command(24, [
    ...str(1, "node3:8091"),
    ...str(2, "node3:8089"),
    ...num(3, 0x8000_0000_0000_0001n),
  ]);
  assert.deepEqual(expected.slice(0, 4), [0x08, 0x18, 0xe2, 0x07]);
  assertWire(cmd, expected, encodeCommand, decodeCommand);
});

test("wire vector: CreateDataNodeCommand", () => {
  const cmd: MetaCommand = { type: "CreateDataNodeCommand", httpAddr: "d1:8086", tcpAddr: "d1:8088" };
  const expected = command(25, [...str(1, "d1:8086"), ...str(2, "d1:8088")]);
  assert.deepEqual(expected.slice(0, 4), [0x08, 0x19, 0xea, 0x07]);
  assertWire(cmd, expected, encodeCommand, decodeCommand);
});

test("wire vector: a negative int64 is ten bytes of two's complement", () => {
  const cmd: MetaCommand = { type: "TruncateShardGroupsCommand", timestamp: -2n };
  const expected = command(31, [0x08, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  assertWire(cmd, expected, encodeCommand, decodeCommand);
});

test("wire vector: Response", () => {
  assertWire(
    { ok: true, error: "x", index: 300 },
    [0x08, 0x01, 0x12, 0x01, 0x78, 0x18, 0xac, 0x02],
    encodeResponse,
    decodeResponse,
  );
  // Go's service leaves OK false and reports only Error.
  assertWire(
    { ok: false, error: "node not found" },
    [...num(1, false), ...str(2, "node not found")],
    encodeResponse,
    decodeResponse,
  );
});

/** smallData() on the wire, built by hand field by field (TruncatedAt only when set). */
function smallDataWire(truncatedAt = 0n): number[] {
  const group = [
    ...num(1, 1),
    ...num(2, 1_700_000_000_000_000_000n),
    ...num(3, 1_700_604_800_000_000_000n),
    ...num(4, 0),
    ...bytes(5, [...num(1, 1), ...bytes(3, num(1, 2))]),
    ...(truncatedAt !== 0n ? num(6, truncatedAt) : []),
  ];
  const database = [
    ...str(1, "db"),
    ...str(2, "autogen"),
    ...bytes(3, [
      ...str(1, "autogen"),
      ...num(2, 0),
      ...num(3, 604_800_000_000_000n),
      ...num(4, 1),
      ...bytes(5, group),
      ...bytes(6, [...str(1, "s"), ...str(2, "ALL"), ...str(3, "udp://h:9000")]),
    ]),
    ...bytes(4, [...str(1, "cq"), ...str(2, "SELECT 1")]),
  ];
  return [
    ...num(1, 2),
    ...num(2, 7),
    ...num(3, 0xfedcba9876543210n),
    ...bytes(5, database),
    ...bytes(6, [
      ...str(1, "admin"),
      ...str(2, "$2a$"),
      ...num(3, true),
      ...bytes(4, [...str(1, "db"), ...num(2, 3)]),
    ]),
    ...num(7, 2),
    ...num(8, 1),
    ...num(9, 1),
    ...bytes(10, [...num(1, 2), ...str(2, "d1:8086"), ...str(3, "d1:8088")]),
    ...bytes(11, [...num(1, 1), ...str(2, "m1:8091"), ...str(3, "m1:8089")]),
  ];
}

test("wire vector: a small Data, fields in number order, TruncatedAt only when set", () => {
  const data = smallData();
  assertWire(data, smallDataWire(), encodeData, decodeData);
  data.databases[0].retentionPolicies[0].shardGroups[0].truncatedAt = 1_700_300_000_000_000_000n;
  assertWire(data, smallDataWire(1_700_300_000_000_000_000n), encodeData, decodeData);
});

test("int64 values beyond 2^53 and the whole uint64 ClusterID survive a round trip, both signs", () => {
  const data = largeData(70, 1); // more databases than one decoding step holds
  const group = data.databases[69].retentionPolicies[0].shardGroups[0];
  const extremes = [2n ** 53n + 1n, -(2n ** 53n) - 1n, (1n << 63n) - 1n, -(1n << 63n)];
  [group.startTime, group.endTime, group.deletedAt, group.truncatedAt] = extremes;
  data.databases[0].retentionPolicies[0].duration = 2n ** 60n + 3n;
  data.clusterId = 2n ** 64n - 1n;
  assert.deepEqual(decodeData(encodeData(data)), data);
  const command = decodeCommand(encodeCommand({ type: "SetDataCommand", data }));
  assert.deepEqual(command, { type: "SetDataCommand", data });
});

test("an empty Data encodes its required fields only", () => {
  assertWire(
    emptyData(),
    [...num(1, 0), ...num(2, 0), ...num(3, 0), ...num(7, 0), ...num(8, 0), ...num(9, 0)],
    encodeData,
    decodeData,
  );
});

test("decoding reads what Go may write: absent optionals, legacy fields, unknown fields", () => {
  const base = [...num(1, 1), ...num(2, 1), ...num(3, 9), ...num(7, 4), ...num(8, 0), ...num(9, 0)];
  // NodeInfo without Addr/TCPAddr; pre-0.10 `Nodes` (field 4) are the data nodes; field 99 unknown.
  const data = decodeData(
    Uint8Array.from([
      ...base,
      ...bytes(4, [...num(1, 4), ...str(2, "old:8086")]),
      ...bytes(11, num(1, 1)),
      ...str(99, "future"),
    ]),
  );
  assert.deepEqual(data.dataNodes, [{ id: 4, addr: "old:8086", tcpAddr: "" }]);
  assert.deepEqual(data.metaNodes, [{ id: 1, addr: "", tcpAddr: "" }]);
  // ShardInfo.OwnerIDs (deprecated field 2) become owners.
  const shardGroup = [
    ...num(1, 1),
    ...num(2, 0),
    ...num(3, 10),
    ...num(4, 0),
    ...bytes(5, [...num(1, 7), ...num(2, 4), ...num(2, 5)]),
  ];
  const policy = [...str(1, "rp"), ...num(2, 0), ...num(3, 10), ...num(4, 2), ...bytes(5, shardGroup)];
  const withShards = decodeData(
    Uint8Array.from([...base, ...bytes(5, [...str(1, "db"), ...str(2, "rp"), ...bytes(3, policy)])]),
  );
  assert.deepEqual(withShards.databases[0].retentionPolicies[0].shardGroups[0].shards, [
    { id: 7, owners: [{ nodeId: 4 }, { nodeId: 5 }] },
  ]);
});

test("malformed command bytes are refused with a clear error", () => {
  const refuse = (b: number[], message: RegExp): void => {
    assert.throws(
      () => decodeCommand(Uint8Array.from(b)),
      (err: unknown) => err instanceof ProtoError && message.test(err.message),
    );
  };
  refuse([], /^malformed command: missing required 'type'$/);
  refuse([0x08], /^malformed command: .*index out of range/);
  refuse([0xff, 0xff], /^malformed command:/);
  refuse([0x08, 0x63], /^unknown command type 99$/);
  refuse([0x08, 0x14], /^unknown command type 20$/);
  refuse(
    [0x08, 0x03],
    /^malformed command: CreateDatabaseCommand without its payload \(extension field 103\)$/,
  );
  // the payload of another type does not count
  refuse(
    command(4, str(1, "db")).map((b, i) => (i === 1 ? 0x03 : b)),
    /without its payload/,
  );
  refuse(command(3, []), /^malformed command: missing required 'Name'$/);
  refuse(command(27, num(1, 2n ** 53n)), /id = 9007199254740992 is above 2\^53 - 1/);
});

test("malformed Data and Response bytes are refused", () => {
  assert.throws(() => decodeData(Uint8Array.from([0x08, 0x01])), /malformed data: missing required 'Index'/);
  assert.throws(() => decodeData(Uint8Array.from([0x0a, 0x05, 0x01])), ProtoError);
  assert.throws(() => decodeResponse(Uint8Array.from([])), /malformed response: missing required 'OK'/);
});

test("encoding refuses objects the schema cannot carry", () => {
  const refuse = (value: unknown, message: RegExp): void => {
    assert.throws(
      () => encodeCommand(value as MetaCommand),
      (err: unknown) => err instanceof ProtoError && message.test(err.message),
    );
  };
  refuse({ type: "CreateDatabaseCommand" }, /CreateDatabaseCommand\.name: missing required field/);
  refuse(
    { type: "DeleteMetaNodeCommand", id: "3" },
    /DeleteMetaNodeCommand\.id: expected a non-negative safe integer/,
  );
  refuse({ type: "DeleteMetaNodeCommand", id: -1 }, /expected a non-negative safe integer/);
  refuse(
    { type: "CreateMetaNodeCommand", httpAddr: "a", tcpAddr: "b", rand: 1 },
    /rand: expected a uint64 bigint/,
  );
  refuse(
    { type: "CreateShardGroupCommand", database: "d", policy: "p", timestamp: 1n << 63n },
    /expected an int64 bigint/,
  );
  refuse({ type: "DropDatabaseCommand", name: "db", nmae: "x" }, /DropDatabaseCommand has no field "nmae"/);
  refuse({ type: "NoSuchCommand" }, /unknown command type "NoSuchCommand"/);
  refuse(
    { type: "CreateDatabaseCommand", name: "db", retentionPolicy: { name: "rp" } },
    /retentionPolicy\.duration: missing required field/,
  );
});
