/**
 * The guided rolling restart (`u`, `:rolling-restart`): in which order to restart the meta nodes,
 * when a restarted node counts as back and caught up, and the guide's steps. Pure: the reducer
 * feeds it every poll's snapshot. The view restarts nothing in production (the operator does, on
 * the node's host); the demo, which owns its nodes, can (R).
 *
 * A restart is seen either as the node going DOWN and coming back, or as a new process start time
 * in its /status (`startedAt`), for a restart too quick for a poll to see it down.
 */

import { faultToleranceText, nodeDownText, nodeName, toleranceLeft } from "../wording.ts";
import type { Tone } from "./events.ts";
import type { ClusterSnapshot, NodeRow } from "./model.ts";

/**
 * Applied entries a caught-up node may trail the leader's commit index by. The node and the leader
 * are polled at slightly different moments, and a meta tier in use (data nodes creating shard
 * groups, announcements of users' changes) commits entries between the two reads, so a node that
 * is in step still shows a few; one replaying its log after a restart trails by far more.
 */
export const CAUGHT_UP_MAX_LAG = 10;

/**
 * How recent the node's last contact with the leader must be (its own /status `lastContactMs`).
 * Half the default election-timeout (1 s): a follower that heard from its leader within it has no
 * reason to campaign, and a healthy leader reaches each follower every commit-timeout (50 ms).
 */
export const CAUGHT_UP_MAX_CONTACT_MS = 500;

/**
 * restart: waiting for the operator to restart the node; down: seen DOWN, waiting for it to come
 * back; back: restarted, waiting for it to catch up; done: every node restarted and caught up;
 * stopped: something else went wrong and the guide stopped advising (`stopped` says what).
 */
export type GuidePhase = "restart" | "down" | "back" | "done" | "stopped";

export interface RollingRestart {
  /** Keys of the meta nodes in restart order: non-voters, then followers, the leader last. */
  order: string[];
  /** Index in `order` of the node restarted now. */
  step: number;
  phase: GuidePhase;
  /** The node's process start time when its step began: a different one is a restart. */
  startedAt: string | null;
  /** Why the guide stopped advising (phase "stopped"). */
  stopped: string | null;
}

/** One condition of "caught up", as the guide shows it: met or not, with the figures. */
export interface Condition {
  text: string;
  met: boolean;
}

/** Something the guide says once (status line and events). */
export interface GuideNews {
  text: string;
  tone: Tone;
}

const inConfig = (r: NodeRow) => r.role === "meta" && (r.suffrage === "voter" || r.suffrage === "nonvoter");

function metaMembers(snapshot: ClusterSnapshot): NodeRow[] {
  return snapshot.rows.filter(inConfig);
}

function leaderRow(snapshot: ClusterSnapshot): NodeRow | null {
  return snapshot.rows.find((r) => r.role === "meta" && r.httpAddr === snapshot.leaderHttp) ?? null;
}

export function rowName(row: NodeRow): string {
  return nodeName("meta", row.id, row.httpAddr);
}

/**
 * Non-voters first (they do not count for quorum), then the voters that follow, the leader last
 * (restarting it costs an election, so it is done once, at the end); by ID within each.
 */
function ordered(rows: NodeRow[], leaderHttp: string | null): NodeRow[] {
  const rank = (r: NodeRow) => (r.httpAddr === leaderHttp ? 2 : r.suffrage === "voter" ? 1 : 0);
  return [...rows].sort((a, b) => rank(a) - rank(b) || a.id - b.id);
}

export function restartOrder(snapshot: ClusterSnapshot): string[] {
  return ordered(metaMembers(snapshot), snapshot.leaderHttp).map((r) => r.key);
}

/** Why the guide will not start on this cluster, or null. */
export function startRefusal(snapshot: ClusterSnapshot | null): string | null {
  if (!snapshot || !snapshot.membershipKnown || !snapshot.leaderHttp)
    return "no leader answers: the guide needs a leader to tell when a restarted node has caught up";
  if (snapshot.raftUnreported)
    return "some meta nodes do not report their Raft indexes (Go/Enterprise): the guide cannot tell when one has caught up";
  const down = metaMembers(snapshot).find((r) => r.up !== true);
  if (down)
    return `${nodeDownText("meta", down.id, down.httpAddr, down.error)}: bring it back (or remove it) before restarting another`;
  if (toleranceLeft(snapshot.votersUp, snapshot.votersTotal) < 1)
    return `${faultToleranceText(snapshot.votersTotal)}; a restart loses quorum`;
  return null;
}

/** The guide at its first step (call startRefusal first). */
export function startGuide(snapshot: ClusterSnapshot): RollingRestart {
  const order = restartOrder(snapshot);
  const first = snapshot.rows.find((r) => r.key === order[0]);
  return { order, step: 0, phase: "restart", startedAt: first?.startedAt ?? null, stopped: null };
}

/** The node restarted now (null once it left the table). */
export function currentRow(guide: RollingRestart, snapshot: ClusterSnapshot | null): NodeRow | null {
  return snapshot?.rows.find((r) => r.key === guide.order[guide.step]) ?? null;
}

/** What "back and caught up" needs, each condition met or not, with the figures. */
export function caughtUp(row: NodeRow, snapshot: ClusterSnapshot): Condition[] {
  const leader = leaderRow(snapshot);
  const up = row.up === true && row.state !== null;
  const { commitIndex: commit, appliedIndex: applied } = row;
  const lag = leader?.commitIndex != null && applied != null ? leader.commitIndex - applied : null;
  const isLeader = leader?.key === row.key;
  const contact = isLeader ? 0 : row.lastContactMs;
  return [
    { text: "up: answers /ping and /status", met: up },
    {
      text: `commit index = applied index (commit ${commit ?? "-"}, applied ${applied ?? "-"})`,
      met: up && commit !== null && commit === applied,
    },
    {
      text: leader
        ? `applied within ${CAUGHT_UP_MAX_LAG} entries of the leader's commit (leader ${leader.commitIndex ?? "-"}, applied ${applied ?? "-"})`
        : "applied close to the leader's commit (no leader answers)",
      met: up && lag !== null && lag <= CAUGHT_UP_MAX_LAG,
    },
    {
      text: `recent contact with the leader: in its Raft view, and last contact within ${CAUGHT_UP_MAX_CONTACT_MS}ms (${contact === null ? "none yet" : `${contact}ms`}${row.raftActive === false ? "; the leader does not see it" : ""})`,
      met: up && row.raftActive !== false && contact !== null && contact <= CAUGHT_UP_MAX_CONTACT_MS,
    },
    {
      text: `same Raft configuration as the leader (config index ${row.configIndex ?? "-"}, leader's ${leader?.configIndex ?? "-"})`,
      met: up && row.configIndex !== undefined && row.configIndex === leader?.configIndex,
    },
  ];
}

function stop(guide: RollingRestart, why: string): { guide: RollingRestart; news: GuideNews[] } {
  return {
    guide: { ...guide, phase: "stopped", stopped: why },
    news: [{ text: `rolling restart guide stopped: ${why}`, tone: "error" }],
  };
}

/** The steps left after `step`, the current leader last (leadership may have moved meanwhile). */
function reorderRest(guide: RollingRestart, snapshot: ClusterSnapshot): string[] {
  const done = guide.order.slice(0, guide.step + 1);
  const rest = guide.order
    .slice(guide.step + 1)
    .map((k) => snapshot.rows.find((r) => r.key === k))
    .filter((r): r is NodeRow => !!r);
  return [...done, ...ordered(rest, snapshot.leaderHttp).map((r) => r.key)];
}

/** The guide after one more poll, and what it says about it. */
export function advanceGuide(
  guide: RollingRestart,
  snapshot: ClusterSnapshot,
): { guide: RollingRestart; news: GuideNews[] } {
  if (guide.phase === "done" || guide.phase === "stopped") return { guide, news: [] };
  const members = metaMembers(snapshot);
  // Without a leader (the restarted leader's election) the list is the last known one: no verdict.
  if (snapshot.membershipKnown) {
    const keys = new Set(members.map((r) => r.key));
    if (keys.size !== guide.order.length || guide.order.some((k) => !keys.has(k)))
      return stop(guide, "the cluster's membership changed; start the guide again to plan the new one");
  }
  const currentKey = guide.order[guide.step];
  const otherDown = members.find((r) => r.key !== currentKey && r.up === false);
  if (otherDown)
    return stop(
      guide,
      `${nodeDownText("meta", otherDown.id, otherDown.httpAddr, otherDown.error)}, and it is not the node being restarted: find out why before restarting anything else`,
    );
  const row = currentRow(guide, snapshot);
  if (!row) return { guide, news: [] };
  const name = rowName(row);
  const restarted =
    row.startedAt !== undefined && guide.startedAt !== null && row.startedAt !== guide.startedAt;
  if (guide.phase === "restart" && row.up === false)
    return {
      guide: { ...guide, phase: "down" },
      news: [{ text: `${name} is DOWN for its restart`, tone: "info" }],
    };
  const news: GuideNews[] = [];
  if ((guide.phase === "restart" && restarted) || (guide.phase === "down" && row.up === true)) {
    guide = { ...guide, phase: "back", startedAt: row.startedAt ?? guide.startedAt };
    news.push({ text: `${name} was restarted; waiting for it to catch up`, tone: "info" });
  } else if (guide.phase === "back" && row.up === false) return { guide: { ...guide, phase: "down" }, news };
  if (guide.phase !== "back" || !caughtUp(row, snapshot).every((c) => c.met)) return { guide, news };
  const caught = `${name} is back and caught up (applied ${row.appliedIndex})`;
  if (guide.step + 1 >= guide.order.length) {
    const text = `${caught}; rolling restart done: every meta node was restarted (${faultToleranceText(snapshot.votersTotal)})`;
    return { guide: { ...guide, phase: "done" }, news: [...news, { text, tone: "ok" }] };
  }
  const order = reorderRest(guide, snapshot);
  const next = snapshot.rows.find((r) => r.key === order[guide.step + 1]);
  return {
    guide: {
      order,
      step: guide.step + 1,
      phase: "restart",
      startedAt: next?.startedAt ?? null,
      stopped: null,
    },
    news: [...news, { text: `${caught}; next: ${next ? rowName(next) : order[guide.step + 1]}`, tone: "ok" }],
  };
}
