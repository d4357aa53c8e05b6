// The meta service's HTTP API (docs/http-api.md) on a real influxd process.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { LocalCluster } from "../../src/demo/local-cluster.ts";
import { decodeData, decodeResponse, encodeCommand } from "../../src/proto/index.ts";
import { request } from "../../src/util/http-client.ts";
import { gunzipSync } from "node:zlib";
import type { StatusJson } from "../../src/meta/service.ts";
import { VERSION } from "../../src/version.ts";

let cluster: LocalCluster;
let base: string;
before(async () => {
  cluster = await LocalCluster.start({ size: 2, form: false });
  base = `http://${cluster.nodes[0].httpAddr}`;
});
after(() => cluster?.stop());

const get = (path: string, timeoutMs = 5000) => request(base + path, { timeoutMs });
const post = (path: string, body: Uint8Array, contentType = "application/octet-stream") =>
  request(base + path, { method: "POST", body, contentType, timeoutMs: 10_000 });
const json = (res: { body: Buffer }) => JSON.parse(res.body.toString()) as Record<string, unknown>;

test("a blank node: empty /ping, unbootstrapped /status, /execute answers 503 no leader", async () => {
  const ping = await get("/ping");
  assert.equal(ping.status, 200);
  assert.equal(ping.body.toString(), "");
  const head = await request(base + "/ping", { method: "HEAD", timeoutMs: 2000 });
  assert.equal(head.status, 200);
  const status = json(await get("/status")) as unknown as StatusJson;
  assert.equal(status.raft.state, "unbootstrapped");
  assert.equal(status.nodeType, "meta");
  assert.equal(status.httpAddr, cluster.nodes[0].httpAddr);
  assert.equal(status.raftAddr, cluster.nodes[0].raftAddr);
  const exec = await post("/execute", encodeCommand({ type: "CreateDatabaseCommand", name: "x" }));
  assert.equal(exec.status, 503);
  assert.equal(exec.headers["retry-after"], "1");
  assert.deepEqual(json(exec), { error: "no leader", code: "NO_LEADER" });
});

test("after bootstrap: /ping names the leader, /execute applies and returns the index, /peers and /show-cluster agree", async () => {
  await cluster.admin(0).addMeta(cluster.nodes[0].httpAddr);
  assert.equal((await get("/ping")).body.toString(), cluster.nodes[0].raftAddr);
  const exec = await post("/execute", encodeCommand({ type: "CreateDatabaseCommand", name: "db1" }));
  assert.equal(exec.status, 200);
  const response = decodeResponse(exec.body);
  assert.equal(response.ok, true);
  assert.ok((response.index ?? 0) > 0);
  const failed = decodeResponse(
    (await post("/execute", encodeCommand({ type: "DropUserCommand", name: "nobody" }))).body,
  );
  assert.deepEqual([failed.ok, failed.error], [false, "user not found"]);
  assert.deepEqual(json(await get("/peers")), [cluster.nodes[0].raftAddr] as unknown as Record<
    string,
    unknown
  >);
  const show = json(await get("/show-cluster")) as {
    meta: { id: number; addr: string; tcpAddr: string }[];
    data: unknown[];
  };
  // Go's MetaNodeInfo: this node fills in its own scheme and version.
  assert.deepEqual(show.meta, [
    {
      id: 1,
      addr: cluster.nodes[0].httpAddr,
      httpScheme: "http",
      tcpAddr: cluster.nodes[0].raftAddr,
      version: VERSION,
    },
  ]);
  assert.deepEqual(show.data, []);
});

test("long poll: GET /?index=N answers at once when newer data exists, else when the next write lands", async () => {
  const now = decodeData((await get("/?index=0")).body);
  assert.ok(now.databases.some((d) => d.name === "db1"));
  const started = performance.now();
  const waiting = get(`/?index=${now.index}&timeout=10s`, 15_000);
  await new Promise((r) => setTimeout(r, 200));
  await post("/execute", encodeCommand({ type: "CreateDatabaseCommand", name: "db2" }));
  const woke = decodeData((await waiting).body);
  assert.ok(woke.index > now.index);
  assert.ok(woke.databases.some((d) => d.name === "db2"));
  assert.ok(performance.now() - started < 10_000, "woken by the write, not by the timeout");
  const timedOut = await get(`/?index=${woke.index}&timeout=100ms`);
  assert.equal(decodeData(timedOut.body).index, woke.index, "at the timeout it answers with what it has");
  assert.equal((await get("/?index=abc")).status, 400);
});

test("long poll with Accept-Encoding: gzip answers gzip bodies of the same Data; without it, plain bytes", async () => {
  const now = decodeData((await get("/?index=0")).body);
  const poll = (headers: Record<string, string>) =>
    request(`${base}/?index=${now.index}&timeout=10s`, { timeoutMs: 15_000, headers });
  const plain = Array.from({ length: 4 }, () => poll({}));
  const gzipped = Array.from({ length: 4 }, () => poll({ "accept-encoding": "gzip, deflate" }));
  await new Promise((r) => setTimeout(r, 200));
  await post("/execute", encodeCommand({ type: "CreateDatabaseCommand", name: "gzip-db" }));
  const plainAnswers = await Promise.all(plain);
  const gzipAnswers = await Promise.all(gzipped);
  const raw = plainAnswers[0].body;
  for (const res of plainAnswers) {
    assert.equal(res.headers["content-encoding"], undefined);
    assert.deepEqual(res.body, raw);
  }
  for (const res of gzipAnswers) {
    assert.equal(res.headers["content-encoding"], "gzip");
    assert.equal(res.headers.vary, "Accept-Encoding");
    assert.deepEqual(gunzipSync(res.body), raw);
  }
  const data = decodeData(raw);
  assert.ok(data.index > now.index);
  assert.ok(data.databases.some((d) => d.name === "gzip-db"));
});

test("a follower answers /execute with 307 to the leader's /execute", async () => {
  await cluster.admin(0).addMeta(cluster.nodes[1].httpAddr);
  await cluster.waitFor("node 2 to follow", async () => {
    const s = json(
      await request(`http://${cluster.nodes[1].httpAddr}/status`, { timeoutMs: 1000 }),
    ) as unknown as StatusJson;
    // It must also have applied the leader's MetaNodes record to know where to redirect.
    return s.leader === cluster.nodes[0].raftAddr && s.leaderHttp === cluster.nodes[0].httpAddr;
  });
  const res = await request(`http://${cluster.nodes[1].httpAddr}/execute`, {
    method: "POST",
    body: encodeCommand({ type: "CreateDatabaseCommand", name: "db3" }),
    contentType: "application/octet-stream",
    timeoutMs: 5000,
  });
  assert.equal(res.status, 307);
  assert.equal(res.headers.location, `${base}/execute`);
});

test("errors are JSON, with request ids; wrong method 405; unknown path 404; missing join parameters 400", async () => {
  const res = await request(base + "/execute", { timeoutMs: 2000, headers: { "x-request-id": "req-42" } });
  assert.equal(res.status, 405);
  assert.deepEqual(json(res), { error: "use POST /execute" });
  assert.equal(res.headers["x-request-id"], "req-42");
  assert.equal((await get("/nope")).status, 404);
  // The node-to-node join (with raftAddr) names what is missing; the Enterprise form needs addr.
  const join = await request(base + "/join", {
    method: "POST",
    form: { addr: "x:1", raftAddr: "x:2" },
    timeoutMs: 2000,
  });
  assert.equal(join.status, 400);
  assert.deepEqual(json(join), { error: 'missing parameter "serverId"' });
  const enterpriseJoin = await request(base + "/join", { method: "POST", form: {}, timeoutMs: 2000 });
  assert.equal(enterpriseJoin.status, 400);
  assert.deepEqual(json(enterpriseJoin), { error: "addr is required" });
  const stray = await post("/remove-meta", new Uint8Array());
  assert.equal(stray.status, 409);
  assert.match(String(json(stray).error), /is still a member of the cluster/);
});

test("/status startedAt is the process's start: the same on every answer, new once the node restarts", async () => {
  const node = cluster.nodes[1];
  const startedAt = async () =>
    (
      JSON.parse(
        (await request(`http://${node.httpAddr}/status`, { timeoutMs: 5000 })).body.toString(),
      ) as StatusJson
    ).startedAt;
  const first = await startedAt();
  assert.ok(!Number.isNaN(Date.parse(first)), `an ISO 8601 time: ${first}`);
  assert.equal(await startedAt(), first);
  await cluster.restart(1);
  const second = await startedAt();
  assert.ok(Date.parse(second) > Date.parse(first), `${second} after ${first}`);
});
