/**
 * Keeps a live picture of the cluster. Every interval it probes all known nodes at once (bounded
 * concurrency, one keep-alive Agent) and emits a snapshot. The node list comes from `show()` of
 * the admin service or of a meta API (src/client), refreshed in the background each cycle: /show can be slow while a node hangs
 * (the admin service pings it), and that must not delay noticing that a node went down.
 */

import type { Agent } from "undici";
import type { ShowResult } from "../contract/cluster.ts";
import { HttpStatusError, PLAIN_HTTP, type PeerAccess } from "../util/http-client.ts";
import { accessHint } from "./access.ts";
import type { ClusterSnapshot, NodeRow, Role } from "./model.ts";
import { createPollAgent, describeError, probeNode, type PolledStatus, type Probe } from "./probe.ts";

export interface PollerOptions {
  /** The admin service (an AdminPool names the one in use in `bind`). */
  admin: { show(): Promise<ShowResult>; readonly bind?: string };
  /** Deadline of each request to a node. */
  timeoutMs: number;
  /** Scheme, TLS trust and credentials for the nodes (default plain HTTP, no credentials). */
  access?: PeerAccess;
  /** Most nodes probed at the same time. */
  concurrency?: number;
  onSnapshot: (snapshot: ClusterSnapshot) => void;
  /** Called when the admin service fails or recovers (for the log file). */
  onAdminError?: (error: string | null) => void;
  now?: () => number;
}

interface Member {
  key: string;
  role: Role;
  httpAddr: string;
}

function members(show: ShowResult | null): Member[] {
  if (!show) return [];
  return [
    ...show.meta.map((m) => ({ key: `meta:${m.httpAddr}`, role: "meta" as const, httpAddr: m.httpAddr })),
    ...show.data.map((d) => ({ key: `data:${d.httpAddr}`, role: "data" as const, httpAddr: d.httpAddr })),
  ];
}

async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export class ClusterPoller {
  private show: ShowResult | null = null;
  private keysOf: ShowResult | null | undefined = undefined;
  private keys = new Set<string>();
  private adminError: string | null = null;
  private adminRefused = false;
  private readonly access: PeerAccess;
  private readonly probes = new Map<string, Probe>();
  private readonly agent: Agent;
  private showInFlight: Promise<void> | null = null;
  private cycleRunning = false;
  private cycleAgain = false;
  private timer: NodeJS.Timeout | undefined;
  private intervalMs = 2000;
  private stopped = false;
  private emitted = false;

  constructor(private readonly opts: PollerOptions) {
    this.access = opts.access ?? PLAIN_HTTP;
    this.agent = createPollAgent(opts.timeoutMs, this.access);
  }

  /** Polls now and then every `intervalMs` (measured from the start of one poll to the next). */
  start(intervalMs: number): void {
    this.intervalMs = intervalMs;
    this.schedule(0);
  }

  /** Polls again as soon as the current poll (if any) finishes. */
  refresh(): void {
    if (!this.stopped) this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.agent.close().catch(() => undefined);
  }

  /** The node list of the last /show that answered (null before one did). */
  get lastShow(): ShowResult | null {
    return this.show;
  }

  /** One complete poll (node list, then every node), for output without a terminal. */
  async pollOnce(): Promise<ClusterSnapshot> {
    await this.refreshShow();
    await this.probeAll(members(this.show));
    return this.compose();
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.runCycle(), delayMs);
  }

  private async runCycle(): Promise<void> {
    if (this.stopped) return;
    if (this.cycleRunning) {
      this.cycleAgain = true;
      return;
    }
    this.cycleRunning = true;
    const started = Date.now();
    try {
      const showDone = this.refreshShow();
      if (this.show === null) await showDone; // the first poll needs the node list
      await this.probeAll(members(this.show));
      this.emit();
    } finally {
      this.cycleRunning = false;
    }
    if (this.stopped) return;
    if (this.cycleAgain) {
      this.cycleAgain = false;
      this.schedule(0);
    } else {
      this.schedule(Math.max(0, this.intervalMs - (Date.now() - started)));
    }
  }

  private refreshShow(): Promise<void> {
    this.showInFlight ??= this.fetchShow().finally(() => (this.showInFlight = null));
    return this.showInFlight;
  }

  private async fetchShow(): Promise<void> {
    try {
      const show = await this.opts.admin.show();
      const before = new Set(members(this.show).map((m) => m.key));
      const now = members(show);
      const changed = now.length !== before.size || now.some((m) => !before.has(m.key));
      this.show = show;
      this.setAdminError(null, false);
      const nowKeys = new Set(now.map((m) => m.key));
      for (const key of [...this.probes.keys()]) if (!nowKeys.has(key)) this.probes.delete(key);
      if (changed && this.emitted) {
        // Membership changed between polls (a node was removed or added): show it without waiting.
        await this.probeAll(now.filter((m) => !this.probes.has(m.key)));
        this.emit();
      }
    } catch (err) {
      this.setAdminError(
        describeError(err, this.opts.timeoutMs) + accessHint(err, this.access),
        err instanceof HttpStatusError,
      );
    }
  }

  private setAdminError(error: string | null, refused: boolean): void {
    if (error !== this.adminError) this.opts.onAdminError?.(error);
    this.adminError = error;
    this.adminRefused = refused;
  }

  private async probeAll(nodes: Member[]): Promise<void> {
    await forEachLimited(nodes, this.opts.concurrency ?? 16, async (m) => {
      const probe = await probeNode(this.agent, m.role, m.httpAddr, this.opts.timeoutMs, this.access);
      // Only nodes still listed: /show may have changed while this probe ran.
      if (this.memberKeys().has(m.key)) this.probes.set(m.key, probe);
    });
  }

  /** Keys of the listed nodes, rebuilt only when /show changes (not once per probe). */
  private memberKeys(): Set<string> {
    if (this.keysOf !== this.show) {
      this.keysOf = this.show;
      this.keys = new Set(members(this.show).map((m) => m.key));
    }
    return this.keys;
  }

  private emit(): void {
    if (this.stopped) return;
    this.emitted = true;
    this.opts.onSnapshot(this.compose());
  }

  private compose(): ClusterSnapshot {
    const show = this.show;
    const rows: NodeRow[] = [];
    const byId = <T extends { id: number }>(list: T[] = []) => [...list].sort((a, b) => a.id - b.id);
    for (const m of byId(show?.meta)) {
      const probe = this.probes.get(`meta:${m.httpAddr}`);
      const st = probe?.up ? probe.status : null;
      rows.push({
        key: `meta:${m.httpAddr}`,
        role: "meta",
        id: m.id,
        httpAddr: m.httpAddr,
        raftAddr: m.raftAddr,
        suffrage: m.suffrage,
        raftActive: m.raftActive,
        up: probe ? probe.up : null,
        pingMs: probe?.pingMs ?? null,
        error: probe?.error ?? null,
        state: st?.raft.state ?? null,
        term: st?.raft.term ?? null,
        commitIndex: st?.raft.commitIndex ?? null,
        appliedIndex: st?.raft.appliedIndex ?? null,
        lastContactMs: st?.raft.lastContactMs ?? null,
        version: st?.version ?? m.version,
        ...storageErrorOf(st, m.storageError),
        ...(st?.raft.configIndex != null && { configIndex: st.raft.configIndex }),
        ...(st?.startedAt && { startedAt: st.startedAt }),
      });
    }
    for (const d of byId(show?.data)) {
      const probe = this.probes.get(`data:${d.httpAddr}`);
      rows.push({
        key: `data:${d.httpAddr}`,
        role: "data",
        id: d.id,
        httpAddr: d.httpAddr,
        raftAddr: d.tcpAddr,
        suffrage: null,
        raftActive: null,
        up: probe ? probe.up : null,
        pingMs: probe?.pingMs ?? null,
        error: probe?.error ?? null,
        state: null,
        term: null,
        commitIndex: null,
        appliedIndex: null,
        lastContactMs: null,
        version: d.version,
        announcedStatus: d.status || undefined,
      });
    }
    const statuses = rows
      .map((r) => (r.up ? this.probes.get(r.key)?.status : null))
      .filter((s): s is PolledStatus => !!s);
    const byTerm = (a: PolledStatus, b: PolledStatus) => (b.raft.term ?? -1) - (a.raft.term ?? -1);
    const leader = statuses.filter((s) => s.raft.state === "leader").sort(byTerm)[0];
    const newest = [...statuses].sort(byTerm)[0];
    const voters =
      leader?.raft.voters ?? (show?.meta ?? []).filter((m) => m.suffrage === "voter").map((m) => m.raftAddr);
    const upRaftAddrs = new Set(rows.filter((r) => r.role === "meta" && r.up).map((r) => r.raftAddr));
    const votersUp = voters.filter((addr) => upRaftAddrs.has(addr)).length;
    return {
      rows,
      leaderHttp: leader?.httpAddr ?? null,
      votersUp,
      votersTotal: voters.length,
      term: newest ? newest.raft.term : null,
      raftUnreported: statuses.some((s) => !s.reportsRaft),
      membershipKnown: show?.membershipKnown ?? true,
      adminBind: this.opts.admin.bind ?? null,
      adminSelf: show?.self.httpAddr ?? null,
      adminError: this.adminError,
      adminRefused: this.adminRefused,
      polledAt: (this.opts.now ?? Date.now)(),
    };
  }
}

/** The node's own word on its meta dir, else what the admin service last heard. */
function storageErrorOf(st: PolledStatus | null, fromShow: string | undefined): { storageError?: string } {
  const error = st?.storageError ?? fromShow;
  return error ? { storageError: error } : {};
}
