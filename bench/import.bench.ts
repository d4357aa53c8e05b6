// How long importing the issue-sized Go Data (issue 23: 10,000 databases, 100,000 shard groups,
// 4.6 MB, one SetDataCommand) holds a meta node's event loop, during which Raft sends no
// heartbeat and answers none. Each node's work, measured as the event loop's longest delay
// (perf_hooks.monitorEventLoopDelay) while it runs:
// - in one step: what every stage did before (decode to validate, decode and apply, encode for
//   the first long poll), each a synchronous call;
// - in slices: what a node does now (validation and StateMachine.prepare decode in slices, the
//   apply uses that decoding, the new state is encoded in slices before the first long poll).
// The follower election timeout is 500–1000 ms and the leader lease 500 ms by default.
// Run: node --import tsx bench/import.bench.ts
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { MetaStateMachine, validateCommand } from "../src/meta/fsm.ts";
import { decodeCommand, encodeCommand } from "../src/proto/index.ts";
import { EntryType } from "../src/raft/types.ts";
import { largeData } from "../test/support/large-data.ts";
import { Report } from "./lib/results.ts";

const RUNS = 3;
const bytes = encodeCommand({ type: "SetDataCommand", data: largeData(10_000, 10) });
const entry = () => ({ type: EntryType.Command, term: 1, index: 5, data: bytes });

/** The event loop's longest delay (ms) while `work` runs. */
async function longestBlock(work: () => unknown): Promise<number> {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  await sleep(20);
  await work();
  await sleep(20); // the delay is recorded when the timer finally runs
  delay.disable();
  return delay.max / 1e6;
}

interface Stage {
  stage: string;
  /** Run before, outside the measurement. */
  setup?: () => unknown;
  oneStep: () => unknown;
  inSlices: () => unknown;
}

let fsm = new MetaStateMachine();
const stages: Stage[] = [
  {
    stage: "leader: validate /execute body",
    oneStep: () => decodeCommand(bytes),
    inSlices: () => validateCommand(bytes),
  },
  {
    stage: "every node: decode and apply",
    oneStep: () => {
      fsm = new MetaStateMachine();
      fsm.apply(entry());
    },
    inSlices: async () => {
      fsm = new MetaStateMachine();
      const e = entry();
      await fsm.prepare(e);
      fsm.apply(e);
    },
  },
  {
    stage: "every node: first long poll's encoding",
    // A new state, not encoded yet.
    setup: () => fsm.apply(entry()),
    oneStep: () => fsm.snapshot(),
    inSlices: async () => {
      await fsm.encodeInSlices();
      fsm.snapshot();
    },
  },
];

const rows = [];
for (const s of stages) {
  let oneStep = Infinity;
  let inSlices = Infinity;
  for (let i = 0; i < RUNS; i++) {
    s.setup?.();
    oneStep = Math.min(oneStep, await longestBlock(s.oneStep));
    s.setup?.();
    inSlices = Math.min(inSlices, await longestBlock(s.inSlices));
  }
  rows.push({ stage: s.stage, "one step (ms)": Math.round(oneStep), "in slices (ms)": Math.round(inSlices) });
}
const report = new Report(
  "import",
  `Importing a ${(bytes.length / 1e6).toFixed(1)} MB Data (100,000 shard groups): the longest event-loop block per stage`,
);
report.table("Longest event-loop delay while the stage runs (best of 3)", rows);
const worst = Math.max(...rows.map((r) => r["in slices (ms)"]));
report.target(
  "longest block of a node during the import",
  `${worst} ms`,
  "< 250 ms (half the 500 ms lease)",
  worst < 250,
);
report.save(rows);
