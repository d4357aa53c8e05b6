/** A Go-shaped `Data` of any size, as a large meta tier holds it (the import-size tests and bench). */
import type { DatabaseInfo, MetaData } from "../../src/proto/index.ts";

const DAY = 86_400_000_000_000n;

/** `databases` databases with one "autogen" policy of `groupsPerDatabase` weekly shard groups,
 *  each with one shard on data nodes 4 and 5. 10,000 × 10 is the size of issue 23 (4.6 MB). */
export function largeData(databases: number, groupsPerDatabase: number): MetaData {
  let sg = 0;
  let sh = 0;
  const list: DatabaseInfo[] = [];
  for (let i = 0; i < databases; i++) {
    const shardGroups = [];
    for (let g = 0; g < groupsPerDatabase; g++) {
      const start = 1_600_000_000_000_000_000n + BigInt(g) * 7n * DAY;
      shardGroups.push({
        id: ++sg,
        startTime: start,
        endTime: start + 7n * DAY,
        deletedAt: 0n,
        truncatedAt: 0n,
        shards: [{ id: ++sh, owners: [{ nodeId: 4 }, { nodeId: 5 }] }],
      });
    }
    list.push({
      name: `db${i}`,
      defaultRetentionPolicy: "autogen",
      retentionPolicies: [
        {
          name: "autogen",
          duration: 0n,
          shardGroupDuration: 7n * DAY,
          replicaN: 2,
          shardGroups,
          subscriptions: [],
        },
      ],
      continuousQueries: [],
    });
  }
  return {
    term: 3,
    index: 100_000,
    clusterId: 42n,
    metaNodes: [{ id: 1, addr: "a:8091", tcpAddr: "a:8089" }],
    dataNodes: [
      { id: 4, addr: "d4:8086", tcpAddr: "d4:8088" },
      { id: 5, addr: "d5:8086", tcpAddr: "d5:8088" },
    ],
    databases: list,
    users: [],
    maxNodeId: 5,
    maxShardGroupId: sg,
    maxShardId: sh,
  };
}
