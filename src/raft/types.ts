/**
 * Shared vocabulary of the Raft engine. The pure core (core.ts), the storage layer (storage/),
 * the codec (codec.ts), the TCP transport (transport.ts), the host (host.ts) and the simulator
 * (test/raft/sim) all speak these types, so they can be built and tested independently.
 *
 * Indexes and terms are plain numbers: they stay far below 2^53 for a meta store.
 */

/** Unique, never reused identity of one incarnation of a server's Raft state. */
export type ServerId = string;

export type Suffrage = "voter" | "nonvoter";

export interface Server {
  id: ServerId;
  /** Raft (TCP) address, host:port — what the transport dials. */
  address: string;
  suffrage: Suffrage;
}

export interface Configuration {
  servers: Server[];
}

export enum EntryType {
  /** Application command, handed to the FSM. */
  Command = 0,
  /** Membership change: `config` is the complete new configuration; `data` may carry an FSM
   *  command applied atomically with it (e.g. DeleteMetaNodeCommand), or be empty. */
  Config = 1,
  /** Written by a new leader to commit entries of earlier terms; not given to the FSM's
   *  command handler but still advances the applied index. */
  Noop = 2,
}

export interface Entry {
  index: number;
  term: number;
  type: EntryType;
  data: Uint8Array;
  /** Present exactly when type === EntryType.Config. */
  config?: Configuration;
}

/** What must be durable before a vote or a higher term is acted upon. */
export interface HardState {
  term: number;
  vote: ServerId | null;
}

export interface SnapshotMeta {
  index: number;
  term: number;
  /** Configuration in force at `index`, and the index of the entry that introduced it. */
  config: Configuration;
  configIndex: number;
}

export interface Snapshot {
  meta: SnapshotMeta;
  /** FSM state (for the meta service: protobuf `Data`). */
  data: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Messages. `from`/`to` are ServerIds; the transport resolves addresses from the configuration.

export enum MessageType {
  PreVote = 1,
  PreVoteResp = 2,
  Vote = 3,
  VoteResp = 4,
  Append = 5,
  AppendResp = 6,
  Heartbeat = 7,
  HeartbeatResp = 8,
  InstallSnapshot = 9,
  TimeoutNow = 10,
}

interface MessageBase {
  from: ServerId;
  to: ServerId;
  /** Sender's term (for PreVote: the term the sender would campaign with). */
  term: number;
}

export interface VoteRequest extends MessageBase {
  type: MessageType.PreVote | MessageType.Vote;
  lastLogIndex: number;
  lastLogTerm: number;
  /** Set when the candidacy comes from a leadership transfer: overrides leader stickiness. */
  transfer: boolean;
}

export interface VoteResponse extends MessageBase {
  type: MessageType.PreVoteResp | MessageType.VoteResp;
  granted: boolean;
}

export interface AppendRequest extends MessageBase {
  type: MessageType.Append;
  prevLogIndex: number;
  prevLogTerm: number;
  entries: Entry[];
  /** Leader's commit index. */
  commit: number;
}

export interface AppendResponse extends MessageBase {
  type: MessageType.AppendResp;
  success: boolean;
  /** On success: the follower's last index matching the leader's log (after this request).
   *  On failure: the index that was rejected (the request's prevLogIndex or snapshot index). */
  index: number;
  /** On failure: a hint for the next prevLogIndex to probe (follower's last index, or the first
   *  index of the conflicting term), so the leader skips back quickly. */
  hint: number;
}

export interface HeartbeatRequest extends MessageBase {
  type: MessageType.Heartbeat;
  /** min(leader commit, follower match): never tells a follower to commit what it may not have. */
  commit: number;
  /** ReadIndex round this heartbeat confirms leadership for (0 = none). */
  readCtx: number;
}

export interface HeartbeatResponse extends MessageBase {
  type: MessageType.HeartbeatResp;
  readCtx: number;
}

export interface InstallSnapshotRequest extends MessageBase {
  type: MessageType.InstallSnapshot;
  snapshot: Snapshot;
}

export interface TimeoutNowRequest extends MessageBase {
  type: MessageType.TimeoutNow;
}

export type Message =
  | VoteRequest
  | VoteResponse
  | AppendRequest
  | AppendResponse
  | HeartbeatRequest
  | HeartbeatResponse
  | InstallSnapshotRequest
  | TimeoutNowRequest;

// ---------------------------------------------------------------------------------------------
// Core input/output.

export type RaftState = "follower" | "candidate" | "precandidate" | "leader";

/** A linearizable read may be served once the FSM has applied `index`. */
export interface ReadState {
  ctx: number;
  index: number;
}

/** Something the core noticed that an operator must hear about (the host logs it). */
export interface RaftNotice {
  level: "warn" | "error";
  message: string;
  fields: Record<string, unknown>;
}

/**
 * Everything the host must do after feeding the core: in this order,
 * 1. persist `hardState` (if set), install `snapshot` (if set: write it, then restore the FSM),
 *    truncate the log from `truncateFrom` (if set) and append `entries` — one durable batch;
 * 2. only then send `messages`: votes and acknowledgements must not precede durability. The one
 *    exception is a leader's own appends (Append messages in a Ready that carries only new
 *    entries: no hard state, snapshot or truncation), which it may send while it writes the same
 *    entries (Raft thesis §10.2.1): it counts itself towards the commit quorum only at step 4,
 *    after its own write, so nothing is committed on a disk that has not synced it;
 * 3. apply `committed` to the FSM in order, resolve `readStates` once applied;
 * 4. call `advance(ready)`.
 */
export interface Ready {
  /** Present only when there is something to report. */
  notices?: RaftNotice[];
  hardState?: HardState;
  snapshot?: Snapshot;
  truncateFrom?: number;
  entries: Entry[];
  messages: Message[];
  committed: Entry[];
  readStates: ReadState[];
}

// ---------------------------------------------------------------------------------------------
// Storage interfaces (storage/). Real implementations fdatasync before resolving.

export interface LogStore {
  /** Index of the first / last stored entry; 0 when empty. */
  firstIndex(): number;
  lastIndex(): number;
  /** Every stored entry in [firstIndex, lastIndex], in order. Called once at start-up. */
  entries(from: number, to: number): Entry[];
  /** Durably append consecutive entries (the first must be lastIndex()+1, or any index after
   *  a truncateAfter/reset). One call = one fdatasync (group commit). */
  append(entries: Entry[]): Promise<void>;
  /** Durably delete entries with index > `index` (a follower's conflicting suffix). */
  truncateAfter(index: number): Promise<void>;
  /** Drop entries with index < `index` (log compaction after a snapshot). Need not be durable:
   *  stale prefix entries left by a crash are harmless and are dropped again on next compaction. */
  truncateBefore(index: number): Promise<void>;
  /** Durably delete everything; the next append may start at any index (snapshot install). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export interface StableStore {
  /** Null on a fresh store. */
  load(): { hardState: HardState; serverId: ServerId } | null;
  /** Durable before it resolves. */
  save(hardState: HardState, serverId: ServerId): Promise<void>;
  /** Releases the file it holds open, if any (called when the node shuts down). */
  close?(): Promise<void>;
}

export interface SnapshotStore {
  /** Newest snapshot whose checksum verifies, or null. */
  latest(): Snapshot | null;
  /** Durable (files and directory fsynced, renamed into place) before it resolves; keeps the
   *  newest two. */
  save(snapshot: Snapshot): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// The application state machine (for the meta service: fsm over protobuf Data).

export interface StateMachine<Result = unknown> {
  /** Apply a committed Command entry, or the `data` of a Config entry (may be empty). Must be
   *  deterministic: every server applies the same entries with the same results. */
  apply(entry: Entry): Result;
  /** Optional: work on a committed entry that may be done ahead of its apply, in slices that
   *  leave the event loop free (null when there is none). The host applies that entry, and every
   *  later one, only once it settles; the apply's result must not depend on whether it ran. */
  prepare?(entry: Entry): Promise<void> | null;
  snapshot(): Uint8Array;
  restore(data: Uint8Array): void;
}

// ---------------------------------------------------------------------------------------------
// The host's environment (host.ts). Production: real timers, TCP, files. Simulator: virtual.

export interface Clock {
  /** Milliseconds; monotonic. */
  now(): number;
  setInterval(fn: () => void, ms: number): { cancel(): void };
}

export interface Transport {
  /** This server's own Raft address, sent with every frame so a receiver that does not yet
   *  know the sender (a joining node) can answer it. */
  readonly localAddress: string;
  /** Fire and forget: a message to a dead or slow peer is dropped, never queued without bound
   *  (Raft retransmits). Messages to one peer are delivered in order while a connection lasts. */
  send(to: { id: ServerId; address: string }, messages: Message[]): void;
  onMessage(handler: (message: Message, fromAddress: string) => void): void;
  close(): Promise<void>;
}
