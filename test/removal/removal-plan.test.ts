/**
 * The one removal-plan builder (src/cluster/removal-plan.ts), constructed directly: the admin
 * service and the direct meta-API client only produce its RemovalView.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { buildRemovalPlan, type RemovalView } from "../../src/cluster/removal-plan.ts";
import { claimedLeader } from "../../src/cluster/leader.ts";

const TEXTS = { leaderMoves: "LEADER MOVES", notWiped: "NOT WIPED" };

/** Three voters m1..m3, all up, m1 leading; `change` adjusts the view. */
function view(change: Partial<RemovalView> = {}, down: string[] = []): RemovalView {
  const voters = ["m1", "m2", "m3"].map((n) => ({
    httpAddr: `${n}:8091`,
    raftAddr: `${n}:8089`,
    httpUp: !down.includes(n),
    raftActive: !down.includes(n),
  }));
  return {
    target: { id: 3, httpAddr: "m3:8091", raftAddr: "m3:8089" },
    name: "m3:8091",
    httpUp: !down.includes("m3"),
    suffrage: "voter",
    raftActive: !down.includes("m3"),
    voters,
    configIndex: 42,
    leaderRaftAddr: "m1:8089",
    texts: TEXTS,
    ...change,
  };
}

test("a live follower of three: no refusal, 3 → 2 voters, quorum 2, the configuration index kept", () => {
  const plan = buildRemovalPlan(view(), false);
  assert.equal(plan.refusal, null);
  assert.equal(plan.forceRequired, false);
  assert.deepEqual(
    [plan.votersBefore, plan.votersAfter, plan.reachableVotersAfter, plan.quorumAfter, plan.configIndex],
    [3, 2, 2, 2, 42],
  );
  assert.deepEqual(plan.node, {
    id: 3,
    httpAddr: "m3:8091",
    raftAddr: "m3:8089",
    reachable: true,
    raftActive: true,
    isLeader: false,
    suffrage: "voter",
  });
  assert.deepEqual(plan.warningCodes, []);
});

test("the leader: allowed, with the planner's own words for what happens to leadership", () => {
  const plan = buildRemovalPlan(view({ leaderRaftAddr: "m3:8089" }), false);
  assert.equal(plan.refusal, null);
  assert.equal(plan.node.isLeader, true);
  assert.deepEqual(plan.warningCodes, ["LEADER_MOVES"]);
  assert.deepEqual(plan.warnings, ["LEADER MOVES"]);
});

test("an unreachable target needs -force; with it, the meta dir is said not to be wiped", () => {
  const refused = buildRemovalPlan(view({}, ["m3"]), false);
  assert.equal(refused.refusalCode, "TARGET_UNREACHABLE");
  assert.equal(refused.forceRequired, true);
  assert.match(refused.refusal ?? "", /m3:8091 could not be reached; use -force/);
  const forced = buildRemovalPlan(view({}, ["m3"]), true);
  assert.equal(forced.refusal, null);
  assert.deepEqual(forced.warningCodes, ["NOT_WIPED"]);
});

test("a voter whose HTTP is down does not count toward the quorum after removal", () => {
  // m2 is down: removing m3 leaves m1 alone of 2 voters, below the quorum of 2.
  const plan = buildRemovalPlan(view({}, ["m2"]), false);
  assert.equal(plan.refusalCode, "QUORUM_AT_RISK");
  assert.equal(plan.forceRequired, true);
  assert.equal(plan.reachableVotersAfter, 1);
  const forced = buildRemovalPlan(view({}, ["m2"]), true);
  assert.equal(forced.refusal, null);
  assert.deepEqual(forced.warningCodes, ["QUORUM_AT_RISK"]);
});

test("the last voter is refused even with -force", () => {
  const alone = view({
    target: { id: 1, httpAddr: "m1:8091", raftAddr: "m1:8089" },
    name: "m1:8091",
    voters: [{ httpAddr: "m1:8091", raftAddr: "m1:8089", httpUp: true, raftActive: true }],
    leaderRaftAddr: "m1:8089",
  });
  for (const force of [false, true]) {
    const plan = buildRemovalPlan(alone, force);
    assert.equal(plan.refusalCode, "LAST_VOTER");
    assert.equal(plan.forceRequired, false, "-force cannot help");
    assert.deepEqual([plan.votersBefore, plan.votersAfter], [1, 0]);
  }
});

test("a record outside the Raft configuration: only its record goes, no quorum rule applies", () => {
  const plan = buildRemovalPlan(
    view({
      target: { id: 9, httpAddr: "m9:8091", raftAddr: "m9:8089" },
      name: "m9:8091",
      suffrage: "none",
      raftActive: false,
    }),
    false,
  );
  assert.equal(plan.refusal, null);
  assert.equal(plan.node.suffrage, "none");
  assert.deepEqual([plan.votersBefore, plan.votersAfter], [3, 3]);
  assert.deepEqual(plan.warningCodes, ["NOT_IN_RAFT_CONFIG"]);
});

test("a nonvoter target leaves the voters as they are", () => {
  const plan = buildRemovalPlan(
    view({
      target: { id: 4, httpAddr: "m4:8091", raftAddr: "m4:8089" },
      name: "m4:8091",
      suffrage: "nonvoter",
    }),
    false,
  );
  assert.equal(plan.refusal, null);
  assert.equal(plan.node.suffrage, "nonvoter");
  assert.deepEqual([plan.votersBefore, plan.votersAfter, plan.quorumAfter], [3, 3, 2]);
});

test("the leader is the claim with the newest term; without terms (Go), the first claim", () => {
  const nodes = [
    { name: "a", leader: true, term: 4 },
    { name: "b", leader: false, term: 9 },
    { name: "c", leader: true, term: 5 },
  ];
  const pick = (list: typeof nodes, withTerm: boolean) =>
    claimedLeader(
      list,
      (n) => n.leader,
      (n) => (withTerm ? n.term : undefined),
    )?.name ?? null;
  assert.equal(pick(nodes, true), "c");
  assert.equal(pick(nodes, false), "a");
  assert.equal(pick([nodes[1]], true), null, "no claim, no leader");
});
