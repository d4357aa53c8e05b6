// Offline recovery of a cluster that lost quorum: peers.json on the survivor (docs/operations.md).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LocalCluster } from "../../src/daemon/local-cluster.ts";
import { createDatabases, metaClient, status } from "../support/cluster.ts";

let cluster: LocalCluster;
after(() => cluster?.stop());

test("two of three nodes lost for good: peers.json on the survivor brings the metadata back as a one-node cluster", async () => {
  cluster = await LocalCluster.start({ size: 3 });
  const acked = await createDatabases(metaClient(cluster), "kept", 10);
  const leader = await cluster.leaderIndex();
  const survivor = [0, 1, 2].find((i) => i !== leader)!;
  for (const i of [0, 1, 2].filter((i) => i !== survivor)) await cluster.kill(i, "SIGKILL");
  const s = cluster.nodes[survivor];
  // Without quorum the survivor cannot elect itself.
  await new Promise((r) => setTimeout(r, 1500));
  assert.notEqual((await status(s.httpAddr)).raft.state, "leader");

  await cluster.kill(survivor, "SIGTERM");
  const peersFile = join(s.dir, "meta", "raft", "peers.json");
  writeFileSync(peersFile, JSON.stringify([{ address: s.raftAddr }]));
  await cluster.restart(survivor);
  await cluster.waitFor(
    "the survivor to lead alone",
    async () => (await status(s.httpAddr)).raft.state === "leader",
  );
  assert.ok(!existsSync(peersFile), "peers.json is deleted once applied");
  const st = await status(s.httpAddr);
  assert.deepEqual(st.raft.voters, [s.raftAddr]);
  const client = metaClient(cluster, [survivor]);
  const data = await client.data();
  for (const name of acked)
    assert.ok(
      data.databases.some((d) => d.name === name),
      `${name} survived recovery`,
    );
  await client.execute({ type: "CreateDatabaseCommand", name: "after-recovery" });
});

test("a malformed peers.json stops start-up with a message naming the problem", async () => {
  const i = [0, 1, 2].find((n) => cluster.isRunning(n))!;
  await cluster.kill(i, "SIGTERM");
  writeFileSync(join(cluster.nodes[i].dir, "meta", "raft", "peers.json"), '[{"addr": "x"}]');
  await assert.rejects(cluster.restart(i), /exited with code 1/);
});
