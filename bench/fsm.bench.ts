// Cost of applying one meta command as the metadata grows: CreateDatabaseCommand and
// CreateShardGroupCommand applied to states of 100, 1,000 and 10,000 databases (each with an
// "autogen" policy holding a few shard groups, three data nodes). Prints µs per apply.
// The CreateDatabaseCommand rows add a database per apply (up to MAX_APPLIES), so their state
// grows during the run; the CreateShardGroupCommand rows add one group per apply.
// Run: node --import tsx bench/fsm.bench.ts
import { EntryType } from "../src/raft/types.ts";
import { encodeCommand, encodeData } from "../src/proto/index.ts";
import type { MetaCommand } from "../src/proto/index.ts";
import { MetaStateMachine } from "../src/meta/fsm.ts";
import { Report } from "./lib/results.ts";
import { databaseName, POLICY, scaleState, START_NS, WEEK_NS } from "./lib/scale-state.ts";

const SIZES = [100, 1_000, 10_000];
const GROUPS_PER_DATABASE = 4;
/** Each measurement stops after this many applies or this much time, whichever comes first. */
const MAX_APPLIES = 2_000;
const BUDGET_MS = 1_500;
/** Untimed applies first, so that the figures are of optimised code. */
const WARM_UP = 200;

/** A state of `size` databases (bench/lib/scale-state.ts), built directly: applying thousands
 *  of commands would take long. */
function stateOf(size: number) {
  return scaleState({
    databases: size,
    shardGroups: size * GROUPS_PER_DATABASE,
    shardsPerGroup: 1,
    ownersPerShard: 3,
    dataNodes: 3,
    users: 0,
  });
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
      database: databaseName(i % size),
      policy: POLICY,
      timestamp: START_NS + BigInt(GROUPS_PER_DATABASE + Math.floor(i / size)) * WEEK_NS,
    })),
  );
}
const report = new Report("fsm", "Meta store FSM: cost of one applied command as the metadata grows");
report.table(
  "MetaStateMachine.apply (µs per applied entry)",
  figures.map((f) => ({ ...f })),
);
report.save(figures);
