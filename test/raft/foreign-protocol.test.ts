// The Raft port's recognition of hashicorp/raft (src/raft/foreign-protocol.ts), against our own
// hello: the two can never be confused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeHello, TRANSPORT_PROTOCOL_VERSION } from "../../src/raft/codec.ts";
import { foreignRaftProtocol } from "../../src/raft/foreign-protocol.ts";

test("hashicorp/raft's first bytes are named, with or without InfluxDB's mux byte", () => {
  // The bytes our port saw from a Go meta node ("frame of 2760441864 bytes" = 08 00 89 a4).
  assert.match(
    foreignRaftProtocol(Buffer.from([0x08, 0x00, 0x89, 0xa4])) ?? "",
    /InfluxDB mux byte 8, AppendEntries RPC/,
  );
  assert.match(
    foreignRaftProtocol(Buffer.from([0x01, 0x85])) ?? "",
    /^hashicorp\/raft \(RequestVote RPC, msgpack\)$/,
  );
  assert.match(foreignRaftProtocol(Buffer.from([0x08, 0x02, 0xde])) ?? "", /InstallSnapshot/);
});

test("our hello and other bytes are not taken for hashicorp/raft", () => {
  const hello = Buffer.from(
    encodeHello({ protocolVersion: TRANSPORT_PROTOCOL_VERSION, address: "node1:8089" }),
  );
  assert.equal(foreignRaftProtocol(hello.subarray(0, 3)), null);
  for (const bytes of [[], [0x08], [0x04, 0x80], [0x00, 0x41], [0x16, 0x03, 0x01]])
    assert.equal(foreignRaftProtocol(Buffer.from(bytes)), null, JSON.stringify(bytes));
});
