// The influx-cluster executable in direct mode (piped, so it prints the table once), and profiles
// that remember which API their -bind is.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSettings, resolveSettings } from "../../src/tui/settings.ts";
import { BIN } from "../support/cluster.ts";
import { GoMetaCluster } from "../support/go-meta-standin.ts";

let go: GoMetaCluster;
const configDir = mkdtempSync(join(tmpdir(), "tui-direct-"));
before(async () => {
  go = await GoMetaCluster.start({ meta: 3 });
});
after(() => go?.stop());

/** Runs the executable without a terminal; asynchronously, as the stand-in answers from this process. */
function run(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      {
        encoding: "utf8",
        env: { ...process.env, INFLUX_CLUSTER_CONFIG_DIR: configDir, NO_COLOR: "1" },
        timeout: 30_000,
      },
      (err, stdout, stderr) =>
        done({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

test("piped, -bind a Go meta node: the table once, the leader, unknown columns noted", async () => {
  const r = await run("-bind", go.nodes[2].httpAddr);
  assert.equal(r.status, 0, r.stderr);
  const [header, titles, ...rows] = r.stdout.trimEnd().split("\n");
  assert.equal(
    header,
    `leader ${go.nodes[0].httpAddr}  3/3 voters up, tolerates 1 failure  term - (- = not reported by these nodes)`,
  );
  assert.match(titles, /^ROLE +ID +HTTP ADDRESS/);
  assert.deepEqual(
    rows.map((line) => line.split(/ +/).slice(0, 6)),
    [
      ["meta", "1", go.nodes[0].httpAddr, "ok", rows[0].split(/ +/)[4], "LEADER"],
      ["meta", "2", go.nodes[1].httpAddr, "ok", rows[1].split(/ +/)[4], "-"],
      ["meta", "3", go.nodes[2].httpAddr, "ok", rows[2].split(/ +/)[4], "-"],
    ],
  );
});

test("a profile remembers the API: its mode is used, checked, and a flag overrides it", async () => {
  const settings = openSettings(configDir);
  settings.set("profiles", {
    go: { bind: go.nodes[1].httpAddr, api: "meta" },
    wrong: { bind: go.nodes[1].httpAddr, api: "admin" },
  });
  assert.equal(resolveSettings(settings.store, { profile: "go" }).api, "meta");
  assert.equal(resolveSettings(settings.store, { profile: "go", api: "auto" }).api, "auto");
  assert.throws(
    () => resolveSettings(settings.store, { api: "enterprise" }),
    /invalid -api "enterprise" \(expected auto, admin, meta\)/,
  );
  assert.throws(() => settings.set("profiles", { bad: { bind: "x:1", api: "x" } } as never), /schema/i);

  const ok = await run("-profile", "go");
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /3\/3 voters up/);
  const wrong = await run("-profile", "wrong");
  assert.equal(wrong.status, 3, "no picture of the cluster: exit 3");
  assert.equal(
    wrong.stderr,
    `influx-cluster: ${go.nodes[1].httpAddr} is a meta API, not an admin service; use -api meta (or leave -api out), or -bind the admin service (host:8084)\n`,
  );
  const overridden = await run("-profile", "wrong", "-api", "auto");
  assert.equal(overridden.status, 0, overridden.stderr);
});

test("with -api named, a node that does not answer is reported by the view (piped: one line), not refused by detection", async () => {
  const dead = await GoMetaCluster.start({ meta: 1 });
  const addr = dead.nodes[0].httpAddr;
  await dead.stop();
  const named = await run("-bind", addr, "-api", "meta");
  assert.equal(named.status, 3);
  assert.equal(named.stderr, `influx-cluster: meta API ${addr}: connection refused\n`);
  const auto = await run("-bind", addr);
  assert.equal(auto.status, 3);
  // Detection found nothing to name: the piped view reports the dead address in one line (a
  // terminal opens the view anyway, with no picture).
  assert.equal(auto.stderr, `influx-cluster: ${addr}: connection refused\n`);
});

test("a -bind list of meta APIs: detected from the first that answers, the view fails over to it, -json names it", async () => {
  const list = `127.0.0.1:1,${go.nodes[1].httpAddr}`;
  const r = await run("-bind", list, "-json");
  assert.equal(r.status, 0, r.stderr);
  const model = JSON.parse(r.stdout) as { health: string; admin: { bind: string }; votersUp: number };
  assert.equal(model.health, "healthy");
  assert.equal(model.votersUp, 3);
  assert.equal(model.admin.bind, go.nodes[1].httpAddr);
  const down = await run("-bind", "127.0.0.1:1,127.0.0.1:2", "-api", "meta");
  assert.equal(down.status, 3);
  assert.equal(down.stderr, "influx-cluster: meta API 127.0.0.1:1, 127.0.0.1:2: connection refused\n");
});
