/**
 * The simulation's event loop: a priority queue of events ordered by (virtual time, sequence
 * number). Every asynchronous completion in a run — message delivery, timer tick, disk latency,
 * a fault, a client operation — is an event here, so nothing waits on real time.
 *
 * After each event the loop lets every microtask the event started run to completion
 * (`settle`): the hosts are async code, and their promise chains must finish inside the
 * simulation. Microtask order is deterministic in one V8 process, so a run stays a pure
 * function of its seed as long as no component uses real IO or real timers.
 */

export interface ScheduledEvent {
  cancel(): void;
}

interface QueuedEvent {
  time: number;
  seq: number;
  label: string;
  /** Hashed into the trace but not kept in its tail (routine ticks would drown the rest). */
  quiet: boolean;
  fn: () => void;
  cancelled: boolean;
}

/** Binary min-heap on (time, seq). */
class EventHeap {
  private items: QueuedEvent[] = [];

  get size(): number {
    return this.items.length;
  }

  push(e: QueuedEvent): void {
    const a = this.items;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }

  peek(): QueuedEvent | undefined {
    return this.items[0];
  }

  pop(): QueuedEvent | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l], a[m])) m = l;
        if (r < a.length && before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

function before(x: QueuedEvent, y: QueuedEvent): boolean {
  return x.time < y.time || (x.time === y.time && x.seq < y.seq);
}

/** Let every pending microtask (and promise chain started by them) run to completion. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const TRACE_TAIL = Number(process.env.SIM_TRACE_TAIL ?? 400);

export class Scheduler {
  private heap = new EventHeap();
  private seq = 0;
  private _now = 0;
  private traceRing: string[] = [];
  private traceNext = 0;
  /** Running FNV-1a hash of every trace line: two runs with equal hashes took the same path. */
  private hash = 0x811c9dc5;
  eventsRun = 0;

  get now(): number {
    return this._now;
  }

  /** Run `fn` `delay` virtual ms from now (0 = after everything already due now). */
  schedule(delay: number, label: string, fn: () => void, quiet = false): ScheduledEvent {
    if (!(delay >= 0) || !Number.isFinite(delay))
      throw new Error(`cannot schedule "${label}" with delay ${delay}`);
    const e: QueuedEvent = { time: this._now + delay, seq: this.seq++, label, quiet, fn, cancelled: false };
    this.heap.push(e);
    return {
      cancel: () => {
        e.cancelled = true;
      },
    };
  }

  /** Record a line in the trace (kept in full only as a hash, and as a tail for reports). */
  trace(line: string, quiet = false): void {
    const text = `${this._now.toFixed(3)} ${line}`;
    for (let i = 0; i < text.length; i++) {
      this.hash ^= text.charCodeAt(i);
      this.hash = Math.imul(this.hash, 0x01000193) >>> 0;
    }
    if (quiet) return;
    if (this.traceRing.length < TRACE_TAIL) this.traceRing.push(text);
    else this.traceRing[this.traceNext] = text;
    this.traceNext = (this.traceNext + 1) % TRACE_TAIL;
  }

  traceTail(lines = Number(process.env.SIM_TRACE_LINES ?? 80)): string[] {
    const ordered =
      this.traceRing.length < TRACE_TAIL
        ? this.traceRing
        : [...this.traceRing.slice(this.traceNext), ...this.traceRing.slice(0, this.traceNext)];
    return ordered.slice(-lines);
  }

  traceHash(): string {
    return `${this.hash.toString(16)}:${this.eventsRun}`;
  }

  /** Run the next event and settle its microtasks. False when nothing is due up to `until`. */
  async step(until: number): Promise<boolean> {
    for (;;) {
      const e = this.heap.peek();
      if (!e || e.time > until) return false;
      this.heap.pop();
      if (e.cancelled) continue;
      this._now = e.time;
      this.eventsRun++;
      this.trace(e.label, e.quiet);
      e.fn();
      await settle();
      return true;
    }
  }

  /** Run events until virtual time `until`; `afterEach` runs after every event (invariants). */
  async runUntil(until: number, afterEach?: () => void): Promise<void> {
    while (await this.step(until)) afterEach?.();
    if (this._now < until) this._now = until;
  }

  /** Run events until `work` settles (or virtual time `deadline` passes, which throws). */
  async runUntilSettled<T>(work: Promise<T>, deadline: number, afterEach?: () => void): Promise<T> {
    let settled = false;
    const observed = work.finally(() => {
      settled = true;
    });
    observed.catch(() => {});
    await settle();
    while (!settled) {
      if (!(await this.step(deadline))) {
        if (!settled) throw new Error(`simulation: work still pending at virtual time ${deadline}`);
        break;
      }
      afterEach?.();
    }
    return observed;
  }
}
