import { test } from "node:test";
import assert from "node:assert/strict";
import {
  formatFlags,
  parseFlags,
  parseInterspersed,
  UsageError,
  type FlagSpecs,
} from "../../src/util/flags.ts";

const specs: FlagSpecs = {
  bind: { kind: "string", help: "admin address", default: "localhost:8084" },
  force: { kind: "bool", help: "force", default: false },
  timeout: { kind: "duration", help: "timeout", default: 10_000 },
  yes: { kind: "bool", help: "assume yes", aliases: ["y"] },
};

test("single- and double-dash spellings, = and separate values", () => {
  const a = parseFlags(["-bind", "h:1", "--force", "-timeout=2s", "-y", "cmd", "-x"], specs);
  assert.deepEqual(a.flags, { bind: "h:1", force: true, timeout: 2000, yes: true });
  assert.deepEqual(a.rest, ["cmd", "-x"], "parsing stops at the first non-flag, as Go's flag package does");
  const b = parseFlags(["--bind=h:2", "-force=false", "--", "-notaflag"], specs);
  assert.deepEqual(b.flags, { bind: "h:2", force: false, timeout: 10_000, yes: undefined });
  assert.deepEqual(b.rest, ["-notaflag"]);
});

test("defaults apply when a flag is absent", () => {
  assert.deepEqual(parseFlags([], specs).flags, {
    bind: "localhost:8084",
    force: false,
    timeout: 10_000,
    yes: undefined,
  });
});

test("mistakes are usage errors naming the flag", () => {
  assert.throws(
    () => parseFlags(["-nope"], specs),
    (e) => e instanceof UsageError && /-nope/.test(e.message),
  );
  assert.throws(() => parseFlags(["-bind"], specs), /flag needs an argument: -bind/);
  assert.throws(() => parseFlags(["-timeout", "soon"], specs), /invalid value "soon" for flag -timeout/);
  assert.throws(() => parseFlags(["-force=maybe"], specs), /invalid boolean value "maybe" for flag -force/);
});

test("usage text lists every flag with its default", () => {
  const text = formatFlags(specs);
  assert.match(text, /-bind string\n\s+admin address \(default localhost:8084\)/);
  assert.match(text, /-timeout duration\n\s+timeout \(default 10s\)/);
  assert.match(text, /-yes, -y\n/);
});

test("parseInterspersed: flags after arguments (remove-meta ADDR -y), -- ends flags, defaults kept", () => {
  const specs = {
    y: { kind: "bool" as const, help: "" },
    force: { kind: "bool" as const, help: "" },
    tcpAddr: { kind: "string" as const, help: "", default: "none" },
  };
  assert.deepEqual(parseInterspersed(["n3:8091", "-y"], specs), {
    flags: { y: true, force: undefined, tcpAddr: "none" },
    rest: ["n3:8091"],
  });
  assert.deepEqual(parseInterspersed(["-force", "n3:8091", "-tcpAddr", "n3:8089", "-y"], specs), {
    flags: { y: true, force: true, tcpAddr: "n3:8089" },
    rest: ["n3:8091"],
  });
  assert.deepEqual(parseInterspersed(["a", "--", "-y"], specs).rest, ["a", "-y"]);
  assert.throws(
    () => parseInterspersed(["a", "-forse"], specs),
    /not defined: -forse; did you mean -force\?/,
  );
});

test("an unknown flag suggests the closest one, and only a close one", () => {
  const specs = { bind: { kind: "string" as const, help: "" }, json: { kind: "bool" as const, help: "" } };
  assert.throws(
    () => parseFlags(["-bnd", "x"], specs),
    /^Error: flag provided but not defined: -bnd; did you mean -bind\?$/,
  );
  assert.throws(() => parseFlags(["-zzzzzz"], specs), /^Error: flag provided but not defined: -zzzzzz$/);
});
