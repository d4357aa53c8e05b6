// Which API is behind -bind: detection, -api, a bare host's port, and the errors that name what
// was found instead. Real servers on loopback: a Go meta cluster stand-in, an InfluxDB data node
// stand-in, a plain HTTP server, and a real influxd (admin service and meta API).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { withDefaultPort } from "../../src/client/detect.ts";
import { MetaApi } from "../../src/client/meta-api.ts";
import { LocalCluster } from "../../src/demo/local-cluster.ts";
import { ctl } from "../support/cluster.ts";
import { GO_VERSION, GoMetaCluster } from "../support/go-meta-standin.ts";

let go: GoMetaCluster;
let plain: http.Server;
let plainAddr: string;
let ours: LocalCluster;

before(async () => {
  go = await GoMetaCluster.start({ meta: 1, data: 1, registered: 1 });
  // Some other web service: 404 for everything, as Go's http.NotFound words it.
  plain = http.createServer((_req, res) =>
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("404 page not found\n"),
  );
  await new Promise<void>((r) => plain.listen(0, "127.0.0.1", r));
  plainAddr = `127.0.0.1:${(plain.address() as AddressInfo).port}`;
  ours = await LocalCluster.start({ size: 1 });
});
after(async () => {
  await go?.stop();
  await new Promise((r) => plain?.close(r));
  await ours?.stop();
});

test("a bare host gets the admin port (the meta port with -api meta), and says so", () => {
  assert.deepEqual(withDefaultPort("node1", "auto"), {
    bind: "node1:8084",
    note: "-bind node1 has no port: using node1:8084 (the admin service port of an influx-cluster node; for a meta API add :8091 or -api meta)",
  });
  assert.deepEqual(withDefaultPort("node1", "meta"), {
    bind: "node1:8091",
    note: "-bind node1 has no port: using node1:8091 (the meta API port)",
  });
  assert.equal(withDefaultPort("[::1]", "admin").bind, "[::1]:8084");
  for (const bind of ["node1:8091", "10.0.0.1:8084", "[::1]:8091"])
    assert.deepEqual(withDefaultPort(bind, "auto"), { bind, note: null });
});

test("influxd-ctl with a bare host prints the assumption first", async () => {
  const r = await ctl(["-bind", "127.0.0.1", "-api", "meta", "-timeout", "1s", "show"]);
  assert.equal(
    r.stderr.split("\n")[0],
    "influxd-ctl: -bind 127.0.0.1 has no port: using 127.0.0.1:8091 (the meta API port)",
  );
});

test("-api admin pointed at a meta API, and -api meta at an admin service: errors that say which it is", async () => {
  const meta = await ctl(["-bind", go.nodes[0].httpAddr, "-api", "admin", "leave", "-y"]);
  assert.equal(meta.code, 1);
  assert.equal(
    meta.stderr,
    `leave: ${go.nodes[0].httpAddr} is a meta API, not an admin service; use -api meta (or leave -api out), or -bind the admin service (host:8084)\n`,
  );
  assert.deepEqual(go.requestsTo("/leave"), [], "nothing was sent to the wrong API");
  const admin = await ctl(["-bind", ours.nodes[0].adminAddr, "-api", "meta", "show"]);
  assert.equal(admin.code, 1);
  assert.equal(
    admin.stderr,
    `show: ${ours.nodes[0].adminAddr} is an influx-cluster admin service, not a meta API; use -api admin (or leave -api out), or -bind the meta node (host:8091)\n`,
  );
});

test("a data node's HTTP API and an unrelated web server are named, not used", async () => {
  const data = await ctl(["-bind", go.dataNodes[0].httpAddr, "show"]);
  assert.equal(data.code, 1);
  assert.equal(
    data.stderr,
    `show: ${go.dataNodes[0].httpAddr} is the HTTP API of an InfluxDB data node (version ${GO_VERSION}), not a cluster management API; point -bind at an influx-cluster admin service (host:8084) or at a meta node's API (host:8091)\n`,
  );
  const other = await ctl(["-bind", plainAddr, "show"]);
  assert.equal(other.code, 1);
  assert.equal(
    other.stderr,
    `show: ${plainAddr} is not an InfluxDB cluster service (GET /ping → HTTP 404, GET /status → HTTP 404); point -bind at an influx-cluster admin service (host:8084) or at a meta node's API (host:8091)\n`,
  );
});

test("nothing listening: one line naming the address and the connection error", async () => {
  const closed = http.createServer();
  await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  const r = await ctl(["-bind", `127.0.0.1:${port}`, "show"]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `show: 127.0.0.1:${port}: connection refused\n`);
});

test("an endpoint the meta node does not have: the 404 text, and that the command is not supported there", async () => {
  const api = new MetaApi({ bind: plainAddr, access: { scheme: "http" }, timeoutMs: 2000 });
  await assert.rejects(
    api.showShards(false),
    new RegExp(
      `^Error: ${plainAddr.replace(/\./g, "\\.")} has no /show-shards endpoint \\(HTTP 404: 404 page not found\\)`,
    ),
  );
});

test("our influxd: -bind the meta API (8091) works directly, and -json show has the admin service's shape", async () => {
  const node = ours.nodes[0];
  const [viaAdmin, viaMeta] = await Promise.all([
    ctl(["-bind", node.adminAddr, "-json", "show"]),
    ctl(["-bind", node.httpAddr, "-json", "show"]),
  ]);
  assert.equal(viaAdmin.code, 0, viaAdmin.stderr);
  assert.equal(viaMeta.code, 0, viaMeta.stderr);
  const a = JSON.parse(viaAdmin.stdout);
  const m = JSON.parse(viaMeta.stdout);
  const keys = (o: object) => Object.keys(o).sort();
  assert.deepEqual(keys(m), keys(a));
  assert.deepEqual(m.meta.map(keys), a.meta.map(keys));
  // Our /status reports the Raft state, so direct mode knows it exactly.
  assert.deepEqual(m.self, a.self);
  assert.deepEqual(m.leader, a.leader);
  assert.deepEqual(
    m.meta.map((n: { state: string; suffrage: string; reachable: boolean }) => [
      n.state,
      n.suffrage,
      n.reachable,
    ]),
    a.meta.map((n: { state: string; suffrage: string; reachable: boolean }) => [
      n.state,
      n.suffrage,
      n.reachable,
    ]),
  );
  assert.equal(m.meta[0].version, a.meta[0].version);
  assert.notEqual(m.meta[0].version, "");
});
