/**
 * Opens a RaftNode on real parts: the segmented WAL, the stable store and the snapshot store in
 * `dir` (wal/, stable.bin, snapshots/), real timers. Shared by the daemon and the benchmarks so
 * both run exactly the same storage stack. A `peers.json` in `dir` triggers the offline recovery
 * of src/raft/recover.ts first, and is deleted once it has been applied.
 */

import { mkdir, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { RaftNode, type RaftLogger, type RaftNodeOptions } from "./host.ts";
import { PEERS_FILE, parsePeers, recoverCluster } from "./recover.ts";
import { NodeFileSystem } from "./storage/fs.ts";
import { checkStores } from "./storage/integrity.ts";
import { FileSnapshotStore } from "./storage/snapshots.ts";
import { FileStableStore } from "./storage/stable.ts";
import { SegmentedWal } from "./storage/wal.ts";
import type { Clock, StateMachine, Transport } from "./types.ts";

export const realClock: Clock = {
  now: () => performance.now(),
  setInterval(fn, ms) {
    const timer = setInterval(fn, ms);
    return { cancel: () => clearInterval(timer) };
  },
};

export type RaftTiming = Pick<
  RaftNodeOptions,
  | "tickMs"
  | "electionTimeoutMs"
  | "heartbeatIntervalMs"
  | "leaderLeaseMs"
  | "snapshotThreshold"
  | "trailingLogs"
>;

export async function openRaftNode(
  dir: string,
  opts: { transport: Transport; fsm: StateMachine; timing: RaftTiming; logger?: RaftLogger },
): Promise<RaftNode> {
  const fs = new NodeFileSystem();
  await mkdir(join(dir, "snapshots"), { recursive: true, mode: 0o755 });
  const onWarning = (message: string) => opts.logger?.warn({ dir }, message);
  const opened = await Promise.allSettled([
    SegmentedWal.open(fs, join(dir, "wal"), { onWarning }),
    FileSnapshotStore.open(fs, join(dir, "snapshots"), { onWarning }),
    FileStableStore.open(fs, dir),
  ] as const);
  const [wal, snaps, stable] = opened;
  if (wal.status === "rejected" || snaps.status === "rejected" || stable.status === "rejected") {
    // Close what did open, so a refused start leaks no file descriptor.
    await Promise.allSettled([
      wal.status === "fulfilled" && wal.value.close(),
      stable.status === "fulfilled" && stable.value.close(),
    ]);
    throw opened.find((r) => r.status === "rejected")!.reason;
  }
  const [logStore, snapshotStore, stableStore] = [wal.value, snaps.value, stable.value];
  try {
    for (const w of checkStores({
      log: logStore,
      stable: stableStore,
      snapshots: snapshotStore,
      snapshotDir: join(dir, "snapshots"),
    }))
      onWarning(w);
  } catch (err) {
    await Promise.allSettled([logStore.close(), stableStore.close()]);
    throw err;
  }
  const peersText = await readFile(join(dir, PEERS_FILE), "utf8").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return null;
    throw err;
  });
  if (peersText !== null) {
    const recovered = await recoverCluster({ logStore, snapshotStore }, opts.fsm, parsePeers(peersText));
    await unlink(join(dir, PEERS_FILE));
    await fs.fsyncDir(dir);
    opts.logger?.warn(
      { servers: recovered.config.servers.map((s) => s.address), index: recovered.index },
      "found peers.json: recovered the Raft configuration and deleted the file",
    );
  }
  const node = await RaftNode.open({
    clock: realClock,
    transport: opts.transport,
    logStore,
    stableStore,
    snapshotStore,
    fsm: opts.fsm,
    logger: opts.logger,
    ...opts.timing,
  });
  if (logStore.recovery.truncatedBytes > 0) onWarning(tailLoss(logStore.lastIndex(), node));
  return node;
}

/**
 * What a cut WAL tail means, from the configuration: other voters hold what the cluster committed
 * and the leader sends it again; a node that is its cluster's only voter has no other copy.
 */
function tailLoss(last: number, node: RaftNode): string {
  const voters = node.configuration().latest.config.servers.filter((s) => s.suffrage === "voter");
  return voters.length > 1
    ? `entries after ${last} were lost locally; the leader will send them again`
    : `entries after ${last} were lost: this node is the only voter, so no other node holds them`;
}
