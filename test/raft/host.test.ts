/**
 * RaftNode (host facade) on memory stores, a manual clock and an in-memory transport: the
 * promise API, group commit, leadership transfer, snapshots + compaction, restart, membership
 * and fail-stop on storage errors.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  LeadershipLostError,
  NotLeaderError,
  RaftConfigError,
  ShutdownError,
} from "../../src/raft/errors.ts";
import { RaftNode } from "../../src/raft/host.ts";
import { MemoryLogStore, MemorySnapshotStore, MemoryStableStore } from "../../src/raft/storage/memory.ts";
import { EntryType, type Entry } from "../../src/raft/types.ts";
import { dec, enc } from "./support/memnet.ts";
import { HostCluster, ListFsm, ManualClock, MemNetwork, settle, TIMING } from "./support/memhost.ts";

describe("RaftNode basics", () => {
  test("a single bootstrapped node elects itself and applies commands with the FSM's result", async () => {
    const c = await HostCluster.bootstrapped(["a"]);
    const a = c.node("a");
    assert.equal(a.state(), "leader");
    assert.deepEqual(a.leader(), { id: "a", address: "a:8089" });
    const r1 = await c.run(a.apply(enc("x")));
    const r2 = await c.run(a.apply(enc("y")));
    assert.deepEqual([r1.result, r2.result], [1, 2]);
    assert.equal(r2.index, r1.index + 1);
    assert.deepEqual(c.fsm("a").items, ["x", "y"]);
    assert.equal(a.stats().appliedIndex, r2.index);
    await c.shutdownAll();
  });

  test("group commit: many applies in one turn are written with one log append", async () => {
    const c = await HostCluster.bootstrapped(["a"]);
    const log = c.disks.get("a")!.logStore;
    const before = log.appendCalls.length;
    const all = Promise.all(Array.from({ length: 50 }, (_, i) => c.node("a").apply(enc(`w${i}`))));
    const results = await c.run(all);
    assert.equal(results.length, 50);
    assert.deepEqual(log.appendCalls.slice(before), [50], "exactly one append call carrying all 50 entries");
    await c.shutdownAll();
  });

  test("a fresh node generates a server id from the injected random source and keeps it", async () => {
    const clock = new ManualClock();
    const stableStore = new MemoryStableStore();
    const open = (random: () => number) =>
      RaftNode.open({
        clock,
        transport: new MemNetwork().transport("x:8089"),
        logStore: new MemoryLogStore(),
        stableStore,
        snapshotStore: new MemorySnapshotStore(),
        fsm: new ListFsm(),
        ...TIMING,
        snapshotThreshold: 100,
        trailingLogs: 10,
        random,
      });
    const first = await open(() => 0.5);
    assert.equal(first.id, "80".repeat(16));
    assert.equal(first.state(), "unbootstrapped");
    await first.shutdown();
    const again = await open(() => 0.1);
    assert.equal(again.id, first.id, "read back from the stable store");
    await again.shutdown();
  });

  test("bad options are refused with a clear error", async () => {
    const base = {
      clock: new ManualClock(),
      transport: new MemNetwork().transport("x:1"),
      logStore: new MemoryLogStore(),
      stableStore: new MemoryStableStore(),
      snapshotStore: new MemorySnapshotStore(),
      fsm: new ListFsm(),
      ...TIMING,
      snapshotThreshold: 100,
      trailingLogs: 10,
    };
    await assert.rejects(RaftNode.open({ ...base, tickMs: 0 }), RaftConfigError);
    await assert.rejects(RaftNode.open({ ...base, heartbeatIntervalMs: 200 }), /heartbeatIntervalMs/);
  });
});

describe("RaftNode in a three-node cluster", () => {
  test("writes replicate; a follower refuses with the leader's address as hint", async () => {
    const c = await HostCluster.bootstrapped(["a", "b", "c"]);
    const leader = c.leader()!;
    await c.run(leader.apply(enc("hello")));
    await c.clock.advance(TIMING.heartbeatIntervalMs * 3);
    for (const id of ["a", "b", "c"]) assert.deepEqual(c.fsm(id).items, ["hello"]);

    const follower = [...c.nodes.values()].find((n) => n !== leader)!;
    const err = await follower.apply(enc("no")).catch((e: unknown) => e);
    assert.ok(err instanceof NotLeaderError);
    assert.equal(err.leaderAddress, `${leader.id}:8089`);
    assert.equal(follower.stats().leaderId, leader.id);
    await c.shutdownAll();
  });

  test("readIndex resolves on the leader with an index that covers every acknowledged write", async () => {
    const c = await HostCluster.bootstrapped(["a", "b", "c"]);
    const leader = c.leader()!;
    const w = await c.run(leader.apply(enc("v")));
    const idx = await c.run(leader.readIndex());
    assert.ok(idx >= w.index);
    const follower = [...c.nodes.values()].find((n) => n !== leader)!;
    await assert.rejects(follower.barrier(), NotLeaderError);
    await c.shutdownAll();
  });

  test("leadership transfer resolves once another server leads", async () => {
    const c = await HostCluster.bootstrapped(["a", "b", "c"]);
    const old = c.leader()!;
    const target = ["a", "b", "c"].find((id) => id !== old.id)!;
    const changes: string[] = [];
    const unsubscribe = old.onStateChange((s) => changes.push(s));
    await c.run(old.leadershipTransfer(target));
    assert.equal(c.node(target).state(), "leader");
    assert.equal(old.state(), "follower");
    assert.deepEqual(changes, ["follower"]);
    unsubscribe();
    await c.run(c.node(target).apply(enc("after transfer")));
    await c.shutdownAll();
  });

  test("pending applies fail with LeadershipLostError when the leader is cut off", async () => {
    const c = await HostCluster.bootstrapped(["a", "b", "c"]);
    const leader = c.leader()!;
    c.net.isolated.add(`${leader.id}:8089`);
    const p = leader.apply(enc("doomed"));
    const err = await c.run(p.catch((e: unknown) => e));
    assert.ok(err instanceof LeadershipLostError, String(err));
    await c.shutdownAll();
  });

  test("membership: a nonvoter is added, promoted once caught up, and a removed server says so", async () => {
    const c = await HostCluster.bootstrapped(["a", "b", "c"]);
    const leader = c.leader()!;
    await c.start("d");
    const added = await c.run(leader.addNonvoter("d", "d:8089", enc("meta: node d")));
    assert.equal(added.result, 1, "payload applied atomically with the change");
    for (let i = 0; i < 20 && !leader.stats().voters.includes("d"); i++) await c.clock.advance(TIMING.tickMs);
    assert.deepEqual(leader.stats().voters.sort(), ["a", "b", "c", "d"]);
    assert.deepEqual(c.fsm("d").items, ["meta: node d"]);

    const victim = ["a", "b", "c"].find((id) => id !== leader.id)!;
    await c.run(leader.removeServer(victim));
    for (let i = 0; i < 5; i++) await c.clock.advance(TIMING.tickMs);
    assert.equal(c.node(victim).state(), "removed");
    assert.equal(
      leader.configuration().committed.config.servers.some((s) => s.id === victim),
      false,
    );
    await c.shutdownAll();
  });

  test("removing the leader: it reports removed and the others elect a new leader", async () => {
    const c = await HostCluster.bootstrapped(["a", "b", "c"]);
    const old = c.leader()!;
    const removal = await c.run(old.removeServer(old.id));
    assert.equal(removal.index, old.configuration().committed.index, "resolved once its removal committed");
    await c.waitForLeader();
    assert.equal(old.state(), "removed");
    const now = c.leader()!;
    assert.notEqual(now.id, old.id);
    await c.run(now.apply(enc("after")));
    await c.shutdownAll();
  });
});

/** A list FSM that prepares entries named "slow…" until the test lets `prepared` resolve. */
class PreparingFsm extends ListFsm {
  static finish: () => void = () => undefined;
  static prepared = new Promise<void>((resolve) => (PreparingFsm.finish = resolve));

  prepare(entry: Entry): Promise<void> | null {
    return dec(entry.data).startsWith("slow") ? PreparingFsm.prepared : null;
  }
}

describe("entries the FSM prepares first", () => {
  test("are applied in log order once prepared, and Raft runs on meanwhile: no election, same leader", async () => {
    const c = await HostCluster.bootstrapped(["a", "b", "c"], {}, () => new PreparingFsm());
    const leader = c.leader()!;
    const before = [...c.nodes.values()].map((n) => n.stats().term);
    const slow = leader.apply(enc("slow import"));
    const next = leader.apply(enc("next"));
    // Five election timeouts (half the applies' own timeout) with the preparation pending everywhere.
    await c.clock.advance(TIMING.electionTimeoutMs * 5);
    assert.deepEqual(
      [...c.nodes.values()].map((n) => n.stats().term),
      before,
      "no node started an election",
    );
    assert.equal(c.leader(), leader);
    for (const id of ["a", "b", "c"]) assert.deepEqual(c.fsm(id).items, [], `${id} applied nothing yet`);
    assert.equal(leader.stats().commitIndex, leader.stats().appliedIndex + 2, "both are committed");
    PreparingFsm.finish();
    const [r1, r2] = await c.run(Promise.all([slow, next]));
    assert.deepEqual([r1.result, r2.result], [1, 2]);
    await c.clock.advance(TIMING.heartbeatIntervalMs * 3);
    for (const id of ["a", "b", "c"]) assert.deepEqual(c.fsm(id).items, ["slow import", "next"]);
    await c.shutdownAll();
  });
});

describe("snapshots and restarts", () => {
  test("snapshots are taken past the threshold, the log is compacted, and a lagging node gets the snapshot", async () => {
    const c = await HostCluster.bootstrapped(["a", "b", "c"], { snapshotThreshold: 10, trailingLogs: 2 });
    const leader = c.leader()!;
    const lagging = ["a", "b", "c"].find((id) => id !== leader.id)!;
    c.net.isolated.add(`${lagging}:8089`);
    for (let i = 0; i < 30; i++) await c.run(leader.apply(enc(`k${i}`)));
    const disk = c.disks.get(leader.id)!;
    const snap = disk.snapshotStore.latest()!;
    assert.ok(snap.meta.index >= 20, `snapshot at ${snap.meta.index}`);
    assert.ok(disk.logStore.firstIndex() >= snap.meta.index - 2, "log truncated behind the snapshot");
    assert.equal(leader.stats().lastSnapshotIndex, snap.meta.index);

    c.net.isolated.clear();
    for (let i = 0; i < 10; i++) await c.clock.advance(TIMING.tickMs);
    assert.deepEqual(c.fsm(lagging).items, c.fsm(leader.id).items);
    assert.ok(c.disks.get(lagging)!.snapshotStore.latest(), "the lagging node installed a snapshot");
    await c.shutdownAll();
  });

  test("a restarted node recovers its id, term, snapshot and log", async () => {
    const c = await HostCluster.bootstrapped(["a", "b", "c"], { snapshotThreshold: 5, trailingLogs: 1 });
    const leader = c.leader()!;
    for (let i = 0; i < 8; i++) await c.run(leader.apply(enc(`r${i}`)));
    await c.clock.advance(TIMING.heartbeatIntervalMs * 3);
    const follower = ["a", "b", "c"].find((id) => id !== leader.id)!;
    const term = c.node(follower).stats().term;
    const restarted = await c.restart(follower);
    assert.equal(restarted.id, follower);
    assert.equal(restarted.stats().term, term);
    assert.ok(restarted.stats().lastSnapshotIndex > 0);
    for (let i = 0; i < 10; i++) await c.clock.advance(TIMING.tickMs);
    assert.deepEqual(c.fsm(follower).items, c.fsm(leader.id).items);
    await c.shutdownAll();
  });

  test("a whole single-node cluster restarts and re-applies its log", async () => {
    const c = await HostCluster.bootstrapped(["a"]);
    for (let i = 0; i < 3; i++) await c.run(c.node("a").apply(enc(`s${i}`)));
    await c.restart("a");
    await c.waitForLeader();
    assert.deepEqual(c.fsm("a").items, ["s0", "s1", "s2"]);
    await c.shutdownAll();
  });
});

describe("shutdown and failures", () => {
  test("shutdown fails pending operations and later calls with ShutdownError", async () => {
    const c = await HostCluster.bootstrapped(["a", "b", "c"]);
    const leader = c.leader()!;
    for (const n of c.nodes.values()) if (n !== leader) await n.shutdown();
    const pending = leader.apply(enc("never"));
    await settle();
    await leader.shutdown();
    await assert.rejects(pending, ShutdownError);
    await assert.rejects(leader.apply(enc("late")), ShutdownError);
    assert.equal(leader.state(), "shutdown");
  });

  test("a storage error stops the node (fail-stop) instead of continuing", async () => {
    const errors: string[] = [];
    const c = await HostCluster.bootstrapped(["a"], {
      logger: { info() {}, warn() {}, error: (_o, msg) => errors.push(msg) },
    });
    c.disks.get("a")!.logStore.failWith = new Error("EIO: disk on fire");
    const p = c.node("a").apply(enc("lost"));
    await assert.rejects(c.run(p), /EIO|stopped/);
    assert.equal(c.node("a").state(), "shutdown");
    assert.equal(errors.length, 1);
  });

  test("config entries reach the FSM too (with an empty payload when none is given)", async () => {
    const c = await HostCluster.bootstrapped(["a"]);
    const seen: EntryType[] = [];
    const fsm = c.fsm("a");
    const orig = fsm.apply.bind(fsm);
    fsm.apply = (e) => {
      seen.push(e.type);
      return orig(e);
    };
    await c.start("b");
    await c.run(c.node("a").addVoter("b", "b:8089"));
    assert.deepEqual(seen, [EntryType.Config]);
    await c.shutdownAll();
  });
});
