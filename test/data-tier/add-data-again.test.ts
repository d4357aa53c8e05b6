// add-data of a data node that is registered already (issue 21, item 8): the node is told this
// tier's meta servers again (JoinCluster with update=true) and influxd-ctl says so; when it cannot
// be told, the answer says exactly what was not done. Real influxd, a data-node stand-in on TCP.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
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

test("add-data on a follower that has not applied the record yet decides on the leader's metadata: the node is told again, not joined anew", async () => {
  // Three nodes whose followers wait 2.5-5 s before they give up on a silent leader: one of them
  // is cut off from Raft (its HTTP still answers) and lags, while the other keeps the quorum.
  const slow = await LocalCluster.start({
    size: 3,
    env: { INFLUXD_TEST_FAULTS: "1" },
    meta: { "election-timeout": "5s", "heartbeat-timeout": "5s" },
  });
  const node = await DataNodeStandIn.start();
  try {
    const leader = await slow.leaderIndex();
    // Not the first meta server: the data node reads its own record there after registering.
    const first = (await metaClient(slow, [leader]).data()).metaNodes[0].addr;
    const lagging = [0, 1, 2].find((i) => i !== leader && slow.nodes[i].httpAddr !== first)!;
    const cut = `${slow.nodes[lagging].dir}/meta.raft-cut`;
    writeFileSync(cut, "");
    await new Promise((r) => setTimeout(r, 200)); // the switch is polled every 50 ms
    const added = await ctl(["-bind", slow.nodes[leader].adminAddr, "add-data", node.tcpAddr]);
    assert.equal(added.code, 0, added.stderr);
    const local = await metaClient(slow, [lagging]).data();
    assert.ok(
      !local.dataNodes.some((n) => n.tcpAddr === node.tcpAddr),
      "the cut follower has not applied it",
    );
    const again = await ctl(["-bind", slow.nodes[lagging].adminAddr, "add-data", node.tcpAddr]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /was registered already: told it the meta servers again/);
    const told = node.received.filter((r) => r.kind === "join");
    assert.deepEqual(
      told.map((r) => r.kind === "join" && r.request.update),
      [false, true],
    );
    rmSync(cut);
    const leaderData = await metaClient(slow, [leader]).data();
    assert.equal(leaderData.dataNodes.filter((n) => n.tcpAddr === node.tcpAddr).length, 1);
  } finally {
    await node.stop();
    await slow.stop();
  }
});
