// MetaService.waitForIndex, the long poll behind GET /?index=N, on a real one-node meta service
// (RaftNode on the real stores and TCP transport): every poller answered at one index shares one
// encoding, and one gzip of it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import pino from "pino";
import { decodeData, encodeCommand } from "../../src/proto/index.ts";
import { MetaStateMachine } from "../../src/meta/fsm.ts";
import { MetaService } from "../../src/meta/service.ts";
import { openRaftNode } from "../../src/raft/open.ts";
import { TcpTransport } from "../../src/raft/transport.ts";

let dir: string;
let transport: TcpTransport;
let service: MetaService;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "long-poll-"));
  transport = await TcpTransport.listen({ bindHost: "127.0.0.1", port: 0, advertiseAddress: "127.0.0.1:0" });
  const fsm = new MetaStateMachine();
  const raft = await openRaftNode(dir, {
    transport,
    fsm,
    timing: {
      tickMs: 10,
      electionTimeoutMs: 200,
      heartbeatIntervalMs: 50,
      leaderLeaseMs: 200,
      snapshotThreshold: 8192,
      trailingLogs: 10240,
    },
  });
  service = new MetaService(
    { raft, fsm },
    "127.0.0.1:1",
    transport.localAddress,
    "test",
    pino({ level: "silent" }),
  );
  await service.bootstrapSelf();
});

after(async () => {
  await service?.raft.shutdown();
  await transport?.close();
  await rm(dir, { recursive: true, force: true });
});

async function execute(name: string): Promise<void> {
  const command = { type: "CreateDatabaseCommand", name } as const;
  const result = await service.execute(command, encodeCommand(command));
  assert.equal(result.error, undefined);
}

test("pollers waiting on one index all get the same encoding, and the gzip pollers the same gzip of it", async () => {
  const index = service.fsm.index();
  const plain = Array.from({ length: 50 }, () => service.waitForIndex(index, 10_000));
  const gzipped = Array.from({ length: 50 }, () => service.waitForIndex(index, 10_000, undefined, true));
  await execute("fan-out");
  const bodies = await Promise.all(plain);
  const gzips = await Promise.all(gzipped);
  // One encoding and one gzip for the index: the very same bytes objects, not equal copies.
  for (const body of bodies) assert.equal(body, bodies[0]);
  for (const gzip of gzips) assert.equal(gzip, gzips[0]);
  assert.deepEqual(new Uint8Array(gunzipSync(gzips[0])), new Uint8Array(bodies[0]));
  const data = decodeData(bodies[0]);
  assert.ok(data.index > index);
  assert.ok(data.databases.some((db) => db.name === "fan-out"));
  // A poller arriving later at the same index is served the same bytes, without waiting.
  assert.equal(await service.waitForIndex(index, 10_000), bodies[0]);
  assert.equal(await service.waitForIndex(index, 10_000, undefined, true), gzips[0]);
});

test("the next index gets its own encoding; a poller times out with the current one", async () => {
  const first = await service.waitForIndex(0, 1000);
  await execute("next");
  const second = await service.waitForIndex(0, 1000);
  assert.notEqual(second, first);
  assert.ok(decodeData(second).databases.some((db) => db.name === "next"));
  const started = performance.now();
  const timedOut = await service.waitForIndex(service.fsm.index(), 100);
  assert.ok(performance.now() - started >= 90, "answered at the timeout, not before");
  assert.equal(timedOut, second);
});
