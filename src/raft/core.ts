/**
 * The Raft consensus core: a pure, deterministic state machine in the style of etcd-io/raft.
 * Inputs are tick(), step(message) and the proposal calls; outputs are collected in a Ready
 * (see types.ts for the order the host must follow). No clocks, timers, randomness (beyond the
 * injected rng), promises or I/O live here, so a simulator can drive it exactly.
 *
 * Protocol choices (hashicorp-flavoured where the two anchors differ):
 * - membership changes are single-server and take effect when APPENDED; at most one may be
 *   uncommitted, and only once the leader committed an entry of its own term (new leaders
 *   append a Noop);
 * - pre-vote, check-quorum and leader stickiness are on by default; vote requests from servers
 *   outside our latest configuration are refused before looking at their term;
 * - "removed" is only concluded from a committed configuration lacking us that follows a
 *   committed configuration containing us.
 */
import {
  AlreadyBootstrappedError,
  ConfigChangeInProgressError,
  LeadershipTransferInProgressError,
  NoTransferTargetError,
  NotLeaderError,
  RaftConfigError,
} from "./errors.ts";
import {
  applyConfChange,
  cloneConfig,
  ConfigHistory,
  EMPTY_CONFIG,
  findServer,
  isVoter,
  quorumMatch,
  quorumSize,
  validateConfig,
  voters,
  type ConfChange,
  type IndexedConfig,
} from "./membership.ts";
import { Progress, type ProgressState } from "./progress.ts";
import { RaftLog } from "./raft-log.ts";
import {
  EntryType,
  MessageType,
  type AppendRequest,
  type AppendResponse,
  type Configuration,
  type Entry,
  type HardState,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type InstallSnapshotRequest,
  type Message,
  type RaftState,
  type ReadState,
  type RaftNotice,
  type Ready,
  type ServerId,
  type Snapshot,
  type SnapshotMeta,
  type VoteRequest,
  type VoteResponse,
} from "./types.ts";

export type { ConfChange } from "./membership.ts";

export interface CoreOptions {
  id: ServerId;
  electionTicks: number;
  heartbeatTicks: number;
  /** A leader that heard from less than a quorum of voters in this many ticks steps down. */
  checkQuorumTicks?: number;
  /** Seeded source of [0,1) numbers: the only randomness (election timeout jitter). */
  rng: () => number;
  preVote?: boolean;
  checkQuorum?: boolean;
  maxEntriesPerAppend?: number;
  maxInflightAppends?: number;
  /** Promote a caught-up nonvoter to voter automatically (default true). */
  autoPromote?: boolean;
}

export interface RestoredState {
  hardState: HardState | null;
  /** The newest durable snapshot, with its data (kept to send InstallSnapshot). */
  snapshot: Snapshot | null;
  /** The log store's entries, in order. Entries at or before the snapshot index are kept as
   *  trailing log when consistent with it; an inconsistent log is ignored (the host resets it,
   *  see logConsistentWithSnapshot). */
  entries: Entry[];
}

export type Membership = "unbootstrapped" | "voter" | "nonvoter" | "removed" | "none";

export interface PeerProgress {
  id: ServerId;
  match: number;
  next: number;
  state: ProgressState;
  inflight: number;
  recentActive: boolean;
  /** Answered, and kept up, within an election timeout (see Progress.active). */
  active: boolean;
}

/** What the host consults on every input (status() builds the full report, which costs). */
export interface CoreGlance {
  state: RaftState;
  leader: ServerId | null;
  commitIndex: number;
  leadTransferee: ServerId | null;
  membership: Membership;
}

export interface CoreStatus {
  id: ServerId;
  state: RaftState;
  term: number;
  vote: ServerId | null;
  leader: ServerId | null;
  commitIndex: number;
  appliedIndex: number;
  lastIndex: number;
  lastTerm: number;
  firstIndex: number;
  snapshotIndex: number;
  snapshotTerm: number;
  latestConfig: IndexedConfig;
  committedConfig: IndexedConfig;
  membership: Membership;
  /** Ticks since a leader was last heard from (0 on the leader); null when never. */
  ticksSinceLeaderContact: number | null;
  pendingConfigChange: boolean;
  leadTransferee: ServerId | null;
  /** Leader only: one row per follower being replicated to. */
  progress: PeerProgress[];
}

interface PendingRead {
  ctx: number;
  index: number;
  acks: Set<ServerId>;
}

const EMPTY: Uint8Array = new Uint8Array(0);

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0)
    throw new RaftConfigError(`${name} must be a positive integer, got ${v}`);
  return v;
}

/** Does a stored log continue `snap` (or is it empty)? Otherwise it is stale and must be reset. */
export function logConsistentWithSnapshot(snap: SnapshotMeta | null, stored: Entry[]): boolean {
  if (!snap || stored.length === 0) return true;
  if (stored[0].index === snap.index + 1) return true;
  return stored.some((e) => e.index === snap.index && e.term === snap.term);
}

export class RaftCore {
  private readonly id: ServerId;
  private readonly electionTicks: number;
  private readonly heartbeatTicks: number;
  private readonly checkQuorumTicks: number;
  private readonly rng: () => number;
  private readonly preVote: boolean;
  private readonly checkQuorum: boolean;
  private readonly maxEntries: number;
  private readonly maxInflight: number;
  private readonly autoPromote: boolean;

  private term: number;
  private vote: ServerId | null;
  private state: RaftState = "follower";
  private leader: ServerId | null = null;
  private readonly log: RaftLog;
  private commit: number;
  /** Highest committed index handed to the host for applying / confirmed applied. */
  private applying: number;
  private applied: number;
  private readonly configs: ConfigHistory;
  /** Some committed configuration contained this server (see "removed"). */
  private wasMember = false;
  /** Index of a configuration entry known committed because a later one followed it. */
  private committedConfigFloor = 0;
  /** Newest snapshot (with data), sent to followers that fell behind the in-memory log. */
  private snapshot: Snapshot | null;
  private snapshotToInstall: Snapshot | null = null;

  private lastHardState: HardState;
  /** maybeCommit's match indexes, reused. */
  private readonly matchScratch: number[] = [];
  private msgs: Message[] = [];
  private readStates: ReadState[] = [];
  private notices: RaftNotice[] = [];
  /** Term in which this follower last reported lost acknowledged entries (once per term). */
  private lostEntriesReported = 0;

  private electionElapsed = 0;
  private randomizedElectionTimeout = 0;
  private leaderContactTicks: number | null = null;
  private heartbeatElapsed = 0;
  private checkQuorumElapsed = 0;
  private votes = new Map<ServerId, boolean>();

  // Leader-only state.
  private progress = new Map<ServerId, Progress>();
  /** New entries or a new commit index wait to be sent; done once per Ready to batch them. */
  private replicateDirty = false;
  private commitDirty = false;
  private transferee: ServerId | null = null;
  private transferElapsed = 0;
  private pendingReads: PendingRead[] = [];
  private readsAwaitingCommit: number[] = [];

  constructor(opts: CoreOptions, restored: RestoredState) {
    if (typeof opts.id !== "string" || opts.id === "")
      throw new RaftConfigError("id must be a non-empty string");
    this.id = opts.id;
    this.electionTicks = positiveInt("electionTicks", opts.electionTicks);
    this.heartbeatTicks = positiveInt("heartbeatTicks", opts.heartbeatTicks);
    this.checkQuorumTicks = positiveInt("checkQuorumTicks", opts.checkQuorumTicks ?? opts.electionTicks);
    if (this.heartbeatTicks >= this.electionTicks) {
      throw new RaftConfigError("heartbeatTicks must be smaller than electionTicks");
    }
    if (this.checkQuorumTicks <= this.heartbeatTicks) {
      throw new RaftConfigError("checkQuorumTicks must be larger than heartbeatTicks");
    }
    if (typeof opts.rng !== "function") throw new RaftConfigError("rng must be a function");
    this.rng = opts.rng;
    this.preVote = opts.preVote ?? true;
    this.checkQuorum = opts.checkQuorum ?? true;
    this.maxEntries = positiveInt("maxEntriesPerAppend", opts.maxEntriesPerAppend ?? 64);
    this.maxInflight = positiveInt("maxInflightAppends", opts.maxInflightAppends ?? 8);
    this.autoPromote = opts.autoPromote ?? true;

    const hs = restored.hardState ?? { term: 0, vote: null };
    this.term = hs.term;
    this.vote = hs.vote;
    this.lastHardState = { ...hs };

    const snap = restored.snapshot;
    this.snapshot = snap;
    const { baseIndex, baseTerm, entries } = RaftCore.usableLog(snap, restored.entries);
    this.log = new RaftLog(baseIndex, baseTerm, entries);
    const snapIndex = snap?.meta.index ?? 0;
    this.commit = this.applying = this.applied = snapIndex;
    this.configs = new ConfigHistory(
      snap
        ? { index: snap.meta.configIndex, config: cloneConfig(snap.meta.config) }
        : { index: 0, config: EMPTY_CONFIG },
    );
    this.noteCommittedConfig(this.configs.latest());
    for (const e of entries) if (e.index > snapIndex && e.type === EntryType.Config) this.pushConfig(e);
    this.resetElectionTimer();
  }

  /** Decides which stored entries can be trusted given the snapshot (see RestoredState). */
  private static usableLog(
    snap: Snapshot | null,
    stored: Entry[],
  ): { baseIndex: number; baseTerm: number; entries: Entry[] } {
    for (let i = 1; i < stored.length; i++) {
      if (stored[i].index !== stored[i - 1].index + 1)
        throw new Error(`restored log has a gap before ${stored[i].index}`);
    }
    if (!snap) {
      if (stored.length > 0 && stored[0].index !== 1)
        throw new Error("restored log without snapshot must start at 1");
      return { baseIndex: 0, baseTerm: 0, entries: stored };
    }
    const { index, term } = snap.meta;
    if (!logConsistentWithSnapshot(snap.meta, stored))
      return { baseIndex: index, baseTerm: term, entries: [] };
    // Written after an installed snapshot reset the log: it continues the snapshot.
    if (stored[0]?.index === index + 1) return { baseIndex: index, baseTerm: term, entries: stored };
    if (stored.length === 0) return { baseIndex: index, baseTerm: term, entries: [] };
    // Keep the trailing log before the snapshot; its first entry becomes the base so every
    // term we report is real.
    return { baseIndex: stored[0].index, baseTerm: stored[0].term, entries: stored.slice(1) };
  }

  // -------------------------------------------------------------------------------------------
  // Inputs

  tick(): void {
    if (this.leaderContactTicks !== null && this.state !== "leader") this.leaderContactTicks++;
    if (this.state === "leader") this.tickLeader();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.electionElapsed < this.randomizedElectionTimeout) return;
    this.resetElectionTimer();
    // The leader went quiet: forget it, so no one is told to go to a dead server.
    if (this.state === "follower") this.leader = null;
    if (this.promotable()) this.campaign(false);
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.checkQuorumElapsed++;
    if (this.transferee !== null && ++this.transferElapsed >= this.electionTicks) this.transferee = null;
    // Deleting the entry being visited is safe in a Map iteration.
    for (const p of this.progress.values()) {
      p.tick(this.log.lastIndex());
      if (p.retireTicks !== null && --p.retireTicks <= 0) this.progress.delete(p.id);
      else if (p.state === "snapshot" && ++p.snapshotTicks >= this.electionTicks) {
        p.becomeProbe(); // the snapshot or its answer was probably lost: try again
        this.replicateDirty = true;
      }
    }
    if (this.checkQuorum && this.checkQuorumElapsed >= this.checkQuorumTicks) {
      this.checkQuorumElapsed = 0;
      if (!this.quorumActive()) {
        this.becomeFollower(this.term, null);
        return;
      }
      for (const p of this.progress.values()) p.recentActive = false;
    }
    if (this.heartbeatElapsed >= this.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.broadcastHeartbeat();
    }
  }

  step(m: Message): void {
    if (m.to !== this.id || m.from === this.id) return;
    const isVoteRequest = m.type === MessageType.PreVote || m.type === MessageType.Vote;
    if (isVoteRequest && !this.acceptsCandidate(m)) {
      this.respondVote(m, false); // before looking at its term: it must not disrupt us
      return;
    }
    if (m.term > this.term) {
      if (isVoteRequest) {
        if (this.inLease() && !m.transfer) return; // leader stickiness
        // Only a granted vote restarts our election timer (§5.2): a candidate with a stale
        // log bumping terms must not keep a better-placed server from ever campaigning.
        if (m.type === MessageType.Vote) this.becomeFollower(m.term, null, false);
      } else if (m.type === MessageType.PreVoteResp && m.granted) {
        // Carries the term we would campaign with, not a term anyone is in.
      } else if (this.isFromLeader(m)) {
        this.becomeFollower(m.term, m.from);
      } else {
        // A response with a higher term. A server outside our configuration (e.g. removed
        // while partitioned) cannot make us step down.
        if (!findServer(this.latestConfig(), m.from)) return;
        this.becomeFollower(m.term, null);
      }
    } else if (m.term < this.term) {
      // Tell a stale leader or pre-candidate about our term; ignore other stale messages.
      if (m.type === MessageType.Append || m.type === MessageType.InstallSnapshot) {
        this.send<AppendResponse>({
          type: MessageType.AppendResp,
          to: m.from,
          success: false,
          index: 0,
          hint: 0,
        });
      } else if (m.type === MessageType.Heartbeat) {
        this.send<HeartbeatResponse>({ type: MessageType.HeartbeatResp, to: m.from, readCtx: 0 });
      } else if (m.type === MessageType.PreVote) {
        this.respondVote(m, false);
      }
      return;
    }

    switch (m.type) {
      case MessageType.PreVote:
      case MessageType.Vote:
        this.handleVoteRequest(m);
        return;
      case MessageType.PreVoteResp:
      case MessageType.VoteResp:
        this.handleVoteResponse(m);
        return;
      case MessageType.Append:
      case MessageType.Heartbeat:
      case MessageType.InstallSnapshot:
        if (this.state === "leader") return; // impossible in a correct cluster (one leader per term)
        if (this.state !== "follower") this.becomeFollower(this.term, m.from);
        this.leader = m.from;
        this.electionElapsed = 0;
        this.leaderContactTicks = 0;
        if (m.type === MessageType.Append) this.handleAppend(m);
        else if (m.type === MessageType.Heartbeat) this.handleHeartbeat(m);
        else this.handleSnapshot(m);
        return;
      case MessageType.AppendResp:
        if (this.state === "leader") this.handleAppendResponse(m);
        return;
      case MessageType.HeartbeatResp:
        if (this.state === "leader") this.handleHeartbeatResponse(m);
        return;
      case MessageType.TimeoutNow:
        // The leader asks us to take over at once: no pre-vote, and stickiness is overridden.
        if (this.state !== "leader" && this.promotable()) this.becomeCandidate(true);
        return;
    }
  }

  bootstrap(config: Configuration): void {
    if (this.log.lastIndex() !== 0 || this.snapshot !== null || this.term !== 0)
      throw new AlreadyBootstrappedError();
    validateConfig(config);
    this.term = 1;
    const entry: Entry = {
      index: 1,
      term: 1,
      type: EntryType.Config,
      data: EMPTY,
      config: cloneConfig(config),
    };
    this.log.append([entry]);
    this.pushConfig(entry);
  }

  propose(data: Uint8Array): { index: number; term: number } {
    this.requireLeaderAcceptingProposals();
    return this.appendOwn(EntryType.Command, data);
  }

  proposeConfChange(change: ConfChange, data: Uint8Array = EMPTY): { index: number; term: number } {
    this.requireLeaderAcceptingProposals();
    if (this.latestConfigIndex() > this.commit) {
      throw new ConfigChangeInProgressError("an earlier configuration change is not committed yet");
    }
    if (!this.committedInTerm()) {
      throw new ConfigChangeInProgressError("the new leader has not committed an entry of its term yet");
    }
    const config = applyConfChange(this.latestConfig(), change);
    return this.appendOwn(EntryType.Config, data, config);
  }

  transferLeadership(to?: ServerId): void {
    this.requireLeader();
    if (this.transferee !== null) throw new LeadershipTransferInProgressError();
    const target = to ?? this.bestTransferTarget();
    if (target === this.id) return;
    if (!isVoter(this.latestConfig(), target)) {
      throw new NoTransferTargetError(`${target} is not a voter of the latest configuration`);
    }
    this.transferee = target;
    this.transferElapsed = 0;
    const p = this.progress.get(target)!;
    if (p.match === this.log.lastIndex()) this.sendTimeoutNow(target);
    else this.replicateDirty = true;
  }

  readIndex(ctx: number): void {
    this.requireLeader();
    if (!Number.isInteger(ctx) || ctx <= 0)
      throw new RaftConfigError(`readIndex ctx must be a positive integer, got ${ctx}`);
    // The commit index is only known to be current once an entry of our term committed.
    if (this.committedInTerm()) this.startRead(ctx);
    else this.readsAwaitingCommit.push(ctx);
  }

  /**
   * The host snapshotted the FSM at `snapshot.meta.index` (<= applied). Keep it for followers
   * and forget in-memory entries before index - trailing. Returns the index the log store may
   * truncateBefore.
   */
  compact(snapshot: Snapshot, trailing: number): number {
    const { index, term } = snapshot.meta;
    if (index > this.applied)
      throw new RaftConfigError(`cannot compact at ${index}: only ${this.applied} is applied`);
    if (!Number.isInteger(trailing) || trailing < 0)
      throw new RaftConfigError("trailing must be a non-negative integer");
    if (this.snapshot && index <= this.snapshot.meta.index) return this.log.firstIndex();
    if (this.log.term(index) !== term)
      throw new RaftConfigError(`snapshot term ${term} does not match the log at ${index}`);
    this.snapshot = snapshot;
    this.log.compactTo(index - trailing);
    this.configs.compact(this.commit);
    return this.log.firstIndex();
  }

  /** Metadata for a snapshot of the FSM at `index` (an applied index). */
  snapshotMeta(index: number): SnapshotMeta {
    const term = this.log.term(index);
    if (term === undefined || index > this.applied)
      throw new RaftConfigError(`no applied entry at ${index} to snapshot`);
    const c = this.configs.at(index);
    return { index, term, config: cloneConfig(c.config), configIndex: c.index };
  }

  // -------------------------------------------------------------------------------------------
  // Output

  hasReady(): boolean {
    return (
      this.replicateDirty ||
      this.commitDirty ||
      this.msgs.length > 0 ||
      this.readStates.length > 0 ||
      this.notices.length > 0 ||
      this.snapshotToInstall !== null ||
      this.log.hasUnstable() ||
      this.commit > this.applying ||
      this.term !== this.lastHardState.term ||
      this.vote !== this.lastHardState.vote
    );
  }

  ready(): Ready {
    if (this.state === "leader") this.flushReplication();
    const rd: Ready = { entries: [], messages: this.msgs, committed: [], readStates: this.readStates };
    this.msgs = [];
    this.readStates = [];
    if (this.notices.length > 0) {
      rd.notices = this.notices;
      this.notices = [];
    }
    if (this.term !== this.lastHardState.term || this.vote !== this.lastHardState.vote) {
      rd.hardState = { term: this.term, vote: this.vote };
      this.lastHardState = { ...rd.hardState };
    }
    if (this.snapshotToInstall) {
      rd.snapshot = this.snapshotToInstall;
      this.snapshotToInstall = null;
    }
    const unstable = this.log.takeUnstable();
    if (unstable.truncateFrom !== null) rd.truncateFrom = unstable.truncateFrom;
    rd.entries = unstable.entries;
    if (this.commit > this.applying) {
      rd.committed = this.log.slice(this.applying + 1, this.commit);
      this.applying = this.commit;
    }
    return rd;
  }

  advance(rd: Ready): void {
    if (rd.snapshot) {
      this.log.stableTo(rd.snapshot.meta);
      this.applied = Math.max(this.applied, rd.snapshot.meta.index);
    }
    if (rd.entries.length > 0) this.log.stableTo(rd.entries[rd.entries.length - 1]);
    if (rd.committed.length > 0)
      this.applied = Math.max(this.applied, rd.committed[rd.committed.length - 1].index);
    // The leader's own log counts towards the quorum only now that it is durable.
    if (this.state === "leader") this.maybeCommit();
  }

  glance(): CoreGlance {
    return {
      state: this.state,
      leader: this.leader,
      commitIndex: this.commit,
      leadTransferee: this.transferee,
      membership: this.membership(),
    };
  }

  /** A server's address per the latest configuration, else the committed one. */
  serverAddress(id: ServerId): string | undefined {
    return (findServer(this.latestConfig(), id) ?? findServer(this.committedConfig().config, id))?.address;
  }

  status(): CoreStatus {
    return {
      id: this.id,
      state: this.state,
      term: this.term,
      vote: this.vote,
      leader: this.leader,
      commitIndex: this.commit,
      appliedIndex: this.applied,
      lastIndex: this.log.lastIndex(),
      lastTerm: this.log.lastTerm(),
      firstIndex: this.log.firstIndex(),
      snapshotIndex: this.snapshot?.meta.index ?? 0,
      snapshotTerm: this.snapshot?.meta.term ?? 0,
      latestConfig: this.configs.latest(),
      committedConfig: this.committedConfig(),
      membership: this.membership(),
      ticksSinceLeaderContact: this.state === "leader" ? 0 : this.leaderContactTicks,
      pendingConfigChange: this.latestConfigIndex() > this.commit,
      leadTransferee: this.transferee,
      progress:
        this.state !== "leader"
          ? []
          : [...this.progress.values()].map((p) => ({
              id: p.id,
              match: p.match,
              next: p.next,
              state: p.state,
              inflight: p.inflight.length,
              recentActive: p.recentActive,
              active: p.active(this.activityWindowTicks()),
            })),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Membership

  private latestConfig(): Configuration {
    return this.configs.latest().config;
  }

  private latestConfigIndex(): number {
    return this.configs.latest().index;
  }

  private membership(): Membership {
    const latest = this.latestConfig();
    if (latest.servers.length === 0) return "unbootstrapped";
    if (this.wasMember && !findServer(this.committedConfig().config, this.id)) return "removed";
    return findServer(latest, this.id)?.suffrage ?? "none";
  }

  /**
   * Only voters campaign. One exception, as in hashicorp: a voter of the committed configuration
   * whose removal is appended but not known to be committed may still be needed to commit it
   * (a leader appends its own removal, then loses leadership, and holds the longest log). It
   * campaigns counting the votes of the latest configuration only.
   */
  private promotable(): boolean {
    const membership = this.membership();
    if (membership === "voter") return true;
    if (membership !== "none") return false;
    const committed = this.committedConfig();
    return this.latestConfigIndex() > committed.index && isVoter(committed.config, this.id);
  }

  /**
   * The newest configuration known to be committed. Besides the commit index (which a restart
   * forgets), the log itself tells: a leader appends a configuration only once the previous one
   * committed, so every configuration entry that has a successor in our log is committed.
   */
  private committedConfig(): IndexedConfig {
    return this.configs.at(Math.max(this.commit, this.committedConfigFloor));
  }

  private noteCommittedConfig(c: IndexedConfig): void {
    if (findServer(c.config, this.id)) this.wasMember = true;
  }

  private pushConfig(e: Entry): void {
    const previous = this.configs.latest();
    this.committedConfigFloor = Math.max(this.committedConfigFloor, previous.index);
    this.configs.push({ index: e.index, config: e.config! });
    this.noteCommittedConfig(this.committedConfig());
    if (this.state === "leader") this.syncProgress();
  }

  /**
   * Keep one Progress per server of the latest or committed configuration. A server that left
   * both keeps receiving for electionTicks more, so it can learn that its removal committed.
   */
  private syncProgress(): void {
    const wanted = new Set<ServerId>();
    for (const s of this.latestConfig().servers) wanted.add(s.id);
    for (const s of this.committedConfig().config.servers) wanted.add(s.id);
    wanted.delete(this.id);
    for (const id of wanted) {
      const p = this.progress.get(id);
      if (p) p.retireTicks = null;
      else {
        this.progress.set(id, new Progress(id, this.log.lastIndex() + 1));
        this.replicateDirty = true;
      }
    }
    for (const p of this.progress.values()) {
      if (!wanted.has(p.id) && p.retireTicks === null) p.retireTicks = this.electionTicks;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Elections

  private resetElectionTimer(): void {
    this.electionElapsed = 0;
    this.randomizedElectionTimeout = this.electionTicks + Math.floor(this.rng() * this.electionTicks);
  }

  /** A follower that heard from its leader within electionTicks keeps it (leader stickiness). */
  private inLease(): boolean {
    if (this.state === "leader") return true;
    return (
      this.leader !== null && this.leaderContactTicks !== null && this.leaderContactTicks < this.electionTicks
    );
  }

  private campaign(transfer: boolean): void {
    if (this.preVote && !transfer) this.becomePreCandidate();
    else this.becomeCandidate(transfer);
  }

  private becomeFollower(term: number, leader: ServerId | null, resetTimer = true): void {
    if (term > this.term) {
      this.term = term;
      this.vote = null;
    }
    this.state = "follower";
    this.leader = leader;
    if (leader !== null) this.leaderContactTicks = 0;
    if (resetTimer) this.resetElectionTimer();
    this.resetLeaderState();
  }

  private resetLeaderState(): void {
    this.progress.clear();
    this.transferee = null;
    this.pendingReads = [];
    this.readsAwaitingCommit = [];
    this.replicateDirty = false;
    this.commitDirty = false;
  }

  private becomePreCandidate(): void {
    this.state = "precandidate";
    this.leader = null;
    this.resetElectionTimer();
    this.votes = new Map([[this.id, true]]);
    if (this.electionWon()) {
      this.becomeCandidate(false);
      return;
    }
    this.requestVotes(MessageType.PreVote, this.term + 1, false);
  }

  private becomeCandidate(transfer: boolean): void {
    this.resetLeaderState();
    this.term++;
    this.vote = this.id;
    this.state = "candidate";
    this.leader = null;
    this.resetElectionTimer();
    this.votes = new Map([[this.id, true]]);
    if (this.electionWon()) {
      this.becomeLeader();
      return;
    }
    this.requestVotes(MessageType.Vote, this.term, transfer);
  }

  private requestVotes(type: MessageType.PreVote | MessageType.Vote, term: number, transfer: boolean): void {
    for (const id of voters(this.latestConfig())) {
      if (id === this.id) continue;
      this.msgs.push({
        type,
        from: this.id,
        to: id,
        term,
        lastLogIndex: this.log.lastIndex(),
        lastLogTerm: this.log.lastTerm(),
        transfer,
      } satisfies VoteRequest);
    }
  }

  private electionWon(): boolean {
    const vs = voters(this.latestConfig());
    return vs.filter((id) => this.votes.get(id) === true).length >= quorumSize(vs.length);
  }

  private electionLost(): boolean {
    const vs = voters(this.latestConfig());
    return vs.filter((id) => this.votes.get(id) === false).length >= quorumSize(vs.length);
  }

  /**
   * Vote requests are only considered from voters of our latest configuration, so a removed
   * server with a high term cannot disrupt the cluster. Exceptions keep elections possible:
   * - a voter of our committed configuration: our latest configuration may be an uncommitted
   *   one the rest of the cluster never saw (two leaders each appended a different change);
   * - a candidate whose log is strictly ahead of ours: we may just lack the entry that added
   *   it, and our vote may be needed (a removed server's log cannot be ahead of a member that
   *   stayed in touch with the cluster);
   * - when we have no configuration at all we cannot judge.
   */
  private acceptsCandidate(m: VoteRequest): boolean {
    const latest = this.latestConfig();
    if (latest.servers.length === 0 || isVoter(latest, m.from)) return true;
    if (isVoter(this.committedConfig().config, m.from)) return true;
    const lastTerm = this.log.lastTerm();
    return m.lastLogTerm > lastTerm || (m.lastLogTerm === lastTerm && m.lastLogIndex > this.log.lastIndex());
  }

  private handleVoteRequest(m: VoteRequest): void {
    const canVote =
      this.vote === m.from ||
      (this.vote === null && this.leader === null) ||
      (m.type === MessageType.PreVote && m.term > this.term);
    const grant = canVote && this.log.isUpToDate(m.lastLogIndex, m.lastLogTerm);
    this.respondVote(m, grant);
    if (grant && m.type === MessageType.Vote) {
      this.vote = m.from; // durable before the answer leaves: both are in the same Ready
      this.electionElapsed = 0;
    }
  }

  private respondVote(m: VoteRequest, granted: boolean): void {
    this.msgs.push({
      type: m.type === MessageType.PreVote ? MessageType.PreVoteResp : MessageType.VoteResp,
      from: this.id,
      to: m.from,
      // A granted pre-vote echoes the proposed term; anything else carries ours.
      term: granted ? m.term : this.term,
      granted,
    } satisfies VoteResponse);
  }

  private handleVoteResponse(m: VoteResponse): void {
    const expected =
      (this.state === "precandidate" && m.type === MessageType.PreVoteResp) ||
      (this.state === "candidate" && m.type === MessageType.VoteResp);
    if (!expected) return;
    if (m.type === MessageType.PreVoteResp && m.granted && m.term !== this.term + 1) return; // older round
    this.votes.set(m.from, m.granted);
    if (this.electionWon()) {
      if (this.state === "precandidate") this.becomeCandidate(false);
      else this.becomeLeader();
    } else if (this.electionLost()) {
      this.becomeFollower(this.term, null);
    }
  }

  private becomeLeader(): void {
    this.state = "leader";
    this.leader = this.id;
    this.leaderContactTicks = 0;
    this.heartbeatElapsed = 0;
    this.checkQuorumElapsed = 0;
    this.resetLeaderState();
    this.syncProgress();
    // A Noop of our term lets us commit (and thereby learn) everything earlier (§5.4.2), and
    // unlocks configuration changes and reads.
    this.appendOwn(EntryType.Noop, EMPTY);
  }

  // -------------------------------------------------------------------------------------------
  // Follower side of replication

  private isFromLeader(m: Message): boolean {
    return (
      m.type === MessageType.Append ||
      m.type === MessageType.Heartbeat ||
      m.type === MessageType.InstallSnapshot ||
      m.type === MessageType.TimeoutNow
    );
  }

  private handleAppend(m: AppendRequest): void {
    let prev = m.prevLogIndex;
    let prevTerm: number | undefined = m.prevLogTerm;
    let entries = m.entries;
    if (prev < this.commit) {
      // Everything up to our commit index matches the leader already; skip that part.
      const skip = Math.min(this.commit - prev, entries.length);
      entries = entries.slice(skip);
      prev += skip;
      if (skip > 0) prevTerm = m.entries[skip - 1].term;
      if (prev < this.commit) {
        this.respondAppend(m.from, true, this.commit, 0);
        return;
      }
    }
    const mine = this.log.term(prev);
    if (mine === undefined || mine !== prevTerm) {
      this.respondAppend(m.from, false, m.prevLogIndex, this.conflictHint(prev, prevTerm ?? 0));
      return;
    }
    const firstNew = this.log.merge(entries);
    if (firstNew !== null) {
      this.retractAcksFrom(firstNew);
      this.configs.truncateFrom(firstNew); // configurations take effect when appended, and revert
      for (const e of entries) if (e.index >= firstNew && e.type === EntryType.Config) this.pushConfig(e);
    }
    const lastNew = prev + entries.length;
    if (Math.min(m.commit, lastNew) > this.commit) this.commitTo(Math.min(m.commit, lastNew));
    this.respondAppend(m.from, true, lastNew, 0);
  }

  /** Largest index <= prev whose term is <= prevTerm: the leader's next probe point. */
  private conflictHint(prev: number, prevTerm: number): number {
    let i = Math.min(prev, this.log.lastIndex());
    while (i >= this.log.firstIndex()) {
      const t = this.log.term(i)!;
      if (t <= prevTerm) break;
      i--;
    }
    return Math.max(i, this.log.firstIndex() - 1);
  }

  /**
   * Drops not-yet-sent acknowledgements that vouch for entries at or after `index`, because those
   * entries are being replaced in this same Ready: the host persists only the final log, so such
   * an ack (say to an older leader) would claim entries that never reach our disk and could let
   * that leader commit them without a real quorum. (Found by the simulator.)
   */
  private retractAcksFrom(index: number): void {
    this.msgs = this.msgs.filter(
      (m) => !(m.type === MessageType.AppendResp && m.success && m.index >= index),
    );
  }

  private respondAppend(to: ServerId, success: boolean, index: number, hint: number): void {
    // Written out in full (not through send()'s spread): this and sendAppend run on every commit.
    this.msgs.push({
      type: MessageType.AppendResp,
      from: this.id,
      to,
      term: this.term,
      success,
      index,
      hint,
    } satisfies AppendResponse);
  }

  private handleHeartbeat(m: HeartbeatRequest): void {
    // The leader caps a heartbeat's commit index at what we acknowledged: above our last
    // index, our disk lost entries we had vouched for (e.g. an older copy was restored). Tell
    // the leader where our log really ends (an idle leader would otherwise never find out).
    if (m.commit > this.log.lastIndex()) {
      if (this.lostEntriesReported !== this.term) {
        this.lostEntriesReported = this.term;
        this.notices.push({
          level: "error",
          message:
            "this node lost log entries it had acknowledged (its disk is older than what it told the " +
            "leader); the leader is sending them again",
          fields: { leader: m.from, acknowledgedAtLeast: m.commit, lastIndex: this.log.lastIndex() },
        });
      }
      this.respondAppend(m.from, false, m.commit, this.log.lastIndex());
    }
    const commit = Math.min(m.commit, this.log.lastIndex());
    if (commit > this.commit) this.commitTo(commit);
    this.send<HeartbeatResponse>({ type: MessageType.HeartbeatResp, to: m.from, readCtx: m.readCtx });
  }

  private handleSnapshot(m: InstallSnapshotRequest): void {
    const meta = m.snapshot.meta;
    if (meta.index <= this.commit) {
      this.respondAppend(m.from, true, this.commit, 0);
      return;
    }
    if (this.log.term(meta.index) === meta.term) {
      // We already hold that entry: the prefix matches, no need to throw our log away.
      this.commitTo(meta.index);
      this.respondAppend(m.from, true, meta.index, 0);
      return;
    }
    this.retractAcksFrom(meta.index + 1);
    this.log.resetTo(meta.index, meta.term);
    this.configs.reset({ index: meta.configIndex, config: cloneConfig(meta.config) });
    this.snapshot = m.snapshot;
    this.snapshotToInstall = m.snapshot;
    this.applying = meta.index;
    this.commitTo(meta.index);
    this.respondAppend(m.from, true, meta.index, 0);
  }

  private commitTo(index: number): void {
    const before = this.commit;
    this.commit = index;
    if (this.wasMember) return; // all the rest can learn (and it cannot be unlearned)
    for (const c of this.configs.between(before, index)) this.noteCommittedConfig(c);
    this.noteCommittedConfig(this.committedConfig());
  }

  // -------------------------------------------------------------------------------------------
  // Leader side of replication

  private requireLeader(): void {
    if (this.state !== "leader") throw new NotLeaderError(this.leader);
  }

  private requireLeaderAcceptingProposals(): void {
    this.requireLeader();
    if (this.transferee !== null) throw new LeadershipTransferInProgressError();
  }

  private committedInTerm(): boolean {
    return this.log.term(this.commit) === this.term;
  }

  private appendOwn(
    type: EntryType,
    data: Uint8Array,
    config?: Configuration,
  ): { index: number; term: number } {
    const entry: Entry = { index: this.log.lastIndex() + 1, term: this.term, type, data };
    if (config) entry.config = config;
    this.log.append([entry]);
    if (config) this.pushConfig(entry);
    this.replicateDirty = true;
    return { index: entry.index, term: entry.term };
  }

  private send<T extends Message>(m: Omit<T, "from" | "term">): void {
    this.msgs.push({ ...m, from: this.id, term: this.term } as unknown as Message);
  }

  /** Send whatever each follower can take now, and tell up-to-date ones a new commit index. */
  private flushReplication(): void {
    for (const p of this.progress.values()) {
      let sent = false;
      while (p.canSend(this.maxInflight) && p.next <= this.log.lastIndex()) {
        if (!this.sendAppend(p)) break;
        sent = true;
        if (p.state !== "replicate") break;
      }
      if (!sent && this.commitDirty && p.state === "replicate" && p.next > this.log.lastIndex())
        this.sendAppend(p);
    }
    this.replicateDirty = false;
    this.commitDirty = false;
  }

  /** One Append (or an InstallSnapshot when the needed entries are compacted). */
  private sendAppend(p: Progress): boolean {
    const prev = p.next - 1;
    const prevTerm = this.log.term(prev);
    if (prevTerm === undefined) return this.sendSnapshot(p);
    const entries = this.log.slice(p.next, this.log.lastIndex(), this.maxEntries);
    this.msgs.push({
      type: MessageType.Append,
      from: this.id,
      to: p.id,
      term: this.term,
      prevLogIndex: prev,
      prevLogTerm: prevTerm,
      entries,
      commit: this.commit,
    } satisfies AppendRequest);
    p.sent(prev + entries.length, entries.length > 0);
    return true;
  }

  private sendSnapshot(p: Progress): boolean {
    if (!this.snapshot) return false; // cannot happen: entries are only dropped after a snapshot
    this.send<InstallSnapshotRequest>({
      type: MessageType.InstallSnapshot,
      to: p.id,
      snapshot: this.snapshot,
    });
    p.becomeSnapshot(this.snapshot.meta.index);
    return true;
  }

  private broadcastHeartbeat(): void {
    const readCtx = this.pendingReads.length > 0 ? this.pendingReads[this.pendingReads.length - 1].ctx : 0;
    for (const p of this.progress.values()) this.sendHeartbeat(p, readCtx);
  }

  private sendHeartbeat(p: Progress, readCtx: number): void {
    this.send<HeartbeatRequest>({
      type: MessageType.Heartbeat,
      to: p.id,
      commit: Math.min(this.commit, p.match),
      readCtx,
    });
  }

  private handleAppendResponse(m: AppendResponse): void {
    const p = this.progress.get(m.from);
    if (!p) return;
    p.heard();
    if (!m.success) {
      // A rejection whose hint (the follower's last matching index, never below what it still
      // holds of what it acknowledged) is below the match index: its log lost entries. Back off
      // to its real log instead of probing at the recorded match index forever (etcd and
      // hashicorp assume this cannot happen). A stale rejection merely costs a resend.
      if (m.hint < p.match) {
        this.notices.push({
          level: "warn",
          message: "follower's log is shorter than it acknowledged; resending the entries it lost",
          fields: { follower: m.from, acknowledged: p.match, lastIndex: m.hint },
        });
        p.regress(m.hint);
        this.replicateDirty = true;
        return;
      }
      if (p.reject(m.index, m.hint)) this.replicateDirty = true;
      return;
    }
    const advanced = p.acknowledge(m.index);
    if (p.next <= this.log.lastIndex()) this.replicateDirty = true;
    if (!advanced) return;
    this.maybeCommit();
    if (this.state !== "leader") return;
    if (m.from === this.transferee && p.match === this.log.lastIndex()) this.sendTimeoutNow(m.from);
    this.maybeAutoPromote();
  }

  private handleHeartbeatResponse(m: HeartbeatResponse): void {
    const p = this.progress.get(m.from);
    if (!p) return;
    p.heard();
    if (p.state === "probe") p.paused = false;
    if (p.state === "replicate" && p.inflight.length >= this.maxInflight) p.inflight.shift();
    // Alive but behind (an Append may have been lost): probe it now.
    if (p.match < this.log.lastIndex() && p.canSend(this.maxInflight)) this.sendAppend(p);
    if (m.readCtx !== 0) this.acknowledgeRead(m.from, m.readCtx);
  }

  /** Commit the highest index stored by a quorum of the latest voters, if of our term (§5.4.2). */
  private maybeCommit(): void {
    // Runs on every acknowledgement: one reused array, no per-call garbage.
    const matches = this.matchScratch;
    matches.length = 0;
    for (const s of this.latestConfig().servers) {
      if (s.suffrage !== "voter") continue;
      matches.push(s.id === this.id ? this.log.persisted : (this.progress.get(s.id)?.match ?? 0));
    }
    const candidate = quorumMatch(matches);
    if (candidate <= this.commit || this.log.term(candidate) !== this.term) return;
    const committedBefore = this.committedConfig();
    this.commitTo(candidate);
    this.commitDirty = true;
    // Only a newly committed configuration can retire a peer.
    if (this.committedConfig() !== committedBefore) this.syncProgress();
    if (this.membership() === "removed") {
      this.stepDownRemoved();
      return;
    }
    for (const ctx of this.readsAwaitingCommit.splice(0)) this.startRead(ctx);
    this.maybeAutoPromote();
  }

  /**
   * Our removal committed. Push the new commit index out, hand leadership to an up-to-date
   * voter right away (instead of making the cluster wait an election timeout), and stop.
   */
  private stepDownRemoved(): void {
    this.flushReplication();
    const target = voters(this.latestConfig())
      .map((id) => this.progress.get(id))
      .find((p) => p !== undefined && p.match === this.log.lastIndex());
    if (target) this.sendTimeoutNow(target.id);
    this.becomeFollower(this.term, null);
  }

  private sendTimeoutNow(to: ServerId): void {
    this.send({ type: MessageType.TimeoutNow, to });
  }

  /** The leader's "recently active" window: one election timeout (etcd's strict reconfiguration
   *  check uses the same span). Short on purpose: a voter that died within it still counts. */
  private activityWindowTicks(): number {
    return this.electionTicks;
  }

  private quorumActive(): boolean {
    const vs = voters(this.latestConfig());
    const active = vs.filter((id) => id === this.id || this.progress.get(id)?.recentActive === true).length;
    return active >= quorumSize(vs.length);
  }

  private bestTransferTarget(): ServerId {
    let best: Progress | null = null;
    for (const id of voters(this.latestConfig()).sort()) {
      const p = this.progress.get(id);
      if (id === this.id || !p) continue;
      if (best === null || p.match > best.match) best = p;
    }
    if (!best) throw new NoTransferTargetError("there is no other voter");
    return best.id;
  }

  private maybeAutoPromote(): void {
    if (!this.autoPromote || this.transferee !== null) return;
    if (this.latestConfigIndex() > this.commit || !this.committedInTerm()) return;
    for (const s of this.latestConfig().servers) {
      if (s.suffrage !== "nonvoter") continue;
      const p = this.progress.get(s.id);
      if (!p || p.match < this.latestConfigIndex() || this.log.lastIndex() - p.match > this.maxEntries)
        continue;
      this.proposeConfChange({ op: "promote", id: s.id });
      return;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Linearizable reads (ReadIndex, thesis §6.4)

  private startRead(ctx: number): void {
    const vs = voters(this.latestConfig());
    const acks = new Set<ServerId>(vs.includes(this.id) ? [this.id] : []);
    const read = { ctx, index: this.commit, acks };
    if (acks.size >= quorumSize(vs.length)) {
      this.readStates.push({ ctx, index: read.index });
      return;
    }
    this.pendingReads.push(read);
    for (const p of this.progress.values()) this.sendHeartbeat(p, ctx);
  }

  /** A heartbeat answer for round `ctx` also confirms every earlier round. */
  private acknowledgeRead(from: ServerId, ctx: number): void {
    const pos = this.pendingReads.findIndex((r) => r.ctx === ctx);
    if (pos < 0) return;
    const vs = voters(this.latestConfig());
    if (!vs.includes(from)) return;
    const read = this.pendingReads[pos];
    read.acks.add(from);
    if (read.acks.size < quorumSize(vs.length)) return;
    for (const r of this.pendingReads.splice(0, pos + 1))
      this.readStates.push({ ctx: r.ctx, index: r.index });
  }
}
