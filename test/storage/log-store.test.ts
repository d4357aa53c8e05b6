/**
 * LogStore semantics, run against MemoryLogStore and SegmentedWal (over the simulated file
 * system and over real files), plus WAL-specific behaviour: reopen, rotation, recovery.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFile, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodeFileSystem, type FileSystem } from "../../src/raft/storage/fs.ts";
import { SimulatedFileSystem } from "../support/sim-fs.ts";
import { MemoryLogStore } from "../../src/raft/storage/memory.ts";
import { SegmentedWal, WalCorruptionError, type WalOptions } from "../../src/raft/storage/wal.ts";
import { EntryType, type LogStore } from "../../src/raft/types.ts";
import { allEntries, configEntry, describe, entries, entry } from "../raft/storage/helpers.ts";

interface Harness {
  open(): Promise<LogStore>;
  /** Close and reopen from disk (undefined for the memory store). */
  reopen?: (store: LogStore) => Promise<LogStore>;
  dispose(): Promise<void>;
}

function walHarness(fs: FileSystem, dir: string, options: WalOptions, dispose = async () => {}): Harness {
  return {
    open: () => SegmentedWal.open(fs, dir, options),
    reopen: async (store) => {
      await store.close();
      return SegmentedWal.open(fs, dir, options);
    },
    dispose,
  };
}

const harnesses: [string, () => Promise<Harness>][] = [
  ["MemoryLogStore", async () => ({ open: async () => new MemoryLogStore(), dispose: async () => {} })],
  [
    "SegmentedWal on SimulatedFileSystem",
    async () => walHarness(new SimulatedFileSystem(), "/node/wal", { segmentSize: 300 }),
  ],
  [
    "SegmentedWal on NodeFileSystem",
    async () => {
      const root = await mkdtemp(join(tmpdir(), "raft-wal-"));
      return walHarness(new NodeFileSystem(), join(root, "wal"), { segmentSize: 300 }, () =>
        rm(root, { recursive: true, force: true }),
      );
    },
  ],
];

/** Asserts the store holds exactly `expected`, and, for a WAL, so does a reopened copy. */
async function expectLog(
  h: Harness,
  store: LogStore,
  expected: ReturnType<typeof entries>,
): Promise<LogStore> {
  assert.deepEqual(describe(allEntries(store)), describe(expected));
  assert.equal(store.firstIndex(), expected[0]?.index ?? 0);
  assert.equal(store.lastIndex(), expected[expected.length - 1]?.index ?? 0);
  if (!h.reopen) return store;
  const reopened = await h.reopen(store);
  assert.deepEqual(describe(allEntries(reopened)), describe(expected), "after reopen");
  return reopened;
}

for (const [name, make] of harnesses) {
  test(`${name}: append, read, truncate, reset`, async () => {
    const h = await make();
    try {
      let s = await h.open();
      assert.equal(s.firstIndex(), 0);
      assert.equal(s.lastIndex(), 0);
      assert.deepEqual(s.entries(1, 0), []);
      await s.append([]); // no-op

      const log = [...entries(1, 3, 1), configEntry(4, 1), ...entries(5, 12, 2)];
      await s.append(log.slice(0, 4));
      await s.append(log.slice(4));
      s = await expectLog(h, s, log);
      assert.deepEqual(describe(s.entries(4, 6)), describe(log.slice(3, 6)));
      assert.equal(s.entries(4, 4)[0].type, EntryType.Config);
      assert.deepEqual(s.entries(4, 4)[0].config, log[3].config);
      assert.throws(() => s.entries(0, 3), /outside the stored range \[1, 12\]/);
      assert.throws(() => s.entries(5, 13), /outside the stored range/);

      // Conflicting suffix replaced by entries of a newer term.
      await s.truncateAfter(8);
      await s.truncateAfter(20); // nothing after 20: no-op
      assert.equal(s.lastIndex(), 8);
      const log2 = [...log.slice(0, 8), ...entries(9, 10, 3)];
      await s.append(log2.slice(8));
      s = await expectLog(h, s, log2);

      // Compaction keeps at least the requested suffix (a WAL may keep a stale prefix on disk
      // but never serves it before reopening).
      await s.truncateBefore(6);
      assert.equal(s.firstIndex(), 6);
      assert.deepEqual(describe(allEntries(s)), describe(log2.slice(5)));

      await s.reset();
      assert.equal(s.lastIndex(), 0);
      s = await expectLog(h, s, []);
      await s.append(entries(100, 101, 5)); // any index after a reset
      s = await expectLog(h, s, entries(100, 101, 5));

      await s.truncateAfter(0);
      s = await expectLog(h, s, []);
      await assert.rejects(s.append(entries(5, 5, 5)), /expected index 1, got 5/);
      await s.append(entries(1, 2, 6));
      s = await expectLog(h, s, entries(1, 2, 6));
      await s.close();
    } finally {
      await h.dispose();
    }
  });

  test(`${name}: invalid input is rejected clearly and changes nothing`, async () => {
    const h = await make();
    try {
      const s = await h.open();
      await s.append(entries(1, 3, 2));
      await assert.rejects(s.append(entries(5, 6, 2)), /expected index 4, got 5/);
      await assert.rejects(s.append([entry(4, 2), entry(6, 2)]), /not contiguous at position 1/);
      await assert.rejects(s.append([entry(4, 1)]), /term 1 is lower than the previous term 2/);
      await assert.rejects(s.append([entry(4, 0)]), /invalid term 0/);
      await assert.rejects(s.append([{ ...entry(4, 2), type: EntryType.Config }]), /config must be present/);
      await assert.rejects(s.truncateAfter(-1), /index must be an integer ≥ 0/);
      await assert.rejects(s.truncateBefore(1.5), /index must be an integer ≥ 0/);
      // Still usable, still the same.
      await s.append(entries(4, 4, 2));
      await expectLog(h, s, entries(1, 4, 2));
    } finally {
      await h.dispose();
    }
  });

  test(`${name}: compaction past the end keeps the natural continuation`, async () => {
    const h = await make();
    try {
      let s = await h.open();
      await s.append(entries(1, 5, 1));
      await s.truncateBefore(6); // snapshot at 5 with no trailing entries
      assert.equal(s.firstIndex(), 0);
      assert.equal(s.lastIndex(), 0);
      await assert.rejects(s.append(entries(9, 9, 1)), /expected index 6, got 9/);
      await s.append(entries(6, 7, 1));
      assert.deepEqual(describe(allEntries(s)), describe(entries(6, 7, 1)));
      if (h.reopen) {
        s = await h.reopen(s);
        // The tail segment is never deleted, so a stale but contiguous prefix may come back.
        const got = allEntries(s);
        assert.equal(s.lastIndex(), 7);
        assert.deepEqual(describe(got), describe(entries(s.firstIndex(), 7, 1)));
      }
      await s.close();
      await assert.rejects(s.append(entries(8, 8, 1)), /after close/);
    } finally {
      await h.dispose();
    }
  });
}

// --- WAL-specific ------------------------------------------------------------------------------

test("WAL rotates segments at the size limit and deletes whole old segments on compaction", async () => {
  const fs = new SimulatedFileSystem();
  let wal = await SegmentedWal.open(fs, "/n/wal", { segmentSize: 256 });
  for (let i = 1; i <= 40; i += 2) await wal.append(entries(i, i + 1, 1));
  const names = wal.segmentNames();
  assert.ok(names.length >= 5, `expected several segments, got ${names.length}`);
  assert.deepEqual(await fs.readdir("/n/wal"), names);
  for (const n of names.slice(1)) assert.ok((await fs.stat(`/n/wal/${n}`)).size <= 256 + 200);
  // Segment names carry consecutive ids and the base index each continues at.
  const parsed = names.map((n) => n.split(/[-.]/).map(Number));
  parsed.forEach(([id], k) => assert.equal(id, k + 1));
  assert.equal(parsed[0][1], 0);

  await wal.truncateBefore(30);
  const kept = wal.segmentNames();
  assert.ok(kept.length < names.length);
  assert.deepEqual(await fs.readdir("/n/wal"), kept);
  assert.equal(wal.firstIndex(), 30);
  await wal.close();
  wal = await SegmentedWal.open(fs, "/n/wal", { segmentSize: 256 });
  assert.ok(wal.firstIndex() <= 30);
  assert.equal(wal.lastIndex(), 40);
  assert.deepEqual(describe(allEntries(wal)), describe(entries(wal.firstIndex(), 40, 1)));

  // A batch bigger than the limit goes into one segment of its own.
  const before = wal.segmentNames().length;
  await wal.append(entries(41, 80, 1));
  assert.equal(wal.segmentNames().length, before + 1);
  await wal.append(entries(81, 81, 1));
  assert.equal(wal.segmentNames().length, before + 2);
});

test("WAL truncateAfter across segments: dropped entries never come back", async () => {
  const fs = new SimulatedFileSystem();
  let wal = await SegmentedWal.open(fs, "/wal", { segmentSize: 200 });
  await wal.append(entries(1, 20, 1));
  for (let i = 21; i <= 40; i++) await wal.append([entry(i, 1)]);
  await wal.truncateAfter(10);
  await wal.append(entries(11, 12, 2));
  await wal.truncateAfter(11);
  await wal.close();
  wal = await SegmentedWal.open(fs, "/wal", { segmentSize: 200 });
  assert.deepEqual(describe(allEntries(wal)), describe([...entries(1, 10, 1), entry(11, 2)]));
});

test("WAL reset makes older segments irrelevant and deletes them", async () => {
  const fs = new SimulatedFileSystem();
  let wal = await SegmentedWal.open(fs, "/wal", { segmentSize: 200 });
  for (let i = 1; i <= 30; i += 3) await wal.append(entries(i, i + 2, 1));
  await wal.reset();
  assert.equal(wal.segmentNames().length, 1);
  assert.deepEqual(await fs.readdir("/wal"), wal.segmentNames());
  await wal.append(entries(500, 501, 4));
  await wal.close();
  wal = await SegmentedWal.open(fs, "/wal");
  assert.deepEqual(describe(allEntries(wal)), describe(entries(500, 501, 4)));
});

test("WAL on real files: a torn tail is cut durably, stray files are ignored, the log goes on", async () => {
  const root = await mkdtemp(join(tmpdir(), "raft-wal-torn-"));
  try {
    const fs = new NodeFileSystem();
    const dir = join(root, "wal");
    let wal = await SegmentedWal.open(fs, dir);
    await wal.append(entries(1, 5, 1));
    await wal.append(entries(6, 9, 1));
    await wal.close();
    const [segment] = await readdir(dir);
    const path = join(dir, segment);
    const full = await readFile(path);
    // Tear the last batch: drop its final 5 bytes, then add garbage.
    await writeFile(path, full.subarray(0, full.length - 5));
    await appendFile(path, Buffer.from("garbage!"));
    await writeFile(join(dir, "leftover.tmp"), "x");

    const warnings: string[] = [];
    wal = await SegmentedWal.open(fs, dir, { onWarning: (m) => warnings.push(m) });
    assert.deepEqual(describe(allEntries(wal)), describe(entries(1, 5, 1)));
    assert.equal(wal.recovery.truncatedBytes, full.length - 5 + 8 - (await readFile(path)).length);
    assert.deepEqual(wal.recovery.ignoredFiles, ["leftover.tmp"]);
    assert.ok(warnings.some((w) => /torn/.test(w)));
    await wal.append(entries(6, 7, 2));
    await wal.close();
    wal = await SegmentedWal.open(fs, dir);
    assert.deepEqual(describe(allEntries(wal)), describe([...entries(1, 5, 1), ...entries(6, 7, 2)]));
    assert.equal(wal.recovery.truncatedBytes, 0);
    await wal.close();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test("WAL recovery cuts a garbled frame header that claims a huge length (found by the simulator)", async () => {
  const root = await mkdtemp(join(tmpdir(), "raft-wal-garbled-"));
  try {
    const fs = new NodeFileSystem();
    const dir = join(root, "wal");
    let wal = await SegmentedWal.open(fs, dir);
    await wal.append(entries(1, 3, 1));
    await wal.close();
    const [segment] = await readdir(dir);
    // An entry frame header (type 1, three zero bytes) whose length is 2^31: aligning it with
    // 32-bit arithmetic once turned the frame end negative.
    await appendFile(join(dir, segment), Buffer.from([1, 0, 0, 0, 0, 0, 0, 0x80, 1, 2, 3, 4, 5, 6, 7, 8]));
    wal = await SegmentedWal.open(fs, dir);
    assert.deepEqual(describe(allEntries(wal)), describe(entries(1, 3, 1)));
    assert.equal(wal.recovery.truncatedBytes, 16);
    await wal.close();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test("WAL refuses to open when acknowledged data in a sealed segment is damaged", async () => {
  const fs = new SimulatedFileSystem();
  const wal = await SegmentedWal.open(fs, "/wal", { segmentSize: 128 });
  for (let i = 1; i <= 10; i++) await wal.append([entry(i, 1)]);
  const first = wal.segmentNames()[0];
  await wal.close();
  const h = await fs.open(`/wal/${first}`, "readwrite");
  await h.write(new Uint8Array([0xff]), 45); // inside the first entry frame
  await h.close();
  await assert.rejects(
    SegmentedWal.open(fs, "/wal"),
    (e: unknown) => e instanceof WalCorruptionError && /sealed segment/.test(e.message),
  );
});

test("WAL becomes unusable after an I/O error and recovers on reopen", async () => {
  const fs = new SimulatedFileSystem();
  let wal = await SegmentedWal.open(fs, "/wal");
  await wal.append(entries(1, 2, 1));
  fs.failNext("sync", "EIO");
  await assert.rejects(wal.append(entries(3, 4, 1)), /EIO/);
  assert.equal(wal.lastIndex(), 2);
  await assert.rejects(wal.append(entries(3, 3, 1)), /unusable after an earlier I\/O error.*reopen/);
  fs.crashProcess();
  wal = await SegmentedWal.open(fs, "/wal");
  // The batch whose fdatasync failed is in the page cache: it may be recovered, and then it
  // has been made durable by open(), so a power loss now must not take it away.
  const recovered = describe(allEntries(wal));
  assert.deepEqual(recovered, describe(entries(1, 4, 1)));
  fs.crash(() => 0.999);
  wal = await SegmentedWal.open(fs, "/wal");
  assert.deepEqual(describe(allEntries(wal)), recovered);

  fs.failNext("write", "ENOSPC");
  await assert.rejects(wal.append(entries(5, 5, 1)), /ENOSPC/);
  fs.crashProcess();
  wal = await SegmentedWal.open(fs, "/wal");
  assert.deepEqual(describe(allEntries(wal)), recovered);
});

test("WAL ignores old segments resurrected behind a gap (head deletion is not durable)", async () => {
  const fs = new SimulatedFileSystem();
  let wal = await SegmentedWal.open(fs, "/wal", { segmentSize: 150 });
  for (let i = 1; i <= 12; i += 2) await wal.append(entries(i, i + 1, 1));
  await wal.truncateAfter(5); // voids 6..12 of the older segments
  await wal.append(entries(6, 7, 2));
  const [oldest, second] = wal.segmentNames();
  const resurrected = await fs.readFile(`/wal/${oldest}`);
  await wal.truncateBefore(7);
  assert.ok(!wal.segmentNames().includes(second), "the compaction should delete the two oldest segments");
  await wal.close();
  // A file system that reorders unsynced unlinks may bring back the oldest alone.
  const h = await fs.open(`/wal/${oldest}`, "create");
  await h.write(resurrected, 0);
  await h.close();
  wal = await SegmentedWal.open(fs, "/wal", { segmentSize: 150 });
  assert.deepEqual(wal.recovery.removedFiles, [oldest]);
  const got = allEntries(wal);
  assert.equal(wal.lastIndex(), 7);
  assert.deepEqual(
    describe(got),
    describe([...entries(1, 5, 1), ...entries(6, 7, 2)].slice(got[0].index - 1)),
  );
});
