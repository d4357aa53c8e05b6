/**
 * The stores checked against each other before Raft starts (src/raft/storage/integrity.ts): an
 * unreadable stable store or a snapshot gap is refused when the node holds Raft state, and
 * repaired with a warning when it cannot have lost anything.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { StorageCorruptionError } from "../../src/raft/storage/corruption.ts";
import { checkStores } from "../../src/raft/storage/integrity.ts";
import { SimulatedFileSystem } from "../support/sim-fs.ts";
import { FileSnapshotStore } from "../../src/raft/storage/snapshots.ts";
import { FileStableStore, STABLE_FILE } from "../../src/raft/storage/stable.ts";
import { SegmentedWal } from "../../src/raft/storage/wal.ts";
import { configEntry, entries } from "../raft/storage/helpers.ts";

async function node(fs: SimulatedFileSystem) {
  const log = await SegmentedWal.open(fs, "/n/wal", { segmentSize: 150 });
  const stable = await FileStableStore.open(fs, "/n");
  const snapshots = await FileSnapshotStore.open(fs, "/n/snapshots", { onWarning: () => {} });
  return { log, stable, snapshots, snapshotDir: "/n/snapshots" };
}

async function zeroStable(fs: SimulatedFileSystem): Promise<void> {
  const path = `/n/${STABLE_FILE}`;
  const size = (await fs.stat(path)).size;
  const h = await fs.open(path, "readwrite");
  await h.write(new Uint8Array(size), 0);
  await h.close();
}

test("a zeroed stable store beside a log is refused, naming the file and what the node holds", async () => {
  const fs = new SimulatedFileSystem();
  const stores = await node(fs);
  await stores.stable.save({ term: 3, vote: "b" }, "a");
  await stores.stable.save({ term: 4, vote: null }, "a");
  await stores.log.append(entries(1, 7, 3));
  await zeroStable(fs);
  const reopened = await node(fs);
  assert.equal(reopened.stable.load(), null);
  assert.throws(
    () => checkStores(reopened),
    (err: unknown) =>
      err instanceof StorageCorruptionError &&
      err.path === "/n/stable.bin" &&
      /^stable store corrupt: \/n\/stable\.bin has 4\d{3} bytes but neither of its two slots holds a valid checksummed state \(term, vote, server id\), while this node holds log entries 1\.\.7: its server id, term and vote are lost and will not be replaced by fresh ones$/.test(
        err.message,
      ),
  );
});

test("an unreadable stable store on a node with no Raft state is an interrupted first save: a warning", async () => {
  const fs = new SimulatedFileSystem();
  const stores = await node(fs);
  await stores.stable.save({ term: 0, vote: null }, "a");
  await zeroStable(fs);
  const warnings = checkStores(await node(fs));
  assert.deepEqual(warnings, [
    "/n/stable.bin has 4" +
      warnings[0].slice("/n/stable.bin has 4".length, warnings[0].indexOf(" bytes")) +
      " bytes but neither of its two slots holds a valid checksummed state (term, vote, server id); " +
      "the node holds no Raft state yet, so it starts as a fresh server",
  ]);
  // A store that was never written is simply fresh.
  assert.deepEqual(checkStores(await node(new SimulatedFileSystem())), []);
});

test("a corrupt snapshot is refused when the log starts after what the readable ones cover, else tolerated", async () => {
  const fs = new SimulatedFileSystem();
  const stores = await node(fs);
  await stores.stable.save({ term: 2, vote: null }, "a");
  const snap = (index: number) => ({
    meta: { index, term: 2, config: configEntry(1, 1).config!, configIndex: 1 },
    data: new Uint8Array([index]),
  });
  await stores.snapshots.save(snap(10));
  await stores.snapshots.save(snap(20));
  for (let i = 11; i <= 25; i++) await stores.log.append(entries(i, i, 2));
  // The newest snapshot breaks: the log still continues the older one (from 11).
  const meta = "/n/snapshots/2-20-2/meta.bin";
  const h = await fs.open(meta, "readwrite");
  await h.write(new Uint8Array([0xee]), 3);
  await h.close();
  assert.deepEqual(checkStores(await node(fs)), []);
  // Once the log was compacted past the older snapshot, the state in between is lost.
  const compacted = await node(fs);
  await compacted.log.truncateBefore(16);
  await compacted.log.close();
  const again = await node(fs);
  const first = again.log.firstIndex();
  assert.ok(first > 11 && first <= 16, `log starts at ${first}`);
  assert.throws(
    () => checkStores(again),
    (err: unknown) =>
      err instanceof StorageCorruptionError &&
      err.message ===
        `snapshot store corrupt: /n/snapshots/2-20-2 (meta.bin checksum mismatch); the log starts at index ${first} ` +
          `and the newest readable snapshot ends at 10, so entries 11..${first - 1} are lost`,
  );
});
