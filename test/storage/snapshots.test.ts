import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodeFileSystem, type FileSystem } from "../../src/raft/storage/fs.ts";
import { SimulatedCrashError, SimulatedFileSystem } from "../support/sim-fs.ts";
import { FileSnapshotStore } from "../../src/raft/storage/snapshots.ts";
import { MemorySnapshotStore } from "../../src/raft/storage/memory.ts";
import type { Snapshot } from "../../src/raft/types.ts";
import { configEntry, seededRandom } from "../raft/storage/helpers.ts";

function snap(index: number, term: number, size = 3000): Snapshot {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 13 + index) & 0xff;
  return { meta: { index, term, config: configEntry(1, 1).config!, configIndex: 1 }, data };
}

async function behaves(fs: FileSystem, dir: string): Promise<void> {
  let s = await FileSnapshotStore.open(fs, dir);
  assert.equal(s.latest(), null);
  await s.save(snap(10, 1));
  assert.deepEqual(s.latest(), snap(10, 1));
  s = await FileSnapshotStore.open(fs, dir);
  assert.deepEqual(s.latest(), snap(10, 1));
  await s.save(snap(20, 2));
  await s.save(snap(30, 2, 0)); // an empty state is valid
  assert.deepEqual(await fs.readdir(dir), ["2-20-2", "2-30-3"]);
  await assert.rejects(
    s.save({ ...snap(40, 2), meta: { ...snap(40, 2).meta, index: -1 } }),
    /must be an integer/,
  );

  // A corrupt newest snapshot is skipped and reported; the older one is served.
  const h = await fs.open(join(dir, "2-30-3", "meta.bin"), "readwrite");
  await h.write(new Uint8Array([0xee]), 3);
  await h.close();
  await fs.mkdir(join(dir, "3-50-9.tmp")); // an interrupted save
  const warnings: string[] = [];
  s = await FileSnapshotStore.open(fs, dir, { onWarning: (w) => warnings.push(w) });
  assert.deepEqual(s.latest(), snap(20, 2));
  assert.deepEqual(
    s.corrupt.map((c) => c.name),
    ["2-30-3"],
  );
  assert.match(s.corrupt[0].reason, /checksum mismatch/);
  assert.ok(warnings.some((w) => /2-30-3 skipped/.test(w)));
  assert.deepEqual(await fs.readdir(dir), ["2-20-2", "2-30-3"]);
  await s.save(snap(60, 4)); // sequence continues past the removed temp directory
  assert.deepEqual(await fs.readdir(dir), ["2-20-2", "4-60-10"]); // the corrupt one goes first

  // A state file with the wrong content is caught by its checksum.
  const st = await fs.open(join(dir, "4-60-10", "state.bin"), "readwrite");
  await st.write(new Uint8Array([1]), 100);
  await st.close();
  s = await FileSnapshotStore.open(fs, dir);
  assert.deepEqual(s.latest(), snap(20, 2));
  assert.deepEqual(
    s.corrupt.map((c) => c.reason),
    ["state.bin checksum mismatch"],
  );
}

test("FileSnapshotStore on real files: save, keep two, skip corrupt ones", async () => {
  const root = await mkdtemp(join(tmpdir(), "raft-snap-"));
  try {
    await behaves(new NodeFileSystem(), join(root, "snapshots"));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test("FileSnapshotStore on the simulated file system", () =>
  behaves(new SimulatedFileSystem(), "/n/snapshots"));

test("MemorySnapshotStore keeps a copy of the newest snapshot", async () => {
  const s = new MemorySnapshotStore();
  assert.equal(s.latest(), null);
  const x = snap(5, 1, 10);
  await s.save(x);
  x.data[0] = 99;
  assert.deepEqual(s.latest(), snap(5, 1, 10));
  await assert.rejects(s.save({ ...x, meta: { ...x.meta, term: 1.5 } }), /must be an integer/);
});

test("FileSnapshotStore crash at every step of a save: never a torn snapshot, acknowledged ones survive", async () => {
  const setup = async (fs: SimulatedFileSystem) => {
    const s = await FileSnapshotStore.open(fs, "/n/snapshots");
    await s.save(snap(10, 1));
    await s.save(snap(20, 1));
    return s;
  };
  const probe = new SimulatedFileSystem();
  const p = await setup(probe);
  const start = probe.opCount;
  await p.save(snap(30, 2));
  const ops = probe.opCount - start;
  for (let seed = 1; seed <= 8; seed++) {
    for (let point = 1; point <= ops + 1; point++) {
      const where = `seed ${seed}, crash before op ${point}`;
      const fs = new SimulatedFileSystem();
      const s = await setup(fs);
      fs.crashAtOp(point);
      let acked = false;
      try {
        await s.save(snap(30, 2));
        acked = true;
      } catch (err) {
        assert.ok(err instanceof SimulatedCrashError, `${where}: ${err}`);
      }
      fs.crash(seededRandom(seed * 17 + point));
      const reopened = await FileSnapshotStore.open(fs, "/n/snapshots");
      const latest = reopened.latest();
      assert.deepEqual(reopened.corrupt, [], where);
      if (acked) assert.deepEqual(latest, snap(30, 2), where);
      else assert.ok([20, 30].includes(latest?.meta.index ?? -1), `${where}: got ${latest?.meta.index}`);
      assert.deepEqual(latest, snap(latest!.meta.index, latest!.meta.term), where);
      // The store keeps working after recovery.
      await reopened.save(snap(40, 3));
      assert.deepEqual((await FileSnapshotStore.open(fs, "/n/snapshots")).latest(), snap(40, 3), where);
    }
  }
});
