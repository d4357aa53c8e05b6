/** Changes between two cluster snapshots, as lines for the events pane. */

import type { ClusterSnapshot, NodeRow } from "./model.ts";

export type Tone = "info" | "ok" | "warn" | "error";

export interface ClusterEvent {
  at: number;
  text: string;
  tone: Tone;
}

function label(row: NodeRow): string {
  return `${row.role} node ${row.httpAddr}${row.id ? ` (id ${row.id})` : ""}`;
}

/** How the admin service failed: it did not answer, or it answered with a refusal. */
export function adminTrouble(snapshot: ClusterSnapshot): string {
  return snapshot.adminRefused ? "refused" : "unreachable";
}

/** Events seen going from `prev` (null before the first poll) to `next`. */
export function diffSnapshots(prev: ClusterSnapshot | null, next: ClusterSnapshot): ClusterEvent[] {
  const at = next.polledAt;
  const events: ClusterEvent[] = [];
  const add = (text: string, tone: Tone) => events.push({ at, text, tone });
  const before = new Map((prev?.rows ?? []).map((r) => [r.key, r]));
  const after = new Map(next.rows.map((r) => [r.key, r]));

  if ((prev?.adminError ?? null) !== next.adminError) {
    if (next.adminError) add(`admin service ${adminTrouble(next)}: ${next.adminError}`, "error");
    else if (prev) add("admin service reachable again", "ok");
  }
  if (prev && prev.leaderHttp !== next.leaderHttp) {
    if (next.leaderHttp === null) add(`no leader (was ${prev.leaderHttp})`, "error");
    else if (prev.leaderHttp === null)
      add(`leader elected: ${next.leaderHttp} (term ${next.term ?? "?"})`, "ok");
    else add(`leader changed: ${prev.leaderHttp} → ${next.leaderHttp} (term ${next.term ?? "?"})`, "warn");
  }
  for (const row of next.rows) {
    const old = before.get(row.key);
    if (!old) {
      if (prev && prev.rows.length > 0) add(`${label(row)} joined`, "info");
      if (!prev && row.up === false) add(`${label(row)} DOWN: ${row.error ?? "unreachable"}`, "error");
      continue;
    }
    if (old.up !== false && row.up === false)
      add(`${label(row)} DOWN: ${row.error ?? "unreachable"}`, "error");
    else if (old.up === false && row.up === true) add(`${label(row)} is back up`, "ok");
  }
  for (const row of prev?.rows ?? []) {
    if (!after.has(row.key)) add(`${label(row)} removed from the cluster`, "warn");
  }
  return events;
}
