/**
 * The one removal-plan builder. Every planner first reduces what it sees to a RemovalView:
 * - the admin service (8084) from the leader's /status: its configuration, its Raft view of which
 *   servers are active, and the index the leader checks again when it appends the change;
 * - the direct client (-api meta) from a meta API: a Go meta node publishes no Raft view, so a
 *   node counts as active when its HTTP answers and the configuration index is unknown (0); when
 *   the leader is one of ours, its /status carries both (docs/operations.md, "Managing a cluster
 *   through its meta API"). Only the admin service's plan holds when the leader accepts the
 *   change: the direct client's holds when it looked.
 * Then the rules (src/cluster/removal-rules.ts over src/raft/membership.ts) decide, in one order.
 */

import type { PlanVoter, RemovalPlan } from "../contract/cluster.ts";
import { removalFacts } from "../raft/membership.ts";
import type { Configuration, Server } from "../raft/types.ts";
import { planVerdict, removalWarnings, type RemovalWarningTexts } from "./removal-rules.ts";

export interface RemovalView {
  /** The metadata record of the node to remove. */
  target: { id: number; httpAddr: string; raftAddr: string };
  /** The address as the operator named it, for the messages. */
  name: string;
  /** Whether the target's HTTP answered just now (it can be told to wipe itself). */
  httpUp: boolean;
  /** The target's place in the leader's configuration; "none": a record outside it. */
  suffrage: "voter" | "nonvoter" | "none";
  /** Whether the leader's Raft view has the target active. */
  raftActive: boolean;
  /** The voters of the leader's configuration, each with its HTTP side. */
  voters: readonly PlanVoter[];
  /** The leader's configuration index; 0 when the leader does not report one. */
  configIndex: number;
  leaderRaftAddr: string;
  /** The planner's words where removing differs by API. */
  texts: RemovalWarningTexts;
}

/** What remove-meta would do with `force`, and the refusal it would give; changes nothing. */
export function buildRemovalPlan(view: RemovalView, force: boolean): RemovalPlan {
  const { target, name } = view;
  // Raft addresses serve as server ids: both APIs name every server by it.
  const servers: Server[] = view.voters.map((v) => ({
    id: v.raftAddr,
    address: v.raftAddr,
    suffrage: "voter",
  }));
  if (view.suffrage === "nonvoter")
    servers.push({ id: target.raftAddr, address: target.raftAddr, suffrage: "nonvoter" });
  const config: Configuration = { servers };
  // Stricter than the leader's own check: another voter counts only when the leader's Raft view
  // has it active AND its HTTP answers (a node that died a moment ago stays "active" for up to
  // an election timeout; its closed port already shows).
  const active = (id: string) =>
    id === target.raftAddr
      ? view.raftActive
      : view.voters.some((v) => v.raftAddr === id && v.raftActive && v.httpUp);
  const facts = removalFacts(config, target.raftAddr, active);
  const inConfig = view.suffrage !== "none";
  const isLeader = view.leaderRaftAddr === target.raftAddr;
  const verdict = planVerdict(facts, { name, force, httpUp: view.httpUp, inConfig });
  const warnings = removalWarnings(
    facts,
    force,
    { name, inConfig, isLeader, httpUp: view.httpUp },
    view.texts,
  );
  return {
    node: {
      ...target,
      reachable: view.httpUp,
      raftActive: view.raftActive,
      isLeader,
      suffrage: view.suffrage,
    },
    configIndex: view.configIndex,
    voters: [...view.voters],
    votersBefore: facts.votersBefore,
    votersAfter: facts.votersAfter,
    reachableVotersAfter: facts.activeVotersAfter,
    quorumAfter: facts.quorumAfter,
    ...verdict,
    warnings: warnings.map((w) => w.message),
    warningCodes: warnings.map((w) => w.code),
  };
}
