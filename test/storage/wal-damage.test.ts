/**
 * Damage that no crash can explain must never be cut away silently (docs/operations.md, "A
 * damaged meta dir"): a WAL with a flipped byte or a cut is either repaired, because the damage
 * is confined to the last batch (cut, with a warning naming the entries), or
 * refused with a WalCorruptionError naming the file, the offset and the entries affected.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodeFileSystem } from "../../src/raft/storage/fs.ts";
import { SimulatedFileSystem } from "../support/sim-fs.ts";
import { SegmentedWal, WalCorruptionError, segmentFileName } from "../../src/raft/storage/wal.ts";
import type { Entry } from "../../src/raft/types.ts";
import { allEntries, describe, entries } from "../raft/storage/helpers.ts";

const DIR = "/wal";
const SEGMENT_SIZE = 400;
const BATCHES: Entry[][] = Array.from({ length: 12 }, (_, k) => entries(3 * k + 1, 3 * k + 3, 1));

/** A WAL of several segments; returns the segment files with their bytes and first index. */
async function build(): Promise<{ fs: SimulatedFileSystem; files: { name: string; bytes: Uint8Array }[] }> {
  const fs = new SimulatedFileSystem();
  const wal = await SegmentedWal.open(fs, DIR, { segmentSize: SEGMENT_SIZE });
  for (const b of BATCHES) await wal.append(b);
  const names = wal.segmentNames();
  await wal.close();
  const files = [];
  for (const name of names) files.push({ name, bytes: await fs.readFile(`${DIR}/${name}`) });
  return { fs, files };
}

async function overwrite(fs: SimulatedFileSystem, path: string, bytes: Uint8Array): Promise<void> {
  await fs.unlink(path);
  const h = await fs.open(path, "create");
  await h.write(bytes, 0);
  await h.close();
}

/** Where the last batch of a segment starts: after the second-to-last commit frame. */
function lastBatchOffset(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 32;
  let lastStart = 32;
  while (pos < bytes.length) {
    const type = bytes[pos];
    const length = view.getUint32(pos + 4, true);
    pos += 8 + ((length + 7) & ~7);
    if (type === 2 && pos < bytes.length) lastStart = pos;
  }
  return lastStart;
}

test("WAL: a flipped byte anywhere is refused with file, offset and entries, or cut from the last batch with a warning", async () => {
  const { fs, files } = await build();
  assert.ok(files.length >= 3, `expected several segments, got ${files.length}`);
  const all = BATCHES.flat();
  const lastBatch = BATCHES[BATCHES.length - 1];
  let refused = 0;
  let cut = 0;
  for (const [k, file] of files.entries()) {
    const path = `${DIR}/${file.name}`;
    const isTail = k === files.length - 1;
    const tailBatchAt = lastBatchOffset(file.bytes);
    for (let offset = 0; offset < file.bytes.length; offset++) {
      const where = `${file.name} byte ${offset}`;
      const damaged = file.bytes.slice();
      damaged[offset] ^= 0x40;
      await overwrite(fs, path, damaged);
      const warnings: string[] = [];
      if (isTail && offset >= tailBatchAt) {
        // The last batch of the newest segment: indistinguishable from a torn write.
        const wal = await SegmentedWal.open(fs, DIR, { onWarning: (w) => warnings.push(w) });
        assert.deepEqual(describe(allEntries(wal)), describe(all.slice(0, -lastBatch.length)), where);
        assert.equal(warnings.length, 1, where);
        assert.match(
          warnings[0],
          new RegExp(
            `cut a torn last batch from ${file.name} \\(\\d+ bytes at offset ${tailBatchAt}\\): ` +
              `the entries after index ${lastBatch[0].index - 1}( \\(${lastBatch[0].index}\\.\\.\\d+ readable\\))? ` +
              `were lost locally; the log now ends at ${lastBatch[0].index - 1}$`,
          ),
          where,
        );
        await wal.close();
        cut++;
      } else {
        await assert.rejects(
          SegmentedWal.open(fs, DIR, { onWarning: (w) => warnings.push(w) }),
          (err: unknown) => {
            assert.ok(err instanceof WalCorruptionError, `${where}: ${String(err)}`);
            assert.equal(err.path, path, where);
            if (offset < 32)
              assert.match(err.message, /invalid header at offset 0 \(it holds entries \d+\.\.\d+\)/, where);
            else
              assert.match(
                err.message,
                /is damaged at offset \d+ .*: (entry|entries) \d+(\.\.\d+)? (is|are) lost/,
                where,
              );
            return true;
          },
        );
        assert.deepEqual(warnings, [], `${where}: nothing may be changed before refusing`);
        refused++;
      }
      await overwrite(fs, path, file.bytes);
    }
  }
  assert.ok(refused > 1000 && cut > 20, `refused ${refused}, cut ${cut}`);
});

test("WAL: a flipped byte in the middle of a single 44 KB segment refuses to start (issue: it was cut silently)", async () => {
  const root = await mkdtemp(join(tmpdir(), "raft-wal-flip-"));
  try {
    const fs = new NodeFileSystem();
    const dir = join(root, "wal");
    let wal = await SegmentedWal.open(fs, dir);
    for (let i = 1; i <= 1400; i += 4) await wal.append(entries(i, i + 3, 2));
    await wal.close();
    const [segment] = await readdir(dir);
    const path = join(dir, segment);
    const bytes = await readFile(path);
    assert.ok(bytes.length > 30_000, `${bytes.length} bytes`);
    bytes[20_000] ^= 0xff;
    await writeFile(path, bytes);
    await assert.rejects(SegmentedWal.open(fs, dir), (err: unknown) => {
      assert.ok(err instanceof WalCorruptionError);
      assert.match(
        err.message,
        new RegExp(
          `^WAL corrupt: segment ${path.replace(/[.]/g, "\\.")} is damaged at offset \\d+ \\(the batch there does not verify, ` +
            `yet valid entries resume at index \\d+ \\(offset \\d+\\)\\): entries \\d+\\.\\.\\d+ are lost; they were acknowledged`,
        ),
      );
      return true;
    });
    // Refusing changed nothing on disk.
    assert.equal((await stat(path)).size, bytes.length);
    wal = await SegmentedWal.open(fs, dir).catch(() => wal);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test("WAL: truncations — inside the last batch are cut with a warning, inside a sealed segment refused", async () => {
  const { fs, files } = await build();
  const tail = files[files.length - 1];
  const sealed = files[0];
  const all = BATCHES.flat();
  const lastBatch = BATCHES[BATCHES.length - 1];

  const tailAt = lastBatchOffset(tail.bytes);
  await overwrite(fs, `${DIR}/${tail.name}`, tail.bytes.subarray(0, tailAt + 13));
  const warnings: string[] = [];
  const wal = await SegmentedWal.open(fs, DIR, { onWarning: (w) => warnings.push(w) });
  assert.deepEqual(describe(allEntries(wal)), describe(all.slice(0, -lastBatch.length)));
  assert.equal(wal.recovery.truncatedBytes, 13);
  assert.match(
    warnings.join("\n"),
    new RegExp(`cut a torn last batch from ${tail.name} \\(13 bytes at offset ${tailAt}\\)`),
  );
  await wal.close();
  await overwrite(fs, `${DIR}/${tail.name}`, tail.bytes);

  await overwrite(fs, `${DIR}/${sealed.name}`, sealed.bytes.subarray(0, sealed.bytes.length - 20));
  await assert.rejects(
    SegmentedWal.open(fs, DIR),
    new RegExp(
      `^WalCorruptionError: WAL corrupt: sealed segment ${DIR}/${sealed.name} is damaged at offset \\d+ .*` +
        `the next segment ${files[1].name} continues at index \\d+\\): (entry|entries) \\d+(\\.\\.\\d+)? (is|are) lost`,
    ),
  );
});

test("WAL: a newest segment with an invalid header but data after it is refused, a bare one removed", async () => {
  const fs = new SimulatedFileSystem();
  let wal = await SegmentedWal.open(fs, DIR);
  await wal.append(entries(1, 3, 1));
  await wal.close();
  const name = segmentFileName(1, 0);
  const bytes = await fs.readFile(`${DIR}/${name}`);
  const damaged = bytes.slice();
  damaged[9] ^= 1; // the segment id in the header
  await overwrite(fs, `${DIR}/${name}`, damaged);
  await assert.rejects(
    SegmentedWal.open(fs, DIR),
    new RegExp(
      `WAL corrupt: ${DIR}/${name} has an invalid header at offset 0 \\(it holds entries 1\\.\\.3\\)`,
    ),
  );
  // A header alone (an interrupted segment creation) is removed: it never held anything.
  await overwrite(fs, `${DIR}/${name}`, damaged.subarray(0, 32));
  const warnings: string[] = [];
  wal = await SegmentedWal.open(fs, DIR, { onWarning: (w) => warnings.push(w) });
  assert.equal(wal.lastIndex(), 0);
  assert.deepEqual(wal.recovery.removedFiles, [name]);
  assert.match(warnings.join("\n"), new RegExp(`removed ${name}`));
});
