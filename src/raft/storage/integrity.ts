/**
 * Checks the three stores of one node against each other before Raft starts on them, because
 * some damage only shows in combination (docs/operations.md, "A damaged meta dir"):
 *  - a stable store with no valid slot is an interrupted very first save when the node holds no
 *    log and no snapshot (it then starts as a fresh server, and says so); with Raft state beside
 *    it, the node's term, vote and server id are lost, and replacing them with fresh ones could
 *    vote twice in a term or rejoin under a new identity: refused;
 *  - a snapshot skipped as corrupt is harmless when the log still continues an older snapshot
 *    (replay repairs it, and the store already warned); when the log starts after what any
 *    readable snapshot covers, the state in between is lost: refused.
 */
import type { LogStore, SnapshotStore } from "../types.ts";
import { StorageCorruptionError } from "./corruption.ts";

export interface StoresToCheck {
  log: LogStore;
  stable: { damage: string | null; path: string };
  snapshots: SnapshotStore & { corrupt: readonly { name: string; reason: string }[] };
  /** The snapshot directory, for messages. */
  snapshotDir: string;
}

/** Throws a StorageCorruptionError, or returns warnings about what is being repaired. */
export function checkStores({ log, stable, snapshots, snapshotDir }: StoresToCheck): string[] {
  const warnings: string[] = [];
  const last = log.lastIndex();
  const snapshot = snapshots.latest();
  if (stable.damage) {
    if (last > 0 || snapshot) {
      const held = [
        ...(last > 0 ? [`log entries ${log.firstIndex()}..${last}`] : []),
        ...(snapshot ? [`a snapshot at index ${snapshot.meta.index}`] : []),
      ].join(" and ");
      throw new StorageCorruptionError(
        `stable store corrupt: ${stable.damage}, while this node holds ${held}: its server id, term and ` +
          `vote are lost and will not be replaced by fresh ones`,
        stable.path,
      );
    }
    warnings.push(`${stable.damage}; the node holds no Raft state yet, so it starts as a fresh server`);
  }
  const covered = snapshot?.meta.index ?? 0;
  if (snapshots.corrupt.length > 0 && last > 0 && log.firstIndex() > covered + 1) {
    const names = snapshots.corrupt.map((c) => `${snapshotDir}/${c.name} (${c.reason})`).join(", ");
    throw new StorageCorruptionError(
      `snapshot store corrupt: ${names}; the log starts at index ${log.firstIndex()} and ` +
        `${snapshot ? `the newest readable snapshot ends at ${covered}` : "no snapshot is readable"}, ` +
        `so entries ${covered + 1}..${log.firstIndex() - 1} are lost`,
      snapshotDir,
    );
  }
  return warnings;
}
