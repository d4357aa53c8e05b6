/**
 * The data tier of the demo, and the pieces of it the tests share: demo data nodes added to a
 * local cluster as `influxd-ctl add-data` adds them, databases with hour-long shard groups, and
 * generated points written to every owner of a shard. The last node is added after the shards
 * exist, so it starts empty and a rebalance (`b` in the data tier) has real moves to plan onto it.
 */
import type { MetaClient } from "../meta/client.ts";
import type { MetaData } from "../proto/index.ts";
import { DemoDataNode } from "./data-node.ts";
import type { LocalCluster } from "./local-cluster.ts";

export const HOUR_NS = 3_600_000_000_000n;
const nowNs = () => BigInt(Date.now()) * 1_000_000n;

export interface ShardedDatabase {
  name: string;
  /** The retention policy (kept forever, hour-long shard groups). */
  policy: string;
  replicaN: number;
  /** One shard group per entry, that many hours ago (0: the current one, hot). */
  hoursAgo: number[];
}

/** Creates the database and its shard groups; returns the new shards' IDs. */
export async function createShardedDatabase(client: MetaClient, db: ShardedDatabase): Promise<number[]> {
  await client.execute({
    type: "CreateDatabaseCommand",
    name: db.name,
    retentionPolicy: {
      name: db.policy,
      duration: 0n,
      shardGroupDuration: HOUR_NS,
      replicaN: db.replicaN,
      shardGroups: [],
      subscriptions: [],
    },
  });
  for (const h of db.hoursAgo) {
    await client.execute({
      type: "CreateShardGroupCommand",
      database: db.name,
      policy: db.policy,
      timestamp: nowNs() - BigInt(h) * HOUR_NS,
    });
  }
  const rp = (await client.data()).databases
    .find((d) => d.name === db.name)!
    .retentionPolicies.find((r) => r.name === db.policy)!;
  return rp.shardGroups.flatMap((g) => g.shards.map((s) => s.id));
}

/** TCP addresses of the shard's owners in the metadata (none: the metadata drops a shard with no
 *  owner left). */
export function shardOwnerAddrs(data: MetaData, shardId: number): string[] {
  const shard = data.databases
    .flatMap((d) => d.retentionPolicies.flatMap((r) => r.shardGroups.flatMap((g) => g.shards)))
    .find((s) => s.id === shardId);
  return (shard?.owners ?? []).map((o) => data.dataNodes.find((n) => n.id === o.nodeId)!.tcpAddr);
}

/** Writes the same points to every owner of the shard (found among `nodes`); returns the owners. */
export function writeToOwners<N extends DemoDataNode>(
  data: MetaData,
  nodes: N[],
  shardId: number,
  lines: string[],
): N[] {
  const owners = shardOwnerAddrs(data, shardId).map((addr) => nodes.find((n) => n.tcpAddr === addr)!);
  for (const o of owners) o.write(shardId, lines);
  return owners;
}

/** The demo's databases: telegraf kept twice, metrics once. */
const DEMO_DATABASES: ShardedDatabase[] = [
  { name: "telegraf", policy: "autogen", replicaN: 2, hoursAgo: [5, 4, 3, 2, 1, 0] },
  { name: "metrics", policy: "autogen", replicaN: 1, hoursAgo: [2, 1, 0] },
];

/** A minute of cpu points for four hosts, one every 10 s, in the shard group's first minute. */
function demoPoints(startNs: bigint): string[] {
  return Array.from({ length: 24 }, (_, i) => {
    const host = `server0${(i % 4) + 1}`;
    const at = startNs + BigInt(Math.floor(i / 4)) * 10_000_000_000n;
    return `cpu,host=${host} usage_user=${(20 + 15 * Math.sin(i)).toFixed(2)} ${at}`;
  });
}

/**
 * Starts `count` demo data nodes, adds them through the admin service (as `influxd-ctl add-data`),
 * creates the demo's databases with points in every owner's copy, and adds the last node only
 * then (when there are two or more), empty. Stops what it started if any step fails.
 */
export async function startDemoDataTier(
  cluster: LocalCluster,
  client: MetaClient,
  count: number,
): Promise<DemoDataNode[]> {
  const nodes: DemoDataNode[] = [];
  try {
    const add = async () => {
      const node = await DemoDataNode.start({ http: true });
      nodes.push(node);
      await cluster.admin(0).addData(node.tcpAddr);
    };
    if (count === 0) return nodes;
    const before = Math.max(1, count - 1);
    for (let i = 0; i < before; i++) await add();
    for (const db of DEMO_DATABASES) await createShardedDatabase(client, db);
    const data = await client.data();
    for (const db of data.databases.filter((d) => DEMO_DATABASES.some((x) => x.name === d.name)))
      for (const group of db.retentionPolicies.flatMap((r) => r.shardGroups))
        for (const shard of group.shards) writeToOwners(data, nodes, shard.id, demoPoints(group.startTime));
    for (let i = before; i < count; i++) await add();
    return nodes;
  } catch (err) {
    await stopDataNodes(nodes);
    throw err;
  }
}

export async function stopDataNodes(nodes: DemoDataNode[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)));
}
