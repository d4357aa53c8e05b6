/**
 * Simulated clients: each runs put / get / cas operations one at a time against the node it
 * believes is leader, and records every operation for the linearizability checker
 * (invoke / ok / fail / indeterminate, as Jepsen does).
 *
 * Times in the history are a logical stamp that increases at every invocation and every
 * response, so the real-time order of operations is exact even when many happen at the same
 * virtual millisecond.
 */
import type { KvInput, KvOutput, Operation } from "../../support/linearizability.ts";
import type { KvCommand, KvResult } from "./kv-fsm.ts";
import type { Rng } from "./rng.ts";
import type { Scheduler } from "./scheduler.ts";

/** A node as a client sees it. */
export interface KvEndpoint {
  id: string;
  /** Replicate a command; resolves with the FSM result once applied on this node. */
  apply(command: KvCommand): Promise<KvResult>;
  /** Linearizable read (ReadIndex / barrier, then read the local FSM). */
  read(key: string): Promise<string | null>;
}

export interface ClientRouting {
  /** The endpoint a client should try: its leader hint if that node is up, else any live node. */
  endpoint(hint: string | null, rng: Rng): KvEndpoint | null;
  /** True when the error proves the operation did not and will not take effect. */
  isDefiniteFailure(err: unknown): boolean;
  /** Leader id suggested by an error (NotLeaderError), if any. */
  leaderHint(err: unknown): string | null;
}

export interface WorkloadOptions {
  clients: number;
  keys: number;
  /** A client gives up waiting after this many virtual ms (the op becomes indeterminate). */
  opTimeout: number;
  /** Pause between a client's operations, in virtual ms. */
  thinkMin: number;
  thinkMax: number;
}

export type KvOperation = Operation<KvInput, KvOutput>;

export class Workload {
  readonly history: KvOperation[] = [];
  private stamp = 0;
  private stopAt = 0;
  private nextValue = 0;
  private inFlight = 0;
  counts = { ok: 0, fail: 0, indeterminate: 0 };

  constructor(
    private readonly scheduler: Scheduler,
    private readonly rng: Rng,
    private readonly routing: ClientRouting,
    private readonly options: WorkloadOptions,
  ) {}

  get busy(): boolean {
    return this.inFlight > 0;
  }

  private tick(): number {
    return ++this.stamp;
  }

  /** Start every client; each issues operations until virtual time `until`. */
  start(until: number): void {
    this.stopAt = until;
    for (let c = 1; c <= this.options.clients; c++) this.scheduleNext(c, null);
  }

  private scheduleNext(client: number, hint: string | null): void {
    const delay = this.rng.int(this.options.thinkMin, this.options.thinkMax);
    if (this.scheduler.now + delay >= this.stopAt) return;
    this.scheduler.schedule(delay, `client ${client} invokes`, () => {
      this.invoke(client, this.randomInput(client), hint).then((h) => this.scheduleNext(client, h));
    });
  }

  private randomInput(client: number): KvInput {
    const key = `k${this.rng.int(0, this.options.keys - 1)}`;
    const value = `c${client}v${++this.nextValue}`;
    const roll = this.rng.next();
    if (roll < 0.35) return { op: "put", key, value };
    if (roll < 0.7) return { op: "get", key };
    // Expected values from a small pool so a fair share of cas operations succeed.
    const expected = this.rng.chance(0.2) ? null : this.recentValue(key);
    return { op: "cas", key, expected, value };
  }

  private recentValue(key: string): string | null {
    for (let i = this.history.length - 1; i >= 0; i--) {
      const op = this.history[i];
      if (op.input.key !== key) continue;
      if (op.input.op === "put" || op.input.op === "cas") return op.input.value;
      if (op.output && "value" in op.output) return op.output.value;
    }
    return null;
  }

  /**
   * Run one operation to completion (or timeout) and record it. Resolves with the leader hint
   * for the client's next operation.
   */
  invoke(client: number, input: KvInput, hint: string | null): Promise<string | null> {
    const endpoint = this.routing.endpoint(hint, this.rng);
    if (!endpoint) return Promise.resolve(null);
    const call = this.tick();
    this.inFlight++;
    this.scheduler.trace(`client ${client} -> ${endpoint.id}: ${JSON.stringify(input)}`);
    return new Promise((resolve) => {
      let done = false;
      const finish = (
        output: KvOutput | undefined,
        outcome: "ok" | "fail" | "indeterminate",
        next: string | null,
      ) => {
        if (done) return;
        done = true;
        timer.cancel();
        this.inFlight--;
        this.counts[outcome]++;
        this.scheduler.trace(
          `client ${client} <- ${endpoint.id}: ${outcome} ${JSON.stringify(output ?? null)}`,
        );
        // Failed operations had no effect, and unanswered reads tell nothing: neither is recorded.
        if (outcome === "ok")
          this.history.push({ clientId: client, input, output, call, return: this.tick() });
        else if (outcome === "indeterminate" && input.op !== "get")
          this.history.push({ clientId: client, input, output: undefined, call, return: Infinity });
        resolve(next);
      };
      const timer = this.scheduler.schedule(this.options.opTimeout, `client ${client} timeout`, () =>
        finish(undefined, "indeterminate", null),
      );
      const request: Promise<KvOutput> =
        input.op === "get"
          ? endpoint.read(input.key).then((value) => ({ value }))
          : endpoint.apply(input).then((r) => r);
      request.then(
        (output) => finish(output, "ok", endpoint.id),
        (err: unknown) => {
          const definite = this.routing.isDefiniteFailure(err);
          finish(undefined, definite ? "fail" : "indeterminate", this.routing.leaderHint(err));
        },
      );
    });
  }

  /** After the run: read every key once (retrying until a leader answers) to pin the final state. */
  async finalReads(deadline: number): Promise<void> {
    for (let k = 0; k < this.options.keys; k++) {
      let hint: string | null = null;
      for (;;) {
        if (this.scheduler.now >= deadline)
          throw new Error(`final read of k${k} found no leader before ${deadline}`);
        const before = this.counts.ok;
        hint = await this.invoke(0, { op: "get", key: `k${k}` }, hint);
        if (this.counts.ok > before) break;
        await new Promise<void>((resolve) => this.scheduler.schedule(20, "final read retry", resolve));
      }
    }
  }
}
