// The authentication guard on a real HttpService (in process): which credentials each kind of
// route takes, the 401 texts, and that a refused call never reaches its handler.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { pino } from "pino";
import {
  AUTH_FAILED,
  authGuard,
  BASIC_UNSUPPORTED,
  internalAuthorization,
  UNPARSABLE_CREDENTIALS,
} from "../../src/server/auth.ts";
import { request } from "../../src/util/http-client.ts";
import { HttpService, sendJson } from "../../src/server/http-server.ts";
import { signJwt } from "../../src/util/jwt.ts";

const SHARED = "operators-secret-4f1d";
const INTERNAL = "nodes-secret-9a2c";
const calls: string[] = [];
const logLines: string[] = [];
const logger = pino(
  { level: "info" },
  new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  }),
);
const handler = (name: string) => (ctx: { res: import("node:http").ServerResponse }) => {
  calls.push(name);
  sendJson(ctx.res, 200, { ok: name });
};
const service = new HttpService({
  name: "guarded",
  maxBodyBytes: 1024,
  logger,
  routes: {
    "GET /ping": handler("ping"),
    "GET /status": handler("status"),
    "POST /remove-meta": handler("remove-meta"),
  },
  guard: authGuard({
    sharedSecret: SHARED,
    internalSecret: INTERNAL,
    internalOnly: new Set(["POST /remove-meta"]),
    logger,
  }),
});
const { port } = await service.listen("127.0.0.1", 0);
after(() => service.close(0));

const user = (secret = SHARED, ttl = 60, now?: number) =>
  "Bearer " + signJwt({ username: "alice" }, secret, ttl, now);

async function call(method: string, path: string, authorization?: string) {
  const res = await request(`http://127.0.0.1:${port}${path}`, {
    method,
    timeoutMs: 2_000,
    headers: authorization === undefined ? {} : { authorization },
  });
  const body = res.body.length ? (JSON.parse(res.body.toString()) as { error?: string; ok?: string }) : {};
  return { status: res.status, body, headers: res.headers };
}

test("GET and HEAD /ping need no credential", async () => {
  assert.equal((await call("GET", "/ping")).status, 200);
  assert.equal((await call("HEAD", "/ping")).status, 200);
});

test("a missing, wrong, expired or foreign-scheme credential is a 401 that never reaches the handler", async () => {
  calls.length = 0;
  const cases: Array<[string | undefined, string]> = [
    [undefined, AUTH_FAILED],
    ["", AUTH_FAILED],
    [user("not-the-secret"), AUTH_FAILED],
    [user(SHARED, 60, Date.now() / 1000 - 3600), AUTH_FAILED],
    ["Bearer", UNPARSABLE_CREDENTIALS],
    ["Bearer not-a-jwt", UNPARSABLE_CREDENTIALS],
    ["Token abc.def.ghi", UNPARSABLE_CREDENTIALS],
    ["Basic " + Buffer.from("no-colon").toString("base64"), UNPARSABLE_CREDENTIALS],
    ["Basic " + Buffer.from("admin:pw").toString("base64"), BASIC_UNSUPPORTED],
  ];
  for (const [authorization, message] of cases) {
    for (const [method, path] of [
      ["GET", "/status"],
      ["HEAD", "/status"],
      ["POST", "/remove-meta"],
    ]) {
      const res = await call(method, path, authorization);
      assert.equal(res.status, 401, `${method} ${path} with ${authorization}`);
      if (method !== "HEAD") assert.equal(res.body.error, message, `${method} ${path} with ${authorization}`);
      assert.match(String(res.headers["www-authenticate"]), /^Bearer /);
    }
  }
  assert.deepEqual(calls, [], "no refused request reached a handler");
});

test("an operator's token works on ordinary routes but not on node-to-node ones", async () => {
  calls.length = 0;
  assert.equal((await call("GET", "/status", user())).status, 200);
  const refused = await call("POST", "/remove-meta", user());
  assert.equal(refused.status, 401);
  assert.equal(refused.body.error, AUTH_FAILED);
  assert.deepEqual(calls, ["status"]);
});

test("a node's token (internal secret) works everywhere; expired, it is refused", async () => {
  calls.length = 0;
  const internal = internalAuthorization(INTERNAL, "node1:8091");
  assert.equal((await call("GET", "/status", internal)).status, 200);
  assert.equal((await call("POST", "/remove-meta", internal)).status, 200);
  const stale = "Bearer " + signJwt({ username: "node1:8091" }, INTERNAL, 60, Date.now() / 1000 - 3600);
  assert.equal((await call("POST", "/remove-meta", stale)).status, 401);
  assert.equal((await call("GET", "/status", stale)).status, 401);
  assert.deepEqual(calls, ["status", "remove-meta"]);
});

test("refusals are logged with their reason, never with the credential", async () => {
  const token = user("wrong-secret-xyz");
  logLines.length = 0;
  await call("GET", "/status", token);
  const line = logLines.find((l) => l.includes("authorization failed"));
  assert.ok(line, "a refusal is logged");
  assert.match(line, /bad token signature/);
  for (const l of logLines) {
    assert.ok(!l.includes(token.slice(7)), "the token is not logged");
    assert.ok(!l.includes(SHARED) && !l.includes(INTERNAL), "no secret is logged");
  }
});
