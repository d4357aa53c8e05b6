// Offline recovery of a cluster that lost quorum: peers.json on the survivor (docs/operations.md).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LocalCluster } from "../../src/demo/local-cluster.ts";
import { createDatabases, ctl, metaClient, status } from "../support/cluster.ts";

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

  // The lost nodes' records remain, shown from the Raft configuration as outside it, never as
  // peers; the command show prints drops each record.
  const bind = s.adminAddr;
  const shown = await ctl(["-bind", bind, "show"]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, new RegExp(`^Peers\\s+\\[\\]$`, "m"));
  const show = await cluster.admin(survivor).show();
  const lost = cluster.nodes.filter((_, i) => i !== survivor);
  for (const n of lost) {
    assert.equal(show.meta.find((m) => m.httpAddr === n.httpAddr)?.suffrage, "none");
    const hint = new RegExp(
      `not in the Raft configuration \\(a metadata record only\\); drop it with: (influxd-ctl -bind \\S+ remove-meta -force ${n.httpAddr})`,
    ).exec(shown.stdout);
    assert.ok(hint, shown.stdout);
    const args = hint[1].split(" ").slice(1); // -bind <admin> remove-meta -force <addr>
    const dropped = await ctl([...args.slice(0, 3), "-y", ...args.slice(3)]);
    assert.equal(dropped.code, 0, dropped.stderr);
  }
  const after = await cluster.admin(survivor).show();
  assert.deepEqual(
    after.meta.map((m) => m.httpAddr),
    [s.httpAddr],
  );
});

test("a malformed peers.json stops start-up with a message naming the problem", async () => {
  const i = [0, 1, 2].find((n) => cluster.isRunning(n))!;
  await cluster.kill(i, "SIGTERM");
  writeFileSync(join(cluster.nodes[i].dir, "meta", "raft", "peers.json"), '[{"addr": "x"}]');
  await assert.rejects(cluster.restart(i), /exited with code 1/);
});
