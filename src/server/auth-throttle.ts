/**
 * Throttling of failed password checks, per key (a client address, a user name). A key may fail
 * FREE_FAILURES times; each failure after that blocks it for twice as long as the last (1 s, 2 s,
 * 4 s … up to 60 s), and once blocked it may have one check in flight at a time. Checks in flight
 * count against the free failures, so a burst of concurrent guesses costs at most FREE_FAILURES
 * bcrypt compares, not one each. A key is forgotten 15 minutes after its last failure or at
 * its first success; at most MAX_KEYS keys are kept (the oldest is dropped first).
 */

export const FREE_FAILURES = 5;
const BASE_BLOCK_MS = 1_000;
const MAX_BLOCK_MS = 60_000;
const FORGET_MS = 15 * 60_000;
const MAX_KEYS = 10_000;
/** What a key waits when its allowance is taken by checks still running. */
const BUSY_WAIT_MS = 1_000;

interface KeyState {
  failures: number;
  inFlight: number;
  blockedUntil: number;
  lastFailure: number;
}

export class FailureThrottle {
  private readonly keys = new Map<string, KeyState>();

  constructor(private readonly now: () => number = Date.now) {}

  /** How long `key` must wait before it may try (0: now). */
  waitMs(key: string): number {
    const s = this.keys.get(key);
    if (!s) return 0;
    const now = this.now();
    if (s.inFlight === 0 && now - s.lastFailure > FORGET_MS) {
      this.keys.delete(key);
      return 0;
    }
    if (s.blockedUntil > now) return s.blockedUntil - now;
    const allowed = s.failures >= FREE_FAILURES ? 1 : FREE_FAILURES - s.failures;
    return s.inFlight >= allowed ? BUSY_WAIT_MS : 0;
  }

  /** A check of `key` starts. */
  begin(key: string): void {
    let s = this.keys.get(key);
    if (!s) {
      s = { failures: 0, inFlight: 0, blockedUntil: 0, lastFailure: this.now() };
      this.keys.set(key, s);
      if (this.keys.size > MAX_KEYS) this.keys.delete(this.keys.keys().next().value as string);
    }
    s.inFlight++;
  }

  /** A check of `key` was not made after all (counts neither way). */
  cancel(key: string): void {
    const s = this.keys.get(key);
    if (s) s.inFlight = Math.max(0, s.inFlight - 1);
  }

  /** A check of `key` ended; returns the new block in ms when this failure started one. */
  end(key: string, ok: boolean): number {
    const s = this.keys.get(key);
    if (!s) return 0;
    s.inFlight = Math.max(0, s.inFlight - 1);
    if (ok) {
      this.keys.delete(key);
      return 0;
    }
    const now = this.now();
    s.failures++;
    s.lastFailure = now;
    // Moved to the end: the keys dropped first are those that failed longest ago.
    this.keys.delete(key);
    this.keys.set(key, s);
    if (s.failures < FREE_FAILURES) return 0;
    const block = Math.min(MAX_BLOCK_MS, BASE_BLOCK_MS * 2 ** Math.min(16, s.failures - FREE_FAILURES));
    s.blockedUntil = now + block;
    return block;
  }
}
