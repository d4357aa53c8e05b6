/**
 * The replica health of the data tier, and the rebalance plan derived from it. Pure: the caller
 * gathers the state (the server from its metadata and each data node's ListShards RPC; the client
 * of a Go meta API from a verbose /show-shards), these functions only compare.
 *
 * For every shard they compare the owners in the metadata, the copies the data nodes report and
 * which data nodes are up. A copy is live when its owner is up and reports it. A copy on a node the
 * metadata does not list as an owner is an orphan: reads and writes never reach it, so it does not
 * count as live. A node that is down says nothing: its shards are neither live nor missing there.
 */
import type {
  DataNodeHealth,
  OrphanCopy,
  RebalanceMove,
  RebalancePlan,
  ReplicaHealthReport,
  ShardHealth,
  ShardHealthState,
} from "../contract/data-tier.ts";
import { refused, type OperationError } from "./errors.ts";

/** A copy as its data node reports it. */
export interface TierCopy {
  size: number;
  state: string;
}

export interface TierNode {
  id: number;
  tcpAddr: string;
  /** It answered (ListShards, or a verbose listing shows it answering). */
  up: boolean;
  error?: string;
  /** The copies it reports, by shard ID (empty when down). */
  copies: ReadonlyMap<number, TierCopy>;
}

export interface TierShard {
  id: number;
  database: string;
  retentionPolicy: string;
  replicaN: number;
  shardGroupId: number;
  /** Its shard group is still current (not ended, not truncated): it is written to. */
  hot: boolean;
  owners: readonly number[];
}

export interface DataTierState {
  nodes: readonly TierNode[];
  shards: readonly TierShard[];
}

/** How many shard IDs a refusal names before it gives only the count. */
export const NAMED_SHARDS = 5;

/** `ids` as "1, 2, 3, 4, 5 and 7 more". */
export function nameShards(ids: readonly number[]): string {
  const named = ids.slice(0, NAMED_SHARDS).join(", ");
  return ids.length > NAMED_SHARDS ? `${named} and ${ids.length - NAMED_SHARDS} more` : named;
}

/** What a forced remove-data loses, said before it is confirmed (influxd-ctl and the TUI). */
export function lostShardsText(ids: readonly number[]): string {
  return `${ids.length} shard${ids.length === 1 ? "" : "s"} lose their last live copy (${nameShards(ids)}): their data is lost`;
}

/** Removing the data node would lose the only live copy of these shards (LAST_LIVE_COPY). */
export function holdsLastCopies(tcpAddr: string, ids: readonly number[]): OperationError {
  return refused(
    409,
    `data node ${tcpAddr} holds the last live copy of ${ids.length} shard${ids.length === 1 ? "" : "s"} (${nameShards(ids)}); it was not removed. Move them first: influxd-ctl rebalance -drain ${tcpAddr}; or remove it anyway with -force, losing them`,
    "LAST_LIVE_COPY",
  );
}

/** Removing this copy would destroy the shard's data (LAST_LIVE_COPY). */
export function lastCopy(src: string, id: number): OperationError {
  return refused(
    409,
    `data node ${src} holds the last live copy of shard ${id}; removing it destroys the shard's data. Copy it first (influxd-ctl copy-shard ${src} <dest> ${id}), or remove it anyway with influxd-ctl remove-shard -force (over the meta API: force=true; Go's influxd-ctl has no -force)`,
    "LAST_LIVE_COPY",
  );
}

export function destHasShard(dest: string, id: number, owns: boolean, size = 0): OperationError {
  return refused(
    409,
    owns
      ? `data node ${dest} already owns shard ${id}`
      : `data node ${dest} already holds a copy of shard ${id} (${size} bytes) that no metadata lists; remove it first (influxd-ctl remove-shard ${dest} ${id}) or keep it`,
    "COPY_DEST_HAS_SHARD",
  );
}

export function sourceLacksShard(src: string, id: number): OperationError {
  return refused(
    409,
    `data node ${src} owns shard ${id} but does not hold it; copy it from another owner`,
    "COPY_SOURCE_LACKS_SHARD",
  );
}

type NodeIndex = ReadonlyMap<number, TierNode>;

export function indexNodes(nodes: readonly TierNode[]): Map<number, TierNode> {
  return new Map(nodes.map((n) => [n.id, n]));
}

/** One shard's health. */
export function shardHealth(shard: TierShard, nodes: NodeIndex): ShardHealth {
  const live: number[] = [];
  const missing: number[] = [];
  let size = 0;
  for (const owner of shard.owners) {
    const node = nodes.get(owner);
    if (!node?.up) continue;
    const copy = node.copies.get(shard.id);
    if (copy) {
      live.push(owner);
      if (copy.size > size) size = copy.size;
    } else {
      missing.push(owner);
    }
  }
  const states: ShardHealthState[] = [];
  if (live.length === 0) states.push("unavailable");
  else if (live.length < shard.replicaN) states.push("under-replicated");
  if (missing.length > 0) states.push("missing");
  if (states.length === 0) states.push("healthy");
  if (shard.hot) states.push("hot");
  return {
    id: shard.id,
    database: shard.database,
    "retention-policy": shard.retentionPolicy,
    "replica-n": shard.replicaN,
    "shard-group-id": shard.shardGroupId,
    states,
    owners: [...shard.owners],
    live,
    missing,
    size,
  };
}

/** Which shards a health report lists: none (the summary only), those needing attention, all. */
export type HealthDetail = "none" | "problems" | "all";

/** The health of every shard, the orphan copies and each data node's share. `detail`: which
 *  shards to list (true: all, false: those that are not healthy). */
export function assessReplicas(
  state: DataTierState,
  detail: boolean | HealthDetail = false,
): ReplicaHealthReport {
  const level: HealthDetail = detail === true ? "all" : detail === false ? "problems" : detail;
  const nodes = indexNodes(state.nodes);
  const perNode = new Map<number, DataNodeHealth>(
    state.nodes.map((n) => [
      n.id,
      {
        id: n.id,
        tcpAddr: n.tcpAddr,
        up: n.up,
        ...(n.error ? { error: n.error } : {}),
        shards: 0,
        bytes: 0,
        lastCopies: 0,
      },
    ]),
  );
  for (const n of state.nodes) {
    let bytes = 0;
    for (const c of n.copies.values()) bytes += c.size;
    perNode.get(n.id)!.bytes = bytes;
  }
  const summary = {
    shards: 0,
    healthy: 0,
    "under-replicated": 0,
    unavailable: 0,
    missing: 0,
    orphan: 0,
    hot: 0,
    "nodes-up": state.nodes.filter((n) => n.up).length,
    "nodes-down": state.nodes.filter((n) => !n.up).length,
  };
  const shards: ShardHealth[] = [];
  /** Per node, how many of its copies are of shards it owns: any more are orphans. */
  const ownedCopies = new Map<number, number>();
  for (const shard of state.shards) {
    summary.shards++;
    // The common case (every owner up and holding it, enough of them) without allocating.
    let live = 0;
    let lastLive = 0;
    let unsure = false;
    for (const o of shard.owners) {
      const n = perNode.get(o);
      if (n) n.shards++;
      const node = nodes.get(o);
      if (node?.up && node.copies.has(shard.id)) {
        live++;
        lastLive = o;
        ownedCopies.set(o, (ownedCopies.get(o) ?? 0) + 1);
      } else {
        unsure = true;
      }
    }
    if (live === 1) perNode.get(lastLive)!.lastCopies++;
    if (level !== "all" && !unsure && live >= shard.replicaN) {
      summary.healthy++;
      if (shard.hot) summary.hot++;
      continue;
    }
    const h = shardHealth(shard, nodes);
    for (const s of h.states) summary[s]++;
    if (level === "all" || (level === "problems" && h.states.some((s) => s !== "healthy" && s !== "hot")))
      shards.push(h);
  }
  const orphans: OrphanCopy[] = [];
  let owned: Map<number, readonly number[]> | undefined;
  for (const n of state.nodes) {
    if (n.copies.size <= (ownedCopies.get(n.id) ?? 0)) continue;
    owned ??= new Map(state.shards.map((s) => [s.id, s.owners]));
    for (const [id, copy] of n.copies) {
      const owners = owned.get(id);
      if (owners?.includes(n.id)) continue;
      orphans.push({
        shard: id,
        node: n.id,
        tcpAddr: n.tcpAddr,
        size: copy.size,
        known: owners !== undefined,
      });
    }
  }
  summary.orphan = orphans.length;
  return { summary, nodes: [...perNode.values()], shards, orphans };
}

/** Whether `nodeId` holds a shard's only live copy (removing it would destroy the shard's data). */
export function isLastLiveCopy(health: { live: readonly number[] }, nodeId: number): boolean {
  return health.live.length === 1 && health.live[0] === nodeId;
}

/** In a report listing every shard: the IDs of those whose only live copy is on `nodeId` (what
 *  remove-data of that node would lose; influxd-ctl's and the TUI's plans). */
export function lastCopiesInReport(report: ReplicaHealthReport, nodeId: number): number[] {
  return report.shards.filter((s) => isLastLiveCopy(s, nodeId)).map((s) => s.id);
}

/** The shards whose only live copy is on `nodeId` (what removing that copy or node would lose). */
export function lastLiveCopies(state: DataTierState, nodeId: number): ShardHealth[] {
  const nodes = indexNodes(state.nodes);
  const out: ShardHealth[] = [];
  for (const shard of state.shards) {
    if (!shard.owners.includes(nodeId)) continue;
    const h = shardHealth(shard, nodes);
    if (isLastLiveCopy(h, nodeId)) out.push(h);
  }
  return out;
}

interface Load {
  node: TierNode;
  /** How many shards the metadata (with the plan's moves) lists it as owner of: what is evened. */
  count: number;
  bytes: number;
  /** Shards it owned before the plan, in order, to pick moves from. */
  order: TierShard[];
  cursor: number;
}

const byLoad = (a: Load, b: Load) => a.count - b.count || a.bytes - b.bytes || a.node.id - b.node.id;

/**
 * The moves that even the shards across the live data nodes (by count, ties by bytes), or with
 * `drain` (a data node's TCP address) move every shard off that node. A move never makes a shard
 * less replicated: it copies from a live copy to a live node that neither owns nor holds the
 * shard, before the source's copy and ownership are dropped. A dead node's shards stay where they
 * are unless it is the one drained; then they are copied from another live owner.
 */
export function planRebalance(state: DataTierState, opts: { drain?: string } = {}): RebalancePlan {
  const nodes = indexNodes(state.nodes);
  const drained = opts.drain === undefined ? undefined : state.nodes.find((n) => n.tcpAddr === opts.drain);
  if (opts.drain !== undefined && !drained) {
    throw refused(404, `data node ${opts.drain} does not exist in cluster`, "NO_SUCH_DATA_NODE");
  }
  const loads = new Map<number, Load>();
  for (const n of state.nodes) {
    if (!n.up || n === drained) continue;
    let bytes = 0;
    for (const c of n.copies.values()) bytes += c.size;
    loads.set(n.id, { node: n, count: 0, bytes, order: [], cursor: 0 });
  }
  for (const s of state.shards) {
    for (const o of s.owners) {
      const l = loads.get(o);
      if (l) {
        l.count++;
        l.order.push(s);
      }
    }
  }
  /** Owners after the moves planned so far (only moved shards are here). */
  const moved = new Map<number, number[]>();
  const ownersOf = (s: TierShard): readonly number[] => moved.get(s.id) ?? s.owners;
  const count = () => Object.fromEntries([...loads.values()].map((l) => [l.node.tcpAddr, l.count]));
  const before = count();
  const moves: RebalanceMove[] = [];
  const skipped: RebalancePlan["skipped"] = [];
  const ref = (n: TierNode) => ({ id: n.id, tcpAddr: n.tcpAddr });
  /** A live node can take the shard: it neither owns it nor holds a copy of it. */
  const canTake = (l: Load, s: TierShard) => !ownersOf(s).includes(l.node.id) && !l.node.copies.has(s.id);
  const move = (shard: TierShard, from: TierNode, source: TierNode, dest: Load) => {
    const size = from.copies.get(shard.id)?.size ?? 0;
    moves.push({
      shard: shard.id,
      database: shard.database,
      "retention-policy": shard.retentionPolicy,
      from: ref(from),
      source: ref(source),
      dest: ref(dest.node),
      size,
      hot: shard.hot,
      sourceDown: !source.up,
    });
    moved.set(shard.id, [...ownersOf(shard).filter((o) => o !== source.id), dest.node.id]);
    dest.count++;
    dest.bytes += size;
    const src = loads.get(source.id);
    if (src) {
      src.count--;
      src.bytes -= size;
    }
  };

  if (drained) {
    const targets = [...loads.values()];
    for (const shard of state.shards) {
      if (!shard.owners.includes(drained.id)) continue;
      const from = drained.up && drained.copies.has(shard.id) ? drained : liveOwner(shard, nodes, drained.id);
      if (!from) {
        skipped.push({ shard: shard.id, reason: "no live copy to copy from" });
        continue;
      }
      let dest: Load | undefined;
      for (const l of targets) if (canTake(l, shard) && (!dest || byLoad(l, dest) < 0)) dest = l;
      if (!dest) {
        skipped.push({ shard: shard.id, reason: "every other live data node already holds it" });
        continue;
      }
      move(shard, from, drained, dest);
    }
  } else {
    const sorted = [...loads.values()];
    // Each round moves one shard from the fullest node to the emptiest that can take one.
    for (;;) {
      sorted.sort(byLoad);
      const full = sorted[sorted.length - 1];
      if (!full || full.count - sorted[0].count <= 1) break;
      let done = false;
      while (!done && full.cursor < full.order.length) {
        const shard = full.order[full.cursor++];
        if (!ownersOf(shard).includes(full.node.id) || !full.node.copies.has(shard.id)) continue;
        const dest = sorted.find((l) => l.count < full.count - 1 && canTake(l, shard));
        if (!dest) continue;
        move(shard, full.node, full.node, dest);
        done = true;
      }
      if (!done) break;
    }
  }
  return {
    ...(drained ? { drain: drained.tcpAddr } : {}),
    moves,
    skipped,
    before,
    after: count(),
    bytes: moves.reduce((sum, m) => sum + m.size, 0),
  };
}

function liveOwner(shard: TierShard, nodes: NodeIndex, except: number): TierNode | undefined {
  for (const o of shard.owners) {
    const n = nodes.get(o);
    if (o !== except && n?.up && n.copies.has(shard.id)) return n;
  }
  return undefined;
}

/** A shard as a verbose /show-shards lists it (Go's ClusterShardInfo, owners possibly null). */
export interface ListedShard {
  id: number;
  database: string;
  "retention-policy": string;
  "replica-n": number;
  "shard-group-id": number;
  "end-time": string;
  "truncated-at": string;
  owners: readonly { id: number; tcpAddr: string; state?: string; size?: number; err?: string }[] | null;
}

/** The shard group is current at `nowMs`: it ends (or was truncated) later. */
export function isHot(endTime: string, truncatedAt: string, nowMs: number): boolean {
  const truncated = Date.parse(truncatedAt);
  const end = truncatedAt && truncated > 0 ? truncated : Date.parse(endTime);
  return Number.isFinite(end) && end > nowMs;
}

/**
 * The state as a client of a meta API sees it through a verbose /show-shards (the meta node asked
 * every data node): an owner entry without an error is a copy its node reports; a node counts as
 * up when some entry of it has no error or it owns nothing. Orphan copies are not visible this way.
 */
export function stateFromListing(
  dataNodes: readonly { id: number; tcpAddr: string }[],
  listing: Iterable<ListedShard>,
  nowMs: number,
): DataTierState {
  const copies = new Map<number, Map<number, TierCopy>>(dataNodes.map((n) => [n.id, new Map()]));
  const answered = new Set<number>();
  const owns = new Set<number>();
  const errors = new Map<number, string>();
  const shards: TierShard[] = [];
  for (const s of listing) {
    const owners = s.owners ?? [];
    for (const o of owners) {
      owns.add(o.id);
      if (!o.err) {
        answered.add(o.id);
        copies.get(o.id)?.set(s.id, { size: o.size ?? 0, state: o.state ?? "" });
      } else if (!/not found/i.test(o.err)) {
        errors.set(o.id, o.err);
      }
    }
    shards.push({
      id: s.id,
      database: s.database,
      retentionPolicy: s["retention-policy"],
      replicaN: s["replica-n"],
      shardGroupId: s["shard-group-id"],
      hot: isHot(s["end-time"], s["truncated-at"], nowMs),
      owners: owners.map((o) => o.id),
    });
  }
  const nodes = dataNodes.map((n): TierNode => {
    const up = answered.has(n.id) || (!owns.has(n.id) && !errors.has(n.id));
    const error = up ? undefined : (errors.get(n.id) ?? "reports none of its shards");
    return {
      id: n.id,
      tcpAddr: n.tcpAddr,
      up,
      ...(error ? { error } : {}),
      copies: up ? copies.get(n.id)! : new Map(),
    };
  });
  return { nodes, shards };
}

/** What the model reads of a database in the metadata (our state's or a decoded `Data`). */
export interface MetadataDatabase {
  readonly name: string;
  readonly retentionPolicies: readonly {
    readonly name: string;
    readonly duration: bigint;
    readonly replicaN: number;
    readonly shardGroups: readonly {
      readonly id: number;
      readonly endTime: bigint;
      readonly deletedAt: bigint;
      readonly truncatedAt: bigint;
      readonly shards: readonly {
        readonly id: number;
        readonly owners: readonly { readonly nodeId: number }[];
      }[];
    }[];
  }[];
}

/**
 * The live shards of the metadata (not deleted, not expired) as the model reads them; `nowNs`
 * decides which shard groups are current (hot) and which have expired.
 */
export function shardsOfMetadata(databases: Iterable<MetadataDatabase>, nowNs: bigint): TierShard[] {
  const out: TierShard[] = [];
  for (const db of databases) {
    for (const rp of db.retentionPolicies) {
      for (const sg of rp.shardGroups) {
        if (sg.deletedAt !== 0n) continue;
        if (rp.duration !== 0n && sg.endTime + rp.duration < nowNs) continue;
        const end = sg.truncatedAt !== 0n && sg.truncatedAt < sg.endTime ? sg.truncatedAt : sg.endTime;
        for (const shard of sg.shards) {
          out.push({
            id: shard.id,
            database: db.name,
            retentionPolicy: rp.name,
            replicaN: rp.replicaN,
            shardGroupId: sg.id,
            hot: end > nowNs,
            owners: shard.owners.map((o) => o.nodeId),
          });
        }
      }
    }
  }
  return out;
}
