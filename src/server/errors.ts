/**
 * The one place errors become HTTP answers (docs/http-api.md, "Error codes"). The HTTP server
 * passes whatever a route throws through `httpErrorOf`:
 * - an operation's typed error (src/cluster/errors.ts) answers with its own status and code;
 * - a Raft error: transient states (no leader, a transfer in progress, leadership lost mid-way, a
 *   node shutting down, a change waiting for an earlier one, a bounded wait that ran out) are 503,
 *   refusals that retrying cannot fix are 409, a removal the leader refused is worded with the
 *   removal rules;
 * - this node not being the leader (a route that cannot redirect) is a 503;
 * - anything else is a 500: a bug, never a known state.
 * Every 503 carries Retry-After, which MetaClient and the CLIs honour.
 */

import { OperationError } from "../cluster/errors.ts";
import { removalRefusalMessage } from "../cluster/removal-rules.ts";
import { MetaRefusal } from "../meta/errors.ts";
import { NotLeader } from "../meta/service.ts";
import { RaftError } from "../raft/errors.ts";
import { RemovalRefusedError } from "../raft/membership.ts";

/** Thrown by a handler to answer with a JSON error: `{"error": message, "code": code}`. `code`
 *  is a stable name callers test instead of the message text (docs/http-api.md lists them). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly code?: string,
  ) {
    super(message);
  }
}

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

function answer(status: number, message: string, code?: string, headers: Record<string, string> = {}) {
  return new HttpError(
    status,
    message,
    status === 503 ? { "retry-after": String(RETRY_AFTER_SECONDS), ...headers } : headers,
    code,
  );
}

/** The HTTP answer for anything a route threw. */
export function httpErrorOf(err: unknown): HttpError {
  if (err instanceof HttpError) return answer(err.status, err.message, err.code, err.headers);
  if (err instanceof OperationError) return answer(err.status, err.message, err.code);
  if (err instanceof MetaRefusal) return answer(409, err.message, err.code);
  if (err instanceof RemovalRefusedError)
    return answer(409, removalRefusalMessage(err.refusal, err.facts, err.subject), err.code);
  if (err instanceof RaftError) return answer(isTransient(err.code) ? 503 : 409, err.message, err.code);
  if (err instanceof NotLeader) return answer(503, err.message, err.leaderHttp ? "NOT_LEADER" : "NO_LEADER");
  return answer(500, err instanceof Error ? err.message : String(err));
}
