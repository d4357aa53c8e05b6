// influxd-ctl managing our own influxd through its meta API only (8091, `[admin_cluster]
// enabled = false`), as an InfluxDB Enterprise operator would: forming the cluster, show,
// removals (the client's plan, then our nodes' own safety rules and wipe), join, leave, data nodes
// (a data-node stand-in on a real TCP port) and shards. Real influxd processes on loopback.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { MetaApi } from "../../src/client/meta-api.ts";
import { LocalCluster } from "../../src/demo/local-cluster.ts";
import { ClusterPoller } from "../../src/tui/poller.ts";
import { request } from "../../src/util/http-client.ts";
import { VERSION } from "../../src/version.ts";
import { ctl, status } from "../support/cluster.ts";
import { DataNodeStandIn } from "../support/data-node.ts";

let cluster: LocalCluster;
let data: DataNodeStandIn;
before(async () => {
  cluster = await LocalCluster.start({ size: 3, form: false, adminService: false });
  data = await DataNodeStandIn.start();
});
after(async () => {
  await data?.stop();
  await cluster?.stop();
});

const esc = (s: string) => s.replace(/[.[\]]/g, "\\$&");
const addr = (i: number) => cluster.nodes[i].httpAddr;

async function showJson(bind: string) {
  const r = await ctl(["-bind", bind, "-json", "show"]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as {
    leader: { httpAddr: string } | null;
    meta: {
      id: number;
      httpAddr: string;
      state: string;
      suffrage: string;
      reachable: boolean;
      version: string;
    }[];
    data: { id: number; tcpAddr: string }[];
  };
}

async function votersUp(bind: string, n: number) {
  await cluster.waitFor(`${n} voters`, async () => {
    const s = await showJson(bind).catch(() => null);
    return s !== null && s.meta.length === n && s.meta.every((m) => m.suffrage === "voter" && m.reachable);
  });
}

test("no admin service: the admin port is closed, and the cluster is formed with add-meta on 8091", async () => {
  const closed = await request(`http://${cluster.nodes[0].adminAddr}/ping`, { timeoutMs: 1000 }).catch(
    (e: Error) => e,
  );
  assert.ok(closed instanceof Error, "nothing listens on the admin port");
  const first = await ctl(["-bind", addr(0), "add-meta", addr(0)]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout, `Added meta node 1 at ${addr(0)}\n`);
  for (const i of [1, 2]) {
    const r = await ctl(["-bind", addr(0), "add-meta", addr(i)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Added meta node \\d+ at ${esc(addr(i))}\n$`));
  }
  await votersUp(addr(1), 3);
  const text = await ctl(["-bind", addr(1), "show"]);
  assert.equal(text.code, 0, text.stderr);
  for (const n of cluster.nodes)
    assert.match(text.stdout, new RegExp(`${esc(n.raftAddr)} +${esc(n.httpAddr)} +${esc(VERSION)} `));
  const json = await showJson(addr(1));
  assert.deepEqual(json.meta.map((m) => m.state).sort(), ["follower", "follower", "leader"]);
});

test("the TUI's poller through our meta API: every Raft column reported, so nothing is marked unknown", async () => {
  const poller = new ClusterPoller({
    admin: new MetaApi({ bind: addr(2), access: { scheme: "http" }, timeoutMs: 2000 }),
    timeoutMs: 2000,
    onSnapshot: () => undefined,
  });
  try {
    const snapshot = await poller.pollOnce();
    assert.equal(snapshot.adminError, null);
    assert.equal(snapshot.raftUnreported, false);
    assert.equal(snapshot.votersUp, 3);
    assert.notEqual(snapshot.leaderHttp, null);
    assert.deepEqual(snapshot.rows.map((r) => r.state).sort(), ["follower", "follower", "leader"]);
    for (const row of snapshot.rows) assert.ok(row.term !== null && row.term > 0 && row.commitIndex !== null);
  } finally {
    await poller.stop();
  }
});

test("remove-meta -y of a follower: our node leaves and wipes itself; join brings it back", async () => {
  const leader = await cluster.leaderIndex();
  const target = [0, 1, 2].find((i) => i !== leader)!;
  const r = await ctl(["-bind", addr(leader), "remove-meta", "-y", addr(target)]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    new RegExp(
      `^Removed meta node \\d+ at ${esc(addr(target))}\nIts meta dir was wiped; it runs on as a blank node that can be added again\\.\n$`,
    ),
  );
  assert.equal((await status(addr(target))).raft.state, "unbootstrapped");
  assert.equal((await showJson(addr(leader))).meta.length, 2);

  const joined = await ctl(["-bind", addr(target), "join", addr(leader)]);
  assert.equal(joined.code, 0, joined.stderr);
  assert.match(
    joined.stdout,
    new RegExp(`^Successfully joined cluster\n  \\* Added meta node \\d+ at ${esc(addr(target))}\n$`),
  );
  await votersUp(addr(leader), 3);
});

test("a killed node: refused without -force; -force removes it through the leader", async () => {
  const leader = await cluster.leaderIndex();
  const victim = [0, 1, 2].find((i) => i !== leader)!;
  await cluster.kill(victim);
  const refused = await ctl(["-bind", addr(leader), "remove-meta", "-y", addr(victim)]);
  assert.equal(refused.code, 1);
  assert.equal(
    refused.stderr,
    `remove-meta: meta node ${addr(victim)} could not be reached; use -force to remove an unreachable node\n`,
  );
  const forced = await ctl(["-bind", addr(leader), "remove-meta", "-force", "-y", addr(victim)]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /Its meta dir was not wiped \(the node was unreachable\)\./);
  assert.deepEqual((await showJson(addr(leader))).meta.map((m) => m.httpAddr).includes(addr(victim)), false);
});

test("data nodes and shards through 8091: add-data tells the data node, remove-data tells it to leave", async () => {
  const leader = await cluster.leaderIndex();
  const follower = [0, 1, 2].find((i) => i !== leader && cluster.isRunning(i))!;
  const added = await ctl(["-bind", addr(follower), "add-data", data.tcpAddr]);
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, new RegExp(`^Added data node \\d+ at ${esc(data.tcpAddr)}\n$`));
  assert.ok(
    data.received.some((r) => r.kind === "join"),
    "the data node was told its meta servers",
  );
  assert.deepEqual(
    (await showJson(addr(follower))).data.map((d) => d.tcpAddr),
    [data.tcpAddr],
  );

  const shards = await ctl(["-bind", addr(follower), "show-shards"]);
  assert.equal(shards.code, 0, shards.stderr);
  assert.match(shards.stdout, /^Shards\n==========\nID +Database +Retention Policy/);
  const truncated = await ctl(["-bind", addr(follower), "truncate-shards", "-delay", "1m"]);
  assert.equal(truncated.code, 0, truncated.stderr);
  assert.equal(truncated.stdout, "Truncated shards.\n");

  const removed = await ctl(["-bind", addr(follower), "remove-data", "-y", data.tcpAddr]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.match(removed.stdout, new RegExp(`^Removed data node \\d+ at ${esc(data.tcpAddr)}\n$`));
  assert.ok(
    data.received.some((r) => r.kind === "leave"),
    "the data node was told to leave",
  );
  assert.deepEqual((await showJson(addr(follower))).data, []);
});

test("leave -y on the leader: leadership moves first; the last voter is refused", async () => {
  const leader = await cluster.leaderIndex();
  const other = [0, 1, 2].find((i) => i !== leader && cluster.isRunning(i))!;
  const left = await ctl(["-bind", addr(leader), "leave", "-y"]);
  assert.equal(left.code, 0, left.stderr);
  assert.match(
    left.stdout,
    new RegExp(
      `^Successfully left cluster\n  \\* Removed meta node \\d+ at ${esc(addr(leader))} from cluster`,
    ),
  );
  assert.equal((await status(addr(leader))).raft.state, "unbootstrapped");
  assert.equal(await cluster.leaderIndex(), other);

  const last = await ctl(["-bind", addr(other), "leave", "-y"]);
  assert.equal(last.code, 1);
  assert.equal(
    last.stderr,
    `leave: meta node ${addr(other)} is the last voter; removing it would leave no cluster\n`,
  );
});
