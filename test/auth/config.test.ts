// Configuration of authentication and TLS: secrets from keys, files or the environment, the
// rules that tie them together, and that `influxd config` never prints a secret.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "smol-toml";
import { ConfigError, formatConfig, loadConfig, readSecrets, REDACTED } from "../../src/daemon/config.ts";

const dir = mkdtempSync(join(tmpdir(), "auth-cfg-"));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
const SHARED = "s3cr3t-shared-value";
const INTERNAL = "s3cr3t-internal-value";

test("secrets come from their key, the environment or a file (trailing newline dropped)", () => {
  const fromToml = loadConfig({
    file: file(
      "inline.toml",
      `[meta]\n  auth-enabled = true\n  shared-secret = "${SHARED}"\n  internal-shared-secret = "${INTERNAL}"\n`,
    ),
  });
  assert.deepEqual(readSecrets(fromToml), { shared: SHARED, internal: INTERNAL });

  const fromFiles = loadConfig({
    env: {
      INFLUXDB_META_AUTH_ENABLED: "true",
      INFLUXDB_META_SHARED_SECRET_FILE: file("shared", SHARED + "\n"),
      INFLUXDB_META_INTERNAL_SHARED_SECRET_FILE: file("internal", INTERNAL + "\r\n"),
    },
  });
  assert.deepEqual(readSecrets(fromFiles), { shared: SHARED, internal: INTERNAL });

  const fromEnv = loadConfig({
    env: {
      INFLUXDB_META_AUTH_ENABLED: "true",
      INFLUXDB_META_SHARED_SECRET: SHARED,
      INFLUXDB_META_INTERNAL_SHARED_SECRET: INTERNAL,
    },
  });
  assert.deepEqual(readSecrets(fromEnv), { shared: SHARED, internal: INTERNAL });
});

test("auth-enabled needs both secrets, different from each other; errors name the key, never the value", () => {
  const cases: Array<[NodeJS.ProcessEnv, RegExp]> = [
    [{ INFLUXDB_META_AUTH_ENABLED: "true" }, /\[meta\] auth-enabled: needs shared-secret/],
    [
      { INFLUXDB_META_AUTH_ENABLED: "true", INFLUXDB_META_SHARED_SECRET: SHARED },
      /\[meta\] auth-enabled: needs internal-shared-secret/,
    ],
    [
      {
        INFLUXDB_META_AUTH_ENABLED: "true",
        INFLUXDB_META_SHARED_SECRET: SHARED,
        INFLUXDB_META_INTERNAL_SHARED_SECRET: SHARED,
      },
      /internal-shared-secret: must differ from shared-secret/,
    ],
    [
      { INFLUXDB_META_SHARED_SECRET: SHARED, INFLUXDB_META_SHARED_SECRET_FILE: file("s2", SHARED) },
      /shared-secret-file: set either shared-secret or shared-secret-file, not both/,
    ],
    [
      { INFLUXDB_META_SHARED_SECRET_FILE: join(dir, "missing") },
      /\[meta\] shared-secret-file: cannot read .*missing: ENOENT/,
    ],
    [
      { INFLUXDB_META_INTERNAL_SHARED_SECRET_FILE: file("empty", "\n") },
      /internal-shared-secret-file: .*empty is empty/,
    ],
    [{ INFLUXDB_META_SHARED_SECRET: REDACTED }, /shared-secret: "<redacted>" is what influxd config prints/],
    [
      { INFLUXDB_ADMIN_CLUSTER_HTTPS_ENABLED: "true" },
      /\[admin_cluster\] https-enabled: needs https-certificate and https-private-key/,
    ],
  ];
  for (const [env, expected] of cases) {
    assert.throws(
      () => loadConfig({ env }),
      (e: unknown) => e instanceof ConfigError && expected.test(e.message) && !e.message.includes(SHARED),
      String(expected),
    );
  }
  // The admin service may borrow the meta certificate.
  const borrowed = loadConfig({
    env: {
      INFLUXDB_META_HTTPS_ENABLED: "true",
      INFLUXDB_META_HTTPS_CERTIFICATE: "/etc/ssl/node.pem",
      INFLUXDB_META_HTTPS_PRIVATE_KEY: "/etc/ssl/node.key",
      INFLUXDB_ADMIN_CLUSTER_HTTPS_ENABLED: "true",
    },
  });
  assert.equal(borrowed.admin_cluster["https-enabled"], true);
});

test("the printed configuration redacts secrets and stays loadable when they come from files", () => {
  const inline = loadConfig({
    env: {
      INFLUXDB_META_AUTH_ENABLED: "true",
      INFLUXDB_META_SHARED_SECRET: SHARED,
      INFLUXDB_META_INTERNAL_SHARED_SECRET: INTERNAL,
    },
  });
  const text = formatConfig(inline);
  assert.ok(!text.includes(SHARED) && !text.includes(INTERNAL), "no secret in the output");
  const doc = parse(text) as Record<string, Record<string, unknown>>;
  assert.equal(doc.meta["shared-secret"], REDACTED);
  assert.equal(doc.meta["internal-shared-secret"], REDACTED);
  // Fed back in, the placeholder is refused rather than used as the secret.
  assert.throws(
    () => loadConfig({ file: file("printed.toml", text) }),
    /"<redacted>" is what influxd config prints/,
  );

  const viaFiles = loadConfig({
    env: {
      INFLUXDB_META_AUTH_ENABLED: "true",
      INFLUXDB_META_SHARED_SECRET_FILE: file("shared2", SHARED),
      INFLUXDB_META_INTERNAL_SHARED_SECRET_FILE: file("internal2", INTERNAL),
    },
  });
  const printed = formatConfig(viaFiles);
  assert.ok(!printed.includes(SHARED) && !printed.includes(INTERNAL));
  const reloaded = loadConfig({ file: file("printed2.toml", printed) });
  assert.deepEqual(readSecrets(reloaded), { shared: SHARED, internal: INTERNAL });
});
