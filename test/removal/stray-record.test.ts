// remove-meta -force of a stray record (issue 21, item 2): a blank meta node of ours that a Go
// meta cluster added as a voter (Go's `influxd-ctl add-meta`), or a record of a blank node in our
// own metadata. Removing the record wipes nothing, and influxd-ctl must not say it did.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { LocalCluster } from "../../src/demo/local-cluster.ts";
import { request } from "../../src/util/http-client.ts";
import { ctl, metaClient, status } from "../support/cluster.ts";
import { GoMetaCluster } from "../support/go-meta-standin.ts";

let go: GoMetaCluster;
let ours: LocalCluster;
let blank: LocalCluster;

before(async () => {
  go = await GoMetaCluster.start({ meta: 3 });
  ours = await LocalCluster.start({ size: 1 });
  blank = await LocalCluster.start({ size: 2, form: false });
});
after(async () => {
  await Promise.all([go?.stop(), ours?.stop(), blank?.stop()]);
});

test("a Go cluster's stray record of our blank node: remove-meta -force says nothing was wiped", async () => {
  const stray = blank.nodes[0];
  // What Go's influxd-ctl add-meta does: the Go leader reads the blank node's /status and adds it.
  const added = await request(`http://${go.nodes[0].httpAddr}/join`, {
    method: "POST",
    form: { addr: stray.httpAddr },
    timeoutMs: 5_000,
  });
  assert.equal(added.status, 200, added.body.toString());
  assert.equal(go.members.length, 4);

  const r = await ctl(["-bind", go.nodes[0].httpAddr, "remove-meta", "-force", "-y", stray.httpAddr]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout + r.stderr, /meta dir was wiped/);
  assert.match(r.stdout + r.stderr, /Nothing was wiped/);
  assert.match(r.stdout + r.stderr, /was blank before its record was removed: .*nothing was wiped/);
  assert.equal(go.members.length, 3);
  assert.equal((await status(stray.httpAddr)).raft.state, "unbootstrapped");
});

test("our cluster's record of a blank node: remove-meta -force reports nothing wiped, not a failed wipe", async () => {
  const stray = blank.nodes[1];
  const client = metaClient(ours);
  const data = await client.data();
  const record = { id: 50, addr: stray.httpAddr, tcpAddr: stray.raftAddr };
  await client.execute({ type: "SetDataCommand", data: { ...data, metaNodes: [...data.metaNodes, record] } });

  const r = await ctl(["-bind", ours.nodes[0].adminAddr, "remove-meta", "-force", "-y", stray.httpAddr]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout + r.stderr, /was wiped;|did not wipe its meta dir/);
  assert.match(r.stdout + r.stderr, /was blank before its record was removed/);
  assert.ok(!(await client.data()).metaNodes.some((n) => n.addr === stray.httpAddr));
});
