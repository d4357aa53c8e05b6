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

/** The shortest of three runs of `step` (ms): what the step costs, not what a busy machine adds. */
function cost(step: () => void): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    step();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

test("importing 10,000 shard groups blocks a meta node's event loop well below an election timeout per step", (t) => {
  const bytes = encodeCommand({ type: "SetDataCommand", data: largeData(1_000, 10) });
  const validateMs = cost(() => validateCommand(bytes));
  let fsm = new MetaStateMachine();
  let result = {};
  const applyMs = cost(() => {
    fsm = new MetaStateMachine();
    result = fsm.apply({ type: EntryType.Command, term: 1, index: 5, data: bytes });
  });
  // The first encoding of the imported state (every long poll and Raft snapshot then reuses it).
  let encodeMs = Infinity;
  for (let i = 0; i < 3; i++) {
    const fresh = new MetaStateMachine();
    fresh.apply({ type: EntryType.Command, term: 1, index: 5, data: bytes });
    const started = performance.now();
    fresh.snapshot();
    encodeMs = Math.min(encodeMs, performance.now() - started);
  }
  t.diagnostic(
    `${(bytes.length / 1e6).toFixed(2)} MB: validate ${validateMs.toFixed(0)} ms, apply ${applyMs.toFixed(0)} ms, encoding ${encodeMs.toFixed(0)} ms`,
  );
  assert.deepEqual(result, { index: 100_001 });
  for (const [step, ms] of [
    ["validate", validateMs],
    ["apply", applyMs],
    ["encode", encodeMs],
  ] as const)
    assert.ok(ms < 700, `${step} took ${ms.toFixed(0)} ms`);
});
