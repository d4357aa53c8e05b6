/**
 * Notices, while influxd runs, that its meta dir can no longer hold what Raft acknowledges
 * (docs/operations.md, "The meta dir under a running node"): the dir was deleted or replaced
 * (its lock file is gone or names another process), or it became unwritable (the lock file's
 * times cannot be updated: a read-only remount, lost permissions). Open file descriptors keep
 * working on a deleted dir, so without this check the node would go on acknowledging writes
 * that the next restart cannot find.
 *
 * Checked every `intervalMs`; the first failure is reported once through `onFailure`.
 */

import { utimes } from "node:fs/promises";
import type { MetaDirLock } from "./dir-lock.ts";

export interface DirWatch {
  stop(): void;
}

export function watchMetaDir(
  lock: MetaDirLock,
  onFailure: (reason: string) => void,
  intervalMs = 1_000,
): DirWatch {
  let checking = false;
  let failed = false;
  const check = async (): Promise<void> => {
    if (!lock.held || checking || failed) return;
    checking = true;
    const releases = lock.releases;
    try {
      const reason = await problem(lock);
      // A wipe that began meanwhile explains what the check saw.
      if (reason && lock.held && lock.releases === releases && !failed) {
        failed = true;
        onFailure(reason);
      }
    } finally {
      checking = false;
    }
  };
  const timer = setInterval(() => void check(), intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** What is wrong with the meta dir, or null. */
async function problem(lock: MetaDirLock): Promise<string | null> {
  try {
    if (!(await lock.stillOurs()))
      return `meta dir ${lock.dir} vanished or was replaced: its lock file ${lock.path} is gone or names another process`;
    const now = new Date();
    await utimes(lock.path, now, now);
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return `meta dir ${lock.dir} is no longer writable (${code} on ${lock.path})`;
  }
}
