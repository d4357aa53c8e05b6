// The one executable reached under each bin name, against the built dist/ (npm test builds first).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const BIN = resolve("bin/influx-cluster.js");
const dir = mkdtempSync(join(tmpdir(), "bins-"));
for (const name of ["influxd", "influxd-ctl", "influxd_ctl", "influx-cluster"])
  symlinkSync(BIN, join(dir, name));

function run(name: string, args: string[]) {
  const r = spawnSync(process.execPath, [join(dir, name), ...args], {
    encoding: "utf8",
    env: { ...process.env, INFLUXDB_META_DIR: "" },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test("each bin name reaches its command", () => {
  assert.match(run("influxd", ["version"]).out, /^influxd \d+\.\d+\.\d+/);
  assert.match(run("influxd-ctl", ["-h"]).out, /^influxd-ctl /);
  assert.match(run("influxd_ctl", ["-h"]).out, /^influxd-ctl /);
  assert.match(run("influx-cluster", ["version"]).out, /^influx-cluster \d+\.\d+\.\d+/);
  assert.match(run("influx-cluster", ["influxd", "version"]).out, /^influxd /);
  assert.match(run("influx-cluster", ["ctl", "-h"]).out, /^influxd-ctl /);
});

test("influxd config prints the full defaults as TOML", () => {
  const r = run("influxd", ["config"]);
  assert.equal(r.code, 0);
  assert.match(r.out, /^hostname = "localhost"$/m);
  assert.match(r.out, /^\[meta\]$/m);
  assert.match(r.out, /^ {2}http-bind-address = ":8091"$/m);
  assert.match(r.out, /^\[admin_cluster\]$/m);
});

test("a bad config file fails with exit 1 and a one-line message naming the problem", () => {
  const bad = join(dir, "bad.toml");
  writeFileSync(bad, '[meta]\n  election-timeout = "forever"\n');
  const r = run("influxd", ["-config", bad]);
  assert.equal(r.code, 1);
  assert.equal(r.err.trim().split("\n").length, 1);
  assert.match(r.err, /bad\.toml:2: \[meta\] election-timeout: invalid duration "forever"/);
});

test("usage errors exit 2 (influxd, influxd-ctl, as Go's flag package) or 64 (influx-cluster, apart from its health codes)", () => {
  assert.equal(run("influxd", ["-nosuchflag"]).code, 2);
  assert.equal(run("influx-cluster", ["nosuchcommand"]).code, 64);
  assert.match(run("influx-cluster", ["nosuchcommand"]).err, /unknown command "nosuchcommand"/);
  // Names of Object.prototype's members are not commands.
  for (const word of ["constructor", "toString", "__proto__"]) {
    assert.equal(run("influx-cluster", [word]).code, 64, word);
    assert.equal(run("influxd-ctl", [word]).code, 2, word);
  }
});

test("influxd and influxd-ctl never load React or Ink", () => {
  for (const [name, args] of [
    ["influxd-ctl", ["-h"]],
    ["influxd", ["config"]],
  ] as const) {
    const record = join(dir, `${name}.imports`);
    writeFileSync(record, "");
    execFileSync(
      process.execPath,
      ["--import", resolve("test/support/record-imports.mjs"), join(dir, name), ...args],
      {
        env: { ...process.env, RECORD_IMPORTS: record },
      },
    );
    const loaded = readFileSync(record, "utf8").trim().split("\n");
    assert.ok(
      loaded.some((u) => u.endsWith("/dist/main.js")),
      `${name}: the recorder saw the entry point`,
    );
    const heavy = loaded.filter((u) => /\/node_modules\/(ink|react|react-reconciler|yoga-layout)\//.test(u));
    assert.deepEqual(heavy, [], `${name} loads no UI modules`);
  }
});
