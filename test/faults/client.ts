/**
 * A meta client that makes each command take effect at most once and says which of three things
 * happened, for the history. `MetaClient.execute` (the product's client, as in Go) moves on to the
 * next server after a timeout and sends the command again: right for an operator tool, but one
 * CreateUser could then apply twice and report "user already exists" about its own first copy.
 * Here a command is re-sent only when it certainly never reached Raft:
 *
 *   - connection refused: nothing was sent;
 *   - 307, and 503 with a code the meta service raises before proposing (no leader, a transfer
 *     in progress, another change pending: docs/http-api.md, "Error codes");
 *
 * and anything else (a timeout, a reset, a 503 whose code says the entry may be in the log:
 * leadership lost, a timed-out wait, a shutdown with the entry in flight) is "unknown". Reads are linearizable: a barrier entry (a DropUser of a user
 * that never exists, refused by the FSM but still committed at an index) and then the metadata at
 * that index or later.
 */

import { mayHaveApplied, MetaClient } from "../../src/meta/client.ts";
import { decodeResponse, encodeCommand, type MetaCommand, type MetaData } from "../../src/proto/index.ts";
import { errorCode, errorText, request, UnreachableError } from "../../src/util/http-client.ts";

export type ExecOutcome =
  /** Committed at `index`; `error` is the FSM's refusal, if it refused. */
  | { kind: "applied"; index: number; error?: string; node: string }
  /** Certainly never proposed. */
  | { kind: "not-applied"; reason: string }
  /** May or may not have been (or still be) committed. */
  | { kind: "unknown"; reason: string };

export interface FaultClientOptions {
  /** HTTP addresses of the meta nodes, tried in order from `first`. */
  servers: string[];
  first: number;
  /** Deadline of one HTTP request. */
  requestTimeoutMs: number;
  /** Give up (with "not-applied") once safe retries have taken this long. */
  deadlineMs: number;
}

const BARRIER: MetaCommand = { type: "DropUserCommand", name: "__barrier__" };
const MAX_REDIRECTS = 5;

export class FaultClient {
  private preferred: number;

  constructor(private readonly opts: FaultClientOptions) {
    this.preferred = opts.first % opts.servers.length;
  }

  private rotate(): string {
    this.preferred = (this.preferred + 1) % this.opts.servers.length;
    return this.opts.servers[this.preferred];
  }

  async execute(command: MetaCommand): Promise<ExecOutcome> {
    const body = encodeCommand(command);
    const deadline = performance.now() + this.opts.deadlineMs;
    let host = this.opts.servers[this.preferred];
    let redirects = 0;
    let lastReason = "no attempt";
    while (performance.now() < deadline) {
      let res;
      try {
        res = await request(`http://${host}/execute`, {
          method: "POST",
          body,
          contentType: "application/octet-stream",
          timeoutMs: this.opts.requestTimeoutMs,
        });
      } catch (err) {
        if (err instanceof UnreachableError && err.code === "ECONNREFUSED") {
          lastReason = err.message;
          host = this.rotate();
          await pause(100);
          continue;
        }
        return { kind: "unknown", reason: (err as Error).message };
      }
      if (res.status === 307 && typeof res.headers.location === "string" && redirects < MAX_REDIRECTS) {
        redirects++;
        host = new URL(res.headers.location).host;
        continue;
      }
      if (res.status === 503 && mayHaveApplied(errorCode(res)))
        return { kind: "unknown", reason: `${host}: 503 ${errorText(res)}` };
      if (res.status === 307 || res.status === 503) {
        lastReason = `${host}: ${res.status} ${errorText(res)}`;
        redirects = 0;
        host = this.rotate();
        await pause(100);
        continue;
      }
      if (res.status === 400)
        throw new Error(`${host} refused ${command.type} as malformed: ${errorText(res)}`);
      if (res.status !== 200) return { kind: "unknown", reason: `${host}: ${res.status} ${errorText(res)}` };
      const response = decodeResponse(res.body);
      if (response.index === undefined) throw new Error(`${host} answered ${command.type} without an index`);
      return { kind: "applied", index: response.index, error: response.error, node: host };
    }
    return { kind: "not-applied", reason: `gave up: ${lastReason}` };
  }

  /** Commits an entry that changes nothing (the FSM refuses it): its index orders what came before. */
  barrier(): Promise<ExecOutcome> {
    return this.execute(BARRIER);
  }

  /** Linearizable read: metadata at or after a barrier committed after the read began. */
  async read(): Promise<{ data: MetaData; node: string } | { error: string }> {
    const barrier = await this.barrier();
    if (barrier.kind !== "applied") return { error: `barrier ${barrier.kind}: ${barrier.reason}` };
    const reader = new MetaClient({
      servers: [barrier.node],
      timeoutMs: this.opts.requestTimeoutMs,
      maxTries: 1,
    });
    try {
      return { data: await reader.data(barrier.index), node: barrier.node };
    } catch (err) {
      return { error: (err as Error).message };
    }
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
