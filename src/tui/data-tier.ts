/**
 * The data tier as the view shows it: one row per data node (the admin service's list and the
 * replica health report merged), a node's shards with their health, the remove-data plan with the
 * same last-live-copy guard as influxd-ctl, and the rebalance being planned or run. Pure: the
 * reducer (state.ts) holds these, data-ops.ts fetches them.
 */

import type { MoveProgress } from "../client/shard-moves.ts";
import { holdsLastCopies, lastCopiesInReport, lostShardsText } from "../cluster/replica-health.ts";
import type { RebalancePlan, ReplicaHealthReport, ShardHealthState } from "../contract/data-tier.ts";
import type { Tone } from "./events.ts";
import type { ClusterSnapshot } from "./model.ts";
import { clock } from "./text.ts";

/** The last replica-health poll: the report, or why there is none (a service without data-tier
 *  support, a failure, the deadline). A failure keeps the last report, marked stale. */
export interface DataHealth {
  report: ReplicaHealthReport | null;
  error: string | null;
  at: number;
}

export interface DataNodeLine {
  id: number;
  tcpAddr: string;
  /** From the replica health (ListShards answered), else the view's own probe; null: not known yet. */
  up: boolean | null;
  error: string | null;
  version: string;
  /** The node's announced status ("joined"). */
  status: string;
  shards: number | null;
  bytes: number | null;
  underReplicated: number | null;
  unavailable: number | null;
  /** Shards whose only live copy is here. */
  lastCopies: number | null;
}

/** Every data node of the snapshot, in ID order, with its health counts when the report has it. */
export function dataNodeLines(cluster: ClusterSnapshot | null, health: DataHealth | null): DataNodeLine[] {
  const report = health?.report ?? null;
  const lines = (cluster?.rows ?? [])
    .filter((r) => r.role === "data")
    .map((r) => {
      const h = report?.nodes.find((n) => n.tcpAddr === r.raftAddr);
      const owned = h ? (report?.shards ?? []).filter((s) => s.owners.includes(h.id)) : [];
      const count = (state: ShardHealthState) =>
        h ? owned.filter((s) => s.states.includes(state)).length : null;
      return {
        id: r.id,
        tcpAddr: r.raftAddr,
        up: h ? h.up : r.up,
        error: h ? (h.error ?? null) : r.error,
        version: r.version || "-",
        status: r.announcedStatus ?? "-",
        shards: h ? h.shards : null,
        bytes: h ? h.bytes : null,
        underReplicated: count("under-replicated"),
        unavailable: count("unavailable"),
        lastCopies: h ? h.lastCopies : null,
      };
    });
  return lines.sort((a, b) => a.id - b.id);
}

/** The selected data node's line: `selected` if it is still listed, else the first. */
export function selectedDataLine(lines: DataNodeLine[], selected: string | null): DataNodeLine | null {
  return lines.find((l) => l.tcpAddr === selected) ?? lines[0] ?? null;
}

export interface ShardLine {
  id: number;
  database: string;
  retentionPolicy: string;
  /** Live copies of the replica count. */
  live: number;
  replicaN: number;
  size: number;
  /** The health model's words; "orphan" for a copy here that no metadata lists. */
  states: string[];
  /** This node's copy: live, missing (it does not report it), down (it cannot be asked), orphan. */
  copy: "live" | "missing" | "down" | "orphan";
}

/** The shards the node owns (and orphan copies it holds), with their health, by shard ID. */
export function shardLines(report: ReplicaHealthReport, nodeId: number): ShardLine[] {
  const lines: ShardLine[] = report.shards
    .filter((s) => s.owners.includes(nodeId))
    .map((s) => ({
      id: s.id,
      database: s.database,
      retentionPolicy: s["retention-policy"],
      live: s.live.length,
      replicaN: s["replica-n"],
      size: s.size,
      states: s.states,
      copy: s.live.includes(nodeId) ? "live" : s.missing.includes(nodeId) ? "missing" : "down",
    }));
  for (const o of report.orphans.filter((x) => x.node === nodeId)) {
    lines.push({
      id: o.shard,
      database: "-",
      retentionPolicy: "-",
      live: 0,
      replicaN: 0,
      size: o.size,
      states: ["orphan"],
      copy: "orphan",
    });
  }
  return lines.sort((a, b) => a.id - b.id);
}

/** The selected data node's shards (Enter in the data tier), none while it or the report is unknown. */
export function selectedShardLines(
  cluster: ClusterSnapshot | null,
  health: DataHealth | null,
  selected: string | null,
): ShardLine[] {
  const line = selectedDataLine(dataNodeLines(cluster, health), selected);
  return line && health?.report ? shardLines(health.report, line.id) : [];
}

/**
 * Lines the shard list gets on a terminal `rows` tall: the frame keeps 5 (the line Ink leaves,
 * header 2, status line, key bar; Screen.tsx), the pane 3 (health, title, column titles). The
 * reducer scrolls by it, so that G ends on the last shard and k moves at once from there.
 */
export const shardListLines = (rows: number) => rows - 5 - 3;

/** What removing a data node would do, from a fresh health report. */
export interface RemoveDataPlan {
  id: number;
  tcpAddr: string;
  up: boolean;
  shards: number;
  /** Shards whose last live copy it holds: lost by a forced removal. */
  lost: number[];
  /** The guard's refusal (influxd-ctl's words, without its flag advice), null when allowed. */
  refusal: string | null;
}

export function removeDataPlan(report: ReplicaHealthReport, tcpAddr: string): RemoveDataPlan | null {
  const node = report.nodes.find((n) => n.tcpAddr === tcpAddr);
  if (!node) return null;
  const lost = lastCopiesInReport(report, node.id);
  return {
    id: node.id,
    tcpAddr,
    up: node.up,
    shards: node.shards,
    lost,
    refusal: lost.length > 0 ? holdsLastCopies(tcpAddr, lost).message : null,
  };
}

/** A forced removal's consequence in words. */
export function forcedLossText(plan: RemoveDataPlan): string {
  return plan.lost.length > 0
    ? lostShardsText(plan.lost)
    : plan.up
      ? "no shard loses its last live copy"
      : "it cannot be reached: it is only dropped from the cluster; its disk is not touched";
}

/** The data-tier operation being asked about or carried out. */
export type DataOp =
  | {
      kind: "remove-data";
      tcpAddr: string;
      /** null while the fresh health report is fetched. */
      plan: RemoveDataPlan | null;
      planAt: number | null;
      force: boolean;
      typed: string;
      mismatch: boolean;
      startedAt: number | null;
    }
  | {
      kind: "rebalance";
      /** The drained node's TCP address, when draining. */
      drain?: string;
      plan: RebalancePlan | null;
      planAt: number | null;
      startedAt: number | null;
      progress: MoveProgress | null;
      /** Stop was asked: the run ends after the move under way. */
      stopping: boolean;
    };

/** "2 shards unavailable" for the header, or null when none is (or nothing is known). */
export function unavailableText(health: DataHealth | null): string | null {
  const n = health?.report?.summary.unavailable ?? 0;
  return n > 0 ? `${n} shard${n === 1 ? "" : "s"} UNAVAILABLE` : null;
}

/** A progress bar of `width` cells: "[#####.....]". */
export function progressBar(done: number, total: number, width: number): string {
  const cells = Math.max(1, width - 2);
  const full = total > 0 ? Math.min(cells, Math.round((done / total) * cells)) : cells;
  return `[${"#".repeat(full)}${".".repeat(cells - full)}]`;
}

/** One line of words on the replica health as a whole, or why it is not known. */
export function healthLine(health: DataHealth | null): { text: string; tone: Tone } {
  if (!health) return { text: "data tier: asking the data nodes for their shards…", tone: "info" };
  const r = health.report;
  if (!r) return { text: `data tier unknown: ${health.error}`, tone: "warn" };
  const s = r.summary;
  const text =
    `${s.shards} shards: ${s.healthy} healthy, ${s["under-replicated"]} under-replicated, ${s.unavailable} unavailable, ` +
    `${s.missing} missing, ${s.orphan} orphan, ${s.hot} hot; data nodes: ${s["nodes-up"]} up, ${s["nodes-down"]} down`;
  if (health.error)
    return { text: `as of ${clock(health.at)} (now: ${health.error}): ${text}`, tone: "warn" };
  const tone = s.unavailable > 0 ? "error" : s["under-replicated"] + s.missing > 0 ? "warn" : "ok";
  return { text, tone };
}
