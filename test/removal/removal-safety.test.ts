// Removal safety on real influxd processes (docs/operations.md, "Removal guarantees"): Raft
// reachability from the leader's view, rules checked when the leader appends the change,
// -tcpAddr agreement, transient Raft states retried, a removed node that comes back, no second
// cluster from a removed node, `show` without a leader, and the 503s clients retry.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { LocalCluster } from "../../src/demo/local-cluster.ts";
import { encodeCommand } from "../../src/proto/index.ts";
import { HttpStatusError, request } from "../../src/util/http-client.ts";
import type { StatusJson } from "../../src/meta/service.ts";
import { ctl, metaClient, status } from "../support/cluster.ts";

const clusters: LocalCluster[] = [];
async function start(size = 3, opts: { faults?: boolean } = {}): Promise<LocalCluster> {
  const c = await LocalCluster.start({ size, env: opts.faults ? { INFLUXD_TEST_FAULTS: "1" } : {} });
  clusters.push(c);
  return c;
}
after(() => Promise.all(clusters.map((c) => c.stop())));

/** Cuts (or restores) a node's Raft link while its HTTP keeps answering (src/daemon/raft-link.ts). */
function cutRaft(cluster: LocalCluster, i: number, cut: boolean): void {
  const file = `${cluster.nodes[i].dir}/meta.raft-cut`;
  if (cut) writeFileSync(file, "");
  else rmSync(file, { force: true });
}

/** `influxd-ctl -bind <admin of node via> remove-meta -y <args>`, the real executable. */
function removeMeta(cluster: LocalCluster, via: number, ...args: string[]) {
  return ctl(["-bind", cluster.nodes[via].adminAddr, "remove-meta", "-y", ...args]);
}

async function leaderStatus(cluster: LocalCluster): Promise<StatusJson> {
  return status(cluster.nodes[await cluster.leaderIndex()].httpAddr);
}

async function rejection(p: Promise<unknown>): Promise<HttpStatusError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof HttpStatusError, `expected a refusal, got ${String(err)}`);
  return err;
}

test("a voter whose Raft port is cut is not counted: the plan shows HTTP up, Raft inactive, and refuses", async () => {
  const cluster = await start(3, { faults: true });
  const leader = await cluster.leaderIndex();
  const [cut, target] = [0, 1, 2].filter((i) => i !== leader);
  cutRaft(cluster, cut, true);
  await cluster.waitFor("the leader to see the cut voter inactive", async () => {
    const s = await status(cluster.nodes[leader].httpAddr);
    return s.raft.servers.some((v) => v.address === cluster.nodes[cut].raftAddr && v.active === false);
  });
  const admin = cluster.admin(leader);
  const plan = await admin.planRemoveMeta(cluster.nodes[target].httpAddr, false);
  const cutVoter = plan.voters.find((v) => v.raftAddr === cluster.nodes[cut].raftAddr)!;
  assert.deepEqual(
    { httpUp: cutVoter.httpUp, raftActive: cutVoter.raftActive },
    { httpUp: true, raftActive: false },
  );
  assert.equal(plan.reachableVotersAfter, 1);
  assert.equal(plan.refusalCode, "QUORUM_AT_RISK");

  const r = await removeMeta(cluster, leader, cluster.nodes[target].httpAddr);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /would leave 1 active voter\(s\), fewer than the quorum of 2/);
  const after = await status(cluster.nodes[leader].httpAddr);
  assert.equal(after.raft.state, "leader", "the cluster kept its leader");
  assert.equal(after.raft.voters.length, 3);

  // The show view says the same: HTTP up, Raft inactive.
  const show = await admin.show();
  const row = show.meta.find((m) => m.raftAddr === cluster.nodes[cut].raftAddr)!;
  assert.deepEqual(
    { reachable: row.reachable, raftActive: row.raftActive },
    { reachable: true, raftActive: false },
  );
  cutRaft(cluster, cut, false);
});

test("two admin services remove two different nodes at once, 2 of 6 stopped: at most one succeeds, quorum holds", async () => {
  const cluster = await start(6);
  const leader = await cluster.leaderIndex();
  const others = [0, 1, 2, 3, 4, 5].filter((i) => i !== leader);
  const [down1, down2, x, y, z] = others;
  await cluster.kill(down1);
  await cluster.kill(down2);
  // The leader must have noticed them gone (its Raft view), or the plans would be refused late.
  await cluster.waitFor("the leader to see two voters inactive", async () => {
    const s = await status(cluster.nodes[leader].httpAddr);
    return s.raft.servers.filter((v) => v.active === false).length === 2;
  });
  const results = await Promise.allSettled([
    cluster.admin(leader).removeMeta(cluster.nodes[x].httpAddr, { force: false }),
    cluster.admin(z).removeMeta(cluster.nodes[y].httpAddr, { force: false }),
  ]);
  const ok = results.filter((r) => r.status === "fulfilled");
  assert.ok(ok.length <= 1, `at most one removal succeeds: ${JSON.stringify(results)}`);
  for (const r of results) {
    if (r.status === "rejected") {
      const err = r.reason as HttpStatusError;
      assert.ok(err instanceof HttpStatusError, String(err));
      assert.ok(
        ["CONFIG_CHANGED", "QUORUM_AT_RISK"].includes(err.code ?? ""),
        `refused with a rule's code, got ${err.code}: ${err.message}`,
      );
    }
  }
  const s = await leaderStatus(cluster);
  const active = s.raft.servers.filter((v) => v.suffrage === "voter" && v.active).length;
  assert.ok(
    active >= Math.floor(s.raft.voters.length / 2) + 1,
    `quorum holds: ${JSON.stringify(s.raft.servers)}`,
  );
  await metaClient(cluster).execute({ type: "CreateDatabaseCommand", name: "after-concurrent-removals" });
});

test("15 leadership transfers under write load: no client-visible failure", async () => {
  const cluster = await start(3);
  const client = metaClient(cluster);
  let stop = false;
  const failures: string[] = [];
  let acknowledged = 0;
  const writer = async (w: number) => {
    for (let i = 0; !stop; i++) {
      try {
        await client.execute({ type: "CreateDatabaseCommand", name: `w${w}-${i}` });
        acknowledged++;
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  };
  const writers = [writer(0), writer(1)];
  try {
    for (let t = 0; t < 15; t++) {
      const from = await cluster.leaderIndex();
      const res = await request(`http://${cluster.nodes[from].httpAddr}/leadership-transfer`, {
        method: "POST",
        timeoutMs: 5_000,
      });
      assert.equal(res.status, 200, res.body.toString());
      await cluster.waitFor("a new leader", async () => (await cluster.leaderIndex()) !== from);
      // Let writes run under each new leader before the next transfer.
      const seen = acknowledged;
      await cluster.waitFor("writes under the new leader", async () => acknowledged >= seen + 2);
    }
  } finally {
    stop = true;
    await Promise.all(writers);
  }
  assert.deepEqual(failures, []);
  assert.ok(acknowledged >= 30, `writes went on (${acknowledged})`);
});

test("a removal whose answer was lost is checked, reported once as done, and its node still wiped", async () => {
  const cluster = await start(3, { faults: true });
  const leader = await cluster.leaderIndex();
  const [cut, target] = [0, 1, 2].filter((i) => i !== leader);
  const t = cluster.nodes[target];
  cutRaft(cluster, cut, true);
  await cluster.waitFor("the leader to see the cut voter inactive", async () => {
    const s = await status(cluster.nodes[leader].httpAddr);
    return s.raft.servers.some((v) => v.address === cluster.nodes[cut].raftAddr && v.active === false);
  });
  // Forced: the entry is appended, but with the other voter cut it cannot commit; the leader
  // steps down and the first attempt ends "leadership lost" (outcome unknown). Once the link is
  // back the entry commits, and the meta client's retry is refused (the configuration moved).
  const removal = cluster.admin(leader, 60_000).removeMeta(t.httpAddr, { force: true });
  await cluster.waitFor(
    "the leader to step down with the entry appended",
    async () => (await status(cluster.nodes[leader].httpAddr)).raft.state !== "leader",
    30_000,
  );
  cutRaft(cluster, cut, false);
  const result = await removal;
  assert.equal(result.addr, t.httpAddr);
  assert.equal(result.cleanup, "done", JSON.stringify(result));
  assert.equal((await status(t.httpAddr)).raft.state, "unbootstrapped", "the node was wiped");
  assert.match(
    readFileSync(cluster.nodes[leader].logFile, "utf8"),
    /"msg":"removal had committed"/,
    "the admin service found the first attempt committed",
  );
  const s = await leaderStatus(cluster);
  assert.deepEqual(
    [...s.raft.voters].sort(),
    [cluster.nodes[leader].raftAddr, cluster.nodes[cut].raftAddr].sort(),
  );
});

test("-tcpAddr must match the record of the HTTP address, in the plan and in the removal", async () => {
  const cluster = await start(3);
  const leader = await cluster.leaderIndex();
  const [a, b] = [0, 1, 2].filter((i) => i !== leader);
  const admin = cluster.admin(leader);
  const plan = await admin.planRemoveMeta(cluster.nodes[a].httpAddr, false, cluster.nodes[a].raftAddr);
  assert.equal(plan.refusal, null, "a matching -tcpAddr is honoured by the plan");
  const mismatch = await rejection(
    admin.planRemoveMeta(cluster.nodes[a].httpAddr, false, cluster.nodes[b].raftAddr),
  );
  assert.equal(mismatch.status, 400);
  assert.equal(mismatch.code, "TCP_ADDR_MISMATCH");
  const r = await removeMeta(cluster, leader, "-force", "-tcpAddr", cluster.nodes[b].raftAddr, "127.0.0.1:1");
  assert.equal(r.code, 1);
  assert.match(r.stderr, /-tcpAddr \S+ belongs to meta node \d+ at \S+, not to 127\.0\.0\.1:1/);
  assert.equal((await leaderStatus(cluster)).raft.voters.length, 3, "nothing was removed");
});

test("a node force-removed while down comes back with its data: it says it was removed, and the printed commands wipe it and add it back", async () => {
  const cluster = await start(3);
  const leader = await cluster.leaderIndex();
  const victim = [0, 1, 2].find((i) => i !== leader)!;
  const v = cluster.nodes[victim];
  await cluster.kill(victim);
  const removed = await removeMeta(cluster, leader, "-force", "-tcpAddr", v.raftAddr, v.httpAddr);
  assert.equal(removed.code, 0, removed.stderr);

  await cluster.restart(victim);
  let notice: StatusJson["removal"] = null;
  await cluster.waitFor("the returning node to learn it was removed", async () => {
    notice = (await status(v.httpAddr)).removal;
    return notice !== null;
  });
  assert.equal((await status(v.httpAddr)).raft.state, "removed");
  assert.equal(notice!.command, `influxd-ctl -bind ${v.adminAddr} leave -y`);
  const members = [0, 1, 2].filter((i) => i !== victim);
  const s = await leaderStatus(cluster);
  assert.ok(
    members.some((i) => cluster.nodes[i].raftAddr === s.raftAddr),
    "it never led the cluster",
  );
  assert.equal(s.raft.voters.length, 2);

  // Its admin service refuses to act and names the same command.
  const shown = await rejection(cluster.admin(victim).show());
  assert.equal(shown.code, "NODE_REMOVED");
  assert.ok(shown.message.includes(notice!.command), shown.message);

  // The command works as printed.
  const leave = await ctl(notice!.command.split(" ").slice(1));
  assert.equal(leave.code, 0, leave.stderr);
  assert.equal((await status(v.httpAddr)).raft.state, "unbootstrapped");

  // A removed node never bootstraps a second cluster unasked; its hint adds it back.
  const bootstrap = await ctl(["-bind", v.adminAddr, "add-meta", v.httpAddr]);
  assert.equal(bootstrap.code, 1);
  const hint = /add it back from a member: (influxd-ctl -bind \S+ add-meta \S+)/.exec(bootstrap.stderr);
  assert.ok(hint, bootstrap.stderr);
  assert.equal((await status(v.httpAddr)).raft.state, "unbootstrapped", "no new cluster");
  const back = await ctl(hint[1].split(" ").slice(1));
  assert.equal(back.code, 0, back.stderr);
  await cluster.waitFor(
    "three voters again",
    async () => (await leaderStatus(cluster)).raft.voters.length === 3,
  );
});

test("a wiped former member bootstraps a separate cluster only with add-meta -new-cluster", async () => {
  const cluster = await start(2);
  const leader = await cluster.leaderIndex();
  const other = leader === 0 ? 1 : 0;
  const o = cluster.nodes[other];
  const r = await removeMeta(cluster, leader, o.httpAddr);
  assert.equal(r.code, 0, r.stderr);
  const refused = await ctl(["-bind", o.adminAddr, "add-meta", o.httpAddr]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /was removed from its cluster and is blank; add it back from a member/);
  const fresh = await ctl(["-bind", o.adminAddr, "add-meta", "-new-cluster", o.httpAddr]);
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.equal((await status(o.httpAddr)).raft.state, "leader");
});

test("show without a quorum answers within its 2 s deadline with what it knows and no leader", async () => {
  const cluster = await start(3);
  await cluster.kill(1, "SIGSTOP"); // hung: its connections accept and never answer
  await cluster.kill(2, "SIGKILL");
  try {
    await cluster.waitFor(
      "node 1 to lose its leader",
      async () => (await status(cluster.nodes[0].httpAddr)).leader === "",
    );
    const show = await cluster.admin(0, 2_000).show();
    assert.equal(show.membershipKnown, false);
    assert.equal(show.leader, null);
    assert.equal(show.meta.length, 3, "the records this node knows, not an empty cluster");
    assert.ok(show.meta.every((m) => m.raftActive === null));
    assert.deepEqual(
      show.meta.map((m) => m.reachable),
      [true, false, false],
    );
    const text = await ctl(["-bind", cluster.nodes[0].adminAddr, "-timeout", "2s", "show"]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^Leader\s+none$/m);
    assert.match(text.stdout, /No leader: membership unknown/);

    // Writes meanwhile: a transient 503 with Retry-After and a code, which clients retry.
    const res = await request(`http://${cluster.nodes[0].httpAddr}/execute`, {
      method: "POST",
      body: encodeCommand({ type: "CreateDatabaseCommand", name: "no-quorum" }),
      contentType: "application/octet-stream",
      timeoutMs: 5_000,
    });
    assert.equal(res.status, 503);
    assert.equal(res.headers["retry-after"], "1");
    assert.equal((JSON.parse(res.body.toString()) as { code: string }).code, "NO_LEADER");
  } finally {
    await cluster.kill(1, "SIGCONT");
  }
});
