/**
 * The leader's view of one follower's log (etcd's "progress" flow control).
 *
 * - probe:     we do not know where the follower's log matches ours; send one Append at a time
 *              and wait for its answer (or any sign of life) before sending the next.
 * - replicate: the follower matched recently; stream Appends optimistically (next jumps ahead
 *              on send) with at most `maxInflight` unanswered ones.
 * - snapshot:  an InstallSnapshot is on its way; send nothing else until it is answered, or
 *              until `snapshotTicks` says it was probably lost.
 */
import type { ServerId } from "./types.ts";

export type ProgressState = "probe" | "replicate" | "snapshot";

export class Progress {
  readonly id: ServerId;
  match = 0;
  next: number;
  state: ProgressState = "probe";
  /** Last index of each unanswered non-empty Append, oldest first (replicate state). */
  inflight: number[] = [];
  /** Probe state: one Append is out, wait. */
  paused = false;
  /** Heard from the follower since the last check-quorum round. */
  recentActive = false;
  /** Leader ticks since the follower last answered anything (it has not, yet: "never"). */
  idleTicks = Number.POSITIVE_INFINITY;
  /** Leader ticks the follower has been behind the leader's log without its match advancing. */
  laggingTicks = 0;
  /** Snapshot state: index of the snapshot sent, and ticks since. */
  pendingSnapshot = 0;
  snapshotTicks = 0;
  /** Set once the configuration removing this peer commits: drop it when this reaches 0. */
  retireTicks: number | null = null;

  constructor(id: ServerId, next: number) {
    this.id = id;
    this.next = next;
  }

  /** A success answer said the follower matches us up to `index`. Returns false when stale. */
  acknowledge(index: number): boolean {
    // In place (oldest first, ascending): this runs on every acknowledgement.
    while (this.inflight.length > 0 && this.inflight[0] <= index) this.inflight.shift();
    this.paused = false;
    if (index <= this.match) return false;
    this.match = index;
    this.laggingTicks = 0;
    this.next = Math.max(this.next, index + 1);
    if (this.state === "probe" || (this.state === "snapshot" && index >= this.pendingSnapshot)) {
      this.becomeReplicate();
    }
    return true;
  }

  /**
   * A rejection of the Append whose prevLogIndex was `rejected`; `hint` is the follower's
   * suggestion for the next prevLogIndex. Returns false when the rejection is stale.
   */
  reject(rejected: number, hint: number): boolean {
    if (this.state === "replicate") {
      if (rejected <= this.match) return false;
    } else if (rejected !== this.next - 1) {
      return false;
    }
    this.becomeProbe();
    this.next = Math.max(this.match + 1, Math.min(rejected, hint + 1));
    return true;
  }

  /** The follower's log ends at `lastIndex`, below `match`: it lost entries it had
   *  acknowledged. Probe from its real end. */
  regress(lastIndex: number): void {
    this.match = lastIndex;
    this.becomeProbe();
    this.next = lastIndex + 1;
  }

  /** One leader tick passed; `lastIndex` is the leader's last log index. */
  tick(lastIndex: number): void {
    this.idleTicks++;
    this.laggingTicks = this.match >= lastIndex ? 0 : this.laggingTicks + 1;
  }

  /** Any answer from the follower. */
  heard(): void {
    this.recentActive = true;
    this.idleTicks = 0;
  }

  /**
   * Active in the leader's view: it answered within `windowTicks` and, when behind, its match
   * advanced within `windowTicks` (so a follower that answers heartbeats but cannot store
   * entries does not count).
   */
  active(windowTicks: number): boolean {
    return this.idleTicks <= windowTicks && this.laggingTicks <= windowTicks;
  }

  becomeProbe(): void {
    this.state = "probe";
    this.inflight = [];
    this.paused = false;
    this.pendingSnapshot = 0;
    this.next = Math.max(this.next, this.match + 1);
  }

  becomeReplicate(): void {
    this.state = "replicate";
    this.inflight = [];
    this.paused = false;
    this.pendingSnapshot = 0;
    this.next = this.match + 1;
  }

  becomeSnapshot(index: number): void {
    this.state = "snapshot";
    this.inflight = [];
    this.pendingSnapshot = index;
    this.snapshotTicks = 0;
  }

  /** May another Append carrying entries be sent now? */
  canSend(maxInflight: number): boolean {
    if (this.state === "snapshot") return false;
    if (this.state === "probe") return !this.paused;
    return this.inflight.length < maxInflight;
  }

  /** Record a sent Append whose entries end at `last` (replicate: optimistic next). */
  sent(last: number, carriedEntries: boolean): void {
    if (this.state === "replicate") {
      if (carriedEntries) {
        this.inflight.push(last);
        this.next = last + 1;
      }
    } else if (this.state === "probe") {
      this.paused = true;
    }
  }
}
