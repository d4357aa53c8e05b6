// request() (src/util/http-client.ts): a connection reset is retried only on a pooled connection
// the server may have closed while it sat idle (see request); one on a new connection is an error.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { request } from "../../src/util/http-client.ts";

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test("a connection reset on a new connection is an error, not retried", async () => {
  let requests = 0;
  const server = http.createServer((req) => {
    requests++;
    req.socket.destroy(); // reset without an answer
  });
  const base = await listen(server);
  try {
    await assert.rejects(
      request(`${base}/b`, { timeoutMs: 2000, agent: new http.Agent({ keepAlive: false }) }),
      /connection reset|socket hang up/,
    );
    assert.equal(requests, 1);
  } finally {
    server.close();
  }
});

test("a pooled connection reset mid-request, then refused on the repeat: the reset is reported", async () => {
  // The server answers the first request on a kept-alive connection, then dies while reading the
  // second (reset, and nothing listens any more): the request may have been read, so the caller
  // must hear "reset" (outcome unknown), never "refused" (certainly not sent).
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    if (requests === 1) {
      res.end("ok");
      return;
    }
    server.close();
    req.socket.destroy();
  });
  const base = await listen(server);
  try {
    const first = await request(`${base}/a`, { timeoutMs: 2000, agent });
    assert.equal(first.status, 200);
    await assert.rejects(
      request(`${base}/b`, { method: "POST", body: Buffer.from("x"), timeoutMs: 2000, agent }),
      (err: Error & { code?: string }) => err.code === "ECONNRESET" || err.code === "EPIPE",
    );
    assert.equal(requests, 2, "the server read the second request before it died");
  } finally {
    agent.destroy();
    server.close();
  }
});
