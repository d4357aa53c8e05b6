/** Changes between two cluster snapshots, as lines for the events history. */

import { leaderText, MEMBERSHIP_UNKNOWN, nodeDownText, nodeName, storageFailedText } from "../wording.ts";
import type { ClusterSnapshot, NodeRow } from "./model.ts";

export type Tone = "info" | "ok" | "warn" | "error";

export interface ClusterEvent {
  at: number;
  text: string;
  tone: Tone;
  /** Key of the node the event is about, so its detail pane can show the last one in full. */
  node?: string;
}

function label(row: NodeRow): string {
  return nodeName(row.role, row.id, row.httpAddr);
}

/** How the admin service failed: it did not answer, or it answered with a refusal. */
export function adminTrouble(snapshot: ClusterSnapshot): string {
  return snapshot.adminRefused ? "refused" : "unreachable";
}

/** Events seen going from `prev` (null before the first poll) to `next`. */
export function diffSnapshots(prev: ClusterSnapshot | null, next: ClusterSnapshot): ClusterEvent[] {
  const at = next.polledAt;
  const events: ClusterEvent[] = [];
  const add = (text: string, tone: Tone, node?: string) => events.push({ at, text, tone, node });
  const before = new Map((prev?.rows ?? []).map((r) => [r.key, r]));
  const after = new Map(next.rows.map((r) => [r.key, r]));

  if ((prev?.adminError ?? null) !== next.adminError) {
    if (next.adminError) add(`admin service ${adminTrouble(next)}: ${next.adminError}`, "error");
    else if (prev) add("admin service reachable again", "ok");
  }
  if (prev && next.adminBind && prev.adminBind && prev.adminBind !== next.adminBind)
    add(`switched to the admin service at ${next.adminBind} (${prev.adminBind} failed)`, "warn");
  if ((prev?.membershipKnown ?? true) !== next.membershipKnown) {
    if (!next.membershipKnown) add(MEMBERSHIP_UNKNOWN, "error");
    else if (prev) add("membership known again (a leader answered)", "ok");
  }
  if (prev && prev.leaderHttp !== next.leaderHttp) {
    if (next.leaderHttp === null) add(`no leader (was ${leaderText(prev.leaderHttp)})`, "error");
    else if (prev.leaderHttp === null)
      add(`leader elected: ${leaderText(next.leaderHttp)} (term ${next.term ?? "?"})`, "ok");
    else
      add(
        `leader changed: ${leaderText(prev.leaderHttp)} → ${leaderText(next.leaderHttp)} (term ${next.term ?? "?"})`,
        "warn",
      );
  }
  // Joins and removals are read from the membership only when a leader vouched for both lists:
  // without one, a missing node is missing data, not a removal.
  const membership = (prev?.membershipKnown ?? true) && next.membershipKnown;
  for (const row of next.rows) {
    const old = before.get(row.key);
    const down = () => add(nodeDownText(row.role, row.id, row.httpAddr, row.error), "error", row.key);
    if (!old) {
      if (membership && prev && prev.rows.length > 0) add(`${label(row)} joined`, "info", row.key);
      if (!prev && row.up === false) down();
      continue;
    }
    if (row.storageError && row.storageError !== old.storageError)
      add(storageFailedText(row.id, row.httpAddr, row.storageError), "error", row.key);
    if (old.up !== false && row.up === false) down();
    else if (old.up === false && row.up === true) add(`${label(row)} is back up`, "ok", row.key);
  }
  if (membership) {
    for (const row of prev?.rows ?? []) {
      if (!after.has(row.key)) add(`${label(row)} removed from the cluster`, "warn", row.key);
    }
  }
  return events;
}
