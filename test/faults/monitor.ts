/**
 * Watches every live node's /status during a fault run: Raft's election safety says a term has at
 * most one leader, so two different nodes reporting themselves leader in the same term is a bug.
 * Also keeps the timeline of leaders for the failure report.
 */

import type { LocalCluster } from "../../src/demo/local-cluster.ts";
import { statuses } from "./nemesis.ts";

export class LeaderMonitor {
  private readonly leaderOfTerm = new Map<number, string>();
  readonly violations: string[] = [];
  readonly timeline: { at: number; term: number; leader: string }[] = [];
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly cluster: LocalCluster,
    private readonly paused: ReadonlySet<number>,
    private readonly now: () => number,
  ) {}

  start(intervalMs = 200): void {
    this.loop = (async () => {
      while (!this.stopped) {
        await this.sample();
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  async sample(): Promise<void> {
    const live = await statuses(this.cluster, this.paused);
    for (const s of live.values()) {
      if (s.raft.state !== "leader") continue;
      const known = this.leaderOfTerm.get(s.raft.term);
      if (known === undefined) {
        this.leaderOfTerm.set(s.raft.term, s.raftAddr);
        this.timeline.push({ at: this.now(), term: s.raft.term, leader: s.raftAddr });
      } else if (known !== s.raftAddr) {
        this.violations.push(
          `two leaders in term ${s.raft.term}: ${known} and ${s.raftAddr} (at ${this.now()}ms)`,
        );
      }
    }
  }
}
