/**
 * A synthetic stand-in for a very large cluster, for the TUI's scale benchmark: ONE lightweight
 * process serving `count` meta-node endpoints on loopback (one port each: GET /ping and GET
 * /status in the exact shapes of docs/http-api.md) and an admin service whose GET /show lists
 * them all. It is not influxd — 1,000 real influxd processes cannot run on a small machine — it
 * only answers what the TUI's poller asks, so the benchmark measures the TUI, not the cluster.
 *
 * The membership lists every /status carries (peers, voters, nonvoters) cover all `count` nodes,
 * as a real meta node's would: the first `voters` nodes are voters, the rest nonvoters, node 1 leads.
 *
 * Run by startFakeEndpoints() as its own process (so its CPU never counts as the benchmark's):
 * it prints one JSON line when every port listens, and exits when its stdin closes, so it cannot
 * outlive the benchmark even when that is killed.
 */

import { spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { MetaNodeView, ShowResult } from "../../src/contract/cluster.ts";

const HOST = "127.0.0.1";
const VERSION = "0.1.0";
/** GET /_stats on the admin port: requests served so far, so a benchmark can check every endpoint was polled. */
export interface EndpointStats {
  ping: number;
  status: number;
  show: number;
  /** TCP connections the node endpoints accepted (few, when the TUI keeps its sockets alive). */
  connections: number;
}

export interface FakeEndpoints {
  /** host:port of the fake admin service (-bind for the TUI). */
  adminAddr: string;
  count: number;
  voters: number;
  /** Size of one /status body, in bytes. */
  statusBytes: number;
  pid: number;
  stats(): Promise<EndpointStats>;
  stop(): Promise<void>;
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, HOST, () => resolve((server.address() as AddressInfo).port));
  });
}

function serve(handler: http.RequestListener): http.Server {
  const server = http.createServer(handler);
  // The TUI keeps its sockets alive between polls; a real node closes idle ones after 5 s too.
  server.keepAliveTimeout = 5_000;
  return server;
}

async function runServer(count: number, voters: number): Promise<void> {
  const stats: EndpointStats = { ping: 0, status: 0, show: 0, connections: 0 };
  let requestId = 0;
  const send = (res: http.ServerResponse, status: number, body: string, type: string) => {
    res.writeHead(status, {
      "content-type": type,
      "content-length": Buffer.byteLength(body),
      "x-request-id": `fake-${++requestId}`,
    });
    res.end(body);
  };

  // Ports first: every node's addresses are part of every other node's /status. No request can
  // arrive before the ready line below, so the handlers may use what is built after listening.
  const servers = Array.from({ length: count }, (_, i) => serve((req, res) => answerNode(i, req, res)));
  for (const server of servers) server.on("connection", () => stats.connections++);
  const ports = await Promise.all(servers.map(listen));
  const nodes = ports.map((port, i) => ({
    id: i + 1,
    httpAddr: `${HOST}:${port}`,
    // Raft addresses are only names here (nothing dials them); a distinct loopback IP keeps them apart.
    raftAddr: `127.0.0.2:${port}`,
  }));
  const leader = nodes[0];
  const raftList = (from: number, to: number) => JSON.stringify(nodes.slice(from, to).map((n) => n.raftAddr));
  // Pre-serialised once: each answer splices the per-node fields around them.
  const peers = raftList(0, count);
  const voterList = raftList(0, voters);
  const nonvoterList = raftList(voters, count);
  const started = Date.now();
  // The log grows like a busy cluster's (10 entries a second), so every poll brings new figures.
  const index = () => 100 + Math.floor((Date.now() - started) / 100);

  const statusBody = (i: number) => {
    const n = nodes[i];
    const isLeader = i === 0;
    const commit = index();
    return (
      `{"nodeType":"meta","id":${n.id},"serverId":"fake-${n.id}","httpAddr":"${n.httpAddr}",` +
      `"raftAddr":"${n.raftAddr}","leader":"${leader.raftAddr}","leaderHttp":"${leader.httpAddr}",` +
      `"peers":${peers},"version":"${VERSION}","raft":{"state":"${isLeader ? "leader" : "follower"}",` +
      `"term":7,"commitIndex":${commit},"appliedIndex":${commit},"lastLogIndex":${commit},` +
      `"lastContactMs":${isLeader ? 0 : 3 + (i % 40)},"voters":${voterList},"nonvoters":${nonvoterList}}}`
    );
  };

  function answerNode(i: number, req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? "/").split("?")[0];
    if ((req.method === "GET" || req.method === "HEAD") && path === "/ping") {
      stats.ping++;
      send(res, 200, leader.raftAddr, "text/plain");
    } else if (req.method === "GET" && path === "/status") {
      stats.status++;
      send(res, 200, statusBody(i), "application/json");
    } else send(res, 404, JSON.stringify({ error: `${req.method} ${path}: not served` }), "application/json");
  }

  const meta: MetaNodeView[] = nodes.map((n, i) => ({
    id: n.id,
    httpAddr: n.httpAddr,
    raftAddr: n.raftAddr,
    version: VERSION,
    reachable: true,
    state: i === 0 ? "leader" : "follower",
    suffrage: i < voters ? "voter" : "nonvoter",
    raftActive: true,
  }));
  const show: ShowResult = {
    self: { httpAddr: leader.httpAddr, raftAddr: leader.raftAddr },
    leader: { httpAddr: leader.httpAddr, raftAddr: leader.raftAddr },
    membershipKnown: true,
    raftConfig: {
      index: 1,
      servers: meta.map((m) => ({
        raftAddr: m.raftAddr,
        suffrage: m.suffrage === "voter" ? "voter" : "nonvoter",
      })),
    },
    meta,
    data: [],
  };
  const showBody = JSON.stringify(show);
  const admin = serve((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && path === "/show") {
      stats.show++;
      send(res, 200, showBody, "application/json");
    } else if (req.method === "GET" && path === "/ping") {
      res.writeHead(204).end();
    } else if (req.method === "GET" && path === "/_stats") {
      send(res, 200, JSON.stringify(stats), "application/json");
    } else send(res, 404, JSON.stringify({ error: `${req.method} ${path}: not served` }), "application/json");
  });
  const adminPort = await listen(admin);
  process.stdout.write(
    JSON.stringify({
      adminAddr: `${HOST}:${adminPort}`,
      statusBytes: Buffer.byteLength(statusBody(1)),
    }) + "\n",
  );
  process.stdin.resume();
  process.stdin.on("end", () => process.exit(0));
  process.stdin.on("error", () => process.exit(0));
}

/** Starts the endpoint server as a child process and waits until all its ports listen. */
export async function startFakeEndpoints(count: number, voters = 5): Promise<FakeEndpoints> {
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`endpoint count must be a positive integer, got ${count}`);
  if (!Number.isInteger(voters) || voters < 1 || voters > count)
    throw new Error(`voters must be between 1 and the endpoint count (${count}), got ${voters}`);
  const child = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(import.meta.url), String(count), String(voters)],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once("line", resolve);
    child.once("exit", (code) =>
      reject(new Error(`fake endpoint server exited with code ${code} before listening`)),
    );
  });
  const ready = JSON.parse(first) as { adminAddr: string; statusBytes: number };
  return {
    adminAddr: ready.adminAddr,
    count,
    voters,
    statusBytes: ready.statusBytes,
    pid: child.pid!,
    async stats() {
      const res = await fetch(`http://${ready.adminAddr}/_stats`);
      return (await res.json()) as EndpointStats;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin!.end(); // the server exits when its stdin closes
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runServer(Number(process.argv[2]), Number(process.argv[3]));
}
