import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSettings, resolveSettings, type Settings } from "../../src/tui/settings.ts";

const base: Settings = {
  interval: "2s",
  readOnly: false,
  profiles: {
    prod: {
      bind: "prod1:8084",
      readOnly: true,
      interval: "5s",
      bindTls: true,
      caFile: "/etc/influxdb/ca.pem",
      user: "ops",
      secretFile: "/etc/influxdb/shared-secret",
    },
    lab: { bind: "lab1:8084" },
  },
};

test("profiles are stored by conf as JSON in the given dir, readable by the owner only", () => {
  const dir = mkdtempSync(join(tmpdir(), "tui-settings-"));
  const conf = openSettings(dir);
  assert.equal(conf.path, join(dir, "config.json"));
  conf.set("profiles", base.profiles);
  conf.set("defaultProfile", "lab");
  const again = openSettings(dir);
  assert.deepEqual(again.store.profiles.prod, base.profiles.prod);
  assert.equal(again.store.defaultProfile, "lab");
  assert.equal(again.store.interval, "2s", "defaults fill what was never set");
  assert.equal(JSON.parse(readFileSync(conf.path, "utf8")).profiles.lab.bind, "lab1:8084");
  assert.equal(statSync(conf.path).mode & 0o777, 0o600);
  assert.throws(
    () => conf.set("profiles", { bad: { port: 1 } } as never),
    /schema/i,
    "a profile without bind is refused",
  );
});

test("precedence: flags over the profile over top-level settings over defaults", () => {
  const none = resolveSettings({ interval: "2s", readOnly: false, profiles: {} }, {});
  assert.deepEqual(
    { bind: none.bind, intervalMs: none.intervalMs, readOnly: none.readOnly },
    { bind: "localhost:8084", intervalMs: 2000, readOnly: null },
  );
  const prod = resolveSettings(base, { profile: "prod" });
  assert.equal(prod.bind, "prod1:8084");
  assert.equal(prod.intervalMs, 5000);
  assert.equal(prod.readOnly, 'profile "prod"', "a per-profile read-only disables removals");
  const overridden = resolveSettings(base, {
    profile: "prod",
    bind: "x:1",
    intervalMs: 500,
    readOnly: false,
  });
  assert.deepEqual(
    { bind: overridden.bind, intervalMs: overridden.intervalMs, readOnly: overridden.readOnly },
    { bind: "x:1", intervalMs: 500, readOnly: null },
  );
  assert.equal(resolveSettings({ ...base, defaultProfile: "lab" }, {}).bind, "lab1:8084");
  assert.equal(
    resolveSettings({ ...base, readOnly: true }, { profile: "lab" }).readOnly,
    "settings readOnly",
  );
  assert.equal(resolveSettings(base, { readOnly: true }).readOnly, "-read-only");
});

test("an unknown profile or a bad stored interval is an error naming it", () => {
  assert.throws(
    () => resolveSettings(base, { profile: "nope" }),
    /no profile "nope" in the settings \(known: prod, lab\)/,
  );
  assert.throws(
    () => resolveSettings({ ...base, interval: "often" }, {}),
    /settings: interval: invalid duration "often"/,
  );
  assert.throws(() => resolveSettings(base, { intervalMs: 0 }), /poll interval must be positive/);
});

test("TLS and credentials: flags over the profile; the profile names a secret file, never a secret", () => {
  assert.deepEqual(resolveSettings(base, { profile: "lab" }).connection, { tls: null, jwt: null });
  assert.deepEqual(resolveSettings(base, { profile: "prod" }).connection, {
    tls: { insecure: false, caFile: "/etc/influxdb/ca.pem" },
    jwt: { user: "ops", secretFile: "/etc/influxdb/shared-secret" },
  });
  const overridden = resolveSettings(base, {
    profile: "prod",
    insecure: true,
    user: "night-shift",
    secretFile: "/run/secret",
    authType: "jwt",
  }).connection;
  assert.deepEqual(overridden, {
    tls: { insecure: true, caFile: "/etc/influxdb/ca.pem" },
    jwt: { user: "night-shift", secretFile: "/run/secret" },
  });
  // Flags alone, as influxd-ctl's: a secret file implies jwt, the user defaults to "".
  assert.deepEqual(resolveSettings(base, { bindTls: true, secretFile: "/s" }).connection, {
    tls: { insecure: false, caFile: null },
    jwt: { user: "", secretFile: "/s" },
  });
});

test("an inconsistent TLS or credential setting is an error naming the flag", () => {
  const resolve = (flags: Parameters<typeof resolveSettings>[1]) => () => resolveSettings(base, flags);
  assert.throws(
    resolve({ authType: "basic", secretFile: "/s" }),
    /does not support basic authentication; use -auth-type jwt -secret-file FILE/,
  );
  assert.throws(resolve({ authType: "token" }), /invalid -auth-type "token" \(expected none or jwt\)/);
  assert.throws(resolve({ authType: "jwt" }), /-auth-type jwt needs -secret-file FILE/);
  assert.throws(
    resolve({ authType: "none", secretFile: "/s" }),
    /-secret-file is set but -auth-type is none/,
  );
  assert.throws(
    resolve({ user: "ops" }),
    /-user names the token's user: it needs -auth-type jwt -secret-file FILE/,
  );
  assert.throws(resolve({ insecure: true }), /-k applies to HTTPS: add -bind-tls/);
  assert.throws(resolve({ caFile: "/ca.pem" }), /-ca-file applies to HTTPS: add -bind-tls/);
  // -bind-tls=false on the command line turns the profile's HTTPS off, and its CA with it: an error, not a silent mix.
  assert.throws(resolve({ profile: "prod", bindTls: false }), /-ca-file applies to HTTPS/);
  // -auth-type none on the command line over a profile's secret file says so too.
  assert.throws(resolve({ profile: "prod", authType: "none" }), /-secret-file is set but -auth-type is none/);
});

test("the settings schema refuses a stored secret and an unsupported auth type", () => {
  const conf = openSettings(mkdtempSync(join(tmpdir(), "tui-settings-")));
  for (const bad of [
    { bind: "a:1", sharedSecret: "s3cret" },
    { bind: "a:1", password: "s3cret" },
    { bind: "a:1", authType: "basic" },
    { bind: "a:1", secretFile: "" },
  ]) {
    assert.throws(() => conf.set("profiles", { bad } as never), /schema/i, JSON.stringify(bad));
  }
  assert.deepEqual(conf.store.profiles, {}, "nothing was stored");
});
