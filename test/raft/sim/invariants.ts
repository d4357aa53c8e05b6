/**
 * Safety invariants of a simulated Raft cluster, checked after every event.
 *
 * The checker learns what each node does from vantage points that the node cannot fake:
 * - wrappers around its LogStore / StableStore / SnapshotStore (what is durable, in what order),
 * - an observer in its state machine (what it applied, and the state that resulted),
 * - its transport (what it tells others, and when),
 * - the node's reported status (role, term, commit index) after every event and on every
 *   state change.
 *
 * Checked (Raft paper Figure 3 plus implementation properties):
 * - election safety: at most one leader per term;
 * - leader append-only: a node never truncates its log while it is leader;
 * - log matching: two logs holding an entry with the same index and term hold the same entry and
 *   identical prefixes (compared through a chained hash per (index, term));
 * - leader completeness: when a leader first makes an entry of its term durable, every entry
 *   applied anywhere before is in its log (or covered by its snapshot);
 * - state-machine safety: every node applies the same entry at an index, and FSM states are equal
 *   after equal entries;
 * - persistence: after a crash, the reopened log holds every entry whose append had resolved (and
 *   was not truncated since), and the hard state is the last one saved; terms never go back;
 *   a vote grant or an append acknowledgement leaves a node only once what it vouches for is
 *   durable (seen through the transport: `checkOutgoing`);
 * - at most one uncommitted configuration entry in a leader's log;
 * - commit index never decreases within one process lifetime;
 * - a node restarted with an older copy of its log catches up to what it had acknowledged
 *   (checked by SimCluster, which injects that fault).
 */
import {
  EntryType,
  MessageType,
  type Entry,
  type HardState,
  type LogStore,
  type Message,
  type RaftState,
  type ServerId,
  type Snapshot,
  type SnapshotStore,
  type StableStore,
} from "../../../src/raft/types.ts";
import { fnv1a, type FsmObserver } from "./kv-fsm.ts";

export class SimViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SimViolation";
  }
}

/** What the checker needs to know about a live node after each event. */
export interface NodeStatus {
  id: ServerId;
  state: RaftState | string;
  term: number;
  commitIndex: number;
}

interface MirrorEntry {
  term: number;
  /** Hash of the entry's content (type, data, configuration). */
  hash: string;
  /** Chained hash of the whole log up to this entry, or null when the prefix is unknown
   *  (the log starts after a snapshot whose own chain this node never saw). */
  prefix: string | null;
  isConfig: boolean;
}

/** The checker's copy of one node's durable log, updated when store operations resolve. */
class LogMirror {
  entries = new Map<number, MirrorEntry>();
  first = 0;
  last = 0;
  /** Snapshot point: entries at or below it are covered by the snapshot. */
  snapIndex = 0;
  snapTerm = 0;
  /** Lowest index a truncation still in flight may remove from (for crash checks). */
  pendingTruncate = Infinity;
}

export function entryHash(e: Entry): string {
  return fnv1a(`${e.type}|${JSON.stringify(e.config ?? null)}|${fnv1a(e.data)}`);
}

const key = (index: number, term: number) => `${index}:${term}`;

export class InvariantChecker {
  private readonly leaderOfTerm = new Map<number, ServerId>();
  /** (index, term) → entry hash and chained prefix hash, as first seen in any log. */
  private readonly entryAt = new Map<string, { hash: string; prefix: string | null }>();
  /** index → the entry applied there by the first node that applied it, and the FSM state after. */
  private readonly appliedAt = new Map<number, { term: number; hash: string; state: string }>();
  private readonly mirrors = new Map<ServerId, LogMirror>();
  private readonly savedHardState = new Map<ServerId, HardState>();
  private readonly pendingHardState = new Map<ServerId, HardState[]>();
  /** Per process lifetime: the last commit index reported. */
  private readonly lastCommit = new Map<ServerId, number>();
  private readonly completenessChecked = new Set<string>();

  constructor(private readonly trace: (line: string) => void = () => {}) {}

  /** The first violation seen. Also recorded here because a throw inside a node's storage
   *  call is caught by the node (it treats it as a disk failure), not by the simulator. */
  violation: SimViolation | null = null;

  private fail(message: string): never {
    const v = new SimViolation(message);
    this.violation ??= v;
    throw v;
  }

  private mirror(id: ServerId): LogMirror {
    let m = this.mirrors.get(id);
    if (!m) this.mirrors.set(id, (m = new LogMirror()));
    return m;
  }

  // --- storage wrappers ---------------------------------------------------------------------

  wrapLogStore(
    id: ServerId,
    inner: LogStore,
    current: () => boolean,
    status: () => NodeStatus | null,
  ): LogStore {
    const m = this.mirror(id);
    return {
      firstIndex: () => inner.firstIndex(),
      lastIndex: () => inner.lastIndex(),
      entries: (from, to) => inner.entries(from, to),
      append: async (entries) => {
        const copy = entries.map((e) => ({ ...e }));
        if (entries.length > 0)
          this.trace(
            `${id} log append ${entries[0].index}/${entries[0].term}..${entries[entries.length - 1].index}/${entries[entries.length - 1].term}`,
          );
        await inner.append(entries);
        if (current()) this.recordAppend(id, copy, status());
      },
      truncateAfter: async (index) => {
        this.checkLeaderKeeps(id, status(), index);
        this.trace(`${id} log truncateAfter ${index}`);
        m.pendingTruncate = Math.min(m.pendingTruncate, index + 1);
        await inner.truncateAfter(index);
        if (!current()) return;
        for (let i = index + 1; i <= m.last; i++) m.entries.delete(i);
        m.last = Math.min(m.last, index);
        if (m.last < m.first) m.first = m.last = 0;
        m.pendingTruncate = Infinity;
      },
      truncateBefore: async (index) => {
        await inner.truncateBefore(index);
        if (!current()) return;
        for (let i = m.first; i < index && i <= m.last; i++) m.entries.delete(i);
        if (m.last >= index) m.first = Math.max(m.first, index);
        else m.first = m.last = 0;
      },
      reset: async () => {
        this.checkLeaderKeeps(id, status(), 0);
        this.trace(`${id} log reset`);
        m.pendingTruncate = 0;
        await inner.reset();
        if (!current()) return;
        m.entries.clear();
        m.first = m.last = 0;
        m.pendingTruncate = Infinity;
      },
      close: () => inner.close(),
    };
  }

  /** Leader append-only: a leader never drops an entry of its own term from its log. */
  private checkLeaderKeeps(id: ServerId, status: NodeStatus | null, keepUpTo: number): void {
    if (status?.state !== "leader") return;
    const m = this.mirror(id);
    for (let i = keepUpTo + 1; i <= m.last; i++)
      if (m.entries.get(i)?.term === status.term)
        this.fail(
          `leader append-only: leader ${id} of term ${status.term} drops its own entry ${i} (keeps up to ${keepUpTo})`,
        );
  }

  private recordAppend(id: ServerId, entries: Entry[], status: NodeStatus | null): void {
    const m = this.mirror(id);
    for (const e of entries) {
      if (m.last !== 0 && e.index !== m.last + 1)
        this.fail(`log store of ${id}: append of ${e.index} after ${m.last} resolved (gap or overlap)`);
      let prev: string | null = null;
      if (m.last !== 0) prev = m.entries.get(e.index - 1)?.prefix ?? null;
      else if (e.index === 1) prev = "";
      else if (m.snapIndex === e.index - 1)
        prev = this.entryAt.get(key(m.snapIndex, m.snapTerm))?.prefix ?? null;
      const hash = entryHash(e);
      const prefix = prev === null ? null : fnv1a(`${prev}|${e.term}|${hash}`);
      this.checkEntry(id, e.index, e.term, hash, prefix);
      m.entries.set(e.index, { term: e.term, hash, prefix, isConfig: e.type === EntryType.Config });
      if (m.first === 0) m.first = e.index;
      m.last = e.index;
    }
    this.checkLeaderCompleteness(id, entries, status);
  }

  /** Log matching: one entry per (index, term), with one history before it. */
  private checkEntry(id: ServerId, index: number, term: number, hash: string, prefix: string | null): void {
    const k = key(index, term);
    const known = this.entryAt.get(k);
    if (!known) {
      this.entryAt.set(k, { hash, prefix });
      return;
    }
    if (known.hash !== hash)
      this.fail(
        `log matching: ${id} stores a different entry at index ${index} term ${term} than another node`,
      );
    if (known.prefix !== null && prefix !== null && known.prefix !== prefix)
      this.fail(
        `log matching: ${id} has entry ${index}/${term} with a different log prefix than another node`,
      );
    if (known.prefix === null && prefix !== null) known.prefix = prefix;
  }

  private checkLeaderCompleteness(id: ServerId, entries: Entry[], status: NodeStatus | null): void {
    if (!status || status.state !== "leader") return;
    const own = entries.find((e) => e.term === status.term);
    if (!own) return;
    const k = `${id}@${status.term}`;
    if (this.completenessChecked.has(k)) return;
    this.completenessChecked.add(k);
    const m = this.mirror(id);
    for (const [index, applied] of this.appliedAt) {
      if (index >= own.index || index <= m.snapIndex) continue;
      const mine = m.entries.get(index);
      if (!mine || mine.term !== applied.term || mine.hash !== applied.hash)
        this.fail(
          `leader completeness: ${id} leads term ${status.term} but lacks committed entry ${index}/${applied.term}` +
            ` (has ${mine ? `${index}/${mine.term}` : "nothing"})`,
        );
    }
  }

  wrapStableStore(id: ServerId, inner: StableStore, current: () => boolean = () => true): StableStore {
    return {
      load: () => inner.load(),
      save: async (hardState, serverId) => {
        const prev = this.savedHardState.get(id);
        if (prev && hardState.term < prev.term)
          this.fail(`persistence: ${id} saves term ${hardState.term} after term ${prev.term}`);
        if (prev && hardState.term === prev.term && prev.vote !== null && hardState.vote !== prev.vote)
          this.fail(
            `persistence: ${id} changes its vote in term ${prev.term} from ${prev.vote} to ${hardState.vote}`,
          );
        const copy = { ...hardState };
        const pending = this.pendingHardState.get(id) ?? [];
        pending.push(copy);
        this.pendingHardState.set(id, pending);
        await inner.save(hardState, serverId);
        if (!current()) return;
        pending.splice(pending.indexOf(copy), 1);
        this.savedHardState.set(id, copy);
      },
    };
  }

  wrapSnapshotStore(id: ServerId, inner: SnapshotStore, current: () => boolean = () => true): SnapshotStore {
    const m = this.mirror(id);
    return {
      latest: () => inner.latest(),
      save: async (snapshot: Snapshot) => {
        await inner.save(snapshot);
        if (current() && snapshot.meta.index > m.snapIndex) {
          m.snapIndex = snapshot.meta.index;
          m.snapTerm = snapshot.meta.term;
        }
      },
    };
  }

  // --- crash and reopen ---------------------------------------------------------------------

  /**
   * A node's process was restarted on its (crashed) disk: its stores must hold everything
   * acknowledged durable before the crash.
   */
  reopened(id: ServerId, log: LogStore, stable: StableStore, snapshots: SnapshotStore): void {
    const m = this.mirror(id);
    const first = log.firstIndex();
    const last = log.lastIndex();
    const snap = snapshots.latest();
    if (snap && snap.meta.index < m.snapIndex)
      this.fail(`persistence: ${id} reopened with snapshot ${snap.meta.index}, but ${m.snapIndex} was saved`);
    const keepUpTo = Math.min(m.last, m.pendingTruncate - 1);
    const entries = last === 0 ? [] : log.entries(first, last);
    const byIndex = new Map(entries.map((e) => [e.index, e]));
    for (let i = Math.max(m.first, first, m.snapIndex + 1); i <= keepUpTo && m.first !== 0; i++) {
      const had = m.entries.get(i);
      const has = byIndex.get(i);
      if (!had) continue;
      if (!has || has.term !== had.term || entryHash(has) !== had.hash)
        this.fail(
          `persistence: ${id} lost durable log entry ${i}/${had.term} in a crash (reopened log ${first}..${last})`,
        );
    }
    // Rebuild the mirror from what is really on disk now (it may hold more than was
    // acknowledged: appends in flight at the crash may have reached the disk).
    m.entries.clear();
    m.first = m.last = 0;
    m.pendingTruncate = Infinity;
    if (snap) {
      m.snapIndex = snap.meta.index;
      m.snapTerm = snap.meta.term;
    }
    if (entries.length > 0) this.recordAppend(id, entries, null);

    const saved = this.savedHardState.get(id);
    const loaded = stable.load();
    const allowed = [saved, ...(this.pendingHardState.get(id) ?? [])].filter((h): h is HardState => !!h);
    this.pendingHardState.delete(id);
    if (saved) {
      const ok =
        loaded && allowed.some((h) => h.term === loaded.hardState.term && h.vote === loaded.hardState.vote);
      if (!ok)
        this.fail(
          `persistence: ${id} reopened with hard state ${JSON.stringify(loaded?.hardState ?? null)}, saved ${JSON.stringify(saved)}`,
        );
      this.savedHardState.set(id, { ...loaded!.hardState });
    }
    this.lastCommit.delete(id);
  }

  /** The durable log entry at `index` of a node, if it has one. */
  durableEntry(id: ServerId, index: number): { term: number; hash: string } | undefined {
    const e = this.mirrors.get(id)?.entries.get(index);
    return e && { term: e.term, hash: e.hash };
  }

  /** Index of the last durable log entry of a node (0 if none). */
  durableLast(id: ServerId): number {
    return this.mirrors.get(id)?.last ?? 0;
  }

  /**
   * The node's log and snapshots were deliberately replaced by an older copy (the "older disk"
   * fault): it may reopen with less than it made durable. Its hard state is kept, and checked.
   */
  rolledBack(id: ServerId): void {
    this.mirrors.set(id, new LogMirror());
    this.trace(`checker: ${id} restarts from an older copy of its log`);
  }

  /** A node's disk was wiped for good (the id is never used again). */
  forget(id: ServerId): void {
    this.mirrors.delete(id);
    this.savedHardState.delete(id);
    this.pendingHardState.delete(id);
    this.lastCommit.delete(id);
  }

  // --- state machine ------------------------------------------------------------------------

  fsmObserver(id: ServerId): FsmObserver {
    return {
      applied: (entry, state) => {
        const hash = entryHash(entry);
        const known = this.appliedAt.get(entry.index);
        if (!known) {
          this.appliedAt.set(entry.index, { term: entry.term, hash, state });
          return;
        }
        if (known.term !== entry.term || known.hash !== hash)
          this.fail(
            `state machine safety: ${id} applied ${entry.index}/${entry.term}, another node applied ${entry.index}/${known.term} there`,
          );
        if (known.state !== state)
          this.fail(
            `state machine safety: ${id} has FSM state ${state} after entry ${entry.index}, another node ${known.state}`,
          );
      },
      restored: (index, state) => {
        const known = this.appliedAt.get(index);
        if (known && known.state !== state)
          this.fail(
            `state machine safety: ${id} restored a snapshot at ${index} with state ${state}, expected ${known.state}`,
          );
      },
    };
  }

  // --- messages -------------------------------------------------------------------------------

  /** Acknowledgements may only leave once what they acknowledge is durable. */
  checkOutgoing(id: ServerId, m: Message): void {
    if (m.type === MessageType.VoteResp && m.granted) {
      // A durable higher term also protects the grant: after a restart the node cannot vote
      // in this term again.
      const saved = this.savedHardState.get(id);
      if (!saved || saved.term < m.term || (saved.term === m.term && saved.vote !== m.to))
        this.fail(
          `persistence: ${id} grants its vote to ${m.to} in term ${m.term} before saving it (saved ${JSON.stringify(saved ?? null)})`,
        );
    }
    if (m.type === MessageType.AppendResp && m.success) {
      const mirror = this.mirror(id);
      if (m.index > Math.max(mirror.last, mirror.snapIndex))
        this.fail(
          `persistence: ${id} acknowledges index ${m.index} to ${m.to} but only ${mirror.last} is durable`,
        );
    }
  }

  /** A node reported becoming leader (between events, so short-lived leaders are seen too). */
  leaderSeen(id: ServerId, term: number): void {
    const other = this.leaderOfTerm.get(term);
    if (other === undefined) {
      this.leaderOfTerm.set(term, id);
      this.trace(`${id} is leader of term ${term}`);
    } else if (other !== id) this.fail(`election safety: ${other} and ${id} are both leader of term ${term}`);
  }

  // --- per-event status checks --------------------------------------------------------------

  checkStatus(statuses: NodeStatus[]): void {
    for (const s of statuses) {
      if (s.state === "leader") {
        this.leaderSeen(s.id, s.term);
        // A new leader may not yet know that configurations of earlier terms committed; but
        // once it appends a configuration of its own, that must be the only uncommitted one.
        const m = this.mirror(s.id);
        let uncommitted = 0;
        let own = 0;
        for (let i = Math.max(s.commitIndex + 1, m.first); i <= m.last; i++) {
          const e = m.entries.get(i);
          if (!e?.isConfig) continue;
          uncommitted++;
          if (e.term === s.term) own++;
        }
        if (own > 0 && uncommitted > 1)
          this.fail(`membership: leader ${s.id} has ${uncommitted} uncommitted configuration entries`);
      }
      const prev = this.lastCommit.get(s.id) ?? 0;
      if (s.commitIndex < prev)
        this.fail(`commit index of ${s.id} went back from ${prev} to ${s.commitIndex}`);
      this.lastCommit.set(s.id, s.commitIndex);
      const saved = this.savedHardState.get(s.id);
      if (saved && s.term < saved.term)
        this.fail(`persistence: ${s.id} reports term ${s.term} below its saved term ${saved.term}`);
    }
  }

  /** A process ended (crash or shutdown): its commit index starts afresh next lifetime. */
  processEnded(id: ServerId): void {
    this.lastCommit.delete(id);
  }
}
