// A full disk under a running node (issue 21, item 5): a real influxd whose meta dir is a 1 MiB
// tmpfs, mounted in a mount namespace of its own (so nothing outlives the process), filled from
// inside that namespace. Raft stops, and /status, the admin /show, influxd-ctl show and the TUI's
// row all say why instead of "shutdown" with storage ok.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { startLocalCluster, type LocalCluster } from "../../src/demo/local-cluster.ts";
import { MetaClient } from "../../src/meta/client.ts";
import { ClusterPoller } from "../../src/tui/poller.ts";
import { COLUMNS } from "../../src/tui/table-format.ts";
import { BIN, ctl, status } from "../support/cluster.ts";

// Mounting needs root and unshare(1); elsewhere the test says so instead of passing silently.
const canMount =
  process.getuid?.() === 0 && spawnSync("unshare", ["-m", "true"], { stdio: "ignore" }).status === 0;

const stateCell = (row: Parameters<(typeof COLUMNS)[number]["cell"]>[0]) =>
  COLUMNS.find((c) => c.id === "state")!.cell(row);

let cluster: LocalCluster;
let child: ChildProcess | undefined;

before(async () => {
  if (!canMount) return;
  cluster = await startLocalCluster({ size: 1, form: false });
  await cluster.kill(0, "SIGTERM");
});
after(async () => {
  child?.kill("SIGKILL");
  await cluster?.stop();
});

test(
  "ENOSPC stops Raft and shows in /status, /show, ctl show and the TUI row, with the reason",
  { skip: !canMount && "needs root and unshare -m" },
  async () => {
    const node = cluster.nodes[0];
    const dir = join(node.dir, "meta");
    // unshare execs the shell, which execs influxd: the child's PID is influxd's, in the namespace.
    child = spawn(
      "unshare",
      [
        "-m",
        "--propagation",
        "private",
        "sh",
        "-c",
        'mount -t tmpfs -o size=1m tmpfs "$0" && exec "$@"',
        dir,
        process.execPath,
        BIN,
        "influxd",
        "-config",
        node.configFile,
      ],
      { stdio: "ignore" },
    );
    await cluster.waitFor("influxd on the tmpfs to answer", async () => {
      if (child?.exitCode !== null) throw new Error(`influxd exited with ${child?.exitCode}`);
      return (await status(node.httpAddr).catch(() => null)) !== null;
    });
    await cluster.admin(0).addMeta(node.httpAddr);
    const client = new MetaClient({ servers: [node.httpAddr], timeoutMs: 5_000 });
    await client.execute({ type: "CreateDatabaseCommand", name: "before" });
    assert.equal((await status(node.httpAddr)).storage.ok, true);

    // Fill the tmpfs from inside the node's namespace (dd stops at ENOSPC).
    spawnSync(
      "nsenter",
      ["-t", String(child.pid), "-m", "dd", "if=/dev/zero", `of=${dir}/filler`, "bs=64k"],
      {
        stdio: "ignore",
      },
    );
    // Writes until one needs a new page of the WAL.
    for (let i = 0; i < 200; i++) {
      const ok = await client
        .execute({ type: "CreateDatabaseCommand", name: `db-${i}-${"x".repeat(200)}` })
        .then(() => true)
        .catch(() => false);
      if (!ok) break;
    }
    await cluster.waitFor(
      "/status to report the failure",
      async () => !(await status(node.httpAddr)).storage.ok,
    );
    const st = await status(node.httpAddr);
    assert.equal(st.raft.state, "shutdown");
    assert.match(st.storage.error ?? "", /^Raft stopped after a write to the meta dir failed: .*ENOSPC/);

    const show = await cluster.admin(0).show();
    assert.equal(show.meta[0].storageError, st.storage.error);

    const r = await ctl(["-bind", node.adminAddr, "show"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /Warning: meta node 1 at \S+ stopped writing: Raft stopped after a write to the meta dir failed: .*ENOSPC/,
    );

    // The TUI's row, as its poller composes it from the admin /show and the node's own /status.
    const poller = new ClusterPoller({ admin: cluster.admin(0), timeoutMs: 2_000, onSnapshot: () => {} });
    try {
      const snapshot = await poller.pollOnce();
      const row = snapshot.rows.find((x) => x.httpAddr === node.httpAddr);
      assert.match(row?.storageError ?? "", /ENOSPC/);
      assert.equal(stateCell(row!), "DISK FAIL");
    } finally {
      await poller.stop();
    }
  },
);
