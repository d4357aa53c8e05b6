// Hostile POST /execute bodies against a real 3-node cluster: whatever the bytes, the answer is
// 200 with a protobuf Response or 400/413 with a JSON error (never 5xx, never a hang), invalid
// bodies never reach the log, and the nodes keep answering and keep agreeing.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { LocalCluster } from "../../src/demo/local-cluster.ts";
import {
  decodeCommand,
  decodeData,
  decodeResponse,
  encodeCommand,
  type MetaCommand,
} from "../../src/proto/index.ts";
import { request, type HttpResponse } from "../../src/util/http-client.ts";
import { status } from "../support/cluster.ts";
import { anyBody, hostileString, mutatedCommand, rawCommand } from "../support/hostile-inputs.ts";
import { rawConnect, rawJsonBody } from "../support/raw-http.ts";

/** A small body limit, so "huge" names can straddle it without slowing the suite. */
const LIMIT = 64 * 1024;
/** Every request has a deadline: a hang fails the property instead of the suite. */
const TIMEOUT_MS = 10_000;

let cluster: LocalCluster;
let leader: number;
before(async () => {
  cluster = await LocalCluster.start({ size: 3, meta: { "max-body-size": LIMIT } });
  leader = await cluster.leaderIndex();
});
after(() => cluster?.stop());

const addr = (i: number) => cluster.nodes[i].httpAddr;
const execute = (i: number, body: Uint8Array) =>
  request(`http://${addr(i)}/execute`, {
    method: "POST",
    body,
    contentType: "application/octet-stream",
    timeoutMs: TIMEOUT_MS,
  });

/**
 * Commands that rewrite the meta node records (the whole metadata, or one node's addresses):
 * legitimate protocol, but the records are how a follower finds the leader's HTTP address, so a
 * random rewrite would turn the 307s below into 503s (see the report). The FSM property
 * (fsm.test.ts) covers them.
 */
function rewritesMetaNodes(body: Uint8Array): boolean {
  try {
    return ["SetDataCommand", "SetMetaNodeCommand"].includes(decodeCommand(body).type);
  } catch {
    return false;
  }
}

/** What /execute's validation accepts: bodies that decode (it decodes them in slices). */
function isValid(body: Uint8Array): boolean {
  try {
    decodeCommand(body);
    return true;
  } catch {
    return false;
  }
}

function assertJsonError(res: HttpResponse, what: string): void {
  assert.match(String(res.headers["content-type"]), /^application\/json/, what);
  const parsed = JSON.parse(res.body.toString("utf8")) as { error?: unknown };
  assert.equal(typeof parsed.error, "string", what);
  assert.ok((parsed.error as string).length > 0, what);
}

/** What a node must answer to `body`: 200 + Response for a command the codec accepts, else 400. */
function assertAnswer(res: HttpResponse, body: Uint8Array, valid: boolean, asLeader: boolean): void {
  const what = `body ${Buffer.from(body.subarray(0, 64)).toString("hex")}… (${body.length} bytes) → ${res.status} ${res.body.subarray(0, 200).toString()}`;
  assert.ok(res.status < 500, what);
  if (body.length > LIMIT) {
    assert.equal(res.status, 413, what);
    assertJsonError(res, what);
  } else if (!valid) {
    assert.equal(res.status, 400, what);
    assertJsonError(res, what);
  } else if (asLeader) {
    assert.equal(res.status, 200, what);
    const response = decodeResponse(res.body);
    assert.ok(response.ok === !response.error, what);
    assert.ok((response.index ?? 0) > 0, what);
  } else {
    assert.equal(res.status, 307, what);
    assert.equal(res.headers.location, `http://${addr(leader)}/execute`, what);
  }
}

async function assertPings(i: number): Promise<void> {
  const res = await request(`http://${addr(i)}/ping`, { timeoutMs: TIMEOUT_MS });
  assert.equal(res.status, 200);
  assert.equal(res.body.toString(), cluster.nodes[leader].raftAddr, "the leader is unchanged");
}

test("the leader answers any body with 200 + Response or 400/413 + JSON error, and keeps answering /ping", async () => {
  await fc.assert(
    fc.asyncProperty(anyBody, async (body) => {
      fc.pre(!rewritesMetaNodes(body));
      assertAnswer(await execute(leader, body), body, isValid(body), true);
      await assertPings(leader);
    }),
    { numRuns: 250, includeErrorInReport: true },
  );
});

test("a follower refuses invalid bodies itself (400) and redirects valid ones to the leader (307)", async () => {
  const follower = [0, 1, 2].find((i) => i !== leader)!;
  await fc.assert(
    fc.asyncProperty(anyBody, async (body) => {
      fc.pre(!rewritesMetaNodes(body));
      assertAnswer(await execute(follower, body), body, isValid(body), false);
      await assertPings(follower);
    }),
    { numRuns: 80, includeErrorInReport: true },
  );
});

test("extreme field values: names of every length around the body limit, unicode, IDs at 2^53 - 1", async () => {
  const named = (name: string): MetaCommand => ({ type: "CreateDatabaseCommand", name });
  const sizes = [0, 1, LIMIT - 64, LIMIT - 9, LIMIT - 8, LIMIT - 7, LIMIT, LIMIT + 1, 4 * LIMIT];
  for (const size of sizes) {
    const body = encodeCommand(named("n".repeat(size)));
    assertAnswer(await execute(leader, body), body, isValid(body), true);
  }
  await fc.assert(
    fc.asyncProperty(hostileString(2_000), async (name) => {
      const body = encodeCommand(named(name));
      const res = await execute(leader, body);
      assertAnswer(res, body, true, true);
      // A database created under that name carries it exactly: nothing was lost on the way through the log.
      const { ok, index } = decodeResponse(res.body);
      if (ok) {
        const data = decodeData(
          (await request(`http://${addr(leader)}/?index=${index! - 1}`, { timeoutMs: TIMEOUT_MS })).body,
        );
        assert.ok(
          data.databases.some((d) => d.name === name),
          JSON.stringify(name),
        );
      }
    }),
    { numRuns: 40, includeErrorInReport: true },
  );
  const maxId = encodeCommand({ type: "DropShardCommand", id: Number.MAX_SAFE_INTEGER });
  assertAnswer(await execute(leader, maxId), maxId, true, true);
});

test("invalid bodies never reach the log: lastLogIndex is unchanged on every node across a batch", async () => {
  const invalid = fc
    .sample(fc.oneof(fc.uint8Array({ maxLength: 256 }), mutatedCommand, rawCommand), {
      numRuns: 600,
      seed: 7,
    })
    .filter((b) => !isValid(b))
    .slice(0, 200);
  assert.ok(invalid.length >= 150, "the generators produce enough invalid bodies");
  invalid.push(new Uint8Array(LIMIT + 1));
  const logIndexes = async () =>
    Promise.all(cluster.nodes.map(async (n) => (await status(n.httpAddr)).raft.lastLogIndex));
  // Let the cluster settle: followers catch up with everything earlier tests wrote.
  await waitForAgreement();
  const before = await logIndexes();
  for (const body of invalid) {
    const res = await execute(leader, body);
    assert.ok(
      res.status === 400 || res.status === 413,
      `${res.status} for ${Buffer.from(body).toString("hex")}`,
    );
    assertJsonError(res, Buffer.from(body).toString("hex"));
  }
  assert.deepEqual(await logIndexes(), before);
});

test("a declared Content-Length above the limit gets 413 at once, without the body being sent", async () => {
  const client = await rawConnect(addr(leader));
  client.write(
    `POST /execute HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${1024 ** 3}\r\n\r\n`,
  );
  // The server answers long before a 1 GiB body could arrive (none is sent at all).
  const outcome = await client.outcome(5_000);
  client.destroy();
  assert.equal(outcome.status, 413, outcome.text);
  assert.deepEqual(rawJsonBody(outcome.text), { error: `request body larger than ${LIMIT} bytes` });
  await assertPings(leader);
});

async function waitForAgreement(): Promise<void> {
  await cluster.waitFor("every node to apply the same index", async () => {
    const all = await Promise.all(cluster.nodes.map((n) => status(n.httpAddr)));
    return all.every((s) => s.raft.appliedIndex === all[0].raft.appliedIndex && s.raft.state !== "candidate");
  });
}

/** /show-cluster's node records; versions and schemes arrive by gossip on their own schedule. */
function showRecords(body: Buffer) {
  type Row = { id: number; addr?: string; httpAddr?: string; tcpAddr: string };
  const parsed = JSON.parse(body.toString()) as { meta: Row[]; data: Row[] };
  const records = (rows: Row[]) =>
    rows.map((r) => ({ id: r.id, addr: r.addr ?? r.httpAddr, tcpAddr: r.tcpAddr }));
  return { meta: records(parsed.meta), data: records(parsed.data) };
}

test("after all of it the nodes agree: same applied index, same metadata, same /show-cluster", async () => {
  await waitForAgreement();
  const get = (i: number, path: string) => request(`http://${addr(i)}${path}`, { timeoutMs: TIMEOUT_MS });
  const data = await Promise.all([0, 1, 2].map((i) => get(i, "/?index=0")));
  const show = await Promise.all([0, 1, 2].map((i) => get(i, "/show-cluster")));
  for (const i of [1, 2]) {
    assert.ok(data[i].body.equals(data[0].body), `node ${i + 1}'s metadata bytes equal node 1's`);
    assert.deepEqual(showRecords(show[i].body), showRecords(show[0].body));
  }
  for (const i of [0, 1, 2]) await assertPings(i);
  const voters = (await status(addr(leader))).raft.voters;
  assert.deepEqual([...voters].sort(), cluster.nodes.map((n) => n.raftAddr).sort());
});
