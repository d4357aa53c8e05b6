import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "smol-toml";
import {
  advertised,
  applyToml,
  ConfigError,
  defaultConfig,
  envName,
  formatConfig,
  loadConfig,
  SCHEMA,
  splitHostPort,
} from "../../src/daemon/config.ts";

const dir = mkdtempSync(join(tmpdir(), "cfg-"));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

test("defaults are the documented ones (README, influxd config)", () => {
  const c = defaultConfig();
  assert.equal(c.hostname, "localhost");
  assert.equal(c.meta["bind-address"], ":8089");
  assert.equal(c.meta["http-bind-address"], ":8091");
  assert.equal(c.meta["election-timeout"], 1000);
  assert.equal(c.meta["leader-lease-timeout"], 500);
  assert.equal(c.meta["commit-timeout"], 50);
  assert.equal(c.admin_cluster["bind-address"], ":8084");
  assert.equal(c.admin_cluster["ping-timeout"], 2000);
  assert.equal(c.admin_cluster.enabled, true);
});

test("the printed configuration is valid TOML that loads back to the same values", () => {
  const text = formatConfig(defaultConfig());
  const doc = parse(text) as Record<string, Record<string, unknown>>;
  assert.equal(doc.meta["election-timeout"], "1s");
  for (const section of Object.keys(SCHEMA).filter((s) => s !== "")) {
    assert.deepEqual(Object.keys(doc[section]), Object.keys(SCHEMA[section as keyof typeof SCHEMA]), section);
  }
  const reloaded = defaultConfig();
  applyToml(reloaded, text, "printed");
  assert.deepEqual(reloaded, defaultConfig());
});

test("file < environment < flags", () => {
  const path = file(
    "ok.toml",
    'hostname = "from-file"\n[meta]\n  dir = "/tmp/m1"\n  election-timeout = "2s"\n',
  );
  const c = loadConfig({
    file: path,
    env: {
      INFLUXDB_META_DIR: "/tmp/m2",
      INFLUXDB_ADMIN_CLUSTER_BIND_ADDRESS: ":9084",
      INFLUXDB_UNRELATED: "x",
    },
    hostname: "from-flag",
  });
  assert.equal(c.hostname, "from-flag");
  assert.equal(c.meta.dir, "/tmp/m2");
  assert.equal(c.meta["election-timeout"], 2000);
  assert.equal(c.admin_cluster["bind-address"], ":9084");
});

test("environment names follow INFLUXDB_<SECTION>_<KEY>", () => {
  assert.equal(envName("meta", "http-bind-address"), "INFLUXDB_META_HTTP_BIND_ADDRESS");
  assert.equal(envName("", "hostname"), "INFLUXDB_HOSTNAME");
  assert.equal(envName("admin_cluster", "bind-address"), "INFLUXDB_ADMIN_CLUSTER_BIND_ADDRESS");
});

test("errors name the file, the line and the key", () => {
  const cases: [string, RegExp][] = [
    ['[meta]\n  dir = "/x"\n  bogus = 1\n', /bad1\.toml:3: \[meta\] bogus: unknown key/],
    [
      '[meta]\n  election-timeout = "soon"\n',
      /bad2\.toml:2: \[meta\] election-timeout: invalid duration "soon"/,
    ],
    ["[nosuch]\n  a = 1\n", /bad3\.toml:1: unknown section \[nosuch\]/],
    ["[meta\n", /bad4\.toml:1:\d+: /],
    [
      '[admin_cluster]\n  enabled = "yes"\n',
      /bad5\.toml:2: \[admin_cluster\] enabled: expected true or false/,
    ],
    [
      '[meta]\n  http-bind-address = "nohostport"\n',
      /bad6\.toml:2: \[meta\] http-bind-address: invalid address/,
    ],
    ["[meta]\n  constructor = 1\n", /bad7\.toml:2: \[meta\] constructor: unknown key/],
    [
      '[meta]\n  bind-address = "127.0.0.1:0"\n',
      /bad8\.toml:2: \[meta\] bind-address: port 0 is not allowed in "127\.0\.0\.1:0" \(peers must know the port\)$/,
    ],
    [
      '[admin_cluster]\n  bind-address = ":0"\n',
      /bad9\.toml:2: \[admin_cluster\] bind-address: port 0 is not allowed/,
    ],
  ];
  cases.forEach(([text, expected], i) => {
    const path = file(`bad${i + 1}.toml`, text);
    assert.throws(
      () => loadConfig({ file: path }),
      (e) => e instanceof ConfigError && expected.test(e.message),
      text,
    );
  });
  assert.throws(
    () => loadConfig({ file: join(dir, "missing.toml") }),
    /missing\.toml: cannot read config file: ENOENT/,
  );
  assert.throws(
    () => loadConfig({ env: { INFLUXDB_META_COMMIT_TIMEOUT: "x" } }),
    /environment INFLUXDB_META_COMMIT_TIMEOUT/,
  );
});

test("cross-field rules", () => {
  assert.throws(
    () => loadConfig({ env: { INFLUXDB_META_LEADER_LEASE_TIMEOUT: "2s" } }),
    /leader-lease-timeout: must not exceed/,
  );
  assert.throws(() => loadConfig({ env: { INFLUXDB_META_HTTPS_ENABLED: "true" } }), /https-certificate/);
  assert.throws(() => loadConfig({ env: { INFLUXDB_META_DIR: " " } }), /\[meta\] dir: must be specified/);
  assert.throws(() => loadConfig({ env: { INFLUXDB_LOGGING_LEVEL: "loud" } }), /\[logging\] level/);
});

test("addresses: split and advertise", () => {
  assert.deepEqual(splitHostPort(":8091"), { host: "", port: 8091 });
  assert.deepEqual(splitHostPort("[::1]:8089"), { host: "::1", port: 8089 });
  assert.throws(() => splitHostPort("host:99999"), /invalid port/);
  assert.equal(advertised(":8091", "node1"), "node1:8091");
  assert.equal(advertised("0.0.0.0:8091", "node1"), "node1:8091");
  assert.equal(advertised("127.0.0.2:8091", "node1"), "127.0.0.2:8091");
});
