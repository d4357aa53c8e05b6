/** Identify before acting (src/cluster/identify.ts): ours, a Go meta node, a data node, garbage. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { foreignMetaNodeRefusal, identifyMetaNode } from "../../src/cluster/identify.ts";

test("a Go meta node's /status (no Raft state) is identified with its version, leader and peers", () => {
  const go = {
    nodeType: "meta",
    leader: "m1:8089",
    httpAddr: "m1:8091",
    raftAddr: "m1:8089",
    peers: ["m1:8089"],
  };
  assert.deepEqual(identifyMetaNode(go, "1.8.11-c1.2.0"), {
    kind: "go-meta",
    version: "1.8.11-c1.2.0",
    leader: "m1:8089",
    peers: ["m1:8089"],
  });
  assert.match(
    foreignMetaNodeRefusal("m1:8091", "1.8.11-c1.2.0"),
    /Go or Enterprise meta node \(version 1\.8\.11-c1\.2\.0\).*migrate-meta -from m1:8091/,
  );
});

test("ours carries its Raft state; data nodes and other answers are named as such", () => {
  const ours = { nodeType: "meta", raft: { state: "follower", servers: [] } };
  assert.equal(identifyMetaNode(ours).kind, "ours");
  // Without its server list it is not ours: show and add-meta read that list.
  assert.notEqual(identifyMetaNode({ nodeType: "meta", raft: { state: "leader" } }).kind, "ours");
  assert.equal(identifyMetaNode({ nodeType: "data" }).kind, "data-node");
  for (const other of [null, "x", [], { nodeType: "router" }, { raft: { state: "leader" } }])
    assert.equal(identifyMetaNode(other).kind, "unknown", JSON.stringify(other));
});
