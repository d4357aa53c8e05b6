/**
 * Named leases the meta leader hands out (`GET /lease`), as the InfluxDB data nodes use them: the
 * continuous-query service of each data node asks for the lease "continuous_querier" about every
 * second and runs queries only while it holds it, so exactly one data node runs them. Leases live
 * in the leader's memory only: after a change of leader the next asker gets a fresh one.
 */

export interface Lease {
  name: string;
  /** RFC 3339 time the lease ends unless its owner renews it. */
  expiration: string;
  /** Data node ID of the holder. */
  owner: number;
}

export class Leases {
  private readonly held = new Map<string, { expiresAt: number; owner: number }>();

  constructor(
    private readonly durationMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Grants or renews the lease for `owner` when it is free, expired or already theirs; otherwise
   * leaves it with its holder. Either way returns the lease as it now stands.
   */
  acquire(name: string, owner: number): { lease: Lease; acquired: boolean } {
    const now = this.now();
    const current = this.held.get(name);
    const acquired = !current || current.expiresAt < now || current.owner === owner;
    if (acquired) this.held.set(name, { expiresAt: now + this.durationMs, owner });
    const lease = this.held.get(name)!;
    return {
      lease: { name, expiration: new Date(lease.expiresAt).toISOString(), owner: lease.owner },
      acquired,
    };
  }
}
