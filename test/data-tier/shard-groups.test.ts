// The compact /show-shards listing (src/cluster/shard-groups.ts): what the server lists is what the
// client reads back, in Go's shape; a listing cut short or pointing outside its texts is refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { isShardGroupListing, listShardGroups, shardsOfGroups } from "../../src/cluster/shard-groups.ts";

const ZERO = "0001-01-01T00:00:00Z";
const nodes = [
  { id: 4, tcpAddr: "d4:8088" },
  { id: 5, tcpAddr: "d5:8088" },
];
const group = (id: number, database: string, shards: { id: number; owners: { nodeId: number }[] }[]) => ({
  database,
  retentionPolicy: "autogen",
  replicaN: 2,
  id,
  startTime: "2026-01-05T00:00:00Z",
  endTime: "2026-01-12T00:00:00Z",
  expireTime: ZERO,
  truncatedAt: ZERO,
  shards,
});

test("a listing reads back as Go's array, texts sent once, unknown owners with an empty address", () => {
  const listing = listShardGroups(nodes, [
    group(1, "a", [
      { id: 10, owners: [{ nodeId: 4 }, { nodeId: 5 }] },
      { id: 11, owners: [] },
    ]),
    group(2, "b", [{ id: 12, owners: [{ nodeId: 9 }] }]),
  ]);
  assert.ok(isShardGroupListing(JSON.parse(JSON.stringify(listing))));
  assert.deepEqual(listing.strings, [
    "a",
    "autogen",
    "2026-01-05T00:00:00Z",
    "2026-01-12T00:00:00Z",
    ZERO,
    "b",
  ]);
  const owner = (id: number, tcpAddr: string) => ({
    id,
    tcpAddr,
    state: "",
    "last-modified": ZERO,
    size: 0,
    err: "",
  });
  const row = (id: number, database: string, groupId: number, owners: ReturnType<typeof owner>[]) => ({
    id,
    database,
    "retention-policy": "autogen",
    "replica-n": 2,
    "shard-group-id": groupId,
    "start-time": "2026-01-05T00:00:00Z",
    "end-time": "2026-01-12T00:00:00Z",
    "expire-time": ZERO,
    "truncated-at": ZERO,
    owners,
  });
  assert.deepEqual(
    [...shardsOfGroups(listing)],
    [
      row(10, "a", 1, [owner(4, "d4:8088"), owner(5, "d5:8088")]),
      row(11, "a", 1, []),
      row(12, "b", 2, [owner(9, "")]),
    ],
  );
});

test("a listing cut short or naming a text it does not carry is refused with a clear error", () => {
  const listing = listShardGroups(nodes, [group(1, "a", [{ id: 10, owners: [{ nodeId: 4 }] }])]);
  const numbers = listing.groups.split(",");
  const cut = { ...listing, groups: numbers.slice(0, -1).join(",") };
  assert.throws(
    () => [...shardsOfGroups(cut)],
    /^Error: malformed shard listing: it ends inside a shard group$/,
  );
  const badText = { ...listing, groups: ["99", ...numbers.slice(1)].join(",") };
  assert.throws(
    () => [...shardsOfGroups(badText)],
    /^Error: malformed shard listing: a text index out of range$/,
  );
  const notNumber = { ...listing, groups: ["0", "1", "x", ...numbers.slice(3)].join(",") };
  assert.throws(
    () => [...shardsOfGroups(notNumber)],
    /^Error: malformed shard listing: not a number at character 4$/,
  );
  assert.equal(isShardGroupListing([]), false, "Go's array is not the compact listing");
  assert.equal(isShardGroupListing({ format: "groups", nodes: [] }), false);
});
