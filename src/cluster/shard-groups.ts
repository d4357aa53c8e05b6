/**
 * The compact answer of our meta nodes to `GET /show-shards?format=groups` (docs/http-api.md):
 * the same listing as Go's array of ClusterShardInfo, grouped by shard group, every text sent
 * once and the rest as one flat array of numbers.
 *
 * Why: at production size (200,000 shards) Go's format is about 110 MB of JSON, and what a client
 * makes of it (a million objects and strings, all alive until they are printed) takes seconds to
 * parse and seconds more in the collector. This one is about a twentieth of the bytes, and parses into
 * one string of integers and a few thousand strings. influxd-ctl asks for it and takes Go's
 * array when a Go node ignores the parameter; verbose listings (owners' state from the data nodes)
 * always use Go's format.
 */
import { goTime, type ClusterShardInfo, type ShardOwnerInfo } from "../contract/data-tier.ts";

export const SHARD_GROUPS_FORMAT = "groups";

export interface ShardGroupListing {
  format: typeof SHARD_GROUPS_FORMAT;
  /** Data nodes as [ID, TCP address]: what owners' IDs name. */
  nodes: [id: number, tcpAddr: string][];
  /** Every text of the listing once (names and times, as ClusterShardInfo writes them). */
  strings: string[];
  /**
   * The shard groups one after another, as decimal integers separated by commas (a JSON array
   * of 2 million numbers takes V8's JSON.parse a third of a second; this string, a scan of tens of
   * milliseconds). Each group: database, retention policy (indices into `strings`),
   * replica-n, shard group ID, start, end, expire and truncated-at times (indices into `strings`),
   * the number of shards, then for each shard its ID, its number of owners and their node IDs.
   */
  groups: string;
}

/** One live shard group and its shards: what the server lists, and what a listing decodes to. */
export interface ListedGroup {
  database: string;
  retentionPolicy: string;
  replicaN: number;
  id: number;
  startTime: string;
  endTime: string;
  expireTime: string;
  truncatedAt: string;
  shards: readonly { readonly id: number; readonly owners: readonly { readonly nodeId: number }[] }[];
}

/** The compact listing of `groups`. */
export function listShardGroups(
  nodes: readonly { readonly id: number; readonly tcpAddr: string }[],
  groups: Iterable<ListedGroup>,
): ShardGroupListing {
  const strings: string[] = [];
  const indices = new Map<string, number>();
  const text = (s: string): number => {
    let at = indices.get(s);
    if (at === undefined) indices.set(s, (at = strings.push(s) - 1));
    return at;
  };
  const flat: number[] = [];
  for (const g of groups) {
    flat.push(text(g.database), text(g.retentionPolicy), g.replicaN, g.id);
    flat.push(text(g.startTime), text(g.endTime), text(g.expireTime), text(g.truncatedAt));
    flat.push(g.shards.length);
    for (const shard of g.shards) {
      flat.push(shard.id, shard.owners.length);
      for (const owner of shard.owners) flat.push(owner.nodeId);
    }
  }
  return {
    format: SHARD_GROUPS_FORMAT,
    nodes: nodes.map((n) => [n.id, n.tcpAddr]),
    strings,
    // JSON's writer turns numbers into text ten times faster than Array.join; without its brackets.
    groups: JSON.stringify(flat).slice(1, -1),
  };
}

export function isShardGroupListing(body: unknown): body is ShardGroupListing {
  const listing = body as Partial<ShardGroupListing> | null;
  return (
    typeof listing === "object" &&
    listing !== null &&
    listing.format === SHARD_GROUPS_FORMAT &&
    Array.isArray(listing.nodes) &&
    Array.isArray(listing.strings) &&
    typeof listing.groups === "string"
  );
}

/**
 * The shard groups of a listing, decoded as they are read. Throws on a listing that ends mid-group
 * or names a text it does not carry.
 */
export function* groupsOf(listing: ShardGroupListing): Generator<ListedGroup> {
  const { strings, groups } = listing;
  let at = 0;
  /** The next integer of `groups` (at most 2^53 - 1, as every ID here). */
  const next = (): number => {
    if (at >= groups.length) throw new Error("malformed shard listing: it ends inside a shard group");
    let n = 0;
    const start = at;
    for (let c = groups.charCodeAt(at); c >= 48 && c <= 57; c = groups.charCodeAt(++at)) n = n * 10 + c - 48;
    if (at === start || at - start > 16 || (at < groups.length && groups.charCodeAt(at) !== 44)) {
      throw new Error(`malformed shard listing: not a number at character ${start}`);
    }
    at += 1; // the comma
    return n;
  };
  const text = (): string => {
    const s = strings[next()];
    if (s === undefined) throw new Error("malformed shard listing: a text index out of range");
    return s;
  };
  while (at < groups.length) {
    const [database, retentionPolicy, replicaN, id] = [text(), text(), next(), next()];
    const [startTime, endTime, expireTime, truncatedAt] = [text(), text(), text(), text()];
    const shards: ListedGroup["shards"][number][] = [];
    for (let count = next(); count > 0; count--) {
      const shardId = next();
      const owners: { nodeId: number }[] = [];
      for (let n = next(); n > 0; n--) owners.push({ nodeId: next() });
      shards.push({ id: shardId, owners });
    }
    yield { database, retentionPolicy, replicaN, id, startTime, endTime, expireTime, truncatedAt, shards };
  }
}

/**
 * Shard groups in Go's shape, one entry per shard, made as they are read (a caller walking
 * 200,000 shards need not hold them all): what the server answers in Go's format, and what the
 * client makes of a compact listing. Entries share their owner records where the owners are the
 * same nodes: read them, do not change them.
 */
export function* shardsOf(
  groups: Iterable<ListedGroup>,
  nodes: readonly { readonly id: number; readonly tcpAddr: string }[],
): Generator<ClusterShardInfo> {
  const addrs = new Map(nodes.map((n) => [n.id, n.tcpAddr]));
  const owners = new Map<number, ShardOwnerInfo>();
  const ownerOf = ({ nodeId: id }: { readonly nodeId: number }): ShardOwnerInfo => {
    let owner = owners.get(id);
    if (!owner) {
      owner = { id, tcpAddr: addrs.get(id) ?? "", state: "", "last-modified": goTime(0n), size: 0, err: "" };
      owners.set(id, owner);
    }
    return owner;
  };
  for (const g of groups) {
    for (const shard of g.shards) {
      yield {
        id: shard.id,
        database: g.database,
        "retention-policy": g.retentionPolicy,
        "replica-n": g.replicaN,
        "shard-group-id": g.id,
        "start-time": g.startTime,
        "end-time": g.endTime,
        "expire-time": g.expireTime,
        "truncated-at": g.truncatedAt,
        owners: shard.owners.map(ownerOf),
      };
    }
  }
}

/** A compact listing in Go's shape (see shardsOf); throws as groupsOf does. */
export function shardsOfGroups(listing: ShardGroupListing): Generator<ClusterShardInfo> {
  return shardsOf(
    groupsOf(listing),
    listing.nodes.map(([id, tcpAddr]) => ({ id, tcpAddr })),
  );
}
