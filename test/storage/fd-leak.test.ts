// A node that is wiped and opened again, as a removed meta node is, must not keep descriptors of
// the files it deleted (issue 12: "Closing file descriptor N on garbage collection"). The nodes
// stay referenced, so the garbage collector cannot hide a leak by closing a handle itself.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readlinkSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MetaDirLock } from "../../src/daemon/dir-lock.ts";
import { MetaStateMachine } from "../../src/meta/fsm.ts";
import type { RaftNode } from "../../src/raft/host.ts";
import { openRaftNode } from "../../src/raft/open.ts";
import { MemNetwork } from "../raft/support/memhost.ts";

/** What this process's descriptors under `root` point at (deleted files included). */
function descriptorsUnder(root: string): string[] {
  const targets: string[] = [];
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(root)) targets.push(target);
    } catch {
      // closed between the listing and the readlink (the listing's own descriptor)
    }
  }
  return targets.sort();
}

test("20 open → wipe → reopen cycles of a meta dir leave no file descriptor behind (/proc/self/fd)", async () => {
  const root = await mkdtemp(join(tmpdir(), "influxd-fds-"));
  const dir = join(root, "meta");
  await mkdir(dir);
  const lock = await MetaDirLock.acquire(dir);
  const net = new MemNetwork();
  const nodes: RaftNode[] = [];
  const cycle = async () => {
    const raft = await openRaftNode(join(dir, "raft"), {
      transport: net.transport("node:8089"),
      fsm: new MetaStateMachine(),
      timing: {
        tickMs: 5,
        electionTimeoutMs: 50,
        heartbeatIntervalMs: 10,
        leaderLeaseMs: 50,
        snapshotThreshold: 8192,
        trailingLogs: 100,
      },
    });
    nodes.push(raft);
    await raft.bootstrap({ servers: [{ id: raft.id, address: "node:8089", suffrage: "voter" }] });
    for (let waited = 0; raft.state() !== "leader"; waited += 5) {
      assert.ok(waited < 5_000, "the bootstrapped node never became leader");
      await new Promise((r) => setTimeout(r, 5));
    }
    await raft.barrier(5_000);
    await raft.shutdown();
    await lock.whileReleased(async () => {
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir);
    });
  };
  try {
    await cycle();
    const before = descriptorsUnder(root);
    for (let i = 0; i < 20; i++) await cycle();
    assert.deepEqual(descriptorsUnder(root), before, "descriptors left open after 20 cycles");
    assert.equal(nodes.length, 21);
  } finally {
    await lock.release();
    await rm(root, { recursive: true, force: true });
  }
});
