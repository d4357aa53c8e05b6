/**
 * The meta store's Raft state machine: applies committed commands to the metadata (protobuf
 * `Data`) with the Go meta service's semantics and error texts.
 *
 * - Deterministic: the result depends only on the entries (no clock, no randomness; times and
 *   random IDs come from the commands).
 * - Every applied entry, refused or not, copies its term and index into the data and wakes the
 *   change listeners (long polls), as Go's storeFSM.Apply does.
 * - A refused command returns `{ error }` (sent to the client as Response.Error) and changes
 *   nothing else; commands write into a draft that is kept only on success.
 * - Applying costs what the command changes: the draft copies only the objects on the path to
 *   its changes and shares the rest with the previous state (see MetaDraft in data.ts).
 * - Published data is never changed afterwards: `data()` and the listeners' argument can be
 *   handed to readers as is, and stay a consistent view of one index. Their type is deeply
 *   read-only, which is what keeps readers from writing into state other states share.
 * - Because of that, encoding is shared too: `snapshot()` encodes each state once, whoever asks
 *   (every long poll, a Raft snapshot), and reuses the bytes of every database the previous
 *   states already encoded, so one commit costs one encoding of what it changed plus a copy.
 * - A large command (an imported Data) is decoded in slices before it is applied (`prepare`,
 *   called by the Raft host; on the leader the HTTP handler's validation already decoded it), and
 *   a new state is encoded in slices before the first long poll reads it (`encodeInSlices`): the
 *   event loop, and with it Raft's heartbeats, is never held for the whole of either.
 */
import type { Entry, StateMachine } from "../raft/types.ts";
import { EntryType } from "../raft/types.ts";
import { runStepsInSlices, type Steps } from "../util/steps.ts";
import {
  decodeCommand,
  decodeCommandSteps,
  decodeData,
  encodeDatabaseFields,
  encodeDataParts,
  ProtoError,
} from "../proto/index.ts";
import type { DataFields, DatabaseInfo, MetaCommand, NodeInfo } from "../proto/index.ts";
import { emptyData, findDatabase, MetaDraft, MetaIndex, stateOf, type MetaState } from "./data.ts";
import type { DatabaseState } from "./readonly.ts";
import type { DatabaseChunk } from "./database-list.ts";
import { MetaError } from "./errors.ts";
import {
  createDatabase,
  createContinuousQuery,
  createRetentionPolicy,
  createSubscription,
  dropContinuousQuery,
  dropDatabase,
  dropRetentionPolicy,
  dropSubscription,
  setDefaultRetentionPolicy,
  updateRetentionPolicy,
} from "./databases.ts";
import {
  createDataNode,
  createLegacyNode,
  createMetaNode,
  deleteDataNode,
  deleteMetaNode,
  setMetaNode,
  updateDataNode,
} from "./nodes.ts";
import {
  copyShardOwner,
  createShardGroup,
  deleteShardGroup,
  dropShard,
  findShard,
  type ShardState,
  pruneShardGroups,
  removeShardOwner,
  truncateShardGroups,
} from "./shards.ts";
import { createUser, dropUser, setAdminPrivilege, setPrivilege, updateUser } from "./users.ts";

export interface FsmResult {
  error?: string;
  /** The metadata index this entry published, when it is not the entry's Raft index (after an
   *  import, see `metadataIndex`): what /execute answers instead of the Raft index. */
  index?: number;
}

/**
 * The metadata index an applied entry publishes: its Raft index, unless the state it applies to
 * already stands at or above that (a SetDataCommand imported another cluster's metadata, whose
 * index is above ours: `influxd-ctl migrate-meta`); then one more than that state's index. The
 * index therefore never goes back, and a cluster that imported the Data of a cluster at index G
 * publishes G+1, G+2, … for the rest of its life, whatever its Raft log's indexes are: a data
 * node's cached index is never above ours. The offset needs no storage of its own: it lives in
 * the published index itself, which snapshots carry, so a node restored from a snapshot goes on
 * from the same number as one that applied every entry. A cluster that never imported anything
 * publishes its Raft indexes, as before.
 */
/** The largest index a SetDataCommand may carry: 2^52, leaving 2^52 entries to count on in a JS number. */
export const MAX_IMPORTED_INDEX = 2 ** 52;

export function metadataIndex(raftIndex: number, stateIndex: number): number {
  return Math.max(raftIndex, stateIndex + 1);
}

export interface MetaStateMachineOptions {
  /** `[meta] retention-autocreate`: CreateDatabaseCommand without a policy adds "autogen".
   *  Must be the same on every server. Default true. */
  retentionAutoCreate?: boolean;
  /** Where an exception thrown by a change listener goes (it must not break apply).
   *  Default: a process warning. */
  onListenerError?: (err: unknown) => void;
}

/** Where a shard is: what `shardById` answers. */
export interface ShardPlace {
  database: string;
  retentionPolicy: string;
  shardGroupId: number;
  shard: ShardState;
}

export type ChangeListener = (data: MetaState) => void;

/**
 * What POST /execute accepts: a Command that decodes completely, of a known type, with its
 * payload. Rejects with ProtoError ("unknown command type 99", "malformed command: …") otherwise, so
 * such bytes never reach the log.
 */
export function validateCommand(bytes: Uint8Array): Promise<MetaCommand> {
  // In slices: a 4.6 MB SetDataCommand takes hundreds of milliseconds to decode.
  return runStepsInSlices(decodeCommandSteps(bytes));
}

/** Commands below this size are decoded when applied: preparing them would cost more than it saves. */
const PREPARED_COMMAND_BYTES = 64 * 1024;

export class MetaStateMachine implements StateMachine<FsmResult> {
  private current: MetaState = stateOf(emptyData());
  /** Lookups into `current` (see MetaIndex); replaced with it on restore and SetDataCommand. */
  private lookups = MetaIndex.of(this.current);
  /** The encoding of a state, made once (see `snapshot`). */
  private encoded: { state: MetaState; pieces: readonly Uint8Array[]; bytes?: Uint8Array } | undefined;
  /** Encoded databases of published states, reused while a state still shares them. */
  private readonly databaseBytes = new WeakMap<object, Uint8Array>();
  /** Encoded chunks of databases (see DatabaseList), reused while a state still shares them. */
  private readonly chunkBytes = new WeakMap<DatabaseChunk, Uint8Array>();
  /** Commands decoded ahead of their apply (`prepare`, `decodedAs`), by their very bytes. */
  private readonly decoded = new WeakMap<Uint8Array, MetaCommand>();
  private readonly listeners = new Set<ChangeListener>();
  private readonly retentionAutoCreate: boolean;
  private readonly onListenerError: (err: unknown) => void;

  constructor(options: MetaStateMachineOptions = {}) {
    this.retentionAutoCreate = options.retentionAutoCreate ?? true;
    this.onListenerError =
      options.onListenerError ??
      ((err) => process.emitWarning(`meta change listener failed: ${String(err)}`));
  }

  apply(entry: Entry): FsmResult {
    let next = this.current;
    let result: FsmResult = {};
    // A Config entry may carry no command; a Noop never does. Both still advance the index.
    if (entry.type !== EntryType.Noop && entry.data.length > 0) {
      try {
        const command = this.decoded.get(entry.data) ?? decodeCommand(entry.data);
        this.decoded.delete(entry.data);
        next = this.execute(command);
      } catch (err) {
        // Bytes that got into the log without validation are refused alike on every server.
        // Anything else is a bug here: let it surface rather than guess at a result.
        if (!(err instanceof MetaError || err instanceof ProtoError)) throw err;
        result = { error: err.message };
      }
    }
    const index = metadataIndex(entry.index, next.index);
    this.publish({ ...next, term: entry.term, index });
    return index === entry.index ? result : { ...result, index };
  }

  /**
   * Decodes a large command entry in slices (the event loop runs between them), for its apply to
   * use; null when there is nothing worth preparing. Bytes that do not decode are left to the
   * apply, which refuses them as it always does: the result depends on the bytes alone.
   */
  prepare(entry: Entry): Promise<void> | null {
    const bytes = entry.data;
    if (entry.type === EntryType.Noop || bytes.length < PREPARED_COMMAND_BYTES || this.decoded.has(bytes))
      return null;
    return runStepsInSlices(decodeCommandSteps(bytes)).then(
      (command) => void this.decoded.set(bytes, command),
      () => undefined,
    );
  }

  /** `command` is what `bytes` decode to (the leader's validation decoded them): their apply
   *  uses it instead of decoding them again. */
  decodedAs(bytes: Uint8Array, command: MetaCommand): void {
    if (bytes.length >= PREPARED_COMMAND_BYTES) this.decoded.set(bytes, command);
  }

  /** Encodes the current state's chunks not encoded yet, in slices: what the first long poll
   *  after an import would otherwise encode in one go. */
  async encodeInSlices(): Promise<void> {
    await runStepsInSlices(this.chunkEncodingSteps(this.current.databases.chunks));
  }

  private *chunkEncodingSteps(chunks: readonly DatabaseChunk[]): Steps<void> {
    for (const chunk of chunks) {
      this.chunkEncoding(chunk);
      yield;
    }
  }

  /**
   * The current state's protobuf `Data`. Encoded once per state and the same bytes returned to
   * every caller until the next change: read them, never write into them.
   */
  snapshot(): Uint8Array {
    const encoded = this.encoding();
    // Joined only when asked for: a gzip poller needs the pieces alone, and a fresh 7 MB buffer
    // per commit costs milliseconds in page faults.
    encoded.bytes ??= Buffer.concat(encoded.pieces);
    return encoded.bytes;
  }

  /**
   * `snapshot()` in pieces, in order: the fields before the databases, one piece per chunk of
   * databases, the fields after. A piece the next state shares is the same object (what the long
   * poll's gzip compresses once: see PieceCompressor).
   */
  snapshotPieces(): readonly Uint8Array[] {
    return this.encoding().pieces;
  }

  private encoding() {
    const state = this.current;
    if (this.encoded?.state !== state) {
      const databaseFields = state.databases.chunks.map((chunk) => this.chunkEncoding(chunk));
      const pieces = encodeDataParts(state as unknown as DataFields, databaseFields);
      this.encoded = { state, pieces };
    }
    return this.encoded;
  }

  /** A chunk's DatabaseInfo fields, encoded once. */
  private chunkEncoding(chunk: DatabaseChunk): Uint8Array {
    let bytes = this.chunkBytes.get(chunk);
    if (!bytes) {
      // The encoder only reads; its parameter types are the writable protobuf shapes.
      bytes = encodeDatabaseFields(chunk.items as DatabaseInfo[], this.databaseBytes);
      this.chunkBytes.set(chunk, bytes);
    }
    return bytes;
  }

  /** Replaces the state with a snapshot; throws ProtoError (state unchanged) on bad bytes. */
  restore(bytes: Uint8Array): void {
    const state = stateOf(decodeData(bytes));
    this.lookups = MetaIndex.of(state);
    this.publish(state);
  }

  /** The current metadata (shared with other states: read it, never change it). */
  data(): MetaState {
    return this.current;
  }

  index(): number {
    return this.current.index;
  }

  metaNodeByAddr(httpAddr: string): NodeInfo | undefined {
    return this.current.metaNodes.find((n) => n.addr === httpAddr);
  }

  metaNodeById(id: number): NodeInfo | undefined {
    return this.current.metaNodes.find((n) => n.id === id);
  }

  /** A data node by its TCP (RPC) address, the name influxd-ctl uses for data nodes. */
  dataNodeByAddr(tcpAddr: string): NodeInfo | undefined {
    return this.current.dataNodes.find((n) => n.tcpAddr === tcpAddr);
  }

  dataNodeById(id: number): NodeInfo | undefined {
    return this.current.dataNodes.find((n) => n.id === id);
  }

  /** A database by name, through the index. */
  databaseByName(name: string): DatabaseState | undefined {
    return findDatabase(this.indexed(), name);
  }

  /** A shard by ID with the database, policy and group holding it, through the index. */
  shardById(id: number): ShardPlace | undefined {
    const found = findShard(this.indexed(), id);
    if (!found) return undefined;
    const db = this.current.databases.get(found.at.database)!;
    const rp = db.retentionPolicies[found.at.policy];
    return { database: db.name, retentionPolicy: rp.name, shardGroupId: found.group.id, shard: found.shard };
  }

  private indexed() {
    return {
      data: this.current,
      databaseKeys: this.lookups.databaseKeys,
      shardDatabases: this.lookups.shardDatabases,
    };
  }

  /** Called after every applied entry and restore, with the new data. Returns an unsubscribe. */
  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private publish(data: MetaState): void {
    this.current = data;
    for (const listener of [...this.listeners]) {
      try {
        listener(data);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  /** Runs the command on a draft of the data and returns the new state; throws MetaError to refuse. */
  private execute(cmd: MetaCommand): MetaState {
    if (cmd.type === "SetDataCommand") {
      // The index goes on from the imported one (metadataIndex): leave room to count on exactly.
      if (cmd.data.index > MAX_IMPORTED_INDEX)
        throw new MetaError(`imported index ${cmd.data.index} is too large`);
      const state = stateOf(cmd.data);
      this.lookups = MetaIndex.of(state);
      return state;
    }
    const d = new MetaDraft(this.current, this.lookups);
    switch (cmd.type) {
      // Pre-0.10 node commands: creation is converted, the others are no-ops as in Go.
      case "CreateNodeCommand":
        createLegacyNode(d, cmd.host);
        adoptClusterId(d, cmd.rand);
        break;
      case "DeleteNodeCommand":
      case "UpdateNodeCommand":
        break;
      // Membership is changed by the Raft configuration entry itself; the command only stays
      // decodable for logs written by the Go service.
      case "RemovePeerCommand":
        break;
      case "CreateMetaNodeCommand":
        // A duplicate address is accepted: joining is retried until it succeeds (idempotent).
        try {
          createMetaNode(d, cmd.httpAddr, cmd.tcpAddr);
        } catch (err) {
          if (!(err instanceof MetaError)) throw err;
        }
        adoptClusterId(d, cmd.rand);
        break;
      case "SetMetaNodeCommand":
        setMetaNode(d, cmd.httpAddr, cmd.tcpAddr);
        adoptClusterId(d, cmd.rand);
        break;
      case "DeleteMetaNodeCommand":
        deleteMetaNode(d, cmd.id);
        break;
      case "CreateDataNodeCommand":
        createDataNode(d, cmd.httpAddr, cmd.tcpAddr);
        break;
      case "UpdateDataNodeCommand":
        updateDataNode(d, cmd.id, cmd.httpAddr, cmd.tcpAddr);
        break;
      case "DeleteDataNodeCommand":
        deleteDataNode(d, cmd.id);
        break;
      case "CreateDatabaseCommand":
        createDatabase(d, cmd.name, cmd.retentionPolicy, this.retentionAutoCreate);
        break;
      case "DropDatabaseCommand":
        dropDatabase(d, cmd.name);
        break;
      case "CreateRetentionPolicyCommand":
        createRetentionPolicy(d, cmd.database, cmd.retentionPolicy, cmd.default ?? false);
        break;
      case "DropRetentionPolicyCommand":
        dropRetentionPolicy(d, cmd.database, cmd.name);
        break;
      case "SetDefaultRetentionPolicyCommand":
        setDefaultRetentionPolicy(d, cmd.database, cmd.name);
        break;
      case "UpdateRetentionPolicyCommand":
        updateRetentionPolicy(
          d,
          cmd.database,
          cmd.name,
          {
            name: cmd.newName,
            duration: cmd.duration,
            replicaN: cmd.replicaN,
            shardGroupDuration: cmd.shardGroupDuration,
          },
          cmd.default ?? false,
        );
        break;
      case "CreateShardGroupCommand":
        createShardGroup(d, cmd.database, cmd.policy, cmd.timestamp);
        break;
      case "DeleteShardGroupCommand":
        deleteShardGroup(d, cmd.database, cmd.policy, cmd.shardGroupId);
        break;
      case "DropShardCommand":
        dropShard(d, cmd.id);
        break;
      case "TruncateShardGroupsCommand":
        truncateShardGroups(d, cmd.timestamp);
        break;
      case "PruneShardGroupsCommand":
        pruneShardGroups(d);
        break;
      case "CopyShardOwnerCommand":
        copyShardOwner(d, cmd.id, cmd.nodeId);
        break;
      case "RemoveShardOwnerCommand":
        removeShardOwner(d, cmd.id, cmd.nodeId);
        break;
      case "CreateContinuousQueryCommand":
        createContinuousQuery(d, cmd.database, cmd.name, cmd.query);
        break;
      case "DropContinuousQueryCommand":
        dropContinuousQuery(d, cmd.database, cmd.name);
        break;
      case "CreateSubscriptionCommand":
        createSubscription(d, cmd.database, cmd.retentionPolicy, cmd.name, cmd.mode, cmd.destinations);
        break;
      case "DropSubscriptionCommand":
        dropSubscription(d, cmd.database, cmd.retentionPolicy, cmd.name);
        break;
      case "CreateUserCommand":
        createUser(d, cmd.name, cmd.hash, cmd.admin);
        break;
      case "DropUserCommand":
        dropUser(d, cmd.name);
        break;
      case "UpdateUserCommand":
        updateUser(d, cmd.name, cmd.hash);
        break;
      case "SetPrivilegeCommand":
        setPrivilege(d, cmd.username, cmd.database, cmd.privilege);
        break;
      case "SetAdminPrivilegeCommand":
        setAdminPrivilege(d, cmd.username, cmd.admin);
        break;
      default:
        return assertNever(cmd);
    }
    d.commitIndex();
    return d.data;
  }
}

/** The first node registered fixes the cluster ID from its command's random number. */
function adoptClusterId(draft: MetaDraft, rand: bigint): void {
  if (draft.data.clusterId === 0n) draft.data.clusterId = rand;
}

function assertNever(cmd: never): never {
  throw new Error(`unhandled command ${JSON.stringify((cmd as { type: unknown }).type)}`);
}
