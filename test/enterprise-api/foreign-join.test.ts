// Joining only what we can join (issue 21, items 2 and 7): real influxd processes against the Go
// meta tier's stand-in. `join`, `influxd -join` and `add-meta` (ours, and Go's through POST /join)
// identify the other side from GET /status first: a Go meta node gets one 409 FOREIGN_META_NODE
// refusal, never a 500 or "Successfully joined", and is never sent the /join that would make its
// Raft add ours as a voter that can never vote.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as net from "node:net";
import { LocalCluster } from "../../src/demo/local-cluster.ts";
import { encodeCommand } from "../../src/proto/index.ts";
import { ClusterPoller } from "../../src/tui/poller.ts";
import { request } from "../../src/util/http-client.ts";
import { ctl, metaClient, spawnInfluxd, status } from "../support/cluster.ts";
import { GoMetaCluster } from "../support/go-meta-standin.ts";

let ours: LocalCluster;
let blank: LocalCluster;
let go: GoMetaCluster;

before(async () => {
  go = await GoMetaCluster.start({ meta: 3 });
  ours = await LocalCluster.start({ size: 1 });
  blank = await LocalCluster.start({ size: 2, form: false });
});
after(async () => {
  await Promise.all([ours?.stop(), blank?.stop(), go?.stop()]);
});

const goAddr = () => go.nodes[0].httpAddr;
const json = (body: Buffer) => JSON.parse(body.toString("utf8")) as { error: string; code?: string };

/** Nothing reached the Go cluster that adds a node, and its membership is what it was. */
function assertGoUntouched(): void {
  assert.deepEqual(go.requestsTo("/join"), [], "no /join may reach a Go meta node");
  assert.equal(go.members.length, 3);
}

test("influxd-ctl join of a Go meta node is refused with FOREIGN_META_NODE; nothing is sent to it", async () => {
  const r = await ctl(["-bind", blank.nodes[0].adminAddr, "join", goAddr()]);
  assert.notEqual(r.code, 0, r.stdout);
  assert.doesNotMatch(r.stdout, /Successfully joined/);
  assert.match(r.stderr, /is a Go or Enterprise meta node \(version 1\.8\.11-c1\.2\.0\)/);
  assert.match(r.stderr, /migrate-meta -from/);
  const direct = await request(`http://${blank.nodes[0].adminAddr}/join`, {
    method: "POST",
    form: { addr: goAddr() },
    timeoutMs: 10_000,
  });
  assert.equal(direct.status, 409);
  assert.equal(json(direct.body).code, "FOREIGN_META_NODE");
  assert.equal((await status(blank.nodes[0].httpAddr)).raft.state, "unbootstrapped");
  assertGoUntouched();
});

test("add-meta of a Go meta node, ours or Go's (POST /join on 8091), is a 409 refusal, not a 500", async () => {
  const r = await ctl(["-bind", ours.nodes[0].adminAddr, "add-meta", goAddr()]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Go or Enterprise meta node/);
  assert.doesNotMatch(r.stderr, /Cannot read properties/);
  // Go's influxd-ctl add-meta X posts addr=X to a member's 8091, and to a blank node's.
  for (const node of [ours.nodes[0], blank.nodes[1]]) {
    const res = await request(`http://${node.httpAddr}/join`, {
      method: "POST",
      form: { addr: goAddr() },
      timeoutMs: 10_000,
    });
    assert.equal(res.status, 409, res.body.toString());
    assert.equal(json(res.body).code, "FOREIGN_META_NODE");
    assert.match(json(res.body).error, /Go or Enterprise meta node/);
  }
  // The refused request left the blank node blank (it bootstraps only for a node it can add).
  assert.equal((await status(blank.nodes[1].httpAddr)).raft.state, "unbootstrapped");
  assert.equal((await metaClient(ours).data()).metaNodes.length, 1);
  assertGoUntouched();
});

test("influxd -join <Go meta node> exits 1 with the refusal and sends it no /join", async () => {
  const node = blank.nodes[1];
  await blank.kill(1, "SIGTERM");
  const run = spawnInfluxd(["-config", node.configFile, "-join", goAddr()]);
  const timeout = setTimeout(() => run.child.kill("SIGKILL"), 20_000);
  const code = await run.exited;
  clearTimeout(timeout);
  assert.equal(code, 1, run.output().stderr);
  assert.match(run.output().stderr, /influxd: meta node \S+ is a Go or Enterprise meta node/);
  assertGoUntouched();
});

test("show and ctl show survive a metadata record of a Go meta node (state unknown)", async () => {
  const client = metaClient(ours);
  const data = await client.data();
  const stray = { id: 99, addr: goAddr(), tcpAddr: go.nodes[0].raftAddr };
  await client.execute({ type: "SetDataCommand", data: { ...data, metaNodes: [...data.metaNodes, stray] } });
  const show = await ours.admin(0).show();
  const row = show.meta.find((m) => m.id === 99);
  assert.equal(row?.state, "unknown");
  assert.equal(row?.version, "1.8.11-c1.2.0");
  assert.equal(row?.suffrage, "none");
  const r = await ctl(["-bind", ours.nodes[0].adminAddr, "show"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(goAddr().replace(/\./g, "\\.")));
  // The TUI's poller composes its rows from the same /show and each node's own /status.
  const poller = new ClusterPoller({ admin: ours.admin(0), timeoutMs: 2_000, onSnapshot: () => {} });
  try {
    const tuiRow = (await poller.pollOnce()).rows.find((x) => x.httpAddr === goAddr());
    assert.equal(tuiRow?.up, true);
    assert.equal(tuiRow?.suffrage, "none");
  } finally {
    await poller.stop();
  }
});

test("a SetDataCommand whose Data drops this cluster's own meta nodes is refused (409), metadata unchanged", async () => {
  const client = metaClient(ours);
  const before = await client.data();
  const foreign = { ...before, metaNodes: [{ id: 1, addr: goAddr(), tcpAddr: go.nodes[0].raftAddr }] };
  await assert.rejects(client.execute({ type: "SetDataCommand", data: foreign }), (err: Error) => {
    assert.match(err.message, /SetDataCommand refused: its Data drops meta node 1/);
    return true;
  });
  const after = await client.data();
  assert.deepEqual(
    after.metaNodes.map((n) => n.addr),
    before.metaNodes.map((n) => n.addr),
  );
  const res = await request(`http://${ours.nodes[0].httpAddr}/execute`, {
    method: "POST",
    body: encodeCommand({ type: "SetDataCommand", data: foreign }),
    contentType: "application/octet-stream",
    timeoutMs: 10_000,
  });
  assert.equal(res.status, 409);
  assert.equal(json(res.body).code, "SET_DATA_DROPS_META_NODES");
});

test("our Raft port names hashicorp/raft (a Go meta node dialling it) once per peer, not as a malformed frame", async () => {
  const node = ours.nodes[0];
  const [host, port] = [node.raftAddr.split(":")[0], Number(node.raftAddr.split(":")[1])];
  // What a Go meta node sends first: InfluxDB's Raft mux byte, AppendEntries, a msgpack map.
  const appendEntries = Buffer.from([0x08, 0x00, 0x89, 0xa4, ...Buffer.from("Term"), 0x05]);
  for (let i = 0; i < 3; i++) {
    await new Promise<void>((done) => {
      const socket = net.connect(port, host, () => socket.write(appendEntries));
      socket.on("close", () => done());
      socket.on("error", () => undefined);
      socket.setTimeout(3_000, () => socket.destroy());
    });
  }
  await ours.waitFor("the log line", async () => foreignLines(node.logFile).length > 0, 5_000);
  await new Promise((r) => setTimeout(r, 300));
  const lines = foreignLines(node.logFile);
  assert.equal(lines.length, 1, JSON.stringify(lines));
  assert.match(
    lines[0].msg,
    /^raft connection from 127\.0\.0\.1:\d+ speaks hashicorp\/raft \(a Go\/Enterprise meta node: InfluxDB mux byte 8, AppendEntries RPC, msgpack\)$/,
  );
  assert.ok(!readFileSync(node.logFile, "utf8").includes("malformed frame"));
});

function foreignLines(logFile: string): { msg: string }[] {
  return readFileSync(logFile, "utf8")
    .split("\n")
    .filter((l) => l.includes("hashicorp/raft"))
    .map((l) => JSON.parse(l) as { msg: string });
}
