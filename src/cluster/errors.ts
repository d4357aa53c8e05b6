/**
 * Typed errors of cluster operations. Each carries a stable code (docs/http-api.md, "Error codes"),
 * the HTTP status it maps to, and whether retrying may succeed. The operations throw these; the
 * HTTP servers hand them to the one mapper (src/server/errors.ts) and never word them again.
 */

/** 400 bad request, 404 unknown node or shard, 409 refused in this state, 502 another node
 *  failed or did not answer, 503 a passing state (no leader, a transfer): retry shortly. */
export type OperationStatus = 400 | 404 | 409 | 502 | 503;

export class OperationError extends Error {
  constructor(
    readonly status: OperationStatus,
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = "OperationError";
  }

  /** A passing state: the same request may succeed shortly (the answer carries Retry-After). */
  get retryable(): boolean {
    return this.status === 503;
  }
}

/** A refusal the operator must act on (409 unless another status says it better). */
export function refused(status: OperationStatus, message: string, code: string): OperationError {
  return new OperationError(status, message, code);
}

/** A passing state: no leader, a transfer, a node that has not confirmed yet. */
export function unavailable(message: string, code: string): OperationError {
  return new OperationError(503, message, code);
}
