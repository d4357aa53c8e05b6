// add-data of a data node that is registered already (issue 21, item 8): the node is told this
// tier's meta servers again (JoinCluster with update=true) and influxd-ctl says so; when it cannot
// be told, the answer says exactly what was not done. Real influxd, a data-node stand-in on TCP.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { LocalCluster } from "../../src/demo/local-cluster.ts";
import { ctl, metaClient } from "../support/cluster.ts";
import { DataNodeStandIn } from "../support/data-node.ts";

let cluster: LocalCluster;
let data: DataNodeStandIn;

before(async () => {
  cluster = await LocalCluster.start({ size: 2 });
  data = await DataNodeStandIn.start();
});
after(async () => {
  await data?.stop();
  await cluster?.stop();
});

const joins = () => data.received.filter((r) => r.kind === "join");

test("add-data of a registered node sends JoinCluster with update and says it was registered already", async () => {
  const bind = cluster.nodes[0].adminAddr;
  const first = await ctl(["-bind", bind, "add-data", data.tcpAddr]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^Added data node (\d+) at /);
  const id = (await metaClient(cluster).data()).dataNodes.find((n) => n.tcpAddr === data.tcpAddr)?.id;

  // The node has lost track of part of the tier (a stale server beside a current one).
  data.metaServers = [cluster.nodes[1].httpAddr, "127.0.0.1:1"];
  const before = joins().length;
  const again = await ctl(["-bind", bind, "add-data", data.tcpAddr]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(
    again.stdout.trim(),
    `Data node ${id} at ${data.tcpAddr} was registered already: told it the meta servers again`,
  );
  const sent = joins().slice(before);
  assert.equal(sent.length, 1);
  assert.equal(sent[0].kind === "join" && sent[0].request.update, true);
  assert.deepEqual([...data.metaServers].sort(), cluster.nodes.map((n) => n.httpAddr).sort());
  assert.equal(
    (await metaClient(cluster).data()).dataNodes.filter((n) => n.tcpAddr === data.tcpAddr).length,
    1,
  );
});

test("add-data of a registered node that cannot be told: a refusal naming what was not done", async () => {
  await data.stop();
  const r = await ctl(["-bind", cluster.nodes[0].adminAddr, "add-data", data.tcpAddr]);
  assert.notEqual(r.code, 0);
  assert.doesNotMatch(r.stdout, /Added data node/);
  assert.match(
    r.stderr,
    /data node \d+ at \S+ is registered already, but telling it the meta servers \[.*\] failed: .*; its record was kept and nothing else was changed/,
  );
});
