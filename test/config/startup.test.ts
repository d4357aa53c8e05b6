// influxd start-up and shutdown as an operator sees them: clear errors with exit code 1, and a
// clean exit 0 on SIGTERM/SIGINT.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "../../src/util/http-client.ts";
import { spawnInfluxd as influxd } from "../support/cluster.ts";

const dir = mkdtempSync(join(tmpdir(), "influxd-start-"));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function config(
  name: string,
  extra: { metaDir?: string; http?: number } = {},
): Promise<{ file: string; http: number }> {
  const [raft, http, admin] = [await freePort(), extra.http ?? (await freePort()), await freePort()];
  const file = join(dir, `${name}.toml`);
  writeFileSync(
    file,
    `hostname = "127.0.0.1"\n[meta]\n  dir = "${extra.metaDir ?? join(dir, name)}"\n  bind-address = "127.0.0.1:${raft}"\n` +
      `  http-bind-address = "127.0.0.1:${http}"\n[admin_cluster]\n  bind-address = "127.0.0.1:${admin}"\n`,
  );
  return { file, http };
}

async function waitForPing(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const res = await request(`http://127.0.0.1:${port}/ping`, { timeoutMs: 500 }).catch(() => null);
    if (res?.status === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("influxd did not start");
}

test("a port in use is a one-line error naming the address, exit 1", async () => {
  const blocker = createServer().listen(0, "127.0.0.1");
  await new Promise((r) => blocker.once("listening", r));
  const port = (blocker.address() as { port: number }).port;
  const { file } = await config("busy", { http: port });
  const run = influxd(["-config", file]);
  assert.equal(await run.exited, 1);
  assert.match(
    run.output().stderr,
    new RegExp(
      `^influxd: meta service: cannot listen on 127\\.0\\.0\\.1:${port}: address already in use\\n$`,
    ),
  );
  blocker.close();
});

test("a meta dir that cannot be written is a one-line error naming it, exit 1", async () => {
  const parent = join(dir, "blocked");
  mkdirSync(parent);
  writeFileSync(join(parent, "file"), "");
  // A path under a regular file can never be created, even by root.
  const { file } = await config("nodir", { metaDir: join(parent, "file", "meta") });
  const run = influxd(["-config", file]);
  assert.equal(await run.exited, 1);
  assert.match(
    run.output().stderr,
    /^influxd: meta dir .*blocked\/file\/meta is not writable \(ENOTDIR\)\n$/,
  );
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  test(`${signal}: stops serving and exits 0, logging structured lines`, async () => {
    const { file, http } = await config(`sig-${signal}`);
    const run = influxd(["-config", file]);
    await waitForPing(http);
    run.child.kill(signal);
    assert.equal(await run.exited, 0);
    const lines = run
      .output()
      .stdout.trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { msg: string; signal?: string });
    assert.ok(lines.some((l) => l.msg === "influxd started"));
    assert.ok(lines.some((l) => l.msg === "shutting down" && l.signal === signal));
    assert.equal(lines.at(-1)?.msg, "stopped");
    await assert.rejects(request(`http://127.0.0.1:${http}/ping`, { timeoutMs: 500 }), /connection refused/);
  });
}

test("-join adds a blank node to a running cluster", async () => {
  const a = await config("join-a");
  const b = await config("join-b");
  const first = influxd(["-config", a.file]);
  await waitForPing(a.http);
  const boot = await request(`http://127.0.0.1:${a.http}/status`, { timeoutMs: 1000 });
  const raftA = (JSON.parse(boot.body.toString()) as { raftAddr: string }).raftAddr;
  // Bootstrap the first node through its own admin service, as `influxd-ctl add-meta` does.
  const adminA = /admin_cluster\]\n {2}bind-address = "([^"]+)"/.exec(readFileSync(a.file, "utf8"))![1];
  const added = await request(`http://${adminA}/add-meta`, {
    method: "POST",
    form: { addr: `127.0.0.1:${a.http}` },
    timeoutMs: 10_000,
  });
  assert.equal(added.status, 200, added.body.toString());
  const second = influxd(["-config", b.file, "-join", `127.0.0.1:${a.http}`]);
  try {
    for (let i = 0; ; i++) {
      const res = await request(`http://127.0.0.1:${a.http}/status`, { timeoutMs: 1000 });
      const voters = (JSON.parse(res.body.toString()) as { raft: { voters: string[] } }).raft.voters;
      if (voters.length === 2) {
        assert.ok(voters.includes(raftA));
        break;
      }
      if (i > 200) assert.fail(`node b never became a voter: ${res.body}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    second.child.kill("SIGTERM");
    first.child.kill("SIGTERM");
    await Promise.all([first.exited, second.exited]);
  }
});
