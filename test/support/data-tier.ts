// A data tier for tests: data-node stand-ins joined to a real local cluster, databases whose shard
// groups they own, points written to every owner and the checksums that prove a copy kept them.
import type { LocalCluster } from "../../src/demo/local-cluster.ts";
import type { MetaData } from "../../src/proto/index.ts";
import { metaClient } from "./cluster.ts";
import { DataNodeStandIn } from "./data-node.ts";

const HOUR_NS = 3_600_000_000_000n;
const nowNs = () => BigInt(Date.now()) * 1_000_000n;

export class DataTier {
  readonly standIns: DataNodeStandIn[] = [];
  private dbCount = 0;

  constructor(private readonly cluster: () => LocalCluster) {}

  async stop(): Promise<void> {
    await Promise.all(this.standIns.map((s) => s.stop().catch(() => undefined)));
  }

  /** A new stand-in, added to the cluster. */
  async dataNode(): Promise<DataNodeStandIn> {
    const node = await DataNodeStandIn.start();
    this.standIns.push(node);
    await this.cluster().admin(0).addData(node.tcpAddr);
    return node;
  }

  metadata(): Promise<MetaData> {
    return metaClient(this.cluster()).data();
  }

  /** A database whose retention policy keeps `replicaN` copies, with one shard group `hoursAgo`
   *  hours old (0: the current one, hot). Returns the new shards' IDs. */
  async database(replicaN: number, hoursAgo: number[]): Promise<{ name: string; shards: number[] }> {
    const client = metaClient(this.cluster());
    const name = `db${++this.dbCount}`;
    await client.execute({
      type: "CreateDatabaseCommand",
      name,
      retentionPolicy: {
        name: "rp",
        duration: 0n,
        shardGroupDuration: HOUR_NS,
        replicaN,
        shardGroups: [],
        subscriptions: [],
      },
    });
    for (const h of hoursAgo) {
      await client.execute({
        type: "CreateShardGroupCommand",
        database: name,
        policy: "rp",
        timestamp: nowNs() - BigInt(h) * HOUR_NS,
      });
    }
    const data = await client.data();
    const rp = data.databases.find((d) => d.name === name)!.retentionPolicies[0];
    return { name, shards: rp.shardGroups.flatMap((g) => g.shards.map((s) => s.id)) };
  }

  /** Owners (stand-ins) of a shard in the metadata. */
  async owners(shard: number): Promise<DataNodeStandIn[]> {
    const data = await this.metadata();
    const s = data.databases
      .flatMap((d) => d.retentionPolicies.flatMap((r) => r.shardGroups.flatMap((g) => g.shards)))
      .find((x) => x.id === shard);
    // The metadata drops a shard with no owner left.
    return (s?.owners ?? []).map((o) => {
      const addr = data.dataNodes.find((n) => n.id === o.nodeId)!.tcpAddr;
      return this.standIns.find((x) => x.tcpAddr === addr)!;
    });
  }

  /** Writes the same points to every owner of the shard; returns their checksum. */
  async seed(shard: number, points = 20): Promise<string> {
    const lines = Array.from({ length: points }, (_, i) => `cpu,shard=${shard} value=${i} ${i}`);
    const holders = await this.owners(shard);
    for (const o of holders) o.write(shard, lines);
    return holders[0].checksum(shard);
  }

  /** Owners that hold the shard with the given checksum. */
  async liveCopies(shard: number, checksum: string): Promise<number> {
    return (await this.owners(shard)).filter((o) => o.checksum(shard) === checksum).length;
  }
}
