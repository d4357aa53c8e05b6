// The FSM's index (database positions, shard locations) and its encode cache, against the plain
// answers: a linear scan of the state and a fresh encoding, after random command sequences,
// refused commands, drops that move databases, and snapshot restores.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { EntryType } from "../../src/raft/types.ts";
import { encodeCommand, encodeData } from "../../src/proto/index.ts";
import type { MetaCommand, MetaData } from "../../src/proto/index.ts";
import { MetaStateMachine } from "../../src/meta/fsm.ts";
import type { MetaState } from "../../src/meta/data.ts";
import { plainData } from "../support/plain-data.ts";

const DAY = 24n * 3_600_000_000_000n;
const START = 1_700_000_000_000_000_000n;
const DATABASES = ["db0", "db1", "db2", "db3", "db4", "db5"];
const POLICIES = ["rp0", "rp1", "rp2"];
const MAX_ID = 40;

const database = fc.constantFrom(...DATABASES);
const policy = fc.constantFrom(...POLICIES);
const id = fc.integer({ min: 1, max: MAX_ID });
const nodeId = fc.integer({ min: 1, max: 6 });
const day = fc.integer({ min: 0, max: 40 }).map((d) => START + BigInt(d) * DAY);
const rpInfo = (name: string, replicaN: number) => ({
  name,
  duration: 0n,
  shardGroupDuration: 7n * DAY,
  replicaN,
  shardGroups: [],
  subscriptions: [],
});

const command: fc.Arbitrary<MetaCommand> = fc.oneof(
  fc.integer({ min: 0, max: 5 }).map((n): MetaCommand => ({
    type: "CreateDataNodeCommand",
    httpAddr: `d${n}:8086`,
    tcpAddr: `d${n}:8088`,
  })),
  nodeId.map((n): MetaCommand => ({ type: "DeleteDataNodeCommand", id: n })),
  fc
    .record({ name: database, withPolicy: fc.boolean(), rp: policy })
    .map(({ name, withPolicy, rp }): MetaCommand =>
      withPolicy
        ? { type: "CreateDatabaseCommand", name, retentionPolicy: rpInfo(rp, 2) }
        : { type: "CreateDatabaseCommand", name },
    ),
  // Drops weigh more, so that databases move towards the front often.
  { arbitrary: database.map((name): MetaCommand => ({ type: "DropDatabaseCommand", name })), weight: 2 },
  fc
    .record({ db: database, rp: policy, replicaN: fc.integer({ min: 1, max: 3 }), isDefault: fc.boolean() })
    .map(({ db, rp, replicaN, isDefault }): MetaCommand => ({
      type: "CreateRetentionPolicyCommand",
      database: db,
      retentionPolicy: rpInfo(rp, replicaN),
      default: isDefault,
    })),
  fc
    .record({ db: database, rp: policy })
    .map(({ db, rp }): MetaCommand => ({ type: "DropRetentionPolicyCommand", database: db, name: rp })),
  fc.record({ db: database, rp: policy, to: policy }).map(({ db, rp, to }): MetaCommand => ({
    type: "UpdateRetentionPolicyCommand",
    database: db,
    name: rp,
    newName: to,
  })),
  {
    arbitrary: fc
      .record({ db: database, rp: fc.constantFrom("", ...POLICIES), at: day })
      .map(({ db, rp, at }): MetaCommand => ({
        type: "CreateShardGroupCommand",
        database: db,
        policy: rp,
        timestamp: at,
      })),
    weight: 4,
  },
  fc.record({ db: database, rp: policy, group: id }).map(({ db, rp, group }): MetaCommand => ({
    type: "DeleteShardGroupCommand",
    database: db,
    policy: rp,
    shardGroupId: group,
  })),
  id.map((shard): MetaCommand => ({ type: "DropShardCommand", id: shard })),
  fc
    .record({ shard: id, node: nodeId })
    .map(({ shard, node }): MetaCommand => ({ type: "CopyShardOwnerCommand", id: shard, nodeId: node })),
  fc
    .record({ shard: id, node: nodeId })
    .map(({ shard, node }): MetaCommand => ({ type: "RemoveShardOwnerCommand", id: shard, nodeId: node })),
  fc.constant<MetaCommand>({ type: "PruneShardGroupsCommand" }),
  day.map((at): MetaCommand => ({ type: "TruncateShardGroupsCommand", timestamp: at })),
);

/** Where a linear scan finds the shard: what `shardById` must answer. */
function scanForShard(data: MetaState, shardId: number) {
  for (const db of data.databases) {
    for (const rp of db.retentionPolicies) {
      for (const group of rp.shardGroups) {
        const shard = group.shards.find((s) => s.id === shardId);
        if (shard) return { database: db.name, retentionPolicy: rp.name, shardGroupId: group.id, shard };
      }
    }
  }
  return undefined;
}

/** Every indexed lookup agrees with a scan, for names and IDs present and absent. */
function assertLookupsAgree(fsm: MetaStateMachine, when: string): void {
  const data = fsm.data();
  for (const name of [...DATABASES, "never-created"]) {
    assert.equal(
      fsm.databaseByName(name),
      [...data.databases].find((db) => db.name === name),
      `${when}: ${name}`,
    );
  }
  for (let shardId = 0; shardId <= Math.max(MAX_ID, data.maxShardId) + 1; shardId++) {
    assert.deepEqual(fsm.shardById(shardId), scanForShard(data, shardId), `${when}: shard ${shardId}`);
  }
}

function entry(index: number, cmd: MetaCommand) {
  return { index, term: 1, type: EntryType.Command, data: encodeCommand(cmd) };
}

test("indexed lookups agree with a linear scan after random command sequences, refusals and restores", () => {
  fc.assert(
    fc.property(fc.array(command, { minLength: 1, maxLength: 80 }), (commands) => {
      const fsm = new MetaStateMachine();
      commands.forEach((cmd, i) => {
        fsm.apply(entry(i + 1, cmd));
        assertLookupsAgree(fsm, `after #${i} ${cmd.type}`);
      });
      const restored = new MetaStateMachine();
      restored.restore(fsm.snapshot());
      assertLookupsAgree(restored, "after restore");
      // The restored FSM goes on from its own index.
      commands.slice(0, 10).forEach((cmd, i) => {
        restored.apply(entry(commands.length + i + 1, cmd));
        assertLookupsAgree(restored, `after restore, #${i} ${cmd.type}`);
      });
    }),
    { numRuns: 150 },
  );
});

test("a SetDataCommand replaces the index with one of the new state", () => {
  const fsm = new MetaStateMachine();
  fsm.apply(entry(1, { type: "CreateDataNodeCommand", httpAddr: "d:8086", tcpAddr: "d:8088" }));
  fsm.apply(entry(2, { type: "CreateDatabaseCommand", name: "old" }));
  fsm.apply(entry(3, { type: "CreateShardGroupCommand", database: "old", policy: "", timestamp: START }));
  const other = new MetaStateMachine();
  other.apply(entry(1, { type: "CreateDataNodeCommand", httpAddr: "d:8086", tcpAddr: "d:8088" }));
  other.apply(entry(2, { type: "CreateDatabaseCommand", name: "new" }));
  other.apply(entry(3, { type: "CreateShardGroupCommand", database: "new", policy: "", timestamp: START }));
  fsm.apply(entry(4, { type: "SetDataCommand", data: plainData(other.data()) as MetaData }));
  assert.equal(fsm.databaseByName("old"), undefined);
  assert.equal(fsm.databaseByName("new")?.name, "new");
  assert.equal(fsm.shardById(1)?.database, "new");
  assertLookupsAgree(fsm, "after SetData");
});

test("the encoding is made once per state and always equals a fresh encoding of it", () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(command, fc.boolean()), { minLength: 1, maxLength: 60 }), (steps) => {
      const fsm = new MetaStateMachine();
      steps.forEach(([cmd, encodeNow], i) => {
        fsm.apply(entry(i + 1, cmd));
        // Encoding only now and then leaves some states unencoded, as between long polls.
        if (!encodeNow) return;
        const bytes = fsm.snapshot();
        assert.equal(fsm.snapshot(), bytes, "the same bytes for every caller at one index");
        assert.deepEqual(bytes, encodeData(plainData(fsm.data()) as MetaData), `after #${i} ${cmd.type}`);
      });
      const before = fsm.snapshot();
      fsm.apply(entry(steps.length + 1, { type: "DropDatabaseCommand", name: "not-there" }));
      assert.notEqual(fsm.snapshot(), before, "a new index gets its own encoding");
    }),
    { numRuns: 150 },
  );
});
