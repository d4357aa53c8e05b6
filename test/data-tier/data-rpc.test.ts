// The data nodes' cluster RPC: byte vectors built by hand from the field numbers of the Go data
// node's data.proto, checked both ways (our encoder writes them, our decoder reads them), then the
// client against the TypeScript data-node stand-in on a real TCP port.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateDevCertificates } from "../../src/demo/dev-certs.ts";
import {
  decodeCopyShardRequest,
  decodeErrResponse,
  decodeJoinClusterRequest,
  decodeJoinClusterResponse,
  decodeListShardsResponse,
  decodeNodeIdRequest,
  decodeShardIdRequest,
  encodeCopyShardRequest,
  encodeErrResponse,
  encodeFrame,
  encodeJoinClusterRequest,
  encodeJoinClusterResponse,
  encodeListShardsResponse,
  encodeNodeIdRequest,
  encodeShardIdRequest,
  FrameReader,
} from "../../src/proto/data-rpc.ts";
import { DataNodeRpc, DataNodeUnreachable } from "../../src/cluster/data-node-rpc.ts";
import { DataNodeStandIn } from "../support/data-node.ts";

const str = (s: string) => [...Buffer.from(s)];
/** A length-delimited field: key (field << 3 | 2), varint length, bytes. */
const ld = (field: number, bytes: number[]) => [(field << 3) | 2, bytes.length, ...bytes];
const varint = (field: number, value: number) => [(field << 3) | 0, value];
const hex = (bytes: Uint8Array | number[]) => Buffer.from(bytes).toString("hex");

test("JoinClusterRequest {1 repeated string MetaServers; 2 required bool Update}", () => {
  const bytes = [...ld(1, str("m1:8091")), ...ld(1, str("m2:8091")), ...varint(2, 1)];
  const value = { metaServers: ["m1:8091", "m2:8091"], update: true };
  assert.equal(hex(encodeJoinClusterRequest(value)), hex(bytes));
  assert.deepEqual(decodeJoinClusterRequest(Uint8Array.from(bytes)), value);
  // Update is required: a message without it is refused.
  assert.throws(() => decodeJoinClusterRequest(Uint8Array.from(ld(1, str("m1:8091")))), /Update/);
});

test("JoinClusterResponse {1 NodeInfo{1 ID, 2 Addr, 3 TCPAddr}; 2 Err}", () => {
  const node = [...varint(1, 5), ...ld(2, str("d1:8086")), ...ld(3, str("d1:8088"))];
  const bytes = ld(1, node);
  const value = { node: { id: 5, addr: "d1:8086", tcpAddr: "d1:8088" } };
  assert.equal(hex(encodeJoinClusterResponse(value)), hex(bytes));
  assert.deepEqual(decodeJoinClusterResponse(Uint8Array.from(bytes)), value);
  const err = ld(2, str("already joined to cluster"));
  assert.equal(hex(encodeJoinClusterResponse({ err: "already joined to cluster" })), hex(err));
  assert.deepEqual(decodeJoinClusterResponse(Uint8Array.from(err)), { err: "already joined to cluster" });
});

test("CopyShardRequest {1 Host, 2 Database, 3 Policy, 4 uint64 ShardID, 5 int64 Since}", () => {
  const bytes = [
    ...ld(1, str("d1:8088")),
    ...ld(2, str("db")),
    ...ld(3, str("autogen")),
    ...varint(4, 7),
    ...[(5 << 3) | 0, 0x80, 0x01], // 128 as a varint
  ];
  const value = { host: "d1:8088", database: "db", policy: "autogen", shardId: 7, since: 128n };
  assert.equal(hex(encodeCopyShardRequest(value)), hex(bytes));
  assert.deepEqual(decodeCopyShardRequest(Uint8Array.from(bytes)), value);
});

test("RemoveShardRequest {1 ShardID}, RemoveHintedHandoffRequest {1 NodeID}, *Response {1 Err}", () => {
  assert.equal(hex(encodeShardIdRequest(9)), hex(varint(1, 9)));
  assert.equal(decodeShardIdRequest(Uint8Array.from(varint(1, 9))), 9);
  assert.equal(hex(encodeNodeIdRequest(4)), hex(varint(1, 4)));
  assert.equal(decodeNodeIdRequest(Uint8Array.from(varint(1, 4))), 4);
  assert.equal(hex(encodeErrResponse({ err: "boom" })), hex(ld(1, str("boom"))));
  assert.deepEqual(decodeErrResponse(Uint8Array.from(ld(1, str("boom")))), { err: "boom" });
  assert.deepEqual(decodeErrResponse(new Uint8Array(0)), {});
});

test("ListShardsResponse {1 bytes Shards (JSON by shard ID); 2 Err}", () => {
  const owner = {
    id: 4,
    tcpAddr: "d1:8088",
    state: "hot",
    "last-modified": "2026-01-02T03:04:05Z",
    size: 10,
    err: "",
  };
  const json = JSON.stringify({ "3": owner });
  assert.ok(json.length < 128, "one-byte length in the hand-built vector");
  const bytes = ld(1, str(json));
  assert.equal(hex(encodeListShardsResponse({ shards: { "3": owner } })), hex(bytes));
  assert.deepEqual(decodeListShardsResponse(Uint8Array.from(bytes)), { shards: { "3": owner } });
  // Go writes a nil map as JSON null.
  assert.deepEqual(decodeListShardsResponse(Uint8Array.from(ld(1, str("null")))), { shards: {} });
});

test("frames: type byte + int64 big-endian length + payload; bare requests are the type byte", () => {
  const payload = Uint8Array.from([1, 2, 3]);
  assert.equal(hex(encodeFrame(39, payload)), "27" + "0000000000000003" + "010203");
  assert.equal(hex(encodeFrame(41, null)), "29");
  const reader = new FrameReader(new Set([41]));
  const stream = Buffer.from("29" + "27" + "0000000000000003" + "010203", "hex");
  reader.push(stream.subarray(0, 5)); // split inside the length
  assert.deepEqual(reader.next(), { type: 41, payload: Buffer.alloc(0) });
  assert.equal(reader.next(), null);
  reader.push(stream.subarray(5));
  assert.deepEqual(reader.next(), { type: 39, payload: Buffer.from([1, 2, 3]) });
  const huge = new FrameReader();
  huge.push(Buffer.from("26" + "7fffffffffffffff", "hex"));
  assert.throws(() => huge.next(), /limit/);
});

const standIns: DataNodeStandIn[] = [];
after(async () => Promise.all(standIns.map((s) => s.stop())));

test("the client writes mux byte 2 and the frames the Go data node reads; errors name the data node", async () => {
  const node = await DataNodeStandIn.start();
  standIns.push(node);
  const rpc = new DataNodeRpc({ timeoutMs: 2_000 });
  node.shards.set(3, { state: "cold", size: 42 });
  // CopyShard makes the node pull the shard from the source (another stand-in).
  const source = await DataNodeStandIn.start();
  standIns.push(source);
  source.write(7, ["cpu v=1 1", "cpu v=2 2"]);
  const listed = await rpc.listShards(node.tcpAddr);
  assert.deepEqual(Object.keys(listed), ["3"]);
  assert.equal(listed["3"].state, "cold");
  await rpc.copyShard(
    node.tcpAddr,
    { host: source.tcpAddr, database: "db", policy: "rp", shardId: 7 },
    2_000,
  );
  assert.equal(node.checksum(7), source.checksum(7));
  assert.equal((await rpc.listShards(node.tcpAddr))["7"].size, source.shards.get(7)!.size);
  await assert.rejects(
    rpc.copyShard(node.tcpAddr, { host: source.tcpAddr, database: "db", policy: "rp", shardId: 8 }, 2_000),
    /data node .*: error copying shard 8 from .*: shard 8 not found/,
  );
  await rpc.removeShard(node.tcpAddr, 7);
  await rpc.removeHintedHandoff(node.tcpAddr, 4);
  await assert.rejects(
    rpc.removeShard(node.tcpAddr, 7),
    new RegExp(`^Error: data node ${node.tcpAddr}: shard not found$`),
  );
  await assert.rejects(rpc.joinCluster(node.tcpAddr, [], false), /data node .*: empty meta servers/);
  const raw = node.received
    .filter((r) => !(r.kind === "list-shards" && r !== node.received[0]))
    .filter((r) => !(r.kind === "copy-shard" && r.request.shardId === 8))
    .map((r) => hex(r.raw));
  assert.deepEqual(raw.slice(0, 5), [
    "02" + "25", // ListShards: mux byte, bare type 37
    "02" +
      "21" +
      hex(
        encodeFrame(
          0,
          encodeCopyShardRequest({ host: source.tcpAddr, database: "db", policy: "rp", shardId: 7 }),
        ),
      ).slice(2),
    "02" + "23" + "0000000000000002" + hex(varint(1, 7)),
    "02" + "2b" + "0000000000000002" + hex(varint(1, 4)),
    "02" + "23" + "0000000000000002" + hex(varint(1, 7)),
  ]);
  assert.equal(raw[5], "02" + "27" + "0000000000000002" + hex(varint(2, 0)));
});

test("a dead or silent data node fails within the deadline, naming it", async () => {
  const silent = net.createServer(() => undefined);
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  const addr = `127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
  const rpc = new DataNodeRpc({ timeoutMs: 300 });
  const started = Date.now();
  await assert.rejects(
    rpc.listShards(addr),
    (err: Error) => err instanceof DataNodeUnreachable && err.message.includes(addr),
  );
  assert.ok(Date.now() - started < 2_000);
  silent.close();
  await assert.rejects(rpc.listShards("127.0.0.1:1"), /data node 127\.0\.0\.1:1: connection refused/);
  await assert.rejects(rpc.listShards("no-port"), /data node no-port: not a host:port address/);
});

test("over TLS (data-use-tls): the handshake first, then the mux byte; the certificate is checked", async () => {
  const dir = mkdtempSync(join(tmpdir(), "data-rpc-tls-"));
  try {
    const certs = generateDevCertificates(dir, ["127.0.0.1"]);
    const node = await DataNodeStandIn.start({
      tls: { cert: readFileSync(certs.certFile), key: readFileSync(certs.keyFile) },
    });
    standIns.push(node);
    node.shards.set(8, { state: "hot", size: 1 });
    const trusted = new DataNodeRpc({
      timeoutMs: 2_000,
      tls: { rejectUnauthorized: true, ca: readFileSync(certs.caFile) },
    });
    assert.deepEqual(Object.keys(await trusted.listShards(node.tcpAddr)), ["8"]);
    assert.equal(hex(node.received.at(-1)!.raw), "0225");
    const untrusted = new DataNodeRpc({ timeoutMs: 2_000, tls: { rejectUnauthorized: true } });
    await assert.rejects(
      untrusted.listShards(node.tcpAddr),
      new RegExp(`data node ${node.tcpAddr}: .*certificate`),
    );
    const plain = new DataNodeRpc({ timeoutMs: 500 });
    await assert.rejects(plain.listShards(node.tcpAddr), new RegExp(`data node ${node.tcpAddr}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
