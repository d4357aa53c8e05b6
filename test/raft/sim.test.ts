/**
 * Deterministic simulation of the Raft engine: real RaftNode hosts, real file stores on
 * simulated disks, simulated network and clocks, all driven by one seed.
 *
 *   SIM_SEEDS=60 node --import tsx --test test/raft/sim.test.ts    # fewer random seeds (default 500, as npm test and CI run)
 *   SIM_FIRST_SEED=1000 ...                                         # start the range elsewhere
 *   SEED=1234 node --import tsx --test test/raft/sim.test.ts        # replay one seed only
 *   node scripts/soak.mjs --seeds 100000                             # long soak, all cores
 *
 * Debugging a replay: SIM_TRACE_SENDS=1 adds every sent message to the trace;
 * SIM_TRACE_TAIL / SIM_TRACE_LINES raise how much of the trace is kept / printed.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SimClock } from "./sim/clock.ts";
import { KvStateMachine, encodeCommand } from "./sim/kv-fsm.ts";
import { SimNetwork } from "./sim/network.ts";
import { Rng } from "./sim/rng.ts";
import { runSimulation, SimFailure, type SimOptions } from "./sim/run.ts";
import { Scheduler } from "./sim/scheduler.ts";
import type { SwarmConfig } from "./sim/swarm.ts";
import { EntryType, MessageType, type Message } from "../../src/raft/types.ts";

const replaySeed = process.env.SEED === undefined ? null : Number(process.env.SEED);
const seedCount = Number(process.env.SIM_SEEDS ?? 500);
const firstSeed = Number(process.env.SIM_FIRST_SEED ?? 1);

/** Every fault off: scenarios switch on what they are about. */
const QUIET: Omit<SwarmConfig, "nodes"> = {
  drop: false,
  duplicate: false,
  reorder: false,
  longDelay: false,
  partitions: false,
  crashes: false,
  pauses: false,
  membership: false,
  slowDisk: false,
  diskFaults: false,
  clockDrift: false,
  smallSnapshots: false,
};

if (replaySeed !== null) {
  it(`replays seed ${replaySeed}`, async () => {
    const report = await runSimulation({ seed: replaySeed });
    console.log(JSON.stringify(report));
  });
} else {
  describe("simulator building blocks", () => {
    it("runs events in (time, sequence) order and settles their promise chains", async () => {
      const s = new Scheduler();
      const seen: string[] = [];
      s.schedule(5, "b", () => seen.push("b"));
      s.schedule(1, "a", () => {
        seen.push("a");
        // A promise chain started by an event completes before the next event runs.
        void Promise.resolve()
          .then(() => Promise.resolve())
          .then(() => seen.push("a-chain"));
      });
      s.schedule(5, "c", () => seen.push("c"));
      s.schedule(9, "late", () => seen.push("late")).cancel();
      await s.runUntil(100);
      assert.deepEqual(seen, ["a", "a-chain", "b", "c"]);
      assert.equal(s.now, 100);
    });

    it("derives the same random streams from the same seed", () => {
      const a = new Rng(42);
      const b = new Rng(42);
      const xs = Array.from({ length: 20 }, () => a.int(0, 1000));
      assert.deepEqual(
        xs,
        Array.from({ length: 20 }, () => b.int(0, 1000)),
      );
      assert.notDeepEqual(
        xs,
        Array.from({ length: 20 }, () => new Rng(43).int(0, 1000)),
      );
      assert.ok(xs.every((x) => x >= 0 && x <= 1000));
    });

    it("virtual clocks drift, skip ticks while paused and stop on crash", async () => {
      const s = new Scheduler();
      let paused = false;
      const clock = new SimClock(s, "n1", 2, 1000, () => paused);
      let ticks = 0;
      clock.setInterval(() => ticks++, 10);
      await s.runUntil(50); // rate 2: a 10 ms local interval is 5 ms of simulation time
      assert.equal(ticks, 10);
      assert.equal(clock.now(), 1100);
      paused = true;
      await s.runUntil(100);
      assert.equal(ticks, 10);
      paused = false;
      await s.runUntil(110);
      assert.equal(ticks, 12);
      clock.stop();
      await s.runUntil(200);
      assert.equal(ticks, 12);
    });

    const heartbeat = (from: string, to: string): Message => ({
      type: MessageType.Heartbeat,
      from,
      to,
      term: 3,
      commit: 7,
      readCtx: 0,
    });

    it("network delivers decoded copies, honours cut links both ways, and drops in-flight messages on a cut", async () => {
      const s = new Scheduler();
      const net = new SimNetwork(s, new Rng(1));
      const a = net.attach("a:1");
      const b = net.attach("b:1");
      const got: { m: Message; from: string }[] = [];
      b.onMessage((m, from) => got.push({ m, from }));
      a.onMessage(() => {});
      const sent = heartbeat("A", "B");
      a.send({ id: "B", address: "b:1" }, [sent]);
      await s.runUntil(10);
      assert.equal(got.length, 1);
      assert.deepEqual(got[0].m, sent);
      assert.notEqual(got[0].m, sent);
      assert.equal(got[0].from, "a:1");

      net.oneWay("a:1", ["b:1"]);
      a.send({ id: "B", address: "b:1" }, [sent]);
      await s.runUntil(20);
      assert.equal(got.length, 1, "a -> b is cut");
      assert.equal(net.isCut("b:1", "a:1"), false, "one-way: b -> a still works");

      net.heal();
      a.send({ id: "B", address: "b:1" }, [sent]);
      net.split([["a:1"], ["b:1"]]); // cut while the message is in flight
      await s.runUntil(30);
      assert.equal(got.length, 1);
      net.heal();
      a.send({ id: "B", address: "b:1" }, [sent]);
      await s.runUntil(40);
      assert.equal(got.length, 2);
    });

    it("network buffers deliveries to a paused process and duplicates when told to", async () => {
      const s = new Scheduler();
      const net = new SimNetwork(s, new Rng(2));
      const a = net.attach("a:1");
      const b = net.attach("b:1");
      let got = 0;
      b.onMessage(() => got++);
      net.pause("b:1");
      a.send({ id: "B", address: "b:1" }, [heartbeat("A", "B")]);
      await s.runUntil(50);
      assert.equal(got, 0);
      net.resume("b:1");
      assert.equal(got, 1);
      net.faults = { ...net.faults, duplicateRate: 1 };
      a.send({ id: "B", address: "b:1" }, [heartbeat("A", "B")]);
      await s.runUntil(100);
      assert.equal(got, 3);
    });

    it("KV state machine applies put/get/cas deterministically and round-trips snapshots", () => {
      const fsm = new KvStateMachine();
      const entry = (index: number, c: Parameters<typeof encodeCommand>[0]) => ({
        index,
        term: 1,
        type: EntryType.Command,
        data: encodeCommand(c),
      });
      assert.deepEqual(fsm.apply(entry(1, { op: "put", key: "x", value: "a" })), { ok: true });
      assert.deepEqual(fsm.apply(entry(2, { op: "cas", key: "x", expected: "b", value: "c" })), {
        ok: false,
      });
      assert.deepEqual(fsm.apply(entry(3, { op: "cas", key: "x", expected: "a", value: "c" })), { ok: true });
      assert.deepEqual(fsm.apply(entry(4, { op: "get", key: "x" })), { value: "c" });
      assert.throws(() => fsm.apply(entry(4, { op: "get", key: "x" })), /out of order/);
      const copy = new KvStateMachine();
      copy.restore(fsm.snapshot());
      assert.equal(copy.stateHash(), fsm.stateHash());
      assert.equal(copy.lastIndex, 4);
      assert.equal(copy.read("x"), "c");
    });
  });

  describe("simulation harness", () => {
    it("is a pure function of the seed (same seed, same event trace)", async () => {
      for (const seed of [3, 13]) {
        const a = await runSimulation({ seed });
        const b = await runSimulation({ seed });
        assert.equal(a.traceHash, b.traceHash, `seed ${seed} replays differently`);
        assert.deepEqual(a, b);
      }
      const other = await runSimulation({ seed: 4 });
      assert.notEqual(other.traceHash, (await runSimulation({ seed: 3 })).traceHash);
    });

    it("catches stale reads when clients skip ReadIndex (the checker has teeth)", async () => {
      let caught: SimFailure | null = null;
      for (let seed = 1; seed <= 20 && !caught; seed++) {
        try {
          await runSimulation({
            seed,
            staleReads: true,
            swarm: { ...QUIET, nodes: 3, partitions: true, pauses: true },
          });
        } catch (err) {
          if (!(err instanceof SimFailure)) throw err;
          caught = err;
        }
      }
      assert.ok(caught, "no seed exposed the stale reads");
      assert.match(caught.message, /not linearizable/);
      assert.match(caught.message, /replay: SEED=\d+ node --import tsx --test test\/raft\/sim\.test\.ts/);
    });

    it("records a history the checker accepts on a calm run, with acknowledged writes", async () => {
      const report = await runSimulation({ seed: 7, swarm: { ...QUIET, nodes: 3 } });
      assert.ok(report.operations.ok > 20, `only ${report.operations.ok} operations succeeded`);
      assert.equal(report.operations.indeterminate, 0);
      assert.ok(report.finalAppliedIndex > 10);
    });
  });

  describe("named scenarios", () => {
    const scenario = (name: string, options: Omit<SimOptions, "seed">, seeds: number[]) =>
      it(name, async () => {
        for (const seed of seeds) await runSimulation({ seed, ...options });
      });

    scenario(
      "partitions of every shape, 5 nodes",
      { swarm: { ...QUIET, nodes: 5, partitions: true } },
      [11, 12, 13],
    );
    scenario(
      "crashes with power loss on slow disks, small snapshots",
      { swarm: { ...QUIET, nodes: 3, crashes: true, slowDisk: true, smallSnapshots: true } },
      [21, 22, 23],
    );
    scenario(
      "disk errors and crash points inside writes",
      { swarm: { ...QUIET, nodes: 3, diskFaults: true, smallSnapshots: true } },
      [31, 32, 33],
    );
    scenario(
      "membership churn under a lossy network",
      { swarm: { ...QUIET, nodes: 5, membership: true, drop: true, reorder: true } },
      [41, 42, 43],
    );
    scenario(
      "everything at once",
      {
        swarm: {
          nodes: 5,
          drop: true,
          duplicate: true,
          reorder: true,
          longDelay: true,
          partitions: true,
          crashes: true,
          pauses: true,
          membership: true,
          slowDisk: true,
          diskFaults: true,
          clockDrift: true,
          smallSnapshots: true,
        },
        faultMs: 3000,
      },
      [51, 52],
    );

    it("the leader removes itself under load; the rest elect a new leader", async () => {
      let removed = "";
      await runSimulation({
        seed: 61,
        swarm: { ...QUIET, nodes: 5 },
        faultMs: 1500,
        script: ({ cluster, at, atEnd, trace }) => {
          at(300, "leader removes itself", async () => {
            const leader = cluster.leader();
            assert.ok(leader?.host, "a leader exists");
            removed = leader.id;
            trace(`removing leader ${removed}`);
            await leader.host.removeServer(leader.id);
          });
          atEnd(() => {
            const leader = cluster.leader();
            assert.ok(leader?.host);
            assert.notEqual(leader.id, removed);
            const config = leader.host.configuration().committed.config;
            assert.equal(config.servers.length, 4);
            assert.ok(!config.servers.some((s) => s.id === removed));
          });
        },
      });
      assert.notEqual(removed, "");
    });

    it("a node removed while cut off comes back with its old state and disturbs no one", async () => {
      await runSimulation({
        seed: 62,
        swarm: { ...QUIET, nodes: 5 },
        faultMs: 4000,
        script: ({ cluster, at, trace }) => {
          let victimId = "";
          let termAfterHeal = 0;
          at(300, "cut off a follower and remove it", async () => {
            const leader = cluster.leader()!;
            const victim = cluster.nodes.find((n) => n !== leader && n.up)!;
            victimId = victim.id;
            cluster.network.isolate(
              victim.address,
              cluster.nodes.map((n) => n.address),
            );
            trace(`removing ${victim.id} while it is cut off`);
            await leader.host!.removeServer(victim.id);
          });
          at(1500, "heal", () => {
            cluster.network.heal();
            termAfterHeal = cluster.leader()!.host!.coreStatus().term;
          });
          at(3900, "the leader was never disturbed", () => {
            const leader = cluster.leader()!;
            assert.notEqual(leader.id, victimId);
            assert.equal(
              leader.host!.coreStatus().term,
              termAfterHeal,
              "the returning node forced an election",
            );
          });
        },
      });
    });

    it("a removed node is wiped and rejoins under a fresh id, promoted to voter", async () => {
      await runSimulation({
        seed: 63,
        swarm: { ...QUIET, nodes: 3 },
        faultMs: 2500,
        script: ({ cluster, at, atEnd }) => {
          const n3 = cluster.node("n3");
          at(200, "remove n3", async () => {
            const leader = cluster.leader()!;
            if (leader === n3) await leader.host!.leadershipTransfer();
            await cluster.leader()!.host!.removeServer("n3");
          });
          at(800, "wipe n3 and add it back", async () => {
            cluster.wipe(n3);
            await cluster.start(n3);
            n3.hasClusterState = true;
            await cluster.leader()!.host!.addNonvoter(n3.id, n3.address);
          });
          atEnd(() => {
            const config = cluster.leader()!.host!.configuration().committed.config;
            assert.equal(n3.id, "n3.2");
            assert.ok(!config.servers.some((s) => s.id === "n3"));
            assert.equal(config.servers.find((s) => s.id === "n3.2")?.suffrage, "voter");
          });
        },
      });
    });

    it("a follower restarted with an older copy of its disk catches up while the same leader stays", async () => {
      await runSimulation({
        seed: 66,
        swarm: { ...QUIET, nodes: 3 },
        faultMs: 3500,
        script: ({ cluster, at, atEnd }) => {
          let leaderId = "";
          let target = 0;
          const follower = () => cluster.nodes.find((n) => n.up && n !== cluster.leader())!;
          at(200, "copy a follower's disk", () => cluster.backUp(follower()));
          at(1000, "restart it from that copy", async () => {
            const leader = cluster.leader()!;
            leaderId = leader.id;
            const victim = cluster.nodes.find((n) => n.backup)!;
            target = leader.host!.coreStatus().commitIndex;
            assert.ok(target > 20, `only ${target} entries committed`);
            const restarted = cluster.restartWithOlderDisk(victim, 2000);
            assert.ok(restarted, "the fault was not applicable");
            const lastAtStart = await restarted;
            assert.ok(lastAtStart < target - 10, `restarted with ${lastAtStart} of ${target} entries`);
          });
          at(1000 + 2000, "it caught up within 2 s, under the same leader", () => {
            assert.equal(cluster.catchUps.length, 0);
            assert.equal(cluster.leader()!.id, leaderId);
            const victim = cluster.nodes.find((n) => n.backup)!;
            assert.ok(victim.host!.stats().lastLogIndex >= target);
          });
          atEnd(() => assert.notEqual(leaderId, ""));
        },
      });
    });

    it("leadership transfers under load hand over to another node", async () => {
      await runSimulation({
        seed: 64,
        swarm: { ...QUIET, nodes: 3, reorder: true },
        script: ({ cluster, at }) => {
          for (const t of [300, 900]) {
            at(t, "transfer leadership", async () => {
              const before = cluster.leader()!;
              await before.host!.leadershipTransfer();
              const after = cluster.leader();
              assert.ok(after && after !== before, "leadership did not move");
            });
          }
        },
      });
    });

    it("a leader paused longer than the election timeout is replaced and serves no stale reads", async () => {
      await runSimulation({
        seed: 65,
        swarm: { ...QUIET, nodes: 3 },
        script: ({ cluster, at }) => {
          let termBefore = 0;
          at(300, "pause the leader", () => {
            const leader = cluster.leader()!;
            termBefore = leader.host!.coreStatus().term;
            cluster.pause(leader);
            at(300 + 4 * cluster.timing.electionTimeoutMs, "resume it", () => {
              const others = cluster.nodes.filter((n) => n !== leader);
              assert.ok(
                others.some(
                  (n) => n.host!.coreStatus().state === "leader" && n.host!.coreStatus().term > termBefore,
                ),
                "no new leader while the old one was paused",
              );
              cluster.resume(leader);
            });
          });
        },
      });
    });
  });

  describe(`random seeds ${firstSeed}..${firstSeed + seedCount - 1} (swarm testing)`, () => {
    it("every seed keeps every invariant and a linearizable history", async () => {
      const failures: string[] = [];
      for (let seed = firstSeed; seed < firstSeed + seedCount; seed++) {
        try {
          await runSimulation({ seed });
        } catch (err) {
          failures.push(err instanceof Error ? err.message : String(err));
        }
      }
      assert.deepEqual(
        failures,
        [],
        `${failures.length} of ${seedCount} seeds failed:\n\n${failures.join("\n\n")}`,
      );
    });
  });
}
