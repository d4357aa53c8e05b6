// The meta service on three real influxd processes over loopback: forming, writing through any
// node, failover after kill -9, membership changes, and hostile /execute bodies.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { LocalCluster } from "../../src/demo/local-cluster.ts";
import { request } from "../../src/util/http-client.ts";
import { createDatabases, metaClient, status } from "../support/cluster.ts";

let cluster: LocalCluster;
before(async () => {
  cluster = await LocalCluster.start({ size: 3 });
});
after(() => cluster?.stop());

test("a formed cluster: one leader, three voters, every node agrees", async () => {
  const statuses = await Promise.all(cluster.nodes.map((n) => status(n.httpAddr)));
  const leaders = statuses.filter((s) => s.raft.state === "leader");
  assert.equal(leaders.length, 1);
  for (const s of statuses) {
    assert.equal(s.leader, leaders[0].raftAddr);
    assert.deepEqual([...s.raft.voters].sort(), cluster.nodes.map((n) => n.raftAddr).sort());
    assert.ok(s.id > 0, "each node knows its meta node id");
  }
  const ping = await request(`http://${cluster.nodes[0].httpAddr}/ping`, { timeoutMs: 2000 });
  assert.equal(ping.body.toString(), leaders[0].raftAddr);
  const show = await request(`http://${cluster.nodes[1].httpAddr}/show-cluster`, { timeoutMs: 2000 });
  assert.deepEqual(
    (JSON.parse(show.body.toString()) as { meta: { addr: string }[] }).meta.map((m) => m.addr).sort(),
    cluster.nodes.map((n) => n.httpAddr).sort(),
  );
});

test("commands applied through a follower are redirected to the leader and visible everywhere", async () => {
  const leader = await cluster.leaderIndex();
  const follower = [0, 1, 2].find((i) => i !== leader)!;
  const client = metaClient(cluster, [follower]);
  const { index } = await client.execute({ type: "CreateDatabaseCommand", name: "via-follower" });
  for (const i of [0, 1, 2]) {
    const data = await metaClient(cluster, [i]).data(index);
    assert.ok(
      data.databases.some((d) => d.name === "via-follower"),
      `node ${i + 1} has the database`,
    );
  }
  // An FSM error travels back as the command's error, through the redirect, and stops the retries.
  await assert.rejects(
    client.execute({ type: "SetDefaultRetentionPolicyCommand", database: "nope", name: "x" }),
    /database not found/,
  );
});

test("malformed protobuf, an unknown command and a huge body are refused; the node and its log are unchanged", async () => {
  const node = cluster.nodes[await cluster.leaderIndex()];
  const before = await status(node.httpAddr);
  const post = (body: Uint8Array) =>
    request(`http://${node.httpAddr}/execute`, {
      method: "POST",
      body,
      contentType: "application/octet-stream",
      timeoutMs: 5000,
    });
  const garbage = await post(Uint8Array.from([0xff, 0xff, 0xff, 0x01, 0x02]));
  assert.equal(garbage.status, 400);
  assert.match(JSON.parse(garbage.body.toString()).error, /malformed|invalid/i);
  const unknown = await post(Uint8Array.from([0x08, 99])); // Command{type: 99}
  assert.equal(unknown.status, 400);
  assert.match(JSON.parse(unknown.body.toString()).error, /99/);
  const huge = await post(new Uint8Array(40 * 1024 * 1024));
  assert.equal(huge.status, 413);
  const after = await status(node.httpAddr);
  assert.equal(after.raft.lastLogIndex, before.raft.lastLogIndex);
  assert.equal(after.raft.state, "leader");
});

test("kill -9 of the leader: a new leader takes writes and no acknowledged write is lost", async () => {
  const acked = await createDatabases(metaClient(cluster), "before-kill", 20);
  const old = await cluster.leaderIndex();
  await cluster.kill(old, "SIGKILL");
  const survivors = [0, 1, 2].filter((i) => i !== old);
  const client = metaClient(cluster, survivors);
  const more = await createDatabases(client, "after-kill", 5);
  const leader = await cluster.leaderIndex();
  assert.notEqual(leader, old);
  // The leader's state: a follower may not have applied the last acknowledged create yet.
  const data = await metaClient(cluster, [leader]).data();
  const names = new Set(data.databases.map((d) => d.name));
  for (const name of [...acked, ...more]) assert.ok(names.has(name), `${name} survived`);
  await cluster.restart(old);
  await cluster.waitFor("the restarted node to catch up", async () => {
    const s = await status(cluster.nodes[old].httpAddr);
    return s.raft.appliedIndex >= data.index && s.raft.state === "follower";
  });
});

test("remove a follower, then the leader, then re-add the removed node", async () => {
  const leader = await cluster.leaderIndex();
  const follower = [0, 1, 2].find((i) => i !== leader)!;
  const f = cluster.nodes[follower];
  const removed = await cluster.admin(leader).removeMeta(f.httpAddr, { force: false });
  assert.equal(removed.cleanup, "done");
  const fs = await status(f.httpAddr);
  assert.equal(fs.raft.state, "unbootstrapped", "the removed node is blank");
  assert.equal(fs.raft.lastLogIndex, 0, "its old log is gone");
  assert.deepEqual(
    readdirSync(join(f.dir, "meta")).filter((n) => n !== "node.json" && n !== "raft"),
    ["influxd.lock"],
    "only the identity, the fresh Raft state and the running process's lock remain",
  );
  assert.ok(existsSync(join(f.dir, "meta", "node.json")), "the identity file survives the wipe");

  const rest = [0, 1, 2].filter((i) => i !== follower);
  const other = rest.find((i) => i !== leader)!;
  const result = await cluster.admin(other).removeMeta(cluster.nodes[leader].httpAddr, { force: false });
  assert.equal(result.cleanup, "done");
  const s = await status(cluster.nodes[other].httpAddr);
  assert.equal(s.raft.state, "leader", "the remaining node leads alone");
  assert.deepEqual(s.raft.voters, [cluster.nodes[other].raftAddr]);
  await metaClient(cluster, [other]).execute({ type: "CreateDatabaseCommand", name: "after-removals" });

  // Re-adding a removed (wiped) node works: no "dangled node" error.
  const added = await cluster.admin(other).addMeta(f.httpAddr);
  assert.equal(added.addr, f.httpAddr);
  await cluster.waitFor("the re-added node to become a voter", async () => {
    const st = await status(cluster.nodes[other].httpAddr);
    return st.raft.voters.includes(f.raftAddr);
  });
  const data = await metaClient(cluster, [follower]).data();
  assert.ok(
    data.databases.some((d) => d.name === "after-removals"),
    "the re-added node caught up",
  );
});
