// The meta dir as an operator damages it, between restarts and under a running node (issue 12):
// nothing is silent — influxd either repairs and says so, or refuses to start and says what to do.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  cpSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { startLocalCluster, type LocalCluster } from "../../src/demo/local-cluster.ts";
import { createDatabases, metaClient, spawnInfluxd, status } from "../support/cluster.ts";

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const metaDir = (c: LocalCluster, i: number) => join(c.nodes[i].dir, "meta");
const walDir = (c: LocalCluster, i: number) => join(metaDir(c, i), "raft", "wal");
const RECOVERY =
  /\ninfluxd: the meta dir is damaged and this node will not start on it\. Recovery: .*remove-meta -force.*peers\.json/;

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

function logLines(c: LocalCluster, i: number): LogLine[] {
  return readFileSync(c.nodes[i].logFile, "utf8")
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as LogLine);
}

/** Runs influxd on node i's config (the node itself stopped) and expects it to refuse. */
async function refusedStart(c: LocalCluster, i: number): Promise<string> {
  const run = spawnInfluxd(["-config", c.nodes[i].configFile]);
  const timer = setTimeout(() => run.child.kill("SIGKILL"), 15_000);
  const code = await run.exited;
  clearTimeout(timer);
  assert.equal(code, 1, `influxd should refuse to start; stderr: ${run.output().stderr}`);
  return run.output().stderr;
}

describe("a damaged meta dir between restarts", () => {
  let cluster: LocalCluster;
  let pristine: string;
  before(async () => {
    cluster = await startLocalCluster({ size: 1 });
    await createDatabases(metaClient(cluster), "db", 40);
    await cluster.kill(0, "SIGTERM");
    pristine = join(cluster.baseDir, "pristine-meta");
    cpSync(metaDir(cluster, 0), pristine, { recursive: true });
  });
  after(() => cluster.stop());
  const restore = () => {
    rmSync(metaDir(cluster, 0), { recursive: true, force: true });
    cpSync(pristine, metaDir(cluster, 0), { recursive: true });
  };
  const segment = () =>
    join(
      walDir(cluster, 0),
      readdirSync(walDir(cluster, 0)).find((n) => n.endsWith(".wal"))!,
    );

  test("a byte flipped in the middle of the WAL: refused, naming the file, offset and lost entries, and the recovery", async () => {
    restore();
    const path = segment();
    const bytes = readFileSync(path);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    writeFileSync(path, bytes);
    const stderr = await refusedStart(cluster, 0);
    assert.match(
      stderr,
      new RegExp(
        `^influxd: WAL corrupt: segment ${escape(path)} is damaged at offset \\d+ \\(the batch there does not verify, ` +
          `yet valid entries resume at index \\d+ \\(offset \\d+\\)\\): (entry \\d+ is|entries \\d+\\.\\.\\d+ are) lost; ` +
          `they were acknowledged, so this is not a torn write\\n`,
      ),
    );
    assert.match(stderr, RECOVERY);
    assert.equal(statSync(path).size, bytes.length, "refusing must not change the file");
  });

  test("a torn last batch: cut at start-up with a warning naming the entries dropped", async () => {
    restore();
    const path = segment();
    const size = statSync(path).size;
    truncateSync(path, size - 5);
    await cluster.restart(0);
    try {
      const warning = logLines(cluster, 0).find((l) => /cut a torn last batch/.test(l.msg));
      assert.ok(warning, "no warning about the torn batch");
      assert.equal(warning.level, 40);
      const cut = new RegExp(
        `^WAL ${escape(walDir(cluster, 0))}: cut a torn last batch from \\S+\\.wal \\(\\d+ bytes at offset \\d+\\): ` +
          `the entries after index (\\d+)( \\(\\d+\\.\\.\\d+ readable\\))? were lost locally; the log now ends at \\1$`,
      ).exec(warning.msg);
      assert.ok(cut, warning.msg);
      // A single node: nobody else holds them, and nothing claims they were never acknowledged.
      const loss = logLines(cluster, 0).find((l) => /^entries after \d+ were lost/.test(l.msg));
      assert.equal(
        loss?.msg,
        `entries after ${cut[1]} were lost: this node is the only voter, so no other node holds them`,
      );
      assert.ok(!readFileSync(cluster.nodes[0].logFile, "utf8").includes("never acknowledged"));
      await cluster.waitFor(
        "a leader",
        async () => (await status(cluster.nodes[0].httpAddr)).raft.state === "leader",
      );
    } finally {
      await cluster.kill(0, "SIGTERM");
    }
  });

  test("stable.bin overwritten with zeros: refused, never a fresh server id and term", async () => {
    restore();
    const path = join(metaDir(cluster, 0), "raft", "stable.bin");
    writeFileSync(path, Buffer.alloc(statSync(path).size));
    const stderr = await refusedStart(cluster, 0);
    assert.match(
      stderr,
      new RegExp(
        `^influxd: stable store corrupt: ${escape(path)} has \\d+ bytes but neither of its two slots holds a valid ` +
          `checksummed state \\(term, vote, server id\\), while this node holds log entries \\d+\\.\\.\\d+.*: its server id, ` +
          `term and vote are lost and will not be replaced by fresh ones\\n`,
      ),
    );
    assert.match(stderr, RECOVERY);
    assert.ok(
      readFileSync(path).every((b) => b === 0),
      "refusing must not rewrite stable.bin",
    );
  });

  for (const [what, size] of [
    ["empty", 0],
    ["short", 100],
  ] as const) {
    test(`stable.bin ${what} (${size} bytes) beside a log: refused, naming the file and the recovery`, async () => {
      restore();
      const path = join(metaDir(cluster, 0), "raft", "stable.bin");
      truncateSync(path, size);
      const stderr = await refusedStart(cluster, 0);
      assert.match(
        stderr,
        new RegExp(
          `^influxd: stable store corrupt: ${escape(path)} (is empty \\(0 bytes\\)|has ${size} bytes, fewer than the 4096).*` +
            `while this node holds log entries \\d+\\.\\.\\d+.*: its server id, term and vote are lost`,
        ),
      );
      assert.match(stderr, RECOVERY);
      assert.equal(statSync(path).size, size, "refusing must not rewrite stable.bin");
    });
  }

  test("node.json truncated: a one-line error naming the file", async () => {
    restore();
    const path = join(metaDir(cluster, 0), "node.json");
    writeFileSync(path, readFileSync(path, "utf8").slice(0, 4));
    const stderr = await refusedStart(cluster, 0);
    assert.match(
      stderr,
      new RegExp(
        `^influxd: ${escape(path)} is not valid JSON \\(.*\\); expected \\{"ID":<meta node id>\\}: .*\\n$`,
      ),
    );
  });
});

describe("one influxd per meta dir", () => {
  let cluster: LocalCluster;
  before(async () => (cluster = await startLocalCluster({ size: 1 })));
  after(() => cluster.stop());

  test("a second process on the same dir is refused, naming the dir and the PID holding it", async () => {
    const dir = metaDir(cluster, 0);
    const stderr = await refusedStart(cluster, 0);
    assert.equal(
      stderr,
      `influxd: meta dir ${dir} is in use by another influxd (pid ${cluster.nodes[0].pid}, lock file ` +
        `${join(dir, "influxd.lock")}); stop that process first, or delete the lock file if pid ` +
        `${cluster.nodes[0].pid} is not influxd\n`,
    );
    assert.equal(
      (await status(cluster.nodes[0].httpAddr)).raft.state,
      "leader",
      "the first one is untouched",
    );
  });

  test("the lock of a killed process is taken over, with a warning", async () => {
    const pid = cluster.nodes[0].pid;
    await cluster.kill(0, "SIGKILL");
    assert.equal(readFileSync(join(metaDir(cluster, 0), "influxd.lock"), "utf8"), `${pid}\n`);
    await cluster.restart(0);
    const took = logLines(cluster, 0).find((l) => l.msg === "took over the lock of a process that is gone");
    assert.equal(took?.pid, pid);
    assert.equal(
      readFileSync(join(metaDir(cluster, 0), "influxd.lock"), "utf8"),
      `${cluster.nodes[0].pid}\n`,
    );
  });

  test("restarts write the node identity without errors", async () => {
    await createDatabases(metaClient(cluster), "restart", 3);
    await cluster.restart(0);
    await createDatabases(metaClient(cluster), "again", 3);
    await cluster.restart(0);
    const errors = logLines(cluster, 0).filter((l) => l.level >= 50);
    assert.deepEqual(errors, []);
    assert.deepEqual(JSON.parse(readFileSync(join(metaDir(cluster, 0), "node.json"), "utf8")), {
      ID: 1,
      Members: [], // a one-node cluster: no other member to ask after a removal
    });
  });
});

test("the meta dir deleted under a running node: error logged, Raft stopped, /status and the admin view say so", async () => {
  const cluster = await startLocalCluster({ size: 1 });
  try {
    const node = cluster.nodes[0];
    await createDatabases(metaClient(cluster), "before", 2);
    rmSync(metaDir(cluster, 0), { recursive: true, force: true });
    await cluster.waitFor(
      "the node to notice",
      async () => (await status(node.httpAddr)).storage.ok === false,
      10_000,
    );
    const st = await status(node.httpAddr);
    assert.match(
      st.storage.error ?? "",
      new RegExp(
        `^meta dir ${escape(metaDir(cluster, 0))} vanished or was replaced: its lock file .* is gone`,
      ),
    );
    assert.equal(st.raft.state, "shutdown");
    const logged = logLines(cluster, 0).find((l) => l.level === 50 && /vanished/.test(l.msg));
    assert.match(
      logged?.msg ?? "",
      /vanished or was replaced.*: Raft stopped, this node serves no writes until restarted$/,
    );
    const show = await cluster.admin(0).show();
    assert.equal(show.meta[0].state, "shutdown");
    assert.equal(show.meta[0].storageError, st.storage.error);
    await assert.rejects(
      metaClient(cluster).execute({ type: "CreateDatabaseCommand", name: "after" }),
      /no leader|leader|503|unavailable/i,
    );
  } finally {
    await cluster.stop();
  }
});

test("a follower restarted with an older copy of its meta dir catches up within 2 s while the same leader stays", async () => {
  const cluster = await startLocalCluster({ size: 3 });
  try {
    const leader = await cluster.leaderIndex();
    const follower = leader === 0 ? 1 : 0;
    const client = metaClient(cluster);
    await createDatabases(client, "old", 5);
    const copy = join(cluster.baseDir, "older-meta");
    cpSync(metaDir(cluster, follower), copy, { recursive: true });
    await createDatabases(client, "new", 60);
    const before = await status(cluster.nodes[leader].httpAddr);
    await cluster.kill(follower, "SIGKILL");
    rmSync(metaDir(cluster, follower), { recursive: true, force: true });
    cpSync(copy, metaDir(cluster, follower), { recursive: true });
    await cluster.restart(follower);
    await cluster.waitFor(
      "the follower to catch up",
      async () =>
        (await status(cluster.nodes[follower].httpAddr)).raft.lastLogIndex >= before.raft.commitIndex,
      10_000,
    );
    const after = await status(cluster.nodes[leader].httpAddr);
    assert.equal(after.raft.state, "leader");
    assert.equal(after.raft.term, before.raft.term, "the same leader stayed");
    // It came back behind (it may catch up before a poll could see it: its log says so).
    const lost = logLines(cluster, follower).find((l) => /lost log entries it had acknowledged/.test(l.msg));
    assert.ok(lost, "the follower did not log the loss");
    assert.equal(lost.level, 50);
    assert.ok(
      (lost.lastIndex as number) < before.raft.commitIndex,
      `restarted with ${String(lost.lastIndex)}`,
    );
    const repaired = logLines(cluster, leader).find((l) => /shorter than it acknowledged/.test(l.msg));
    assert.equal(repaired?.level, 40);
    // The repaired follower carries the quorum: with the third node stopped, writes go on.
    await cluster.kill(3 - leader - follower, "SIGKILL");
    await createDatabases(metaClient(cluster), "quorum", 2);
  } finally {
    await cluster.stop();
  }
});

test("remove and re-add cycles: the identity is written without errors and no wiped file stays open", async () => {
  const cluster = await startLocalCluster({ size: 3 });
  try {
    const node = cluster.nodes[2];
    for (let k = 0; k < 3; k++) {
      await cluster.admin(0).removeMeta(node.httpAddr, { force: false });
      await cluster.admin(0).addMeta(node.httpAddr);
      await cluster.waitFor("the node to be a voter again", async () => {
        const show = await cluster.admin(0).show();
        return show.meta.some((m) => m.httpAddr === node.httpAddr && m.suffrage === "voter" && m.reachable);
      });
    }
    const { id } = await status(node.httpAddr);
    await cluster.waitFor("node.json to follow the new id", async () => {
      const text = readFileSync(join(metaDir(cluster, 2), "node.json"), "utf8");
      return (JSON.parse(text) as { ID: number }).ID === id;
    });
    assert.deepEqual(
      logLines(cluster, 2).filter((l) => l.level >= 50),
      [],
    );
    const deleted = readdirSync(`/proc/${node.pid}/fd`)
      .map((fd) => {
        try {
          return readlinkSync(`/proc/${node.pid}/fd/${fd}`);
        } catch {
          return "";
        }
      })
      .filter((t) => t.endsWith("(deleted)"));
    assert.deepEqual(deleted, []);
  } finally {
    await cluster.stop();
  }
});

test("a follower's WAL cut short: 'lost locally; the leader will send them again', and it does", async () => {
  const cluster = await startLocalCluster({ size: 3 });
  try {
    const leader = await cluster.leaderIndex();
    const follower = leader === 0 ? 1 : 0;
    const client = metaClient(cluster);
    await createDatabases(client, "db", 30);
    await cluster.kill(follower, "SIGTERM");
    const dir = walDir(cluster, follower);
    const newest = readdirSync(dir)
      .filter((n) => n.endsWith(".wal"))
      .sort()
      .at(-1)!;
    // Cut inside the last batch, as `truncate -s` by an operator or a full disk would leave it.
    truncateSync(join(dir, newest), statSync(join(dir, newest)).size - 5);
    await cluster.restart(follower);
    const loss = logLines(cluster, follower).find((l) => /^entries after \d+ were lost/.test(l.msg));
    assert.match(loss?.msg ?? "", /^entries after (\d+) were lost locally; the leader will send them again$/);
    assert.ok(!readFileSync(cluster.nodes[follower].logFile, "utf8").includes("never acknowledged"));
    const target = (await status(cluster.nodes[leader].httpAddr)).raft.commitIndex;
    await cluster.waitFor(
      "the follower to get the lost entries back",
      async () => (await status(cluster.nodes[follower].httpAddr)).raft.lastLogIndex >= target,
      10_000,
    );
  } finally {
    await cluster.stop();
  }
});
