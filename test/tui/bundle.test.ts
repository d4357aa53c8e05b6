// The incident bundle's file and scrubbing (src/tui/bundle.ts), without a cluster: secrets never
// reach the file, and the file is written whole or not at all, never over another.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BundleWriteError,
  bundleFileName,
  checkBundlePath,
  scrub,
  writeBundle,
} from "../../src/tui/bundle.ts";
import { T0 } from "./fixtures.ts";

test("scrub: values of secret-named keys, credentials in addresses and bearer tokens are replaced", () => {
  const token = "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJ1c2VybmFtZSI6Im9wcyJ9.c2lnbmF0dXJl";
  const out = scrub({
    profile: { bind: "ops:hunter2@node1:8084", secretFile: "/etc/influxdb/secret", user: "ops" },
    headers: { Authorization: `Bearer ${token}` },
    nested: [{ password: "hunter2", sharedSecret: "s3cr3t", note: `sent Bearer ${token}` }],
    url: "https://ops:hunter2@node1:8091/status",
    plain: "leader changed: 127.0.0.1:8091 → 127.0.0.1:8191 (term 4)",
    count: 3,
    none: null,
  });
  const text = JSON.stringify(out);
  for (const secret of ["hunter2", "s3cr3t", token, "/etc/influxdb/secret"])
    assert.ok(!text.includes(secret), `${secret} removed: ${text}`);
  assert.deepEqual(out, {
    profile: { bind: "[redacted]@node1:8084", secretFile: "[redacted]", user: "ops" },
    headers: { Authorization: "[redacted]" },
    nested: [{ password: "[redacted]", sharedSecret: "[redacted]", note: "sent Bearer [redacted]" }],
    url: "https://[redacted]@node1:8091/status",
    plain: "leader changed: 127.0.0.1:8091 → 127.0.0.1:8191 (term 4)",
    count: 3,
    none: null,
  });
});

test("the bundle is written whole under its name, never over an existing file, and no temporary file stays", () => {
  const dir = mkdtempSync(join(tmpdir(), "bundle-"));
  const name = bundleFileName(T0);
  assert.equal(name, "influx-cluster-bundle-20260102T030405Z.json");
  const path = writeBundle(join(dir, name), '{"a":1}\n');
  assert.equal(path, join(dir, name));
  assert.equal(readFileSync(path, "utf8"), '{"a":1}\n');
  assert.throws(
    () => writeBundle(path, '{"b":2}\n'),
    (err: unknown) =>
      err instanceof BundleWriteError &&
      err.exists &&
      err.message === `cannot write the bundle to ${path}: a file is there already`,
  );
  assert.equal(readFileSync(path, "utf8"), '{"a":1}\n', "the first bundle is kept");
  writeBundle(path, '{"b":2}\n', true);
  assert.equal(readFileSync(path, "utf8"), '{"b":2}\n', "replaced when asked");
  assert.deepEqual(readdirSync(dir), [name], "no temporary file left behind");
});

test("a path that cannot be written is one line naming it and why", () => {
  const dir = mkdtempSync(join(tmpdir(), "bundle-"));
  const file = join(dir, "file");
  writeFileSync(file, "x");
  const cases: [string, RegExp][] = [
    [join(dir, "missing", "b.json"), /: its directory does not exist$/],
    [join(file, "b.json"), /: a part of its path is not a directory$/],
  ];
  for (const [path, why] of cases) {
    assert.throws(
      () => checkBundlePath(path, false),
      (err: unknown) =>
        err instanceof BundleWriteError &&
        err.message.startsWith(`cannot write the bundle to ${path}`) &&
        why.test(err.message) &&
        !err.message.includes("\n"),
    );
  }
});
