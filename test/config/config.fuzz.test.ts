// Generated TOML documents through loadConfig: a Config or a ConfigError that names the file,
// never another exception; and every valid configuration survives formatConfig → applyToml.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import {
  applyEnv,
  applyToml,
  ConfigError,
  defaultConfig,
  envName,
  formatConfig,
  loadConfig,
  SCHEMA,
  type Config,
} from "../../src/daemon/config.ts";
import { hostileString } from "../support/hostile-inputs.ts";

const dir = mkdtempSync(join(tmpdir(), "config-fuzz-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const FILE = join(dir, "influxdb-meta.conf");

type Specs = Record<string, Record<string, { kind: string; secret?: boolean }>>;
const SECTIONS = Object.keys(SCHEMA).filter((s) => s !== "");
const keysOf = (section: string) => Object.keys((SCHEMA as Specs)[section]);

// ---------------------------------------------------------------------------------------------
// TOML text

const tomlString = (s: string) => JSON.stringify(s);
const bareOrQuotedKey = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/),
  hostileString(12).map(tomlString),
);
const scalar = fc.oneof(
  hostileString(80).map(tomlString),
  fc.constantFrom('"1s"', '"-1s"', '"1h1h"', '"9999999999h"', '":8091"', '"host:99999"', '"[::1]:1"', "''"),
  fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }).map(String),
  fc.constantFrom("0", "-0", "1e400", "inf", "-inf", "nan", "0x10", "0o7", "0b1", "1_000", "3.5"),
  fc.boolean().map(String),
  fc.constantFrom("1979-05-27T07:32:00Z", "1979-05-27", "07:32:00"),
  fc.integer({ min: 10_000, max: 200_000 }).map((n) => tomlString("x".repeat(n))),
);
const value: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("value"), { maxLength: 3 }).map((items) => `[${items.join(", ")}]`),
    fc
      .array(fc.tuple(bareOrQuotedKey, tie("value")), { maxLength: 3 })
      .map((pairs) => `{ ${pairs.map(([k, v]) => `${k} = ${v}`).join(", ")} }`),
  ),
})).value;

const pair = (section: string) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...keysOf(section)), value) },
    fc.tuple(bareOrQuotedKey, value),
  );
const header = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SECTIONS) },
  bareOrQuotedKey,
  // Deep tables, and tables below known sections.
  fc.array(fc.stringMatching(/^[a-z_]{1,6}$/), { minLength: 2, maxLength: 40 }).map((p) => p.join(".")),
  fc.constantFrom(...SECTIONS).map((s) => `${s}.sub`),
);
const table = fc
  .tuple(header, fc.boolean())
  .chain(([name, arrayOfTables]) =>
    fc
      .array(pair(SECTIONS.includes(name) ? name : "meta"), { maxLength: 4 })
      .map((pairs) =>
        [arrayOfTables ? `[[${name}]]` : `[${name}]`, ...pairs.map(([k, v]) => `  ${k} = ${v}`)].join("\n"),
      ),
  );
const document = fc.oneof(
  // Structured: top-level pairs, then tables.
  fc
    .tuple(fc.array(pair(""), { maxLength: 3 }), fc.array(table, { maxLength: 4 }))
    .map(([top, tables]) => [...top.map(([k, v]) => `${k} = ${v}`), ...tables].join("\n") + "\n"),
  // Random text.
  fc.string({ unit: "binary", maxLength: 300 }),
  // The default configuration with a few characters changed.
  fc
    .array(
      fc.tuple(
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.string({ maxLength: 3 }),
        fc.nat(4),
      ),
      { minLength: 1, maxLength: 4 },
    )
    .map((edits) =>
      edits.reduce((text, [pick, insert, remove]) => {
        const at = Math.floor(pick * text.length);
        return text.slice(0, at) + insert + text.slice(at + remove);
      }, formatConfig(defaultConfig())),
    ),
);

test("any TOML document gives a Config or a ConfigError that names the file, nothing else", () => {
  fc.assert(
    fc.property(document, (text) => {
      writeFileSync(FILE, text);
      let config: Config;
      try {
        config = loadConfig({ file: FILE });
      } catch (err) {
        assert.ok(err instanceof ConfigError, `${String(err)} for ${JSON.stringify(text.slice(0, 300))}`);
        // Errors found while reading the file name it; the cross-field rules checked after all
        // sources are merged name the key (see the report).
        assert.match(
          err.message,
          new RegExp(`^(${escape(FILE)}|\\[\\w+\\] [\\w-]+: |hostname: )`),
          err.message,
        );
        assert.doesNotMatch(err.message, /\n/, "one line");
        return;
      }
      assert.equal(typeof config.meta.dir, "string");
    }),
    { numRuns: 250, includeErrorInReport: true },
  );
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

test("a file that cannot be read is a ConfigError naming it", () => {
  for (const file of [join(dir, "missing.conf"), dir, join(dir, "\0")]) {
    assert.throws(
      () => loadConfig({ file }),
      (err) => err instanceof ConfigError && err.message.startsWith(`${file}: cannot read config file`),
    );
  }
});

// ---------------------------------------------------------------------------------------------
// Round trip of valid configurations

/** Any string, DEL included (formatConfig escapes what TOML forbids). */
const configString = fc.string({ unit: "binary", maxLength: 40 });
/** Secrets are printed redacted (by design), so only an unset one can round-trip. */
const validValue = ({ kind, secret }: { kind: string; secret?: boolean }): fc.Arbitrary<unknown> => {
  if (secret) return fc.constant("");
  switch (kind) {
    case "bool":
      return fc.boolean();
    case "int":
      return fc.oneof(fc.constantFrom(0, Number.MAX_SAFE_INTEGER), fc.maxSafeNat());
    case "duration":
      return fc.integer({ min: 0, max: 10 * 24 * 3600 * 1000 });
    case "address":
      return fc
        .tuple(
          fc.constantFrom("", "localhost", "0.0.0.0", "[::1]", "node-1.example"),
          fc.integer({ min: 1, max: 65535 }), // port 0 is refused (see config.test.ts)
        )
        .map(([host, port]) => `${host}:${port}`);
    default:
      return configString;
  }
};
const validConfig: fc.Arbitrary<Config> = fc
  .record(
    Object.fromEntries(
      ["", ...SECTIONS].map((section) => [
        section,
        fc.record(
          Object.fromEntries(keysOf(section).map((k) => [k, validValue((SCHEMA as Specs)[section][k])])),
        ),
      ]),
    ),
  )
  // Plain objects, as defaultConfig() builds them (fast-check's records may lack a prototype).
  .map(
    ({ "": top, ...sections }) =>
      ({
        ...(top as object),
        ...Object.fromEntries(
          Object.entries(sections).map(([name, values]) => [name, { ...(values as object) }]),
        ),
      }) as unknown as Config,
  );

test("every valid configuration survives formatConfig → applyToml unchanged", () => {
  fc.assert(
    fc.property(validConfig, (config) => {
      const parsed = defaultConfig();
      applyToml(parsed, formatConfig(config), "generated.conf");
      assert.deepEqual(parsed, config);
    }),
    { numRuns: 300, includeErrorInReport: true },
  );
});

test("environment values of any text are applied or refused with a ConfigError naming the variable", () => {
  const names = ["", ...SECTIONS].flatMap((s) => keysOf(s).map((k) => envName(s, k)));
  fc.assert(
    fc.property(fc.constantFrom(...names), hostileString(40), (name, text) => {
      try {
        applyEnv(defaultConfig(), { [name]: text });
      } catch (err) {
        assert.ok(err instanceof ConfigError, String(err));
        assert.ok(err.message.startsWith(`environment ${name}: `), err.message);
      }
    }),
    { numRuns: 300, includeErrorInReport: true },
  );
});
