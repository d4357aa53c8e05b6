/**
 * Token buckets per key (a client address): each key may make `burst` calls at once and
 * `perSecond` calls a second after that. Used where a legitimate caller calls at a known, slow
 * pace (a node announces itself every gossip period) so that a flood from one address costs a
 * bounded amount of work a second. At most MAX_KEYS keys are kept (the least recent dropped).
 */

const MAX_KEYS = 10_000;

export class RateLimit {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one call for `key`: 0 when allowed, else the ms until the next call would be. */
  take(key: string): number {
    const now = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) * this.perSecond) / 1000);
    b.at = now;
    this.buckets.delete(key); // re-inserted last: the least recent key is dropped first
    this.buckets.set(key, b);
    if (this.buckets.size > MAX_KEYS) this.buckets.delete(this.buckets.keys().next().value as string);
    if (b.tokens < 1) return Math.ceil(((1 - b.tokens) * 1000) / this.perSecond);
    b.tokens -= 1;
    return 0;
  }
}
