// A secured cluster of real influxd processes: JWT authentication on both services, HTTPS on
// both, mutual TLS on Raft (LocalCluster with auth and tls). Every endpoint refuses a missing or
// wrong credential, destructive calls without one change nothing, node-to-node endpoints refuse
// operators' tokens, influxd-ctl authenticates from a secret file, a node is removed over TLS,
// and no secret ever reaches a log or `influxd config`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import https from "node:https";
import { join } from "node:path";
import { adminRoutes } from "../../src/server/admin-routes.ts";
import { LocalCluster } from "../../src/demo/local-cluster.ts";
import { enterpriseRoutes } from "../../src/server/enterprise-routes.ts";
import { metaRoutes } from "../../src/server/meta-routes.ts";
import type { StatusJson } from "../../src/meta/service.ts";
import { encodeCommand } from "../../src/proto/index.ts";
import bcrypt from "bcryptjs";
import { AUTH_FAILED, internalAuthorization, NO_ADMIN_USER } from "../../src/server/auth.ts";
import { request, requestJson } from "../../src/util/http-client.ts";
import { signJwt } from "../../src/util/jwt.ts";
import { BIN } from "../support/cluster.ts";

let cluster: LocalCluster;
/** Index of the blank node (started after the cluster formed, never added). */
let blank: number;
let ca: Buffer;
const tokensSent: string[] = [];

before(async () => {
  cluster = await LocalCluster.start({ size: 3, auth: true, tls: true });
  blank = await cluster.addNode();
  ca = readFileSync(cluster.security.caFile!);
});
after(() => cluster?.stop());

function userToken(secret = cluster.sharedSecret, nowSeconds?: number): string {
  const token = "Bearer " + signJwt({ username: "operator" }, secret, 60, nowSeconds);
  tokensSent.push(token.slice(7));
  return token;
}
function internalToken(): string {
  const token = internalAuthorization(cluster.internalSecret, "test");
  tokensSent.push(token.slice(7));
  return token;
}

interface Call {
  method: string;
  path: string;
  form?: Record<string, string>;
  body?: Uint8Array;
}

/**
 * Each call from a loopback address of its own: the guard throttles failed credentials per client
 * address (src/server/auth.ts), and these tests count each route's refusal, not the throttle's.
 */
let sources = 0;
function freshSource(): https.Agent {
  const n = sources++;
  return new https.Agent({ localAddress: `127.0.${1 + Math.floor(n / 250)}.${1 + (n % 250)}` });
}

async function send(addr: string, call: Call, authorization?: string) {
  const res = await request(`https://${addr}${call.path}`, {
    agent: freshSource(),
    method: call.method,
    form: call.form,
    body: call.body,
    contentType: call.body ? "application/octet-stream" : undefined,
    timeoutMs: 5_000,
    tls: { rejectUnauthorized: true, ca },
    headers: authorization === undefined ? {} : { authorization },
  });
  const text = res.body.toString("utf8");
  let error: string | undefined;
  try {
    error = (JSON.parse(text) as { error?: string }).error;
  } catch {
    error = undefined;
  }
  return { status: res.status, error };
}

function status(i: number): Promise<StatusJson> {
  return requestJson<StatusJson>(`https://${cluster.nodes[i].httpAddr}/status`, {
    timeoutMs: 5_000,
    tls: { rejectUnauthorized: true, ca },
    headers: { authorization: userToken() },
  });
}

/** Every route of both services, as "METHOD /path", straight from the route tables. */
const META_ROUTES = Object.keys(
  metaRoutes(
    null as never,
    { enterprise: enterpriseRoutes({ admin: {}, peers: { scheme: "https" } } as never) } as never,
  ),
);
const ADMIN_ROUTES = Object.keys(adminRoutes(null as never));
// POST /join also serves the Enterprise add-meta (addr only); its node-to-node form (with
// raftAddr) checks the credential itself: see the destructive-calls test.
const META_INTERNAL = new Set([
  "POST /execute",
  "POST /remove-meta",
  "POST /leadership-transfer",
  "GET /",
  "POST /hand-back",
]);
const asCall = (route: string): Call => {
  const [method, path] = route.split(" ");
  // The long poll answers at once with a timeout (a blank node's metadata is at index 0).
  return { method, path: path === "/" ? "/?index=0&timeout=1ms" : path };
};

test("the cluster formed over HTTPS with Raft on mutual TLS, and answers only in TLS", async () => {
  const s = await status(0);
  assert.equal(s.raft.voters.length, 3);
  assert.ok(s.leader !== "");
  // A plain-HTTP client is told what to do instead of being cut off.
  for (const addr of [cluster.nodes[0].httpAddr, cluster.nodes[0].adminAddr]) {
    const res = await request(`http://${addr}/ping`, { timeoutMs: 5_000 });
    assert.equal(res.status, 400);
    assert.match(res.body.toString(), /this port serves HTTPS: use https:\/\//);
  }
  // A plain TCP peer on the Raft port fails the TLS handshake and is dropped.
  const raft = cluster.nodes[0].raftAddr.split(":");
  await new Promise<void>((resolve, reject) => {
    const socket = connect(Number(raft[1]), raft[0], () => socket.write(Buffer.alloc(64, 7)));
    socket.on("close", () => resolve());
    socket.on("error", () => undefined);
    setTimeout(() => reject(new Error("the raft port kept a plain connection open")), 5_000).unref();
  });
  // A client that does not trust the cluster's CA is refused by its own TLS check.
  await assert.rejects(
    request(`https://${cluster.nodes[0].httpAddr}/ping`, {
      timeoutMs: 5_000,
      tls: { rejectUnauthorized: true },
    }),
    /certificate not trusted/,
  );
});

test("every endpoint but /ping refuses a missing and a wrong credential with 401", async () => {
  const targets: Array<[string, string[]]> = [
    [cluster.nodes[0].httpAddr, META_ROUTES],
    [cluster.nodes[0].adminAddr, ADMIN_ROUTES],
  ];
  for (const [addr, routes] of targets) {
    for (const route of routes) {
      if (route === "GET /ping") continue;
      for (const authorization of [undefined, userToken("a-wrong-secret"), "Bearer x.y"]) {
        const res = await send(addr, asCall(route), authorization);
        assert.equal(res.status, 401, `${route} on ${addr} with ${authorization ?? "nothing"}`);
        assert.match(res.error ?? "", /^(authorization failed|unable to parse authentication credentials)$/);
      }
    }
  }
  assert.equal((await send(cluster.nodes[0].httpAddr, asCall("GET /ping"))).status, 200);
  assert.equal((await send(cluster.nodes[0].adminAddr, asCall("GET /ping"))).status, 204);
});

test("every endpoint accepts the right credential; node-to-node ones refuse an operator's token", async () => {
  // On the blank node, so that accepted calls are harmless (they fail validation or find no cluster).
  const node = cluster.nodes[blank];
  for (const route of META_ROUTES) {
    const right = META_INTERNAL.has(route) ? internalToken() : userToken();
    const res = await send(node.httpAddr, asCall(route), right);
    assert.notEqual(res.status, 401, `${route} with its credential: ${res.error}`);
    if (META_INTERNAL.has(route)) {
      const refused = await send(node.httpAddr, asCall(route), userToken());
      assert.equal(refused.status, 401, `${route} with an operator's token`);
      assert.equal(refused.error, AUTH_FAILED);
    }
  }
  for (const route of ADMIN_ROUTES) {
    const res = await send(node.adminAddr, asCall(route), userToken());
    assert.notEqual(res.status, 401, `${route}: ${res.error}`);
  }
  assert.equal((await send(node.adminAddr, asCall("GET /show"), internalToken())).status !== 401, true);
});

test("an expired token is refused", async () => {
  const expired = userToken(cluster.sharedSecret, Date.now() / 1000 - 3600);
  assert.equal((await send(cluster.nodes[0].adminAddr, asCall("GET /show"), expired)).status, 401);
  assert.equal((await send(cluster.nodes[0].httpAddr, asCall("GET /status"), expired)).status, 401);
  assert.equal((await send(cluster.nodes[0].adminAddr, asCall("GET /show"), userToken())).status, 200);
});

test("destructive calls without the right credential change nothing", async () => {
  const leader = await cluster.leaderIndex();
  const follower = [0, 1, 2].find((i) => i !== leader)!;
  const [L, F, B] = [cluster.nodes[leader], cluster.nodes[follower], cluster.nodes[blank]];
  const before = await Promise.all([0, 1, 2].map(status));
  const blankBefore = await status(blank);
  const calls: Array<[string, Call, boolean]> = [
    [
      L.adminAddr,
      { method: "POST", path: "/remove-meta", form: { metahttp: F.httpAddr, force: "true" } },
      false,
    ],
    [L.adminAddr, { method: "POST", path: "/add-meta", form: { addr: B.httpAddr } }, false],
    [L.adminAddr, { method: "POST", path: "/leave" }, false],
    [L.adminAddr, { method: "POST", path: "/add-data", form: { tcpAddr: "d1:8088" } }, false],
    [
      L.httpAddr,
      {
        method: "POST",
        path: "/execute",
        body: encodeCommand({ type: "CreateDatabaseCommand", name: "forbidden" }),
      },
      true,
    ],
    [F.httpAddr, { method: "POST", path: "/remove-meta" }, true],
    [L.httpAddr, { method: "POST", path: "/leadership-transfer" }, true],
    [
      L.httpAddr,
      {
        method: "POST",
        path: "/join",
        form: { addr: B.httpAddr, raftAddr: B.raftAddr, serverId: blankBefore.serverId },
      },
      true,
    ],
  ];
  for (const [addr, call, internalOnly] of calls) {
    const credentials = [undefined, userToken("a-wrong-secret"), "Basic YWRtaW46cHc="];
    if (internalOnly) credentials.push(userToken());
    for (const authorization of credentials) {
      const res = await send(addr, call, authorization);
      assert.equal(res.status, 401, `${call.path} on ${addr} with ${authorization ?? "nothing"}`);
    }
  }
  const afterwards = await Promise.all([0, 1, 2].map(status));
  for (const [i, s] of afterwards.entries()) {
    assert.deepEqual(s.raft.voters, before[i].raft.voters, `voters of node ${i}`);
    assert.equal(s.raft.lastLogIndex, before[i].raft.lastLogIndex, `lastLogIndex of node ${i}`);
    assert.equal(s.leader, before[i].leader, `leader seen by node ${i}`);
  }
  assert.equal((await status(blank)).raft.state, "unbootstrapped");
  const show = await cluster.admin(leader).show();
  assert.equal(show.data.length, 0);
});

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function ctl(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, "ctl", ...args],
      { encoding: "utf8", timeout: 30_000, env: { ...process.env, ...env } },
      (err, stdout, stderr) =>
        done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test("influxd-ctl: -secret-file (jwt implied) or -auth-type jwt -secret works; without, exit 1 and one line", async () => {
  const bind = ["-bind", cluster.nodes[0].adminAddr, "-bind-tls"];
  const trustCa = { NODE_EXTRA_CA_CERTS: cluster.security.caFile! };
  const withFile = await ctl(
    [...bind, "-auth-type", "jwt", "-secret-file", cluster.security.sharedSecretFile!, "show"],
    trustCa,
  );
  assert.equal(withFile.code, 0, withFile.stderr);
  assert.match(withFile.stdout, /^Meta Nodes\n==========/m);

  const withFlag = await ctl([...bind, "-k", "-auth-type", "jwt", "-secret", cluster.sharedSecret, "show"]);
  assert.equal(withFlag.code, 0, withFlag.stderr);

  // -secret-file alone implies -auth-type jwt, as the README says (and the TUI does).
  const implied = await ctl([...bind, "-secret-file", cluster.security.sharedSecretFile!, "show"], trustCa);
  assert.equal(implied.code, 0, implied.stderr);
  assert.match(implied.stdout, /^Meta Nodes\n==========/m);
  // An explicit -auth-type none still wins: the file is not read into a token.
  const explicitNone = await ctl(
    [...bind, "-auth-type", "none", "-secret-file", cluster.security.sharedSecretFile!, "show"],
    trustCa,
  );
  assert.equal(explicitNone.code, 1);

  const none = await ctl([...bind, "show"], trustCa);
  assert.equal(none.code, 1);
  assert.equal(
    none.stderr,
    "show: authorization failed (the cluster requires credentials: -auth-type jwt -secret-file FILE)\n",
  );

  const wrongFile = join(cluster.baseDir, "wrong-secret");
  writeFileSync(wrongFile, "not-the-secret\n", { mode: 0o600 });
  const wrong = await ctl(
    [...bind, "-auth-type", "jwt", "-secret-file", wrongFile, "remove-meta", "-y", cluster.nodes[1].httpAddr],
    trustCa,
  );
  assert.equal(wrong.code, 1);
  assert.equal(wrong.stderr, "remove-meta: authorization failed\n");

  // Basic credentials are checked against the meta store's users; there are none yet.
  const basic = await ctl([...bind, "-auth-type", "basic", "-user", "admin", "-pwd", "pw", "show"], trustCa);
  assert.equal(basic.code, 1);
  assert.equal(basic.stderr, "show: authorization failed: must create admin user first\n");

  const plain = await ctl([
    "-bind",
    cluster.nodes[0].adminAddr,
    "-auth-type",
    "jwt",
    "-secret-file",
    cluster.security.sharedSecretFile!,
    "show",
  ]);
  assert.equal(plain.code, 1);
  assert.match(plain.stderr, /^show: this port serves HTTPS: use https:\/\/ \(influxd-ctl -bind-tls\)\n$/);

  const untrusted = await ctl([
    ...bind,
    "-auth-type",
    "jwt",
    "-secret-file",
    cluster.security.sharedSecretFile!,
    "show",
  ]);
  assert.equal(untrusted.code, 1);
  assert.match(
    untrusted.stderr,
    /^show: .*certificate not trusted: .* \(trust its CA with NODE_EXTRA_CA_CERTS=ca.pem, or skip verification with -k\)\n$/,
  );

  const both = await ctl([...bind, "-auth-type", "jwt", "-secret", "x", "-secret-file", wrongFile, "show"]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /^show: use -secret or -secret-file, not both/);

  const s = await status(0);
  assert.equal(s.raft.voters.length, 3, "no failed command changed the cluster");
});

test("over TLS with auth: removing the leader (transfer, removal, cleanup) and joining a blank node", async () => {
  const leader = await cluster.leaderIndex();
  const via = [0, 1, 2].find((i) => i !== leader)!;
  const target = cluster.nodes[leader];
  const auth = ["-auth-type", "jwt", "-secret-file", cluster.security.sharedSecretFile!];
  const env = { NODE_EXTRA_CA_CERTS: cluster.security.caFile! };
  const removed = await ctl(
    ["-bind", cluster.nodes[via].adminAddr, "-bind-tls", ...auth, "remove-meta", "-y", target.httpAddr],
    env,
  );
  assert.equal(removed.code, 0, removed.stderr);
  assert.match(removed.stdout, new RegExp(`^Removed meta node \\d+ at ${target.httpAddr}$`, "m"));
  assert.equal((await status(leader)).raft.state, "unbootstrapped", "the removed node wiped itself");
  const rest = await status(via);
  assert.equal(rest.raft.voters.length, 2);
  assert.ok(!rest.raft.voters.includes(target.raftAddr));

  const joined = await ctl(
    ["-bind", cluster.nodes[blank].adminAddr, "-bind-tls", ...auth, "join", cluster.nodes[via].httpAddr],
    env,
  );
  assert.equal(joined.code, 0, joined.stderr);
  assert.match(joined.stdout, /^Successfully joined cluster/);
  await cluster.waitFor("the joined node to become a voter", async () => {
    const s = await status(via);
    return s.raft.voters.includes(cluster.nodes[blank].raftAddr);
  });
});

test("over TLS with auth: a new node started with `influxd -join` becomes a voter", async () => {
  // Through a follower: the join is redirected to the leader, over HTTPS, with credentials.
  let follower = -1;
  for (const i of [0, 1, 2, blank]) if ((await status(i)).raft.state === "follower") follower = i;
  assert.notEqual(follower, -1);
  const joiner = await cluster.addNode({ join: [cluster.nodes[follower].httpAddr] });
  await cluster.waitFor("the -join node to become a voter", async () => {
    const s = await status(joiner).catch(() => null);
    return s !== null && s.raft.voters.includes(cluster.nodes[joiner].raftAddr) && s.leader !== "";
  });
  const log = readFileSync(cluster.nodes[joiner].logFile, "utf8");
  assert.match(log, /"joined the cluster"/);
  const s = await status(joiner);
  assert.ok(s.id > 0, "the joined node has its MetaNodes record");
});

test("no secret and no token ever reaches a node's log or `influxd config`", async () => {
  const secrets = [cluster.sharedSecret, cluster.internalSecret];
  const logs = cluster.nodes.map((node) => readFileSync(node.logFile, "utf8"));
  assert.match(logs[0], /request refused: authorization failed/, "refusals are logged");
  for (const [i, node] of cluster.nodes.entries()) {
    const log = logs[i];
    for (const s of [...secrets, ...tokensSent])
      assert.ok(!log.includes(s), `${node.name}'s log holds a secret`);
    assert.ok(!/bearer /i.test(log), `${node.name}'s log holds an Authorization header`);
  }
  const printed = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      [BIN, "influxd", "config", "-config", cluster.nodes[0].configFile],
      {
        encoding: "utf8",
        env: {
          ...process.env,
          INFLUXDB_META_SHARED_SECRET_FILE: "",
          INFLUXDB_META_SHARED_SECRET: "inline-secret-for-config-output",
        },
      },
      (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout)),
    ),
  );
  assert.match(printed, /^ {2}shared-secret = "<redacted>"$/m);
  assert.match(printed, /^ {2}internal-shared-secret-file = ".+"$/m);
  for (const s of [...secrets, "inline-secret-for-config-output"]) assert.ok(!printed.includes(s));
});

test("user credentials (basic, ?u=&p=, Token u:p) are checked against the meta store's bcrypt hashes; admins only", async () => {
  const leader = cluster.nodes[await cluster.leaderIndex()];
  const basic = (user: string, password: string) =>
    "Basic " + Buffer.from(`${user}:${password}`).toString("base64");
  const show: Call = { method: "GET", path: "/show-cluster" };
  const before = await send(leader.httpAddr, show, basic("admin", "pw"));
  assert.deepEqual(before, { status: 401, error: NO_ADMIN_USER });
  // The hashes Go's meta client writes: bcrypt, "$2a$" prefix.
  const goHash = (password: string) => bcrypt.hashSync(password, 4).replace(/^\$2b\$/, "$2a$");
  for (const [name, password, admin] of [
    ["admin", "pw", true],
    ["reader", "pw2", false],
  ] as const) {
    const created = await send(
      leader.httpAddr,
      {
        method: "POST",
        path: "/execute",
        body: encodeCommand({ type: "CreateUserCommand", name, hash: goHash(password), admin }),
      },
      internalToken(),
    );
    assert.equal(created.status, 200);
  }
  // /execute answered once the leader applied it.
  assert.equal((await send(leader.httpAddr, show, basic("admin", "pw"))).status, 200);
  assert.equal(
    (await send(leader.httpAddr, { method: "GET", path: "/show-cluster?u=admin&p=pw" })).status,
    200,
  );
  assert.equal((await send(leader.httpAddr, show, "Token admin:pw")).status, 200);
  assert.equal(
    (await send(leader.adminAddr, { method: "GET", path: "/show" }, basic("admin", "pw"))).status,
    200,
  );
  assert.deepEqual(await send(leader.httpAddr, show, basic("admin", "wrong")), {
    status: 401,
    error: AUTH_FAILED,
  });
  assert.deepEqual(await send(leader.httpAddr, show, basic("nobody", "pw")), {
    status: 401,
    error: AUTH_FAILED,
  });
  const reader = await send(leader.httpAddr, show, basic("reader", "pw2"));
  assert.equal(reader.status, 401);
  assert.match(reader.error ?? "", /user "reader" is not an admin/);
  // Node-to-node endpoints never take user credentials.
  const execute = await send(
    leader.httpAddr,
    { method: "POST", path: "/execute", body: encodeCommand({ type: "CreateDatabaseCommand", name: "no" }) },
    basic("admin", "pw"),
  );
  assert.equal(execute.status, 401);
  const join = await send(
    leader.httpAddr,
    { method: "POST", path: "/join", form: { addr: "x:1", raftAddr: "x:2", serverId: "s" } },
    basic("admin", "pw"),
  );
  assert.equal(join.status, 401);
  assert.equal(
    (await send(leader.httpAddr, { method: "GET", path: "/?index=0&timeout=1ms" }, basic("admin", "pw")))
      .status,
    401,
  );
});
