/**
 * Announcements: every node of an InfluxDB cluster says every few seconds who it is (`POST
 * /announce`: addresses, scheme, version, status), and the meta nodes pass what they heard on to
 * each other (gossip), so any meta node's `/show-cluster` can show every node's version. An
 * announcement not renewed within the expiration (30 s by default) is forgotten.
 *
 * Nothing a sender says can make this table large or its entries immortal (issue 21: one POST of
 * 150,000 gossip entries dated 2099 kept a cluster electing leaders for minutes):
 * - a body carries at most MAX_GOSSIP_ENTRIES entries, each field at most MAX_FIELD_CHARS;
 * - every time is this node's clock: a direct announcement is stamped on receipt, and a passed-on
 *   one gets the age its sender gave it (the sender's `time` minus the entry's, both on the
 *   sender's clock, clamped to [0, expiration]), so gossip between meta nodes only ever ages an
 *   entry and a date in the future counts as "just heard", never as "forever";
 * - passed-on entries are kept only for nodes in the metadata; a sender's own announcement is kept
 *   even before its record exists (a Go data node announces before `add-data` registers it), but
 *   such entries sit in a small table of their own (MAX_UNREGISTERED, oldest dropped first) and
 *   are never passed on;
 * - only unexpired entries of registered nodes are passed on.
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

/** Entries one announcement may pass on: a cluster has at most hundreds of nodes. */
export const MAX_GOSSIP_ENTRIES = 1_000;
/** Largest `POST /announce` body: MAX_GOSSIP_ENTRIES entries of a typical 300 bytes, with room. */
export const MAX_ANNOUNCE_BYTES = 512 * 1024;
/** Longest field: a host name is at most 253 characters. */
export const MAX_FIELD_CHARS = 300;
/** Announcements kept from senders not (yet) in the metadata. */
export const MAX_UNREGISTERED = 64;

/** A string field of an announcement: "" when absent. */
function field(v: Record<string, unknown>, name: string): string {
  const value = v[name];
  if (value === undefined) return "";
  if (typeof value !== "string") throw new Error(`announcement: "${name}" must be a string`);
  if (value.length > MAX_FIELD_CHARS)
    throw new Error(`announcement: "${name}" is longer than ${MAX_FIELD_CHARS} characters`);
  return value;
}

/** Parses one announcement from JSON; throws an Error naming the bad field. */
export function parseAnnouncement(value: unknown): Announcement {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error("announcement must be a JSON object");
  }
  const v = value as Record<string, unknown>;
  // Field by field into an object of one shape: this runs for up to MAX_GOSSIP_ENTRIES entries
  // per request and must stay cheap.
  const tcpAddr = field(v, "tcpAddr");
  const httpAddr = field(v, "httpAddr");
  const httpScheme = field(v, "httpScheme");
  const nodeType = field(v, "nodeType");
  const status = field(v, "status");
  const version = field(v, "version");
  if (!tcpAddr) throw new Error('announcement: "tcpAddr" is required');
  const context = v.context;
  if (context !== undefined && context !== null && (typeof context !== "object" || Array.isArray(context))) {
    throw new Error('announcement: "context" must be an object');
  }
  const gossip = (context as Record<string, unknown> | null | undefined)?.gossip;
  if (gossip !== undefined && gossip !== null) {
    if (typeof gossip !== "object" || Array.isArray(gossip))
      throw new Error('announcement: "context.gossip" must be an object');
    // Counted without building a key array: the body limit already bounds the work.
    let n = 0;
    for (const key in gossip) if (Object.hasOwn(gossip, key) && ++n > MAX_GOSSIP_ENTRIES) break;
    if (n > MAX_GOSSIP_ENTRIES)
      throw new Error(`announcement: "context.gossip" has more than ${MAX_GOSSIP_ENTRIES} entries`);
  }
  const time = typeof v.time === "string" && v.time.length <= MAX_FIELD_CHARS ? v.time : "";
  return {
    tcpAddr,
    httpAddr,
    httpScheme,
    time,
    nodeType,
    status,
    context: (context as Record<string, unknown> | null | undefined) ?? null,
    version,
  };
}

interface Heard {
  announcement: Announcement;
  /** On this node's clock. */
  heardAt: number;
}

export class Announcements {
  /** Nodes in the metadata: at most one entry each. */
  private readonly registered = new Map<string, Heard>();
  /** Senders not in the metadata, oldest first (bounded by MAX_UNREGISTERED). */
  private readonly unregistered = new Map<string, Heard>();

  constructor(
    /** How long an announcement counts without being renewed. */
    private readonly expirationMs: number,
    /** This meta node's own Raft address: it never records itself. */
    private readonly selfTcpAddr: string,
    /** Whether a TCP address is a meta or data node of the metadata. */
    private readonly isRegistered: (tcpAddr: string) => boolean,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Records an announcement heard directly (stamped now) and the ones it passes on (aged as its
   * sender aged them; a newer one already known is kept). Bounded work: parseAnnouncement refused
   * more than MAX_GOSSIP_ENTRIES.
   */
  receive(announcement: Announcement): void {
    const { context, ...own } = announcement;
    const now = this.now();
    this.put({ ...own, time: new Date(now).toISOString() }, now, true);
    const gossip = context?.gossip;
    if (typeof gossip !== "object" || gossip === null) return;
    // The sender's clock at sending; without it (an older sender writes Go's zero time) the
    // entries' ages are unknown and they are not taken.
    const sentAt = Date.parse(own.time);
    if (!Number.isFinite(sentAt) || sentAt <= 0) return;
    for (const entry of Object.values(gossip as Record<string, unknown>)) {
      let heard: Announcement;
      try {
        heard = parseAnnouncement(entry);
      } catch {
        continue; // one malformed entry does not spoil the rest
      }
      if (!this.isRegistered(heard.tcpAddr)) continue;
      const stamped = Date.parse(heard.time);
      if (!Number.isFinite(stamped)) continue;
      const age = Math.max(0, sentAt - stamped);
      if (age >= this.expirationMs) continue;
      const at = now - age;
      const known = this.registered.get(heard.tcpAddr);
      if (!known || known.heardAt < at)
        this.put({ ...heard, time: new Date(at).toISOString(), context: null }, at, false);
    }
  }

  private put(announcement: Announcement, heardAt: number, direct: boolean): void {
    const key = announcement.tcpAddr;
    if (key === this.selfTcpAddr) return;
    if (this.isRegistered(key)) {
      this.unregistered.delete(key);
      this.registered.set(key, { announcement, heardAt });
    } else if (direct) {
      this.unregistered.delete(key); // re-inserted last: the oldest is dropped first
      this.unregistered.set(key, { announcement, heardAt });
      if (this.unregistered.size > MAX_UNREGISTERED) {
        this.unregistered.delete(this.unregistered.keys().next().value as string);
      }
    }
  }

  /** The unexpired announcement of the node at `tcpAddr`. */
  get(tcpAddr: string): Announcement | undefined {
    const heard = this.registered.get(tcpAddr) ?? this.unregistered.get(tcpAddr);
    return heard && heard.heardAt >= this.now() - this.expirationMs ? heard.announcement : undefined;
  }

  /** The unexpired announcements of nodes in the metadata, by TCP address: what gossip passes on. */
  all(): Record<string, Announcement> {
    this.prune();
    const out: Record<string, Announcement> = {};
    for (const [key, { announcement }] of this.registered)
      if (this.isRegistered(key)) out[key] = announcement;
    return out;
  }

  /** How many announcements are held (for tests and benchmarks). */
  size(): number {
    this.prune();
    return this.registered.size + this.unregistered.size;
  }

  private prune(): void {
    const oldest = this.now() - this.expirationMs;
    for (const table of [this.registered, this.unregistered])
      for (const [key, { heardAt }] of table) if (heardAt < oldest) table.delete(key);
    // A node removed from the metadata stops counting as registered.
    for (const key of this.registered.keys()) if (!this.isRegistered(key)) this.registered.delete(key);
  }
}

/** A membership test over the metadata's meta and data nodes, rebuilt only when the metadata changes. */
export function registeredIn(
  data: () => {
    metaNodes: readonly { tcpAddr: string }[];
    dataNodes: readonly { tcpAddr: string }[];
  },
): (tcpAddr: string) => boolean {
  let seen: object | null = null;
  let addrs = new Set<string>();
  return (tcpAddr) => {
    const current = data();
    if (current !== seen) {
      seen = current;
      addrs = new Set([...current.metaNodes, ...current.dataNodes].map((n) => n.tcpAddr));
    }
    return addrs.has(tcpAddr);
  };
}
