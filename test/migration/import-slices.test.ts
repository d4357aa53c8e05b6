/**
 * A large import is decoded and encoded in slices with the event loop free in between (Raft's
 * timers and messages are served meanwhile), and that changes nothing in what is applied. How long
 * each slice holds the event loop is measured in bench/import.bench.ts; the three-node check that
 * no election follows an import is import-heartbeats.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { setImmediate as nextTurn } from "node:timers/promises";
import { MetaStateMachine, validateCommand } from "../../src/meta/fsm.ts";
import { decodeCommand, encodeCommand } from "../../src/proto/index.ts";
import { EntryType, type Entry } from "../../src/raft/types.ts";
import { largeData } from "../support/large-data.ts";

const bytes = encodeCommand({ type: "SetDataCommand", data: largeData(2_000, 10) });
const entry = (data = bytes): Entry => ({ type: EntryType.Command, term: 2, index: 7, data });

/** How many turns of the event loop pass while `work` runs. */
async function turnsDuring(work: Promise<unknown>): Promise<number> {
  let turns = 0;
  let done = false;
  void work.finally(() => (done = true));
  while (!done) {
    await nextTurn();
    turns++;
  }
  return turns;
}

test("validating a large SetDataCommand lets the event loop run, and gives what decoding gives", async () => {
  const validated = validateCommand(bytes);
  assert.ok((await turnsDuring(validated)) > 1, "the event loop ran during the validation");
  assert.deepEqual(await validated, decodeCommand(bytes));
});

test("a prepared import applies to the state the one-step apply gives; the event loop runs while it is prepared", async () => {
  const prepared = new MetaStateMachine();
  const preparing = prepared.prepare(entry());
  assert.ok(preparing, "a large command is prepared");
  assert.ok((await turnsDuring(preparing)) > 1, "the event loop ran during the preparation");
  const direct = new MetaStateMachine();
  assert.deepEqual(prepared.apply(entry()), direct.apply(entry()));
  assert.deepEqual(prepared.snapshot(), direct.snapshot());
  assert.equal(prepared.data().databases.length, 2_000);
});

test("a prepared import that does not decode is refused by its apply as unprepared bytes are", async () => {
  const broken = bytes.slice(0, bytes.length - 3);
  const prepared = new MetaStateMachine();
  await prepared.prepare(entry(broken));
  const result = prepared.apply(entry(broken));
  assert.match(String((result as { error?: string }).error), /malformed/);
  assert.deepEqual(result, new MetaStateMachine().apply(entry(broken)));
  assert.equal(prepared.data().databases.length, 0);
});

test("the first encoding of an imported state runs in slices and is the one long polls then get", async () => {
  const fsm = new MetaStateMachine();
  fsm.apply(entry());
  assert.ok((await turnsDuring(fsm.encodeInSlices())) > 1, "the event loop ran during the encoding");
  const other = new MetaStateMachine();
  other.apply(entry());
  assert.deepEqual(fsm.snapshot(), other.snapshot());
});

test("small commands are applied as they come: nothing to prepare", () => {
  const small = encodeCommand({ type: "CreateDatabaseCommand", name: "db" });
  assert.equal(new MetaStateMachine().prepare(entry(small)), null);
});
