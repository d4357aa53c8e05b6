/**
 * bcrypt off the event loop. A compare or a hash at Go's cost 10 takes about 70 ms of CPU in
 * bcryptjs; on the event loop, a flood of wrong passwords held up Raft's heartbeats until the
 * leader was deposed (issue 21), and a burst of `POST /user` creates did the same. Here each
 * compare and each hash runs in a worker thread (bcryptjs there too, so every hash it wrote keeps
 * verifying), at most one per worker at a time, in a bounded queue: a full queue refuses at once
 * (PoolBusy) rather than buffering an attacker's requests.
 */
import { availableParallelism } from "node:os";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** Thrown by compare() and hash() when `maxQueued` jobs are already waiting. */
export class PoolBusy extends Error {
  constructor() {
    super("too many password checks in progress");
  }
}

// CommonJS, evaluated: the bundled dist/ has no separate file to start a worker from.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const bcrypt = require(workerData.bcryptjs);
parentPort.on("message", ({ password, hash, cost }) => {
  if (cost !== undefined) {
    parentPort.postMessage(bcrypt.hashSync(password, cost));
    return;
  }
  let ok = false;
  try { ok = bcrypt.compareSync(password, hash); } catch { ok = false; }
  parentPort.postMessage(ok);
});
`;

/** What a worker is sent: a compare (`hash`) or a hash (`cost`). */
type Request = { password: string; hash: string } | { password: string; cost: number };

interface Job {
  request: Request;
  resolve: (answer: unknown) => void;
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
  async compare(password: string, hash: string): Promise<boolean> {
    return (await this.run({ password, hash })) === true;
  }

  /** A bcrypt hash of `password` at `cost` (Go's meta client uses 10). */
  async hash(password: string, cost: number): Promise<string> {
    return String(await this.run({ password, cost }));
  }

  private run(request: Request): Promise<unknown> {
    if (this.queue.length >= this.maxQueued) return Promise.reject(new PoolBusy());
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
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
      slot.worker.postMessage(job.request);
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
    worker.on("message", (answer: unknown) => {
      finish((job) => job.resolve(answer));
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

/** One pool per process, shared by the meta and admin services; started on first use. */
let shared: BcryptPool | undefined;
export const sharedBcryptPool = (): BcryptPool => (shared ??= new BcryptPool());
