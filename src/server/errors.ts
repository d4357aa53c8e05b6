/**
 * The one place Raft errors become HTTP answers (docs/http-api.md, "Error codes"). Transient
 * states — no leader, a leadership transfer in progress, leadership lost mid-operation, a node
 * shutting down, a change waiting for an earlier one, a bounded wait that ran out — are 503 with
 * Retry-After, which MetaClient retries; refusals that retrying cannot fix are 409. Every answer
 * carries the error's stable code.
 */

import { RaftError } from "../raft/errors.ts";
import { HttpError } from "./http-server.ts";

/** Codes of the states that pass by themselves: answer 503 and let the client retry. */
const TRANSIENT = new Set([
  "NOT_LEADER",
  "NO_LEADER",
  "LEADERSHIP_TRANSFER_IN_PROGRESS",
  "LEADERSHIP_LOST",
  "SHUTDOWN",
  "CONFIG_CHANGE_IN_PROGRESS",
  "TIMEOUT",
]);

/** Seconds a client should wait before retrying a transient refusal (about one election). */
export const RETRY_AFTER_SECONDS = 1;

export function isTransient(code: string | null | undefined): boolean {
  return code != null && TRANSIENT.has(code);
}

/** A 503 that tells the client to come back shortly. */
export function unavailable(message: string, code: string): HttpError {
  return new HttpError(503, message, { "retry-after": String(RETRY_AFTER_SECONDS) }, code);
}

/** The HTTP answer for an error of the Raft engine; other errors are returned unchanged. */
export function raftErrorToHttp(err: unknown): unknown {
  if (!(err instanceof RaftError)) return err;
  if (isTransient(err.code)) return unavailable(err.message, err.code);
  return new HttpError(409, err.message, {}, err.code);
}
