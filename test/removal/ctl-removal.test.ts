// influxd-ctl, the real executable, against real influxd processes: the remove-meta flow of
// Removing meta nodes end to end from influxd-ctl (docs/operations.md, "Removing a meta node"), its safety refusals, and bad arguments for every command.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { LocalCluster } from "../../src/demo/local-cluster.ts";
import { request } from "../../src/util/http-client.ts";
import { createDatabases, ctl, metaClient, status } from "../support/cluster.ts";

const clusters: LocalCluster[] = [];
async function start(size = 3): Promise<LocalCluster> {
  const c = await LocalCluster.start({ size });
  clusters.push(c);
  return c;
}
after(() => Promise.all(clusters.map((c) => c.stop())));

test("remove-meta of a follower from the CLI: show before and after, the node wiped, writes go on", async () => {
  const cluster = await start();
  const leader = await cluster.leaderIndex();
  const target = [0, 1, 2].find((i) => i !== leader)!;
  const t = cluster.nodes[target];
  const bind = ["-bind", cluster.nodes[leader].adminAddr];

  const before = await ctl([...bind, "show"]);
  assert.equal(before.code, 0, before.stderr);
  assert.match(before.stdout, /^Meta Nodes\n==========\nID {2}Raft Address/m);
  for (const n of cluster.nodes) assert.match(before.stdout, new RegExp(`${n.raftAddr}\\s+${n.httpAddr}`));
  assert.match(before.stdout, new RegExp(`^Leader\\s+${cluster.nodes[leader].httpAddr}$`, "m"));

  const removed = await ctl([...bind, "remove-meta", "-y", t.httpAddr]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.match(removed.stdout, new RegExp(`^Removed meta node \\d+ at ${t.httpAddr}$`, "m"));

  const after = await ctl([...bind, "show"]);
  assert.doesNotMatch(after.stdout, new RegExp(t.httpAddr));
  const s = await status(t.httpAddr);
  assert.equal(s.raft.state, "unbootstrapped");
  assert.equal(statSync(join(t.dir, "meta")).mode & 0o777, 0o755, "the meta dir is recreated with mode 0755");
  assert.deepEqual(readdirSync(join(t.dir, "meta")).sort(), ["influxd.lock", "node.json", "raft"]);
  await createDatabases(metaClient(cluster, [leader]), "after-cli-remove", 3);

  const again = await ctl([...bind, "remove-meta", "-y", t.httpAddr]);
  assert.equal(again.code, 1);
  assert.equal(again.stderr.trim(), `remove-meta: meta node ${t.httpAddr} does not exist in cluster`);
});

test("removing the leader moves leadership first; no acknowledged write is lost", async () => {
  const cluster = await start();
  const acked = await createDatabases(metaClient(cluster), "pre", 10);
  const leader = await cluster.leaderIndex();
  const other = [0, 1, 2].find((i) => i !== leader)!;
  const r = await ctl([
    "-bind",
    cluster.nodes[other].adminAddr,
    "remove-meta",
    "-y",
    cluster.nodes[leader].httpAddr,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const newLeader = await cluster.leaderIndex();
  assert.notEqual(newLeader, leader);
  const data = await metaClient(cluster, [newLeader]).data();
  for (const name of acked)
    assert.ok(
      data.databases.some((d) => d.name === name),
      name,
    );
  const s = await status(cluster.nodes[newLeader].httpAddr);
  assert.equal(s.raft.voters.length, 2);
});

test("a killed node is refused without -force and removed with it (cleanup skipped, with a warning)", async () => {
  const cluster = await start();
  const leader = await cluster.leaderIndex();
  const target = [0, 1, 2].find((i) => i !== leader)!;
  await cluster.kill(target, "SIGKILL");
  const bind = ["-bind", cluster.nodes[leader].adminAddr];
  const addr = cluster.nodes[target].httpAddr;
  const refused = await ctl([...bind, "remove-meta", "-y", addr]);
  assert.equal(refused.code, 1);
  assert.equal(
    refused.stderr.trim(),
    `remove-meta: meta node ${addr} could not be reached; use -force to remove an unreachable node`,
  );
  assert.equal((await status(cluster.nodes[leader].httpAddr)).raft.voters.length, 3, "nothing changed");

  const forced = await ctl([...bind, "remove-meta", "-force", "-y", addr]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /Removed meta node \d+ at /);
  assert.match(forced.stdout, /not wiped/);
  assert.match(
    forced.stdout,
    /if it comes back with its old data it reports itself removed and must be wiped with: influxd-ctl -bind \S+ leave -y/,
  );
  assert.equal((await status(cluster.nodes[leader].httpAddr)).raft.voters.length, 2);
});

test("last-voter and quorum refusals; a stray POST /remove-meta to a live member changes nothing", async () => {
  const cluster = await start();
  const leader = await cluster.leaderIndex();
  const [a, b] = [0, 1, 2].filter((i) => i !== leader);
  const bind = ["-bind", cluster.nodes[leader].adminAddr];

  const stray = await request(`http://${cluster.nodes[a].httpAddr}/remove-meta`, {
    method: "POST",
    timeoutMs: 5000,
  });
  assert.equal(stray.status, 409);
  assert.match(JSON.parse(stray.body.toString()).error, /still a member/);
  assert.equal((await status(cluster.nodes[a].httpAddr)).raft.state, "follower");

  // With b down, removing a would leave 1 reachable voter of 2: below quorum.
  await cluster.kill(b, "SIGKILL");
  const quorum = await ctl([...bind, "remove-meta", "-y", cluster.nodes[a].httpAddr]);
  assert.equal(quorum.code, 1);
  assert.match(quorum.stderr, /would leave 1 active voter\(s\), fewer than the quorum of 2/);
  assert.equal((await status(cluster.nodes[leader].httpAddr)).raft.voters.length, 3);

  // Down to one voter, the last one cannot be removed even with -force.
  await cluster.restart(b);
  // Reachable means active in the leader's Raft view: wait until the leader has heard from b again.
  await cluster.waitFor("the leader to see every voter active", async () => {
    const s = await status(cluster.nodes[leader].httpAddr);
    return s.raft.servers.every((v) => v.active === true);
  });
  for (const i of [a, b]) {
    const r = await ctl([...bind, "remove-meta", "-y", cluster.nodes[i].httpAddr]);
    assert.equal(r.code, 0, r.stderr);
  }
  const last = await ctl([...bind, "remove-meta", "-force", "-y", cluster.nodes[leader].httpAddr]);
  assert.equal(last.code, 1);
  assert.match(last.stderr, /is the last voter/);
});

test("concurrent removals of the same node: one success, one clear error", async () => {
  const cluster = await start();
  const leader = await cluster.leaderIndex();
  const target = cluster.nodes[[0, 1, 2].find((i) => i !== leader)!].httpAddr;
  const others = [0, 1, 2].filter((i) => cluster.nodes[i].httpAddr !== target);
  const results = await Promise.all(
    others.map((i) => ctl(["-bind", cluster.nodes[i].adminAddr, "remove-meta", "-y", target])),
  );
  assert.deepEqual(results.map((r) => r.code).sort(), [0, 1], JSON.stringify(results));
  const failed = results.find((r) => r.code === 1)!;
  assert.match(failed.stderr, /^remove-meta: .*(does not exist|configuration changed since|not found)/);
  assert.equal((await status(cluster.nodes[leader].httpAddr)).raft.voters.length, 2);
});

test("without a terminal and without -y, destructive commands fail instead of waiting", async () => {
  const r = await ctl(["-bind", "127.0.0.1:1", "remove-data", "d:8088"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^remove-data: no terminal to ask for confirmation; pass -y/);
});

test("bad arguments: usage errors exit 2 with the command's usage; unknown commands get a suggestion", async () => {
  const cases: [string[], RegExp][] = [
    [["remove-meta"], /^remove-meta: missing argument <httpAddr>/],
    [["remove-meta", "-nope", "a:1"], /^remove-meta: flag provided but not defined: -nope/],
    [["add-meta"], /^add-meta: missing argument/],
    [["add-meta", "a:1", "b:2"], /^add-meta: unexpected argument "b:2"/],
    [["add-data"], /^add-data: missing argument/],
    [["remove-data"], /^remove-data: missing argument/],
    [["update-data", "a:1"], /^update-data: missing argument/],
    [["update-data", "a:1", "a:1"], /^update-data: new-addr and old-addr are the same/],
    [["show", "extra"], /^show: unexpected argument "extra"/],
    [["join"], /^join: missing argument/],
    [["leave", "x"], /^leave: unexpected argument "x"/],
    [["-timeout", "soon", "show"], /^influxd-ctl: invalid value "soon" for flag -timeout/],
    [["-auth-type", "magic", "show"], /^show: invalid -auth-type: magic/],
    [["remvoe-meta"], /^influxd-ctl: unknown command "remvoe-meta"; did you mean "remove-meta"\?/],
  ];
  for (const [args, expected] of cases) {
    const r = await ctl(["-bind", "127.0.0.1:1", ...args]);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, expected, args.join(" "));
  }
  const unreachable = await ctl(["-bind", "127.0.0.1:1", "show"]);
  assert.equal(unreachable.code, 1);
  assert.equal(unreachable.stderr.trim(), "show: 127.0.0.1:1: connection refused");
});
