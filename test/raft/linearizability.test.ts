import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  checkLinearizability,
  kvModel,
  listModel,
  type KvInput,
  type KvOutput,
  type ListInput,
  type ListOutput,
  type Operation,
} from "../support/linearizability.ts";

type KvOp = Operation<KvInput, KvOutput>;

const put = (clientId: number, key: string, value: string, call: number, ret: number): KvOp => ({
  clientId,
  input: { op: "put", key, value },
  output: { ok: true },
  call,
  return: ret,
});
const get = (clientId: number, key: string, value: string | null, call: number, ret: number): KvOp => ({
  clientId,
  input: { op: "get", key },
  output: { value },
  call,
  return: ret,
});
const cas = (
  clientId: number,
  key: string,
  expected: string | null,
  value: string,
  ok: boolean,
  call: number,
  ret: number,
): KvOp => ({
  clientId,
  input: { op: "cas", key, expected, value },
  output: { ok },
  call,
  return: ret,
});
/** An operation whose outcome the client never learned. */
const unknown = (op: KvOp): KvOp => ({ ...op, output: undefined, return: Infinity });

describe("linearizability checker: KV register", () => {
  it("accepts an empty history and a sequential one", () => {
    assert.equal(checkLinearizability(kvModel, []).ok, true);
    const h = [
      put(1, "x", "a", 0, 1),
      get(2, "x", "a", 2, 3),
      put(1, "x", "b", 4, 5),
      get(2, "x", "b", 6, 7),
    ];
    assert.equal(checkLinearizability(kvModel, h).ok, true);
  });

  it("rejects a stale read and names the key and the longest prefix", () => {
    const h = [put(1, "x", "a", 0, 1), put(1, "x", "b", 2, 3), get(2, "x", "a", 4, 5)];
    const r = checkLinearizability(kvModel, h);
    assert.equal(r.ok, false);
    if (r.ok !== false) return;
    assert.equal(r.key, "x");
    assert.deepEqual(
      r.longestPrefix.map((op) => op.input),
      [h[0].input, h[1].input],
    );
    assert.deepEqual(r.remaining, [h[2]]);
    assert.match(r.explanation, /get\(x\) -> \{"value":"a"\}/);
  });

  it("rejects a lost write (an acknowledged put that a later read does not see)", () => {
    const h = [put(1, "x", "a", 0, 1), get(2, "x", null, 2, 3)];
    assert.equal(checkLinearizability(kvModel, h).ok, false);
  });

  it("rejects a read of a value that was never written", () => {
    const h = [put(1, "x", "a", 0, 10), get(2, "x", "zzz", 1, 9)];
    assert.equal(checkLinearizability(kvModel, h).ok, false);
  });

  it("accepts overlapping operations that are fine in one order only", () => {
    // The get overlaps both puts; it returned "b", so the order must be put a, put b, get,
    // and the later read of "b" confirms it.
    const h = [
      put(1, "x", "a", 0, 10),
      put(2, "x", "b", 1, 5),
      get(3, "x", "b", 2, 12),
      get(3, "x", "b", 13, 14),
    ];
    assert.equal(checkLinearizability(kvModel, h).ok, true);
    // Same overlap, but two later sequential reads disagree: no order explains both.
    const bad = [
      put(1, "x", "a", 0, 10),
      put(2, "x", "b", 1, 5),
      get(3, "x", "b", 11, 12),
      get(3, "x", "a", 13, 14),
    ];
    assert.equal(checkLinearizability(kvModel, bad).ok, false);
  });

  it("treats compare-and-swap results precisely", () => {
    const ok = [put(1, "x", "a", 0, 1), cas(2, "x", "a", "b", true, 2, 3), get(1, "x", "b", 4, 5)];
    assert.equal(checkLinearizability(kvModel, ok).ok, true);
    // Two concurrent cas from the same expected value cannot both succeed.
    const both = [
      put(1, "x", "a", 0, 1),
      cas(2, "x", "a", "b", true, 2, 6),
      cas(3, "x", "a", "c", true, 3, 7),
    ];
    assert.equal(checkLinearizability(kvModel, both).ok, false);
    // A failed cas must have seen a value other than expected.
    const failedWrongly = [put(1, "x", "a", 0, 1), cas(2, "x", "a", "b", false, 2, 3)];
    assert.equal(checkLinearizability(kvModel, failedWrongly).ok, false);
  });

  it("lets an indeterminate operation take effect or not, and at any time after its call", () => {
    // Took effect (seen by a later read), even long after the client gave up.
    const took = [unknown(put(1, "x", "a", 0, 0)), get(2, "x", "a", 50, 51)];
    assert.equal(checkLinearizability(kvModel, took).ok, true);
    // Did not take effect.
    const notTaken = [unknown(put(1, "x", "a", 0, 0)), get(2, "x", null, 50, 51)];
    assert.equal(checkLinearizability(kvModel, notTaken).ok, true);
    // Took effect between two reads.
    const between = [unknown(put(1, "x", "a", 0, 0)), get(2, "x", null, 50, 51), get(2, "x", "a", 52, 53)];
    assert.equal(checkLinearizability(kvModel, between).ok, true);
    // Indeterminate cas: either outcome is possible.
    const casUnknown = [put(1, "x", "a", 0, 1), unknown(cas(2, "x", "a", "b", true, 2, 2))];
    assert.equal(checkLinearizability(kvModel, [...casUnknown, get(3, "x", "a", 5, 6)]).ok, true);
    assert.equal(checkLinearizability(kvModel, [...casUnknown, get(3, "x", "b", 5, 6)]).ok, true);
  });

  it("still rejects what no indeterminate operation can explain", () => {
    // The indeterminate put was invoked after the read returned: it cannot explain the read.
    const h = [get(2, "x", "a", 0, 1), unknown(put(1, "x", "a", 5, 5))];
    assert.equal(checkLinearizability(kvModel, h).ok, false);
    // A value cannot disappear once read twice in a row with a vanished write in between.
    const flip = [unknown(put(1, "x", "a", 0, 0)), get(2, "x", "a", 10, 11), get(2, "x", null, 12, 13)];
    assert.equal(checkLinearizability(kvModel, flip).ok, false);
  });

  it("checks keys independently (P-compositionality)", () => {
    const h = [
      put(1, "x", "a", 0, 1),
      put(1, "y", "b", 0, 1),
      get(2, "y", "b", 2, 3),
      get(2, "x", "b", 2, 3),
    ];
    const r = checkLinearizability(kvModel, h);
    assert.equal(r.ok, false);
    if (r.ok === false) assert.equal(r.key, "x");
  });

  it("gives up with 'unknown' past the step budget instead of searching forever", () => {
    const h: KvOp[] = [];
    for (let i = 0; i < 40; i++) h.push(put(i, "x", `v${i}`, 0, 100));
    h.push(get(99, "x", "never", 101, 102));
    const r = checkLinearizability(kvModel, h, { maxSteps: 1000 });
    assert.equal(r.ok, "unknown");
    if (r.ok === "unknown") assert.equal(r.key, "x");
  });

  it("refuses malformed operations with a clear error", () => {
    assert.throws(() => checkLinearizability(kvModel, [put(1, "x", "a", 5, 4)]), /returns \(4\) before/);
    assert.throws(
      () => checkLinearizability(kvModel, [{ ...put(1, "x", "a", 0, 3), output: undefined }]),
      /indeterminate/,
    );
  });
});

describe("linearizability checker: append list", () => {
  const append = (c: number, value: string, call: number, ret: number): Operation<ListInput, ListOutput> => ({
    clientId: c,
    input: { op: "append", key: "l", value },
    output: { ok: true },
    call,
    return: ret,
  });
  const read = (
    c: number,
    values: string[],
    call: number,
    ret: number,
  ): Operation<ListInput, ListOutput> => ({
    clientId: c,
    input: { op: "read", key: "l" },
    output: { values },
    call,
    return: ret,
  });

  it("accepts concurrent appends read back in either order", () => {
    const h = [append(1, "a", 0, 5), append(2, "b", 0, 5), read(3, ["b", "a"], 6, 7)];
    assert.equal(checkLinearizability(listModel, h).ok, true);
  });

  it("rejects reads that disagree on order or lose an element", () => {
    const order = [
      append(1, "a", 0, 5),
      append(2, "b", 0, 5),
      read(3, ["b", "a"], 6, 7),
      read(3, ["a", "b"], 8, 9),
    ];
    assert.equal(checkLinearizability(listModel, order).ok, false);
    const lost = [append(1, "a", 0, 1), append(1, "b", 2, 3), read(2, ["b"], 4, 5)];
    assert.equal(checkLinearizability(listModel, lost).ok, false);
  });
});

// ---------------------------------------------------------------------------------------------
// Property: a history produced by a real sequential execution, with every operation's interval
// stretched around its linearization point, is linearizable — also when some results are lost.

interface PlannedOp {
  input: KvInput;
  /** Distance from the op's linearization point back to its call and on to its return. */
  before: number;
  after: number;
  lostResult: boolean;
}

const keyArb = fc.constantFrom("x", "y", "z");
const valueArb = fc.constantFrom("a", "b", "c", "d");
const inputArb: fc.Arbitrary<KvInput> = fc.oneof(
  fc.record({ op: fc.constant("put" as const), key: keyArb, value: valueArb }),
  fc.record({ op: fc.constant("get" as const), key: keyArb }),
  fc.record({
    op: fc.constant("cas" as const),
    key: keyArb,
    expected: fc.option(valueArb, { nil: null }),
    value: valueArb,
  }),
);
const plannedArb: fc.Arbitrary<PlannedOp> = fc.record({
  input: inputArb,
  before: fc.integer({ min: 0, max: 30 }),
  after: fc.integer({ min: 0, max: 30 }),
  lostResult: fc.boolean(),
});

/** Run the plan sequentially (op i linearizes at time 10·i) and record what clients would see. */
function historyFromSequentialRun(plan: PlannedOp[]): KvOp[] {
  const store = new Map<string, string>();
  return plan.map((p, i) => {
    const point = 10 * i;
    let output: KvOutput;
    const current = store.get(p.input.key) ?? null;
    if (p.input.op === "put") {
      store.set(p.input.key, p.input.value);
      output = { ok: true };
    } else if (p.input.op === "get") {
      output = { value: current };
    } else {
      const swaps = current === p.input.expected;
      if (swaps) store.set(p.input.key, p.input.value);
      output = { ok: swaps };
    }
    const call = point - p.before;
    // Only writes may lose their result: a lost read carries no information anyway.
    const lost = p.lostResult && p.input.op !== "get";
    return {
      clientId: i,
      input: p.input,
      output: lost ? undefined : output,
      call,
      return: lost ? Infinity : point + p.after,
    };
  });
}

describe("linearizability checker: properties", () => {
  it("every history generated from a sequential execution is linearizable", () => {
    fc.assert(
      fc.property(fc.array(plannedArb, { maxLength: 40 }), (plan) => {
        const r = checkLinearizability(kvModel, historyFromSequentialRun(plan));
        assert.equal(r.ok, true, r.ok === false ? r.explanation : String(r.ok));
      }),
      { numRuns: 300 },
    );
  });

  it("a non-overlapping read of a value never written is always caught", () => {
    fc.assert(
      fc.property(fc.array(plannedArb, { maxLength: 30 }), keyArb, (plan, key) => {
        const h = historyFromSequentialRun(plan);
        const end = Math.max(0, ...h.map((op) => (op.return === Infinity ? op.call : op.return)));
        h.push(get(99, key, "never-written", end + 1, end + 2));
        assert.equal(checkLinearizability(kvModel, h).ok, false);
      }),
      { numRuns: 200 },
    );
  });
});
