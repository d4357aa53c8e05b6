/**
 * Crash tests of SegmentedWal over SimulatedFileSystem: for each operation (append, append with
 * rotation, truncate-tail, truncate-head, reset, recovery itself) crash before every file-system
 * step it takes, under several seeds (which pick the surviving prefix of unsynced writes and
 * directory changes, and how the last write is torn), reopen and check:
 *  - recovery never throws;
 *  - the log is a contiguous prefix-free sequence: exactly the state before the operation or
 *    after it (after it if the operation was acknowledged) — a truncation, once acknowledged,
 *    never un-happens; head truncation may leave a stale, correct prefix;
 *  - the recovered WAL keeps working: an acknowledged append survives a second crash.
 * A failure message names the seed and crash point.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SimulatedCrashError, SimulatedFileSystem } from "../support/sim-fs.ts";
import { SegmentedWal } from "../../src/raft/storage/wal.ts";
import type { Entry } from "../../src/raft/types.ts";
import { allEntries, describe, entries, entry, seededRandom } from "../raft/storage/helpers.ts";

const DIR = "/node/wal";
const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];

/** What the log may legitimately look like: `full` minus some prefix, keeping every entry
 *  at or after `keepFrom` (head truncation is not durable, so a stale prefix may remain). */
interface Expected {
  full: Entry[];
  keepFrom: number;
}

function matches(got: Entry[], want: Expected): boolean {
  const g = describe(got).join("|");
  const full = describe(want.full);
  const mustKeep = want.full.filter((e) => e.index < want.keepFrom).length;
  for (let k = 0; k <= Math.min(mustKeep, full.length); k++) {
    if (full.slice(k).join("|") === g) return true;
  }
  return false;
}

const exactly = (full: Entry[]): Expected => ({ full, keepFrom: 0 });

interface Scenario {
  name: string;
  segmentSize: number;
  /** Acknowledged history before the operation; returns the open WAL (or null). */
  setup(fs: SimulatedFileSystem): Promise<SegmentedWal | null>;
  op(fs: SimulatedFileSystem, wal: SegmentedWal | null): Promise<unknown>;
  before: Expected;
  after: Expected;
  /** For two-step operations: the acknowledged state between the steps. */
  middle?: Expected;
}

async function openWal(fs: SimulatedFileSystem, segmentSize: number): Promise<SegmentedWal> {
  return SegmentedWal.open(fs, DIR, { segmentSize });
}

function isCrash(err: unknown, fs: SimulatedFileSystem): boolean {
  return err instanceof SimulatedCrashError || fs.isHalted;
}

async function runAtCrashPoint(s: Scenario, seed: number, point: number | null): Promise<{ ops: number }> {
  const where = `scenario "${s.name}", seed ${seed}, crash before op ${point ?? "none"}`;
  const fs = new SimulatedFileSystem();
  const wal = await s.setup(fs);
  const start = fs.opCount;
  if (point !== null) fs.crashAtOp(point);
  let acked = false;
  try {
    await s.op(fs, wal);
    acked = true;
  } catch (err) {
    if (!isCrash(err, fs)) throw new Error(`${where}: operation failed: ${(err as Error).stack}`);
  }
  const ops = fs.opCount - start;
  const random = seededRandom(seed * 7919 + (point ?? 0));
  fs.crash(random);

  let recovered: SegmentedWal;
  try {
    recovered = await openWal(fs, s.segmentSize);
  } catch (err) {
    throw new Error(`${where}: recovery threw: ${(err as Error).stack}`);
  }
  const got = allEntries(recovered);
  const allowed = acked ? [s.after] : [s.before, s.after, ...(s.middle ? [s.middle] : [])];
  const ok = allowed.some((e) => matches(got, e));
  assert.ok(
    ok,
    `${where}: acked=${acked}, recovered [${describe(got).join(" ")}]\n` +
      `  before [${describe(s.before.full).join(" ")}]\n  after  [${describe(s.after.full).join(" ")}]`,
  );

  // The recovered WAL must keep working across another power loss.
  const last = recovered.lastIndex();
  const more = last > 0 ? [entry(last + 1, 99)] : [entry(1000, 99)];
  await recovered.append(more);
  fs.crash(random);
  const again = await openWal(fs, s.segmentSize);
  assert.deepEqual(
    describe(allEntries(again)),
    describe([...got, ...more]),
    `${where}: second crash after recovery`,
  );
  return { ops };
}

async function crashEverywhere(s: Scenario): Promise<void> {
  const { ops } = await runAtCrashPoint(s, 0, null);
  assert.ok(ops > 0, `scenario "${s.name}" performed no file-system operation`);
  for (const seed of SEEDS) {
    for (let point = 1; point <= ops + 1; point++) await runAtCrashPoint(s, seed, point);
  }
}

// --- scenarios ---------------------------------------------------------------------------------

const base = [...entries(1, 6, 1), ...entries(7, 12, 2)];

/** A WAL holding `base` appended in batches of 3 (several segments when the limit is small). */
async function withBase(fs: SimulatedFileSystem, segmentSize: number): Promise<SegmentedWal> {
  const wal = await openWal(fs, segmentSize);
  for (let i = 0; i < base.length; i += 3) await wal.append(base.slice(i, i + 3));
  return wal;
}

const BIG = 1 << 20;
const SMALL = 200;
const added = entries(13, 16, 3);

const scenarios: Scenario[] = [
  {
    name: "open a fresh WAL and append",
    segmentSize: BIG,
    setup: async () => null,
    op: async (fs) => (await openWal(fs, BIG)).append(entries(1, 3, 1)),
    before: exactly([]),
    after: exactly(entries(1, 3, 1)),
  },
  {
    name: "append",
    segmentSize: BIG,
    setup: (fs) => withBase(fs, BIG),
    op: (_fs, wal) => wal!.append(added),
    before: exactly(base),
    after: exactly([...base, ...added]),
  },
  {
    name: "append with rotation",
    segmentSize: SMALL,
    setup: (fs) => withBase(fs, SMALL),
    op: (_fs, wal) => wal!.append(added),
    before: exactly(base),
    after: exactly([...base, ...added]),
  },
  {
    name: "truncate tail within a segment",
    segmentSize: BIG,
    setup: (fs) => withBase(fs, BIG),
    op: (_fs, wal) => wal!.truncateAfter(8),
    before: exactly(base),
    after: exactly(base.slice(0, 8)),
  },
  {
    name: "truncate tail across segments, then append",
    segmentSize: SMALL,
    setup: (fs) => withBase(fs, SMALL),
    op: async (_fs, wal) => {
      await wal!.truncateAfter(4);
      await wal!.append(entries(5, 6, 3));
    },
    before: exactly(base),
    middle: exactly(base.slice(0, 4)),
    after: exactly([...base.slice(0, 4), ...entries(5, 6, 3)]),
  },
  {
    name: "truncate head",
    segmentSize: SMALL,
    setup: (fs) => withBase(fs, SMALL),
    op: (_fs, wal) => wal!.truncateBefore(10),
    before: exactly(base),
    after: { full: base, keepFrom: 10 },
  },
  {
    name: "truncate tail after truncate head",
    segmentSize: SMALL,
    setup: async (fs) => {
      const wal = await withBase(fs, SMALL);
      await wal.truncateBefore(9);
      return wal;
    },
    op: async (_fs, wal) => {
      await wal!.truncateAfter(10);
      await wal!.append([entry(11, 5)]);
    },
    before: { full: base, keepFrom: 9 },
    middle: { full: base.slice(0, 10), keepFrom: 9 },
    after: { full: [...base.slice(0, 10), entry(11, 5)], keepFrom: 9 },
  },
  {
    name: "reset",
    segmentSize: SMALL,
    setup: (fs) => withBase(fs, SMALL),
    op: (_fs, wal) => wal!.reset(),
    before: exactly(base),
    after: exactly([]),
  },
  {
    name: "reset, then append far ahead",
    segmentSize: SMALL,
    setup: (fs) => withBase(fs, SMALL),
    op: async (_fs, wal) => {
      await wal!.reset();
      await wal!.append(entries(300, 301, 7));
    },
    before: exactly(base),
    middle: exactly([]),
    after: exactly(entries(300, 301, 7)),
  },
  {
    name: "recovery of a torn tail (crash during recovery)",
    segmentSize: SMALL,
    setup: async (fs) => {
      const wal = await withBase(fs, SMALL);
      fs.crashAtOp(2); // the write of the next batch happens, its fdatasync does not
      await assert.rejects(wal.append(added), SimulatedCrashError);
      fs.crash(() => 0.999); // keep the unsynced batch, garble part of it
      return null;
    },
    op: (fs) => openWal(fs, SMALL),
    before: exactly(base),
    after: exactly(base),
  },
];

for (const s of scenarios) {
  test(`WAL crash at every step: ${s.name}`, () => crashEverywhere(s));
}

// --- random workload with crashes -------------------------------------------------------------

interface Model {
  full: Entry[];
  keepFrom: number;
  next: number | null;
  term: number;
}

type Op =
  | { kind: "append"; batch: Entry[] }
  | { kind: "truncateAfter"; index: number }
  | { kind: "truncateBefore"; index: number }
  | { kind: "reset" };

function applyOp(m: Model, op: Op): Model {
  switch (op.kind) {
    case "append":
      return { ...m, full: [...m.full, ...op.batch], next: op.batch[op.batch.length - 1].index + 1 };
    case "truncateAfter":
      if (m.next === null || op.index + 1 >= m.next) return m;
      return { ...m, full: m.full.filter((e) => e.index <= op.index), next: op.index + 1 };
    case "truncateBefore":
      return { ...m, keepFrom: Math.max(m.keepFrom, op.index) };
    case "reset":
      return { ...m, full: [], keepFrom: 0, next: null };
  }
}

function randomOp(m: Model, rnd: () => number): Op {
  const r = rnd();
  const first = m.full.length > 0 ? m.full[0].index : 0;
  const last = m.full.length > 0 ? m.full[m.full.length - 1].index : 0;
  if (r < 0.6 || m.full.length === 0) {
    if (rnd() < 0.15) m.term++;
    const start = m.next ?? 1 + Math.floor(rnd() * 50);
    const n = 1 + Math.floor(rnd() * 4);
    return { kind: "append", batch: entries(start, start + n - 1, m.term) };
  }
  const lo = Math.max(first, m.keepFrom);
  if (r < 0.75)
    return { kind: "truncateAfter", index: Math.max(0, lo - 1) + Math.floor(rnd() * (last - lo + 2)) };
  if (r < 0.95) return { kind: "truncateBefore", index: lo + Math.floor(rnd() * (last - lo + 2)) };
  return { kind: "reset" };
}

function runOp(wal: SegmentedWal, op: Op): Promise<void> {
  switch (op.kind) {
    case "append":
      return wal.append(op.batch);
    case "truncateAfter":
      return wal.truncateAfter(op.index);
    case "truncateBefore":
      return wal.truncateBefore(op.index);
    case "reset":
      return wal.reset();
  }
}

test("WAL random workloads with repeated power losses keep every acknowledged operation", async () => {
  for (let seed = 1; seed <= 60; seed++) {
    const rnd = seededRandom(seed);
    const fs = new SimulatedFileSystem();
    const segmentSize = 150 + Math.floor(rnd() * 400);
    let wal = await openWal(fs, segmentSize);
    let model: Model = { full: [], keepFrom: 0, next: null, term: 1 };
    const history: string[] = [];
    for (let round = 0; round < 6; round++) {
      fs.crashAtOp(1 + Math.floor(rnd() * 40));
      let inFlight: Model | null = null;
      for (let k = 0; k < 25 && inFlight === null; k++) {
        const op = randomOp(model, rnd);
        history.push(
          JSON.stringify(op.kind === "append" ? { append: op.batch.map((e) => `${e.index}:${e.term}`) } : op),
        );
        const next = applyOp(model, op);
        try {
          await runOp(wal, op);
          model = next;
        } catch (err) {
          if (!isCrash(err, fs))
            throw new Error(`seed ${seed}: ${(err as Error).stack}\nhistory: ${history.join("\n")}`);
          inFlight = next;
        }
      }
      fs.crash(rnd);
      history.push("-- power loss --");
      try {
        wal = await openWal(fs, segmentSize);
      } catch (err) {
        throw new Error(
          `seed ${seed}: recovery threw: ${(err as Error).stack}\nhistory: ${history.join("\n")}`,
        );
      }
      const got = allEntries(wal);
      const ok = matches(got, model) || (inFlight !== null && matches(got, inFlight));
      assert.ok(
        ok,
        `seed ${seed}: recovered [${describe(got).join(" ")}]\nexpected [${describe(model.full).join(" ")}] keepFrom ${model.keepFrom}\nhistory:\n${history.join("\n")}`,
      );
      // Continue from what was recovered (an empty log restarts from a reset).
      if (got.length === 0) {
        await wal.reset();
        model = { full: [], keepFrom: 0, next: null, term: model.term };
      } else {
        model = {
          full: got,
          keepFrom: got[0].index,
          next: got[got.length - 1].index + 1,
          term: Math.max(model.term, got[got.length - 1].term),
        };
      }
    }
  }
});
