/**
 * One influxd per meta dir: `<meta dir>/influxd.lock` holds the PID of the process that owns the
 * dir, for as long as that process runs (docs/operations.md, "One process per meta dir"). Like
 * BoltDB's and etcd's flock, but portable to Node, which has no flock:
 *
 * - acquire: the PID is written to a private temporary file, which is then hard-linked to the
 *   lock name: link(2) fails if the name exists, so creating the lock and filling it is one step
 *   and no other process ever reads a half-written lock;
 * - a lock whose PID no longer runs (a killed process) is stale: it is replaced (rename(2) over
 *   it), and re-read to make sure a process racing for the same stale lock did not win;
 * - a running process keeps checking that the lock is still its own (src/daemon/dir-watch.ts);
 * - the lock is removed on a clean exit, and also from the `exit` event so an error path does
 *   not leave it behind.
 */

import { readFileSync, unlinkSync } from "node:fs";
import { link, open, readFile, rename, unlink } from "node:fs/promises";
import { join } from "node:path";

export const LOCK_FILE = "influxd.lock";

/** The PID recorded in a lock file, or null when it holds no valid PID. */
function parsePid(text: string): number | null {
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

/** Whether a process with this PID exists (EPERM: it exists but belongs to someone else). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function readPid(path: string): Promise<number | null> {
  try {
    return parsePid(await readFile(path, "utf8"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

export class MetaDirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(
      `meta dir ${dir} is in use by another influxd (pid ${pid}, lock file ${join(dir, LOCK_FILE)}); ` +
        `stop that process first, or delete the lock file if pid ${pid} is not influxd`,
    );
    this.name = "MetaDirLockedError";
  }
}

export class MetaDirLock {
  /** False while the lock is deliberately given up (during a wipe of the dir). */
  held = true;
  /** Counts the times the lock was given up: a check that spans one is void. */
  releases = 0;
  private readonly onExit = () => this.releaseSync();

  private constructor(
    readonly dir: string,
    readonly path: string,
    /** PID of a dead process whose lock was taken over, if any (worth a warning). */
    readonly staleOwner: number | null,
  ) {
    process.once("exit", this.onExit);
  }

  /** Takes the lock on `dir` (which must exist) or throws MetaDirLockedError naming the holder. */
  static async acquire(dir: string): Promise<MetaDirLock> {
    const path = join(dir, LOCK_FILE);
    const stale = await MetaDirLock.take(dir, path);
    return new MetaDirLock(dir, path, stale);
  }

  /** Creates the lock file; returns the PID of a stale owner it replaced, or null. */
  private static async take(dir: string, path: string): Promise<number | null> {
    const tmp = `${path}.${process.pid}.tmp`;
    const file = await open(tmp, "w", 0o644);
    try {
      await file.writeFile(`${process.pid}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    try {
      try {
        await link(tmp, path);
        return null;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      const owner = await readPid(path);
      if (owner !== null && owner !== process.pid && isRunning(owner))
        throw new MetaDirLockedError(dir, owner);
      // Stale (its process is gone, or the file is garbage): replace it, then check that a
      // process racing us for the same stale lock did not replace it after us.
      await rename(tmp, path);
      const now = await readPid(path);
      if (now !== process.pid) throw new MetaDirLockedError(dir, now ?? 0);
      return owner;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  /** Whether the lock file still names this process (the watcher's check). */
  async stillOurs(): Promise<boolean> {
    return (await readPid(this.path)) === process.pid;
  }

  /** Gives the lock up while `fn` runs (it deletes and recreates the dir), then takes it again. */
  async whileReleased<T>(fn: () => Promise<T>): Promise<T> {
    this.held = false;
    this.releases++;
    try {
      return await fn();
    } finally {
      await MetaDirLock.take(this.dir, this.path);
      this.held = true;
    }
  }

  /** Removes the lock file if it is still ours. */
  async release(): Promise<void> {
    process.removeListener("exit", this.onExit);
    if (this.held && (await this.stillOurs().catch(() => false)))
      await unlink(this.path).catch(() => undefined);
    this.held = false;
  }

  private releaseSync(): void {
    if (!this.held) return;
    try {
      if (parsePid(readFileSync(this.path, "utf8")) === process.pid) unlinkSync(this.path);
    } catch {
      // Nothing to do at exit: the next start treats the lock as stale.
    }
    this.held = false;
  }
}
