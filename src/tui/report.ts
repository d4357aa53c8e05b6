/**
 * The view without a terminal: the same snapshot the live view draws, printed once as a table or
 * as JSON, and its verdict as the exit code (model.ts `verdict`), so scripts and monitors can use
 * it: 0 healthy, 1 degraded (a node DOWN), 2 no quorum or no leader, 3 the admin service did not
 * answer.
 */

import { leaderText, MEMBERSHIP_UNKNOWN } from "../wording.ts";
import { quorumSize } from "../raft/membership.ts";
import { quorumHealth, verdict, type ClusterSnapshot } from "./model.ts";
import { plainTable } from "./table-format.ts";

/** Words for the quorum's health, shared by the header and the plain report. */
export const HEALTH_TEXT = {
  ok: "",
  degraded: " (degraded)",
  "at-risk": " - quorum at risk",
  lost: " - NO QUORUM",
} as const;

/** The header line and the table, as plain text. */
export function plainReport(snapshot: ClusterSnapshot): string {
  const health = quorumHealth(snapshot.votersUp, snapshot.votersTotal);
  const lines = [
    `leader ${leaderText(snapshot.leaderHttp)}  ${snapshot.votersUp}/${snapshot.votersTotal} voters up` +
      HEALTH_TEXT[health] +
      `  term ${snapshot.term ?? "-"}` +
      (snapshot.raftUnreported ? " (- = not reported by these nodes)" : ""),
    ...(snapshot.membershipKnown ? [] : [MEMBERSHIP_UNKNOWN]),
    ...(snapshot.adminError ? [`admin: ${snapshot.adminError}`] : []),
    ...plainTable(snapshot.rows),
  ];
  return lines.join("\n") + "\n";
}

/** The model as JSON: the verdict, the cluster summary and every row as the table has it. */
export function jsonReport(snapshot: ClusterSnapshot): string {
  const v = verdict(snapshot);
  const model = {
    health: v.health,
    exitCode: v.exitCode,
    reasons: v.reasons,
    leader: snapshot.leaderHttp,
    membershipKnown: snapshot.membershipKnown,
    votersUp: snapshot.votersUp,
    votersTotal: snapshot.votersTotal,
    quorum: snapshot.votersTotal ? quorumSize(snapshot.votersTotal) : null,
    term: snapshot.term,
    admin: { bind: snapshot.adminBind, node: snapshot.adminSelf, error: snapshot.adminError },
    polledAt: new Date(snapshot.polledAt).toISOString(),
    nodes: snapshot.rows.map(({ key: _key, ...row }) => row),
  };
  return JSON.stringify(model, null, 2) + "\n";
}
