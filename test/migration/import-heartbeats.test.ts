/**
 * A large import must not starve Raft heartbeats (issue 23): the issue-sized Go `Data` (10,000
 * databases, 100,000 shard groups, 4.6 MB) sent to a formed three-node cluster as one
 * SetDataCommand through /execute, as `influxd-ctl migrate-meta` imports it, leaves every node in
 * the term it was in with the same leader: no node missed heartbeats long enough to campaign, and
 * no leader missed its followers long enough to step down.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { LocalCluster } from "../../src/demo/local-cluster.ts";
import { metaClient, status } from "../support/cluster.ts";
import { largeData } from "../support/large-data.ts";

let cluster: LocalCluster;
before(async () => {
  cluster = await LocalCluster.start({ size: 3 });
});
after(() => cluster?.stop());

/** Each node's term and the leader it follows. */
async function terms(): Promise<{ term: number; leader: string }[]> {
  const all = await Promise.all(cluster.nodes.map((n) => status(n.httpAddr)));
  return all.map((s) => ({ term: s.raft.term, leader: s.leader }));
}

test("importing 100,000 shard groups causes no election: every node keeps its term and leader", async () => {
  const client = metaClient(cluster);
  const ours = await client.data();
  // Let the new leader's view settle (a formed cluster may still be in its first term's start).
  await cluster.waitFor("every node to follow one leader in one term", async () => {
    const t = await terms();
    return t.every((x) => x.leader !== "" && x.leader === t[0].leader && x.term === t[0].term);
  });
  const before = await terms();
  const imported = largeData(10_000, 10);
  const { index } = await client.execute({
    type: "SetDataCommand",
    data: { ...imported, clusterId: ours.clusterId, metaNodes: ours.metaNodes, index: ours.index + 100_000 },
  });
  // Every node has applied it (its long poll answers at that index) …
  for (let i = 0; i < 3; i++) {
    const data = await metaClient(cluster, [i]).data(index);
    assert.equal(data.databases.length, 10_000, `node ${i + 1} holds every database`);
    assert.equal(data.maxShardGroupId, 100_000, `node ${i + 1} holds every shard group`);
  }
  // … and a heartbeat round later, no node has moved to another term or leader.
  await new Promise((r) => setTimeout(r, 1_500));
  assert.deepEqual(await terms(), before);
});
