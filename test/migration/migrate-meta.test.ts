/**
 * `migrate-meta` end to end: our real `influxd` nodes (LocalCluster), the Go meta tier stand-in
 * serving a Go-shaped `Data` from index 40, and data-node stand-ins whose meta client behaves as
 * the Go one does (test/support/go-meta-client.ts: long polls, cache replacement, the list from
 * MetaNodes, client.json saved only when it changes, the JoinCluster address rule).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalCluster } from "../../src/demo/local-cluster.ts";
import { DataNodeRpc } from "../../src/cluster/data-node-rpc.ts";
import { OperationError } from "../../src/cluster/errors.ts";
import { migrate, type MigrationEnv } from "../../src/cluster/migrate-meta.ts";
import { rollback } from "../../src/cluster/migrate-rollback.ts";
import { MetaClient } from "../../src/meta/client.ts";
import { encodeCommand, type DatabaseInfo } from "../../src/proto/index.ts";
import { errorText, PLAIN_HTTP, request } from "../../src/util/http-client.ts";
import { signJwt } from "../../src/util/jwt.ts";
import { DataNodeStandIn } from "../support/data-node.ts";
import { GoMetaCluster } from "../support/go-meta-standin.ts";
import { ctl } from "../support/cluster.ts";

const DAY_NS = 86_400_000_000_000n;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 8_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(50);
  }
  assert.fail(`timed out waiting for ${what}`);
}

function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  return Promise.race([p, sleep(ms).then(() => assert.fail(`${what} did not finish within ${ms} ms`))]);
}

function telegraf(owners: number[]): DatabaseInfo {
  // A fixed shard group (the test never depends on today's date).
  const start = 1_700_000_000_000_000_000n;
  return {
    name: "telegraf",
    defaultRetentionPolicy: "autogen",
    retentionPolicies: [
      {
        name: "autogen",
        duration: 0n,
        shardGroupDuration: 7n * DAY_NS,
        replicaN: 2,
        shardGroups: [
          {
            id: 60,
            startTime: start,
            endTime: start + 7n * DAY_NS,
            deletedAt: 0n,
            truncatedAt: 0n,
            shards: [{ id: 61, owners: owners.map((nodeId) => ({ nodeId })) }],
          },
        ],
        subscriptions: [],
      },
    ],
    continuousQueries: [
      {
        name: "cq_mean",
        query:
          'CREATE CONTINUOUS QUERY "cq_mean" ON "telegraf" BEGIN SELECT mean(v) INTO m1 FROM m GROUP BY time(1m) END',
      },
    ],
  };
}

interface Stand {
  go: GoMetaCluster;
  ours: LocalCluster;
  data: DataNodeStandIn[];
  env: MigrationEnv;
  progress: string[];
  cleanup: () => Promise<void>;
}

const HASH = "$2a$10$abcdefghijklmnopqrstuuLzH5s1VdKtqnN3E0yjF6Wcl7b8e9fGa";

async function stand(
  opts: { ours?: number; dataNodes?: number; auth?: boolean; blank?: boolean } = {},
): Promise<Stand> {
  const ours = await LocalCluster.start({ size: opts.ours ?? 1, auth: opts.auth, form: !opts.blank });
  // With auth, both tiers take the same internal shared secret (as the procedure requires).
  const secret = opts.auth ? readFileSync(ours.security.internalSecretFile!, "utf8").trim() : undefined;
  const authorization = secret ? () => "Bearer " + signJwt({ username: "" }, secret, 60) : undefined;
  const go = await GoMetaCluster.start({ meta: 3, startIndex: 40, internalSecret: secret });
  const dirs: string[] = [];
  const data: DataNodeStandIn[] = [];
  for (let i = 0; i < (opts.dataNodes ?? 2); i++) {
    const dir = mkdtempSync(join(tmpdir(), "migrate-dn-"));
    dirs.push(dir);
    data.push(await DataNodeStandIn.start({ goClient: { dir, authorization } }));
  }
  const ids = data.map((d) => go.registerDataNode(d.tcpAddr, d.httpAddr));
  go.commit((c) => {
    c.databases.push(telegraf(ids));
    c.users.push({ name: "admin", hash: HASH, admin: true, privileges: [] });
  });
  // The data nodes run on the Go tier: their client has read its Data and saved client.json.
  for (const d of data) d.goClient!.setMetaServers(go.nodes.map((n) => n.httpAddr));
  await until("data nodes on the Go tier", () => data.every((d) => d.goClient!.cache.index === go.metaIndex));
  assert.ok(go.metaIndex >= 40);
  const progress: string[] = [];
  const env: MigrationEnv = {
    access: authorization
      ? { scheme: "http", headers: () => ({ authorization: authorization() }) }
      : PLAIN_HTTP,
    ours: ours.nodes.map((n) => n.httpAddr),
    timeoutMs: 5_000,
    rpc: new DataNodeRpc({ timeoutMs: 5_000 }),
    dataAccess: PLAIN_HTTP,
    progress: (line) => progress.push(line),
    command: (flags) =>
      `influxd-ctl -bind ${ours.nodes[0].adminAddr} migrate-meta -from ${go.nodes[0].httpAddr} ${flags}`,
  };
  return {
    go,
    ours,
    data,
    env,
    progress,
    cleanup: async () => {
      await Promise.all(data.map((d) => d.stop()));
      await go.stop();
      await ours.stop();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function oursClient(s: Stand): MetaClient {
  return new MetaClient({ servers: s.env.ours, timeoutMs: 5_000, access: s.env.access });
}

const stands: Stand[] = [];
async function fresh(opts?: Parameters<typeof stand>[0]): Promise<Stand> {
  const s = await stand(opts);
  stands.push(s);
  return s;
}
after(async () => {
  for (const s of stands) await s.cleanup();
});

let main: Stand;
before(async () => {
  main = await fresh({ ours: 3 });
});

const sorted = (list: readonly string[]) => list.slice().sort();

test("migrate-meta imports the Go Data with our meta nodes, every ID and the cluster ID kept, our index above the source's; with the Go tier still running, every data node ends up reading ours with client.json naming only ours, and a create through it completes at once; a second run does nothing", async () => {
  const { go, data, env } = main;
  const goData = go.data();
  const r = await migrate(env, { from: go.nodes[1].httpAddr, force: false, dryRun: false });
  assert.equal(r.outcome, "done", r.error ?? "");
  assert.equal(r.plan.source.leaderHttp, go.nodes[0].httpAddr);
  assert.equal(r.plan.source.index, goData.index);
  assert.deepEqual(
    r.stop,
    go.nodes.map((n) => n.httpAddr),
  );

  const ours = await oursClient(main).data();
  assert.equal(ours.clusterId, goData.clusterId);
  assert.deepEqual(ours.databases, goData.databases);
  assert.deepEqual(ours.users, goData.users);
  assert.deepEqual(ours.dataNodes, goData.dataNodes);
  assert.deepEqual(sorted(ours.metaNodes.map((n) => n.addr)), sorted(env.ours));
  assert.ok(ours.index > goData.index, `our index ${ours.index} must be above the source's ${goData.index}`);
  assert.equal(r.importedIndex !== null && r.importedIndex > goData.index, true);

  // Every Go meta node still runs. Each data node has read our Data: its list and client.json
  // name only ours, and its next poll went to ours.
  assert.ok(go.nodes.every((n) => n.alive));
  for (const d of data) {
    assert.deepEqual(r.plan.dataNodes.find((n) => n.tcpAddr === d.tcpAddr)?.state, "on-ours");
    assert.deepEqual(sorted(d.metaServers), sorted(env.ours));
    assert.deepEqual(sorted(d.goClient!.savedServers() ?? []), sorted(env.ours));
    assert.ok(env.ours.includes(d.goClient!.polled.at(-1)!));
    assert.ok(d.goClient!.cache.index >= ours.index, "its cache holds our index, never a Go index below it");
  }
  // The handover is additive on the Go tier: its metadata is unchanged apart from the meta-node
  // entries, where ours comes first and every Go meta node is still listed.
  const goAfter = go.data();
  assert.deepEqual(goAfter.databases, goData.databases);
  assert.deepEqual(goAfter.users, goData.users);
  assert.deepEqual(goAfter.dataNodes, goData.dataNodes);
  assert.deepEqual(
    goAfter.metaNodes.map((n) => n.addr),
    [env.ours[0], ...goData.metaNodes.map((n) => n.addr)],
  );

  // A create through each data node executes on ours and its cache holds the answered index at
  // once, while the Go tier still runs.
  const goIndex = go.metaIndex;
  await within(3_000, "create database through the data node", data[0].createDatabase("after_migration"));
  assert.ok(data[0].goClient!.cache.databases.some((db) => db.name === "after_migration"));
  assert.ok((await oursClient(main).data()).databases.some((db) => db.name === "after_migration"));
  await within(3_000, "create database through the other data node", data[1].createDatabase("second"));
  assert.equal(go.metaIndex, goIndex, "nothing reached the Go tier");

  const again = await migrate(env, { from: go.nodes[0].httpAddr, force: false, dryRun: false });
  assert.equal(again.outcome, "nothing-to-do", again.error ?? "");
  assert.deepEqual(again.stop, r.stop);

  // A restarted data node starts from client.json: ours.
  await data[1].restartClient();
  await until("restarted client reads ours", () =>
    data[1].goClient!.cache.databases.some((db) => db.name === "second"),
  );
  assert.ok(data[1].goClient!.polled.every((s) => env.ours.includes(s)));
});

test("after the handover a change on the Go tier (its index moves and its polls answer) leaves every data node on ours", async () => {
  const s = await fresh({ dataNodes: 1 });
  const r = await migrate(s.env, { from: s.go.nodes[0].httpAddr, force: false, dryRun: false });
  assert.equal(r.outcome, "done", r.error ?? "");
  s.go.commit((c) => c.users.push({ name: "late", hash: HASH, admin: false, privileges: [] }));
  await sleep(300);
  assert.deepEqual(sorted(s.data[0].metaServers), sorted(s.env.ours));
  assert.ok(!s.data[0].goClient!.cache.users.some((u) => u.name === "late"), "it never took a Go snapshot");
  await within(3_000, "create through the data node", s.data[0].createDatabase("still_ours"));
  assert.ok((await oursClient(s).data()).databases.some((db) => db.name === "still_ours"));
});

/** A database created on the Go tier, as a data node's CreateDatabase does. */
function createOnGo(s: Stand, name: string): void {
  s.go.commit((c) => c.databases.push({ ...telegraf([]), name, continuousQueries: [] }));
}

/** Migrates and checks that the database created on the Go tier meanwhile was carried over. */
async function migratesCarryingOver(s: Stand, name: string): Promise<void> {
  const r = await migrate(s.env, { from: s.go.nodes[0].httpAddr, force: false, dryRun: false });
  assert.equal(r.outcome, "done", r.error ?? "");
  assert.deepEqual(r.carriedOver, [`database ${name} created`]);
  const ours = await oursClient(s).data();
  assert.ok(ours.databases.some((db) => db.name === name));
  assert.ok(ours.index > s.go.metaIndex);
}

test("a change committed on the source during the switch is carried over, and the data nodes are switched again", async () => {
  const s = await fresh();
  let changed = false;
  s.env.afterSwitch = () => {
    if (changed) return;
    changed = true;
    createOnGo(s, "during_switch");
  };
  await migratesCarryingOver(s, "during_switch");
  for (const d of s.data) assert.equal(d.metaServers[0], s.env.ours[0]);
});

test("a command that reaches the Go tier between two handover steps is carried over, and the data nodes still end on ours", async () => {
  const s = await fresh();
  s.go.beforeExecute = (cmd) => {
    if (cmd.type !== "DeleteMetaNodeCommand" || s.go.databases.some((db) => db.name === "during_handover"))
      return;
    // As a data node's CreateDatabase sent while the Go snapshot it holds names a Go node first.
    createOnGo(s, "during_handover");
  };
  await migratesCarryingOver(s, "during_handover");
  for (const d of s.data) {
    assert.deepEqual(sorted(d.metaServers), sorted(s.env.ours));
    await until(`${d.tcpAddr} sees the carried-over database`, () =>
      d.goClient!.cache.databases.some((db) => db.name === "during_handover"),
    );
  }
});

test("when both the source and ours change during the switch, the data nodes go back to the source and the migration says so", async () => {
  const s = await fresh();
  let changed = false;
  s.env.afterSwitch = async () => {
    if (changed) return;
    changed = true;
    s.go.commit((c) => c.users.push({ name: "on_go", hash: HASH, admin: false, privileges: [] }));
    await oursClient(s).execute({ type: "CreateDatabaseCommand", name: "on_ours" });
  };
  const r = await migrate(s.env, { from: s.go.nodes[0].httpAddr, force: false, dryRun: false });
  assert.equal(r.outcome, "failed");
  assert.match(
    r.error ?? "",
    /source changed during the switch \(user on_go created\) and so did ours \(database on_ours created\): rolled the data nodes back/,
  );
  for (const d of s.data)
    assert.deepEqual(
      d.metaServers,
      s.go.nodes.map((n) => n.httpAddr),
    );
  assert.deepEqual(r.stop, []);
});

test("a data node that fails mid-switch stops the migration with each node's state and the command that continues; running it again finishes", async () => {
  const s = await fresh();
  s.data[1].failJoin = "connection reset by peer";
  const r = await migrate(s.env, { from: s.go.nodes[0].httpAddr, force: false, dryRun: false });
  assert.equal(r.outcome, "failed");
  assert.match(r.error ?? "", new RegExp(`data node ${s.data[1].tcpAddr}: .*connection reset by peer`));
  assert.deepEqual(
    r.plan.dataNodes.map((n) => n.state),
    ["switched", "failed"],
  );
  assert.match(r.next ?? "", /migrate-meta -from \S+ -y +\(or roll back: .* -rollback -y\)/);
  s.data[1].failJoin = null;
  const again = await migrate(s.env, { from: s.go.nodes[0].httpAddr, force: false, dryRun: false });
  assert.equal(again.outcome, "done", again.error ?? "");
  assert.deepEqual(
    again.plan.dataNodes.map((n) => n.state),
    ["on-ours", "on-ours"],
  );
});

test("a data node that dies mid-switch: the migration stops, names it, and leaves the others' state explicit", async () => {
  const s = await fresh();
  s.env.afterSwitch = async (addr) => {
    if (addr === s.data[0].tcpAddr) await s.data[1].stop();
  };
  const r = await migrate(s.env, { from: s.go.nodes[0].httpAddr, force: false, dryRun: false });
  assert.equal(r.outcome, "failed");
  assert.equal(r.plan.dataNodes[0].state, "switched");
  assert.equal(r.plan.dataNodes[1].state, "failed");
  assert.match(r.error ?? "", new RegExp(s.data[1].tcpAddr));
});

/** -rollback with `change` on ours since the import: refused naming it, with nothing changed on
 *  the Go tier or the data nodes; then -force goes back and reports it. */
async function rollsBackOnlyWithForce(s: Stand, change: string): Promise<void> {
  const goIndex = s.go.metaIndex;
  const lists = s.data.map((d) => d.metaServers.slice());
  await assert.rejects(
    rollback(s.env, { from: s.go.nodes[0].httpAddr, force: false }),
    (e: unknown) =>
      e instanceof OperationError &&
      e.code === "ROLLBACK_LOSES_CHANGES" &&
      e.message.includes(`ours has changed since the import (${change}): going back`) &&
      /roll back with -force/.test(e.message),
  );
  assert.equal(s.go.metaIndex, goIndex, "a refused rollback changes nothing");
  assert.deepEqual(
    s.data.map((d) => d.metaServers),
    lists,
  );
  const back = await rollback(s.env, { from: s.go.nodes[0].httpAddr, force: true });
  assert.equal(back.outcome, "rolled-back", back.error ?? "");
  assert.deepEqual(back.changesOnOurs, [change]);
}

test("-rollback before the handover points the data nodes back at the source; a change on ours since the import is named first and refused without -force", async () => {
  const s = await fresh();
  // The switch stops at the second data node: the first is switched, nothing is handed over.
  s.data[1].failJoin = "connection reset by peer";
  const r = await migrate(s.env, { from: s.go.nodes[0].httpAddr, force: false, dryRun: false });
  assert.equal(r.outcome, "failed");
  s.data[1].failJoin = null;
  await oursClient(s).execute({ type: "CreateDatabaseCommand", name: "made_on_ours" });
  await rollsBackOnlyWithForce(s, "database made_on_ours created");
  for (const d of s.data)
    assert.deepEqual(
      d.metaServers,
      s.go.nodes.map((n) => n.httpAddr),
    );
  // The data nodes go on with the Go tier: a create through one lands there.
  await within(3_000, "create on the Go tier", s.data[0].createDatabase("after_rollback"));
  assert.ok(s.go.databases.some((db) => db.name === "after_rollback"));
});

test("-rollback after the handover, with the Go tier still running: every data node polls the Go tier again, its cache at the Go index and client.json naming only the Go nodes; a create through it completes at once on the Go tier; a restarted data node stays there; a second run does nothing", async () => {
  const s = await fresh();
  const goNodes = s.go.nodes.map((n) => n.httpAddr);
  const done = await migrate(s.env, { from: s.go.nodes[0].httpAddr, force: false, dryRun: false });
  assert.equal(done.outcome, "done", done.error ?? "");
  for (const d of s.data) assert.deepEqual(sorted(d.goClient!.savedServers() ?? []), sorted(s.env.ours));

  const back = await rollback(s.env, { from: s.go.nodes[1].httpAddr, force: false });
  assert.equal(back.outcome, "rolled-back", back.error ?? "");
  assert.deepEqual(back.changesOnOurs, []);
  assert.deepEqual(
    back.plan.dataNodes.map((n) => n.state),
    ["on-go", "on-go"],
  );
  // The Go tier lists its own meta nodes only again.
  assert.deepEqual(
    s.go.data().metaNodes.map((n) => n.addr),
    goNodes,
  );
  for (const d of s.data) {
    assert.deepEqual(d.metaServers, goNodes);
    assert.deepEqual(d.goClient!.savedServers(), goNodes);
    // Its cache is the Go tier's Data at the Go index (never ours above it), and its open poll is on Go.
    assert.equal(d.goClient!.cache.index, s.go.metaIndex);
    assert.ok(goNodes.includes(d.goClient!.polled.at(-1)!));
  }
  const oursIndex = (await oursClient(s).data()).index;
  await within(3_000, "create through the data node", s.data[0].createDatabase("back_on_go"));
  assert.ok(s.go.databases.some((db) => db.name === "back_on_go"));
  assert.ok(s.data[0].goClient!.cache.databases.some((db) => db.name === "back_on_go"));
  assert.equal((await oursClient(s).data()).index, oursIndex, "nothing reached ours");

  // It starts from client.json: the Go tier.
  await s.data[1].restartClient();
  await until("restarted client reads the Go tier", () =>
    s.data[1].goClient!.cache.databases.some((db) => db.name === "back_on_go"),
  );
  assert.ok(s.data[1].goClient!.polled.every((a) => goNodes.includes(a)));

  const again = await rollback(s.env, { from: s.go.nodes[0].httpAddr, force: false });
  assert.equal(again.outcome, "rolled-back", again.error ?? "");
  assert.equal(
    s.go.metaIndex,
    s.data[0].goClient!.cache.index,
    "a second run changes nothing on the Go tier",
  );
});

test("-rollback after the handover with a change on ours since the import (a database created through a data node) names it first and refuses without -force, changing nothing; -force goes back", async () => {
  const s = await fresh({ dataNodes: 1 });
  const goNodes = s.go.nodes.map((n) => n.httpAddr);
  const done = await migrate(s.env, { from: s.go.nodes[0].httpAddr, force: false, dryRun: false });
  assert.equal(done.outcome, "done", done.error ?? "");
  await within(3_000, "create on ours", s.data[0].createDatabase("made_on_ours"));
  await rollsBackOnlyWithForce(s, "database made_on_ours created");
  assert.match(
    s.progress.join("\n"),
    /Changed on ours since the import \(lost by going back\): database made_on_ours created/,
  );
  assert.deepEqual(s.data[0].goClient!.savedServers(), goNodes);
  assert.ok(!s.data[0].goClient!.cache.databases.some((db) => db.name === "made_on_ours"));
});

test("POST /hand-back takes only the internal secret and bounded, valid input; while open, a Go client's poll is redirected to the Go node's GET /?index=0, /execute answers 503, and our own clients still read ours", async () => {
  const s = await fresh({ dataNodes: 1, auth: true });
  const node = s.ours.nodes[0].httpAddr;
  const goNode = s.go.nodes[0].httpAddr;
  const call = (form: Record<string, string>, authorization?: string) =>
    request(`http://${node}/hand-back`, {
      method: "POST",
      body: Buffer.from(new URLSearchParams(form).toString()),
      contentType: "application/x-www-form-urlencoded",
      timeoutMs: 5_000,
      headers: authorization ? { authorization } : {},
    });
  const internal = s.env.access.headers!().authorization;
  const operator =
    "Bearer " + signJwt({ username: "" }, readFileSync(s.ours.security.sharedSecretFile!, "utf8").trim(), 60);
  assert.equal((await call({ to: goNode, for: "10s" })).status, 401);
  assert.equal((await call({ to: goNode, for: "10s" }, operator)).status, 401);
  for (const [form, status, text] of [
    [{ to: "not an address", for: "10s" }, 400, /invalid "to"/],
    [{ to: goNode }, 400, /missing parameter "for"/],
    [{ to: goNode, for: "soon" }, 400, /invalid "for"/],
    [{ to: goNode, for: "3m" }, 400, /above the limit of 2m/],
    [{ to: s.env.ours[0], for: "10s" }, 409, /one of our meta nodes/],
  ] as const) {
    const res = await call(form, internal);
    assert.equal(res.status, status, res.body.toString());
    assert.match(errorText(res), text);
  }
  const poll = () =>
    request(`http://${node}/?index=1`, { timeoutMs: 5_000, headers: { authorization: internal } });
  assert.equal((await poll()).status, 200, "no window was opened by the refused calls");

  // A Go client's poll held open by ours is ended at once by the window.
  const index = (await oursClient(s).data()).index;
  const held = request(`http://${node}/?index=${index}`, {
    timeoutMs: 5_000,
    headers: { authorization: internal },
  });
  await sleep(1_000); // time for the poll to be held, on a loaded machine too
  const opened = await call({ to: goNode, for: "10s" }, internal);
  assert.equal(opened.status, 200, opened.body.toString());
  assert.equal((JSON.parse(opened.body.toString()) as { endedPolls: number }).endedPolls, 1);
  const redirected = await held;
  assert.equal(redirected.status, 307);
  assert.equal(redirected.headers.location, `http://${goNode}/?index=0`);
  const exec = await request(`http://${node}/execute`, {
    method: "POST",
    body: encodeCommand({ type: "CreateDatabaseCommand", name: "during_window" }),
    contentType: "application/octet-stream",
    timeoutMs: 5_000,
    headers: { authorization: internal },
  });
  assert.equal(exec.status, 503);
  assert.match(errorText(exec), /hands its data nodes back to the Go meta tier/);
  assert.equal((await oursClient(s).data()).index, index, "our own clients (with timeout) read ours");
  assert.equal((await call({ to: goNode, for: "0" }, internal)).status, 200);
  assert.equal((await poll()).status, 200, "closed");
});

test("refusals: the source is one of ours; ours holds other metadata; an unreachable data node (-force leaves it behind); -dry-run changes nothing", async () => {
  const s = await fresh();
  await assert.rejects(
    migrate(s.env, { from: s.env.ours[0], force: false, dryRun: false }),
    (e: unknown) =>
      e instanceof OperationError && e.code === "SOURCE_IS_OURS" && /one of our meta nodes/.test(e.message),
  );
  const before = (await oursClient(s).data()).index;
  const dry = await migrate(s.env, { from: s.go.nodes[0].httpAddr, force: false, dryRun: true });
  assert.equal(dry.outcome, "dry-run");
  assert.equal(dry.plan.import.databases[0].name, "telegraf");
  assert.deepEqual(dry.plan.import.databases[0].continuousQueries, ["cq_mean"]);
  assert.equal(dry.plan.import.users[0].hash, HASH);
  assert.equal(dry.plan.import.shardGroups, 1);
  assert.equal(dry.plan.source.index, s.go.metaIndex);
  assert.deepEqual(
    dry.plan.dataNodes.map((n) => n.state),
    ["on-go", "on-go"],
  );
  assert.equal((await oursClient(s).data()).index, before, "a dry run changes nothing");
  for (const d of s.data)
    assert.deepEqual(
      d.metaServers,
      s.go.nodes.map((n) => n.httpAddr),
    );

  await s.data[1].stop();
  await assert.rejects(
    migrate(s.env, { from: s.go.nodes[0].httpAddr, force: false, dryRun: false }),
    new RegExp(
      `data node\\(s\\) ${s.data[1].tcpAddr} did not answer on their TCP port: start them, or add -force`,
    ),
  );
  assert.equal((await oursClient(s).data()).index, before, "a refusal changes nothing");
  const forced = await migrate(s.env, { from: s.go.nodes[0].httpAddr, force: true, dryRun: false });
  assert.equal(forced.outcome, "done", forced.error ?? "");
  assert.deepEqual(
    forced.plan.dataNodes.map((n) => n.state),
    ["on-ours", "left-behind"],
  );

  const other = await fresh({ dataNodes: 1 });
  await oursClient(other).execute({ type: "CreateDatabaseCommand", name: "mine" });
  await assert.rejects(
    migrate(other.env, { from: other.go.nodes[0].httpAddr, force: false, dryRun: false }),
    /our cluster already holds other metadata \(1 database\(s\), 0 user\(s\), 0 data node\(s\)\)/,
  );
});

test("influxd-ctl migrate-meta (the built executable): usage, dry run, -json result ending with the Go meta nodes to stop; -rollback -y goes back", async () => {
  const s = await fresh({ dataNodes: 1 });
  const bind = s.ours.nodes[0].adminAddr;
  const from = s.go.nodes[0].httpAddr;
  const usage = await ctl(["-bind", bind, "migrate-meta"]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /migrate-meta: -from host:port is required/);
  const dry = await ctl(["-bind", bind, "migrate-meta", "-from", from, "-dry-run"]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /Source: Go\/Enterprise meta tier, leader .* index \d+, cluster ID \d+/);
  assert.match(dry.stdout, /Dry run: nothing was changed\./);
  const self = await ctl(["-bind", bind, "migrate-meta", "-from", s.ours.nodes[0].httpAddr, "-y"]);
  assert.equal(self.code, 1);
  assert.match(self.stderr, /^migrate-meta: source \S+ is one of our meta nodes/m);
  const run = await ctl(["-bind", bind, "-json", "migrate-meta", "-from", from, "-y"]);
  assert.equal(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout) as { outcome: string; stop: string[] };
  assert.equal(result.outcome, "done");
  assert.deepEqual(
    result.stop,
    s.go.nodes.map((n) => n.httpAddr),
  );
  assert.match(run.stderr, /Importing the source's metadata/);
  const text = await ctl(["-bind", bind, "migrate-meta", "-from", from, "-y"]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout.trimEnd(), /Stop these Go meta nodes: 127\.0\.0\.1:\d+(, 127\.0\.0\.1:\d+)*$/);
  const back = await ctl(["-bind", bind, "migrate-meta", "-from", from, "-rollback", "-y"]);
  assert.equal(back.code, 0, back.stderr);
  assert.match(back.stderr, /Handing 1 data node\(s\) back: our meta nodes redirect their polls to /);
  assert.match(back.stdout, /Rolled back: the data nodes use the source's meta nodes/);
  assert.deepEqual(
    s.data[0].metaServers,
    s.go.nodes.map((n) => n.httpAddr),
  );
});

/** What the formed-cluster test asserts of each data node, with ours the one node formed. */
async function assertOnOurs(s: Stand, self: string): Promise<void> {
  const goData = s.go.data();
  const ours = await oursClient(s).data();
  assert.equal(ours.clusterId, goData.clusterId);
  assert.deepEqual(ours.databases, goData.databases);
  assert.deepEqual(ours.users, goData.users);
  assert.deepEqual(ours.dataNodes, goData.dataNodes);
  assert.deepEqual(
    ours.metaNodes.map((n) => n.addr),
    [self],
  );
  for (const d of s.data) {
    assert.deepEqual(d.metaServers, [self]);
    assert.deepEqual(d.goClient!.savedServers(), [self]);
    assert.equal(d.goClient!.polled.at(-1), self);
  }
}

test("influxd-ctl migrate-meta against a blank meta node: the plan says a one-node cluster is formed on it first; -dry-run (admin service or meta API) leaves it blank; -y forms it, imports, and every data node ends on it", async () => {
  const s = await fresh({ blank: true });
  const bind = s.ours.nodes[0].adminAddr;
  const self = s.ours.nodes[0].httpAddr;
  const from = s.go.nodes[0].httpAddr;
  const goServers = s.go.nodes.map((n) => n.httpAddr);
  // What the command reads first: the admin service names its node and says it is blank.
  const describe = async () =>
    JSON.parse((await request(`http://${bind}/self`, { timeoutMs: 5_000 })).body.toString("utf8")) as {
      service: string;
      httpAddr: string;
      state: string;
    };
  assert.deepEqual(
    { ...(await describe()) },
    { service: "admin", ours: true, httpAddr: self, raftAddr: s.ours.nodes[0].raftAddr, state: "blank" },
  );
  for (const target of [
    ["-bind", bind],
    ["-bind", self, "-api", "meta"],
  ]) {
    const dry = await ctl([...target, "migrate-meta", "-from", from, "-dry-run"]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(
      dry.stdout,
      new RegExp(`^Ours: ${self} is a blank meta node: a one-node cluster is formed on it first`, "m"),
    );
    assert.match(dry.stdout, /To import: 1 database\(s\)/);
    assert.match(dry.stdout, /Dry run: nothing was changed\./);
  }
  assert.equal((await describe()).state, "blank", "still blank after -dry-run");
  const still = await ctl(["-bind", bind, "show"]);
  assert.match(still.stderr, /is not part of a cluster/);
  for (const d of s.data) assert.deepEqual(d.metaServers, goServers);

  const run = await ctl(["-bind", bind, "-json", "migrate-meta", "-from", from, "-y"]);
  assert.equal(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout) as { outcome: string; plan: { ours: { formsOn: string | null } } };
  assert.equal(result.outcome, "done");
  assert.equal(result.plan.ours.formsOn, self);
  assert.match(run.stderr, new RegExp(`Forming a one-node cluster on ${self}`));
  await assertOnOurs(s, self);
  assert.equal((await describe()).state, "member");
  // Formed now: a second run finds nothing to do and forms nothing.
  const again = await ctl(["-bind", bind, "migrate-meta", "-from", from, "-y"]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /^Nothing to do/);
  assert.doesNotMatch(again.stderr, /Forming/);
});

test("influxd-ctl -api meta migrate-meta -y against a blank meta node's own API forms it (its POST /join bootstraps, as add-meta does) and migrates", async () => {
  const s = await fresh({ blank: true, dataNodes: 1 });
  const self = s.ours.nodes[0].httpAddr;
  const run = await ctl([
    "-bind",
    self,
    "-api",
    "meta",
    "migrate-meta",
    "-from",
    s.go.nodes[0].httpAddr,
    "-y",
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /Stop these Go meta nodes now/);
  await assertOnOurs(s, self);
});

test("with meta-auth-enabled on both tiers (one internal shared secret), influxd-ctl -secret-file migrates; without credentials it is refused in one line and changes nothing", async () => {
  const s = await fresh({ dataNodes: 1, auth: true });
  const bind = s.ours.nodes[0].adminAddr;
  const from = s.go.nodes[0].httpAddr;
  const none = await ctl(["-bind", bind, "migrate-meta", "-from", from, "-y"]);
  assert.equal(none.code, 1);
  assert.equal(none.stderr.trim().split("\n").length, 1, none.stderr);
  assert.match(none.stderr, /^migrate-meta: .*authorization failed/);
  const index = (await oursClient(s).data()).index;
  const run = await ctl([
    "-bind",
    bind,
    "-secret-file",
    s.ours.security.internalSecretFile!,
    "migrate-meta",
    "-from",
    from,
    "-y",
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /Stop these Go meta nodes now/);
  const ours = await oursClient(s).data();
  assert.ok(ours.index > index);
  assert.equal(ours.users[0].hash, HASH);
  assert.deepEqual(sorted(s.data[0].metaServers), sorted(s.env.ours));
  await within(
    3_000,
    "a create through the data node with its internal token",
    s.data[0].createDatabase("authed"),
  );
});

test("a hostile or stalled source: malformed Data, a leader it cannot name, no answer within the deadline — one-line errors, nothing changed on ours", async () => {
  const s = await fresh({ dataNodes: 1 });
  const before = (await oursClient(s).data()).index;
  let mode: "garbage" | "stall" = "garbage";
  const server = http.createServer((req, res) => {
    if (req.url === "/status") {
      res.writeHead(200, { "content-type": "application/json", "x-influxdb-version": "1.8.11-c1.2.0" });
      return void res.end(
        JSON.stringify({ nodeType: "meta", leader: "127.0.0.1:1", httpAddr: "x", raftAddr: "y", peers: [] }),
      );
    }
    if (mode === "stall") return; // never answers
    res
      .writeHead(200, { "content-type": "application/octet-stream" })
      .end(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x7f, 0x01]));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await assert.rejects(
      migrate(s.env, { from: addr, force: false, dryRun: false }),
      (e: Error) => !e.message.includes("\n"),
    );
    mode = "stall";
    const started = Date.now();
    await assert.rejects(
      migrate({ ...s.env, timeoutMs: 500 }, { from: addr, force: false, dryRun: false }),
      /no answer within 500ms/,
    );
    assert.ok(Date.now() - started < 5_000);
  } finally {
    server.closeAllConnections();
    server.close();
  }
  assert.equal((await oursClient(s).data()).index, before);
  // Without a terminal and without -y: the plan, then a refusal to guess; nothing changed.
  const asked = await ctl([
    "-bind",
    s.ours.nodes[0].adminAddr,
    "migrate-meta",
    "-from",
    s.go.nodes[0].httpAddr,
  ]);
  assert.equal(asked.code, 1);
  assert.match(asked.stderr, /To import: 1 database\(s\)/);
  assert.match(asked.stderr, /migrate-meta: no terminal to ask for confirmation; pass -y to confirm/);
  assert.equal((await oursClient(s).data()).index, before);
});
