// influxd-ctl, the real executable, managing a cluster through a meta node's API directly
// (-bind host:8091), against a stand-in that answers as a Go (InfluxDB Enterprise-compatible)
// meta cluster does: every command, 307 from followers, empty 204s, the client-side safety plan.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { MetaApi } from "../../src/client/meta-api.ts";
import { PLAIN_HTTP } from "../../src/util/http-client.ts";
import { ctl } from "../support/cluster.ts";
import { GO_VERSION, GoMetaCluster, type StandinOptions } from "../support/go-meta-standin.ts";

const clusters: GoMetaCluster[] = [];
async function start(opts: StandinOptions): Promise<GoMetaCluster> {
  const c = await GoMetaCluster.start(opts);
  clusters.push(c);
  return c;
}
after(() => Promise.all(clusters.map((c) => c.stop())));

const esc = (s: string) => s.replace(/[.[\]]/g, "\\$&");
/** Requests that change something (not the reads of show and the plan). */
const changes = (c: GoMetaCluster) =>
  c.log.filter((r) => r.method === "POST").map((r) => `${r.node} ${r.path} ${r.status}`);

test("show: meta nodes with versions and the leader, data nodes, from /show-cluster and each node's /status and /ping", async () => {
  const c = await start({ meta: 3, data: 1, registered: 1 });
  const follower = c.nodes[2].httpAddr;
  const r = await ctl(["-bind", follower, "show"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  for (const n of c.nodes)
    assert.match(
      r.stdout,
      new RegExp(`^\\d +${esc(n.raftAddr)} +${esc(n.httpAddr)} +${esc(GO_VERSION)} `, "m"),
    );
  // The leader is named by its HTTP address (src/wording.ts), as with the admin service.
  assert.match(r.stdout, new RegExp(`^Leader +${esc(c.nodes[0].httpAddr)}$`, "m"));
  const d = c.dataNodes[0];
  assert.match(r.stdout, new RegExp(`^4 +${esc(d.tcpAddr)} +${esc(d.httpAddr)} +${esc(GO_VERSION)} `, "m"));

  const json = await ctl(["-bind", follower, "-json", "show"]);
  assert.equal(json.code, 0, json.stderr);
  const show = JSON.parse(json.stdout);
  assert.deepEqual(show.self, { httpAddr: follower, raftAddr: c.nodes[2].raftAddr });
  assert.deepEqual(show.leader, { raftAddr: c.nodes[0].raftAddr, httpAddr: c.nodes[0].httpAddr });
  assert.deepEqual(
    show.meta.map((m: { state: string; suffrage: string; reachable: boolean }) => [
      m.state,
      m.suffrage,
      m.reachable,
    ]),
    [
      ["leader", "voter", true],
      // Go's /status does not say whether a node follows: unknown, not guessed.
      ["unknown", "voter", true],
      ["unknown", "voter", true],
    ],
  );
  assert.deepEqual(show.data, [
    {
      id: 4,
      httpAddr: d.httpAddr,
      tcpAddr: d.tcpAddr,
      version: GO_VERSION,
      status: "joined",
      reachable: true,
    },
  ]);
  assert.deepEqual(changes(c), [], "show changes nothing");
});

test("show marks a killed meta node DOWN (unreachable in -json)", async () => {
  const c = await start({ meta: 3 });
  await c.kill(c.nodes[1]);
  const r = await ctl(["-bind", c.nodes[0].httpAddr, "show"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^Warning: meta node 2 at ${esc(c.nodes[1].httpAddr)} is DOWN$`, "m"));
  const json = JSON.parse((await ctl(["-bind", c.nodes[0].httpAddr, "-json", "show"])).stdout);
  assert.deepEqual(
    json.meta.map((m: { reachable: boolean; state: string }) => [m.reachable, m.state]),
    [
      [true, "leader"],
      [false, "unreachable"],
      [true, "unknown"],
    ],
  );
});

test("add-meta and join add blank nodes (307 from a follower followed to the leader)", async () => {
  const c = await start({ meta: 2, blank: 2 });
  const [leader, follower, blank1, blank2] = c.nodes;
  const added = await ctl(["-bind", follower.httpAddr, "add-meta", blank1.httpAddr]);
  assert.equal(added.code, 0, added.stderr);
  assert.equal(added.stdout, `Added meta node 3 at ${blank1.httpAddr}\n`);
  assert.deepEqual(changes(c), [`${follower.httpAddr} /join 307`, `${leader.httpAddr} /join 200`]);

  const joined = await ctl(["-bind", blank2.httpAddr, "join", follower.httpAddr]);
  assert.equal(joined.code, 0, joined.stderr);
  assert.equal(joined.stdout, `Successfully joined cluster\n  * Added meta node 4 at ${blank2.httpAddr}\n`);
  assert.deepEqual(
    c.members.map((m) => m.httpAddr),
    c.nodes.map((n) => n.httpAddr),
  );

  const again = await ctl(["-bind", blank2.httpAddr, "join", follower.httpAddr]);
  assert.equal(again.code, 1);
  assert.match(
    again.stderr,
    new RegExp(`^join: meta node ${esc(blank2.httpAddr)} already belongs to a cluster`),
  );
});

test("remove-meta -y of a live follower: the node leaves by itself (/leave, 204) and is wiped", async () => {
  const c = await start({ meta: 3 });
  const [leader, follower, target] = c.nodes;
  const r = await ctl(["-bind", follower.httpAddr, "remove-meta", "-y", target.httpAddr]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    `Removed meta node 3 at ${target.httpAddr}\nIts meta dir was wiped; it runs on as a blank node that can be added again.\n`,
  );
  assert.deepEqual(changes(c), [`${target.httpAddr} /leave 204`, `${leader.httpAddr} /remove 204`]);
  assert.ok(target.blank);
  assert.deepEqual(
    c.members.map((m) => m.id),
    [1, 2],
  );
  const json = await ctl(["-bind", follower.httpAddr, "-json", "remove-meta", "-y", target.httpAddr]);
  assert.equal(json.code, 1);
  assert.equal(json.stderr, `remove-meta: meta node ${target.httpAddr} does not exist in cluster\n`);
});

test("remove-meta of the leader warns, goes through its /leave, and a new leader takes over", async () => {
  const c = await start({ meta: 3 });
  const [leader, follower] = c.nodes;
  const r = await ctl(["-bind", follower.httpAddr, "-json", "remove-meta", "-y", leader.httpAddr]);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.equal(result.id, 1);
  assert.equal(result.cleanup, "done");
  assert.match(result.warnings.join("\n"), /is the leader: the other voters elect a new leader/);
  assert.equal(c.leader, follower);
  assert.ok(leader.blank);
});

test("a killed node: refused without -force (nothing sent); -force removes it through the leader's /remove", async () => {
  const c = await start({ meta: 3 });
  const [leader, follower, dead] = c.nodes;
  await c.kill(dead);
  const refused = await ctl(["-bind", follower.httpAddr, "remove-meta", "-y", dead.httpAddr]);
  assert.equal(refused.code, 1);
  assert.equal(
    refused.stderr,
    `remove-meta: meta node ${dead.httpAddr} could not be reached; use -force to remove an unreachable node\n`,
  );
  assert.deepEqual(changes(c), []);

  const forced = await ctl(["-bind", follower.httpAddr, "remove-meta", "-force", "-y", dead.httpAddr]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(
    forced.stdout,
    new RegExp(`^Removed meta node 3 at ${esc(dead.httpAddr)}\nIts meta dir was not wiped`),
  );
  assert.deepEqual(changes(c), [`${follower.httpAddr} /remove 307`, `${leader.httpAddr} /remove 204`]);
  const sent = c.requestsTo("/remove").at(-1)!;
  assert.deepEqual(sent.form, { httpAddr: dead.httpAddr, force: "true", tcpAddr: dead.raftAddr });
});

test("the quorum rule and the last voter are checked client-side before anything is sent", async () => {
  const c = await start({ meta: 3 });
  const [leader, follower, other] = c.nodes;
  await c.kill(other);
  const quorum = await ctl(["-bind", leader.httpAddr, "remove-meta", "-y", follower.httpAddr]);
  assert.equal(quorum.code, 1);
  assert.match(
    quorum.stderr,
    /would leave 1 active voter\(s\), fewer than the quorum of 2 for 2 voters; bring the other meta nodes back first, or use -force/,
  );
  assert.deepEqual(changes(c), []);

  const single = await start({ meta: 1 });
  const last = await ctl(["-bind", single.nodes[0].httpAddr, "leave", "-y"]);
  assert.equal(last.code, 1);
  assert.equal(
    last.stderr,
    `leave: meta node ${single.nodes[0].httpAddr} is the last voter; removing it would leave no cluster\n`,
  );
  assert.deepEqual(changes(single), []);
});

test("leave -y: the meta node at -bind leaves, and the command exits 0", async () => {
  const c = await start({ meta: 3 });
  const node = c.nodes[1];
  const r = await ctl(["-bind", node.httpAddr, "leave", "-y"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    `Successfully left cluster\n  * Removed meta node 2 at ${node.httpAddr} from cluster and wiped its meta dir\n`,
  );
  assert.ok(node.blank);
  assert.equal(c.members.length, 2);
});

test("data nodes: add-data, update-data, remove-data through a follower (307 and 204 handled)", async () => {
  const c = await start({ meta: 3, data: 3, registered: 0 });
  const follower = ["-bind", c.nodes[1].httpAddr];
  const [d1, d2, d3] = c.dataNodes;
  const added = await ctl([...follower, "add-data", d1.tcpAddr]);
  assert.equal(added.code, 0, added.stderr);
  assert.equal(added.stdout, `Added data node 4 at ${d1.tcpAddr}\n`);
  const updated = await ctl([...follower, "update-data", d1.tcpAddr, d2.tcpAddr]);
  assert.equal(updated.code, 0, updated.stderr);
  assert.equal(updated.stdout, `Updated data node 4 to ${d2.tcpAddr}\n`);

  const removed = await ctl([...follower, "remove-data", "-y", d2.tcpAddr]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal(removed.stdout, `Removed data node 4 at ${d2.tcpAddr}\n`);
  assert.deepEqual(c.dataRecords, []);
  assert.deepEqual(changes(c).slice(-2), [
    `${c.nodes[1].httpAddr} /remove-data 307`,
    `${c.nodes[0].httpAddr} /remove-data 204`,
  ]);

  // A dead data node: refused without -force before the meta node deletes its record.
  await ctl([...follower, "add-data", d3.tcpAddr]);
  await d3.kill();
  const refused = await ctl([...follower, "remove-data", "-y", d3.tcpAddr]);
  assert.equal(refused.code, 1);
  assert.equal(
    refused.stderr,
    `remove-data: data node ${d3.tcpAddr} could not be reached; use -force to remove an unreachable node\n`,
  );
  assert.equal(c.dataRecords.length, 1);
  const forced = await ctl([...follower, "remove-data", "-force", "-y", d3.tcpAddr]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.deepEqual(c.dataRecords, []);

  const down = await ctl([...follower, "add-data", d3.tcpAddr]);
  assert.equal(down.code, 1);
  assert.equal(down.stderr, `add-data: dial tcp ${d3.tcpAddr}: connect: connection refused\n`);
});

test("shards: show-shards (-v), copy-shard, remove-shard, truncate-shards, and the server's refusals", async () => {
  const c = await start({ meta: 3, data: 2, registered: 2 });
  const [a, b] = c.dataRecords;
  c.addShard({ id: 7, owners: [a.id] });
  const week = c.shards[0];
  const follower = ["-bind", c.nodes[2].httpAddr];
  const shown = await ctl([...follower, "show-shards"]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.equal(
    shown.stdout,
    [
      "Shards",
      "==========",
      "ID  Database  Retention Policy  Desired Replicas  Shard Group  Start                 End                   Expires  Owners",
      `7   telegraf  autogen           2                 7            ${week.start}  ${week.end}           [{ID:${a.id} TCPAddr:${a.tcpAddr}}]`,
      "",
      // Ours, after Go's listing: the replica health (client-side, from a verbose listing).
      "Replica health: 1 shard: 0 healthy, 1 under-replicated, 0 unavailable, 0 missing, 0 orphan copies, 1 hot; data nodes: 2 up, 0 down",
      "",
    ].join("\n"),
  );
  const verbose = await ctl([...follower, "show-shards", "-v"]);
  assert.match(
    verbose.stdout,
    new RegExp(
      `\\[\\{ID:${a.id} TCPAddr:${esc(a.tcpAddr)} State:hot LastModified:2026-11-29T10:00:00\\.123456789Z Size:1024 Err:nil\\}\\]`,
    ),
  );

  const copied = await ctl([...follower, "copy-shard", a.tcpAddr, b.tcpAddr, "7"]);
  assert.equal(copied.code, 0, copied.stderr);
  assert.equal(copied.stdout, `Copied shard 7 from ${a.tcpAddr} to ${b.tcpAddr}\n`);
  assert.deepEqual(c.shards[0].owners, [a.id, b.id]);
  const notOwner = await ctl([...follower, "copy-shard", "x:8088", b.tcpAddr, "7"]);
  assert.equal(notOwner.code, 1);
  assert.equal(notOwner.stderr, `copy-shard: unable to find node for "x:8088"\n`);
  const badId = await ctl([...follower, "copy-shard", a.tcpAddr, b.tcpAddr, "seven"]);
  assert.equal(badId.code, 2);
  assert.match(badId.stderr, /^copy-shard: invalid shard ID "seven" \(expected a positive integer\)/);

  const removed = await ctl([...follower, "remove-shard", a.tcpAddr, "7"]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal(removed.stdout, `Removed shard 7 from ${a.tcpAddr}\n`);
  assert.deepEqual(c.shards[0].owners, [b.id]);

  const truncated = await ctl([...follower, "truncate-shards", "-delay", "2m"]);
  assert.equal(truncated.code, 0, truncated.stderr);
  assert.equal(truncated.stdout, "Truncated shards.\n");
  assert.deepEqual(
    c.requestsTo("/truncate-shards").map((r) => [r.form.delay, r.status]),
    [
      ["2m0s", 307],
      ["2m0s", 204],
    ],
  );
  const after = await ctl([...follower, "show-shards"]);
  assert.match(
    after.stdout,
    / {2}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z\* {2}/,
    "a truncated end is marked with *",
  );
});

test("auth-enabled Go meta nodes: basic credentials reach every node; /ping's 401 is a node that answers, not DOWN", async () => {
  const c = await start({ meta: 3, auth: { user: "admin", password: "s3cret" } });
  const bind = ["-bind", c.nodes[1].httpAddr];
  const anonymous = await ctl([...bind, "show"]);
  assert.equal(anonymous.code, 1);
  assert.match(anonymous.stderr, /^show: unable to parse authentication credentials/);
  const creds = ["-auth-type", "basic", "-user", "admin", "-pwd", "s3cret"];
  const json = await ctl([...bind, ...creds, "-json", "show"]);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(
    JSON.parse(json.stdout).meta.map((m: { reachable: boolean; state: string }) => [m.reachable, m.state]),
    [
      [true, "leader"],
      [true, "unknown"],
      [true, "unknown"],
    ],
  );
  const removed = await ctl([...bind, ...creds, "remove-meta", "-y", c.nodes[2].httpAddr]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal(c.members.length, 2);
});

test("the direct plan has the admin service's shape: codes, voters, HTTP-only reachability, index 0", async () => {
  const c = await start({ meta: 3 });
  const [leader, follower, dead] = c.nodes;
  await c.kill(dead);
  const api = new MetaApi({ bind: follower.httpAddr, access: PLAIN_HTTP, timeoutMs: 2000 });

  const show = await api.show();
  assert.equal(show.membershipKnown, true);
  assert.equal(show.raftConfig.index, 0, "Go publishes no configuration index");
  assert.deepEqual(
    show.raftConfig.servers.map((s) => s.suffrage),
    ["voter", "voter", "voter"],
  );
  assert.deepEqual(
    show.meta.map((m) => m.raftActive),
    [null, null, null],
    "Go publishes no Raft view",
  );

  const refused = await api.planRemoveMeta(dead.httpAddr, false);
  assert.equal(refused.refusalCode, "TARGET_UNREACHABLE");
  assert.equal(refused.forceRequired, true);
  assert.equal(refused.configIndex, 0);
  assert.deepEqual(refused.node, {
    id: 3,
    httpAddr: dead.httpAddr,
    raftAddr: dead.raftAddr,
    reachable: false,
    raftActive: false,
    isLeader: false,
    suffrage: "voter",
  });
  assert.deepEqual(
    refused.voters.map((v) => [v.httpAddr, v.httpUp, v.raftActive]),
    [
      [leader.httpAddr, true, true],
      [follower.httpAddr, true, true],
      [dead.httpAddr, false, false],
    ],
    "raftActive mirrors HTTP up",
  );
  assert.deepEqual(refused.warningCodes, ["NOT_WIPED"]);

  const forced = await api.planRemoveMeta(dead.httpAddr, true);
  assert.equal(forced.refusal, null);
  assert.deepEqual(forced.warningCodes, ["NOT_WIPED"]);
  assert.equal(forced.warnings.length, 1);

  const leaderPlan = await api.planRemoveMeta(leader.httpAddr, false);
  assert.equal(leaderPlan.refusalCode, "QUORUM_AT_RISK");
  assert.equal(leaderPlan.reachableVotersAfter, 1);
  assert.equal(leaderPlan.quorumAfter, 2);
  assert.deepEqual(leaderPlan.warningCodes, ["LEADER_MOVES"]);
  const risky = await api.planRemoveMeta(leader.httpAddr, true);
  assert.equal(risky.refusal, null);
  assert.deepEqual(risky.warningCodes, ["LEADER_MOVES", "QUORUM_AT_RISK"]);
  assert.deepEqual(changes(c), [], "planning sends nothing");
});

test("add-meta -new-cluster over a meta API: one line saying it is an admin service option, nothing sent", async () => {
  const c = await start({ meta: 1 });
  const r = await ctl(["-bind", c.nodes[0].httpAddr, "add-meta", "-new-cluster", "127.0.0.1:1"]);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    "add-meta: -new-cluster is an admin service option: use -bind <node>:8084 (the meta API has no such flag)\n",
  );
  assert.deepEqual(changes(c), []);
});
