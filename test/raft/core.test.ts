/**
 * Paper-driven unit tests of the pure Raft core (Raft paper §5, thesis §3–§6, plus the
 * pre-vote / check-quorum / stickiness / membership rules of our design). Single cores are
 * stepped with hand-made messages; multi-node rules use the in-memory CoreCluster.
 */
import { seededRandom } from "../support/random.ts";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RaftCore, type CoreOptions } from "../../src/raft/core.ts";
import {
  AlreadyBootstrappedError,
  ConfigChangeInProgressError,
  InvalidConfigChangeError,
  InvalidConfigurationError,
  LeadershipTransferInProgressError,
  NotLeaderError,
} from "../../src/raft/errors.ts";
import {
  EntryType,
  MessageType,
  type AppendRequest,
  type AppendResponse,
  type Entry,
  type HardState,
  type Message,
  type Ready,
  type VoteResponse,
} from "../../src/raft/types.ts";
import { configOf, CoreCluster, enc, serverIds } from "./support/memnet.ts";

const ET = 10; // election ticks

function cfgEntry(ids: string[], index = 1, term = 1): Entry {
  return { index, term, type: EntryType.Config, data: new Uint8Array(0), config: configOf(ids) };
}

function cmd(index: number, term: number, payload = `e${index}`): Entry {
  return { index, term, type: EntryType.Command, data: enc(payload) };
}

/** A core restored with the given log (default: the bootstrap config of a, b, c). */
function newCore(
  id: string,
  entries: Entry[] = [cfgEntry(["a", "b", "c"])],
  hardState: HardState = { term: 1, vote: null },
  opts: Partial<CoreOptions> = {},
): RaftCore {
  return new RaftCore(
    { id, electionTicks: ET, heartbeatTicks: 1, rng: () => 0, ...opts },
    { hardState, snapshot: null, entries },
  );
}

/** Process every pending Ready as a perfect host would; returns them for inspection. */
function drain(core: RaftCore): Ready[] {
  const out: Ready[] = [];
  while (core.hasReady()) {
    const rd = core.ready();
    core.advance(rd);
    out.push(rd);
  }
  return out;
}

function sent(readies: Ready[], type?: MessageType): Message[] {
  return readies.flatMap((r) => r.messages).filter((m) => type === undefined || m.type === type);
}

function ticks(core: RaftCore, n: number): void {
  for (let i = 0; i < n; i++) core.tick();
}

function voteReq(
  from: string,
  to: string,
  term: number,
  lastLogIndex: number,
  lastLogTerm: number,
  pre = false,
  transfer = false,
): Message {
  return {
    type: pre ? MessageType.PreVote : MessageType.Vote,
    from,
    to,
    term,
    lastLogIndex,
    lastLogTerm,
    transfer,
  };
}

function append(
  from: string,
  to: string,
  term: number,
  prevLogIndex: number,
  prevLogTerm: number,
  entries: Entry[],
  commit = 0,
): AppendRequest {
  return { type: MessageType.Append, from, to, term, prevLogIndex, prevLogTerm, entries, commit };
}

/** Make core `a` (of a,b,c) leader of term 2 by feeding it votes; returns after draining. */
function makeLeader(core: RaftCore): void {
  ticks(core, ET);
  drain(core);
  const preTerm = core.status().term + 1;
  core.step({ type: MessageType.PreVoteResp, from: "b", to: core.status().id, term: preTerm, granted: true });
  drain(core);
  core.step({
    type: MessageType.VoteResp,
    from: "b",
    to: core.status().id,
    term: core.status().term,
    granted: true,
  });
  assert.equal(core.status().state, "leader");
}

describe("elections (§5.2) with pre-vote", () => {
  test("a follower campaigns after a randomized timeout in [electionTicks, 2*electionTicks)", () => {
    const early = newCore("a", undefined, undefined, { rng: () => 0 });
    ticks(early, ET - 1);
    assert.equal(early.status().state, "follower");
    early.tick();
    assert.equal(early.status().state, "precandidate");

    const late = newCore("a", undefined, undefined, { rng: () => 0.9999 });
    ticks(late, 2 * ET - 2);
    assert.equal(late.status().state, "follower");
    late.tick();
    assert.equal(late.status().state, "precandidate");
  });

  test("pre-vote asks with term+1 but raises nobody's term; a real vote follows a pre-vote quorum", () => {
    const a = newCore("a");
    ticks(a, ET);
    const pre = drain(a);
    assert.equal(a.status().term, 1, "pre-candidate keeps its term");
    assert.equal(
      pre.some((r) => r.hardState),
      false,
      "nothing to persist for a pre-vote",
    );
    const reqs = sent(pre, MessageType.PreVote);
    assert.deepEqual(reqs.map((m) => m.to).sort(), ["b", "c"]);
    assert.ok(reqs.every((m) => m.term === 2));

    const b = newCore("b");
    b.step(reqs.find((m) => m.to === "b")!);
    const answer = drain(b);
    assert.equal(b.status().term, 1, "a pre-vote does not change the receiver's term");
    assert.deepEqual(
      sent(answer, MessageType.PreVoteResp).map((m) => (m as VoteResponse).granted),
      [true],
    );

    a.step(sent(answer)[0]);
    const vote = drain(a);
    assert.equal(a.status().state, "candidate");
    assert.equal(a.status().term, 2);
    // The self-vote and the new term are persisted in the same Ready that sends the requests.
    const withVotes = vote.find((r) => r.messages.some((m) => m.type === MessageType.Vote))!;
    assert.deepEqual(withVotes.hardState, { term: 2, vote: "a" });
  });

  test("a candidate that wins a majority becomes leader and appends a Noop of its term", () => {
    const a = newCore("a");
    makeLeader(a);
    const rds = drain(a);
    const noop = rds.flatMap((r) => r.entries).find((e) => e.type === EntryType.Noop)!;
    assert.deepEqual([noop.index, noop.term], [2, 2]);
    assert.ok(sent(rds, MessageType.Append).length >= 2);
  });

  test("a candidate that hears from a leader of its term returns to follower", () => {
    const a = newCore("a", undefined, undefined, { preVote: false });
    ticks(a, ET);
    drain(a);
    assert.equal(a.status().state, "candidate");
    a.step(append("b", "a", 2, 1, 1, []));
    assert.equal(a.status().state, "follower");
    assert.equal(a.status().leader, "b");
  });

  test("nonvoters, unbootstrapped and removed servers never campaign", () => {
    const nonvoter = newCore("d", [{ ...cfgEntry([]), config: configOf(["a"], ["d"]) }]);
    const blank = new RaftCore(
      { id: "z", electionTicks: ET, heartbeatTicks: 1, rng: () => 0 },
      { hardState: null, snapshot: null, entries: [] },
    );
    const outsider = newCore("x");
    for (const c of [nonvoter, blank, outsider]) {
      ticks(c, 5 * ET);
      assert.equal(sent(drain(c)).length, 0);
      assert.equal(c.status().state, "follower");
    }
    assert.equal(nonvoter.status().membership, "nonvoter");
    assert.equal(blank.status().membership, "unbootstrapped");
    assert.equal(outsider.status().membership, "none");
  });
});

describe("vote rules (§5.2, §5.4.1)", () => {
  test("at most one vote per term, persisted in the Ready that carries the grant", () => {
    const c = newCore("c");
    c.step(voteReq("a", "c", 2, 1, 1));
    const first = drain(c);
    assert.deepEqual(first[0].hardState, { term: 2, vote: "a" });
    assert.equal((sent(first, MessageType.VoteResp)[0] as VoteResponse).granted, true);
    c.step(voteReq("b", "c", 2, 1, 1));
    assert.equal((sent(drain(c), MessageType.VoteResp)[0] as VoteResponse).granted, false);
  });

  test("a vote is refused to a candidate whose log is less up to date", () => {
    const c = newCore("c", [cfgEntry(["a", "b", "c"]), cmd(2, 1), cmd(3, 2)], { term: 2, vote: null });
    c.step(voteReq("a", "c", 3, 5, 1)); // longer but older last term
    assert.equal((sent(drain(c))[0] as VoteResponse).granted, false);
    c.step(voteReq("b", "c", 4, 2, 2)); // same last term, shorter
    assert.equal((sent(drain(c))[0] as VoteResponse).granted, false);
    c.step(voteReq("a", "c", 5, 3, 2)); // equally up to date
    assert.equal((sent(drain(c))[0] as VoteResponse).granted, true);
  });

  test("vote requests from servers outside the latest configuration are refused before the term is raised", () => {
    const c = newCore("c");
    // x was removed: its log is not ahead of ours, only its term is.
    c.step(voteReq("x", "c", 50, 1, 1));
    c.step(voteReq("x", "c", 51, 1, 1, true));
    const out = drain(c);
    assert.equal(c.status().term, 1, "term unchanged");
    assert.equal(c.status().vote, null);
    assert.equal(sent(out).length, 2);
    assert.ok(sent(out).every((m) => (m as VoteResponse).granted === false && m.term === 1));
  });

  test("a candidate unknown to us but with a log ahead of ours is heard (we may lack the entry adding it)", () => {
    const c = newCore("c");
    c.step(voteReq("n", "c", 5, 9, 4));
    const r = sent(drain(c))[0] as VoteResponse;
    assert.deepEqual([r.granted, r.term], [true, 5]);
  });

  test("rejecting a stale candidate's higher-term vote request does not restart the election timer", () => {
    const c = newCore("c", [cfgEntry(["a", "b", "c"]), cmd(2, 1)], undefined, {
      preVote: false,
      rng: () => 0,
    });
    ticks(c, ET - 1);
    c.step(voteReq("a", "c", 2, 1, 1)); // a's log is behind: refused, but its term is adopted
    assert.equal(c.status().term, 2);
    c.tick();
    assert.equal(c.status().state, "candidate", "c campaigns on its original schedule");
  });

  test("leader stickiness: a follower that heard from its leader ignores (pre)votes unless transfer is set", () => {
    const c = newCore("c");
    c.step({ type: MessageType.Heartbeat, from: "a", to: "c", term: 1, commit: 0, readCtx: 0 });
    drain(c);
    c.step(voteReq("b", "c", 2, 1, 1, true));
    c.step(voteReq("b", "c", 2, 1, 1));
    assert.equal(sent(drain(c)).length, 0, "ignored without an answer");
    assert.equal(c.status().term, 1);

    c.step(voteReq("b", "c", 2, 1, 1, false, true));
    assert.equal((sent(drain(c))[0] as VoteResponse).granted, true, "transfer overrides stickiness");
    assert.equal(c.status().term, 2);
  });

  test("once the leader is silent for electionTicks, (pre)votes are considered again", () => {
    const c = newCore("c", undefined, undefined, { rng: () => 0.99 });
    c.step({ type: MessageType.Heartbeat, from: "a", to: "c", term: 1, commit: 0, readCtx: 0 });
    ticks(c, ET);
    drain(c);
    c.step(voteReq("b", "c", 2, 1, 1, true));
    const r = sent(drain(c))[0] as VoteResponse;
    assert.equal(r.granted, true);
    assert.equal(r.term, 2, "granted pre-vote echoes the proposed term");
    assert.equal(c.status().term, 1, "and the receiver's term is untouched");
  });
});

describe("log replication (§5.3)", () => {
  test("the rejection hint points before a whole conflicting term", () => {
    const c = newCore("c", [cfgEntry(["a", "b", "c"]), cmd(2, 1), cmd(3, 3), cmd(4, 3), cmd(5, 3)], {
      term: 3,
      vote: null,
    });
    // Leader of term 4 has term 2 at index 5: everything of our term 3 is suspect.
    c.step(append("a", "c", 4, 5, 2, []));
    const r = sent(drain(c))[0] as AppendResponse;
    assert.deepEqual([r.success, r.index, r.hint], [false, 5, 2]);
    // Far beyond our log: hint is our last index.
    c.step(append("a", "c", 4, 40, 4, []));
    const r2 = sent(drain(c))[0] as AppendResponse;
    assert.deepEqual([r2.success, r2.hint], [false, 5]);
  });

  test("conflicting entries are truncated (and the store told to), then the leader's appended", () => {
    const c = newCore("c", [cfgEntry(["a", "b", "c"]), cmd(2, 1), cmd(3, 2, "old3"), cmd(4, 2, "old4")], {
      term: 2,
      vote: null,
    });
    c.step(append("a", "c", 3, 2, 1, [cmd(3, 3, "new3")], 3));
    const rds = drain(c);
    assert.equal(rds[0].truncateFrom, 3);
    assert.deepEqual(
      rds[0].entries.map((e) => [e.index, e.term]),
      [[3, 3]],
    );
    assert.equal(c.status().lastIndex, 3);
    const resp = sent(rds, MessageType.AppendResp)[0] as AppendResponse;
    assert.deepEqual([resp.success, resp.index], [true, 3]);
    // Success is sent in the same Ready as the entries it acknowledges (after they are durable).
    assert.ok(rds[0].messages.includes(resp));
    assert.deepEqual(
      rds.flatMap((r) => r.committed).map((e) => e.index),
      [1, 2, 3],
    );
  });

  test("entries already present are not rewritten by a duplicate Append", () => {
    const c = newCore("c", [cfgEntry(["a", "b", "c"]), cmd(2, 1)]);
    c.step(append("a", "c", 1, 0, 0, [cfgEntry(["a", "b", "c"]), cmd(2, 1)]));
    const rds = drain(c);
    assert.equal(rds.flatMap((r) => r.entries).length, 0);
    assert.equal(
      rds.some((r) => r.truncateFrom !== undefined),
      false,
    );
  });

  test("a follower commits min(leaderCommit, last new entry), never beyond what it verified", () => {
    const c = newCore("c", [cfgEntry(["a", "b", "c"]), cmd(2, 1), cmd(3, 1, "unverified")]);
    c.step(append("a", "c", 1, 1, 1, [cmd(2, 1)], 10));
    drain(c);
    assert.equal(c.status().commitIndex, 2);
    c.step({ type: MessageType.Heartbeat, from: "a", to: "c", term: 1, commit: 3, readCtx: 0 });
    drain(c);
    assert.equal(c.status().commitIndex, 3);
  });

  test("batching: at most maxEntriesPerAppend entries per Append; pipelining: at most maxInflightAppends unanswered", () => {
    const c = CoreCluster.bootstrapped(["a", "b", "c"], { maxEntriesPerAppend: 3, maxInflightAppends: 2 });
    const a = c.core("a");
    for (let i = 0; i < 20; i++) a.propose(enc(`p${i}`));
    const rd = a.ready();
    const toB = rd.messages.filter((m): m is AppendRequest => m.type === MessageType.Append && m.to === "b");
    assert.deepEqual(
      toB.map((m) => m.entries.length),
      [3, 3],
      "two batches of three in flight",
    );
    assert.equal(toB[1].prevLogIndex, toB[0].prevLogIndex + 3, "second batch sent optimistically");
    a.advance(rd);
    c.send(rd.messages);
    c.stabilize();
    for (const id of ["a", "b", "c"]) assert.equal(c.node(id).fsm.length, 20);
  });

  test("a follower whose log diverged is repaired by probing back with hints", () => {
    const c = CoreCluster.bootstrapped(["a", "b", "c"]);
    c.isolate("a");
    for (let i = 0; i < 5; i++) c.core("a").propose(enc(`lost${i}`));
    c.stabilize();
    c.tick(ET * 3, ["b", "c"]);
    const newLeader = ["b", "c"].find((id) => c.core(id).status().state === "leader")!;
    c.propose(newLeader, "kept");
    c.heal();
    c.tick(ET * 3);
    c.propose(c.leader()!, "after");
    const logs = ["a", "b", "c"].map((id) => c.node(id).fsm.join(","));
    assert.equal(logs[0], "kept,after");
    assert.deepEqual(new Set(logs).size, 1);
  });
});

describe("acknowledgements match what is durable", () => {
  // Found by the simulator (seed 820): two appends handled in one Ready, the second from a newer
  // leader overwriting what the first brought, must not leave an ack for the overwritten entries.
  test("an ack queued for entries that a newer leader overwrites in the same Ready is withdrawn", () => {
    const log = [cfgEntry(["n1", "n2", "n3"]), cmd(2, 2), cmd(3, 2), cmd(4, 2)];
    const core = newCore("n3", log, { term: 2, vote: null });
    core.step(append("n1", "n3", 2, 4, 2, [cmd(5, 2), cmd(6, 2)]));
    core.step(append("n2", "n3", 3, 4, 2, [cmd(5, 3)]));
    const rd = core.ready();
    assert.deepEqual(
      rd.entries.map((e) => [e.index, e.term]),
      [[5, 3]],
      "only the newer leader's entry is written",
    );
    const acks = rd.messages.filter(
      (m): m is AppendResponse => m.type === MessageType.AppendResp && m.success,
    );
    assert.deepEqual(
      acks.map((m) => [m.to, m.index]),
      [["n2", 5]],
      "no ack to n1 for index 6, which never reaches the disk",
    );
  });
});

describe("commitment (§5.3, §5.4.2)", () => {
  test("the leader counts its own log only after it is durable (advance)", () => {
    const solo = newCore("a", [cfgEntry(["a"])]);
    ticks(solo, ET);
    drain(solo);
    assert.equal(solo.status().state, "leader");
    const p = solo.propose(enc("x"));
    const rd = solo.ready();
    assert.ok(rd.entries.some((e) => e.index === p.index));
    assert.equal(solo.status().commitIndex < p.index, true, "not committed before persistence");
    solo.advance(rd);
    assert.equal(solo.status().commitIndex, p.index);
    assert.deepEqual(
      solo
        .ready()
        .committed.map((e) => e.index)
        .includes(p.index),
      true,
    );
  });

  test("an entry of an earlier term is not committed by counting replicas, only via one of the current term", () => {
    const log = [cfgEntry(["a", "b", "c"]), cmd(2, 2)];
    const a = newCore("a", log, { term: 2, vote: null });
    makeLeader(a); // term 3
    drain(a);
    assert.equal(a.status().term, 3);
    // b holds index 2 (term 2): a majority (a, b) stores it, yet it must not commit.
    a.step({ type: MessageType.AppendResp, from: "b", to: "a", term: 3, success: true, index: 2, hint: 0 });
    drain(a);
    assert.equal(a.status().commitIndex, 0);
    // Once the Noop of term 3 (index 3) is on a majority, everything up to 3 commits.
    a.step({ type: MessageType.AppendResp, from: "b", to: "a", term: 3, success: true, index: 3, hint: 0 });
    const rds = drain(a);
    assert.equal(a.status().commitIndex, 3);
    assert.deepEqual(
      rds.flatMap((r) => r.committed).map((e) => e.index),
      [1, 2, 3],
    );
  });

  test("a higher term in a response makes the leader step down", () => {
    const a = newCore("a");
    makeLeader(a);
    drain(a);
    a.step({ type: MessageType.AppendResp, from: "c", to: "a", term: 9, success: false, index: 0, hint: 0 });
    assert.equal(a.status().state, "follower");
    assert.equal(a.status().term, 9);
  });
});

describe("check-quorum", () => {
  test("a leader that hears from no quorum within checkQuorumTicks steps down; one that does stays", () => {
    const c = CoreCluster.bootstrapped(["a", "b", "c"]);
    c.tick(ET * 3);
    assert.equal(c.core("a").status().state, "leader", "a healthy leader keeps its role");
    c.isolate("a");
    c.tick(ET - 1, ["a"]);
    assert.equal(c.core("a").status().state, "leader", "one round may still count old contacts");
    c.tick(ET + 1, ["a"]);
    assert.equal(c.core("a").status().state, "follower");
    assert.equal(c.core("a").status().leader, null);
  });
});

describe("membership changes", () => {
  test("a new leader accepts no change until it committed an entry of its term", () => {
    const a = newCore("a");
    makeLeader(a);
    assert.throws(() => a.proposeConfChange({ op: "remove", id: "c" }), ConfigChangeInProgressError);
    drain(a);
    a.step({ type: MessageType.AppendResp, from: "b", to: "a", term: 2, success: true, index: 2, hint: 0 });
    drain(a);
    const r = a.proposeConfChange({ op: "remove", id: "c" });
    assert.equal(r.index, 3);
  });

  test("only one uncommitted change at a time; it takes effect when appended", () => {
    const c = CoreCluster.bootstrapped(["a", "b", "c"]);
    const a = c.core("a");
    c.crash("c");
    c.crash("b");
    a.proposeConfChange({ op: "addNonvoter", id: "d", address: "d:8089" });
    assert.deepEqual(serverIds(a.status().latestConfig.config, "nonvoter"), ["d"], "in force once appended");
    assert.deepEqual(serverIds(a.status().committedConfig.config, "nonvoter"), []);
    assert.equal(a.status().pendingConfigChange, true);
    assert.throws(() => a.proposeConfChange({ op: "remove", id: "b" }), ConfigChangeInProgressError);
  });

  test("invalid changes are refused with a clear error and nothing appended", () => {
    const c = CoreCluster.bootstrapped(["a"]);
    const a = c.core("a");
    const last = a.status().lastIndex;
    assert.throws(() => a.proposeConfChange({ op: "remove", id: "a" }), /last voter/);
    assert.throws(() => a.proposeConfChange({ op: "remove", id: "nobody" }), InvalidConfigChangeError);
    assert.throws(() => a.proposeConfChange({ op: "promote", id: "nobody" }), InvalidConfigChangeError);
    assert.throws(() => a.proposeConfChange({ op: "addVoter", id: "a", address: "a:1" }), /already a voter/);
    assert.throws(() => a.proposeConfChange({ op: "addVoter", id: "n" }), /address is required/);
    assert.equal(a.status().lastIndex, last);
  });

  test("the quorum is computed from the voters of the latest (appended) configuration", () => {
    const c = CoreCluster.bootstrapped(["a", "b", "c"]);
    const a = c.core("a");
    c.crash("c");
    const r = a.proposeConfChange({ op: "remove", id: "c" });
    c.stabilize();
    assert.ok(a.status().commitIndex >= r.index, "committed by a and b: {a,b} is the new voter set");
    c.crash("b");
    const p = a.propose(enc("needs-b"));
    c.stabilize();
    assert.ok(a.status().commitIndex < p.index, "quorum of {a,b} needs b");
  });

  test("a configuration whose entry is truncated is reverted", () => {
    const f = newCore("c");
    f.step(append("a", "c", 2, 1, 1, [{ ...cfgEntry([]), index: 2, term: 2, config: configOf(["a", "b"]) }]));
    drain(f);
    assert.equal(f.status().membership, "none", "not in the appended configuration");
    // A leader of term 3 never had that entry: ours is overwritten, config reverts.
    f.step(append("b", "c", 3, 1, 1, [cmd(2, 3)]));
    drain(f);
    assert.equal(f.status().latestConfig.index, 1);
    assert.equal(f.status().membership, "voter");
  });

  test("a caught-up nonvoter is promoted automatically", () => {
    const c = CoreCluster.bootstrapped(["a", "b", "c"]);
    c.add("d");
    c.core("a").proposeConfChange({ op: "addNonvoter", id: "d", address: "d:8089" });
    c.stabilize();
    c.tick(2);
    assert.deepEqual(serverIds(c.core("a").status().committedConfig.config, "voter"), ["a", "b", "c", "d"]);
    assert.equal(c.core("d").status().membership, "voter");
  });

  test("a node replaying history from before it joined does not consider itself removed", () => {
    const c = CoreCluster.bootstrapped(["a", "b", "c"]);
    c.core("a").proposeConfChange({ op: "remove", id: "c" });
    c.stabilize();
    c.add("d");
    // d receives the old configurations ({a,b,c} then {a,b}) before the one that adds it.
    c.core("a").proposeConfChange({ op: "addNonvoter", id: "d", address: "d:8089" }, enc("meta:add-d"));
    const d = c.core("d");
    const seen = new Set<string>();
    for (let i = 0; i < 50 && c.node("d").appliedIndex < c.core("a").status().commitIndex; i++) {
      c.stabilize();
      seen.add(d.status().membership);
      c.tick(1);
    }
    assert.equal(seen.has("removed"), false);
    assert.equal(d.status().membership, "voter");
    assert.deepEqual(c.node("d").fsm, ["meta:add-d"], "config entry payload applied like a command");
  });

  test("the leader whose removal commits steps down, reports removed, and never campaigns", () => {
    const c = CoreCluster.bootstrapped(["a", "b", "c"]);
    const a = c.core("a");
    a.proposeConfChange({ op: "remove", id: "a" });
    c.stabilize();
    assert.equal(a.status().state, "follower");
    assert.equal(a.status().membership, "removed");
    const newLeader = c.tickUntilLeader();
    assert.ok(newLeader === "b" || newLeader === "c");
    const termBefore = a.status().term;
    c.tick(ET * 5);
    assert.notEqual(a.status().state, "precandidate");
    assert.equal(
      c.delivered.filter((m) => m.from === "a" && m.term > termBefore).length,
      0,
      "a sent nothing new",
    );
    assert.throws(() => a.propose(enc("x")), NotLeaderError);
  });
});

describe("leadership transfer", () => {
  test("the leader refuses proposals, catches the target up, then sends TimeoutNow", () => {
    const c = CoreCluster.bootstrapped(["a", "b", "c"]);
    const a = c.core("a");
    c.crash("c");
    for (let i = 0; i < 3; i++) a.propose(enc(`x${i}`));
    c.stabilize();
    c.restart("c");
    a.transferLeadership("c");
    assert.throws(() => a.propose(enc("refused")), LeadershipTransferInProgressError);
    c.tick(2); // heartbeat answers tell the leader c is back
    assert.equal(c.core("c").status().state, "leader");
    assert.equal(a.status().state, "follower");
    assert.deepEqual(c.node("c").fsm.slice(0, 3), ["x0", "x1", "x2"]);
    const timeoutNow = c.delivered.filter((m) => m.type === MessageType.TimeoutNow);
    assert.deepEqual(
      timeoutNow.map((m) => [m.from, m.to]),
      [["a", "c"]],
    );
  });

  test("without a target the most up-to-date voter is chosen", () => {
    const c = CoreCluster.bootstrapped(["a", "b", "c"]);
    c.crash("b");
    c.propose("a", "b-misses-this");
    c.restart("b");
    c.isolate("b");
    c.core("a").transferLeadership();
    c.stabilize();
    assert.equal(c.leader(), "c");
  });

  test("a transfer to an unreachable target is aborted after electionTicks", () => {
    const c = CoreCluster.bootstrapped(["a", "b", "c"]);
    c.isolate("c");
    c.propose("a", "c-misses-this");
    c.core("a").transferLeadership("c");
    c.tick(ET, ["a", "b"]);
    assert.equal(c.core("a").status().state, "leader");
    assert.equal(c.core("a").status().leadTransferee, null);
    assert.doesNotThrow(() => c.core("a").propose(enc("accepted again")));
  });
});

describe("ReadIndex", () => {
  test("only the leader serves reads", () => {
    const c = newCore("b");
    assert.throws(() => c.readIndex(1), NotLeaderError);
  });

  test("a single-voter leader answers at once with its commit index", () => {
    const c = CoreCluster.bootstrapped(["a"]);
    const a = c.core("a");
    a.readIndex(7);
    const rd = a.ready();
    assert.deepEqual(rd.readStates, [{ ctx: 7, index: a.status().commitIndex }]);
    a.advance(rd);
  });

  test("a read waits for a quorum heartbeat round carrying its context", () => {
    const c = CoreCluster.bootstrapped(["a", "b", "c"]);
    const a = c.core("a");
    const commit = a.status().commitIndex;
    a.readIndex(42);
    const rd = a.ready();
    assert.deepEqual(rd.readStates, []);
    const hbs = rd.messages.filter((m) => m.type === MessageType.Heartbeat && m.readCtx === 42);
    assert.equal(hbs.length, 2);
    a.advance(rd);
    a.step({ type: MessageType.HeartbeatResp, from: "b", to: "a", term: a.status().term, readCtx: 42 });
    assert.deepEqual(a.ready().readStates, [{ ctx: 42, index: commit }]);
  });

  test("an isolated leader confirms no read", () => {
    const c = CoreCluster.bootstrapped(["a", "b", "c"]);
    c.isolate("a");
    const a = c.core("a");
    a.readIndex(1);
    const got: number[] = [];
    for (let i = 0; i < ET; i++) {
      a.tick();
      while (a.hasReady()) {
        const rd = a.ready();
        got.push(...rd.readStates.map((r) => r.ctx));
        a.advance(rd);
      }
    }
    assert.deepEqual(got, []);
  });
});

describe("snapshots", () => {
  test("a follower behind the leader's compacted log receives and installs the snapshot", () => {
    const c = CoreCluster.bootstrapped(["a", "b", "c"]);
    c.crash("c");
    for (let i = 0; i < 10; i++) c.propose("a", `v${i}`);
    c.node("a").snapshotNow(0);
    const a = c.core("a");
    assert.ok(a.status().firstIndex > 2, "leader dropped old entries");
    c.restart("c");
    c.tick(2);
    const cs = c.core("c").status();
    assert.equal(cs.snapshotIndex, a.status().snapshotIndex);
    assert.deepEqual(c.node("c").fsm, c.node("a").fsm);
    assert.ok(c.delivered.some((m) => m.type === MessageType.InstallSnapshot && m.to === "c"));
    c.propose("a", "after");
    assert.equal(c.node("c").fsm.at(-1), "after");
  });

  test("a snapshot not newer than the follower's commit is not installed", () => {
    const c = CoreCluster.bootstrapped(["a", "b", "c"]);
    c.propose("a", "v");
    c.node("a").snapshotNow(0);
    const snap = c.node("a").disk.snapshot!;
    const b = c.core("b");
    const commit = b.status().commitIndex;
    b.step({ type: MessageType.InstallSnapshot, from: "a", to: "b", term: c.term("a"), snapshot: snap });
    const rd = b.ready();
    assert.equal(rd.snapshot, undefined);
    const resp = rd.messages[0] as AppendResponse;
    assert.deepEqual([resp.success, resp.index], [true, commit]);
  });

  test("a node restarts from snapshot + trailing log", () => {
    const c = CoreCluster.bootstrapped(["a", "b", "c"]);
    for (let i = 0; i < 6; i++) c.propose("a", `v${i}`);
    c.node("b").snapshotNow(2);
    c.crash("b");
    c.restart("b");
    const st = c.core("b").status();
    assert.equal(st.snapshotIndex, c.node("b").disk.snapshot!.meta.index);
    assert.ok(st.firstIndex <= st.snapshotIndex - 1, "trailing entries kept");
    c.propose("a", "later");
    assert.deepEqual(c.node("b").fsm, c.node("a").fsm);
  });
});

describe("bootstrap", () => {
  test("a fresh node appends the configuration at index 1, term 1", () => {
    const n = new RaftCore(
      { id: "a", electionTicks: ET, heartbeatTicks: 1, rng: () => 0 },
      { hardState: null, snapshot: null, entries: [] },
    );
    n.bootstrap(configOf(["a", "b"]));
    const rd = n.ready();
    assert.deepEqual(rd.hardState, { term: 1, vote: null });
    assert.deepEqual(
      rd.entries.map((e) => [e.index, e.term, e.type]),
      [[1, 1, EntryType.Config]],
    );
  });

  test("refuses a node with state, and invalid configurations", () => {
    assert.throws(() => newCore("a").bootstrap(configOf(["a"])), AlreadyBootstrappedError);
    const fresh = () =>
      new RaftCore(
        { id: "a", electionTicks: ET, heartbeatTicks: 1, rng: () => 0 },
        { hardState: null, snapshot: null, entries: [] },
      );
    assert.throws(() => fresh().bootstrap({ servers: [] }), InvalidConfigurationError);
    assert.throws(() => fresh().bootstrap(configOf([], ["a"])), /no voter/);
    assert.throws(
      () => fresh().bootstrap({ servers: [...configOf(["a"]).servers, ...configOf(["a"]).servers] }),
      /twice/,
    );
  });
});

describe("randomized safety and liveness", () => {
  /**
   * Random partitions, crashes/restarts, message loss/duplication/reordering, proposals,
   * membership changes, transfers and snapshots, checking after every tick: one leader per
   * term, and applied sequences that are prefixes of one another. After healing, a leader
   * must emerge and every member must apply a final write.
   */
  function chaos(seed: number, steps: number): void {
    const r = seededRandom(seed);
    const ids = ["a", "b", "c", "d", "e"];
    const c = CoreCluster.bootstrapped(["a", "b", "c"], {
      preVote: r() < 0.8,
      maxEntriesPerAppend: 3,
      maxInflightAppends: 2,
    });
    c.faults = (batch) => {
      const out: Message[] = [];
      for (const m of batch) {
        if (r() < 0.1) continue;
        out.push(m);
        if (r() < 0.05) out.push(m);
      }
      for (let i = out.length - 1; i > 0; i--) {
        if (r() < 0.3) {
          const j = Math.floor(r() * (i + 1));
          [out[i], out[j]] = [out[j], out[i]];
        }
      }
      return out;
    };
    const leaders = new Map<number, string>();
    let next = 0;
    const tryIt = (fn: () => void) => {
      try {
        fn();
      } catch {
        // refused operations (not leader, change in progress, ...) are part of the game
      }
    };
    for (let step = 0; step < steps; step++) {
      const x = r();
      const live = [...c.nodes.values()].filter((n) => n.up);
      const leader = live.find((n) => n.core.status().state === "leader");
      if (x < 0.02 && live.length > 0) c.crash(live[Math.floor(r() * live.length)].id);
      else if (x < 0.05) [...c.nodes.values()].filter((n) => !n.up).forEach((n) => c.restart(n.id));
      else if (x < 0.08) {
        c.heal();
        const all = [...c.nodes.keys()];
        const side = all.filter(() => r() < 0.5);
        c.partition(
          side,
          all.filter((id) => !side.includes(id)),
        );
      } else if (x < 0.12) c.heal();
      else if (x < 0.15 && leader) {
        const id = ids[Math.floor(r() * ids.length)];
        if (!c.nodes.has(id)) c.add(id);
        const member = leader.core.status().latestConfig.config.servers.some((s) => s.id === id);
        tryIt(() =>
          leader.core.proposeConfChange(
            member ? { op: "remove", id } : { op: "addNonvoter", id, address: id },
          ),
        );
      } else if (x < 0.17 && leader) tryIt(() => leader.core.transferLeadership());
      else if (x < 0.2 && leader) leader.snapshotNow(Math.floor(r() * 3));
      else if (x < 0.5 && leader) tryIt(() => leader.core.propose(enc(`v${next++}`)));
      c.tick(1);

      for (const n of c.nodes.values()) {
        const s = n.core.status();
        if (s.state !== "leader") continue;
        const other = leaders.get(s.term);
        assert.ok(other === undefined || other === n.id, `seed ${seed}: two leaders in term ${s.term}`);
        leaders.set(s.term, n.id);
      }
      const applied = [...c.nodes.values()].map((n) => n.fsm);
      for (const p of applied) {
        for (const q of applied) {
          const [short, long] = p.length <= q.length ? [p, q] : [q, p];
          assert.deepEqual(long.slice(0, short.length), short, `seed ${seed}: applied sequences diverged`);
        }
      }
    }
    c.faults = null;
    c.heal();
    for (const n of c.nodes.values()) if (!n.up) c.restart(n.id);
    c.tick(100);
    const leader = c.leader();
    assert.ok(leader, `seed ${seed}: no leader after healing`);
    c.propose(leader, "final");
    c.tick(5);
    for (const s of c.core(leader).status().committedConfig.config.servers) {
      assert.equal(c.node(s.id).fsm.at(-1), "final", `seed ${seed}: ${s.id} did not converge`);
    }
  }

  test("30 seeded runs of 500 ticks keep Election Safety, State Machine Safety and recover", () => {
    for (let seed = 1; seed <= 30; seed++) chaos(seed, 500);
  });
});

describe("a follower that lost acknowledged entries (an older copy of its disk)", () => {
  test("it tells the leader where its log really ends, and reports the loss once per term", () => {
    const c = newCore("c", [cfgEntry(["a", "b", "c"]), cmd(2, 1)], { term: 2, vote: null });
    // The leader's heartbeat commit is capped at what we acknowledged: 5, but we hold 2.
    const heartbeat = {
      type: MessageType.Heartbeat,
      from: "a",
      to: "c",
      term: 2,
      commit: 5,
      readCtx: 0,
    } as const;
    c.step(heartbeat);
    const rds = drain(c);
    assert.deepEqual(
      rds.flatMap((r) => r.notices ?? []),
      [
        {
          level: "error",
          message:
            "this node lost log entries it had acknowledged (its disk is older than what it told the leader); " +
            "the leader is sending them again",
          fields: { leader: "a", acknowledgedAtLeast: 5, lastIndex: 2 },
        },
      ],
    );
    const reject = sent(rds, MessageType.AppendResp)[0] as AppendResponse;
    assert.deepEqual([reject.success, reject.index, reject.hint], [false, 5, 2]);
    c.step(heartbeat);
    const again = drain(c);
    assert.deepEqual(
      again.flatMap((r) => r.notices ?? []),
      [],
      "reported once per term",
    );
    assert.equal((sent(again, MessageType.AppendResp)[0] as AppendResponse).hint, 2, "but told every time");
  });

  test("the leader lowers the follower's match index to its real log and resends from there", () => {
    const a = newCore("a");
    makeLeader(a); // log: config 1, noop 2
    for (let i = 0; i < 3; i++) a.propose(enc(`p${i}`)); // 3..5
    drain(a);
    a.step({ type: MessageType.AppendResp, from: "c", to: "a", term: 2, success: true, index: 5, hint: 0 });
    drain(a);
    // c restarts with an older disk: its log ends at 2.
    a.step({ type: MessageType.AppendResp, from: "c", to: "a", term: 2, success: false, index: 5, hint: 2 });
    const rds = drain(a);
    assert.deepEqual(
      rds.flatMap((r) => r.notices ?? []),
      [
        {
          level: "warn",
          message: "follower's log is shorter than it acknowledged; resending the entries it lost",
          fields: { follower: "c", acknowledged: 5, lastIndex: 2 },
        },
      ],
    );
    const resend = sent(rds, MessageType.Append).find((m) => m.to === "c") as AppendRequest;
    assert.equal(resend.prevLogIndex, 2);
    assert.deepEqual(
      resend.entries.map((e) => e.index),
      [3, 4, 5],
    );
  });
});
