/**
 * Each simulated node's view of time: the `Clock` of types.ts driven by the scheduler.
 * A node may run fast or slow (drift `rate`, e.g. 1.05 = 5 % fast), and its timers stop firing
 * while the node is paused, as a stopped process's would.
 */
import type { Clock } from "../../../src/raft/types.ts";
import type { Scheduler } from "./scheduler.ts";

export class SimClock implements Clock {
  private readonly startReal: number;
  private readonly startLocal: number;
  private stopped = false;
  private readonly timers = new Set<{ cancel(): void }>();

  constructor(
    private readonly scheduler: Scheduler,
    private readonly label: string,
    private readonly rate = 1,
    /** The node's local time when this clock starts (clocks of different nodes disagree). */
    localStart = 0,
    private readonly isPaused: () => boolean = () => false,
  ) {
    if (!(rate > 0)) throw new Error(`clock rate must be positive, got ${rate}`);
    this.startReal = scheduler.now;
    this.startLocal = localStart;
  }

  now(): number {
    return this.startLocal + (this.scheduler.now - this.startReal) * this.rate;
  }

  setInterval(fn: () => void, ms: number): { cancel(): void } {
    if (!(ms > 0)) throw new Error(`interval must be positive, got ${ms}`);
    let pending: { cancel(): void } | null = null;
    let cancelled = false;
    const arm = () => {
      pending = this.scheduler.schedule(
        ms / this.rate,
        `${this.label} tick`,
        () => {
          if (cancelled || this.stopped) return;
          arm();
          // A paused process runs no timers: ticks due while paused are lost, later ones fire.
          if (!this.isPaused()) fn();
        },
        true,
      );
    };
    const handle = {
      cancel: () => {
        cancelled = true;
        pending?.cancel();
        this.timers.delete(handle);
      },
    };
    this.timers.add(handle);
    arm();
    return handle;
  }

  /** The process died: none of its timers fire again. */
  stop(): void {
    this.stopped = true;
    for (const t of [...this.timers]) t.cancel();
  }
}
