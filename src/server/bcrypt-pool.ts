/**
 * bcrypt compares off the event loop. A compare at Go's cost 10 takes about 70 ms of CPU in
 * bcryptjs; on the event loop, a flood of wrong passwords held up Raft's heartbeats until the
 * leader was deposed (issue 21). Here each compare runs in a worker thread (bcryptjs there too,
 * so every hash it wrote keeps verifying), at most one per worker at a time, in a bounded queue:
 * a full queue refuses at once (PoolBusy) rather than buffering an attacker's requests.
 */
import { availableParallelism } from "node:os";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** Thrown by compare() when MAX_QUEUED compares are already waiting. */
export class PoolBusy extends Error {
  constructor() {
    super("too many password checks in progress");
  }
}

// CommonJS, evaluated: the bundled dist/ has no separate file to start a worker from.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const bcrypt = require(workerData.bcryptjs);
parentPort.on("message", ({ password, hash }) => {
  let ok = false;
  try { ok = bcrypt.compareSync(password, hash); } catch { ok = false; }
  parentPort.postMessage(ok);
});
`;

interface Job {
  password: string;
  hash: string;
  resolve: (ok: boolean) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
}

export class BcryptPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private readonly bcryptjs = createRequire(import.meta.url).resolve("bcryptjs");

  constructor(
    /** Workers: one on a machine of two cores or fewer, so Raft keeps a core; else two. */
    private readonly size = availableParallelism() > 2 ? 2 : 1,
    private readonly maxQueued = 64,
  ) {}

  /** Whether `password` matches the bcrypt `hash` (false for anything that is not one). */
  compare(password: string, hash: string): Promise<boolean> {
    if (this.queue.length >= this.maxQueued) return Promise.reject(new PoolBusy());
    return new Promise((resolve, reject) => {
      this.queue.push({ password, hash, resolve, reject });
      this.dispatch();
    });
  }

  /** Ends the workers (tests; a daemon's workers are unref'd and end with it). */
  async close(): Promise<void> {
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const slot = this.slots.find((s) => s.job === null) ?? this.spawn();
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.ref(); // kept alive while it works for someone
      slot.worker.postMessage({ password: job.password, hash: job.hash });
    }
  }

  private spawn(): Slot | null {
    if (this.slots.length >= this.size) return null;
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptjs: this.bcryptjs } });
    const slot: Slot = { worker, job: null };
    const finish = (fn: (job: Job) => void) => {
      const job = slot.job;
      slot.job = null;
      worker.unref();
      if (job) fn(job);
    };
    worker.on("message", (ok: boolean) => {
      finish((job) => job.resolve(ok === true));
      this.dispatch();
    });
    const lost = (err: Error) => {
      const i = this.slots.indexOf(slot);
      if (i < 0) return;
      this.slots.splice(i, 1);
      finish((job) => job.reject(err));
      this.dispatch(); // a new worker takes the queue
    };
    worker.on("error", lost);
    worker.on("exit", (code) => lost(new Error(`password check worker exited (code ${code})`)));
    worker.unref();
    this.slots.push(slot);
    return slot;
  }
}
