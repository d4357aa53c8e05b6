/**
 * The production-sized metadata of issue 15, built directly as `Data` (applying a million
 * commands would take longer than the benchmark): 10,000 databases with one retention policy,
 * 100,000 shard groups of 2 shards with 3 owners each, 100 data nodes, 200 users. Deterministic,
 * so every run measures the same state.
 */
import type { DatabaseInfo, MetaData, NodeInfo, UserInfo } from "../../src/proto/index.ts";

export interface ScaleShape {
  databases: number;
  shardGroups: number;
  shardsPerGroup: number;
  ownersPerShard: number;
  dataNodes: number;
  users: number;
}

export const ISSUE_SCALE: ScaleShape = {
  databases: 10_000,
  shardGroups: 100_000,
  shardsPerGroup: 2,
  ownersPerShard: 3,
  dataNodes: 100,
  users: 200,
};

export const WEEK_NS = 7n * 24n * 3_600_000_000_000n;
/** Start of the oldest shard group (2023-11-14, a Tuesday; truncation does not matter here). */
export const START_NS = 1_700_000_000_000_000_000n;
export const POLICY = "autogen";
const DATA_NODE_PORTS = 1100;

export function databaseName(i: number): string {
  return `db-${String(i).padStart(5, "0")}`;
}

/** The state, with `metaNodes` given by the caller (the real cluster's own records). */
export function scaleState(shape: ScaleShape, metaNodes: NodeInfo[] = []): MetaData {
  const firstDataId = metaNodes.reduce((max, n) => Math.max(max, n.id), 0) + 1;
  // Loopback ports nothing listens on: whoever pings a data node (influxd-ctl show) gets an
  // immediate refusal rather than a DNS lookup or a connect timeout.
  const dataNodes: NodeInfo[] = Array.from({ length: shape.dataNodes }, (_, i) => ({
    id: firstDataId + i,
    addr: `127.0.0.1:${DATA_NODE_PORTS + i}`,
    tcpAddr: `127.0.0.1:${DATA_NODE_PORTS + 1000 + i}`,
  }));
  const groupsPerDatabase = Math.ceil(shape.shardGroups / shape.databases);
  let groupId = 0;
  let shardId = 0;
  let owner = 0;
  const databases: DatabaseInfo[] = [];
  for (let d = 0; d < shape.databases; d++) {
    const groups = Math.min(groupsPerDatabase, shape.shardGroups - groupId);
    databases.push({
      name: databaseName(d),
      defaultRetentionPolicy: POLICY,
      continuousQueries: [],
      retentionPolicies: [
        {
          name: POLICY,
          duration: 0n,
          shardGroupDuration: WEEK_NS,
          replicaN: shape.ownersPerShard,
          subscriptions: [],
          shardGroups: Array.from({ length: groups }, (_, g) => ({
            id: ++groupId,
            startTime: START_NS + BigInt(g) * WEEK_NS,
            endTime: START_NS + BigInt(g + 1) * WEEK_NS,
            deletedAt: 0n,
            truncatedAt: 0n,
            shards: Array.from({ length: shape.shardsPerGroup }, () => ({
              id: ++shardId,
              owners: Array.from({ length: shape.ownersPerShard }, () => ({
                nodeId: dataNodes[owner++ % dataNodes.length].id,
              })),
            })),
          })),
        },
      ],
    });
  }
  const users: UserInfo[] = Array.from({ length: shape.users }, (_, i) => ({
    name: `user-${i}`,
    hash: `$2a$10$${"x".repeat(53)}`,
    admin: i === 0,
    privileges: Array.from({ length: 3 }, (_, p) => ({
      database: databaseName((i * 3 + p) % shape.databases),
      privilege: 3,
    })).sort((a, b) => (a.database < b.database ? -1 : 1)),
  }));
  return {
    term: 1,
    index: 1,
    clusterId: 0x1234_5678_9abc_def0n,
    metaNodes,
    dataNodes,
    databases,
    users,
    maxNodeId: firstDataId + shape.dataNodes - 1,
    maxShardGroupId: groupId,
    maxShardId: shardId,
  };
}
