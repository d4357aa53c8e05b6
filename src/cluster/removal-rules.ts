/**
 * The removal rules in operator words: why a removal is refused, what only -force overrides, and
 * what a plan warns of. The arithmetic and the codes are the consensus core's
 * (src/raft/membership.ts: removalFacts, removalRefusal), which the leader checks again when it
 * appends the change; every planner words them here, so influxd-ctl, the TUI and the HTTP answers
 * say the same.
 */

import { FORCEABLE, removalRefusal, type RemovalFacts, type RemovalRefusalCode } from "../raft/membership.ts";

export function noSuchMetaNode(addr: string): string {
  return `meta node ${addr} does not exist in cluster`;
}

/** A removed record's node answered blank: it held nothing of this cluster, so nothing was wiped
 *  (a stray record, e.g. of a node a Go meta cluster added but that never joined). */
export function alreadyBlank(addr: string): { code: string; message: string } {
  return {
    code: "ALREADY_BLANK",
    message: `meta node ${addr} was blank before its record was removed: it holds no state of this cluster, nothing was wiped`,
  };
}

/** A removed record's address answers as something other than our meta node. */
export function notOurs(addr: string, goMeta: boolean): { code: string; message: string } {
  return {
    code: "NOT_OURS",
    message: `${addr} is not one of our meta nodes${goMeta ? " (a Go or Enterprise meta node)" : ""}: only its record was removed, it was not asked to wipe anything`,
  };
}

export function noLeaderToRemove(addr: string): string {
  return `the cluster has no leader; meta node ${addr} cannot be removed until a quorum of meta nodes is back`;
}

/** Whether the removal leaves fewer active voters than a quorum (what a forced removal risks). */
export function removalBreaksQuorum(f: RemovalFacts): boolean {
  return f.activeVotersAfter < f.quorumAfter;
}

/** The operator-facing text of a refusal; `name` is how the node is called (its HTTP address). */
export function removalRefusalMessage(code: RemovalRefusalCode, f: RemovalFacts, name: string): string {
  switch (code) {
    case "LAST_VOTER":
      return `meta node ${name} is the last voter; removing it would leave no cluster`;
    case "TARGET_INACTIVE":
      return `meta node ${name} is not active in Raft (the leader has not heard from it within an election timeout); use -force to remove a node that is down`;
    case "QUORUM_AT_RISK":
      return (
        `removing meta node ${name} would leave ${f.activeVotersAfter} active voter(s), fewer than the quorum of ` +
        `${f.quorumAfter} for ${f.votersAfter} voters; bring the other meta nodes back first, or use -force`
      );
  }
}

/** What a removal plan reports: its refusal (null when it would proceed) and whether only -force
 *  would let it proceed. */
export interface PlanVerdict {
  refusal: string | null;
  refusalCode: string | null;
  forceRequired: boolean;
}

/**
 * The plan's verdict, in the one order every planner (the admin service, the direct client)
 * checks: what even -force cannot override (the last voter); a target whose HTTP does not answer
 * needs -force (it cannot be wiped); then the membership rules, for a target in the configuration.
 */
export function planVerdict(
  f: RemovalFacts,
  opts: { name: string; force: boolean; httpUp: boolean; inConfig: boolean },
): PlanVerdict {
  const unforceable = removalRefusal(f, true);
  if (unforceable)
    return {
      refusalCode: unforceable,
      refusal: removalRefusalMessage(unforceable, f, opts.name),
      forceRequired: false,
    };
  if (!opts.force && !opts.httpUp)
    return {
      refusalCode: "TARGET_UNREACHABLE",
      refusal: `meta node ${opts.name} could not be reached; use -force to remove an unreachable node`,
      forceRequired: true,
    };
  const ruled = opts.inConfig ? removalRefusal(f, opts.force) : null;
  if (ruled)
    return {
      refusalCode: ruled,
      refusal: removalRefusalMessage(ruled, f, opts.name),
      forceRequired: FORCEABLE.has(ruled),
    };
  return { refusal: null, refusalCode: null, forceRequired: false };
}

/** The warning for a metadata record whose node is not in the Raft configuration. */
function notInRaftConfigWarning(name: string): string {
  return `meta node ${name} is not in the Raft configuration: only its metadata record is dropped`;
}

/** The warning of a forced removal that leaves fewer active voters than a quorum, or null. */
function quorumAtRiskWarning(f: RemovalFacts, force: boolean): string | null {
  if (!force || !f.targetIsVoter || !removalBreaksQuorum(f)) return null;
  return `after removal only ${f.activeVotersAfter} of ${f.votersAfter} voters are active: the cluster has no quorum until more return`;
}

/** The planner's own words for what differs with the way it removes (see removalWarnings). */
export interface RemovalWarningTexts {
  /** The target leads: what happens to the leadership. */
  leaderMoves: string;
  /** The target does not answer: what becomes of its meta dir. */
  notWiped: string;
}

/**
 * What a removal plan warns of, in the order the planners list it (the admin service's and the
 * direct client's): a record outside the Raft configuration, the leader going, a target whose meta
 * dir cannot be wiped, a forced removal leaving no quorum.
 */
export function removalWarnings(
  f: RemovalFacts,
  force: boolean,
  target: { name: string; inConfig: boolean; isLeader: boolean; httpUp: boolean },
  texts: RemovalWarningTexts,
): { code: string; message: string }[] {
  const warnings: { code: string; message: string }[] = [];
  if (!target.inConfig)
    warnings.push({ code: "NOT_IN_RAFT_CONFIG", message: notInRaftConfigWarning(target.name) });
  if (target.isLeader) warnings.push({ code: "LEADER_MOVES", message: texts.leaderMoves });
  if (!target.httpUp) warnings.push({ code: "NOT_WIPED", message: texts.notWiped });
  const atRisk = quorumAtRiskWarning(f, force);
  if (atRisk) warnings.push({ code: "QUORUM_AT_RISK", message: atRisk });
  return warnings;
}
