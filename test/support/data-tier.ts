// A data tier for tests: data-node stand-ins joined to a real local cluster, databases whose shard
// groups they own, points written to every owner and the checksums that prove a copy kept them.
import { createShardedDatabase, shardOwnerAddrs, writeToOwners } from "../../src/demo/demo-data.ts";
import type { LocalCluster } from "../../src/demo/local-cluster.ts";
import type { MetaData } from "../../src/proto/index.ts";
import { metaClient } from "./cluster.ts";
import { DataNodeStandIn } from "./data-node.ts";

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
    const name = `db${++this.dbCount}`;
    const shards = await createShardedDatabase(metaClient(this.cluster()), {
      name,
      policy: "rp",
      replicaN,
      hoursAgo,
    });
    return { name, shards };
  }

  /** Owners (stand-ins) of a shard in the metadata. */
  async owners(shard: number): Promise<DataNodeStandIn[]> {
    const data = await this.metadata();
    return shardOwnerAddrs(data, shard).map((addr) => this.standIns.find((x) => x.tcpAddr === addr)!);
  }

  /** Writes the same points to every owner of the shard; returns their checksum. */
  async seed(shard: number, points = 20): Promise<string> {
    const lines = Array.from({ length: points }, (_, i) => `cpu,shard=${shard} value=${i} ${i}`);
    const holders = writeToOwners(await this.metadata(), this.standIns, shard, lines);
    return holders[0].checksum(shard);
  }

  /** Owners that hold the shard with the given checksum. */
  async liveCopies(shard: number, checksum: string): Promise<number> {
    return (await this.owners(shard)).filter((o) => o.checksum(shard) === checksum).length;
  }
}
