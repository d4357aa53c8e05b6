// Against a real influxd process (a blank node: it has no leader): slow clients lose their
// sockets once their 408 is sent, even when they keep sending (issue 21: 233 fds at 20 s), and
// every 503 this node gives for want of a leader is logged at warn, without a stack.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { LocalCluster } from "../../src/demo/local-cluster.ts";
import { encodeCommand } from "../../src/proto/index.ts";
import { request } from "../../src/util/http-client.ts";

let cluster: LocalCluster;

before(async () => {
  cluster = await LocalCluster.start({ size: 1, form: false });
});
after(() => cluster?.stop());

const openFds = (): number => readdirSync(`/proc/${cluster.nodes[0].pid}/fd`).length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A client that never stops sending: half-open, so the server's FIN does not end it. */
function trickler(addr: string): Promise<{ socket: Socket; answered: Promise<string> }> {
  const [host, port] = [addr.slice(0, addr.lastIndexOf(":")), Number(addr.slice(addr.lastIndexOf(":") + 1))];
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, allowHalfOpen: true });
    socket.on("error", () => undefined); // the reset we expect
    let text = "";
    const answered = new Promise<string>((done) => {
      socket.on("data", (chunk) => {
        text += chunk.toString("latin1");
        if (text.includes("\r\n\r\n") && text.endsWith("\n")) done(text);
      });
      socket.on("close", () => done(text));
    });
    socket.once("connect", () => {
      socket.write("GET /ping HTTP/1.1\r\nHost: x\r\n");
      resolve({ socket, answered });
    });
    socket.once("error", reject);
  });
}

test("slow clients that keep sending after their 408 lose their sockets", async () => {
  const baseline = openFds();
  const clients = await Promise.all(Array.from({ length: 30 }, () => trickler(cluster.nodes[0].httpAddr)));
  // One header byte every 200 ms, before and after the answer, until the socket is gone.
  const timer = setInterval(() => {
    for (const { socket } of clients) if (!socket.destroyed && socket.writable) socket.write("X");
  }, 200);
  try {
    // The daemon wants every header within 10 s.
    const answers = await Promise.all(clients.map((c) => c.answered));
    for (const text of answers) {
      assert.match(text, /^HTTP\/1\.1 408 /);
      assert.match(text, /\{"error":"request not received in time"\}\n$/);
    }
    // The clients keep sending for 3 s more: the server holds none of their sockets.
    await sleep(3_000);
    const held = openFds() - baseline;
    assert.ok(held < 10, `the server holds ${held} more descriptors than before the 30 clients`);
  } finally {
    clearInterval(timer);
    for (const { socket } of clients) socket.destroy();
  }
});

test("every 503 of a node without a leader is logged at warn, without a stack", async () => {
  const node = cluster.nodes[0];
  const calls: Array<[string, string, Parameters<typeof request>[1]]> = [
    ["8091 /lease", `http://${node.httpAddr}/lease?name=x&nodeid=1`, { timeoutMs: 10_000 }],
    [
      "8091 /truncate-shards",
      `http://${node.httpAddr}/truncate-shards`,
      { method: "POST", form: { delay: "1h" }, timeoutMs: 10_000 },
    ],
    [
      "8091 /execute",
      `http://${node.httpAddr}/execute`,
      {
        method: "POST",
        body: encodeCommand({ type: "CreateDatabaseCommand", name: "x" }),
        contentType: "application/octet-stream",
        timeoutMs: 10_000,
      },
    ],
    [
      "8091 /add-data",
      `http://${node.httpAddr}/add-data`,
      { method: "POST", form: { addr: "127.0.0.1:1" }, timeoutMs: 10_000 },
    ],
  ];
  const paths: string[] = [];
  for (const [what, url, opts] of calls) {
    const res = await request(url, opts);
    assert.equal(res.status, 503, `${what}: ${res.body.toString()}`);
    paths.push(new URL(url).pathname);
  }
  await sleep(500); // the log is written asynchronously
  const lines = readFileSync(node.logFile, "utf8")
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { level: number; path?: string; err?: unknown; msg: string });
  for (const path of paths) {
    const logged = lines.filter((l) => l.path === path);
    assert.ok(logged.length > 0, `${path} was logged`);
    for (const line of logged) {
      assert.equal(line.level, 40, `${path} at warn: ${JSON.stringify(line)}`);
      assert.ok(
        !JSON.stringify(line).includes('"stack"'),
        `${path} without a stack: ${JSON.stringify(line)}`,
      );
    }
  }
});
