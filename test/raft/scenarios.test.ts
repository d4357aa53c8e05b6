/**
 * Operator scenarios on an in-memory cluster of Raft cores, driven tick by tick (no wall
 * clock). Each test reads as the story an operator lives through: remove a follower, remove
 * the leader, remove a dead node, re-add a node, partitions, and removed nodes that refuse to
 * go away.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigChangeInProgressError, InvalidConfigChangeError } from "../../src/raft/errors.ts";
import { MessageType } from "../../src/raft/types.ts";
import { CoreCluster, enc, serverIds } from "./support/memnet.ts";

const ET = 10;

/** The single node every live member of `ids` agrees is leader (and which is leader). */
function agreedLeader(c: CoreCluster, ids: string[]): string {
  const views = new Set(ids.map((id) => c.core(id).status().leader));
  assert.equal(views.size, 1, `members disagree about the leader: ${[...views].join(",")}`);
  const leader = [...views][0];
  assert.ok(leader !== null, "no leader");
  assert.equal(c.core(leader).status().state, "leader");
  return leader;
}

function terms(c: CoreCluster, ids: string[]): number[] {
  return ids.map((id) => c.term(id));
}

describe("removing servers", () => {
  test("remove a follower: it learns its removal, stops campaigning, the rest keep committing", () => {
    const c = CoreCluster.bootstrapped(["a", "b", "c"]);
    c.core("a").proposeConfChange({ op: "remove", id: "c" }, enc("DeleteMetaNode c"));
    c.stabilize();
    c.tick(2);
    assert.deepEqual(serverIds(c.core("a").status().committedConfig.config), ["a", "b"]);
    assert.equal(c.core("c").status().membership, "removed");
    assert.deepEqual(c.node("a").fsm, ["DeleteMetaNode c"], "the payload is applied with the change");

    const before = terms(c, ["a", "b"]);
    c.tick(ET * 5);
    assert.deepEqual(terms(c, ["a", "b"]), before, "no election happened");
    assert.equal(c.delivered.filter((m) => m.from === "c" && m.type === MessageType.PreVote).length, 0);
    c.propose("a", "after");
    assert.equal(c.node("b").fsm.at(-1), "after");
  });

  test("the same removal requested twice gives one success and one clear error", () => {
    const c = CoreCluster.bootstrapped(["a", "b", "c"]);
    const a = c.core("a");
    a.proposeConfChange({ op: "remove", id: "c" });
    assert.throws(() => a.proposeConfChange({ op: "remove", id: "c" }), ConfigChangeInProgressError);
    c.stabilize();
    assert.throws(() => a.proposeConfChange({ op: "remove", id: "c" }), InvalidConfigChangeError);
    assert.deepEqual(serverIds(a.status().committedConfig.config), ["a", "b"]);
  });

  test("remove the leader without a transfer: it steps down, hands over, and the cluster carries on", () => {
    const c = CoreCluster.bootstrapped(["a", "b", "c"]);
    c.core("a").proposeConfChange({ op: "remove", id: "a" });
    c.stabilize();
    assert.equal(c.core("a").status().membership, "removed");
    assert.equal(c.core("a").status().state, "follower");
    const leader = agreedLeader(c, ["b", "c"]);
    assert.notEqual(leader, "a");
    c.propose(leader, "still writable");
    assert.equal(c.node("b").fsm.at(-1), "still writable");
    assert.equal(c.node("c").fsm.at(-1), "still writable");
    assert.equal(c.node("a").fsm.includes("still writable"), false, "the removed node gets no new entries");
  });

  test("remove the leader after transferring leadership: the new leader removes the old one", () => {
    const c = CoreCluster.bootstrapped(["a", "b", "c"]);
    c.core("a").transferLeadership("b");
    c.stabilize();
    assert.equal(agreedLeader(c, ["a", "b", "c"]), "b");
    c.tick(1); // b commits its Noop before it may change membership
    const termBefore = c.term("b");
    c.core("b").proposeConfChange({ op: "remove", id: "a" });
    c.stabilize();
    c.tick(2);
    assert.equal(c.core("a").status().membership, "removed");
    assert.equal(agreedLeader(c, ["b", "c"]), "b");
    assert.equal(c.term("b"), termBefore, "no election was needed");
  });

  test("remove a node that is down, then it restarts with its old state and cannot disturb", () => {
    const c = CoreCluster.bootstrapped(["a", "b", "c"]);
    c.crash("c");
    c.core("a").proposeConfChange({ op: "remove", id: "c" });
    c.stabilize();
    assert.deepEqual(
      serverIds(c.core("a").status().committedConfig.config),
      ["a", "b"],
      "a and b are a quorum of {a,b}",
    );

    c.tick(ET * 2); // the leader forgets c after its retirement period
    c.restart("c");
    const before = terms(c, ["a", "b"]);
    c.tick(ET * 6);
    // c never saw its removal: it still believes it is a voter and keeps trying.
    assert.ok(
      c.delivered.some((m) => m.from === "c" && m.type === MessageType.PreVote),
      "c tried to campaign",
    );
    assert.deepEqual(terms(c, ["a", "b"]), before, "its (pre)votes were refused before raising any term");
    assert.equal(agreedLeader(c, ["a", "b"]), "a");
  });

  test("a removed node that keeps running without pre-vote, with an inflated term, is ignored", () => {
    const c = CoreCluster.bootstrapped(["a", "b", "c"], { preVote: false });
    c.isolate("c");
    c.tick(ET * 4, ["c"]); // c campaigns alone and raises its term repeatedly
    assert.ok(c.term("c") > c.term("a"));
    c.core("a").proposeConfChange({ op: "remove", id: "c" });
    c.stabilize();
    c.tick(ET * 2); // c is retired by the leader
    c.heal();
    const before = terms(c, ["a", "b"]);
    c.tick(ET * 6);
    assert.deepEqual(terms(c, ["a", "b"]), before);
    assert.equal(agreedLeader(c, ["a", "b"]), "a");
    c.propose("a", "undisturbed");
    assert.equal(c.node("b").fsm.at(-1), "undisturbed");
  });

  test("re-adding a removed server uses a new server id; it joins as nonvoter and is promoted", () => {
    const c = CoreCluster.bootstrapped(["a", "b", "c"]);
    c.propose("a", "v1");
    c.core("a").proposeConfChange({ op: "remove", id: "c" });
    c.stabilize();
    c.crash("c"); // operator wipes c's data dir; it comes back as a new incarnation "c2"
    c.add("c2");
    c.tick(1);
    c.core("a").proposeConfChange({ op: "addNonvoter", id: "c2", address: "c:8089" });
    c.stabilize();
    c.tick(3);
    const cfg = c.core("a").status().committedConfig.config;
    assert.deepEqual(serverIds(cfg, "voter"), ["a", "b", "c2"]);
    assert.deepEqual(c.node("c2").fsm, ["v1"]);
    assert.equal(c.core("c2").status().membership, "voter");
  });
});

describe("partitions", () => {
  test("a partitioned old leader cannot commit, steps down, and its uncommitted entries are discarded", () => {
    const ids = ["a", "b", "c", "d", "e"];
    const c = CoreCluster.bootstrapped(ids);
    c.partition(["a", "b"], ["c", "d", "e"]);
    const lost = c.core("a").propose(enc("minority write"));
    c.stabilize();
    assert.ok(c.core("a").status().commitIndex < lost.index, "two of five is no quorum");

    c.tick(ET * 3);
    assert.notEqual(c.core("a").status().state, "leader", "check-quorum made it step down");
    assert.equal(c.core("a").status().leader, null);
    const majorityLeader = agreedLeader(c, ["c", "d", "e"]);
    c.propose(majorityLeader, "majority write");

    c.heal();
    c.tick(ET);
    for (const id of ids) {
      assert.equal(c.node(id).fsm.includes("minority write"), false, `${id} must not apply the lost write`);
      assert.equal(c.node(id).fsm.at(-1), "majority write", `${id} converged`);
    }
  });
});
