// Wrong passwords against real influxd processes with `auth-enabled` (issue 21: 40 concurrent
// `GET /show-cluster?u=admin&p=wrongN` for 15 s made leadership change twice, each failed check a
// bcrypt compare on the event loop). Checks run off the event loop, failures are throttled per
// client address and per user (429 + Retry-After), and verified credentials are remembered.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import bcrypt from "bcryptjs";
import { LocalCluster } from "../../src/demo/local-cluster.ts";
import { encodeCommand, type MetaCommand } from "../../src/proto/index.ts";
import { internalAuthorization } from "../../src/server/auth.ts";
import type { StatusJson } from "../../src/meta/service.ts";
import { request, requestJson, type HttpResponse } from "../../src/util/http-client.ts";
import { signJwt } from "../../src/util/jwt.ts";

let cluster: LocalCluster;
let leader: string;
/** Clients on distinct loopback addresses: the throttle keys on the client's address. */
const agents = new Map<string, http.Agent>();

before(async () => {
  cluster = await LocalCluster.start({ size: 3, auth: true });
  leader = cluster.nodes[await cluster.leaderIndex()].httpAddr;
  // Cost 10, as Go's meta client hashes: about 70 ms per compare in bcryptjs.
  await execute({
    type: "CreateUserCommand",
    name: "admin",
    hash: bcrypt.hashSync("right", 10),
    admin: true,
  });
  await execute({ type: "CreateUserCommand", name: "ops", hash: bcrypt.hashSync("ops-pw", 10), admin: true });
});
after(async () => {
  for (const agent of agents.values()) agent.destroy();
  await cluster?.stop();
});

async function execute(command: MetaCommand): Promise<void> {
  const res = await request(`http://${leader}/execute`, {
    method: "POST",
    body: encodeCommand(command),
    contentType: "application/octet-stream",
    headers: { authorization: internalAuthorization(cluster.internalSecret, "test") },
    timeoutMs: 10_000,
  });
  assert.equal(res.status, 200, res.body.toString());
}

function from(localAddress: string): http.Agent {
  let agent = agents.get(localAddress);
  if (!agent) agents.set(localAddress, (agent = new http.Agent({ keepAlive: true, localAddress })));
  return agent;
}

function showCluster(user: string, password: string, client = "127.0.0.1"): Promise<HttpResponse> {
  const query = new URLSearchParams({ u: user, p: password });
  return request(`http://${leader}/show-cluster?${query}`, { timeoutMs: 30_000, agent: from(client) });
}

async function raftView(): Promise<{ terms: number[]; leaders: string[] }> {
  const all = await Promise.all(
    cluster.nodes.map((n) =>
      requestJson<StatusJson>(`http://${n.httpAddr}/status`, {
        timeoutMs: 5_000,
        headers: { authorization: internalAuthorization(cluster.internalSecret, "test") },
      }),
    ),
  );
  return { terms: all.map((s) => s.raft.term), leaders: all.map((s) => s.leader) };
}

test("40 concurrent wrong passwords for 15 s: no leadership change, and the flood is answered 429 with Retry-After", async () => {
  // Verified once before the flood: remembered, so it still passes during the flood.
  assert.equal((await showCluster("admin", "right")).status, 200);
  const before = await raftView();
  const counts = new Map<number, number>();
  let retryAfterOk = true;
  let cachedDuringFlood = 0;
  const until = Date.now() + 15_000;
  let n = 0;
  await Promise.all([
    ...Array.from({ length: 40 }, async () => {
      while (Date.now() < until) {
        const res = await showCluster("admin", `wrong${n++}`);
        counts.set(res.status, (counts.get(res.status) ?? 0) + 1);
        if (res.status === 429) {
          const seconds = Number(res.headers["retry-after"]);
          if (!(Number.isInteger(seconds) && seconds >= 1 && seconds <= 60)) retryAfterOk = false;
        }
      }
    }),
    (async () => {
      while (Date.now() < until) {
        if ((await showCluster("admin", "right")).status === 200) cachedDuringFlood++;
        await new Promise((r) => setTimeout(r, 500));
      }
    })(),
  ]);
  const after = await raftView();
  assert.deepEqual(after.terms, before.terms, "no election during the flood");
  assert.deepEqual(after.leaders, before.leaders);
  assert.deepEqual([...counts.keys()].sort(), [401, 429], `only 401 and 429: ${JSON.stringify([...counts])}`);
  // Each 401 cost a compare; the throttle lets 5 through, then one per block (1 s, 2 s, 4 s, 8 s).
  assert.ok(counts.get(401)! < 40, `compares made: ${counts.get(401)}`);
  assert.ok(counts.get(429)! > 100);
  assert.ok(retryAfterOk, "every 429 names Retry-After in whole seconds");
  assert.ok(cachedDuringFlood > 0, "a remembered credential passes during the flood");
});

/**
 * Wrong passwords for `user` from `address` until a block outlasts the next request (bounded). A
 * 429 is held back for up to 1 s of the block, so the first blocks (1 s, 2 s) may be over by the
 * time it arrives: wait for one whose Retry-After still says at least 2 s.
 */
async function blockWith(user: string, address: string): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const res = await showCluster(user, `wrong-${i}`, address);
    if (res.status === 429 && Number(res.headers["retry-after"]) >= 2) return;
  }
  assert.fail(`no lasting block after 20 wrong passwords for ${user} from ${address}`);
}

test("the throttle is per address and per user: another address is refused for that user only", async () => {
  // Blocks set up here, not left over from the flood: a block lasts from 1 s, so each check
  // follows the failures that set it at once.
  await blockWith("nobody", "127.0.0.1");
  const blockedAddress = await showCluster("ops", "wrong", "127.0.0.1");
  assert.equal(blockedAddress.status, 429);
  assert.ok(Number(blockedAddress.headers["retry-after"]) >= 1);
  assert.match(JSON.parse(blockedAddress.body.toString()).error, /too many failed authorization attempts/);
  await blockWith("admin", "127.0.0.6");
  const blockedUser = await showCluster("admin", "wrong", "127.0.0.2");
  assert.equal(blockedUser.status, 429);
  assert.equal((await showCluster("ops", "wrong", "127.0.0.3")).status, 401);
  assert.equal((await showCluster("ops", "ops-pw", "127.0.0.3")).status, 200);
});

test("a remembered credential stops counting once the user's hash changes", async () => {
  assert.equal((await showCluster("ops", "ops-pw", "127.0.0.4")).status, 200);
  await execute({ type: "UpdateUserCommand", name: "ops", hash: bcrypt.hashSync("new-pw", 10) });
  const old = await showCluster("ops", "ops-pw", "127.0.0.4");
  assert.equal(old.status, 401);
  assert.equal((await showCluster("ops", "new-pw", "127.0.0.4")).status, 200);
});

function showWithToken(token: string, client: string): Promise<HttpResponse> {
  return request(`http://${leader}/show-cluster`, {
    timeoutMs: 30_000,
    agent: from(client),
    headers: { authorization: `Bearer ${token}` },
  });
}

test("tokens no secret signed are throttled per address with the passwords; expired ones are not counted, right ones pass", async () => {
  const wrong = signJwt({ username: "admin" }, "not-the-secret", 60);
  const expired = signJwt({ username: "admin" }, cluster.sharedSecret, -10);
  const right = signJwt({ username: "admin" }, cluster.sharedSecret, 60);
  for (let i = 0; i < 8; i++) assert.equal((await showWithToken(expired, "127.0.0.7")).status, 401);
  assert.equal((await showWithToken(right, "127.0.0.7")).status, 200, "expired tokens are no guesses");
  const statuses: number[] = [];
  for (let i = 0; i < 8; i++) statuses.push((await showWithToken(wrong, "127.0.0.8")).status);
  assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
  assert.ok(statuses.slice(5).includes(429), `after five wrong tokens: ${statuses}`);
  const blocked = await showWithToken(wrong, "127.0.0.8");
  assert.equal(blocked.status, 429);
  assert.ok(Number(blocked.headers["retry-after"]) >= 1);
  assert.equal((await showWithToken(right, "127.0.0.8")).status, 200, "a right token passes the block");
  assert.equal((await showWithToken(wrong, "127.0.0.9")).status, 401, "another address is not blocked");
});

test("POST /user hashes off the event loop: 40 concurrent creates at Go's cost keep the leader, and each hash verifies", async () => {
  const before = await raftView();
  const internal = internalAuthorization(cluster.internalSecret, "test");
  const results = await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      request(`http://${leader}/user`, {
        method: "POST",
        body: Buffer.from(
          JSON.stringify({ action: "create", user: { name: `bulk${i}`, password: `pw${i}` } }),
        ),
        contentType: "application/json",
        headers: { authorization: internal },
        timeoutMs: 60_000,
      }),
    ),
  );
  assert.deepEqual(
    results.map((r) => r.status),
    results.map(() => 200),
  );
  const after = await raftView();
  assert.deepEqual(after.terms, before.terms, "no election during the creates");
  const users = await requestJson<{ users: { name: string; hash: string }[] }>(`http://${leader}/user`, {
    timeoutMs: 5_000,
    headers: { authorization: internal },
  });
  const bulk = users.users.filter((u) => u.name.startsWith("bulk"));
  assert.equal(bulk.length, 40);
  for (const u of bulk.slice(0, 3)) assert.ok(bcrypt.compareSync(`pw${u.name.slice(4)}`, u.hash));
});
