// Oversized bodies and slow clients against the shared HTTP plumbing (in process, with short
// slow-client timeouts; the daemon uses the 10 s / 30 s defaults): 413 before a large body is
// read, trickled headers and stalled bodies cut off, everyone else served meanwhile.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { pino } from "pino";
import { HttpService, sendJson } from "../../src/server/http-server.ts";
import { request } from "../../src/util/http-client.ts";
import { rawConnect, rawJsonBody } from "../support/raw-http.ts";

const LIMIT = 1024;
const HEADERS_MS = 400;
const REQUEST_MS = 800;
/** How long a cut-off may take at most before the test calls it a hang: the timeout plus
 *  generous slack for a loaded machine (this bounds a hang; it is not a performance check). */
const CUT_OFF_DEADLINE_MS = REQUEST_MS + 4_000;

const service = new HttpService({
  name: "slow-client test service",
  maxBodyBytes: LIMIT,
  logger: pino({ level: "silent" }),
  timeouts: { headersMs: HEADERS_MS, requestMs: REQUEST_MS },
  routes: {
    "GET /hello": (ctx) => sendJson(ctx.res, 200, { hello: true }),
    "POST /echo": async (ctx) => sendJson(ctx.res, 200, Object.fromEntries(await ctx.params())),
    "POST /bytes": async (ctx) => sendJson(ctx.res, 200, { length: (await ctx.body()).length }),
  },
});
const { port } = await service.listen("127.0.0.1", 0);
const addr = `127.0.0.1:${port}`;
after(() => service.close(0));

const hello = async () => {
  const res = await request(`http://${addr}/hello`, { timeoutMs: 5_000 });
  assert.equal(res.status, 200);
};

test("the daemon's defaults: headers within 10 s, the request within 30 s", () => {
  const defaults = new HttpService({
    name: "defaults",
    maxBodyBytes: 1,
    logger: pino({ level: "silent" }),
    routes: {},
  });
  assert.equal(defaults.server.headersTimeout, 10_000);
  assert.equal(defaults.server.requestTimeout, 30_000);
  assert.equal(service.server.headersTimeout, HEADERS_MS);
  assert.equal(service.server.requestTimeout, REQUEST_MS);
});

test("a declared Content-Length over the limit gets 413 at once, before any body byte is sent", async () => {
  for (const path of ["/bytes", "/echo"]) {
    const client = await rawConnect(addr);
    client.write(
      `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${1024 ** 4}\r\n\r\n`,
    );
    const outcome = await client.outcome(CUT_OFF_DEADLINE_MS);
    client.destroy();
    assert.equal(outcome.status, 413, outcome.text);
    assert.match(outcome.text, /\r\nconnection: close\r\n/i, "the connection is not reused");
    assert.deepEqual(rawJsonBody(outcome.text), { error: `request body larger than ${LIMIT} bytes` });
  }
});

test("requests Node's parser refuses get a JSON error too: headers too large, a malformed request line", async () => {
  const cases = [
    [`GET /hello?q=${"a".repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 431],
    ["GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(20_000) + "\r\n\r\n", 431],
    ["BREW /\0 HTCPCP/1.0\r\n\r\n", 400],
    ["GET /hello HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400],
  ] as const;
  for (const [raw, status] of cases) {
    const client = await rawConnect(addr);
    client.write(raw);
    const outcome = await client.outcome(CUT_OFF_DEADLINE_MS);
    client.destroy();
    assert.equal(outcome.status, status, outcome.text.slice(0, 200));
    const { error } = rawJsonBody(outcome.text) as { error: string };
    assert.match(error, status === 431 ? /headers larger/ : /^malformed request/);
  }
  await hello();
});

test("a chunked body that passes the limit gets 413 while the client is still sending", async () => {
  const client = await rawConnect(addr);
  client.write("POST /bytes HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
  const chunk = `400\r\n${"x".repeat(0x400)}\r\n`;
  // Keep sending, well past the limit, until the answer comes.
  const sender = setInterval(() => client.write(chunk), 5);
  const outcome = await client.outcome(CUT_OFF_DEADLINE_MS);
  clearInterval(sender);
  client.destroy();
  assert.equal(outcome.status, 413, outcome.text);
  assert.match(outcome.text, /\r\nconnection: close\r\n/i);
});

test("an ordinary client uploading too much reads the 413 (no reset), and its next request is served", async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const big = await request(`http://${addr}/echo`, {
      method: "POST",
      body: new Uint8Array(256 * 1024).fill(0x61),
      contentType: "application/x-www-form-urlencoded",
      timeoutMs: 5_000,
      agent,
    });
    assert.equal(big.status, 413);
    assert.deepEqual(JSON.parse(big.body.toString()), { error: `request body larger than ${LIMIT} bytes` });
    // The rest of the body was drained, so the connection may be reused safely.
    const next = await new Promise<number>((resolve, reject) => {
      const req = http.get(`http://${addr}/hello`, { agent }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      req.on("error", reject);
    });
    assert.equal(next, 200);
  } finally {
    agent.destroy();
  }
});

test("slow-loris: clients trickling headers or stalling mid-body are cut off, others are served meanwhile", async () => {
  const trickling = await Promise.all(Array.from({ length: 8 }, () => rawConnect(addr)));
  const header = "GET /hello HTTP/1.1\r\nHost: x\r\nX-Padding: " + "p".repeat(200);
  let sent = 0;
  const trickle = setInterval(() => {
    for (const c of trickling) c.write(header[sent % header.length]);
    sent++;
  }, 50);
  const stalled = await Promise.all(Array.from({ length: 8 }, () => rawConnect(addr)));
  for (const c of stalled) {
    c.write("POST /bytes HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789");
  }
  try {
    // Meanwhile the service keeps answering everyone else, many times over.
    const served = (async () => {
      for (let i = 0; i < 40; i++) await Promise.all([hello(), hello()]);
    })();
    const outcomes = await Promise.all([...trickling, ...stalled].map((c) => c.outcome(CUT_OFF_DEADLINE_MS)));
    await served;
    for (const o of outcomes) {
      // A 408 with a JSON error when the server can still write, else it closes the connection.
      if (o.status === 408) assert.deepEqual(rawJsonBody(o.text), { error: "request not received in time" });
      else assert.ok(o.status === undefined && o.closed, o.text);
    }
  } finally {
    clearInterval(trickle);
    for (const c of [...trickling, ...stalled]) c.destroy();
  }
  await hello();
});
