/**
 * What importing a large Data costs a meta node's event loop (Raft heartbeats wait meanwhile):
 * the leader decodes the SetDataCommand once to validate it and every node decodes and applies
 * it once, each in one synchronous step. Measured on 1,000 databases with 10 shard groups each
 * (10,000 shard groups, about 0.4 MB): each step must stay well below the 1 s election timeout.
 * Larger imports are measured and documented in docs/operations.md (they cost more than an
 * election timeout: expect one election during the import).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MetaStateMachine, validateCommand } from "../../src/meta/fsm.ts";
import { encodeCommand, type DatabaseInfo, type MetaData } from "../../src/proto/index.ts";
import { EntryType } from "../../src/raft/types.ts";

const DAY = 86_400_000_000_000n;

function largeData(databases: number, groupsPerDatabase: number): MetaData {
  let sg = 0;
  let sh = 0;
  const list: DatabaseInfo[] = [];
  for (let i = 0; i < databases; i++) {
    const shardGroups = [];
    for (let g = 0; g < groupsPerDatabase; g++) {
      const start = 1_600_000_000_000_000_000n + BigInt(g) * 7n * DAY;
      shardGroups.push({
        id: ++sg,
        startTime: start,
        endTime: start + 7n * DAY,
        deletedAt: 0n,
        truncatedAt: 0n,
        shards: [{ id: ++sh, owners: [{ nodeId: 4 }, { nodeId: 5 }] }],
      });
    }
    list.push({
      name: `db${i}`,
      defaultRetentionPolicy: "autogen",
      retentionPolicies: [
        {
          name: "autogen",
          duration: 0n,
          shardGroupDuration: 7n * DAY,
          replicaN: 2,
          shardGroups,
          subscriptions: [],
        },
      ],
      continuousQueries: [],
    });
  }
  return {
    term: 3,
    index: 100_000,
    clusterId: 42n,
    metaNodes: [{ id: 1, addr: "a:8091", tcpAddr: "a:8089" }],
    dataNodes: [
      { id: 4, addr: "d4:8086", tcpAddr: "d4:8088" },
      { id: 5, addr: "d5:8086", tcpAddr: "d5:8088" },
    ],
    databases: list,
    users: [],
    maxNodeId: 5,
    maxShardGroupId: sg,
    maxShardId: sh,
  };
}

test("importing 10,000 shard groups blocks a meta node's event loop well below an election timeout per step", (t) => {
  const bytes = encodeCommand({ type: "SetDataCommand", data: largeData(1_000, 10) });
  let started = performance.now();
  validateCommand(bytes);
  const validateMs = performance.now() - started;
  const fsm = new MetaStateMachine();
  started = performance.now();
  const result = fsm.apply({ type: EntryType.Command, term: 1, index: 5, data: bytes });
  const applyMs = performance.now() - started;
  started = performance.now();
  fsm.snapshot();
  const encodeMs = performance.now() - started;
  t.diagnostic(
    `${(bytes.length / 1e6).toFixed(2)} MB: validate ${validateMs.toFixed(0)} ms, apply ${applyMs.toFixed(0)} ms, first encoding ${encodeMs.toFixed(0)} ms`,
  );
  assert.deepEqual(result, { index: 100_001 });
  for (const [step, ms] of [
    ["validate", validateMs],
    ["apply", applyMs],
    ["encode", encodeMs],
  ] as const)
    assert.ok(ms < 700, `${step} took ${ms.toFixed(0)} ms`);
});
