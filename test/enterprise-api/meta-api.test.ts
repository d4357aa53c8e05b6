// The Enterprise meta API on 8091 against real influxd processes, with TypeScript data-node
// stand-ins on real TCP ports: what the Go influxd-ctl and the Go data nodes call, with the
// answers, status codes and side effects they rely on, and our safety rules on removals.
import { isShardGroupListing, shardsOfGroups } from "../../src/cluster/shard-groups.ts";
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import bcrypt from "bcryptjs";
import { LocalCluster } from "../../src/demo/local-cluster.ts";
import type { MetaData } from "../../src/proto/index.ts";
import { request, type HttpResponse } from "../../src/util/http-client.ts";
import { VERSION } from "../../src/version.ts";
import { DataNodeStandIn } from "../support/data-node.ts";
import { ctl, metaClient, status } from "../support/cluster.ts";

let cluster: LocalCluster;
const standIns: DataNodeStandIn[] = [];
let a: DataNodeStandIn;
let b: DataNodeStandIn;

before(async () => {
  cluster = await LocalCluster.start({
    size: 3,
    // Short lease and announcement lifetimes, so expiry is observed in seconds (defaults 1m, 30s),
    // yet long enough that a loaded machine sees each state before it expires.
    meta: { "lease-duration": "3s", "announcement-expiration": "5s", "gossip-frequency": "250ms" },
  });
  for (let i = 0; i < 4; i++) standIns.push(await DataNodeStandIn.start());
  [a, b] = standIns;
});
after(async () => {
  await Promise.all(standIns.map((s) => s.stop()));
  await cluster?.stop();
});

interface Call {
  form?: Record<string, string>;
  json?: unknown;
  headers?: Record<string, string>;
}

function call(addr: string, method: string, path: string, opts: Call = {}): Promise<HttpResponse> {
  return request(`http://${addr}${path}`, {
    method,
    form: opts.form,
    body: opts.json === undefined ? undefined : Buffer.from(JSON.stringify(opts.json)),
    contentType: opts.json === undefined ? undefined : "application/json",
    headers: opts.headers,
    timeoutMs: 30_000,
  });
}

const json = <T = Record<string, unknown>>(res: HttpResponse): T => JSON.parse(res.body.toString()) as T;

async function roles() {
  const leader = await cluster.leaderIndex();
  const followers = cluster.nodes.map((_, i) => i).filter((i) => i !== leader && cluster.isRunning(i));
  return { leader: cluster.nodes[leader], follower: cluster.nodes[followers[0]] };
}

/** The leader's metadata: a follower may not have applied the last acknowledged command yet. */
async function metadata(): Promise<MetaData> {
  return metaClient(cluster, [await cluster.leaderIndex()]).data();
}

async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 10_000) {
  await cluster.waitFor(what, check, timeoutMs);
}

test("every response carries Go's headers; errors name themselves in X-Influxdb-Error", async () => {
  const node = cluster.nodes[0];
  const res = await call(node.httpAddr, "GET", "/status");
  assert.equal(res.headers["x-influxdb-version"], VERSION);
  assert.match(String(res.headers["influxdb-metaindex"]), /^[1-9]\d*$/);
  assert.equal(res.headers["request-id"], res.headers["x-request-id"]);
  const echoed = await call(node.httpAddr, "GET", "/ping", { headers: { "request-id": "abc-123" } });
  assert.equal(echoed.headers["request-id"], "abc-123");
  assert.equal(echoed.headers["x-request-id"], "abc-123");
  const missing = await call(node.httpAddr, "GET", "/no-such-thing");
  assert.equal(missing.status, 404);
  assert.equal(missing.headers["x-influxdb-error"], "no such endpoint: /no-such-thing");
  assert.equal(res.headers["x-influxdb-error"], undefined);
  const clusterId = (await metadata()).clusterId;
  assert.ok(clusterId > 0n && clusterId < 1n << 63n, `ClusterID ${clusterId} fits a signed 64-bit integer`);
});

test("POST /add-data: the data node is told every meta server over its RPC and registers itself", async () => {
  const { follower } = await roles();
  const res = await call(follower.httpAddr, "POST", "/add-data", { form: { addr: a.tcpAddr } });
  assert.equal(res.status, 200, res.body.toString());
  const node = json<{ id: number; tcpAddr: string; httpAddr: string }>(res);
  assert.equal(node.tcpAddr, a.tcpAddr);
  assert.equal(node.httpAddr, a.httpAddr, "the data node registered its own HTTP address");
  const joins = a.received.filter((r) => r.kind === "join");
  assert.equal(joins.length, 1);
  assert.deepEqual(
    joins[0].kind === "join" && [...joins[0].request.metaServers].sort(),
    cluster.nodes.map((n) => n.httpAddr).sort(),
  );
  assert.equal(joins[0].kind === "join" && joins[0].request.update, false);
  // Again: the registered node keeps its record and is told the meta servers again (update).
  const again = await call(follower.httpAddr, "POST", "/add-data", { form: { addr: a.tcpAddr } });
  assert.equal(json<{ id: number }>(again).id, node.id);
  const told = a.received.filter((r) => r.kind === "join");
  assert.equal(told.length, 2);
  assert.equal(told[1].kind === "join" && told[1].request.update, true);
  // Every meta node shows it once it has applied the entry (a follower may lag the commit).
  await eventually("every meta node to show the data node", async () => {
    const shows = await Promise.all(
      cluster.nodes.map(async (n) =>
        json<{ data: { id: number; tcpAddr: string; status: string }[] }>(
          await call(n.httpAddr, "GET", "/show-cluster"),
        ),
      ),
    );
    return shows.every((show) =>
      show.data.some((d) => d.id === node.id && d.tcpAddr === a.tcpAddr && d.status === "joined"),
    );
  });
  const bad = await call(follower.httpAddr, "POST", "/add-data", { form: {} });
  assert.equal(bad.status, 400);
  assert.equal(json(bad).error, "addr is required");
  const dead = await call(follower.httpAddr, "POST", "/add-data", { form: { addr: "127.0.0.1:1" } });
  assert.equal(dead.status, 502);
  assert.match(String(json(dead).error), /^data node 127\.0\.0\.1:1: connection refused/);
});

test("influxd-ctl add-data (admin service) runs the same operation: the node learns its meta servers", async () => {
  const r = await ctl(["-bind", cluster.nodes[1].adminAddr, "add-data", b.tcpAddr]);
  assert.equal(r.code, 0, r.stderr);
  const id = (await metadata()).dataNodes.find((n) => n.tcpAddr === b.tcpAddr)?.id;
  assert.equal(r.stdout.trim(), `Added data node ${id} at ${b.tcpAddr}`);
  assert.equal(b.metaServers.length, 3);
  // remove-data through the admin service tells the data node to leave, as /remove-data does.
  const spare = await DataNodeStandIn.start();
  standIns.push(spare);
  assert.equal((await ctl(["-bind", cluster.nodes[1].adminAddr, "add-data", spare.tcpAddr])).code, 0);
  const removed = await ctl(["-bind", cluster.nodes[2].adminAddr, "remove-data", "-y", spare.tcpAddr]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.match(removed.stdout, new RegExp(`^Removed data node \\d+ at ${spare.tcpAddr}\n$`));
  assert.ok(spare.received.some((r) => r.kind === "leave"));
  assert.deepEqual(spare.metaServers, []);
  assert.ok(!(await metadata()).dataNodes.some((n) => n.tcpAddr === spare.tcpAddr));
});

let shardId = 0;
let owner: DataNodeStandIn;
let other: DataNodeStandIn;

test("GET /show-shards lists live shards with their owners; ?verbose=true asks each data node", async () => {
  const client = metaClient(cluster);
  await client.execute({
    type: "CreateDatabaseCommand",
    name: "db",
    retentionPolicy: {
      name: "rp",
      duration: 0n,
      // A week long: the group is still current when a later test truncates it.
      shardGroupDuration: 7n * 24n * 3_600_000_000_000n,
      replicaN: 1,
      shardGroups: [],
      subscriptions: [],
    },
  });
  const { index } = await client.execute({
    type: "CreateShardGroupCommand",
    database: "db",
    policy: "rp",
    timestamp: BigInt(Date.now()) * 1_000_000n,
  });
  // The follower asked below must have applied the shard group (it answers from its own state).
  const data = await metaClient(cluster, [2]).data(index);
  const shard = data.databases.find((d) => d.name === "db")!.retentionPolicies[0].shardGroups[0].shards[0];
  shardId = shard.id;
  const ownerNode = data.dataNodes.find((n) => n.id === shard.owners[0].nodeId)!;
  [owner, other] = ownerNode.tcpAddr === a.tcpAddr ? [a, b] : [b, a];
  owner.shards.set(shardId, { state: "hot", size: 99 });

  type Row = { id: number; database: string; owners: Record<string, unknown>[] } & Record<string, unknown>;
  const plain = json<Row[]>(await call(cluster.nodes[2].httpAddr, "GET", "/show-shards"));
  const row = plain.find((s) => s.id === shardId)!;
  assert.equal(row.database, "db");
  assert.equal(row["retention-policy"], "rp");
  assert.equal(row["replica-n"], 1);
  assert.equal(row["expire-time"], "0001-01-01T00:00:00Z");
  assert.equal(row["truncated-at"], "0001-01-01T00:00:00Z");
  assert.match(String(row["start-time"]), /^\d{4}-\d\d-\d\dT\d\d:00:00Z$/);
  assert.deepEqual(row.owners, [
    {
      id: ownerNode.id,
      tcpAddr: owner.tcpAddr,
      state: "",
      "last-modified": "0001-01-01T00:00:00Z",
      size: 0,
      err: "",
    },
  ]);
  // Our compact listing (influxd-ctl asks for it) says the same as Go's array, grouped.
  const compact = json<unknown>(await call(cluster.nodes[2].httpAddr, "GET", "/show-shards?format=groups"));
  assert.ok(isShardGroupListing(compact), "the compact listing");
  assert.deepEqual([...shardsOfGroups(compact)], plain);
  const verbose = json<Row[]>(
    await call(cluster.nodes[2].httpAddr, "GET", "/show-shards?verbose=true&format=groups"),
  );
  assert.deepEqual(verbose.find((s) => s.id === shardId)!.owners, [
    {
      id: ownerNode.id,
      tcpAddr: owner.tcpAddr,
      state: "hot",
      "last-modified": "2026-01-02T03:04:05.123456789Z",
      size: 99,
      err: "",
    },
  ]);
});

test("every leader-only POST answers 307 with the leader's address from a follower, changing nothing", async () => {
  const { leader, follower } = await roles();
  const blank = cluster.nodes[await cluster.addNode()];
  const before = (await status(leader.httpAddr)).raft.lastLogIndex;
  const calls: [string, Call][] = [
    ["/join", { form: { addr: blank.httpAddr } }],
    ["/remove", { form: { httpAddr: follower.httpAddr } }],
    ["/remove-data", { form: { addr: other.tcpAddr } }],
    ["/update-data", { form: { oldAddr: other.tcpAddr, newAddr: "127.0.0.1:1" } }],
    ["/copy-shard", { form: { src: owner.tcpAddr, dest: other.tcpAddr, shard: String(shardId) } }],
    ["/remove-shard", { form: { src: owner.tcpAddr, shard: String(shardId) } }],
    ["/truncate-shards", { form: { delay: "1m" } }],
    ["/user", { json: { action: "create", user: { name: "u", password: "p" } } }],
    ["/role", { json: { action: "create", role: { name: "r" } } }],
  ];
  for (const [path, opts] of calls) {
    const res = await call(follower.httpAddr, "POST", path, opts);
    assert.equal(res.status, 307, `${path}: ${res.body.toString()}`);
    assert.equal(res.headers.location, `http://${leader.httpAddr}${path}`, path);
  }
  const lease = await call(follower.httpAddr, "GET", "/lease?name=x&nodeid=1");
  assert.equal(lease.status, 307);
  assert.equal(lease.headers.location, `http://${leader.httpAddr}/lease?name=x&nodeid=1`);
  assert.equal((await status(leader.httpAddr)).raft.lastLogIndex, before);
  assert.equal((await status(blank.httpAddr)).raft.state, "unbootstrapped");
});

test("POST /copy-shard and /remove-shard: the data nodes are told, then the shard's owners change", async () => {
  const { leader } = await roles();
  const ids = async () => {
    const data = await metadata();
    const shard = data.databases
      .flatMap((d) => d.retentionPolicies.flatMap((r) => r.shardGroups.flatMap((g) => g.shards)))
      .find((s) => s.id === shardId)!;
    return shard.owners.map((o) => data.dataNodes.find((n) => n.id === o.nodeId)!.tcpAddr).sort();
  };
  const refusals: [Record<string, string>, string][] = [
    [{ dest: other.tcpAddr, shard: "1" }, "'src' is a required parameter"],
    [{ src: owner.tcpAddr, dest: owner.tcpAddr, shard: "1" }, "dest and src are the same"],
    [{ src: "127.0.0.1:9", dest: other.tcpAddr, shard: "1" }, 'unable to find node for "127.0.0.1:9"'],
    [{ src: owner.tcpAddr, dest: other.tcpAddr, shard: "999" }, "shard not found for id: 999"],
    [
      { src: other.tcpAddr, dest: owner.tcpAddr, shard: String(shardId) },
      `"${other.tcpAddr}" is not an owner of shard ${shardId}`,
    ],
  ];
  for (const [form, error] of refusals) {
    const res = await call(leader.httpAddr, "POST", "/copy-shard", { form });
    assert.equal(res.status, 400);
    assert.equal(json(res).error, error);
  }
  const copy = await call(leader.httpAddr, "POST", "/copy-shard", {
    form: { src: owner.tcpAddr, dest: other.tcpAddr, shard: String(shardId) },
  });
  assert.equal(copy.status, 204, copy.body.toString());
  assert.equal(copy.body.length, 0);
  const asked = other.received.find((r) => r.kind === "copy-shard");
  assert.deepEqual(asked?.kind === "copy-shard" && asked.request, {
    host: owner.tcpAddr,
    database: "db",
    policy: "rp",
    shardId,
  });
  assert.deepEqual(await ids(), [a.tcpAddr, b.tcpAddr].sort());
  const remove = await call(leader.httpAddr, "POST", "/remove-shard", {
    form: { src: owner.tcpAddr, shard: String(shardId) },
  });
  assert.equal(remove.status, 204, remove.body.toString());
  assert.ok(owner.received.some((r) => r.kind === "remove-shard" && r.shardId === shardId));
  assert.deepEqual(await ids(), [other.tcpAddr]);
});

test("POST /truncate-shards ends the current shard groups at now + delay", async () => {
  const { leader } = await roles();
  const bad = await call(leader.httpAddr, "POST", "/truncate-shards", { form: { delay: "soon" } });
  assert.equal(bad.status, 400);
  const before = Date.now();
  const res = await call(leader.httpAddr, "POST", "/truncate-shards", { form: { delay: "1m" } });
  assert.equal(res.status, 204, res.body.toString());
  const group = (await metadata()).databases.find((d) => d.name === "db")!.retentionPolicies[0]
    .shardGroups[0];
  const truncatedMs = Number(group.truncatedAt / 1_000_000n);
  assert.ok(
    truncatedMs >= before + 60_000 && truncatedMs <= Date.now() + 60_000,
    `truncatedAt ${truncatedMs}`,
  );
});

test("GET /lease: the leader grants it, refuses a second holder with 409 and the holder, until it expires", async () => {
  const { leader } = await roles();
  const lease = (nodeId: number) =>
    call(leader.httpAddr, "GET", `/lease?name=continuous_querier&nodeid=${nodeId}`);
  const first = await lease(4);
  assert.equal(first.status, 200);
  const granted = json<{ name: string; expiration: string; owner: number }>(first);
  assert.equal(granted.name, "continuous_querier");
  assert.equal(granted.owner, 4);
  assert.ok(Date.parse(granted.expiration) > Date.now());
  const contended = await lease(5);
  assert.equal(contended.status, 409);
  assert.equal(json(contended).owner, 4);
  assert.equal((await lease(4)).status, 200, "the holder renews");
  await new Promise((r) => setTimeout(r, 3_200)); // lease-duration is 3s in this cluster
  const taken = await lease(5);
  assert.equal(taken.status, 200);
  assert.equal(json(taken).owner, 5);
  assert.equal((await lease(4)).status, 409);
  assert.equal((await call(leader.httpAddr, "GET", "/lease?nodeid=1")).status, 400);
  assert.equal((await call(leader.httpAddr, "GET", "/lease?name=x")).status, 400);
  assert.equal((await call(leader.httpAddr, "GET", "/lease?name=x&nodeid=abc")).status, 400);
});

test("POST /announce: versions reach every meta node's /show-cluster by gossip and expire", async () => {
  const { follower } = await roles();
  const announce = () =>
    call(follower.httpAddr, "POST", "/announce", {
      json: {
        tcpAddr: a.tcpAddr,
        httpAddr: a.httpAddr,
        httpScheme: "https",
        time: "0001-01-01T00:00:00Z",
        nodeType: "data",
        status: "joined",
        context: null,
        version: "1.8.11-c1.2.0",
      },
    });
  assert.equal((await announce()).status, 204);
  // The admin service beside it shows the same (what influxd-ctl show and the TUI read).
  const index = cluster.nodes.findIndex((n) => n.httpAddr === follower.httpAddr);
  const shown = (await cluster.admin(index).show()).data.find((d) => d.tcpAddr === a.tcpAddr);
  assert.equal(shown?.version, "1.8.11-c1.2.0");
  assert.equal(shown?.status, "joined");
  type Show = {
    data: { tcpAddr: string; version: string; httpScheme: string }[];
    meta: { addr: string; version: string; httpScheme: string }[];
  };
  const shows = () =>
    Promise.all(
      [0, 1, 2].map(async (i) => json<Show>(await call(cluster.nodes[i].httpAddr, "GET", "/show-cluster"))),
    );
  await eventually("every meta node to know the data node's version", async () =>
    (await shows()).every((s) =>
      s.data.some(
        (d) => d.tcpAddr === a.tcpAddr && d.version === "1.8.11-c1.2.0" && d.httpScheme === "https",
      ),
    ),
  );
  await eventually("every meta node to know every meta node's version", async () =>
    (await shows()).every(
      (s) => s.meta.filter((m) => m.version === VERSION && m.httpScheme === "http").length === 3,
    ),
  );
  // Not renewed: gone after announcement-expiration (5 s here).
  await eventually("the announcement to expire everywhere", async () =>
    (await shows()).every((s) => s.data.some((d) => d.tcpAddr === a.tcpAddr && d.version === "")),
  );
  assert.equal((await cluster.admin(index).show()).data.find((d) => d.tcpAddr === a.tcpAddr)?.version, "");
  const bad = await call(follower.httpAddr, "POST", "/announce", { json: { httpAddr: "x" } });
  assert.equal(bad.status, 400);
});

test("POST /user and /role as Enterprise tooling calls them; hashes are bcrypt", async () => {
  const { leader } = await roles();
  const user = (action: string, name: string, password?: string) =>
    call(leader.httpAddr, "POST", "/user", { json: { action, user: { name, password } } });
  assert.equal((await user("create", "admin", "pw")).status, 200);
  const stored = (await metadata()).users.find((u) => u.name === "admin")!;
  assert.equal(stored.admin, true);
  assert.ok(bcrypt.compareSync("pw", stored.hash));
  assert.deepEqual(json(await call(leader.httpAddr, "GET", "/user")), {
    users: [{ name: "admin", hash: stored.hash }],
  });
  assert.equal((await call(leader.httpAddr, "GET", "/user?name=nobody")).status, 404);
  assert.equal(json(await user("create", "admin", "pw")).error, "user already exists");
  assert.equal(json(await user("create", "x")).error, "password or hash required");
  assert.equal(json(await user("rename", "x", "y")).error, "invalid action: rename");
  assert.equal((await user("change-password", "admin", "pw2")).status, 200);
  assert.ok(bcrypt.compareSync("pw2", (await metadata()).users.find((u) => u.name === "admin")!.hash));
  assert.equal((await user("delete", "admin")).status, 200);
  assert.equal((await metadata()).users.length, 0);
  assert.deepEqual(json(await call(leader.httpAddr, "GET", "/role")), {});
  const role = await call(leader.httpAddr, "POST", "/role", {
    json: { action: "create", role: { name: "r" } },
  });
  assert.equal(role.status, 200);
  const badRole = await call(leader.httpAddr, "POST", "/role", {
    json: { action: "fly", role: { name: "r" } },
  });
  assert.equal(badRole.status, 400);
});

test("POST /update-data moves a data node's record to a new address and tells the new node", async () => {
  const { leader } = await roles();
  const replacement = standIns[2];
  const id = (await metadata()).dataNodes.find((n) => n.tcpAddr === other.tcpAddr)!.id;
  const same = await call(leader.httpAddr, "POST", "/update-data", {
    form: { oldAddr: other.tcpAddr, newAddr: other.tcpAddr },
  });
  assert.equal(json(same).error, "newAddr and oldAddr are the same");
  const res = await call(leader.httpAddr, "POST", "/update-data", {
    form: { oldAddr: other.tcpAddr, newAddr: replacement.tcpAddr },
  });
  assert.equal(res.status, 200, res.body.toString());
  assert.deepEqual(json(res), {
    id,
    tcpAddr: replacement.tcpAddr,
    httpAddr: replacement.httpAddr,
    httpScheme: "",
    status: "",
    version: "",
  });
  const join = replacement.received.find((r) => r.kind === "join");
  assert.equal(join?.kind === "join" && join.request.update, true);
  const record = (await metadata()).dataNodes.find((n) => n.id === id)!;
  assert.deepEqual(record, { id, addr: replacement.httpAddr, tcpAddr: replacement.tcpAddr });
  other = replacement;
});

test("POST /remove-data: the node is told to leave, the others drop its hinted handoff; unreachable needs force", async () => {
  const { leader } = await roles();
  const id = (await metadata()).dataNodes.find((n) => n.tcpAddr === other.tcpAddr)!.id;
  const res = await call(leader.httpAddr, "POST", "/remove-data", { form: { addr: other.tcpAddr } });
  assert.equal(res.status, 204, res.body.toString());
  assert.ok(
    other.received.some((r) => r.kind === "leave"),
    "told to leave",
  );
  assert.deepEqual(other.metaServers, []);
  await eventually("the others to drop its hinted handoff", async () =>
    owner.received.some((r) => r.kind === "remove-hinted-handoff" && r.nodeId === id),
  );
  assert.ok(!(await metadata()).dataNodes.some((n) => n.id === id));
  assert.equal(
    (await call(leader.httpAddr, "POST", "/remove-data", { form: { addr: other.tcpAddr } })).status,
    404,
  );

  // A data node that does not answer is kept unless forced (Go removes it and then fails).
  const gone = standIns[3];
  assert.equal(
    (await call(leader.httpAddr, "POST", "/add-data", { form: { addr: gone.tcpAddr } })).status,
    200,
  );
  await gone.stop();
  const refused = await call(leader.httpAddr, "POST", "/remove-data", { form: { addr: gone.tcpAddr } });
  assert.equal(refused.status, 409);
  assert.match(String(json(refused).error), /connection refused.*-force/);
  assert.ok((await metadata()).dataNodes.some((n) => n.tcpAddr === gone.tcpAddr));
  const forced = await call(leader.httpAddr, "POST", "/remove-data", {
    form: { addr: gone.tcpAddr, force: "true" },
  });
  assert.equal(forced.status, 204, forced.body.toString());
  assert.ok(!(await metadata()).dataNodes.some((n) => n.tcpAddr === gone.tcpAddr));
});

test("POST /join adds a blank meta node; POST /leave on it removes it with our rules and wipes it", async () => {
  const { leader } = await roles();
  const blank = cluster.nodes[3];
  const joined = await call(leader.httpAddr, "POST", "/join", { form: { addr: blank.httpAddr } });
  assert.equal(joined.status, 200, joined.body.toString());
  const info = json<{ id: number }>(joined);
  assert.deepEqual(info, {
    id: info.id,
    addr: blank.httpAddr,
    httpScheme: "",
    tcpAddr: blank.raftAddr,
    version: "",
  });
  await eventually("the new node to be a voter", async () =>
    (await status(leader.httpAddr)).raft.voters.includes(blank.raftAddr),
  );
  const leave = await call(blank.httpAddr, "POST", "/leave");
  assert.equal(leave.status, 204, leave.body.toString());
  assert.equal(leave.body.length, 0);
  assert.equal((await status(blank.httpAddr)).raft.state, "unbootstrapped");
  assert.ok(!(await metadata()).metaNodes.some((n) => n.addr === blank.httpAddr));
  assert.equal((await status(leader.httpAddr)).raft.voters.length, 3);
});

test("POST /remove: an unreachable node needs force (Go ignores it), then is removed in one entry", async () => {
  const { leader, follower } = await roles();
  const target = cluster.nodes[3];
  assert.equal(
    (await call(leader.httpAddr, "POST", "/join", { form: { addr: target.httpAddr } })).status,
    200,
  );
  await eventually("the node to be a voter", async () =>
    (await status(leader.httpAddr)).raft.voters.includes(target.raftAddr),
  );
  await cluster.kill(3);
  const refused = await call(leader.httpAddr, "POST", "/remove", { form: { httpAddr: target.httpAddr } });
  assert.equal(refused.status, 409);
  assert.match(String(json(refused).error), /could not be reached; use -force/);
  assert.ok((await metadata()).metaNodes.some((n) => n.addr === target.httpAddr));
  assert.equal((await call(leader.httpAddr, "POST", "/remove", { form: {} })).status, 400);
  const redirected = await call(follower.httpAddr, "POST", "/remove", {
    form: { httpAddr: target.httpAddr, force: "true" },
  });
  assert.equal(redirected.status, 307);
  const forced = await call(leader.httpAddr, "POST", "/remove", {
    form: { httpAddr: target.httpAddr, force: "true", tcpAddr: target.raftAddr },
  });
  assert.equal(forced.status, 204, forced.body.toString());
  const s = await status(leader.httpAddr);
  assert.ok(!s.raft.voters.includes(target.raftAddr));
  assert.ok(!(await metadata()).metaNodes.some((n) => n.addr === target.httpAddr));
});

test("POST /remove refuses to leave fewer reachable voters than a quorum, unless forced", async () => {
  const { leader } = await roles();
  const followers = [0, 1, 2].filter((i) => cluster.nodes[i].httpAddr !== leader.httpAddr);
  await cluster.kill(followers[0]);
  try {
    const res = await call(leader.httpAddr, "POST", "/remove", {
      form: { httpAddr: cluster.nodes[followers[1]].httpAddr },
    });
    assert.equal(res.status, 409);
    assert.equal(json(res).code, "QUORUM_AT_RISK", res.body.toString());
    assert.match(String(json(res).error), /would leave 1 active voter\(s\), fewer than the quorum of 2/);
    assert.equal((await status(leader.httpAddr)).raft.voters.length, 3);
  } finally {
    await cluster.restart(followers[0]);
  }
});

test("POST /join on a blank node bootstraps a cluster of itself first, then adds the other", async () => {
  const first = cluster.nodes[await cluster.addNode()];
  const second = cluster.nodes[await cluster.addNode()];
  const res = await call(first.httpAddr, "POST", "/join", { form: { addr: second.httpAddr } });
  assert.equal(res.status, 200, res.body.toString());
  assert.equal(json(res).addr, second.httpAddr);
  const s = await status(first.httpAddr);
  assert.equal(s.raft.state, "leader");
  assert.equal(s.id, 1);
  await eventually("both to be voters", async () => (await status(first.httpAddr)).raft.voters.length === 2);
  const busy = await call(first.httpAddr, "POST", "/join", { form: { addr: cluster.nodes[0].httpAddr } });
  assert.equal(busy.status, 409, "a member of another cluster is refused");
  // A blank node asked to add a member of another cluster refuses before bootstrapping itself.
  const third = cluster.nodes[await cluster.addNode()];
  const refused = await call(third.httpAddr, "POST", "/join", { form: { addr: first.httpAddr } });
  assert.equal(refused.status, 409);
  assert.match(String(json(refused).error), /is a member of another cluster: leader=/);
  assert.equal((await status(third.httpAddr)).raft.state, "unbootstrapped");
});
