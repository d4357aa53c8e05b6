/**
 * One wording for the facts influxd-ctl and the TUI both print: a node, its being down, the leader,
 * a warning, the outcome of adding or removing a meta node. Each fact is worded here once, so the
 * CLI's text and the TUI's dialogs, status line and events say the same thing the same way.
 */

import type { NodeResult, RemoveMetaResult } from "./contract/cluster.ts";
import type { RebalanceMove, RebalancePlan } from "./contract/data-tier.ts";

/** "meta node 2 at node2:8091" (id 0 = not registered yet: "meta node node2:8091"). */
export function nodeName(role: "meta" | "data", id: number, httpAddr: string): string {
  return id ? `${role} node ${id} at ${httpAddr}` : `${role} node ${httpAddr}`;
}

/** Every warning, in both tools, starts with "Warning: " (never "warning:" or "WARNING:"). */
export function warningText(text: string): string {
  return `Warning: ${text}`;
}

/** The leader is always named by its HTTP address (what operators pass to -bind and remove-meta). */
export function leaderText(leaderHttp: string | null | undefined): string {
  return leaderHttp || "none";
}

/** A node that does not answer: "meta node 2 at node2:8091 is DOWN (connection refused)". */
export function nodeDownText(
  role: "meta" | "data",
  id: number,
  httpAddr: string,
  reason: string | null,
): string {
  return `${nodeName(role, id, httpAddr)} is DOWN${reason ? ` (${reason})` : ""}`;
}

/** A meta node whose meta dir failed under it: "meta node 2 at node2:8091 stopped writing: <reason>". */
export function storageFailedText(id: number, httpAddr: string, reason: string): string {
  return `${nodeName("meta", id, httpAddr)} stopped writing: ${reason}`;
}

/** The admin service answered without a leader: what it lists is not the cluster's membership. */
export const MEMBERSHIP_UNKNOWN = "membership unknown (no leader answered)";

/** A metadata record that the Raft configuration does not contain (suffrage "none"). */
export const NOT_IN_RAFT_CONFIG = "not in the Raft configuration";

/** What a successful remove-meta did, as one paragraph per line (warnings last). */
export function removedText(r: RemoveMetaResult): string[] {
  const cleanup =
    r.cleanup === "done"
      ? "Its meta dir was wiped; it runs on as a blank node that can be added again."
      : r.cleanup === "skipped"
        ? "Its meta dir was not wiped (the node was unreachable)."
        : r.cleanup === "nothing"
          ? "Nothing was wiped (see below)."
          : // A failed cleanup is explained by its warning.
            null;
  return [
    `Removed ${nodeName("meta", r.id, r.addr)}`,
    ...(cleanup ? [cleanup] : []),
    ...r.warnings.map(warningText),
  ];
}

/** Lines as one paragraph (the status line, the events): each ends as a sentence. */
export function oneLine(lines: string[]): string {
  return lines.map((l) => (/[.!?)]$/.test(l) ? l : l + ".")).join(" ");
}

/** What a successful add-meta did. */
export function addedText(node: NodeResult): string {
  return `Added ${nodeName("meta", node.id, node.addr)}`;
}

/**
 * Failures a Raft group of `voters` survives with all of them up: voters minus a majority. Pure
 * arithmetic, kept beside its words so the header, the plans, `show` and -json agree; a single
 * voter tolerates 0 failures, which is a fact, not a risk.
 */
export function faultTolerance(voters: number): number {
  return voters > 0 ? voters - (Math.floor(voters / 2) + 1) : 0;
}

/** Failures still survivable with `up` of `voters` voters up (0 when quorum is already lost). */
export function toleranceLeft(up: number, voters: number): number {
  return Math.max(0, up - (Math.floor(voters / 2) + 1));
}

/** "tolerates 1 failure", "tolerates 0 failures". */
export function toleratesText(failures: number): string {
  return `tolerates ${failures} failure${failures === 1 ? "" : "s"}`;
}

/** "3 voters, tolerates 1 failure". */
export function faultToleranceText(voters: number): string {
  return `${voters} voter${voters === 1 ? "" : "s"}, ${toleratesText(faultTolerance(voters))}`;
}

/** The fault tolerance as the JSON contract carries it (show, -json, removal plans). */
export function faultToleranceOf(voters: number): { voters: number; tolerates: number; text: string } {
  return { voters, tolerates: faultTolerance(voters), text: faultToleranceText(voters) };
}

/** Whether going from `before` to `after` voters survives fewer failures (a removal is then marked). */
export function lowersTolerance(before: number, after: number): boolean {
  return faultTolerance(after) < faultTolerance(before);
}

/** Bytes as "1.2 MB". */
export function formatBytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** One move of a rebalance or drain: "shard 7 (db.rp, 1.2 KB): a:8088 -> b:8088". */
export function moveText(m: RebalanceMove): string {
  const from =
    m.from.id === m.source.id ? "" : ` (copied from ${m.from.tcpAddr}; ${m.source.tcpAddr} is down)`;
  return `shard ${m.shard} (${m.database}.${m["retention-policy"]}, ${formatBytes(m.size)}${m.hot ? ", hot: caught up after the copy" : ""}): ${m.source.tcpAddr} -> ${m.dest.tcpAddr}${from}`;
}

/** A rebalance or drain plan: what moves, what cannot, and the shards per node before and after. */
export function rebalancePlanLines(plan: RebalancePlan): { text: string; warn?: boolean }[] {
  const what = plan.drain ? `Drain ${plan.drain}` : "Rebalance";
  const lines: { text: string; warn?: boolean }[] = [
    {
      text: `${what}: ${plan.moves.length} move${plan.moves.length === 1 ? "" : "s"}, ${formatBytes(plan.bytes)}`,
    },
  ];
  for (const m of plan.moves) lines.push({ text: `  ${moveText(m)}` });
  for (const k of plan.skipped)
    lines.push({ text: warningText(`shard ${k.shard} cannot be moved: ${k.reason}`), warn: true });
  lines.push({ text: "Shards per live data node (before -> after):" });
  for (const [addr, n] of Object.entries(plan.before))
    lines.push({ text: `  ${addr}: ${n} -> ${plan.after[addr] ?? n}` });
  return lines;
}
