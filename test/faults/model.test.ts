// The fault suite's oracle: the meta register model through the WGL checker, and the history's
// translation of ok / fail / unknown outcomes. A suite whose checks cannot fail proves nothing,
// so these histories include the failures the suite exists to catch.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkLinearizability } from "../support/linearizability.ts";
import { History } from "./history.ts";
import { commandFor, metaRegisterModel, valueIn, type MetaInput, type MetaOutput } from "./model.ts";

function op(clientId: number, input: MetaInput, output: MetaOutput | undefined, call: number, ret: number) {
  return { clientId, input, output, call, return: output === undefined ? Infinity : ret };
}

const check = (ops: ReturnType<typeof op>[]) => checkLinearizability(metaRegisterModel, ops).ok;

test("create, update and drop of a user are linearizable with what reads saw", () => {
  assert.equal(
    check([
      op(1, { op: "create", key: "user:a", value: "h1" }, { ok: true }, 0, 10),
      op(2, { op: "create", key: "user:a", value: "h2" }, { ok: false }, 11, 20),
      op(1, { op: "update", key: "user:a", value: "h3" }, { ok: true }, 21, 30),
      op(2, { op: "read", key: "user:a" }, { value: "h3" }, 31, 40),
      op(1, { op: "drop", key: "user:a" }, { ok: true }, 41, 50),
      op(2, { op: "update", key: "user:a", value: "h4" }, { ok: false }, 51, 60),
      op(2, { op: "read", key: "user:a" }, { value: null }, 61, 70),
    ]),
    true,
  );
});

test("an acknowledged create that a later read does not see is a violation", () => {
  assert.equal(
    check([
      op(1, { op: "create", key: "user:a", value: "h1" }, { ok: true }, 0, 10),
      op(2, { op: "read", key: "user:a" }, { value: null }, 20, 30),
    ]),
    false,
  );
});

test("a refusal that contradicts the state is a violation (create refused on an absent user)", () => {
  assert.equal(check([op(1, { op: "create", key: "user:a", value: "h1" }, { ok: false }, 0, 10)]), false);
  assert.equal(check([op(1, { op: "drop", key: "user:a" }, { ok: true }, 0, 10)]), false);
});

test("an unknown outcome may or may not have taken effect, but a read cannot see it undone", () => {
  const unknown = op(1, { op: "put", key: "db:d", value: "present" }, undefined, 0, 0);
  assert.equal(check([unknown, op(2, { op: "read", key: "db:d" }, { value: null }, 5, 6)]), true);
  assert.equal(check([unknown, op(2, { op: "read", key: "db:d" }, { value: "present" }, 5, 6)]), true);
  assert.equal(
    check([
      unknown,
      op(2, { op: "read", key: "db:d" }, { value: "present" }, 5, 6),
      op(2, { op: "read", key: "db:d" }, { value: null }, 7, 8),
    ]),
    false,
  );
});

test("concurrent writes may be ordered either way, but stale reads after both returned are not", () => {
  const a = op(1, { op: "put", key: "db:d", value: "present" }, { ok: true }, 0, 10);
  const b = op(2, { op: "put", key: "db:d", value: null }, { ok: true }, 1, 9);
  assert.equal(check([a, b, op(3, { op: "read", key: "db:d" }, { value: "present" }, 11, 12)]), true);
  assert.equal(check([a, b, op(3, { op: "read", key: "db:d" }, { value: null }, 11, 12)]), true);
  assert.equal(
    check([
      a,
      b,
      op(3, { op: "read", key: "db:d" }, { value: null }, 11, 12),
      op(3, { op: "read", key: "db:d" }, { value: "present" }, 13, 14),
    ]),
    false,
  );
});

test("the history drops failed operations and leaves unknown ones open", () => {
  const h = new History();
  const failed = h.invoke(1, { op: "create", key: "user:a", value: "x" });
  h.complete(failed, "fail", undefined, "no leader");
  const unknown = h.invoke(2, { op: "drop", key: "user:a" });
  h.complete(unknown, "info", undefined, "timeout");
  const done = h.invoke(3, { op: "create", key: "user:a", value: "y" });
  h.complete(done, "ok", { ok: true });
  assert.throws(() => h.complete(done, "ok", { ok: true }), /completed twice/);
  const ops = h.operations();
  assert.deepEqual(
    ops.map((o) => [o.clientId, o.output, o.return === Infinity]),
    [
      [2, undefined, true],
      [3, { ok: true }, false],
    ],
  );
  assert.deepEqual(h.counts(), { ok: 1, fail: 1, info: 1, pending: 0 });
});

test("keys map to meta commands and to values in the metadata", () => {
  assert.deepEqual(commandFor({ op: "create", key: "user:u1g0", value: "h" }), {
    type: "CreateUserCommand",
    name: "u1g0",
    hash: "h",
    admin: false,
  });
  assert.deepEqual(commandFor({ op: "put", key: "db:d3g1", value: null }), {
    type: "DropDatabaseCommand",
    name: "d3g1",
  });
  assert.throws(() => commandFor({ op: "drop", key: "db:d3g1" }), /databases only take puts/);
  assert.throws(() => commandFor({ op: "drop", key: "x" }), /bad key/);
  const data = { users: [{ name: "u1g0", hash: "h" }], databases: [{ name: "d3g1" }] };
  assert.equal(valueIn(data, "user:u1g0"), "h");
  assert.equal(valueIn(data, "user:u2g0"), null);
  assert.equal(valueIn(data, "db:d3g1"), "present");
});
