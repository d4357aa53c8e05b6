// The replica health model and the rebalance plan (src/cluster/replica-health.ts): pure functions
// of the metadata's owners, the copies the data nodes report and which nodes are up.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  assessReplicas,
  lastLiveCopies,
  nameShards,
  planRebalance,
  shardsOfMetadata,
  stateFromListing,
  type DataTierState,
  type TierNode,
  type TierShard,
} from "../../src/cluster/replica-health.ts";
import { OperationError } from "../../src/cluster/errors.ts";
import { ISSUE_SCALE, scaleState } from "../../bench/lib/scale-state.ts";

const node = (id: number, up: boolean, copies: [number, number][] = []): TierNode => ({
  id,
  tcpAddr: `127.0.0.1:${8000 + id}`,
  up,
  copies: new Map(copies.map(([shard, size]) => [shard, { size, state: "cold" }])),
});
const shard = (id: number, owners: number[], replicaN = 2, hot = false): TierShard => ({
  id,
  database: "db",
  retentionPolicy: "rp",
  replicaN,
  shardGroupId: id,
  hot,
  owners,
});

test("each state: healthy, under-replicated, unavailable, missing, orphan, hot", () => {
  const state: DataTierState = {
    nodes: [
      node(1, true, [
        [10, 100],
        [11, 100],
        [13, 5],
        [99, 7],
      ]),
      node(2, true, [
        [10, 100],
        [14, 50],
      ]),
      node(3, false),
    ],
    shards: [
      shard(10, [1, 2]), // healthy
      shard(11, [1, 3]), // under-replicated: node 3 is down
      shard(12, [3]), // unavailable: its only owner is down
      shard(13, [1, 2], 2, true), // missing on 2, under-replicated, hot
      shard(14, [2], 1, true), // healthy and hot
    ],
  };
  const report = assessReplicas(state, true);
  const states = Object.fromEntries(report.shards.map((s) => [s.id, s.states]));
  assert.deepEqual(states, {
    10: ["healthy"],
    11: ["under-replicated"],
    12: ["unavailable"],
    13: ["under-replicated", "missing", "hot"],
    14: ["healthy", "hot"],
  });
  assert.deepEqual(report.orphans, [
    { shard: 99, node: 1, tcpAddr: "127.0.0.1:8001", size: 7, known: false },
  ]);
  assert.deepEqual(report.summary, {
    shards: 5,
    healthy: 2,
    "under-replicated": 2,
    unavailable: 1,
    missing: 1,
    orphan: 1,
    hot: 2,
    "nodes-up": 2,
    "nodes-down": 1,
  });
  assert.deepEqual(
    report.nodes.map((n) => [n.id, n.shards, n.bytes, n.lastCopies]),
    [
      [1, 3, 212, 2],
      [2, 3, 150, 1],
      [3, 2, 0, 0],
    ],
  );
  // Without detail only the shards that need attention are listed.
  assert.deepEqual(
    assessReplicas(state).shards.map((s) => s.id),
    [11, 12, 13],
  );
  assert.deepEqual(
    lastLiveCopies(state, 1).map((s) => s.id),
    [11, 13],
  );
  assert.deepEqual(lastLiveCopies(state, 3), []);
  // A copy on a node that is not an owner of a known shard is an orphan too, and never live.
  const moved: DataTierState = {
    nodes: [node(1, true, [[10, 1]]), node(2, true, [[10, 1]])],
    shards: [shard(10, [1], 1)],
  };
  assert.deepEqual(assessReplicas(moved).orphans, [
    { shard: 10, node: 2, tcpAddr: "127.0.0.1:8002", size: 1, known: true },
  ]);
  assert.deepEqual(
    lastLiveCopies(moved, 1).map((s) => s.id),
    [10],
  );
});

test("shard names in refusals: the first few and a count", () => {
  assert.equal(nameShards([1, 2, 3]), "1, 2, 3");
  assert.equal(nameShards([1, 2, 3, 4, 5, 6, 7]), "1, 2, 3, 4, 5 and 2 more");
});

test("rebalance evens owned shards across live nodes and never moves from or to a copy that is not live", () => {
  const copies = (ids: number[]) => ids.map((i): [number, number] => [i, 10 * i]);
  const state: DataTierState = {
    nodes: [
      node(1, true, copies([1, 2, 3, 4, 5, 6])),
      node(2, true, copies([1])),
      node(3, true),
      node(4, false),
    ],
    shards: [1, 2, 3, 4, 5, 6].map((i) => shard(i, i === 1 ? [1, 2] : i === 6 ? [1, 4] : [1])),
  };
  const plan = planRebalance(state);
  assert.deepEqual(plan.before, { "127.0.0.1:8001": 6, "127.0.0.1:8002": 1, "127.0.0.1:8003": 0 });
  const counts = Object.values(plan.after);
  assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, JSON.stringify(plan.after));
  for (const m of plan.moves) {
    assert.equal(m.source.id, 1);
    assert.notEqual(m.dest.id, 4, "never to a dead node");
    assert.ok(!state.shards.find((s) => s.id === m.shard)!.owners.includes(m.dest.id), "dest did not own it");
    assert.equal(m.size, 10 * m.shard);
  }
  assert.equal(
    plan.bytes,
    plan.moves.reduce((s, m) => s + m.size, 0),
  );
  // Applying the plan to the state and planning again finds nothing to do (re-running continues).
  const after = applyPlan(state, plan.moves);
  assert.deepEqual(planRebalance(after).moves, []);
  for (const s of assessReplicas(after, true).shards) {
    const was = assessReplicas(state, true).shards.find((x) => x.id === s.id)!;
    assert.ok(s.live.length >= was.live.length, `shard ${s.id} is not less replicated`);
  }
});

test("drain moves every shard off a live node; a dead node's shards are copied from their other live copies", () => {
  const state: DataTierState = {
    nodes: [
      node(1, true, [
        [1, 5],
        [2, 5],
        [3, 5],
      ]),
      node(2, true, [
        [3, 5],
        [5, 5],
      ]),
      node(3, true),
      node(4, false),
    ],
    shards: [shard(1, [1]), shard(2, [1, 4]), shard(3, [1, 2]), shard(4, [4]), shard(5, [4, 2])],
  };
  const live = planRebalance(state, { drain: "127.0.0.1:8001" });
  assert.equal(live.drain, "127.0.0.1:8001");
  assert.deepEqual(
    live.moves.map((m) => [m.shard, m.from.id, m.dest.id]),
    [
      [1, 1, 3],
      [2, 1, 3], // node 2 owns two shards, node 3 one after the first move
      [3, 1, 3], // node 2 owns shard 3 already
    ],
  );
  assert.deepEqual(live.skipped, []);
  assert.equal(live.after["127.0.0.1:8001"], undefined, "the drained node is no target");
  const dead = planRebalance(state, { drain: "127.0.0.1:8004" });
  assert.deepEqual(
    dead.moves.map((m) => [m.shard, m.from.id, m.source.id, m.dest.id, m.sourceDown]),
    [
      [2, 1, 4, 3, true],
      [5, 2, 4, 3, true],
    ],
  );
  assert.deepEqual(dead.skipped, [{ shard: 4, reason: "no live copy to copy from" }]);
  assert.throws(
    () => planRebalance(state, { drain: "127.0.0.1:1" }),
    (e: unknown) => e instanceof OperationError && e.status === 404 && e.code === "NO_SUCH_DATA_NODE",
  );
});

test("a verbose listing reads back as the state: answered entries are copies, erring nodes are down", () => {
  const now = Date.now();
  const future = new Date(now + 3_600_000).toISOString();
  const past = new Date(now - 3_600_000).toISOString();
  const zero = "0001-01-01T00:00:00Z";
  const state = stateFromListing(
    [
      { id: 1, tcpAddr: "a:8088" },
      { id: 2, tcpAddr: "b:8088" },
      { id: 3, tcpAddr: "c:8088" },
      { id: 4, tcpAddr: "d:8088" },
    ],
    [
      {
        id: 7,
        database: "db",
        "retention-policy": "rp",
        "replica-n": 2,
        "shard-group-id": 1,
        "end-time": future,
        "truncated-at": zero,
        owners: [
          { id: 1, tcpAddr: "a:8088", state: "hot", size: 9, err: "" },
          { id: 2, tcpAddr: "b:8088", state: "", size: 0, err: "dial tcp b:8088: connection refused" },
        ],
      },
      {
        id: 8,
        database: "db",
        "retention-policy": "rp",
        "replica-n": 2,
        "shard-group-id": 2,
        "end-time": future,
        "truncated-at": past,
        owners: [
          { id: 1, tcpAddr: "a:8088", state: "", size: 0, err: "not found" },
          { id: 3, tcpAddr: "c:8088", state: "cold", size: 3, err: "" },
        ],
      },
    ],
    now,
  );
  assert.deepEqual(
    state.nodes.map((n) => [n.id, n.up, [...n.copies.keys()]]),
    [
      [1, true, [7]],
      [2, false, []],
      [3, true, [8]],
      [4, true, []],
    ],
  );
  assert.deepEqual(
    state.shards.map((s) => [s.id, s.hot]),
    [
      [7, true],
      [8, false],
    ],
  );
  assert.deepEqual(
    assessReplicas(state, true).shards.map((s) => s.states),
    [
      ["under-replicated", "hot"],
      ["under-replicated", "missing"],
    ],
  );
});

test("the issue-15 state (100,000 shard groups, 600,000 copies, 100 nodes): health, and a plan for an added node", () => {
  const data = scaleState(ISSUE_SCALE);
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const shards = shardsOfMetadata(data.databases, nowNs);
  assert.equal(shards.length, 200_000);
  const copies = new Map<number, Map<number, { size: number; state: string }>>();
  for (const s of shards) {
    for (const o of s.owners) {
      let m = copies.get(o);
      if (!m) copies.set(o, (m = new Map()));
      m.set(s.id, { size: 1000 + (s.id % 7), state: "cold" });
    }
  }
  const nodes: TierNode[] = data.dataNodes.map((n) => ({
    id: n.id,
    tcpAddr: n.tcpAddr,
    up: true,
    copies: copies.get(n.id) ?? new Map(),
  }));
  const state = { nodes, shards };
  const report = assessReplicas(state);
  assert.equal(report.summary.shards, 200_000);
  assert.equal(report.summary.healthy, 200_000);
  assert.deepEqual(report.shards, []);
  // An added, empty node: the plan moves it its share and no more.
  const added: DataTierState = {
    nodes: [...nodes, { id: 10_000, tcpAddr: "127.0.0.1:9", up: true, copies: new Map() }],
    shards,
  };
  const plan = planRebalance(added);
  const counts = Object.values(plan.after);
  assert.ok(Math.max(...counts) - Math.min(...counts) <= 1);
  assert.equal(plan.after["127.0.0.1:9"], plan.moves.length);
  assert.ok(plan.moves.length >= 5_900 && plan.moves.length <= 6_000, String(plan.moves.length));
});

/** The state after the moves ran: dest owns and holds each shard, source neither. */
function applyPlan(state: DataTierState, moves: ReturnType<typeof planRebalance>["moves"]): DataTierState {
  const nodes = state.nodes.map((n) => ({ ...n, copies: new Map(n.copies) }));
  const shards = state.shards.map((s) => ({ ...s, owners: [...s.owners] }));
  for (const m of moves) {
    const s = shards.find((x) => x.id === m.shard)!;
    const from = nodes.find((n) => n.id === m.from.id)!;
    nodes.find((n) => n.id === m.dest.id)!.copies.set(m.shard, from.copies.get(m.shard)!);
    nodes.find((n) => n.id === m.source.id)!.copies.delete(m.shard);
    s.owners = [...s.owners.filter((o) => o !== m.source.id), m.dest.id];
  }
  return { nodes, shards };
}
