/**
 * The one move loop of a rebalance or drain, shared by `influxd-ctl rebalance` and the TUI: the
 * moves go one at a time, each a copy (the meta node verifies the destination and catches a hot
 * shard up) and then the removal of the source's copy and ownership. A stop request takes effect
 * between moves, never inside one, and a failed move stops the run with the source's copy still in
 * place: no interruption leaves a shard less replicated. Running again continues, because the plan
 * is derived from the state.
 */

import type { RebalanceMove, RebalancePlan } from "../contract/data-tier.ts";
import type { ClusterOperations } from "./cluster-api.ts";

export type MoveOperations = Pick<ClusterOperations, "copyShard" | "removeShard">;

/** Where a run is: before a move starts (`copying`) and after it finished (`moved`). */
export interface MoveProgress {
  phase: "copying" | "moved";
  /** 0-based index of the move in the plan. */
  index: number;
  total: number;
  move: RebalanceMove;
  /** Bytes of the moves finished so far, and of the whole plan. */
  bytesDone: number;
  bytesTotal: number;
  /** Seconds left at the pace so far; null before the first move finished. */
  etaSeconds: number | null;
}

export interface MovesResult {
  done: number;
  bytes: number;
  /** Stopped on request before every move was made. */
  stopped: boolean;
}

export interface MoveRunOptions {
  /** Asked before each move: true stops the run there. */
  stopRequested?: () => boolean;
  onProgress?: (progress: MoveProgress) => void;
  now?: () => number;
}

/** A move failed: nothing of it was removed before its replacement was in place. */
export class MoveFailedError extends Error {
  constructor(
    readonly done: number,
    readonly total: number,
    readonly shard: number,
    cause: Error,
  ) {
    super(
      `move ${done + 1} of ${total} (shard ${shard}) failed: ${cause.message}; ${done} moves done; no copy was removed before its replacement was in place: run rebalance again to continue`,
    );
    this.name = "MoveFailedError";
  }
}

export async function runMoves(
  ops: MoveOperations,
  plan: RebalancePlan,
  opts: MoveRunOptions = {},
): Promise<MovesResult> {
  const now = opts.now ?? Date.now;
  const started = now();
  const total = plan.moves.length;
  let bytes = 0;
  let done = 0;
  const progress = (phase: MoveProgress["phase"], move: RebalanceMove, index: number): MoveProgress => {
    const elapsed = (now() - started) / 1000;
    const etaSeconds = bytes > 0 ? ((plan.bytes - bytes) / bytes) * elapsed : done > 0 ? 0 : null;
    return { phase, index, total, move, bytesDone: bytes, bytesTotal: plan.bytes, etaSeconds };
  };
  for (const [index, m] of plan.moves.entries()) {
    if (opts.stopRequested?.()) break;
    opts.onProgress?.(progress("copying", m, index));
    try {
      await ops.copyShard(m.from.tcpAddr, m.dest.tcpAddr, m.shard);
      await ops.removeShard(m.source.tcpAddr, m.shard, m.sourceDown);
    } catch (err) {
      throw new MoveFailedError(done, total, m.shard, err as Error);
    }
    done++;
    bytes += m.size;
    opts.onProgress?.(progress("moved", m, index));
  }
  return { done, bytes, stopped: done < total };
}
