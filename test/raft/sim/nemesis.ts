/**
 * The nemesis: during the fault phase it injects, at random moments, the faults the seed's
 * swarm configuration switched on — partitions of every shape, crashes with disk damage,
 * restarts from an older copy of a node's disk,
 * process pauses longer than the election timeout, and membership changes under load.
 */
import type { SimCluster, SimNode } from "./cluster.ts";
import type { Rng } from "./rng.ts";
import type { SwarmConfig } from "./swarm.ts";

type Action = "partition" | "crash" | "pause" | "membership" | "disk";

export class Nemesis {
  private until = 0;
  /** Bumped at every new partition, so a scheduled heal only heals its own partition. */
  private partitionEpoch = 0;
  /** Nodes with an add in progress: not picked again until it settles. */
  private readonly joining = new Set<SimNode>();
  actions = 0;

  constructor(
    private readonly cluster: SimCluster,
    private readonly rng: Rng,
    private readonly swarm: SwarmConfig,
  ) {}

  private get electionMs(): number {
    return this.cluster.timing.electionTimeoutMs;
  }

  private enabled(): Action[] {
    const a: Action[] = [];
    if (this.swarm.partitions) a.push("partition");
    if (this.swarm.crashes) a.push("crash");
    if (this.swarm.pauses) a.push("pause");
    if (this.swarm.membership) a.push("membership");
    if (this.swarm.diskFaults) a.push("disk");
    return a;
  }

  start(until: number): void {
    this.until = until;
    if (this.enabled().length > 0) this.scheduleNext();
  }

  private scheduleNext(): void {
    const delay = this.rng.int(20, 2 * this.electionMs);
    if (this.cluster.scheduler.now + delay >= this.until) return;
    this.cluster.scheduler.schedule(delay, "nemesis", () => {
      this.act(this.rng.pick(this.enabled()));
      this.scheduleNext();
    });
  }

  private act(action: Action): void {
    // Quiet while a node restarted from an older disk catches up: the check that it does
    // (SimCluster.checkInvariants) assumes a working cluster around it.
    if (this.cluster.catchUps.length > 0) return;
    this.actions++;
    switch (action) {
      case "partition":
        return this.partition();
      case "crash":
        return this.crash();
      case "pause":
        return this.pause();
      case "membership":
        return this.membership();
      case "disk": {
        const up = this.cluster.nodes.filter((n) => n.up);
        if (up.length > 0) this.cluster.injectDiskFault(this.rng.pick(up));
        return;
      }
    }
  }

  private trace(line: string): void {
    this.cluster.scheduler.trace(`nemesis: ${line}`);
  }

  private later(delay: number, label: string, fn: () => void): void {
    this.cluster.scheduler.schedule(delay, label, fn);
  }

  // --- partitions ---------------------------------------------------------------------------

  private partition(): void {
    const net = this.cluster.network;
    net.heal();
    const epoch = ++this.partitionEpoch;
    const all = this.cluster.nodes.map((n) => n.address);
    const leader = this.cluster.leader();
    const shuffled = this.rng.shuffle([...all]);
    const shape = this.rng.pick(["split", "isolate-leader", "one-way", "bridge", "random-links"] as const);
    switch (shape) {
      case "split": {
        const k = this.rng.int(1, Math.max(1, Math.floor(all.length / 2)));
        net.split([shuffled.slice(0, k), shuffled.slice(k)]);
        break;
      }
      case "isolate-leader":
        net.isolate(leader?.address ?? shuffled[0], all);
        break;
      case "one-way": {
        const victim = leader?.address ?? shuffled[0];
        // Either the leader's messages are lost (it still hears everyone), or the reverse.
        if (this.rng.chance(0.5)) net.oneWay(victim, all);
        else for (const a of all) if (a !== victim) net.cutLink(a, victim);
        break;
      }
      case "bridge": {
        const [bridgeNode, ...rest] = shuffled;
        const half = Math.ceil(rest.length / 2);
        net.bridge(rest.slice(0, half), rest.slice(half));
        this.trace(`bridge node ${bridgeNode}`);
        break;
      }
      case "random-links":
        for (const a of all) for (const b of all) if (a !== b && this.rng.chance(0.3)) net.cutLink(a, b);
        break;
    }
    this.trace(`partition ${shape}: ${net.describeCuts()}`);
    this.later(this.rng.int(50, 8 * this.electionMs), "nemesis heal", () => {
      if (epoch !== this.partitionEpoch) return;
      net.heal();
      this.trace("healed");
    });
  }

  // --- crashes and pauses -------------------------------------------------------------------

  private crash(): void {
    const candidates = this.cluster.nodes.filter((n) => n.up);
    if (candidates.length === 0) return;
    // Sometimes a follower comes back with an older copy of its disk (a restored backup).
    const withCopy = candidates.filter((n) => n.backup);
    if (withCopy.length > 0 && this.rng.chance(0.25)) {
      const victim = this.rng.pick(withCopy);
      if (this.cluster.restartWithOlderDisk(victim, 20 * this.electionMs) !== null) {
        this.partitionEpoch++;
        this.cluster.network.heal();
        this.trace(`${victim.name} restarts with an older copy of its disk; network healed`);
        return;
      }
    }
    if (this.rng.chance(0.3)) void this.cluster.backUp(this.rng.pick(candidates));
    // Leaders are the most interesting victims.
    const leader = this.cluster.leader();
    const victim = leader && this.rng.chance(0.4) ? leader : this.rng.pick(candidates);
    this.cluster.crash(victim);
    const generation = victim.generation;
    this.later(this.rng.int(10, 5 * this.electionMs), `${victim.name} restart`, () => {
      if (victim.up || victim.starting || victim.generation !== generation) return;
      void this.cluster.start(victim);
    });
  }

  private pause(): void {
    const candidates = this.cluster.nodes.filter((n) => n.up && !n.paused);
    if (candidates.length === 0) return;
    const leader = this.cluster.leader();
    const victim = leader && !leader.paused && this.rng.chance(0.5) ? leader : this.rng.pick(candidates);
    this.cluster.pause(victim);
    const life = victim.life;
    this.later(this.rng.int(this.electionMs, 3 * this.electionMs), `${victim.name} resume`, () => {
      if (victim.life === life && victim.paused) this.cluster.resume(victim);
    });
  }

  // --- membership ---------------------------------------------------------------------------

  private membership(): void {
    const leader = this.cluster.leader();
    if (!leader?.host) return;
    const { latest, committed } = leader.host.configuration();
    const config = latest.config;
    const inConfig = (n: SimNode) => config.servers.some((s) => s.id === n.id);
    // Only a node whose removal is committed (or that never joined) may be re-added or wiped:
    // wiping one whose removal could still be rolled back would leave a ghost member.
    const listed = (n: SimNode) =>
      [...config.servers, ...committed.config.servers].some((s) => s.id === n.id || s.address === n.address);
    const voters = config.servers.filter((s) => s.suffrage === "voter");
    const outside = this.cluster.nodes.filter((n) => !listed(n) && !this.joining.has(n));
    const followers = this.cluster.nodes.filter((n) => n !== leader && inConfig(n));
    const options: (() => void)[] = [() => this.transfer(leader)];
    if (outside.length > 0) options.push(() => this.add(leader, this.rng.pick(outside)));
    if (voters.length > 3) {
      if (followers.length > 0) options.push(() => this.remove(leader, this.rng.pick(followers), false));
      if (followers.length > 0) options.push(() => this.remove(leader, this.rng.pick(followers), true));
      options.push(() => this.remove(leader, leader, false));
    }
    this.rng.pick(options)();
  }

  private transfer(leader: SimNode): void {
    this.trace(`${leader.name} transfers leadership`);
    leader.host!.leadershipTransfer().then(
      () => this.trace("transfer done"),
      (err: Error) => this.trace(`transfer failed: ${err.message}`),
    );
  }

  /**
   * Add a node outside the configuration as a nonvoter (the leader promotes it once it caught
   * up). A node that was a member before is wiped first and comes back under a fresh id — or,
   * sometimes, it is left alone: a removed node keeps its OLD state and must not disturb anyone.
   */
  private add(leader: SimNode, node: SimNode): void {
    if (node.starting) return;
    if (node.hasClusterState) {
      if (this.rng.chance(0.3)) {
        this.trace(`leaving removed node ${node.name} running with its old state`);
        if (!node.up) void this.cluster.start(node);
        return;
      }
      this.cluster.wipe(node);
    }
    this.joining.add(node);
    const started = node.up ? Promise.resolve() : this.cluster.start(node);
    started
      .then(async () => {
        if (!node.host || !leader.host) return;
        this.trace(`${leader.name} adds nonvoter ${node.name} (${node.id})`);
        node.hasClusterState = true;
        await leader.host.addNonvoter(node.id, node.address).then(
          () => this.trace(`added ${node.id}`),
          (err: Error) => this.trace(`add ${node.id} failed: ${err.message}`),
        );
      })
      .finally(() => this.joining.delete(node));
  }

  private remove(leader: SimNode, node: SimNode, cutOffFirst: boolean): void {
    if (cutOffFirst) {
      // Remove a node that cannot hear about its removal: it comes back later believing it is
      // still a voter.
      this.cluster.network.isolate(
        node.address,
        this.cluster.nodes.map((n) => n.address),
      );
      const epoch = ++this.partitionEpoch;
      this.later(this.rng.int(2 * this.electionMs, 8 * this.electionMs), "nemesis heal", () => {
        if (epoch !== this.partitionEpoch) return;
        this.cluster.network.heal();
        this.trace("healed");
      });
    }
    this.trace(
      `${leader.name} removes ${node.name} (${node.id})${cutOffFirst ? " after cutting it off" : ""}`,
    );
    leader.host!.removeServer(node.id).then(
      () => this.trace(`removed ${node.id}`),
      (err: Error) => this.trace(`remove ${node.id} failed: ${err.message}`),
    );
  }
}
