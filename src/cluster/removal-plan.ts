/**
 * The removal plan of the direct mode (-api meta): influxd-ctl and the TUI build it client-side
 * from what a meta API shows, in the admin service's RemovalPlan shape and with the same rules
 * and words (src/raft/membership.ts), because a Go meta node checks none of them itself.
 *
 * Its limit (docs/operations.md, "Managing a cluster through its meta API"): a Go meta node does
 * not publish the leader's Raft view, so a node counts as active when its HTTP answers, and the
 * configuration index is unknown (0). When the leader is one of our meta nodes its /status
 * carries both, and they are used instead. Either way the check holds when the client looked,
 * not when the leader accepts the change: only the admin service (8084) carries the plan's
 * configuration index to the leader.
 */

import type { PlanVoter, RemovalPlan } from "../contract/cluster.ts";
import { removalWarnings, planVerdict, removalFacts } from "../raft/membership.ts";
import type { Configuration } from "../raft/types.ts";

export interface DirectRemovalFacts {
  /** The meta node's record in the metadata. */
  node: { id: number; httpAddr: string; raftAddr: string };
  /** The address as the operator named it, for the messages. */
  addr: string;
  /** Whether the node's HTTP answered just now. */
  reachable: boolean;
  /** The voters of the leader's configuration; `raftActive` mirrors `httpUp` unless the leader
   *  reported its Raft view. */
  voters: readonly PlanVoter[];
  /** The leader's configuration index when it reports one, else 0 (unknown). */
  configIndex: number;
  leaderRaftAddr: string;
  force: boolean;
}

export function noSuchMetaNode(addr: string): string {
  return `meta node ${addr} does not exist in cluster`;
}

export function noLeaderToRemove(addr: string): string {
  return `the cluster has no leader; meta node ${addr} cannot be removed until a quorum of meta nodes is back`;
}

/**
 * Checks in the admin service's order: what even -force cannot override (the last voter); an
 * unreachable node needs -force (it cannot be wiped); then the membership rules (quorum).
 * Removing the leader is allowed with a warning: over the meta API the other voters elect a new
 * leader once it is gone, so it goes last.
 */
export function planDirectRemoval(f: DirectRemovalFacts): RemovalPlan {
  const { node, addr, reachable, force } = f;
  // Raft addresses serve as server ids: the meta API names servers by them.
  const config: Configuration = {
    servers: f.voters.map((v) => ({ id: v.raftAddr, address: v.raftAddr, suffrage: "voter" as const })),
  };
  const voter = f.voters.find((v) => v.raftAddr === node.raftAddr);
  const active = (id: string) =>
    id === node.raftAddr
      ? reachable && (voter?.raftActive ?? true)
      : f.voters.some((v) => v.raftAddr === id && v.raftActive && v.httpUp);
  const facts = removalFacts(config, node.raftAddr, active);

  const verdict = planVerdict(facts, { name: addr, force, httpUp: reachable, inConfig: true });

  const isLeader = f.leaderRaftAddr === node.raftAddr;
  const warnings = removalWarnings(
    facts,
    force,
    { name: addr, inConfig: voter !== undefined, isLeader, httpUp: reachable },
    {
      leaderMoves: `meta node ${addr} is the leader: the other voters elect a new leader once it is gone (replace the leader last)`,
      notWiped: `meta node ${addr} is unreachable: its meta dir will not be wiped; do not restart it with its old data`,
    },
  );
  return {
    node: {
      id: node.id,
      httpAddr: node.httpAddr,
      raftAddr: node.raftAddr,
      reachable,
      raftActive: active(node.raftAddr),
      isLeader,
      suffrage: voter ? "voter" : "none",
    },
    configIndex: f.configIndex,
    voters: [...f.voters],
    votersBefore: facts.votersBefore,
    votersAfter: facts.votersAfter,
    reachableVotersAfter: facts.activeVotersAfter,
    quorumAfter: facts.quorumAfter,
    ...verdict,
    warnings: warnings.map((w) => w.message),
    warningCodes: warnings.map((w) => w.code),
  };
}
