// The guided rolling restart on a REAL local cluster: the order, the wait for a restarted node to
// catch up after the cluster moved on without it, the stop when another node goes down, the
// refusal on a cluster without a failure to spare; and the leave plan with a what-if mark.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startLocalCluster, type LocalCluster } from "../../src/demo/local-cluster.ts";
import { demoSession } from "../../src/demo/session.ts";
import { createDatabases, metaClient, status } from "../support/cluster.ts";
import { KEY, settle } from "./harness.tsx";
import { esc, liveCluster, openApp } from "./live-app.tsx";

let cluster: LocalCluster;
const open = liveCluster(3, (c) => (cluster = c));

/** The node the guide names at `step`, as the pane's title says it. */
function guided(text: string, step: number): number {
  const m = new RegExp(`Rolling restart: step ${step} of 3, meta node \\d at (127\\.0\\.0\\.1:\\d+)`).exec(
    text,
  );
  assert.ok(m, `step ${step} shown:\n${text}`);
  const i = cluster.nodes.findIndex((n) => n.httpAddr === m[1]);
  assert.notEqual(i, -1);
  return i;
}

test("the guide: followers first, each unlocked only once the restarted node has caught up, the leader last, then done", async () => {
  const app = openApp(cluster, open);
  await app.waitFor("first poll", /3\/3 voters up/);
  const leader = await cluster.leaderIndex();
  await app.type("u");
  await app.waitFor("the guide", /Rolling restart: step 1 of 3/);
  const first = guided(app.text(), 1);
  assert.notEqual(first, leader, "a follower first");
  assert.match(
    app.text(),
    new RegExp(`3\\. ${esc(cluster.nodes[leader].httpAddr)} \\(leader\\)`),
    "the leader last",
  );
  assert.match(app.text(), /\[ \] restarted: seen DOWN and back/);

  // Stopped, and the cluster moves on without it.
  await cluster.kill(first);
  await app.waitFor("its restart seen", /It is DOWN\. Waiting for: it to come back up/);
  const others = [0, 1, 2].filter((i) => i !== first);
  await createDatabases(metaClient(cluster, others), "rolling", 30);
  const written = (await status(cluster.nodes[leader].httpAddr)).raft.commitIndex;
  await settle(1000); // a few polls
  assert.match(app.text(), /step 1 of 3/, "nothing unlocks while it is down");
  assert.match(app.text(), /\[ \] up: answers \/ping and \/status/);

  await cluster.restart(first);
  await app.waitFor("the next step", /Rolling restart: step 2 of 3/, 30_000);
  const caught = /is back and caught up \(applied (\d+)\)/.exec(app.text());
  assert.ok(caught, "the status line says why it unlocked");
  assert.ok(
    Number(caught[1]) >= written,
    `it had applied what was written while it was down (${caught[1]} ≥ ${written})`,
  );

  // Restarted faster than a poll: seen through its new process start time.
  const second = guided(app.text(), 2);
  assert.notEqual(second, leader);
  await cluster.restart(second);
  await app.waitFor("the last step", /Rolling restart: step 3 of 3/, 30_000);
  assert.equal(guided(app.text(), 3), leader, "the leader last");
  assert.match(app.text(), /It is the LEADER, so it goes last/);
  // The leader: an election, then it catches up as a follower of the new leader.
  await cluster.restart(leader);
  await app.waitFor("the end", /Rolling restart done/, 30_000);
  assert.match(app.text(), /All 3 meta nodes were restarted and caught up/);
  await app.type(KEY.esc);
  await app.waitFor("left", /rolling restart guide done/);
});

test("in the demo, R restarts the running node the guide names, and the guide moves on", async () => {
  const app = openApp(cluster, open, { session: demoSession(cluster) });
  await app.waitFor("first poll", /3\/3 voters up/);
  await app.type("u");
  await app.waitFor("the guide", /Rolling restart: step 1 of 3/);
  const first = guided(app.text(), 1);
  const pid = cluster.nodes[first].pid;
  await app.type("R");
  await app.waitFor("the next step", /Rolling restart: step 2 of 3/, 30_000);
  assert.notEqual(cluster.nodes[first].pid, pid, "a new process");
  await app.type(KEY.esc);
});

test("another node going down stops the guide; Ctrl-C leaves it for the table", async () => {
  const app = openApp(cluster, open);
  await app.waitFor("first poll", /3\/3 voters up/);
  await app.type(":rolling-restart", KEY.enter);
  await app.waitFor("the guide", /Rolling restart: step 1 of 3/);
  const first = guided(app.text(), 1);
  const leader = await cluster.leaderIndex();
  const bystander = [0, 1, 2].find((i) => i !== first && i !== leader)!;
  await cluster.kill(bystander);
  try {
    await app.waitFor("the stop", /Rolling restart STOPPED/);
    assert.match(
      app.text(),
      new RegExp(`${esc(cluster.nodes[bystander].httpAddr)} is DOWN .*not the node being restarted`),
    );
    await app.type(KEY.ctrlC);
    await app.waitFor("the table", /HTTP ADDRESS/);
  } finally {
    await cluster.restart(bystander);
  }
  await app.waitFor("all back", /3\/3 voters up/, 30_000);
});

test(":leave plans with the what-if marks: the reduced tolerance shows before anything is touched", async () => {
  // The plan counts the voters active in the leader's Raft view: the node the last test restarted
  // answers /status before the leader has heard from it again.
  await cluster.waitFor(
    "every voter active in the leader's view",
    async () =>
      (await status(cluster.nodes[await cluster.leaderIndex()].httpAddr)).raft.servers.every((v) => v.active),
    30_000,
  );
  const app = openApp(cluster, open);
  await app.waitFor("first poll", /3\/3 voters up/);
  // The view talks through node1's admin service: :leave is node1's removal.
  const self = cluster.nodes[0];
  const marked = cluster.nodes[1];
  await app.select(marked.httpAddr);
  await app.type("m");
  await app.type(":leave", KEY.enter);
  await app.waitFor("the plan", new RegExp(`Remove meta node ${esc(self.httpAddr)}.*y removes it`));
  assert.match(
    app.text(),
    /3 voters, tolerates 1 failure → 2 voters, tolerates 0 failures \(LOWERS fault tolerance\)/,
  );
  assert.match(app.text(), /What-if, with the 1 marked node down too: 1\/2 voters up - NO QUORUM\./);
  await app.type(KEY.esc);
  await app.waitFor("cancelled", /cancelled; nothing was changed/);
  assert.equal((await cluster.admin(1).show()).meta.length, 3, "nothing was removed");
});

test("a removal dialog plans again when another voter comes back: the force it needed is asked no more", async () => {
  const leader = await cluster.leaderIndex();
  const [target, other] = [0, 1, 2].filter((i) => i !== leader);
  const app = openApp(cluster, open);
  await app.waitFor("first poll", /3\/3 voters up/);
  await cluster.kill(other);
  try {
    await app.waitFor("the node down", /2\/3 voters up/);
    await app.select(cluster.nodes[target].httpAddr);
    await app.type("d");
    // 3 voters less the target, with the other one down: no quorum after the removal.
    await app.waitFor(
      "the force dialog",
      new RegExp(`FORCE-remove meta node ${esc(cluster.nodes[target].httpAddr)}`),
    );
    await cluster.restart(other);
    await app.waitFor(
      "the plan again, without force",
      new RegExp(`Remove meta node ${esc(cluster.nodes[target].httpAddr)}.*y removes it`),
      30_000,
    );
    assert.doesNotMatch(app.text(), /FORCE-remove/);
    await app.type(KEY.esc);
    await app.waitFor("cancelled", /cancelled; nothing was changed/);
  } finally {
    if (!cluster.isRunning(other)) await cluster.restart(other);
  }
  assert.equal((await cluster.admin(leader).show()).meta.length, 3, "nothing was removed");
});

test("refused on a cluster that tolerates 0 failures, in its words", async () => {
  const single = await startLocalCluster({ size: 1 });
  try {
    const app = openApp(single, open);
    await app.waitFor("first poll", /1\/1 voters up/);
    await app.type("u");
    await app.waitFor(
      "the refusal",
      /rolling restart refused: 1 voter, tolerates 0 failures; a restart loses quorum/,
    );
    assert.doesNotMatch(app.text(), /Rolling restart: step/);
  } finally {
    await single.stop();
  }
});
