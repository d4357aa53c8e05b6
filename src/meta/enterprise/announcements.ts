/**
 * Announcements: every node of an InfluxDB cluster says every few seconds who it is (`POST
 * /announce`: addresses, scheme, version, status), and the meta nodes pass what they heard on to
 * each other (gossip), so any meta node's `/show-cluster` can show every node's version. An
 * announcement not renewed within the expiration (30 s by default) is forgotten.
 */

export interface Announcement {
  tcpAddr: string;
  httpAddr: string;
  httpScheme: string;
  /** When it was heard (RFC 3339), as the receiving meta node recorded it. */
  time: string;
  nodeType: string;
  status: string;
  /** `{"gossip": {<tcpAddr>: Announcement, …}}` when a meta node passes on what it heard. */
  context?: Record<string, unknown> | null;
  version: string;
}

const STRING_FIELDS = ["tcpAddr", "httpAddr", "httpScheme", "nodeType", "status", "version"] as const;

/** Parses one announcement from JSON; throws an Error naming the bad field. */
export function parseAnnouncement(value: unknown): Announcement {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error("announcement must be a JSON object");
  }
  const v = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of STRING_FIELDS) {
    if (v[field] !== undefined && typeof v[field] !== "string")
      throw new Error(`announcement: "${field}" must be a string`);
    out[field] = v[field] ?? "";
  }
  if (!out.tcpAddr) throw new Error('announcement: "tcpAddr" is required');
  const context = v.context;
  if (context !== undefined && context !== null && (typeof context !== "object" || Array.isArray(context))) {
    throw new Error('announcement: "context" must be an object');
  }
  return {
    ...(out as Omit<Announcement, "time" | "context">),
    time: typeof v.time === "string" ? v.time : "",
    context: (context as Record<string, unknown> | null | undefined) ?? null,
  };
}

export class Announcements {
  private readonly byTcpAddr = new Map<string, { announcement: Announcement; heardAt: number }>();

  constructor(
    /** How long an announcement counts without being renewed. */
    private readonly expirationMs: number,
    /** This meta node's own Raft address: it never records itself. */
    private readonly selfTcpAddr: string,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Records an announcement heard directly (stamped now) and the ones it passes on (with the
   * time their first receiver stamped; a newer one already known is kept).
   */
  receive(announcement: Announcement): void {
    const { context, ...own } = announcement;
    const now = this.now();
    this.put({ ...own, time: new Date(now).toISOString() }, now);
    const gossip = context?.gossip;
    if (typeof gossip !== "object" || gossip === null) return;
    for (const entry of Object.values(gossip as Record<string, unknown>)) {
      let heard: Announcement;
      try {
        heard = parseAnnouncement(entry);
      } catch {
        continue; // one malformed entry does not spoil the rest
      }
      const at = Date.parse(heard.time);
      if (!Number.isFinite(at)) continue;
      const known = this.byTcpAddr.get(heard.tcpAddr);
      if (!known || known.heardAt < at) this.put({ ...heard, context: null }, at);
    }
  }

  private put(announcement: Announcement, heardAt: number): void {
    if (announcement.tcpAddr === this.selfTcpAddr) return;
    this.byTcpAddr.set(announcement.tcpAddr, { announcement, heardAt });
  }

  /** The unexpired announcement of the node at `tcpAddr`. */
  get(tcpAddr: string): Announcement | undefined {
    this.prune();
    return this.byTcpAddr.get(tcpAddr)?.announcement;
  }

  /** Every unexpired announcement by TCP address: the gossip a meta node passes on. */
  all(): Record<string, Announcement> {
    this.prune();
    return Object.fromEntries([...this.byTcpAddr].map(([k, v]) => [k, v.announcement]));
  }

  private prune(): void {
    const oldest = this.now() - this.expirationMs;
    for (const [key, { heardAt }] of this.byTcpAddr) if (heardAt < oldest) this.byTcpAddr.delete(key);
  }
}
