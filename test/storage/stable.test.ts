import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodeFileSystem, type FileSystem } from "../../src/raft/storage/fs.ts";
import { SimulatedCrashError, SimulatedFileSystem } from "../support/sim-fs.ts";
import { FileStableStore, STABLE_FILE } from "../../src/raft/storage/stable.ts";
import { MemoryStableStore } from "../../src/raft/storage/memory.ts";
import type { HardState } from "../../src/raft/types.ts";
import { seededRandom } from "../raft/storage/helpers.ts";

const state = (term: number, vote: string | null): HardState => ({ term, vote });

async function behaves(fs: FileSystem, dir: string): Promise<void> {
  let s = await FileStableStore.open(fs, dir);
  assert.equal(s.load(), null);
  await s.save(state(1, null), "srv-a");
  assert.deepEqual(s.load(), { hardState: state(1, null), serverId: "srv-a" });
  for (let t = 2; t <= 5; t++) await s.save(state(t, t % 2 ? "srv-b" : "srv-a"), "srv-a");
  await assert.rejects(s.save(state(-1, null), "srv-a"), /invalid term -1/);
  await assert.rejects(s.save(state(6, ""), "srv-a"), /invalid vote/);
  await assert.rejects(s.save(state(6, null), ""), /server id must be/);
  await assert.rejects(s.save(state(6, "x".repeat(5000)), "srv-a"), /too large/);
  await s.close();
  s = await FileStableStore.open(fs, dir);
  assert.deepEqual(s.load(), { hardState: state(5, "srv-b"), serverId: "srv-a" });
  await s.close();

  // Damage the newest slot: the previous state is still there.
  const h = await fs.open(join(dir, STABLE_FILE), "readwrite");
  await h.write(new Uint8Array([0xff, 0xff]), (5 % 2) * 4096 + 10);
  await h.close();
  s = await FileStableStore.open(fs, dir);
  assert.deepEqual(s.load(), { hardState: state(4, "srv-a"), serverId: "srv-a" });
  // And the next save goes to the damaged slot, never over the good one.
  await s.save(state(7, null), "srv-a");
  await s.close();
  s = await FileStableStore.open(fs, dir);
  assert.deepEqual(s.load(), { hardState: state(7, null), serverId: "srv-a" });
  await s.close();
}

test("FileStableStore on real files: save, reload, fall back from a damaged slot", async () => {
  const root = await mkdtemp(join(tmpdir(), "raft-stable-"));
  try {
    await behaves(new NodeFileSystem(), join(root, "raft"));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test("FileStableStore on the simulated file system", () => behaves(new SimulatedFileSystem(), "/n/raft"));

test("MemoryStableStore keeps the last saved state and validates like the file store", async () => {
  const s = new MemoryStableStore();
  assert.equal(s.load(), null);
  const h = state(3, "b");
  await s.save(h, "a");
  h.term = 99; // the store keeps its own copy
  assert.deepEqual(s.load(), { hardState: state(3, "b"), serverId: "a" });
  await assert.rejects(s.save(state(1.5, null), "a"), /invalid term/);
});

test("FileStableStore crash at every step of a save: acknowledged state always survives", async () => {
  const count = async (): Promise<number> => {
    const fs = new SimulatedFileSystem();
    const s = await FileStableStore.open(fs, "/n/raft");
    await s.save(state(1, "x"), "me");
    const start = fs.opCount;
    await s.save(state(2, "y"), "me");
    return fs.opCount - start;
  };
  const ops = await count();
  assert.ok(ops >= 2);
  for (let seed = 1; seed <= 12; seed++) {
    for (let point = 1; point <= ops + 1; point++) {
      const where = `seed ${seed}, crash before op ${point}`;
      const fs = new SimulatedFileSystem();
      const s = await FileStableStore.open(fs, "/n/raft");
      await s.save(state(1, "x"), "me");
      fs.crashAtOp(point);
      let acked = false;
      try {
        await s.save(state(2, "y"), "me");
        acked = true;
      } catch (err) {
        assert.ok(err instanceof SimulatedCrashError, `${where}: ${err}`);
      }
      fs.crash(seededRandom(seed * 31 + point));
      const loaded = (await FileStableStore.open(fs, "/n/raft")).load();
      const term = loaded?.hardState.term;
      assert.ok(
        acked ? term === 2 : term === 1 || term === 2,
        `${where}: acked=${acked}, loaded ${JSON.stringify(loaded)}`,
      );
      assert.equal(loaded?.hardState.vote, term === 2 ? "y" : "x", where);
    }
  }
});

test("FileStableStore crash while creating a fresh store: empty or the first save, never garbage", async () => {
  for (let seed = 1; seed <= 12; seed++) {
    for (let point = 1; point <= 12; point++) {
      const fs = new SimulatedFileSystem();
      fs.crashAtOp(point);
      let acked = false;
      try {
        const s = await FileStableStore.open(fs, "/n/raft");
        await s.save(state(1, "x"), "me");
        acked = true;
      } catch (err) {
        assert.ok(err instanceof SimulatedCrashError, `seed ${seed} point ${point}: ${err}`);
      }
      fs.crash(seededRandom(seed * 131 + point));
      const loaded = (await FileStableStore.open(fs, "/n/raft")).load();
      if (acked || loaded !== null) {
        assert.deepEqual(
          loaded,
          { hardState: state(1, "x"), serverId: "me" },
          `seed ${seed} point ${point} acked=${acked}`,
        );
      }
    }
  }
});

test("FileStableStore makes a state loaded after a process crash durable", async () => {
  const fs = new SimulatedFileSystem();
  const s = await FileStableStore.open(fs, "/n/raft");
  await s.save(state(1, null), "me");
  fs.crashAtOp(2); // the slot write happens, its fdatasync does not
  await assert.rejects(s.save(state(2, "v"), "me"), SimulatedCrashError);
  fs.crashProcess();
  const reloaded = await FileStableStore.open(fs, "/n/raft");
  assert.equal(reloaded.load()?.hardState.term, 2); // read back from the page cache…
  fs.crash(() => 0); // …so a power loss now must not lose it: keep no unsynced change
  assert.equal((await FileStableStore.open(fs, "/n/raft")).load()?.hardState.term, 2);
});
