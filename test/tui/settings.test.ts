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
    prod: { bind: "prod1:8084", readOnly: true, interval: "5s", username: "ops", password: "secret" },
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
