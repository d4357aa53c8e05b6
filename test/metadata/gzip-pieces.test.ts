// PieceCompressor (src/meta/gzip-pieces.ts): one gzip member made of pieces compressed once each,
// read back by Node's zlib and by the gzip tool, for pieces a later message shares and for an FSM's
// encoding of many databases. (That a shared piece is compressed only once shows in the scale
// benchmark's CPU per commit.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { gunzipSync } from "node:zlib";
import fc from "fast-check";
import { PieceCompressor } from "../../src/meta/gzip-pieces.ts";
import { MetaStateMachine } from "../../src/meta/fsm.ts";
import { encodeCommand } from "../../src/proto/index.ts";
import { EntryType } from "../../src/raft/types.ts";

/** What the gzip tool makes of `bytes` (its own check of the CRC and length included). */
function gunzipWithTool(bytes: Uint8Array): Buffer {
  const run = spawnSync("gzip", ["-dc"], { input: bytes, maxBuffer: 64 * 1024 * 1024 });
  assert.equal(run.status, 0, `gzip -dc failed: ${run.stderr.toString()}`);
  return run.stdout;
}

test("the gzip of pieces is the gzip of their concatenation, for any pieces (empty ones too)", async () => {
  const compressor = new PieceCompressor();
  await fc.assert(
    fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 12 }), async (pieces) => {
      const gzipped = await compressor.gzip(pieces);
      assert.deepEqual(new Uint8Array(gunzipSync(gzipped)), new Uint8Array(Buffer.concat(pieces)));
    }),
    { numRuns: 100 },
  );
});

test("messages sharing pieces each gzip to their own concatenation, as the gzip tool reads them", async () => {
  const compressor = new PieceCompressor();
  // Text-like pieces (compressible) and random ones (stored), as protobuf names and IDs mix.
  const shared = [Buffer.from("database-".repeat(5000)), randomBytes(70_000), Buffer.from("x".repeat(100))];
  for (const head of ["head 1", "head 2, longer", ""]) {
    const pieces = [Buffer.from(head), ...shared];
    assert.deepEqual(gunzipWithTool(await compressor.gzip(pieces)), Buffer.concat(pieces), head);
  }
});

test("an FSM's encoding in pieces gzips to its encoding, commit after commit", async () => {
  const fsm = new MetaStateMachine();
  const compressor = new PieceCompressor();
  let index = 0;
  const apply = (name: string) =>
    fsm.apply({
      index: ++index,
      term: 1,
      type: EntryType.Command,
      data: encodeCommand({ type: "CreateDatabaseCommand", name }),
    });
  for (let i = 0; i < 300; i++) apply(`db-${i}`);
  for (const name of ["db-7", "db-150", "late"]) {
    if (name === "late") apply(name);
    else
      fsm.apply({
        index: ++index,
        term: 1,
        type: EntryType.Command,
        data: encodeCommand({ type: "DropDatabaseCommand", name }),
      });
    const pieces = fsm.snapshotPieces();
    assert.ok(pieces.length > 3, "300 databases make several chunks");
    const gzipped = await compressor.gzip(pieces);
    assert.deepEqual(new Uint8Array(gunzipWithTool(gzipped)), new Uint8Array(fsm.snapshot()));
  }
});
