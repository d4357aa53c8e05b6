/**
 * TypeScript shapes of the meta.proto messages, as the codec (index.ts) produces and accepts them.
 *
 * Field names are the Go names in camelCase (`HTTPAddr` → `httpAddr`, `ShardGroupID` →
 * `shardGroupId`, `OK` → `ok`). 64-bit integers:
 * - `int64` fields (nanosecond timestamps and durations) are `bigint`: a timestamp in ns is
 *   about 2^60 today, far beyond what a JS number holds exactly;
 * - `uint64` random values (`ClusterID`, `Rand`) are `bigint`: they use all 64 bits;
 * - every other `uint64` (node, shard and shard-group IDs, Raft term and index, counters) is a
 *   `number`; decoding rejects a value above 2^53 - 1 instead of rounding it.
 */

export interface NodeInfo {
  id: number;
  /** HTTP address (host:8091 for a meta node). */
  addr: string;
  /** Raft address for a meta node, RPC address (host:8088) for a data node. */
  tcpAddr: string;
}

export interface ShardOwner {
  nodeId: number;
}

export interface ShardInfo {
  id: number;
  owners: ShardOwner[];
}

export interface ShardGroupInfo {
  id: number;
  /** Nanoseconds since the Unix epoch; the group covers [startTime, endTime). */
  startTime: bigint;
  endTime: bigint;
  /** 0n = not deleted. */
  deletedAt: bigint;
  /** 0n = not truncated (the field is then absent on the wire, as Go writes it). */
  truncatedAt: bigint;
  shards: ShardInfo[];
}

export interface SubscriptionInfo {
  name: string;
  mode: string;
  destinations: string[];
}

export interface RetentionPolicyInfo {
  name: string;
  /** Nanoseconds; 0n = keep forever. */
  duration: bigint;
  /** Nanoseconds. */
  shardGroupDuration: bigint;
  replicaN: number;
  shardGroups: ShardGroupInfo[];
  subscriptions: SubscriptionInfo[];
}

export interface ContinuousQueryInfo {
  name: string;
  query: string;
}

export interface DatabaseInfo {
  name: string;
  defaultRetentionPolicy: string;
  retentionPolicies: RetentionPolicyInfo[];
  continuousQueries: ContinuousQueryInfo[];
}

export interface UserPrivilege {
  database: string;
  /** influxql.Privilege: 0 none, 1 read, 2 write, 3 all. */
  privilege: number;
}

export interface UserInfo {
  name: string;
  hash: string;
  admin: boolean;
  /** One entry per database, sorted by database name. */
  privileges: UserPrivilege[];
}

/** The whole metadata (protobuf `Data`): FSM state, long-poll body and snapshot payload. */
export interface MetaData {
  term: number;
  index: number;
  clusterId: bigint;
  metaNodes: NodeInfo[];
  dataNodes: NodeInfo[];
  databases: DatabaseInfo[];
  users: UserInfo[];
  maxNodeId: number;
  maxShardGroupId: number;
  maxShardId: number;
}

/** protobuf `Response`: the answer of POST /execute. */
export interface MetaResponse {
  ok: boolean;
  error?: string;
  index?: number;
}

// ---------------------------------------------------------------------------------------------
// Commands. `type` is the Command.Type enum name, which is also the payload message's name.

export interface CreateNodeCommand {
  type: "CreateNodeCommand";
  host: string;
  rand: bigint;
}
export interface DeleteNodeCommand {
  type: "DeleteNodeCommand";
  id: number;
  force: boolean;
}
export interface CreateDatabaseCommand {
  type: "CreateDatabaseCommand";
  name: string;
  retentionPolicy?: RetentionPolicyInfo;
}
export interface DropDatabaseCommand {
  type: "DropDatabaseCommand";
  name: string;
}
export interface CreateRetentionPolicyCommand {
  type: "CreateRetentionPolicyCommand";
  database: string;
  retentionPolicy: RetentionPolicyInfo;
  default?: boolean;
}
export interface DropRetentionPolicyCommand {
  type: "DropRetentionPolicyCommand";
  database: string;
  name: string;
}
export interface SetDefaultRetentionPolicyCommand {
  type: "SetDefaultRetentionPolicyCommand";
  database: string;
  name: string;
}
export interface UpdateRetentionPolicyCommand {
  type: "UpdateRetentionPolicyCommand";
  database: string;
  name: string;
  newName?: string;
  duration?: bigint;
  replicaN?: number;
  shardGroupDuration?: bigint;
  default?: boolean;
}
export interface CreateShardGroupCommand {
  type: "CreateShardGroupCommand";
  database: string;
  policy: string;
  /** Nanoseconds since the Unix epoch. */
  timestamp: bigint;
}
export interface DeleteShardGroupCommand {
  type: "DeleteShardGroupCommand";
  database: string;
  policy: string;
  shardGroupId: number;
}
export interface CreateContinuousQueryCommand {
  type: "CreateContinuousQueryCommand";
  database: string;
  name: string;
  query: string;
}
export interface DropContinuousQueryCommand {
  type: "DropContinuousQueryCommand";
  database: string;
  name: string;
}
export interface CreateUserCommand {
  type: "CreateUserCommand";
  name: string;
  hash: string;
  admin: boolean;
}
export interface DropUserCommand {
  type: "DropUserCommand";
  name: string;
}
export interface UpdateUserCommand {
  type: "UpdateUserCommand";
  name: string;
  hash: string;
}
export interface SetPrivilegeCommand {
  type: "SetPrivilegeCommand";
  username: string;
  database: string;
  privilege: number;
}
export interface SetDataCommand {
  type: "SetDataCommand";
  data: MetaData;
}
export interface SetAdminPrivilegeCommand {
  type: "SetAdminPrivilegeCommand";
  username: string;
  admin: boolean;
}
export interface UpdateNodeCommand {
  type: "UpdateNodeCommand";
  id: number;
  host: string;
}
export interface CreateSubscriptionCommand {
  type: "CreateSubscriptionCommand";
  name: string;
  database: string;
  retentionPolicy: string;
  mode: string;
  destinations: string[];
}
export interface DropSubscriptionCommand {
  type: "DropSubscriptionCommand";
  name: string;
  database: string;
  retentionPolicy: string;
}
export interface RemovePeerCommand {
  type: "RemovePeerCommand";
  id?: number;
  addr: string;
}
export interface CreateMetaNodeCommand {
  type: "CreateMetaNodeCommand";
  httpAddr: string;
  tcpAddr: string;
  rand: bigint;
}
export interface CreateDataNodeCommand {
  type: "CreateDataNodeCommand";
  httpAddr: string;
  tcpAddr: string;
}
export interface UpdateDataNodeCommand {
  type: "UpdateDataNodeCommand";
  id: number;
  httpAddr: string;
  tcpAddr: string;
}
export interface DeleteMetaNodeCommand {
  type: "DeleteMetaNodeCommand";
  id: number;
}
export interface DeleteDataNodeCommand {
  type: "DeleteDataNodeCommand";
  id: number;
}
export interface SetMetaNodeCommand {
  type: "SetMetaNodeCommand";
  httpAddr: string;
  tcpAddr: string;
  rand: bigint;
}
export interface DropShardCommand {
  type: "DropShardCommand";
  id: number;
}
export interface TruncateShardGroupsCommand {
  type: "TruncateShardGroupsCommand";
  /** Nanoseconds since the Unix epoch. */
  timestamp: bigint;
}
export interface PruneShardGroupsCommand {
  type: "PruneShardGroupsCommand";
}
export interface CopyShardOwnerCommand {
  type: "CopyShardOwnerCommand";
  id: number;
  nodeId: number;
}
export interface RemoveShardOwnerCommand {
  type: "RemoveShardOwnerCommand";
  id: number;
  nodeId: number;
}

export type MetaCommand =
  | CreateNodeCommand
  | DeleteNodeCommand
  | CreateDatabaseCommand
  | DropDatabaseCommand
  | CreateRetentionPolicyCommand
  | DropRetentionPolicyCommand
  | SetDefaultRetentionPolicyCommand
  | UpdateRetentionPolicyCommand
  | CreateShardGroupCommand
  | DeleteShardGroupCommand
  | CreateContinuousQueryCommand
  | DropContinuousQueryCommand
  | CreateUserCommand
  | DropUserCommand
  | UpdateUserCommand
  | SetPrivilegeCommand
  | SetDataCommand
  | SetAdminPrivilegeCommand
  | UpdateNodeCommand
  | CreateSubscriptionCommand
  | DropSubscriptionCommand
  | RemovePeerCommand
  | CreateMetaNodeCommand
  | CreateDataNodeCommand
  | UpdateDataNodeCommand
  | DeleteMetaNodeCommand
  | DeleteDataNodeCommand
  | SetMetaNodeCommand
  | DropShardCommand
  | TruncateShardGroupsCommand
  | PruneShardGroupsCommand
  | CopyShardOwnerCommand
  | RemoveShardOwnerCommand;

export type CommandName = MetaCommand["type"];

/** Command.Type enum values; the payload travels in extension field 100 + value. */
export const COMMAND_TYPES: { readonly [K in CommandName]: number } = {
  CreateNodeCommand: 1,
  DeleteNodeCommand: 2,
  CreateDatabaseCommand: 3,
  DropDatabaseCommand: 4,
  CreateRetentionPolicyCommand: 5,
  DropRetentionPolicyCommand: 6,
  SetDefaultRetentionPolicyCommand: 7,
  UpdateRetentionPolicyCommand: 8,
  CreateShardGroupCommand: 9,
  DeleteShardGroupCommand: 10,
  CreateContinuousQueryCommand: 11,
  DropContinuousQueryCommand: 12,
  CreateUserCommand: 13,
  DropUserCommand: 14,
  UpdateUserCommand: 15,
  SetPrivilegeCommand: 16,
  SetDataCommand: 17,
  SetAdminPrivilegeCommand: 18,
  UpdateNodeCommand: 19,
  CreateSubscriptionCommand: 21,
  DropSubscriptionCommand: 22,
  RemovePeerCommand: 23,
  CreateMetaNodeCommand: 24,
  CreateDataNodeCommand: 25,
  UpdateDataNodeCommand: 26,
  DeleteMetaNodeCommand: 27,
  DeleteDataNodeCommand: 28,
  SetMetaNodeCommand: 29,
  DropShardCommand: 30,
  TruncateShardGroupsCommand: 31,
  PruneShardGroupsCommand: 32,
  CopyShardOwnerCommand: 33,
  RemoveShardOwnerCommand: 34,
};
