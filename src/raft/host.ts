/**
 * RaftNode: the thin driver around the pure RaftCore, with a hashicorp-style promise API.
 *
 * The driver turns time (clock ticks), network input (transport) and client calls into core
 * inputs, and executes the core's Readies strictly in order: persist (hard state, snapshot,
 * truncation, entries — one logStore.append per Ready), send, apply, advance (a leader's appends
 * alone may go out during its own write: see Ready in types.ts). Processing runs
 * at most once at a time; inputs that arrive while a Ready is being persisted go straight into
 * the core and are batched into the next Ready: that is the group commit.
 *
 * Everything environmental is injected (Clock, Transport, stores, random), and no real timer
 * is used, so the deterministic simulator can drive a node exactly.
 */
import { logConsistentWithSnapshot, RaftCore, type CoreGlance, type CoreStatus } from "./core.ts";
import {
  ConfigChangedError,
  ConfigChangeInProgressError,
  LeadershipLostError,
  NotLeaderError,
  RaftConfigError,
  ShutdownError,
  TimeoutError,
} from "./errors.ts";
import type { ConfChange } from "./membership.ts";
import {
  EntryType,
  MessageType,
  type Clock,
  type Configuration,
  type Entry,
  type LogStore,
  type Message,
  type RaftState,
  type Ready,
  type ServerId,
  type SnapshotStore,
  type StableStore,
  type StateMachine,
  type Transport,
} from "./types.ts";

export interface RaftLogger {
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
  error(o: object, msg: string): void;
}

export interface RaftNodeOptions {
  /** Default: the id saved in the stable store, else a new one made with `random` and saved. */
  id?: ServerId;
  clock: Clock;
  transport: Transport;
  logStore: LogStore;
  stableStore: StableStore;
  snapshotStore: SnapshotStore;
  fsm: StateMachine;
  tickMs: number;
  electionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** A leader that heard from no quorum for this long steps down (check-quorum). */
  leaderLeaseMs: number;
  /** Snapshot once this many entries were applied since the last snapshot. */
  snapshotThreshold: number;
  /** Entries kept in the log behind a snapshot (lets slow followers catch up without one). */
  trailingLogs: number;
  random?: () => number;
  logger?: RaftLogger;
  /** Default bound for apply / membership changes / reads when the caller gives none. */
  defaultTimeoutMs?: number;
  maxEntriesPerAppend?: number;
  maxInflightAppends?: number;
  preVote?: boolean;
}

export type NodeState = RaftState | "shutdown" | "removed" | "unbootstrapped";

export interface LeaderInfo {
  id: ServerId;
  address: string;
}

export interface ApplyResult {
  index: number;
  result: unknown;
}

export interface RaftStats {
  id: ServerId;
  state: NodeState;
  term: number;
  leaderId: ServerId | null;
  commitIndex: number;
  appliedIndex: number;
  lastLogIndex: number;
  lastLogTerm: number;
  lastSnapshotIndex: number;
  lastSnapshotTerm: number;
  /** Milliseconds since the leader was last heard from; 0 on the leader; null when never. */
  lastContactMs: number | null;
  voters: ServerId[];
  nonvoters: ServerId[];
  configIndex: number;
  committedConfigIndex: number;
  pendingConfigChange: boolean;
}

export interface ConfigurationView {
  latest: { index: number; config: Configuration };
  committed: { index: number; config: Configuration };
}

interface Deferred<T> {
  resolve(v: T): void;
  reject(e: Error): void;
  deadline: number;
  timeoutMs: number;
}

interface PendingApply extends Deferred<ApplyResult> {
  term: number;
}

/** What a membership change's precondition sees: the leader's view at the moment it appends. */
export interface LeaderView {
  /** The configuration the change will replace, and its index. */
  config: Configuration;
  configIndex: number;
  /** Whether the leader heard from this server, and saw it keep up, within an election timeout
   *  (the leader itself is always active). */
  active(id: ServerId): boolean;
}

export interface ChangeOptions {
  timeoutMs?: number;
  /** Refuse with ConfigChangedError unless the latest configuration is still at this index. */
  prevIndex?: number;
  /** Checked on the leader right before the change is appended; an Error refuses it. */
  precondition?: (view: LeaderView) => Error | null;
}

/** One server of the latest configuration as this node sees it. */
export interface ServerView {
  id: ServerId;
  address: string;
  suffrage: "voter" | "nonvoter";
  /** Leader only: active in its view (see LeaderView.active); null on other nodes. */
  active: boolean | null;
  /** Leader only: the highest index known stored on the server. */
  match: number | null;
}

interface QueuedConfChange extends Deferred<ApplyResult> {
  change: ConfChange;
  data: Uint8Array;
  prevIndex?: number;
  precondition?: (view: LeaderView) => Error | null;
}

interface PendingRead extends Deferred<number> {
  /** Known once the core confirmed leadership for this read. */
  index: number | null;
}

const NO_LOGGER: RaftLogger = { info() {}, warn() {}, error() {} };
const EMPTY: Uint8Array = new Uint8Array(0);
const RESOLVED: Promise<void> = Promise.resolve();

function requireNumber(name: string, v: unknown, min: number): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min) {
    throw new RaftConfigError(`${name} must be a number >= ${min}, got ${String(v)}`);
  }
  return v;
}

/** Whether a Ready has anything to write before its messages may go out. */
function mustPersist(rd: Ready): boolean {
  return (
    rd.hardState !== undefined ||
    rd.snapshot !== undefined ||
    rd.truncateFrom !== undefined ||
    rd.entries.length > 0
  );
}

function sameRecipientAsFirst(m: Message, _: number, all: Message[]): boolean {
  return m.to === all[0].to;
}

function nodeState(st: CoreGlance): NodeState {
  return st.membership === "removed" || st.membership === "unbootstrapped" ? st.membership : st.state;
}

/** 128 random bits as hex: unique per incarnation of a server's Raft state. */
function generateServerId(random: () => number): ServerId {
  let id = "";
  for (let i = 0; i < 16; i++)
    id += Math.floor(random() * 256)
      .toString(16)
      .padStart(2, "0");
  return id;
}

export class RaftNode {
  readonly id: ServerId;
  private readonly opts: RaftNodeOptions;
  private readonly core: RaftCore;
  private readonly log: RaftLogger;
  private readonly defaultTimeoutMs: number;
  private ticker: { cancel(): void } | null = null;

  private scheduled = false;
  /** A drive() is under way; `driving` is the latest one (what shutdown waits for). */
  private driveRunning = false;
  private driving: Promise<void> = Promise.resolve();
  private idleWaiters: Array<() => void> = [];
  private stopped = false;
  private shutdownPromise: Promise<void> | null = null;
  /** The error that stopped this node (a store or the FSM failed), null while it runs or after
   *  an ordinary shutdown. */
  private failedWith: NodeJS.ErrnoException | null = null;

  private appliedIndex: number;
  /** Committed entries whose apply waits for the FSM's preparation of the first (see
   *  StateMachine.prepare), in log order; `applying` runs them while the Ready loop goes on. */
  private applyQueue: Array<{ entry: Entry; preparing: Promise<void> | null }> = [];
  private applying: Promise<void> | null = null;
  private lastSnapshotIndex: number;
  private readonly learnedAddresses = new Map<ServerId, string>();

  private readonly applies = new Map<number, PendingApply>();
  private confQueue: QueuedConfChange[] = [];
  private readonly reads = new Map<number, PendingRead>();
  private readSeq = 0;
  private transfers: Deferred<void>[] = [];

  private readonly leaderListeners = new Set<(leader: LeaderInfo | null) => void>();
  private readonly stateListeners = new Set<(state: NodeState) => void>();
  private lastState: NodeState;
  private lastLeader: ServerId | null = null;
  private wasLeader = false;
  /** Clock time this node last became leader (its view of the others is young before a window). */
  private leaderSince = 0;

  private constructor(opts: RaftNodeOptions, id: ServerId, core: RaftCore, appliedIndex: number) {
    this.opts = opts;
    this.id = id;
    this.core = core;
    this.log = opts.logger ?? NO_LOGGER;
    this.defaultTimeoutMs = opts.defaultTimeoutMs ?? 10 * opts.electionTimeoutMs;
    this.appliedIndex = appliedIndex;
    this.lastSnapshotIndex = appliedIndex;
    this.lastState = this.state();
  }

  /** Load stable state, the newest snapshot (restoring the FSM) and the log; start ticking. */
  static async open(opts: RaftNodeOptions): Promise<RaftNode> {
    const tickMs = requireNumber("tickMs", opts.tickMs, 1);
    const electionTimeoutMs = requireNumber("electionTimeoutMs", opts.electionTimeoutMs, 1);
    const heartbeatIntervalMs = requireNumber("heartbeatIntervalMs", opts.heartbeatIntervalMs, 1);
    const leaderLeaseMs = requireNumber("leaderLeaseMs", opts.leaderLeaseMs, 1);
    requireNumber("snapshotThreshold", opts.snapshotThreshold, 1);
    requireNumber("trailingLogs", opts.trailingLogs, 0);
    const electionTicks = Math.max(2, Math.round(electionTimeoutMs / tickMs));
    const heartbeatTicks = Math.max(1, Math.round(heartbeatIntervalMs / tickMs));
    if (heartbeatTicks >= electionTicks) {
      throw new RaftConfigError("heartbeatIntervalMs must be well below electionTimeoutMs (in whole ticks)");
    }
    const checkQuorumTicks = Math.max(heartbeatTicks + 1, Math.round(leaderLeaseMs / tickMs));
    const random = opts.random ?? Math.random;

    const loaded = opts.stableStore.load();
    if (opts.id !== undefined && loaded && loaded.serverId !== opts.id) {
      throw new RaftConfigError(`stable store belongs to server ${loaded.serverId}, not ${opts.id}`);
    }
    const id = opts.id ?? loaded?.serverId ?? generateServerId(random);
    if (!loaded) await opts.stableStore.save({ term: 0, vote: null }, id);

    const snapshot = opts.snapshotStore.latest();
    if (snapshot) opts.fsm.restore(snapshot.data);
    const last = opts.logStore.lastIndex();
    let entries: Entry[] = last === 0 ? [] : opts.logStore.entries(opts.logStore.firstIndex(), last);
    if (!logConsistentWithSnapshot(snapshot?.meta ?? null, entries)) {
      // A crash between installing a snapshot and resetting the log leaves a stale log behind.
      await opts.logStore.reset();
      entries = [];
    }
    const core = new RaftCore(
      {
        id,
        electionTicks,
        heartbeatTicks,
        checkQuorumTicks,
        rng: random,
        preVote: opts.preVote,
        maxEntriesPerAppend: opts.maxEntriesPerAppend,
        maxInflightAppends: opts.maxInflightAppends,
      },
      { hardState: loaded?.hardState ?? null, snapshot, entries },
    );
    const node = new RaftNode(opts, id, core, snapshot?.meta.index ?? 0);
    node.start();
    return node;
  }

  private start(): void {
    this.opts.transport.onMessage((m, fromAddress) => this.receive(m, fromAddress));
    this.ticker = this.opts.clock.setInterval(() => this.onTick(), this.opts.tickMs);
    this.log.info({ id: this.id, lastIndex: this.core.status().lastIndex }, "raft node started");
    this.afterInput();
  }

  // -------------------------------------------------------------------------------------------
  // Public API

  /** Make this fresh server the first member(s) of a cluster. Resolves once durable. */
  async bootstrap(config: Configuration): Promise<void> {
    this.checkRunning();
    this.core.bootstrap(config);
    this.afterInput();
    await this.whenIdle();
    this.checkRunning();
  }

  /** Resolves once committed and applied locally, with the FSM's result. */
  apply(data: Uint8Array, timeoutMs = this.defaultTimeoutMs): Promise<ApplyResult> {
    return new Promise<ApplyResult>((resolve, reject) => {
      try {
        this.checkRunning();
        requireNumber("timeoutMs", timeoutMs, 0);
        const { index, term } = this.core.propose(data);
        // Built in one literal (no spread of deadline()): this runs once per command.
        this.applies.set(index, {
          resolve,
          reject,
          term,
          deadline: this.opts.clock.now() + timeoutMs,
          timeoutMs,
        });
        this.afterInput();
      } catch (err) {
        reject(this.withLeaderHint(err));
      }
    });
  }

  addVoter(id: ServerId, address: string, data?: Uint8Array, timeoutMs?: number): Promise<ApplyResult> {
    return this.changeMembership({ op: "addVoter", id, address }, data, { timeoutMs });
  }

  addNonvoter(id: ServerId, address: string, data?: Uint8Array, timeoutMs?: number): Promise<ApplyResult> {
    return this.changeMembership({ op: "addNonvoter", id, address }, data, { timeoutMs });
  }

  /** Removes a server; `opts` may carry a prevIndex and a precondition checked when the leader
   *  appends the change (not when it was asked for). */
  removeServer(id: ServerId, data?: Uint8Array, opts: ChangeOptions | number = {}): Promise<ApplyResult> {
    return this.changeMembership(
      { op: "remove", id },
      data,
      typeof opts === "number" ? { timeoutMs: opts } : opts,
    );
  }

  /** Resolves once another server is leader; rejects if that does not happen in time. */
  leadershipTransfer(to?: ServerId, timeoutMs = 2 * this.opts.electionTimeoutMs): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      try {
        this.checkRunning();
        this.core.transferLeadership(to);
        this.transfers.push({ resolve, reject, ...this.deadline(timeoutMs) });
        this.afterInput();
      } catch (err) {
        reject(this.withLeaderHint(err));
      }
    });
  }

  /** Linearizable read barrier: resolves with an index the local FSM has applied, after the
   *  leader confirmed (quorum heartbeat round) that it still leads. */
  readIndex(timeoutMs = this.defaultTimeoutMs): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      try {
        this.checkRunning();
        const ctx = ++this.readSeq;
        this.core.readIndex(ctx);
        this.reads.set(ctx, { resolve, reject, index: null, ...this.deadline(timeoutMs) });
        this.afterInput();
      } catch (err) {
        reject(this.withLeaderHint(err));
      }
    });
  }

  barrier(timeoutMs?: number): Promise<number> {
    return this.readIndex(timeoutMs);
  }

  state(): NodeState {
    return this.stopped ? "shutdown" : nodeState(this.core.glance());
  }

  leader(): LeaderInfo | null {
    const id = this.core.glance().leader;
    if (id === null || this.stopped) return null;
    const address = this.addressOf(id);
    return address === undefined ? null : { id, address };
  }

  stats(): RaftStats {
    const st = this.core.status();
    const latest = st.latestConfig.config.servers;
    return {
      id: this.id,
      state: this.state(),
      term: st.term,
      leaderId: st.leader,
      commitIndex: st.commitIndex,
      appliedIndex: this.appliedIndex,
      lastLogIndex: st.lastIndex,
      lastLogTerm: st.lastTerm,
      lastSnapshotIndex: st.snapshotIndex,
      lastSnapshotTerm: st.snapshotTerm,
      lastContactMs:
        st.ticksSinceLeaderContact === null ? null : st.ticksSinceLeaderContact * this.opts.tickMs,
      voters: latest.filter((s) => s.suffrage === "voter").map((s) => s.id),
      nonvoters: latest.filter((s) => s.suffrage === "nonvoter").map((s) => s.id),
      configIndex: st.latestConfig.index,
      committedConfigIndex: st.committedConfig.index,
      pendingConfigChange: st.pendingConfigChange,
    };
  }

  /** The latest configuration's servers, with the leader's view of each when this node leads. */
  servers(): ServerView[] {
    const st = this.core.status();
    const leading = st.state === "leader" && !this.stopped;
    const progress = new Map(st.progress.map((p) => [p.id, p]));
    return st.latestConfig.config.servers.map((s) => {
      const p = progress.get(s.id);
      const self = s.id === this.id;
      return {
        id: s.id,
        address: s.address,
        suffrage: s.suffrage,
        active: leading ? self || (p?.active ?? false) : null,
        match: leading ? (self ? st.lastIndex : (p?.match ?? 0)) : null,
      };
    });
  }

  configuration(): ConfigurationView {
    const st = this.core.status();
    const copy = (c: { index: number; config: Configuration }) => ({
      index: c.index,
      config: structuredClone(c.config),
    });
    return { latest: copy(st.latestConfig), committed: copy(st.committedConfig) };
  }

  /** Why this node stopped itself (e.g. ENOSPC from the WAL): its code and message, or null. */
  failure(): { code: string | null; message: string } | null {
    const f = this.failedWith;
    return f ? { code: typeof f.code === "string" ? f.code : null, message: f.message } : null;
  }

  /** The core's full status (progress per peer etc.), for diagnostics. */
  coreStatus(): CoreStatus {
    return this.core.status();
  }

  onLeaderChange(cb: (leader: LeaderInfo | null) => void): () => void {
    this.leaderListeners.add(cb);
    return () => this.leaderListeners.delete(cb);
  }

  onStateChange(cb: (state: NodeState) => void): () => void {
    this.stateListeners.add(cb);
    return () => this.stateListeners.delete(cb);
  }

  /** Stop ticking, fail pending operations, let the Ready in progress finish, close stores. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.stop(new ShutdownError());
    return this.shutdownPromise;
  }

  // -------------------------------------------------------------------------------------------
  // Inputs

  private onTick(): void {
    if (this.stopped) return;
    this.core.tick();
    this.expireDeadlines();
    this.afterInput();
  }

  private receive(m: Message, fromAddress: string): void {
    if (this.stopped || m.to !== this.id) return;
    if (fromAddress) this.learnedAddresses.set(m.from, fromAddress);
    try {
      this.core.step(m);
    } catch (err) {
      this.log.warn({ err, from: m.from, type: m.type }, "raft message rejected");
      return;
    }
    this.afterInput();
  }

  private afterInput(): void {
    this.observe();
    this.schedule();
  }

  // -------------------------------------------------------------------------------------------
  // The Ready loop

  /** Every input schedules the loop; this runs on every commit, so it allocates little: a
   *  promise reaction on a resolved promise (Node's queueMicrotask makes an AsyncResource and a
   *  bound function per call) and one stored callback. */
  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    void RESOLVED.then(this.runScheduled);
  }

  private readonly runScheduled = (): void => {
    this.scheduled = false;
    if (!this.driveRunning) this.driving = this.drive();
  };

  private whenIdle(): Promise<void> {
    if (!this.scheduled && !this.driveRunning) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async drive(): Promise<void> {
    this.driveRunning = true;
    try {
      while (!this.stopped && this.core.hasReady()) {
        const rd = this.core.ready();
        if (rd.notices)
          for (const n of rd.notices) this.log[n.level]({ id: this.id, ...n.fields }, n.message);
        // Most Readies of a commit (an acknowledgement, the commit itself) write nothing: they
        // are handled without an async call and its promise.
        if (mustPersist(rd)) await this.handleReady(rd);
        else if (this.deliver(rd, rd.messages)) await this.takeSnapshot();
      }
    } catch (err) {
      this.failStop(err);
    } finally {
      this.driveRunning = false;
      if (this.idleWaiters.length > 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** Never continue with a disk (or FSM) that may have diverged from the core. */
  private failStop(err: unknown): void {
    this.log.error({ err, id: this.id }, "raft storage failure; shutting the node down");
    this.failedWith ??= err instanceof Error ? err : new Error(String(err));
    this.shutdownPromise ??= this.stop(
      new ShutdownError(`raft node stopped after a failure: ${(err as Error).message}`),
    );
  }

  private async handleReady(rd: Ready): Promise<void> {
    const { stableStore, snapshotStore, logStore, fsm } = this.opts;
    // A leader may send its appends while it writes the same entries to its own disk (Raft
    // thesis §10.2.1): it counts itself towards the commit quorum only after advance(), i.e.
    // after its own fdatasync, so commit latency becomes max(own sync, follower round trip)
    // instead of their sum. Anything that depends on our durable term or vote waits.
    let messages = rd.messages;
    if (!rd.hardState && !rd.snapshot && rd.truncateFrom === undefined && rd.entries.length > 0) {
      const appends: Message[] = [];
      messages = [];
      for (const m of rd.messages) (m.type === MessageType.Append ? appends : messages).push(m);
      this.sendAll(appends);
    }
    // 1. Durable first.
    if (rd.hardState) await stableStore.save(rd.hardState, this.id);
    if (rd.snapshot) {
      await snapshotStore.save(rd.snapshot);
      fsm.restore(rd.snapshot.data);
      await logStore.reset();
      this.appliedIndex = this.lastSnapshotIndex = rd.snapshot.meta.index;
      // Whatever was pending up to there was decided elsewhere; we cannot tell its result.
      for (const [index, p] of this.applies) {
        if (index <= rd.snapshot.meta.index) {
          this.applies.delete(index);
          p.reject(new LeadershipLostError());
        }
      }
    }
    if (rd.truncateFrom !== undefined) await logStore.truncateAfter(rd.truncateFrom - 1);
    if (rd.entries.length > 0) await logStore.append(rd.entries);
    if (this.stopped) return;
    if (this.deliver(rd, messages)) await this.takeSnapshot();
  }

  /** The steps after a Ready's writes; says whether a snapshot is due. */
  private deliver(rd: Ready, messages: Message[]): boolean {
    // 2. Then tell the others.
    this.sendAll(messages);
    // 3. Apply (or queue behind an entry the FSM prepares first).
    for (const e of rd.committed) this.applyInOrder(e);
    // 4. Let the core know.
    this.core.advance(rd);
    for (const rs of rd.readStates) {
      const r = this.reads.get(rs.ctx);
      if (r) r.index = rs.index;
    }
    this.settleReads();
    this.observe();
    return this.appliedIndex - this.lastSnapshotIndex >= this.opts.snapshotThreshold;
  }

  private sendAll(messages: Message[]): void {
    if (messages.length === 0) return;
    // A follower's Ready usually answers only the leader: no grouping needed.
    if (messages.every(sameRecipientAsFirst)) {
      this.sendTo(messages[0].to, messages);
      return;
    }
    // One list per peer, in order, without a Map: a Ready holds a handful of messages.
    for (let i = 0; i < messages.length; i++) {
      const to = messages[i].to;
      let seen = false;
      for (let k = 0; k < i && !seen; k++) seen = messages[k].to === to;
      if (seen) continue; // that peer's messages went out with its first one
      const list: Message[] = [];
      for (let j = i; j < messages.length; j++) if (messages[j].to === to) list.push(messages[j]);
      this.sendTo(to, list);
    }
  }

  private sendTo(id: ServerId, list: Message[]): void {
    const address = this.addressOf(id);
    if (address === undefined) {
      this.log.warn({ to: id }, "no address known for raft peer; messages dropped");
      return;
    }
    this.opts.transport.send({ id, address }, list);
  }

  /**
   * Applies `e` now, unless the FSM has work to do on it first (decoding a large import) or an
   * earlier entry waits for such work: then it is queued, and applied in order once that work is
   * done. Meanwhile the Ready loop goes on (heartbeats, votes, appends, their acknowledgements):
   * the core counts queued entries as handed over, and what waits on an apply (its caller, reads,
   * snapshots) waits on the applied index, which moves only as entries are applied.
   */
  private applyInOrder(e: Entry): void {
    const preparing = e.type === EntryType.Noop ? null : (this.opts.fsm.prepare?.(e) ?? null);
    if (this.applyQueue.length === 0 && !preparing) return this.applyEntry(e);
    this.applyQueue.push({ entry: e, preparing });
    this.applying ??= this.applyQueued();
  }

  private async applyQueued(): Promise<void> {
    try {
      while (this.applyQueue.length > 0 && !this.stopped) {
        const { entry: e, preparing } = this.applyQueue[0];
        if (preparing) await preparing;
        if (this.stopped) return;
        this.applyQueue.shift();
        // An installed snapshot may have overtaken it.
        if (e.index > this.appliedIndex) this.applyEntry(e);
        this.settleReads();
        this.observe();
      }
    } catch (err) {
      this.failStop(err);
    } finally {
      this.applying = null;
    }
  }

  private applyEntry(e: Entry): void {
    const result = e.type === EntryType.Noop ? undefined : this.opts.fsm.apply(e);
    this.appliedIndex = e.index;
    const p = this.applies.get(e.index);
    if (!p) return;
    this.applies.delete(e.index);
    // Another leader's entry landed at our index: ours was lost.
    if (e.term === p.term) p.resolve({ index: e.index, result });
    else p.reject(new LeadershipLostError());
  }

  private async takeSnapshot(): Promise<void> {
    const index = this.appliedIndex;
    const snapshot = { meta: this.core.snapshotMeta(index), data: this.opts.fsm.snapshot() };
    await this.opts.snapshotStore.save(snapshot);
    const keepFrom = this.core.compact(snapshot, this.opts.trailingLogs);
    this.lastSnapshotIndex = index;
    await this.opts.logStore.truncateBefore(keepFrom);
    this.log.info({ id: this.id, index, keepFrom }, "raft snapshot taken");
  }

  // -------------------------------------------------------------------------------------------
  // Futures

  private changeMembership(change: ConfChange, data = EMPTY, opts: ChangeOptions = {}): Promise<ApplyResult> {
    return new Promise<ApplyResult>((resolve, reject) => {
      try {
        this.checkRunning();
        if (this.core.status().state !== "leader") throw new NotLeaderError(this.core.status().leader);
        // Queued like hashicorp's configuration channel: it waits until the configuration is
        // stable instead of failing because an earlier change (or promotion) is in flight.
        this.confQueue.push({
          change,
          data,
          prevIndex: opts.prevIndex,
          precondition: opts.precondition,
          resolve,
          reject,
          ...this.deadline(opts.timeoutMs ?? this.defaultTimeoutMs),
        });
        this.afterInput();
      } catch (err) {
        reject(this.withLeaderHint(err));
      }
    });
  }

  private proposeQueuedChanges(): void {
    while (this.confQueue.length > 0) {
      const q = this.confQueue[0];
      try {
        // Checked and appended in the same synchronous step: nothing can change in between.
        const refusal = this.checkPrecondition(q);
        if (refusal === "wait") return;
        if (refusal) throw refusal;
        const { index, term } = this.core.proposeConfChange(q.change, q.data);
        this.confQueue.shift();
        this.applies.set(index, {
          resolve: q.resolve,
          reject: q.reject,
          term,
          deadline: q.deadline,
          timeoutMs: q.timeoutMs,
        });
        this.schedule();
      } catch (err) {
        if (err instanceof ConfigChangeInProgressError) return; // try again when something commits
        this.confQueue.shift();
        q.reject(this.withLeaderHint(err));
      }
    }
  }

  /**
   * A change whose configuration moved or whose precondition fails is refused, not appended.
   * It waits ("wait") while an earlier change is uncommitted, and while this leader is younger
   * than an election timeout and has not heard from every server yet: its view of who is
   * active is not complete before that (the previous leader, just handed over, answers late).
   */
  private checkPrecondition(q: QueuedConfChange): Error | "wait" | null {
    if (q.prevIndex === undefined && !q.precondition) return null;
    const st = this.core.status();
    if (st.pendingConfigChange) return "wait";
    const latest = st.latestConfig;
    if (q.prevIndex !== undefined && latest.index !== q.prevIndex)
      return new ConfigChangedError(q.prevIndex, latest.index);
    if (!q.precondition) return null;
    const active = new Set(st.progress.filter((p) => p.active).map((p) => p.id));
    active.add(this.id);
    const young = this.opts.clock.now() - this.leaderSince < this.opts.electionTimeoutMs;
    if (young && latest.config.servers.some((s) => !active.has(s.id))) return "wait";
    return q.precondition({
      config: latest.config,
      configIndex: latest.index,
      active: (id) => active.has(id),
    });
  }

  private settleReads(): void {
    for (const [ctx, r] of this.reads) {
      if (r.index !== null && r.index <= this.appliedIndex) {
        this.reads.delete(ctx);
        r.resolve(this.appliedIndex);
      }
    }
  }

  /** React to state/leader changes: notify listeners, fail what leadership loss invalidates. */
  private observe(): void {
    if (this.stopped) return;
    const st = this.core.glance();
    const isLeader = st.state === "leader";
    if (this.wasLeader && !isLeader) this.failLeaderOperations(st.commitIndex);
    if (!this.wasLeader && isLeader) this.leaderSince = this.opts.clock.now();
    this.wasLeader = isLeader;
    if (isLeader) this.proposeQueuedChanges();
    if (this.transfers.length > 0) {
      if (!isLeader && st.leader !== null) {
        for (const t of this.transfers.splice(0)) t.resolve();
      } else if (isLeader && st.leadTransferee === null) {
        const err = new TimeoutError("leadership transfer", this.opts.electionTimeoutMs);
        for (const t of this.transfers.splice(0)) t.reject(err);
      }
    }
    const state = nodeState(st);
    if (state !== this.lastState) {
      this.lastState = state;
      for (const cb of this.stateListeners) cb(state);
    }
    if (st.leader !== this.lastLeader) {
      this.lastLeader = st.leader;
      const info = this.leader();
      for (const cb of this.leaderListeners) cb(info);
    }
  }

  /** Entries above the commit index may or may not survive the next leader. */
  private failLeaderOperations(commitIndex: number): void {
    for (const [index, p] of this.applies) {
      if (index > commitIndex) {
        this.applies.delete(index);
        p.reject(new LeadershipLostError());
      }
    }
    for (const [ctx, r] of this.reads) {
      if (r.index === null) {
        this.reads.delete(ctx);
        r.reject(new LeadershipLostError());
      }
    }
    const notLeader = this.withLeaderHint(new NotLeaderError(this.core.status().leader));
    for (const q of this.confQueue.splice(0)) q.reject(notLeader);
  }

  /** Bounded waits: the outcome of a timed-out apply is unknown (it may still commit). */
  private expireDeadlines(): void {
    const now = this.opts.clock.now();
    const expire = <T>(d: Deferred<T>, what: string): boolean => {
      if (d.deadline > now) return false;
      d.reject(new TimeoutError(what, d.timeoutMs));
      return true;
    };
    for (const [index, p] of this.applies)
      if (expire(p, `apply at index ${index}`)) this.applies.delete(index);
    if (this.confQueue.length > 0)
      this.confQueue = this.confQueue.filter(
        (q) => !expire(q, `membership change ${q.change.op} ${q.change.id}`),
      );
    for (const [ctx, r] of this.reads) if (expire(r, "read barrier")) this.reads.delete(ctx);
    if (this.transfers.length > 0)
      this.transfers = this.transfers.filter((t) => !expire(t, "leadership transfer"));
  }

  private deadline(timeoutMs: number): { deadline: number; timeoutMs: number } {
    requireNumber("timeoutMs", timeoutMs, 0);
    return { deadline: this.opts.clock.now() + timeoutMs, timeoutMs };
  }

  // -------------------------------------------------------------------------------------------
  // Helpers

  private addressOf(id: ServerId): string | undefined {
    if (id === this.id) return this.opts.transport.localAddress;
    return this.core.serverAddress(id) ?? this.learnedAddresses.get(id);
  }

  private withLeaderHint(err: unknown): Error {
    if (err instanceof NotLeaderError && err.leaderId !== null)
      err.leaderAddress = this.addressOf(err.leaderId) ?? null;
    return err instanceof Error ? err : new Error(String(err));
  }

  private checkRunning(): void {
    if (this.stopped) throw new ShutdownError();
  }

  private async stop(reason: ShutdownError): Promise<void> {
    this.stopped = true;
    this.ticker?.cancel();
    for (const p of this.applies.values()) p.reject(reason);
    this.applies.clear();
    for (const q of this.confQueue.splice(0)) q.reject(reason);
    for (const r of this.reads.values()) r.reject(reason);
    this.reads.clear();
    for (const t of this.transfers.splice(0)) t.reject(reason);
    // Let a Ready that is being persisted finish before the stores close under it.
    // (Queued applies need no waiting: they stop at their next step, and touch no store.)
    await this.driving;
    const closing = await Promise.allSettled([
      this.opts.logStore.close(),
      this.opts.stableStore.close?.(),
      this.opts.transport.close(),
    ]);
    for (const c of closing)
      if (c.status === "rejected") this.log.warn({ err: c.reason }, "error while closing raft node");
    this.lastState = "shutdown";
    for (const cb of this.stateListeners) cb("shutdown");
    this.log.info({ id: this.id }, "raft node shut down");
  }
}
