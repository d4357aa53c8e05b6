// DatabaseList (src/meta/database-list.ts) against a plain array doing the same operations: order,
// lookups by key, chunk sizes, and published lists never changing after a later command edits.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CHUNK_SIZE, DatabaseList } from "../../src/meta/database-list.ts";
import type { DatabaseState } from "../../src/meta/readonly.ts";

const db = (name: string): DatabaseState => ({
  name,
  defaultRetentionPolicy: "",
  retentionPolicies: [],
  continuousQueries: [],
});

type Op =
  | { kind: "append"; count: number }
  | { kind: "remove"; pick: number; count: number }
  | { kind: "set"; pick: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("append" as const), count: fc.integer({ min: 1, max: 2 * CHUNK_SIZE }) }),
  fc.record({
    kind: fc.constant("remove" as const),
    pick: fc.nat(),
    count: fc.integer({ min: 1, max: 2 * CHUNK_SIZE }),
  }),
  fc.record({ kind: fc.constant("set" as const), pick: fc.nat() }),
);

/** What a list must hold, as [key, database] pairs in order. */
function assertHolds(list: DatabaseList, model: readonly [number, DatabaseState][], when: string): void {
  assert.equal(list.length, model.length, `${when}: length`);
  assert.deepEqual([...list.entries()], model, `${when}: entries`);
  assert.deepEqual(
    [...list],
    model.map(([, d]) => d),
    `${when}: iteration`,
  );
  for (const [key, d] of model) assert.equal(list.get(key), d, `${when}: get(${key})`);
  for (const chunk of list.chunks) {
    assert.ok(
      chunk.keys.length > 0 && chunk.keys.length <= CHUNK_SIZE,
      `${when}: chunk of ${chunk.keys.length}`,
    );
  }
}

test("DatabaseList keeps order and keys like an array under appends, removals and replacements; published lists never change", () => {
  fc.assert(
    fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) => {
      let nextKey = 0;
      let list = DatabaseList.of([]);
      let model: [number, DatabaseState][] = [];
      const published: { list: DatabaseList; model: [number, DatabaseState][] }[] = [];
      ops.forEach((o, step) => {
        // One operation = one command: a fresh set of copies, the list made editable once.
        const copies = new Set<object>();
        const next = list.editable(copies);
        const after = [...model];
        if (o.kind === "append") {
          for (let i = 0; i < o.count; i++) {
            const d = db(`db${nextKey}`);
            next.append(nextKey, d, copies);
            after.push([nextKey++, d]);
          }
        } else if (o.kind === "remove") {
          for (let i = 0; i < o.count && after.length > 0; i++) {
            const key: number = after.splice((o.pick + i * 7) % after.length, 1)[0][0];
            assert.equal(next.remove(key, copies), true);
          }
          assert.equal(next.remove(nextKey + 1, copies), false, "an unknown key is not removed");
        } else if (after.length > 0) {
          const at = o.pick % after.length;
          const d = db(`${after[at][1].name}'`);
          next.set(after[at][0], d, copies);
          after[at] = [after[at][0], d];
        }
        published.push({ list, model });
        list = next;
        model = after;
        assertHolds(list, model, `after step ${step} (${o.kind})`);
      });
      for (const [i, p] of published.entries()) assertHolds(p.list, p.model, `published list ${i}`);
    }),
    { numRuns: 200 },
  );
});

test("a list built from an array keys its databases by position, and refuses writes it was not made editable for", () => {
  const items = Array.from({ length: 200 }, (_, i) => db(`d${i}`));
  const list = DatabaseList.of(items);
  assertHolds(
    list,
    items.map((d, i) => [i, d]),
    "built",
  );
  assert.equal(list.get(200), undefined);
  assert.equal(list.get(-1), undefined);
  assert.throws(() => list.set(0, db("x"), new Set()), /without being made editable/);
  const copies = new Set<object>();
  const editable = list.editable(copies);
  assert.throws(() => editable.append(5, db("late"), copies), /not after the last key/);
  assert.throws(() => editable.set(999, db("x"), copies), /no database with key 999/);
});

test("removals merge small chunks, so the chunks stay few after heavy churn", () => {
  const total = 100 * CHUNK_SIZE;
  const items = Array.from({ length: total }, (_, i) => db(`d${i}`));
  const copies = new Set<object>();
  const list = DatabaseList.of(items).editable(copies);
  // Drop 15 of every 16 databases, spread over every chunk: each chunk falls to a sixteenth.
  for (let key = 0; key < total; key++) if (key % 16 !== 0) list.remove(key, copies);
  // Without merging there would be 100 chunks; merged, no two neighbours that fit in one remain.
  assert.ok(list.chunks.length <= 100 / 2, `${list.chunks.length} chunks for ${total / 16} databases`);
  const kept = items.flatMap((d, key): [number, DatabaseState][] => (key % 16 === 0 ? [[key, d]] : []));
  assertHolds(list, kept, "after churn");
});
