/**
 * Linearizability checker: the Wing–Gong–Lowe search (as in Porcupine) with memoization of
 * (set of linearized operations, model state) and P-compositionality (a history is
 * linearizable iff each per-key sub-history is, so every key is searched on its own).
 *
 * Used by the deterministic Raft simulator and by the fault-injection suite of real processes:
 * both record client operations with call/return times and hand them to `checkLinearizability`.
 */

/** One client operation as observed from the outside. */
export interface Operation<I, O> {
  clientId: number;
  input: I;
  /** The observed result; `undefined` when the outcome is unknown (timeout, connection lost,
   *  leadership lost): such an operation may or may not have taken effect. */
  output: O | undefined;
  /** Time the client invoked the operation. Any totally ordered clock works (virtual time,
   *  an event sequence number, hrtime). Equal times are treated as concurrent. */
  call: number;
  /** Time the client saw the result; `Infinity` for an indeterminate operation. */
  return: number;
}

export interface Model<S, I, O> {
  init(): S;
  /** Apply `input` to `state`. Returns whether `output` is a possible result, and the new state.
   *  When `output` is undefined the outcome is unknown: the step must accept (ok = true) and
   *  return the state after the operation took effect. */
  step(state: S, input: I, output: O | undefined): [ok: boolean, next: S];
  /** A string that is equal for equal states (used as the memo key). */
  hash(state: S): string;
  /** Key used for P-compositionality; operations on distinct keys never interact. Omit to check
   *  the whole history as one object. */
  partitionKey?(input: I): string;
  /** Human-readable rendering of an operation, for failure explanations. */
  describe?(input: I, output: O | undefined): string;
}

export type CheckResult<I, O> =
  | { ok: true; steps: number }
  | {
      ok: false;
      /** The partition (key) that is not linearizable. */
      key: string;
      /** The longest sequence of that key's operations that could be linearized, in order. */
      longestPrefix: Operation<I, O>[];
      /** Operations of that key that could not be placed after the longest prefix. */
      remaining: Operation<I, O>[];
      explanation: string;
      steps: number;
    }
  | { ok: "unknown"; key: string; steps: number; explanation: string };

export interface CheckOptions {
  /** Upper bound on search steps over all keys; past it the result is "unknown". */
  maxSteps?: number;
}

const DEFAULT_MAX_STEPS = 5_000_000;

/** Check that `history` is linearizable with respect to `model`. */
export function checkLinearizability<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  options: CheckOptions = {},
): CheckResult<I, O> {
  for (const op of history) validateOperation(op);
  const budget = { left: options.maxSteps ?? DEFAULT_MAX_STEPS, used: 0 };
  for (const [key, ops] of partition(model, history)) {
    const result = checkPartition(model, key, ops, budget);
    if (result.ok !== true) return result;
  }
  return { ok: true, steps: budget.used };
}

function validateOperation(op: Operation<unknown, unknown>): void {
  if (!Number.isFinite(op.call)) throw new Error(`operation has a non-finite call time: ${op.call}`);
  if (Number.isNaN(op.return)) throw new Error("operation has a NaN return time");
  if (op.return < op.call)
    throw new Error(`operation returns (${op.return}) before it is called (${op.call})`);
  if (op.output === undefined && op.return !== Infinity)
    throw new Error("an operation without output (indeterminate) must have return = Infinity");
}

function partition<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
): Map<string, Operation<I, O>[]> {
  const parts = new Map<string, Operation<I, O>[]>();
  for (const op of history) {
    const key = model.partitionKey ? model.partitionKey(op.input) : "";
    let list = parts.get(key);
    if (!list) parts.set(key, (list = []));
    list.push(op);
  }
  return parts;
}

/** Node of the doubly linked list of call/return events the WGL search walks and edits. */
interface EventNode {
  kind: "call" | "return";
  opIndex: number;
  /** For a call: its return node (null for an indeterminate op, which is never forced). */
  match: EventNode | null;
  prev: EventNode | null;
  next: EventNode | null;
}

function buildEventList(ops: readonly Operation<unknown, unknown>[]): EventNode {
  const events: { time: number; node: EventNode }[] = [];
  ops.forEach((op, opIndex) => {
    const call: EventNode = { kind: "call", opIndex, match: null, prev: null, next: null };
    events.push({ time: op.call, node: call });
    if (op.return !== Infinity) {
      const ret: EventNode = { kind: "return", opIndex, match: null, prev: null, next: null };
      call.match = ret;
      events.push({ time: op.return, node: ret });
    }
  });
  // At equal times calls come first: ops that touch in time are concurrent, which never
  // reports a false violation.
  events.sort(
    (a, b) =>
      a.time - b.time ||
      (a.node.kind === b.node.kind ? a.node.opIndex - b.node.opIndex : a.node.kind === "call" ? -1 : 1),
  );
  const head: EventNode = { kind: "call", opIndex: -1, match: null, prev: null, next: null };
  let tail = head;
  for (const { node } of events) {
    tail.next = node;
    node.prev = tail;
    tail = node;
  }
  return head;
}

function unlinkNode(node: EventNode): void {
  node.prev!.next = node.next;
  if (node.next) node.next.prev = node.prev;
}

function relinkNode(node: EventNode): void {
  node.prev!.next = node;
  if (node.next) node.next.prev = node;
}

/** Remove a call (and its return) from the list: the operation is linearized. */
function lift(call: EventNode): void {
  unlinkNode(call);
  if (call.match) unlinkNode(call.match);
}

/** Undo `lift` (in reverse order, so neighbour pointers are restored exactly). */
function unlift(call: EventNode): void {
  if (call.match) relinkNode(call.match);
  relinkNode(call);
}

class BitSet {
  readonly words: Uint32Array;
  constructor(size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32) || 1);
  }
  set(i: number): void {
    this.words[i >>> 5] |= 1 << (i & 31);
  }
  clear(i: number): void {
    this.words[i >>> 5] &= ~(1 << (i & 31));
  }
  key(): string {
    return this.words.join(",");
  }
}

function checkPartition<S, I, O>(
  model: Model<S, I, O>,
  key: string,
  ops: readonly Operation<I, O>[],
  budget: { left: number; used: number },
): CheckResult<I, O> {
  const head = buildEventList(ops);
  const linearized = new BitSet(ops.length);
  const seen = new Set<string>();
  const stack: { call: EventNode; state: S }[] = [];
  let determinateLeft = ops.filter((op) => op.return !== Infinity).length;
  let state = model.init();
  let best: EventNode[] = [];
  let entry = head.next;

  // Success once every operation with a known result is placed: indeterminate operations left
  // over are linearized at the end (or never), which the model contract allows.
  while (determinateLeft > 0) {
    if (budget.left-- <= 0) {
      return {
        ok: "unknown",
        key,
        steps: budget.used,
        explanation: `search budget exhausted on key ${JSON.stringify(key)} (${ops.length} operations)`,
      };
    }
    budget.used++;
    if (entry && entry.kind === "call") {
      const op = ops[entry.opIndex];
      const [ok, next] = model.step(state, op.input, op.output);
      if (ok) {
        linearized.set(entry.opIndex);
        const memo = `${linearized.key()}|${model.hash(next)}`;
        if (!seen.has(memo)) {
          seen.add(memo);
          stack.push({ call: entry, state });
          state = next;
          if (op.return !== Infinity) determinateLeft--;
          lift(entry);
          if (stack.length > best.length) best = stack.map((s) => s.call);
          entry = head.next;
          continue;
        }
        linearized.clear(entry.opIndex);
      }
      entry = entry.next;
    } else {
      // A return (or the end of the list) was reached while its call is still pending: the
      // current prefix cannot be extended, so undo the last choice and try the next candidate.
      const top = stack.pop();
      if (!top) return explainFailure(model, key, ops, best, budget.used);
      state = top.state;
      linearized.clear(top.call.opIndex);
      if (ops[top.call.opIndex].return !== Infinity) determinateLeft++;
      unlift(top.call);
      entry = top.call.next;
    }
  }
  return { ok: true, steps: budget.used };
}

function explainFailure<S, I, O>(
  model: Model<S, I, O>,
  key: string,
  ops: readonly Operation<I, O>[],
  best: EventNode[],
  steps: number,
): CheckResult<I, O> {
  const placed = new Set(best.map((n) => n.opIndex));
  const longestPrefix = best.map((n) => ops[n.opIndex]);
  const remaining = ops.filter((_, i) => !placed.has(i)).sort((a, b) => a.call - b.call);
  const show = (op: Operation<I, O>) =>
    `client ${op.clientId} [${op.call}, ${op.return}] ` +
    (model.describe ? model.describe(op.input, op.output) : JSON.stringify([op.input, op.output]));
  const explanation =
    `key ${JSON.stringify(key)} is not linearizable.\n` +
    `longest linearizable prefix (${longestPrefix.length} of ${ops.length} ops):\n` +
    longestPrefix.map((op) => `  ${show(op)}`).join("\n") +
    `\nnone of these can come next:\n` +
    remaining
      .filter((op) => op.return !== Infinity)
      .slice(0, 10)
      .map((op) => `  ${show(op)}`)
      .join("\n");
  return { ok: false, key, longestPrefix, remaining, explanation, steps };
}

// ---------------------------------------------------------------------------------------------
// Models.

export type KvInput =
  | { op: "put"; key: string; value: string }
  | { op: "get"; key: string }
  | { op: "cas"; key: string; expected: string | null; value: string };

/** put → { ok: true }; get → { value } (null when absent); cas → { ok } (swapped or not). */
export type KvOutput = { ok: boolean } | { value: string | null };

/** Per-key register with put/get/compare-and-swap; absent keys read as null. */
export const kvModel: Model<string | null, KvInput, KvOutput> = {
  init: () => null,
  step(state, input, output) {
    switch (input.op) {
      case "put":
        return [true, input.value];
      case "get":
        if (output === undefined) return [true, state];
        return ["value" in output && output.value === state, state];
      case "cas": {
        const swaps = state === input.expected;
        const next = swaps ? input.value : state;
        // Unknown outcome: assume it swapped if it could. "It failed" needs no separate branch:
        // it leaves the state as is, which is the same as never linearizing the operation, and
        // the search never forces an indeterminate operation into the order.
        if (output === undefined) return [true, next];
        return ["ok" in output && output.ok === swaps, next];
      }
    }
  },
  hash: (state) => (state === null ? "\u0000null" : `=${state}`),
  partitionKey: (input) => input.key,
  describe(input, output) {
    const result = output === undefined ? "?" : JSON.stringify(output);
    switch (input.op) {
      case "put":
        return `put(${input.key}, ${input.value}) -> ${result}`;
      case "get":
        return `get(${input.key}) -> ${result}`;
      case "cas":
        return `cas(${input.key}, ${input.expected} -> ${input.value}) -> ${result}`;
    }
  },
};

export type ListInput = { op: "append"; key: string; value: string } | { op: "read"; key: string };
export type ListOutput = { ok: true } | { values: string[] };

/** Per-key append-only list: each read must return exactly the appends linearized before it. */
export const listModel: Model<readonly string[], ListInput, ListOutput> = {
  init: () => [],
  step(state, input, output) {
    if (input.op === "append") return [true, [...state, input.value]];
    if (output === undefined) return [true, state];
    const values = "values" in output ? output.values : null;
    const same = values !== null && values.length === state.length && values.every((v, i) => v === state[i]);
    return [same, state];
  },
  hash: (state) => JSON.stringify(state),
  partitionKey: (input) => input.key,
  describe(input, output) {
    const result = output === undefined ? "?" : JSON.stringify(output);
    return input.op === "append"
      ? `append(${input.key}, ${input.value}) -> ${result}`
      : `read(${input.key}) -> ${result}`;
  },
};
