// POST /announce against real influxd processes, as a hostile client sends it (issue 21: one
// POST of 150,000 gossip entries dated 2099 kept a cluster electing leaders for minutes) and as a
// Go data node sends it (its own entry, possibly before add-data registers it).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { LocalCluster } from "../../src/demo/local-cluster.ts";
import { request, type HttpResponse } from "../../src/util/http-client.ts";
import { metaClient, status } from "../support/cluster.ts";
import { rawConnect, rawJsonBody } from "../support/raw-http.ts";

let cluster: LocalCluster;

before(async () => {
  cluster = await LocalCluster.start({
    size: 3,
    // Expiry observed in seconds (defaults 30s and 5s), yet not before a loaded machine looks.
    meta: { "announcement-expiration": "5s", "gossip-frequency": "250ms" },
  });
});
after(() => cluster?.stop());

function announce(addr: string, body: unknown): Promise<HttpResponse> {
  return request(`http://${addr}/announce`, {
    method: "POST",
    body: Buffer.from(typeof body === "string" ? body : JSON.stringify(body)),
    contentType: "application/json",
    timeoutMs: 60_000,
  });
}

const entry = (tcpAddr: string, version: string, time: string) => ({
  tcpAddr,
  httpAddr: tcpAddr.replace(":8088", ":8086"),
  httpScheme: "http",
  time,
  nodeType: "data",
  status: "joined",
  context: null,
  version,
});

type Show = { data: { tcpAddr: string; version: string }[] };
async function versionsOf(tcpAddr: string): Promise<string[]> {
  return Promise.all(
    cluster.nodes.map(async (n) => {
      const res = await request(`http://${n.httpAddr}/show-cluster`, { timeoutMs: 5_000 });
      const show = JSON.parse(res.body.toString()) as Show;
      return show.data.find((d) => d.tcpAddr === tcpAddr)?.version ?? "(no record)";
    }),
  );
}

async function terms(): Promise<number[]> {
  return Promise.all(cluster.nodes.map(async (n) => (await status(n.httpAddr)).raft.term));
}

test("150,000 gossip entries dated 2099 are refused with 413 before they are read, and no election follows", async () => {
  const before = await terms();
  const gossip: Record<string, unknown> = {};
  for (let i = 0; i < 150_000; i++) {
    const addr = `d${i}.example:8088`;
    gossip[addr] = entry(addr, "1.8.11-c1.2.0", "2099-01-01T00:00:00Z");
  }
  const body = JSON.stringify({ ...entry("m9:8089", "x", new Date().toISOString()), context: { gossip } });
  assert.ok(body.length < 32 * 1024 * 1024, "under the server's general body limit");
  // Sent whole, as the attacker did, on a raw socket: the answer is read whenever it comes (the
  // server may cut the upload off once it has answered).
  const client = await rawConnect(cluster.nodes[0].httpAddr);
  client.write(
    `POST /announce HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
  );
  client.write(body);
  const outcome = await client.outcome(30_000);
  client.destroy();
  assert.equal(outcome.status, 413, outcome.text.slice(0, 300));
  const json = rawJsonBody(outcome.text) as { error: string };
  assert.match(json.error, /request body larger than 524288 bytes/);
  assert.equal(outcome.text.split("\r\n\r\n")[1].trimEnd().split("\n").length, 1, "a one-line JSON error");
  // Several gossip rounds later the term and the leader are unchanged everywhere.
  await new Promise((r) => setTimeout(r, 3_000));
  assert.deepEqual(await terms(), before);
});

test("more than 1,000 gossip entries in a small body are refused with 400 naming the limit", async () => {
  const gossip: Record<string, unknown> = {};
  for (let i = 0; i <= 1_000; i++) gossip[`d${i}:1`] = {};
  const res = await announce(cluster.nodes[1].httpAddr, {
    ...entry("m9:8089", "x", new Date().toISOString()),
    context: { gossip },
  });
  assert.equal(res.status, 400);
  assert.match(
    (JSON.parse(res.body.toString()) as { error: string }).error,
    /"context.gossip" has more than 1000 entries/,
  );
});

test("a passed-on entry dated 2099 is timed by the receivers' clocks and expires on every node", async () => {
  const forged = "forged.example:8088";
  await metaClient(cluster).execute({
    type: "CreateDataNodeCommand",
    httpAddr: "forged.example:8086",
    tcpAddr: forged,
  });
  const res = await announce(cluster.nodes[0].httpAddr, {
    ...entry("gossiper.example:8089", "x", new Date().toISOString()),
    nodeType: "meta",
    context: { gossip: { [forged]: entry(forged, "from-2099", "2099-01-01T00:00:00Z") } },
  });
  assert.equal(res.status, 204);
  assert.equal((await versionsOf(forged))[0], "from-2099", "taken as just heard");
  // Gossip between the meta nodes passes it on but never renews it: gone everywhere after 5 s.
  await cluster.waitFor(
    "the entry to expire on every node",
    async () => (await versionsOf(forged)).every((v) => v === ""),
    10_000,
  );
  // And it stays gone: nothing re-gossips it.
  await new Promise((r) => setTimeout(r, 1_000));
  assert.deepEqual(await versionsOf(forged), ["", "", ""]);
});

test("a data node announcing itself before add-data registers it is heard, and shown everywhere once registered", async () => {
  const early = "early.example:8088";
  // As a Go data node: its own entry every gossip period (here 250 ms), to one meta node.
  let announcing = true;
  const loop = (async () => {
    while (announcing) {
      const res = await announce(
        cluster.nodes[2].httpAddr,
        entry(early, "1.8.11-c1.2.0", "2026-01-01T00:00:00Z"),
      );
      assert.equal(res.status, 204);
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  try {
    await new Promise((r) => setTimeout(r, 600));
    assert.deepEqual(await versionsOf(early), ["(no record)", "(no record)", "(no record)"]);
    await metaClient(cluster).execute({
      type: "CreateDataNodeCommand",
      httpAddr: "early.example:8086",
      tcpAddr: early,
    });
    await cluster.waitFor(
      "every meta node to show the data node's version",
      async () => (await versionsOf(early)).every((v) => v === "1.8.11-c1.2.0"),
      10_000,
    );
  } finally {
    announcing = false;
    await loop;
  }
});

test("announcements from one address beyond 10 a second (burst 20) are answered 429 with Retry-After, unread", async () => {
  const addr = cluster.nodes[1].httpAddr;
  const body = entry("burst.example:8088", "x", "2026-01-01T00:00:00Z");
  const statuses = await Promise.all(Array.from({ length: 60 }, () => announce(addr, body)));
  const refused = statuses.filter((r) => r.status === 429);
  assert.ok(refused.length >= 20, `refused ${refused.length} of 60`);
  assert.ok(statuses.every((r) => r.status === 204 || r.status === 429));
  for (const r of refused) {
    assert.ok(Number(r.headers["retry-after"]) >= 1);
    assert.match(r.body.toString(), /^\{"error":"too many announcements from this address"\}\n$/);
  }
});
