// Cost of applying one meta command as the metadata grows: CreateDatabaseCommand and
// CreateShardGroupCommand applied to states of 100, 1,000 and 10,000 databases (each with an
// "autogen" policy holding a few shard groups, three data nodes). Prints µs per apply.
// The CreateDatabaseCommand rows add a database per apply (up to MAX_APPLIES), so their state
// grows during the run; the CreateShardGroupCommand rows add one group per apply.
// Run: node --import tsx bench/fsm.bench.ts
import { EntryType } from "../src/raft/types.ts";
import { encodeCommand, encodeData } from "../src/proto/index.ts";
import type { DatabaseInfo, MetaCommand, MetaData } from "../src/proto/index.ts";
import { MetaStateMachine } from "../src/meta/fsm.ts";
import { Report } from "./lib/results.ts";

const SIZES = [100, 1_000, 10_000];
const GROUPS_PER_DATABASE = 4;
const WEEK = 7n * 24n * 3_600_000_000_000n;
const START = 1_700_000_000_000_000_000n;
/** Each measurement stops after this many applies or this much time, whichever comes first. */
const MAX_APPLIES = 2_000;
const BUDGET_MS = 1_500;
/** Untimed applies first, so that the figures are of optimised code. */
const WARM_UP = 200;

/** A state of `size` databases, built directly (applying thousands of commands would take long). */
function stateOf(size: number): MetaData {
  const dataNodes = [1, 2, 3].map((id) => ({ id, addr: `d${id}:8086`, tcpAddr: `d${id}:8088` }));
  let shardId = 0;
  let groupId = 0;
  const databases: DatabaseInfo[] = Array.from({ length: size }, (_, i) => ({
    name: `db-${i}`,
    defaultRetentionPolicy: "autogen",
    continuousQueries: [],
    retentionPolicies: [
      {
        name: "autogen",
        duration: 0n,
        shardGroupDuration: WEEK,
        replicaN: 3,
        subscriptions: [],
        shardGroups: Array.from({ length: GROUPS_PER_DATABASE }, (_, g) => ({
          id: ++groupId,
          startTime: START + BigInt(g) * WEEK,
          endTime: START + BigInt(g + 1) * WEEK,
          deletedAt: 0n,
          truncatedAt: 0n,
          shards: [{ id: ++shardId, owners: dataNodes.map((n) => ({ nodeId: n.id })) }],
        })),
      },
    ],
  }));
  return {
    term: 1,
    index: 1,
    clusterId: 42n,
    metaNodes: [],
    dataNodes,
    databases,
    users: [],
    maxNodeId: 3,
    maxShardGroupId: groupId,
    maxShardId: shardId,
  };
}

interface Figure {
  databases: number;
  command: string;
  applies: number;
  usPerApply: number;
}

/** Applies `command(i)` for i = 0, 1, … to a fresh copy of the state and times it. */
function measure(size: number, name: string, command: (i: number) => MetaCommand): Figure {
  const fsm = new MetaStateMachine();
  fsm.restore(encodeData(stateOf(size)));
  const entries = Array.from({ length: WARM_UP + MAX_APPLIES }, (_, i) => ({
    index: i + 2,
    term: 1,
    type: EntryType.Command,
    data: encodeCommand(command(i)),
  }));
  for (let i = 0; i < WARM_UP; i++) check(fsm.apply(entries[i]));
  const started = performance.now();
  let applies = 0;
  while (applies < MAX_APPLIES && performance.now() - started < BUDGET_MS) {
    check(fsm.apply(entries[WARM_UP + applies]));
    applies += 1;
  }
  const elapsedMs = performance.now() - started;
  return { databases: size, command: name, applies, usPerApply: +((elapsedMs * 1000) / applies).toFixed(1) };
}

function check(result: { error?: string }): void {
  if (result.error) throw new Error(`command refused: ${result.error}`);
}

const figures: Figure[] = [];
for (const size of SIZES) {
  figures.push(
    measure(size, "CreateDatabaseCommand", (i) => ({ type: "CreateDatabaseCommand", name: `new-${i}` })),
    // Each command opens a new weekly group in a different database.
    measure(size, "CreateShardGroupCommand", (i) => ({
      type: "CreateShardGroupCommand",
      database: `db-${i % size}`,
      policy: "autogen",
      timestamp: START + BigInt(GROUPS_PER_DATABASE + Math.floor(i / size)) * WEEK,
    })),
  );
}
const report = new Report("fsm", "Meta store FSM: cost of one applied command as the metadata grows");
report.table(
  "MetaStateMachine.apply (µs per applied entry)",
  figures.map((f) => ({ ...f })),
);
report.save(figures);
