/**
 * The fault schedule (drawn from the seed) and its execution against a LocalCluster: network
 * partitions of every shape and slow links (through NetFaults, in a private namespace), kill -9
 * and restart, SIGSTOP/SIGCONT for longer than the election timeout, and membership changes
 * (remove-meta of a follower, then add-meta of it again) that overlap the next fault.
 *
 * The schedule fixes each step's kind, duration and random draws; whom "the leader" means is
 * resolved when the step runs, and the log records what was actually done.
 */

import type { LocalCluster } from "../../src/demo/local-cluster.ts";
import { request } from "../../src/util/http-client.ts";
import type { Rng } from "../raft/sim/rng.ts";
import type { StatusJson } from "../../src/meta/service.ts";
import type { NetFaults } from "./netfaults.ts";

export const NETWORK_FAULTS = [
  "isolate-leader",
  "minority",
  "split",
  "bridge",
  "one-way",
  "leader-mute",
  "slow",
] as const;
export const PROCESS_FAULTS = [
  "kill",
  "kill-leader",
  "kill-all",
  "pause",
  "pause-leader",
  "membership",
] as const;
export type FaultKind = (typeof NETWORK_FAULTS)[number] | (typeof PROCESS_FAULTS)[number];

/** The bounded run: each of these once, in a seeded order. */
export const QUICK_NETWORK: readonly FaultKind[] = [
  "isolate-leader", "leader-mute", "one-way", "minority", "slow", "pause-leader", "kill-leader", "membership",
]; // prettier-ignore
export const QUICK_PROCESS: readonly FaultKind[] = [
  "kill-leader",
  "pause-leader",
  "membership",
  "kill-all",
  "pause",
  "kill",
];

export interface Step {
  kind: FaultKind;
  /** How long the fault lasts before it is undone. */
  durationMs: number;
  /** Quiet time after it. */
  gapMs: number;
  /** Random draws for the step's choices, fixed by the seed. */
  draws: number[];
  /** A random order of the nodes, for the step to take groups from. */
  order: number[];
}

/** The steps for a sequence of fault kinds, with their durations and random choices. */
export function makeSchedule(rng: Rng, kinds: readonly FaultKind[], size: number): Step[] {
  return kinds.map((kind) => {
    const long = kind.startsWith("pause") ? [1500, 4000] : kind === "slow" ? [3000, 8000] : [1000, 6000];
    return {
      kind,
      durationMs: rng.int(long[0], long[1]),
      gapMs: rng.int(300, 2000),
      draws: Array.from({ length: 3 }, () => rng.next()),
      order: rng.shuffle([...Array(size).keys()]),
    };
  });
}

export interface LogLine {
  at: number;
  what: string;
}

/** Live node statuses (running, not paused), by index. */
export async function statuses(
  cluster: LocalCluster,
  skip: ReadonlySet<number>,
): Promise<Map<number, StatusJson>> {
  const out = new Map<number, StatusJson>();
  await Promise.all(
    cluster.nodes.map(async (n, i) => {
      if (!cluster.isRunning(i) || skip.has(i)) return;
      const res = await request(`http://${n.httpAddr}/status`, { timeoutMs: 1000 }).catch(() => null);
      if (res?.status === 200) out.set(i, JSON.parse(res.body.toString("utf8")) as StatusJson);
    }),
  );
  return out;
}

function pick<T>(items: readonly T[], draw: number): T {
  return items[Math.min(items.length - 1, Math.floor(draw * items.length))];
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class Nemesis {
  readonly log: LogLine[] = [];
  /** Nodes stopped with SIGSTOP right now. */
  readonly paused = new Set<number>();
  private membership: Promise<void> = Promise.resolve();

  constructor(
    private readonly cluster: LocalCluster,
    private readonly net: NetFaults | null,
    private readonly now: () => number,
    private readonly echo: (line: string) => void = () => undefined,
  ) {}

  /** Records (and echoes) what was done to the cluster. */
  note(what: string): void {
    const at = this.now();
    this.log.push({ at, what });
    this.echo(`${(at / 1000).toFixed(1)}s ${what}`);
  }

  private get size(): number {
    return this.cluster.nodes.length;
  }

  /** The node the live nodes call leader (highest term wins), or a node chosen by `draw`. */
  private async leaderOr(draw: number): Promise<number> {
    const live = await statuses(this.cluster, this.paused);
    let best: { i: number; term: number } | null = null;
    for (const [i, s] of live)
      if (s.raft.state === "leader" && (!best || s.raft.term > best.term)) best = { i, term: s.raft.term };
    return best ? best.i : pick([...Array(this.size).keys()], draw);
  }

  async run(schedule: readonly Step[]): Promise<void> {
    for (const step of schedule) {
      await this.runStep(step);
      await sleep(step.gapMs);
    }
    await this.membership;
  }

  private async runStep(step: Step): Promise<void> {
    const [d0, d1, d2] = step.draws;
    const all = [...Array(this.size).keys()];
    const net = (): NetFaults => {
      if (!this.net) throw new Error(`fault ${step.kind} needs the network fault layer`);
      return this.net;
    };
    const shuffled = step.order;
    switch (step.kind) {
      case "isolate-leader": {
        const leader = await this.leaderOr(d0);
        await this.withNet(step, () => net().partition([[leader], all.filter((i) => i !== leader)]));
        return;
      }
      case "minority":
      case "split": {
        const maxSmall = step.kind === "minority" ? Math.floor((this.size - 1) / 2) : this.size - 1;
        const small = 1 + Math.floor(d0 * maxSmall);
        await this.withNet(step, () => net().partition([shuffled.slice(0, small), shuffled.slice(small)]));
        return;
      }
      case "bridge": {
        // One node sees both halves; the halves cannot see each other.
        const [bridge, ...rest] = shuffled;
        const half = Math.ceil(rest.length / 2);
        await this.withNet(
          step,
          () => net().partition([rest.slice(0, half), rest.slice(half)]),
          `bridge ${bridge + 1}`,
        );
        return;
      }
      case "one-way": {
        const from = pick(all, d0);
        const to = pick(
          all.filter((i) => i !== from),
          d2,
        );
        await this.withNet(step, () => net().cut(from, to));
        return;
      }
      case "leader-mute": {
        // The leader still hears everyone but nobody hears it.
        const leader = await this.leaderOr(d0);
        await this.withNet(step, () => {
          for (const to of all) if (to !== leader) net().cut(leader, to);
        });
        return;
      }
      case "slow": {
        const links = 1 + Math.floor(d0 * all.length);
        await this.withNet(step, () => {
          for (let k = 0; k < links; k++) {
            const from = shuffled[k % all.length];
            const to = shuffled[(k + 1) % all.length];
            net().slow(from, to, {
              rateKbit: 8 + Math.floor(d2 * 56),
              lossPercent: Math.floor(d1 * 20),
              delayMs: 50 + Math.floor(d2 * 250),
              jitterMs: 50,
            });
            net().slow(to, from, {
              rateKbit: 64,
              lossPercent: Math.floor(d1 * 10),
              delayMs: 50,
              jitterMs: 20,
            });
          }
        });
        return;
      }
      case "kill":
      case "kill-leader":
      case "kill-all": {
        const targets =
          step.kind === "kill-all"
            ? all
            : [step.kind === "kill-leader" ? await this.leaderOr(d0) : pick(all, d0)];
        for (const i of targets) {
          this.paused.delete(i);
          await this.cluster.kill(i, "SIGKILL");
        }
        this.note(`kill -9 ${targets.map((i) => i + 1).join(",")}`);
        await sleep(step.durationMs);
        await Promise.all(targets.filter((i) => !this.cluster.isRunning(i)).map((i) => this.restartNode(i)));
        this.note(`restarted ${targets.map((i) => i + 1).join(",")}`);
        return;
      }
      case "pause":
      case "pause-leader": {
        const target = step.kind === "pause-leader" ? await this.leaderOr(d0) : pick(all, d0);
        if (!this.cluster.isRunning(target) || this.paused.has(target))
          return this.note(`skip pause of ${target + 1}`);
        await this.cluster.kill(target, "SIGSTOP");
        this.paused.add(target);
        this.note(`SIGSTOP ${target + 1}`);
        await sleep(step.durationMs);
        await this.resume(target);
        return;
      }
      case "membership": {
        // Runs alongside the next steps; one membership change at a time.
        this.membership = this.membership.then(() => this.removeAndReadd(d0, d1, d2));
        return;
      }
    }
  }

  private async withNet(step: Step, apply: () => void, extra = ""): Promise<void> {
    apply();
    this.note(`net: ${this.net!.describe().join("; ")}${extra ? ` (${extra})` : ""}`);
    await sleep(step.durationMs);
    this.net!.heal();
    this.note("net: healed");
  }

  private async resume(i: number): Promise<void> {
    if (!this.paused.delete(i)) return;
    await this.cluster.kill(i, "SIGCONT");
    this.note(`SIGCONT ${i + 1}`);
  }

  private async restartNode(i: number): Promise<void> {
    try {
      await this.cluster.restart(i);
    } catch (err) {
      this.note(`restart of ${i + 1} failed: ${(err as Error).message}`);
      throw err;
    }
  }

  /** remove-meta of a follower through another node's admin service, then add-meta of it. */
  private async removeAndReadd(d0: number, d1: number, pauseDraw: number): Promise<void> {
    const live = await statuses(this.cluster, this.paused);
    const leader = [...live].find(([, s]) => s.raft.state === "leader");
    if (!leader) return this.note("membership: skipped (no leader seen)");
    const voters = new Set(leader[1].raft.voters);
    const followers = [...live.keys()].filter(
      (i) => i !== leader[0] && voters.has(this.cluster.nodes[i].raftAddr),
    );
    if (followers.length === 0) return this.note("membership: skipped (no live follower)");
    const target = pick(followers, d0);
    const via = pick(
      [...live.keys()].filter((i) => i !== target),
      d1,
    );
    const addr = this.cluster.nodes[target].httpAddr;
    try {
      const result = await this.cluster.admin(via, 30_000).removeMeta(addr, { force: false });
      this.note(
        `membership: remove-meta ${target + 1} via ${via + 1}: cleanup ${result.cleanup} ${result.warnings.join("; ")}`,
      );
    } catch (err) {
      return this.note(
        `membership: remove-meta ${target + 1} via ${via + 1} refused: ${(err as Error).message}`,
      );
    }
    await sleep(300 + Math.floor(pauseDraw * 1500));
    // Under faults add-meta may fail for a while (no leader, the admin node killed): keep trying
    // through any node that is a member; whatever is left undone the healing phase finishes.
    for (let attempt = 1; attempt <= 8; attempt++) {
      const through = await this.memberOtherThan(target, via);
      try {
        await this.cluster.admin(through, 30_000).addMeta(addr);
        return this.note(`membership: add-meta ${target + 1} via ${through + 1} done`);
      } catch (err) {
        this.note(`membership: add-meta ${target + 1} via ${through + 1} failed: ${(err as Error).message}`);
        await sleep(1000);
      }
    }
  }

  /** `preferred` if it is a live member, else another live member (or `preferred`). */
  private async memberOtherThan(except: number, preferred: number): Promise<number> {
    const live = await statuses(this.cluster, this.paused);
    const member = (i: number) => i !== except && live.has(i) && live.get(i)!.raft.state !== "unbootstrapped";
    return member(preferred) ? preferred : ([...live.keys()].find(member) ?? preferred);
  }

  /** Undoes every fault still in force: network, paused and dead processes. */
  async healAll(): Promise<void> {
    this.net?.heal();
    for (const i of [...this.paused]) await this.resume(i);
    const dead = [...Array(this.size).keys()].filter((i) => !this.cluster.isRunning(i));
    await Promise.all(dead.map((i) => this.restartNode(i)));
    this.note("healed everything");
  }
}
