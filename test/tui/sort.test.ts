// Sorting: stable across polls (latency in buckets), reversible with S, ties always in ID order.
import { test } from "node:test";
import assert from "node:assert/strict";
import { visibleRows } from "../../src/tui/state.ts";
import { latencyBucket, sortRows } from "../../src/tui/table-format.ts";
import { metaRow, snapshot, stateAfter, T0 } from "./fixtures.ts";

const ids = (rows: { id: number }[]) => rows.map((r) => r.id);

test("latency sorts in buckets: jitter inside a bucket does not reorder rows, ties keep ID order", () => {
  const poll = (a: number, b: number, c: number) => [
    metaRow(1, { pingMs: a }),
    metaRow(2, { pingMs: b }),
    metaRow(3, { pingMs: c }),
  ];
  // 2.9 ms and 3.1 ms are one bucket (2-5 ms): the three polls give one order.
  const orders = [poll(3.1, 2.9, 40), poll(2.9, 3.1, 41), poll(3.0, 4.2, 39)].map((rows) =>
    ids(sortRows(rows, "latency")),
  );
  assert.deepEqual(orders, [
    [1, 2, 3],
    [1, 2, 3],
    [1, 2, 3],
  ]);
  assert.ok(latencyBucket(0.4) < latencyBucket(3) && latencyBucket(3) < latencyBucket(40));
  assert.deepEqual(ids(sortRows(poll(40, 3, 0.5), "latency")), [3, 2, 1]);
});

test("S reverses the sort; unknown values stay last and ties stay in ID order", () => {
  const rows = [
    metaRow(1, { pingMs: 30 }),
    metaRow(2, { pingMs: 0.5 }),
    metaRow(3, { up: false, pingMs: null, state: null }),
    metaRow(4, { pingMs: 31 }),
  ];
  assert.deepEqual(ids(sortRows(rows, "latency")), [2, 1, 4, 3]);
  assert.deepEqual(ids(sortRows(rows, "latency", true)), [1, 4, 2, 3]);
  assert.deepEqual(ids(sortRows(rows, null, true)), [4, 3, 2, 1]);
});

test("s then S in the reducer: the state reverses, says so, and the rows follow", () => {
  const cluster = snapshot([
    metaRow(1, { pingMs: 50 }),
    metaRow(2, { pingMs: 0.5 }),
    metaRow(3, { pingMs: 9 }),
  ]);
  const sorted = stateAfter([
    { type: "snapshot", snapshot: cluster },
    { type: "sortNext", at: T0 },
    { type: "sortNext", at: T0 },
    { type: "sortNext", at: T0 },
  ]);
  assert.equal(sorted.sort, "latency");
  assert.deepEqual(ids(visibleRows(sorted)), [2, 3, 1]);
  const reversed = stateAfter([
    { type: "snapshot", snapshot: cluster },
    { type: "sortNext", at: T0 },
    { type: "sortNext", at: T0 },
    { type: "sortNext", at: T0 },
    { type: "sortReverse", at: T0 },
  ]);
  assert.equal(reversed.sortReverse, true);
  assert.equal(reversed.status?.text, "sorted by latency, reversed");
  assert.deepEqual(ids(visibleRows(reversed)), [1, 3, 2]);
});
