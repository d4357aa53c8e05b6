import { test } from "node:test";
import assert from "node:assert/strict";
import { EntryType } from "../../src/raft/types.ts";
import type { Entry } from "../../src/raft/types.ts";
import fc from "fast-check";
import { decodeData, encodeCommand, encodeData, ProtoError } from "../../src/proto/index.ts";
import type { MetaCommand, MetaData, RetentionPolicyInfo } from "../../src/proto/index.ts";
import { MetaStateMachine, validateCommand } from "../../src/meta/fsm.ts";
import type { FsmResult, MetaStateMachineOptions } from "../../src/meta/fsm.ts";
import { emptyData, type MetaState } from "../../src/meta/data.ts";
import { plainData } from "../support/plain-data.ts";

/** The state as the protobuf `Data` (databases in an array): what the assertions compare with. */
type PlainState = ReturnType<typeof plainData>;

const HOUR = 3_600_000_000_000n;
const DAY = 24n * HOUR;
const WEEK = 7n * DAY;
const ms = (isoDate: string): bigint => BigInt(Date.parse(isoDate)) * 1_000_000n;

/** An FSM fed with consecutive log entries, as the Raft host feeds it. */
function harness(options?: MetaStateMachineOptions) {
  const fsm = new MetaStateMachine(options);
  let index = 0;
  const entries: Entry[] = [];
  const applyEntry = (entry: Omit<Entry, "index">) => {
    const full = { ...entry, index: ++index };
    entries.push(full);
    return fsm.apply(full);
  };
  const run = (cmd: MetaCommand, term = 1) =>
    applyEntry({ term, type: EntryType.Command, data: encodeCommand(cmd) });
  /** Applies and asserts success. */
  const ok = (...cmds: MetaCommand[]) => {
    for (const cmd of cmds) assert.deepEqual(run(cmd), {}, `${cmd.type} should succeed`);
  };
  /** Applies, asserts the error, and that nothing but term/index changed. */
  const refused = (cmd: MetaCommand, error: string) => {
    const before = fsm.data();
    const beforeBytes = fsm.snapshot();
    assert.deepEqual(run(cmd), { error });
    assert.deepEqual({ ...fsm.data(), term: before.term, index: before.index }, before);
    assertOnlyTermAndIndexChanged(before, fsm.data());
    // The refused command wrote nothing into the state it started from either.
    assert.deepEqual(decodeData(beforeBytes), plainData(before));
  };
  return { fsm, run, ok, refused, applyEntry, entries, data: () => plainData(fsm.data()) };
}

const rpSettings = (name: string, over: Partial<RetentionPolicyInfo> = {}): RetentionPolicyInfo => ({
  name,
  duration: 0n,
  shardGroupDuration: 0n,
  replicaN: 1,
  shardGroups: [],
  subscriptions: [],
  ...over,
});

const metaNode = (n: number, rand = BigInt(n)): MetaCommand => ({
  type: "CreateMetaNodeCommand",
  httpAddr: `m${n}:8091`,
  tcpAddr: `m${n}:8089`,
  rand,
});
const dataNode = (n: number): MetaCommand => ({
  type: "CreateDataNodeCommand",
  httpAddr: `d${n}:8086`,
  tcpAddr: `d${n}:8088`,
});

/** Not merely equal: every field but term and index is the very same object as before. */
function assertOnlyTermAndIndexChanged(before: MetaState, after: MetaState): void {
  for (const key of Object.keys(before) as (keyof MetaState)[]) {
    if (key !== "term" && key !== "index") assert.equal(after[key], before[key], `${key} is shared`);
  }
}

function policy(data: PlainState, db: string, rp: string) {
  const found = data.databases.find((d) => d.name === db)?.retentionPolicies.find((r) => r.name === rp);
  assert.ok(found, `${db}.${rp} exists`);
  return found;
}

// ---------------------------------------------------------------------------------------------

test("every applied entry sets term and index, whatever its outcome", () => {
  const h = harness();
  h.ok(metaNode(1));
  assert.equal(h.data().term, 1);
  assert.equal(h.data().index, 1);
  assert.deepEqual(h.run({ type: "DeleteMetaNodeCommand", id: 9 }, 2), { error: "node not found" });
  assert.deepEqual([h.data().term, h.data().index, h.fsm.index()], [2, 2, 2]);
  // A configuration entry without a command, and a leader's no-op entry.
  assert.deepEqual(
    h.applyEntry({ term: 3, type: EntryType.Config, data: new Uint8Array(), config: { servers: [] } }),
    {},
  );
  assert.deepEqual(h.applyEntry({ term: 4, type: EntryType.Noop, data: new Uint8Array() }), {});
  assert.deepEqual([h.data().term, h.data().index], [4, 4]);
  assert.equal(h.data().metaNodes.length, 1);
});

test("a Config entry carrying DeleteMetaNodeCommand applies it", () => {
  const h = harness();
  h.ok(metaNode(1), metaNode(2));
  const data = encodeCommand({ type: "DeleteMetaNodeCommand", id: 2 });
  assert.deepEqual(h.applyEntry({ term: 1, type: EntryType.Config, data, config: { servers: [] } }), {});
  assert.deepEqual(
    h.data().metaNodes.map((n) => n.id),
    [1],
  );
});

test("bytes that reached the log undecoded are refused alike on every server", () => {
  const h = harness();
  assert.deepEqual(h.applyEntry({ term: 1, type: EntryType.Command, data: Uint8Array.from([0x08, 0x63]) }), {
    error: "unknown command type 99",
  });
  assert.equal(h.data().index, 1);
});

test("validateCommand accepts complete commands and refuses the rest before the log", async () => {
  assert.deepEqual(await validateCommand(encodeCommand({ type: "DeleteMetaNodeCommand", id: 3 })), {
    type: "DeleteMetaNodeCommand",
    id: 3,
  });
  await assert.rejects(
    validateCommand(Uint8Array.from([0x08, 0x63])),
    (e: unknown) => e instanceof ProtoError && e.message === "unknown command type 99",
  );
  await assert.rejects(validateCommand(Uint8Array.from([0x08, 0x1b])), /malformed command/);
});

// ---------------------------------------------------------------------------------------------
// Nodes

test("CreateMetaNodeCommand assigns IDs, keeps nodes sorted, fixes the cluster ID once, is idempotent", () => {
  const h = harness();
  h.ok(metaNode(1, 111n), metaNode(2, 222n));
  assert.deepEqual(h.data().metaNodes, [
    { id: 1, addr: "m1:8091", tcpAddr: "m1:8089" },
    { id: 2, addr: "m2:8091", tcpAddr: "m2:8089" },
  ]);
  assert.equal(h.data().clusterId, 111n);
  assert.equal(h.data().maxNodeId, 2);
  // Same HTTP address again: accepted, nothing added (joins are retried).
  h.ok({ type: "CreateMetaNodeCommand", httpAddr: "m1:8091", tcpAddr: "other:8089", rand: 5n });
  assert.equal(h.data().metaNodes.length, 2);
  assert.equal(h.data().maxNodeId, 2);
  // A meta node on a data node's TCP address is the same server: it shares the ID.
  h.ok({ type: "CreateDataNodeCommand", httpAddr: "x:8086", tcpAddr: "x:8088" });
  h.ok({ type: "CreateMetaNodeCommand", httpAddr: "x:8091", tcpAddr: "x:8088", rand: 7n });
  assert.deepEqual(h.fsm.metaNodeByAddr("x:8091"), { id: 3, addr: "x:8091", tcpAddr: "x:8088" });
  assert.equal(h.data().maxNodeId, 3);
});

test("SetMetaNodeCommand creates or re-addresses the only meta node, refuses with several", () => {
  const h = harness();
  h.ok({ type: "SetMetaNodeCommand", httpAddr: "a:8091", tcpAddr: "a:8089", rand: 9n });
  assert.deepEqual(h.data().metaNodes, [{ id: 1, addr: "a:8091", tcpAddr: "a:8089" }]);
  assert.equal(h.data().clusterId, 9n);
  h.ok({ type: "SetMetaNodeCommand", httpAddr: "b:8091", tcpAddr: "b:8089", rand: 10n });
  assert.deepEqual(h.data().metaNodes, [{ id: 1, addr: "b:8091", tcpAddr: "b:8089" }]);
  assert.equal(h.data().clusterId, 9n);
  h.ok(metaNode(2));
  h.refused(
    { type: "SetMetaNodeCommand", httpAddr: "c:8091", tcpAddr: "c:8089", rand: 1n },
    "can't set meta node when there are more than 1 in the metastore",
  );
});

test("DeleteMetaNodeCommand removes the record; refuses ID 0 and unknown IDs", () => {
  const h = harness();
  h.ok(metaNode(1), metaNode(2), metaNode(3));
  h.ok({ type: "DeleteMetaNodeCommand", id: 2 });
  assert.deepEqual(
    h.data().metaNodes.map((n) => n.id),
    [1, 3],
  );
  assert.equal(h.fsm.metaNodeById(2), undefined);
  assert.equal(h.fsm.metaNodeById(3)?.addr, "m3:8091");
  h.refused({ type: "DeleteMetaNodeCommand", id: 0 }, "node id must be greater than 0");
  h.refused({ type: "DeleteMetaNodeCommand", id: 2 }, "node not found");
  // A new node never reuses a deleted ID.
  h.ok(metaNode(4));
  assert.equal(h.fsm.metaNodeByAddr("m4:8091")?.id, 4);
});

test("CreateDataNodeCommand assigns an ID, shares a meta node's ID on the same TCP address, refuses duplicates", () => {
  const h = harness();
  h.ok(metaNode(1), dataNode(1));
  assert.deepEqual(h.fsm.dataNodeByAddr("d1:8088"), { id: 2, addr: "d1:8086", tcpAddr: "d1:8088" });
  assert.equal(h.fsm.dataNodeById(2)?.addr, "d1:8086");
  h.refused(
    { type: "CreateDataNodeCommand", httpAddr: "other:8086", tcpAddr: "d1:8088" },
    "node already exists",
  );
  h.ok({ type: "CreateDataNodeCommand", httpAddr: "m1:8086", tcpAddr: "m1:8089" });
  assert.equal(h.fsm.dataNodeByAddr("m1:8089")?.id, 1);
  assert.deepEqual(
    h.data().dataNodes.map((n) => n.id),
    [1, 2],
  );
});

test("UpdateDataNodeCommand re-addresses a data node; unknown ID refused", () => {
  const h = harness();
  h.ok(dataNode(1));
  h.ok({ type: "UpdateDataNodeCommand", id: 1, httpAddr: "n:8086", tcpAddr: "n:8088" });
  assert.deepEqual(h.data().dataNodes, [{ id: 1, addr: "n:8086", tcpAddr: "n:8088" }]);
  h.refused(
    { type: "UpdateDataNodeCommand", id: 7, httpAddr: "z:8086", tcpAddr: "z:8088" },
    "node not found",
  );
});

test("legacy node commands: CreateNodeCommand makes a data node, Delete/UpdateNode and RemovePeer change nothing", () => {
  const h = harness();
  h.ok({ type: "CreateNodeCommand", host: "old1:8088", rand: 77n });
  assert.deepEqual(h.data().dataNodes, [{ id: 1, addr: "old1:8088", tcpAddr: "old1:8088" }]);
  assert.equal(h.data().clusterId, 77n);
  // With exactly one meta node the data node takes its ID.
  const single = harness();
  single.ok(metaNode(1), { type: "CreateNodeCommand", host: "m1:8088", rand: 5n });
  assert.deepEqual(single.data().dataNodes, [{ id: 1, addr: "m1:8088", tcpAddr: "m1:8088" }]);
  single.refused({ type: "CreateNodeCommand", host: "m1:8088", rand: 5n }, "node already exists");

  h.ok(metaNode(2));
  const before = h.data();
  h.ok(
    { type: "DeleteNodeCommand", id: 1, force: true },
    { type: "UpdateNodeCommand", id: 1, host: "x:1" },
    { type: "RemovePeerCommand", id: 2, addr: "m2:8089" },
  );
  assert.deepEqual({ ...h.data(), term: before.term, index: before.index }, before);
});

test("DeleteDataNodeCommand strips the node from shard owners and handles orphans deterministically", () => {
  const h = harness();
  h.ok(dataNode(1), dataNode(2), dataNode(3));
  h.ok({
    type: "CreateDatabaseCommand",
    name: "db",
    retentionPolicy: rpSettings("rp", { replicaN: 1, shardGroupDuration: WEEK }),
  });
  h.ok({
    type: "CreateShardGroupCommand",
    database: "db",
    policy: "rp",
    timestamp: ms("2024-01-03T00:00:00Z"),
  });
  const group = () => policy(h.data(), "db", "rp").shardGroups[0];
  // replicaN 1 over 3 nodes → 3 shards, one per node.
  assert.deepEqual(
    group().shards.map((s) => s.owners.map((o) => o.nodeId).length),
    [1, 1, 1],
  );
  const ownedBy2 = group().shards.find((s) => s.owners[0].nodeId === 2)!.id;

  h.ok({ type: "DeleteDataNodeCommand", id: 2 });
  assert.deepEqual(
    h.data().dataNodes.map((n) => n.id),
    [1, 3],
  );
  // The orphaned shard goes to the least loaded remaining owner, lowest ID on a tie: node 1.
  assert.deepEqual(group().shards.find((s) => s.id === ownedBy2)!.owners, [{ nodeId: 1 }]);
  assert.equal(group().deletedAt, 0n);
  assert.ok(group().shards.every((s) => s.owners.every((o) => o.nodeId !== 2)));

  h.refused({ type: "DeleteDataNodeCommand", id: 2 }, "node not found");

  // Once every shard has lost its last owner the group is marked deleted.
  h.ok({ type: "DeleteDataNodeCommand", id: 1 }, { type: "DeleteDataNodeCommand", id: 3 });
  assert.equal(group().deletedAt, group().endTime);
});

// ---------------------------------------------------------------------------------------------
// Databases and retention policies

test("CreateDatabaseCommand adds the database with an autogen default policy, idempotently", () => {
  const h = harness();
  h.ok(dataNode(1), dataNode(2), dataNode(3), dataNode(4));
  h.ok({ type: "CreateDatabaseCommand", name: "db" });
  assert.deepEqual(h.data().databases, [
    {
      name: "db",
      defaultRetentionPolicy: "autogen",
      retentionPolicies: [rpSettings("autogen", { replicaN: 3, shardGroupDuration: WEEK })],
      continuousQueries: [],
    },
  ]);
  h.ok({ type: "CreateDatabaseCommand", name: "db" });
  assert.equal(h.data().databases.length, 1);
  h.refused({ type: "CreateDatabaseCommand", name: "" }, "database name required");
  h.refused({ type: "CreateDatabaseCommand", name: "x".repeat(256) }, "name too long");

  const noAuto = harness({ retentionAutoCreate: false });
  noAuto.ok({ type: "CreateDatabaseCommand", name: "db" });
  assert.deepEqual(noAuto.data().databases[0].retentionPolicies, []);
  assert.equal(noAuto.data().databases[0].defaultRetentionPolicy, "");
});

test("CreateDatabaseCommand with a policy makes it the default; a different one is a conflict", () => {
  const h = harness();
  h.ok({
    type: "CreateDatabaseCommand",
    name: "db",
    retentionPolicy: rpSettings("week", { duration: WEEK, replicaN: 2 }),
  });
  assert.equal(h.data().databases[0].defaultRetentionPolicy, "week");
  // Shard group duration normalised from the retention duration (≥ 2 days and < 180 days → 1 day).
  assert.equal(policy(h.data(), "db", "week").shardGroupDuration, DAY);
  h.ok({
    type: "CreateDatabaseCommand",
    name: "db",
    retentionPolicy: rpSettings("week", { duration: WEEK, replicaN: 2 }),
  });
  h.refused(
    {
      type: "CreateDatabaseCommand",
      name: "db",
      retentionPolicy: rpSettings("week", { duration: WEEK, replicaN: 3 }),
    },
    "retention policy conflicts with an existing policy",
  );
  h.refused(
    { type: "CreateDatabaseCommand", name: "db2", retentionPolicy: rpSettings("rp", { replicaN: 0 }) },
    "replication factor must be greater than 0",
  );
  assert.equal(h.data().databases.length, 1, "the refused command did not create db2");
});

test("DropDatabaseCommand removes the database and privileges on it; unknown names are fine", () => {
  const h = harness();
  h.ok(
    { type: "CreateDatabaseCommand", name: "a" },
    { type: "CreateDatabaseCommand", name: "b" },
    { type: "CreateUserCommand", name: "u", hash: "h", admin: false },
    { type: "SetPrivilegeCommand", username: "u", database: "a", privilege: 1 },
    { type: "SetPrivilegeCommand", username: "u", database: "b", privilege: 2 },
  );
  h.ok({ type: "DropDatabaseCommand", name: "a" });
  assert.deepEqual(
    h.data().databases.map((d) => d.name),
    ["b"],
  );
  assert.deepEqual(h.data().users[0].privileges, [{ database: "b", privilege: 2 }]);
  h.ok({ type: "DropDatabaseCommand", name: "nope" });
});

test("CreateRetentionPolicyCommand: creates, normalises, is idempotent, and refuses conflicts", () => {
  const h = harness({ retentionAutoCreate: false });
  h.ok({ type: "CreateDatabaseCommand", name: "db" });
  h.ok({
    type: "CreateRetentionPolicyCommand",
    database: "db",
    retentionPolicy: rpSettings("short", { duration: 10n * HOUR, shardGroupDuration: 1n }),
  });
  assert.equal(
    policy(h.data(), "db", "short").shardGroupDuration,
    HOUR,
    "below an hour is raised to an hour",
  );
  assert.equal(h.data().databases[0].defaultRetentionPolicy, "");
  h.ok({
    type: "CreateRetentionPolicyCommand",
    database: "db",
    retentionPolicy: rpSettings("long", { duration: 365n * DAY }),
    default: true,
  });
  assert.equal(h.data().databases[0].defaultRetentionPolicy, "long");
  assert.equal(policy(h.data(), "db", "long").shardGroupDuration, WEEK);
  // identical again: fine
  h.ok({
    type: "CreateRetentionPolicyCommand",
    database: "db",
    retentionPolicy: rpSettings("long", { duration: 365n * DAY }),
    default: true,
  });

  const create = (rp: RetentionPolicyInfo, database = "db", makeDefault = false): MetaCommand => ({
    type: "CreateRetentionPolicyCommand",
    database,
    retentionPolicy: rp,
    default: makeDefault,
  });
  h.refused(create(rpSettings("long", { duration: 30n * DAY })), "retention policy already exists");
  h.refused(
    create(rpSettings("short", { duration: 10n * HOUR }), "db", true),
    "retention policy conflicts with an existing policy",
  );
  h.refused(create(rpSettings("x"), "nodb"), "database not found: nodb");
  h.refused(create(rpSettings("")), "retention policy name required");
  h.refused(create(rpSettings("y".repeat(256))), "name too long");
  h.refused(create(rpSettings("z", { replicaN: 0 })), "replication factor must be greater than 0");
  h.refused(
    create(rpSettings("z", { duration: 2n * HOUR, shardGroupDuration: 3n * HOUR })),
    "retention policy duration must be greater than the shard duration",
  );
});

test("DropRetentionPolicyCommand removes a policy; unknown database or policy is fine", () => {
  const h = harness();
  h.ok(
    { type: "CreateDatabaseCommand", name: "db" },
    { type: "DropRetentionPolicyCommand", database: "db", name: "autogen" },
  );
  assert.deepEqual(h.data().databases[0].retentionPolicies, []);
  h.ok(
    { type: "DropRetentionPolicyCommand", database: "db", name: "none" },
    { type: "DropRetentionPolicyCommand", database: "nodb", name: "x" },
  );
});

test("SetDefaultRetentionPolicyCommand sets the default; unknown database or policy refused", () => {
  const h = harness();
  h.ok(
    { type: "CreateDatabaseCommand", name: "db" },
    { type: "CreateRetentionPolicyCommand", database: "db", retentionPolicy: rpSettings("other") },
    { type: "SetDefaultRetentionPolicyCommand", database: "db", name: "other" },
  );
  assert.equal(h.data().databases[0].defaultRetentionPolicy, "other");
  h.refused(
    { type: "SetDefaultRetentionPolicyCommand", database: "db", name: "none" },
    "retention policy not found: none",
  );
  h.refused(
    { type: "SetDefaultRetentionPolicyCommand", database: "nodb", name: "other" },
    "database not found: nodb",
  );
});

test("UpdateRetentionPolicyCommand changes only the fields given and checks them", () => {
  const h = harness();
  h.ok(
    { type: "CreateDatabaseCommand", name: "db" },
    { type: "CreateRetentionPolicyCommand", database: "db", retentionPolicy: rpSettings("rp") },
  );
  const update = (
    over: Partial<Extract<MetaCommand, { type: "UpdateRetentionPolicyCommand" }>>,
  ): MetaCommand => ({
    type: "UpdateRetentionPolicyCommand",
    database: "db",
    name: "rp",
    ...over,
  });
  h.ok(update({ duration: 30n * DAY, replicaN: 2 }));
  assert.deepEqual(
    { ...policy(h.data(), "db", "rp") },
    rpSettings("rp", { duration: 30n * DAY, replicaN: 2, shardGroupDuration: WEEK }),
  );
  h.ok(update({ shardGroupDuration: 30n * 60n * 1_000_000_000n }));
  assert.equal(policy(h.data(), "db", "rp").shardGroupDuration, HOUR);
  h.ok(update({ newName: "renamed", default: true }));
  assert.equal(h.data().databases[0].defaultRetentionPolicy, "renamed");
  assert.equal(policy(h.data(), "db", "renamed").replicaN, 2);

  h.refused(update({ database: "nodb" }), "database not found: nodb");
  h.refused(update({ name: "rp" }), "retention policy not found: rp");
  h.refused(update({ name: "renamed", newName: "autogen" }), "retention policy name already exists");
  h.refused(
    update({ name: "renamed", duration: HOUR - 1n }),
    "retention policy duration must be at least 1h0m0s",
  );
  h.refused(
    update({ name: "renamed", duration: 2n * HOUR, shardGroupDuration: 3n * HOUR }),
    "retention policy duration must be greater than the shard duration",
  );
  h.refused(
    update({ name: "renamed", shardGroupDuration: 31n * DAY }),
    "retention policy duration must be greater than the shard duration",
  );
});

// ---------------------------------------------------------------------------------------------
// Shard groups and shards

test("CreateShardGroupCommand: Monday-aligned weekly group, balanced shards, idempotent per timestamp", () => {
  const h = harness();
  h.ok({
    type: "CreateDatabaseCommand",
    name: "db",
    retentionPolicy: rpSettings("rp", { replicaN: 2, shardGroupDuration: WEEK }),
  });
  // Without data nodes nothing is created (and nothing is refused).
  h.ok({
    type: "CreateShardGroupCommand",
    database: "db",
    policy: "rp",
    timestamp: ms("2023-11-15T10:00:00Z"),
  });
  assert.deepEqual(policy(h.data(), "db", "rp").shardGroups, []);

  h.ok(dataNode(1), dataNode(2), dataNode(3));
  const previousIndex = h.data().index;
  h.ok({
    type: "CreateShardGroupCommand",
    database: "db",
    policy: "rp",
    timestamp: ms("2023-11-15T10:00:00Z"),
  });
  const [group] = policy(h.data(), "db", "rp").shardGroups;
  assert.equal(group.id, 1);
  assert.equal(group.startTime, ms("2023-11-13T00:00:00Z"), "weeks start on Monday (Go's zero time)");
  assert.equal(group.endTime, ms("2023-11-20T00:00:00Z"));
  // replicaN 2 on 3 nodes → 3 shards (3 × 2 = 6 replicas, 2 per node), round robin from index % 3.
  const order = [1, 2, 3];
  let next = previousIndex % 3;
  const expectedOwners = [0, 1, 2].map(() => [order[next++ % 3], order[next++ % 3]]);
  assert.deepEqual(
    group.shards.map((s) => s.id),
    [1, 2, 3],
  );
  assert.deepEqual(
    group.shards.map((s) => s.owners.map((o) => o.nodeId)),
    expectedOwners,
  );
  assert.deepEqual([h.data().maxShardGroupId, h.data().maxShardId], [1, 3]);

  h.ok({
    type: "CreateShardGroupCommand",
    database: "db",
    policy: "rp",
    timestamp: ms("2023-11-19T23:59:59Z"),
  });
  assert.equal(policy(h.data(), "db", "rp").shardGroups.length, 1);
  // An earlier week is created and sorted first.
  h.ok({
    type: "CreateShardGroupCommand",
    database: "db",
    policy: "rp",
    timestamp: ms("2023-11-08T00:00:00Z"),
  });
  assert.deepEqual(
    policy(h.data(), "db", "rp").shardGroups.map((g) => g.id),
    [2, 1],
  );

  h.refused(
    { type: "CreateShardGroupCommand", database: "db", policy: "none", timestamp: 0n },
    "retention policy not found: none",
  );
  h.refused(
    { type: "CreateShardGroupCommand", database: "nodb", policy: "rp", timestamp: 0n },
    "database not found: nodb",
  );
  // The empty policy name means the default policy.
  h.ok({
    type: "CreateShardGroupCommand",
    database: "db",
    policy: "",
    timestamp: ms("2023-12-01T00:00:00Z"),
  });
  assert.equal(policy(h.data(), "db", "rp").shardGroups.length, 3);
});

test("CreateShardGroupCommand after a truncation starts the new group at the truncation time", () => {
  const h = harness();
  h.ok(dataNode(1), {
    type: "CreateDatabaseCommand",
    name: "db",
    retentionPolicy: rpSettings("rp", { shardGroupDuration: WEEK }),
  });
  h.ok({
    type: "CreateShardGroupCommand",
    database: "db",
    policy: "rp",
    timestamp: ms("2023-11-14T00:00:00Z"),
  });
  h.ok({ type: "TruncateShardGroupsCommand", timestamp: ms("2023-11-15T12:00:00Z") });
  h.ok({
    type: "CreateShardGroupCommand",
    database: "db",
    policy: "rp",
    timestamp: ms("2023-11-16T00:00:00Z"),
  });
  const groups = policy(h.data(), "db", "rp").shardGroups;
  assert.deepEqual(
    groups.map((g) => [g.id, g.startTime, g.endTime, g.truncatedAt]),
    [
      [1, ms("2023-11-13T00:00:00Z"), ms("2023-11-20T00:00:00Z"), ms("2023-11-15T12:00:00Z")],
      [2, ms("2023-11-15T12:00:00Z"), ms("2023-11-20T00:00:00Z"), 0n],
    ],
  );
});

test("TruncateShardGroupsCommand truncates live groups ending after the time; future groups at their start", () => {
  const h = harness();
  h.ok(dataNode(1), {
    type: "CreateDatabaseCommand",
    name: "db",
    retentionPolicy: rpSettings("rp", { shardGroupDuration: DAY, duration: 0n }),
  });
  for (const day of ["2024-01-01", "2024-01-02", "2024-01-03"]) {
    h.ok({
      type: "CreateShardGroupCommand",
      database: "db",
      policy: "rp",
      timestamp: ms(`${day}T06:00:00Z`),
    });
  }
  h.ok({ type: "TruncateShardGroupsCommand", timestamp: ms("2024-01-02T12:00:00Z") });
  assert.deepEqual(
    policy(h.data(), "db", "rp").shardGroups.map((g) => g.truncatedAt),
    [0n, ms("2024-01-02T12:00:00Z"), ms("2024-01-03T00:00:00Z")],
  );
  // An earlier truncation is kept by a later one.
  h.ok({ type: "TruncateShardGroupsCommand", timestamp: ms("2024-01-02T18:00:00Z") });
  assert.equal(policy(h.data(), "db", "rp").shardGroups[1].truncatedAt, ms("2024-01-02T12:00:00Z"));
});

test("DeleteShardGroupCommand marks the group deleted; PruneShardGroupsCommand removes deleted groups", () => {
  const h = harness();
  h.ok(dataNode(1), {
    type: "CreateDatabaseCommand",
    name: "db",
    retentionPolicy: rpSettings("rp", { shardGroupDuration: DAY }),
  });
  h.ok({
    type: "CreateShardGroupCommand",
    database: "db",
    policy: "rp",
    timestamp: ms("2024-01-01T06:00:00Z"),
  });
  h.ok({
    type: "CreateShardGroupCommand",
    database: "db",
    policy: "rp",
    timestamp: ms("2024-01-02T06:00:00Z"),
  });
  h.ok({ type: "DeleteShardGroupCommand", database: "db", policy: "rp", shardGroupId: 1 });
  const [first, second] = policy(h.data(), "db", "rp").shardGroups;
  assert.equal(first.deletedAt, first.endTime);
  assert.equal(second.deletedAt, 0n);
  h.refused(
    { type: "DeleteShardGroupCommand", database: "db", policy: "rp", shardGroupId: 9 },
    "shard group not found",
  );
  h.refused(
    { type: "DeleteShardGroupCommand", database: "db", policy: "x", shardGroupId: 1 },
    "retention policy not found: x",
  );
  // A deleted group no longer covers its time range.
  h.ok({
    type: "CreateShardGroupCommand",
    database: "db",
    policy: "rp",
    timestamp: ms("2024-01-01T07:00:00Z"),
  });
  assert.equal(policy(h.data(), "db", "rp").shardGroups.length, 3);
  h.ok({ type: "PruneShardGroupsCommand" });
  assert.deepEqual(
    policy(h.data(), "db", "rp").shardGroups.map((g) => g.id),
    [3, 2],
  );
});

test("DropShardCommand removes a shard, marking its group deleted with the last one; unknown IDs ignored", () => {
  const h = harness();
  h.ok(dataNode(1), dataNode(2), {
    type: "CreateDatabaseCommand",
    name: "db",
    retentionPolicy: rpSettings("rp", { shardGroupDuration: DAY }),
  });
  h.ok({
    type: "CreateShardGroupCommand",
    database: "db",
    policy: "rp",
    timestamp: ms("2024-01-01T06:00:00Z"),
  });
  const group = () => policy(h.data(), "db", "rp").shardGroups[0];
  assert.deepEqual(
    group().shards.map((s) => s.id),
    [1, 2],
  );
  h.ok({ type: "DropShardCommand", id: 1 });
  assert.deepEqual(
    group().shards.map((s) => s.id),
    [2],
  );
  assert.equal(group().deletedAt, 0n);
  h.ok({ type: "DropShardCommand", id: 99 });
  h.ok({ type: "DropShardCommand", id: 2 });
  assert.deepEqual(group().shards, []);
  assert.equal(group().deletedAt, group().endTime);
});

test("CopyShardOwnerCommand and RemoveShardOwnerCommand edit owners; a shard without owners is dropped", () => {
  const h = harness();
  h.ok(dataNode(1), dataNode(2), dataNode(3), {
    type: "CreateDatabaseCommand",
    name: "db",
    retentionPolicy: rpSettings("rp", { replicaN: 3, shardGroupDuration: DAY }),
  });
  h.ok({
    type: "CreateShardGroupCommand",
    database: "db",
    policy: "rp",
    timestamp: ms("2024-01-01T06:00:00Z"),
  });
  const shard = () => policy(h.data(), "db", "rp").shardGroups[0].shards.find((s) => s.id === 1);
  assert.deepEqual(
    shard()
      ?.owners.map((o) => o.nodeId)
      .sort(),
    [1, 2, 3],
  );
  h.ok({ type: "RemoveShardOwnerCommand", id: 1, nodeId: 2 });
  assert.deepEqual(
    shard()
      ?.owners.map((o) => o.nodeId)
      .sort(),
    [1, 3],
  );
  h.ok(
    { type: "RemoveShardOwnerCommand", id: 1, nodeId: 1 },
    { type: "RemoveShardOwnerCommand", id: 1, nodeId: 3 },
  );
  assert.equal(shard(), undefined);

  const g = harness();
  g.ok(dataNode(1), dataNode(2), dataNode(3), {
    type: "CreateDatabaseCommand",
    name: "db",
    retentionPolicy: rpSettings("rp", { replicaN: 1, shardGroupDuration: DAY }),
  });
  g.ok({
    type: "CreateShardGroupCommand",
    database: "db",
    policy: "rp",
    timestamp: ms("2024-01-01T06:00:00Z"),
  });
  g.ok({
    type: "RemoveShardOwnerCommand",
    id: 1,
    nodeId: policy(g.data(), "db", "rp").shardGroups[0].shards[0].owners[0].nodeId,
  });
  g.ok(
    { type: "CopyShardOwnerCommand", id: 2, nodeId: 3 },
    { type: "CopyShardOwnerCommand", id: 2, nodeId: 1 },
    { type: "CopyShardOwnerCommand", id: 2, nodeId: 2 },
    { type: "CopyShardOwnerCommand", id: 2, nodeId: 1 },
    { type: "CopyShardOwnerCommand", id: 99, nodeId: 1 },
  );
  assert.deepEqual(
    policy(g.data(), "db", "rp").shardGroups[0].shards.find((s) => s.id === 2)?.owners,
    [{ nodeId: 1 }, { nodeId: 2 }, { nodeId: 3 }],
    "owners stay sorted and unique",
  );
});

// ---------------------------------------------------------------------------------------------
// Continuous queries, subscriptions, users

test("continuous queries: create (idempotent for the same text), refuse a different one, drop", () => {
  const h = harness();
  h.ok({ type: "CreateDatabaseCommand", name: "db" });
  h.ok({ type: "CreateContinuousQueryCommand", database: "db", name: "cq", query: "SELECT 1" });
  h.ok({ type: "CreateContinuousQueryCommand", database: "db", name: "cq", query: "select 1" });
  assert.deepEqual(h.data().databases[0].continuousQueries, [{ name: "cq", query: "SELECT 1" }]);
  h.refused(
    { type: "CreateContinuousQueryCommand", database: "db", name: "cq", query: "SELECT 2" },
    "continuous query already exists",
  );
  h.refused(
    { type: "CreateContinuousQueryCommand", database: "nodb", name: "cq", query: "SELECT 2" },
    "database not found: nodb",
  );
  h.ok({ type: "DropContinuousQueryCommand", database: "db", name: "cq" });
  assert.deepEqual(h.data().databases[0].continuousQueries, []);
  h.ok(
    { type: "DropContinuousQueryCommand", database: "db", name: "cq" },
    { type: "DropContinuousQueryCommand", database: "nodb", name: "cq" },
  );
});

test("subscriptions: create with valid destinations, refuse duplicates and bad URLs, drop", () => {
  const h = harness();
  h.ok({ type: "CreateDatabaseCommand", name: "db" });
  const create = (name: string, destinations: string[], rp = "autogen"): MetaCommand => ({
    type: "CreateSubscriptionCommand",
    name,
    database: "db",
    retentionPolicy: rp,
    mode: "ALL",
    destinations,
  });
  h.ok(create("s", ["udp://h:9000", "http://[::1]:8086", "https://user@host:443/path"]));
  assert.deepEqual(policy(h.data(), "db", "autogen").subscriptions, [
    {
      name: "s",
      mode: "ALL",
      destinations: ["udp://h:9000", "http://[::1]:8086", "https://user@host:443/path"],
    },
  ]);
  h.refused(create("s", ["udp://h:9001"]), "subscription already exists");
  h.refused(create("t", ["tcp://h:9000"]), "invalid subscription URL: tcp://h:9000");
  h.refused(create("t", ["http://h"]), "invalid subscription URL: http://h");
  h.refused(create("t", ["http://h:"]), "invalid subscription URL: http://h:");
  h.refused(create("t", ["udp://h:9000"], "none"), "retention policy not found: none");
  h.ok({ type: "DropSubscriptionCommand", name: "s", database: "db", retentionPolicy: "autogen" });
  assert.deepEqual(policy(h.data(), "db", "autogen").subscriptions, []);
  h.refused(
    { type: "DropSubscriptionCommand", name: "s", database: "db", retentionPolicy: "autogen" },
    "subscription not found",
  );
  h.refused(
    { type: "DropSubscriptionCommand", name: "s", database: "nodb", retentionPolicy: "autogen" },
    "database not found: nodb",
  );
});

test("users: create, update, privileges, admin flag, drop — with their errors", () => {
  const h = harness();
  h.ok({ type: "CreateDatabaseCommand", name: "b" }, { type: "CreateDatabaseCommand", name: "a" });
  h.ok({ type: "CreateUserCommand", name: "u", hash: "h1", admin: false });
  h.refused({ type: "CreateUserCommand", name: "u", hash: "h2", admin: true }, "user already exists");
  h.refused({ type: "CreateUserCommand", name: "", hash: "h2", admin: true }, "username required");
  h.ok({ type: "UpdateUserCommand", name: "u", hash: "h2" });
  h.refused({ type: "UpdateUserCommand", name: "x", hash: "h" }, "user not found");
  h.ok(
    { type: "SetPrivilegeCommand", username: "u", database: "b", privilege: 1 },
    { type: "SetPrivilegeCommand", username: "u", database: "a", privilege: 2 },
    { type: "SetPrivilegeCommand", username: "u", database: "b", privilege: 3 },
  );
  h.refused({ type: "SetPrivilegeCommand", username: "x", database: "a", privilege: 1 }, "user not found");
  h.refused(
    { type: "SetPrivilegeCommand", username: "u", database: "nodb", privilege: 1 },
    "database not found: nodb",
  );
  h.ok({ type: "SetAdminPrivilegeCommand", username: "u", admin: true });
  h.refused({ type: "SetAdminPrivilegeCommand", username: "x", admin: true }, "user not found");
  assert.deepEqual(h.data().users, [
    {
      name: "u",
      hash: "h2",
      admin: true,
      privileges: [
        { database: "a", privilege: 2 },
        { database: "b", privilege: 3 },
      ],
    },
  ]);
  h.ok({ type: "DropUserCommand", name: "u" });
  assert.deepEqual(h.data().users, []);
  h.refused({ type: "DropUserCommand", name: "u" }, "user not found");
});

test("SetDataCommand replaces the whole metadata (term from the entry, index above the imported one)", () => {
  const source = harness();
  source.ok(metaNode(1), dataNode(1), { type: "CreateDatabaseCommand", name: "db" });
  const h = harness();
  h.ok(metaNode(5), metaNode(6));
  assert.deepEqual(h.run({ type: "SetDataCommand", data: source.data() as MetaData }), { index: 4 });
  assert.deepEqual({ ...h.data(), term: 0, index: 0 }, { ...source.data(), term: 0, index: 0 });
  // The imported Data stood at 3, the entry's Raft index is 3: ours publishes 4, above it.
  assert.equal(h.data().index, 4);
});

test("after an import the metadata index continues above the imported one, on every server alike", () => {
  const source = harness();
  source.ok(metaNode(1), dataNode(1), { type: "CreateDatabaseCommand", name: "db" });
  const goData = { ...(source.data() as MetaData), index: 45, term: 7 };
  const h = harness();
  h.ok(metaNode(5));
  // Raft index 2 carries a Data at index 45: 46 is published, and each later entry one more.
  assert.deepEqual(h.run({ type: "SetDataCommand", data: goData }), { index: 46 });
  assert.deepEqual(h.run({ type: "CreateDatabaseCommand", name: "db2" }), { index: 47 });
  assert.deepEqual(h.run({ type: "DropDatabaseCommand", name: "missing" }), { index: 48 });
  assert.equal(h.data().index, 48);
  // A refused command and a no-op entry move it too, as every entry does.
  assert.deepEqual(h.run({ type: "DropUserCommand", name: "nobody" }), {
    error: "user not found",
    index: 49,
  });
  h.applyEntry({ term: 1, type: EntryType.Noop, data: new Uint8Array() });
  assert.equal(h.data().index, 50);
  // A server restored from a snapshot goes on from the same number as one that applied every entry.
  const restored = new MetaStateMachine();
  restored.restore(h.fsm.snapshot());
  const next = {
    term: 1,
    type: EntryType.Command,
    index: 7,
    data: encodeCommand({ type: "CreateDatabaseCommand", name: "db3" }),
  };
  assert.deepEqual(restored.apply(next), { index: 51 });
  assert.deepEqual(h.fsm.apply(next), { index: 51 });
  assert.deepEqual(restored.snapshot(), h.fsm.snapshot());
  // An index too large to go on counting from exactly is refused.
  assert.deepEqual(
    h.fsm.apply({
      ...next,
      index: 8,
      data: encodeCommand({ type: "SetDataCommand", data: { ...goData, index: 2 ** 52 + 1 } }),
    }),
    {
      error: "imported index 4503599627370497 is too large",
      index: 52,
    },
  );
  // An imported Data below the Raft index changes nothing: the Raft index is published.
  const low = harness();
  low.ok(metaNode(1), metaNode(2), metaNode(3));
  assert.deepEqual(low.run({ type: "SetDataCommand", data: { ...goData, index: 1 } }), {});
  assert.equal(low.data().index, 4);
});

// ---------------------------------------------------------------------------------------------
// State machine properties

function workload(): MetaCommand[] {
  return [
    metaNode(1, 0xdead_beef_0000_0001n),
    metaNode(2),
    dataNode(1),
    dataNode(2),
    dataNode(3),
    { type: "CreateDatabaseCommand", name: "db" },
    {
      type: "CreateRetentionPolicyCommand",
      database: "db",
      retentionPolicy: rpSettings("rp", { replicaN: 2, duration: 30n * DAY }),
    },
    { type: "CreateShardGroupCommand", database: "db", policy: "rp", timestamp: ms("2024-02-01T00:00:00Z") },
    {
      type: "CreateShardGroupCommand",
      database: "db",
      policy: "autogen",
      timestamp: ms("2024-02-01T00:00:00Z"),
    },
    { type: "DeleteDataNodeCommand", id: 4 },
    { type: "CreateUserCommand", name: "admin", hash: "x", admin: true },
    { type: "SetPrivilegeCommand", username: "admin", database: "db", privilege: 3 },
    {
      type: "CreateSubscriptionCommand",
      name: "s",
      database: "db",
      retentionPolicy: "rp",
      mode: "ANY",
      destinations: ["udp://a:1"],
    },
    { type: "CreateContinuousQueryCommand", database: "db", name: "cq", query: "SELECT 1" },
    { type: "DeleteShardGroupCommand", database: "db", policy: "autogen", shardGroupId: 2 },
    { type: "TruncateShardGroupsCommand", timestamp: ms("2024-02-01T12:00:00Z") },
    { type: "DeleteMetaNodeCommand", id: 2 },
    { type: "DeleteMetaNodeCommand", id: 2 }, // refused, still advances the index
  ];
}

test("determinism: two state machines applying the same entries have identical snapshots", () => {
  const a = harness();
  for (const cmd of workload()) a.run(cmd, 3);
  const b = new MetaStateMachine();
  const results = a.entries.map((entry) => b.apply(entry));
  assert.deepEqual(results.at(-1), { error: "node not found" });
  assert.deepEqual(b.snapshot(), a.fsm.snapshot());
  assert.ok(
    a.data().databases[0].retentionPolicies.some((rp) => rp.shardGroups.length > 0),
    "the workload made shard groups",
  );
});

test("snapshot and restore round-trip the whole state; a bad snapshot is refused and changes nothing", () => {
  const a = harness();
  for (const cmd of workload()) a.run(cmd, 3);
  const snapshot = a.fsm.snapshot();
  assert.deepEqual(decodeData(snapshot), a.data());

  const b = new MetaStateMachine();
  b.restore(snapshot);
  assert.deepEqual(plainData(b.data()), a.data());
  assert.equal(b.index(), a.entries.length);
  // Restored state keeps working: the next entry continues from it identically.
  const next = encodeCommand(dataNode(9));
  const entry = { index: a.entries.length + 1, term: 3, type: EntryType.Command, data: next };
  assert.deepEqual(b.apply(entry), a.fsm.apply(entry));
  assert.deepEqual(b.snapshot(), a.fsm.snapshot());

  const before = b.snapshot();
  assert.throws(() => b.restore(Uint8Array.from([0x08, 0x01])), ProtoError);
  assert.deepEqual(b.snapshot(), before);
});

test("onChange fires after every applied entry and restore; unsubscribe stops it; a throwing listener cannot break apply", () => {
  const errors: unknown[] = [];
  const h = harness({ onListenerError: (err) => errors.push(err) });
  const seen: number[] = [];
  const off = h.fsm.onChange((data) => seen.push(data.index));
  h.fsm.onChange(() => {
    throw new Error("listener bug");
  });
  h.ok(metaNode(1));
  h.run({ type: "DeleteMetaNodeCommand", id: 7 });
  h.fsm.restore(h.fsm.snapshot());
  assert.deepEqual(seen, [1, 2, 2]);
  assert.equal(errors.length, 3);
  off();
  h.ok(metaNode(2));
  assert.deepEqual(seen, [1, 2, 2]);
  assert.equal(h.data().metaNodes.length, 2);
});

test("structural sharing: a command copies only the path to what it changes; old states stay valid views of their index", () => {
  const h = harness();
  h.ok(metaNode(1), dataNode(1), { type: "CreateDatabaseCommand", name: "a" });
  h.ok({ type: "CreateShardGroupCommand", database: "a", policy: "", timestamp: ms("2024-02-01T00:00:00Z") });
  h.ok({ type: "CreateUserCommand", name: "u", hash: "h", admin: false });
  const v1 = h.data();
  const v1Bytes = h.fsm.snapshot();

  h.ok({ type: "CreateDatabaseCommand", name: "b" });
  const v2 = h.data();
  assert.notEqual(v2.databases, v1.databases);
  assert.equal(v2.databases[0], v1.databases[0], "untouched database a is the same object");
  assert.equal(v2.metaNodes, v1.metaNodes);
  assert.equal(v2.dataNodes, v1.dataNodes);
  assert.equal(v2.users, v1.users);
  assert.deepEqual(
    v2.databases.map((db) => db.name),
    ["a", "b"],
  );
  // The old state is exactly what it was at its index.
  assert.deepEqual(decodeData(v1Bytes), v1);
  assert.equal(v1.index, 5);
  assert.equal(v1.databases.length, 1);

  // A change deep inside "a" copies a, its policy list and that policy, and nothing else.
  const v2Bytes = h.fsm.snapshot();
  h.ok({
    type: "CreateSubscriptionCommand",
    name: "s",
    database: "a",
    retentionPolicy: "autogen",
    mode: "ANY",
    destinations: ["udp://x:1"],
  });
  const v3 = h.data();
  const [a2, a3] = [v2.databases[0], v3.databases[0]];
  assert.notEqual(a3, a2);
  assert.notEqual(a3.retentionPolicies[0], a2.retentionPolicies[0]);
  assert.equal(a3.retentionPolicies[0].shardGroups, a2.retentionPolicies[0].shardGroups);
  assert.equal(a3.continuousQueries, a2.continuousQueries);
  assert.equal(v3.databases[1], v2.databases[1], "database b is shared");
  assert.equal(v3.users, v2.users);
  assert.deepEqual(
    a3.retentionPolicies[0].subscriptions.map((s) => s.name),
    ["s"],
  );
  assert.deepEqual(a2.retentionPolicies[0].subscriptions, []);
  assert.deepEqual(decodeData(v2Bytes), v2);
  assert.deepEqual(decodeData(v1Bytes), v1);
});

test("a command refused after a partial change publishes nothing but the new term and index", () => {
  const h = harness();
  h.ok(metaNode(1), dataNode(1), { type: "CreateDatabaseCommand", name: "a" });
  const before = h.fsm.data();
  const beforeBytes = h.fsm.snapshot();
  // CreateDatabase adds the database, then refuses its policy: the database must not appear.
  const result = h.run({
    type: "CreateDatabaseCommand",
    name: "new",
    retentionPolicy: rpSettings("rp", { replicaN: 0 }),
  });
  assert.deepEqual(result, { error: "replication factor must be greater than 0" });
  assertOnlyTermAndIndexChanged(before, h.fsm.data());
  assert.deepEqual([h.data().term, h.data().index], [1, 4]);
  assert.deepEqual(
    h.data().databases.map((db) => db.name),
    ["a"],
  );
  assert.deepEqual(decodeData(beforeBytes), plainData(before));
});

// Small pools of names and IDs, so that random commands keep hitting what earlier ones made.
const DATABASES = ["a", "b", "c"];
const POLICIES = ["autogen", "rp1", "rp2", ""];
const arbDatabase = fc.constantFrom(...DATABASES);
const arbPolicy = fc.constantFrom(...POLICIES);
const arbUser = fc.constantFrom("u", "v");
const arbNodeId = fc.integer({ min: 0, max: 6 });
const arbShardId = fc.integer({ min: 1, max: 25 });
const arbTime = fc.integer({ min: 0, max: 90 }).map((d) => ms("2024-01-01T00:00:00Z") + BigInt(d) * DAY);
const arbDuration = fc.constantFrom(0n, HOUR, 2n * DAY, WEEK, 30n * DAY);
const arbSettings = fc.record({
  name: fc.constantFrom("rp1", "rp2", "autogen"),
  duration: arbDuration,
  shardGroupDuration: fc.constantFrom(0n, HOUR, DAY),
  replicaN: fc.integer({ min: 0, max: 3 }),
});
/** Commands that make or touch shard groups come more often, so that groups exist to work on. */
const often = (weight: number, arbitrary: fc.Arbitrary<MetaCommand>) => ({ weight, arbitrary });
const arbCommand: fc.Arbitrary<MetaCommand> = fc.oneof(
  arbNodeId.map((n): MetaCommand => metaNode(n)),
  arbNodeId.map((n): MetaCommand => dataNode(n)),
  arbNodeId.map((id): MetaCommand => ({ type: "DeleteMetaNodeCommand", id })),
  arbNodeId.map((id): MetaCommand => ({ type: "DeleteDataNodeCommand", id })),
  arbNodeId.map((id): MetaCommand => ({
    type: "UpdateDataNodeCommand",
    id,
    httpAddr: "x:1",
    tcpAddr: `x${id}:2`,
  })),
  often(
    4,
    fc
      .record({ name: arbDatabase, rp: fc.option(arbSettings, { nil: undefined }) })
      .map(({ name, rp }): MetaCommand => ({
        type: "CreateDatabaseCommand",
        name,
        retentionPolicy: rp && rpSettings(rp.name, rp),
      })),
  ),
  arbDatabase.map((name): MetaCommand => ({ type: "DropDatabaseCommand", name })),
  fc.record({ database: arbDatabase, rp: arbSettings, default: fc.boolean() }).map((c): MetaCommand => ({
    type: "CreateRetentionPolicyCommand",
    database: c.database,
    retentionPolicy: rpSettings(c.rp.name, c.rp),
    default: c.default,
  })),
  fc
    .record({ database: arbDatabase, name: arbPolicy })
    .map((c): MetaCommand => ({ type: "DropRetentionPolicyCommand", ...c })),
  fc
    .record({ database: arbDatabase, name: arbPolicy })
    .map((c): MetaCommand => ({ type: "SetDefaultRetentionPolicyCommand", ...c })),
  fc
    .record({
      database: arbDatabase,
      name: arbPolicy,
      newName: fc.option(arbPolicy, { nil: undefined }),
      duration: fc.option(arbDuration, { nil: undefined }),
      replicaN: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
      default: fc.boolean(),
    })
    .map((c): MetaCommand => ({ type: "UpdateRetentionPolicyCommand", ...c })),
  often(
    10,
    fc
      .record({ database: arbDatabase, policy: arbPolicy, timestamp: arbTime })
      .map((c): MetaCommand => ({ type: "CreateShardGroupCommand", ...c })),
  ),
  often(
    2,
    fc
      .record({ database: arbDatabase, policy: arbPolicy, shardGroupId: fc.integer({ min: 1, max: 12 }) })
      .map((c): MetaCommand => ({ type: "DeleteShardGroupCommand", ...c })),
  ),
  often(
    2,
    arbShardId.map((id): MetaCommand => ({ type: "DropShardCommand", id })),
  ),
  arbTime.map((timestamp): MetaCommand => ({ type: "TruncateShardGroupsCommand", timestamp })),
  fc.constant<MetaCommand>({ type: "PruneShardGroupsCommand" }),
  often(
    3,
    fc
      .record({ id: arbShardId, nodeId: arbNodeId })
      .map((c): MetaCommand => ({ type: "CopyShardOwnerCommand", ...c })),
  ),
  often(
    3,
    fc
      .record({ id: arbShardId, nodeId: arbNodeId })
      .map((c): MetaCommand => ({ type: "RemoveShardOwnerCommand", ...c })),
  ),
  fc
    .record({
      database: arbDatabase,
      name: fc.constantFrom("cq1", "cq2"),
      query: fc.constantFrom("q", "Q", "r"),
    })
    .map((c): MetaCommand => ({ type: "CreateContinuousQueryCommand", ...c })),
  fc
    .record({ database: arbDatabase, name: fc.constantFrom("cq1", "cq2") })
    .map((c): MetaCommand => ({ type: "DropContinuousQueryCommand", ...c })),
  fc
    .record({ database: arbDatabase, retentionPolicy: arbPolicy, name: fc.constantFrom("s1", "s2") })
    .map((c): MetaCommand => ({
      type: "CreateSubscriptionCommand",
      ...c,
      mode: "ALL",
      destinations: ["http://h:1"],
    })),
  fc
    .record({ database: arbDatabase, retentionPolicy: arbPolicy, name: fc.constantFrom("s1", "s2") })
    .map((c): MetaCommand => ({ type: "DropSubscriptionCommand", ...c })),
  fc
    .record({ name: arbUser, admin: fc.boolean() })
    .map((c): MetaCommand => ({ type: "CreateUserCommand", ...c, hash: "h" })),
  arbUser.map((name): MetaCommand => ({ type: "DropUserCommand", name })),
  arbUser.map((name): MetaCommand => ({ type: "UpdateUserCommand", name, hash: "h2" })),
  fc
    .record({ username: arbUser, database: arbDatabase, privilege: fc.integer({ min: 0, max: 3 }) })
    .map((c): MetaCommand => ({ type: "SetPrivilegeCommand", ...c })),
  fc
    .record({ username: arbUser, admin: fc.boolean() })
    .map((c): MetaCommand => ({ type: "SetAdminPrivilegeCommand", ...c })),
);

test("determinism and sharing over long random command sequences: same entries, identical snapshots; no state is changed after it is published", () => {
  const setup: MetaCommand[] = [metaNode(1), dataNode(1), dataNode(2), dataNode(3)];
  fc.assert(
    fc.property(fc.array(arbCommand, { minLength: 50, maxLength: 200 }), (commands) => {
      const a = harness();
      const results: FsmResult[] = [];
      const views: { view: MetaState; bytes: Uint8Array }[] = [];
      for (const cmd of [...setup, ...commands]) {
        const before = a.fsm.data();
        results.push(a.run(cmd));
        if (results.at(-1)!.error !== undefined) assertOnlyTermAndIndexChanged(before, a.fsm.data());
        views.push({ view: a.fsm.data(), bytes: a.fsm.snapshot() });
      }
      // Every published state still encodes as it did when it was published.
      for (const { view, bytes } of views) assert.deepEqual(encodeData(plainData(view) as MetaData), bytes);

      const b = new MetaStateMachine();
      assert.deepEqual(
        a.entries.map((entry) => b.apply(entry)),
        results,
      );
      assert.deepEqual(b.snapshot(), a.fsm.snapshot());
    }),
    { numRuns: 40 },
  );
});

// Found by the fuzzer: an ID allocated past 2^53 - 1 made Data unencodable, so every server would
// have stopped at its next snapshot. The command is refused instead, alike everywhere.
test("allocating an ID past 2^53 - 1 is refused and the state still encodes", () => {
  const fsm = new MetaStateMachine();
  const data = { ...emptyData(), maxNodeId: Number.MAX_SAFE_INTEGER };
  let index = 0;
  const apply = (cmd: MetaCommand) =>
    fsm.apply({ index: ++index, term: 1, type: EntryType.Command, data: encodeCommand(cmd) });
  assert.deepEqual(apply({ type: "SetDataCommand", data }), {});
  assert.deepEqual(apply({ type: "CreateDataNodeCommand", httpAddr: "d:8086", tcpAddr: "d:8088" }), {
    error: "node IDs exhausted",
  });
  assert.equal(fsm.data().maxNodeId, Number.MAX_SAFE_INTEGER);
  assert.doesNotThrow(() => fsm.snapshot());
});
