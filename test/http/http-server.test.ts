import { test, after } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { pino } from "pino";
import { HttpError } from "../../src/server/errors.ts";
import { HttpService, sendJson } from "../../src/server/http-server.ts";
import { HttpStatusError, request, requestJson, UnreachableError } from "../../src/util/http-client.ts";

const service = new HttpService({
  name: "test service",
  maxBodyBytes: 1024,
  logger: pino({ level: "silent" }),
  routes: {
    "GET /hello": (ctx) => sendJson(ctx.res, 200, { hello: ctx.url.searchParams.get("name") }),
    "POST /echo": async (ctx) => sendJson(ctx.res, 200, Object.fromEntries(await ctx.params())),
    "POST /fail": () => {
      throw new HttpError(409, "meta node x:8091 is busy; try again");
    },
    "GET /crash": () => {
      throw new Error("boom");
    },
    "GET /slow": async (ctx) => {
      await new Promise((r) => setTimeout(r, 2_000));
      sendJson(ctx.res, 200, {});
    },
  },
});
const { port } = await service.listen("127.0.0.1", 0);
const base = `http://127.0.0.1:${port}`;
after(() => service.close(0));

test("routes answer with JSON and a request id (echoed when given)", async () => {
  const res = await request(`${base}/hello?name=x`, {
    timeoutMs: 2000,
    headers: { "x-request-id": "abc-1" },
  });
  assert.equal(res.status, 200);
  assert.deepEqual(JSON.parse(res.body.toString()), { hello: "x" });
  assert.equal(res.headers["x-request-id"], "abc-1");
  const other = await request(`${base}/hello`, { timeoutMs: 2000 });
  assert.match(String(other.headers["x-request-id"]), /^[0-9a-f]{16}$/);
});

test("form bodies and query strings both give parameters", async () => {
  const out = await requestJson(`${base}/echo?a=1`, { method: "POST", form: { b: "2" }, timeoutMs: 2000 });
  assert.deepEqual(out, { a: "1", b: "2" });
});

test("errors are JSON with the right status: handler errors, 404, 405 naming the method, 500", async () => {
  await assert.rejects(requestJson(`${base}/fail`, { method: "POST", timeoutMs: 2000 }), (e) => {
    return (
      e instanceof HttpStatusError && e.status === 409 && e.message === "meta node x:8091 is busy; try again"
    );
  });
  await assert.rejects(requestJson(`${base}/nope`, { timeoutMs: 2000 }), {
    status: 404,
    message: "no such endpoint: /nope",
  });
  const res = await request(`${base}/fail`, { timeoutMs: 2000 });
  assert.equal(res.status, 405);
  assert.deepEqual(JSON.parse(res.body.toString()), { error: "use POST /fail" });
  assert.equal(res.headers.allow, "POST");
  await assert.rejects(requestJson(`${base}/crash`, { timeoutMs: 2000 }), { status: 500, message: "boom" });
});

test("an oversized body is refused with 413 before it is read, by declared or actual size", async () => {
  const big = new Uint8Array(4096);
  await assert.rejects(
    requestJson(`${base}/echo`, {
      method: "POST",
      body: big,
      contentType: "application/x-www-form-urlencoded",
      timeoutMs: 2000,
    }),
    {
      status: 413,
    },
  );
  // Chunked upload with no content-length: counted as it arrives.
  const status = await new Promise<string>((resolve) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n",
      );
      socket.write(`800\r\n${"a".repeat(0x800)}\r\n`);
    });
    socket.once("data", (d) => resolve(d.toString().split("\r\n")[0]));
  });
  assert.equal(status, "HTTP/1.1 413 Payload Too Large");
});

test("client: unreachable and timed-out requests fail with a message naming the host", async () => {
  await assert.rejects(request("http://127.0.0.1:1/ping", { timeoutMs: 2000 }), (e) => {
    return (
      e instanceof UnreachableError &&
      e.code === "ECONNREFUSED" &&
      /127\.0\.0\.1:1: connection refused/.test(e.message)
    );
  });
  await assert.rejects(request(`${base}/slow`, { timeoutMs: 100 }), (e) => {
    return (
      e instanceof UnreachableError && e.code === "ETIMEDOUT" && /no answer within 100ms/.test(e.message)
    );
  });
});

test("a busy port is a clear start-up error", async () => {
  const other = new HttpService({
    name: "second",
    maxBodyBytes: 1,
    logger: pino({ level: "silent" }),
    routes: {},
  });
  await assert.rejects(other.listen("127.0.0.1", port), {
    message: `second: cannot listen on 127.0.0.1:${port}: address already in use`,
  });
});
