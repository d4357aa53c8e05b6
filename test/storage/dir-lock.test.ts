// The meta dir lock and the watcher in one process (the two-process cases run real influxd in
// meta-dir.test.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LOCK_FILE, MetaDirLock } from "../../src/daemon/dir-lock.ts";
import { watchMetaDir } from "../../src/daemon/dir-watch.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "influxd-lock-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("a garbage lock file is stale: taken over; release removes only our own lock", () =>
  withDir(async (dir) => {
    writeFileSync(join(dir, LOCK_FILE), "not a pid");
    const lock = await MetaDirLock.acquire(dir);
    assert.equal(lock.staleOwner, null);
    assert.equal(readFileSync(join(dir, LOCK_FILE), "utf8"), `${process.pid}\n`);
    await lock.release();
    assert.equal(existsSync(join(dir, LOCK_FILE)), false);
  }));

test("the watcher reports a lock file that names another process, once", () =>
  withDir(async (dir) => {
    const lock = await MetaDirLock.acquire(dir);
    const reasons: string[] = [];
    const watch = watchMetaDir(lock, (r) => reasons.push(r), 10);
    try {
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(reasons, [], "a healthy dir is not reported");
      writeFileSync(join(dir, LOCK_FILE), "1\n"); // another process took the dir over
      for (let i = 0; i < 100 && reasons.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(reasons, [
        `meta dir ${dir} vanished or was replaced: its lock file ${join(dir, LOCK_FILE)} is gone or names another process`,
      ]);
    } finally {
      watch.stop();
      await lock.release();
    }
    assert.equal(
      readFileSync(join(dir, LOCK_FILE), "utf8"),
      "1\n",
      "release leaves another process's lock alone",
    );
  }));

test("the watcher is quiet while the lock is given up for a wipe", () =>
  withDir(async (dir) => {
    const lock = await MetaDirLock.acquire(dir);
    const reasons: string[] = [];
    const watch = watchMetaDir(lock, (r) => reasons.push(r), 5);
    try {
      await lock.whileReleased(async () => {
        await rm(join(dir, LOCK_FILE));
        await new Promise((r) => setTimeout(r, 50));
      });
      await new Promise((r) => setTimeout(r, 30));
      assert.deepEqual(reasons, []);
      assert.equal(readFileSync(join(dir, LOCK_FILE), "utf8"), `${process.pid}\n`);
    } finally {
      watch.stop();
      await lock.release();
    }
  }));
