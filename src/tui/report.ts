/**
 * The view without a terminal: the same snapshot the live view draws, printed once as a table or
 * as JSON, and its verdict as the exit code (model.ts `verdict`), so scripts and monitors can use
 * it: 0 healthy, 1 degraded (a node DOWN), 2 no quorum or no leader, 3 the admin service did not
 * answer.
 */

import {
  faultToleranceOf,
  leaderText,
  MEMBERSHIP_UNKNOWN,
  toleranceLeft,
  toleratesText,
} from "../wording.ts";
import { quorumSize } from "../raft/membership.ts";
import { healthLine, type DataHealth } from "./data-tier.ts";
import { quorumHealth, verdict, type ClusterSnapshot } from "./model.ts";
import { plainTable } from "./table-format.ts";

/**
 * The voters and what they survive, in words, shared by the header and the plain report:
 * "3/3 voters up, tolerates 1 failure", "2/3 voters up (degraded), tolerates 0 more failures",
 * "1/3 voters up - NO QUORUM".
 */
export function votersText(up: number, total: number): string {
  const health = quorumHealth(up, total);
  const head = `${up}/${total} voters up`;
  if (health === "lost") return `${head} - NO QUORUM`;
  const left = toleranceLeft(up, total);
  if (health === "ok") return `${head}, ${toleratesText(left)}`;
  const more = toleratesText(left).replace(/ failure/, " more failure");
  return health === "degraded" ? `${head} (degraded), ${more}` : `${head} - quorum at risk: ${more}`;
}

/** The header line, the table and the data tier's health in words, as plain text. */
export function plainReport(snapshot: ClusterSnapshot, data: DataHealth | null = null): string {
  const lines = [
    `leader ${leaderText(snapshot.leaderHttp)}  ${votersText(snapshot.votersUp, snapshot.votersTotal)}` +
      `  term ${snapshot.term ?? "-"}` +
      (snapshot.raftUnreported ? " (- = not reported by these nodes)" : ""),
    ...(snapshot.membershipKnown ? [] : [MEMBERSHIP_UNKNOWN]),
    ...(snapshot.adminError ? [`admin: ${snapshot.adminError}`] : []),
    ...plainTable(snapshot.rows),
    // Only with data nodes: a meta-only cluster has no data tier to speak of.
    ...(data && snapshot.rows.some((r) => r.role === "data") ? [`data tier: ${healthLine(data).text}`] : []),
  ];
  return lines.join("\n") + "\n";
}

/**
 * The model as JSON: the verdict, the cluster summary, every row as the table has it, and the data
 * tier's replica health (its summary and each data node's counts; `error` when it could not be had).
 */
export function jsonReport(snapshot: ClusterSnapshot, data: DataHealth | null = null): string {
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
    // What the configuration survives when all voters are up, and what is left now.
    faultTolerance: {
      ...faultToleranceOf(snapshot.votersTotal),
      left: toleranceLeft(snapshot.votersUp, snapshot.votersTotal),
    },
    term: snapshot.term,
    admin: { bind: snapshot.adminBind, node: snapshot.adminSelf, error: snapshot.adminError },
    polledAt: new Date(snapshot.polledAt).toISOString(),
    nodes: snapshot.rows.map(({ key: _key, ...row }) => ({ ...row, pingMs: roundMs(row.pingMs) })),
    dataTier: dataTierJson(data),
  };
  return JSON.stringify(model, null, 2) + "\n";
}

function dataTierJson(data: DataHealth | null) {
  if (!data) return null;
  const r = data.report;
  return r ? { summary: r.summary, nodes: r.nodes, error: data.error } : { error: data.error };
}

/** A latency to a tenth of a millisecond: more digits are timer noise, not information. */
export function roundMs(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms * 10) / 10;
}

/**
 * The model when there is no picture at all (nothing answered, or the command line is wrong):
 * still one JSON object with the same keys, so `jq -r .health` prints "unknown", never nothing.
 */
export function unknownReport(exitCode: number, reason: string): string {
  const model = {
    health: "unknown",
    exitCode,
    reasons: [reason],
    leader: null,
    membershipKnown: false,
    votersUp: 0,
    votersTotal: 0,
    quorum: null,
    faultTolerance: null,
    term: null,
    admin: { bind: null, node: null, error: reason },
    polledAt: new Date().toISOString(),
    nodes: [],
    dataTier: null,
  };
  return JSON.stringify(model, null, 2) + "\n";
}
