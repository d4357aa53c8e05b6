/**
 * `influxd` configuration: one schema table drives defaults, TOML parsing and validation,
 * `INFLUXDB_<SECTION>_<KEY>` environment overrides and `influxd config` output, so the four can
 * never disagree. Precedence: defaults < TOML file < environment < command-line flags.
 */

import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { parse as parseToml, TomlError } from "smol-toml";
import { formatDuration, parseDuration } from "../util/duration.ts";

type Kind = "string" | "bool" | "duration" | "int" | "address";
interface KeySpec {
  kind: Kind;
  default: string | boolean | number;
  help: string;
  /** Never printed: `influxd config` shows "<redacted>" for a value that is set. */
  secret?: boolean;
}

const str = (d: string, help: string) => ({ kind: "string" as const, default: d, help });
const bool = (d: boolean, help: string) => ({ kind: "bool" as const, default: d, help });
const dur = (d: string, help: string) => ({ kind: "duration" as const, default: parseDuration(d), help });
const int = (d: number, help: string) => ({ kind: "int" as const, default: d, help });
const addr = (d: string, help: string) => ({ kind: "address" as const, default: d, help });
const secret = (help: string) => ({ kind: "string" as const, default: "", help, secret: true });

/** What `influxd config` prints instead of a secret; refused as a value so a printed
 *  configuration fed back in fails loudly instead of running with "<redacted>" as the secret. */
export const REDACTED = "<redacted>";

/** Top-level keys live under the "" section. Key names are InfluxDB's. */
export const SCHEMA = {
  "": {
    hostname: str("localhost", "advertised host for bind addresses with an empty host"),
  },
  meta: {
    dir: str("~/.influxdb/meta", "Raft log, snapshots and node identity"),
    "bind-address": addr(":8089", "Raft transport"),
    "http-bind-address": addr(":8091", "meta service HTTP API"),
    "election-timeout": dur(
      "1s",
      "a follower campaigns after a random silence in [T/2, T), T = min(election, heartbeat)",
    ),
    "heartbeat-timeout": dur(
      "1s",
      "upper bound of leader silence a follower tolerates (see election-timeout)",
    ),
    "leader-lease-timeout": dur("500ms", "a leader without quorum contact for this long steps down"),
    "commit-timeout": dur("50ms", "interval of leader heartbeats that carry the commit index"),
    "snapshot-threshold": int(8192, "applied entries between snapshots"),
    "trailing-logs": int(10240, "log entries kept after a snapshot, so followers can catch up"),
    "max-body-size": int(32 * 1024 * 1024, "largest accepted HTTP request body, in bytes"),
    "https-enabled": bool(false, "serve the meta API over HTTPS"),
    "https-certificate": str("", "PEM certificate for HTTPS"),
    "https-private-key": str("", "PEM private key for HTTPS"),
    "https-ca": str(
      "",
      "PEM CA bundle that other nodes' certificates must chain to (HTTPS between nodes, Raft mutual TLS); empty: the system's roots",
    ),
    "https-insecure-tls": bool(false, "do not verify other nodes' certificates (test setups only)"),
    "auth-enabled": bool(false, "require credentials (JWT) on the meta and admin APIs"),
    "shared-secret": secret("JWT (HS512) secret for influxd-ctl and the TUI"),
    "shared-secret-file": str("", "file holding shared-secret, instead of this file"),
    "internal-shared-secret": secret("JWT (HS512) secret for node-to-node calls"),
    "internal-shared-secret-file": str("", "file holding internal-shared-secret, instead of this file"),
    "lease-duration": dur(
      "1m0s",
      "how long a lease (GET /lease, e.g. continuous queries) lasts unless renewed",
    ),
    "announcement-expiration": dur(
      "30s",
      "how long a node's announcement (version, status) counts unless renewed",
    ),
    "gossip-frequency": dur("5s", "how often this meta node passes announcements on to another meta node"),
    "data-use-tls": bool(false, "data nodes serve their TCP port (8088) and /status over TLS"),
    "data-insecure-tls": bool(false, "do not verify data nodes' certificates (test setups only)"),
  },
  admin_cluster: {
    enabled: bool(true, "run the admin service"),
    "bind-address": addr(":8084", "admin service HTTP API"),
    "ping-timeout": dur("2s", "how long remove-meta waits for the target's /ping"),
    "https-enabled": bool(false, "serve the admin API over HTTPS"),
    "https-certificate": str("", "PEM certificate for HTTPS (default: the meta certificate)"),
    "https-private-key": str("", "PEM private key for HTTPS (default: the meta key)"),
  },
  logging: {
    level: str("info", "one of error, warn, info, debug"),
  },
} as const satisfies Record<string, Record<string, KeySpec>>;

type Schema = typeof SCHEMA;
type ValueOf<S> = S extends { kind: "bool" }
  ? boolean
  : S extends { kind: "duration" | "int" }
    ? number
    : string;
type SectionValues<S> = { -readonly [K in keyof S]: ValueOf<S[K]> };

/** Durations are milliseconds. Top-level keys are flattened onto the object. */
export type Config = SectionValues<Schema[""]> & {
  meta: SectionValues<Schema["meta"]>;
  admin_cluster: SectionValues<Schema["admin_cluster"]>;
  logging: SectionValues<Schema["logging"]>;
};

type SectionName = Exclude<keyof Schema, "">;
const SECTIONS = Object.keys(SCHEMA).filter((s) => s !== "") as SectionName[];

/** A configuration mistake; the message names the source, the key and (when known) the line. */
export class ConfigError extends Error {}

export function defaultConfig(): Config {
  const cfg: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(SCHEMA[""])) cfg[key] = spec.default;
  for (const section of SECTIONS) {
    cfg[section] = Object.fromEntries(Object.entries(SCHEMA[section]).map(([k, s]) => [k, s.default]));
  }
  return cfg as Config;
}

function keySpec(section: string, key: string): KeySpec | undefined {
  // Own properties only: a key such as "constructor" or "__proto__" is unknown, not Object's.
  const schema = SCHEMA as Record<string, Record<string, KeySpec>>;
  if (!Object.hasOwn(schema, section)) return undefined;
  return Object.hasOwn(schema[section], key) ? schema[section][key] : undefined;
}

function setValue(cfg: Config, section: string, key: string, value: unknown): void {
  const target = (
    section === "" ? cfg : (cfg as unknown as Record<string, Record<string, unknown>>)[section]
  ) as Record<string, unknown>;
  target[key] = value;
}

/** A value as it appears in an error message. The TOML parser builds prototype-less objects,
 *  which String() cannot print, and JSON.stringify cannot print a bigint. */
function shown(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "string") return JSON.stringify(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return "an array";
  if (value !== null && typeof value === "object") return "a table";
  return String(value);
}

/** Checks and converts one value; `where` names its origin for the error message. */
function coerce(spec: KeySpec, value: unknown, where: string): string | boolean | number {
  switch (spec.kind) {
    case "bool":
      if (typeof value === "boolean") return value;
      if (value === "true" || value === "false") return value === "true";
      throw new ConfigError(`${where}: expected true or false, got ${shown(value)}`);
    case "int":
      if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
      if (typeof value === "bigint" && value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER))
        return Number(value);
      if (typeof value === "string" && /^\d+$/.test(value)) return Number(value);
      throw new ConfigError(`${where}: expected a non-negative integer, got ${shown(value)}`);
    case "duration":
      if (typeof value !== "string") {
        throw new ConfigError(`${where}: expected a duration string such as "1s", got ${shown(value)}`);
      }
      try {
        return parseDuration(value);
      } catch (err) {
        throw new ConfigError(`${where}: ${(err as Error).message}`);
      }
    case "address": {
      if (typeof value !== "string")
        throw new ConfigError(`${where}: expected "host:port", got ${shown(value)}`);
      let port: number;
      try {
        port = splitHostPort(value).port;
      } catch (err) {
        throw new ConfigError(`${where}: ${(err as Error).message}`);
      }
      // Every address is advertised to peers and clients: a kernel-picked port cannot be.
      if (port === 0)
        throw new ConfigError(`${where}: port 0 is not allowed in "${value}" (peers must know the port)`);
      return value;
    }
    case "string":
      if (typeof value !== "string")
        throw new ConfigError(`${where}: expected a string, got ${shown(value)}`);
      return value;
  }
}

/** Finds the line of `key` inside `[section]` of a TOML text, for error messages. */
function lineOf(text: string, section: string, key: string): number | undefined {
  let current = "";
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    const header = /^\[\s*([^\]\s]+)\s*\]/.exec(line);
    if (header) current = header[1];
    else if (
      current === section &&
      new RegExp(`^"?${key.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&")}"?\\s*=`).test(line)
    )
      return i + 1;
  }
  return undefined;
}

/** Applies a TOML document over `cfg`. `file` is only used in messages. */
export function applyToml(cfg: Config, text: string, file: string): void {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) {
      const first = err.message.split("\n")[0];
      throw new ConfigError(`${file}:${err.line}:${err.column}: ${first}`);
    }
    throw new ConfigError(`${file}: ${(err as Error).message}`);
  }
  const where = (section: string, key: string): string => {
    const line = lineOf(text, section, key);
    const name = section ? `[${section}] ${key}` : key;
    return `${file}${line ? `:${line}` : ""}: ${name}`;
  };
  for (const [name, value] of Object.entries(doc)) {
    const isSection =
      value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Date);
    if (isSection) {
      if (!(SECTIONS as string[]).includes(name)) {
        const line =
          lineOf(text, "", `[${name}]`) ??
          text.split("\n").findIndex((l) => l.trim().startsWith(`[${name}]`)) + 1;
        throw new ConfigError(`${file}${line ? `:${line}` : ""}: unknown section [${name}]`);
      }
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        const spec = keySpec(name, key);
        if (!spec) throw new ConfigError(`${where(name, key)}: unknown key`);
        setValue(cfg, name, key, coerce(spec, v, where(name, key)));
      }
    } else {
      const spec = keySpec("", name);
      if (!spec) throw new ConfigError(`${where("", name)}: unknown key`);
      setValue(cfg, "", name, coerce(spec, value, where("", name)));
    }
  }
}

/** `INFLUXDB_META_HTTP_BIND_ADDRESS` for ("meta", "http-bind-address"); top level: `INFLUXDB_HOSTNAME`. */
export function envName(section: string, key: string): string {
  return ["INFLUXDB", section, key].filter(Boolean).join("_").toUpperCase().replace(/-/g, "_");
}

/** Applies `INFLUXDB_*` variables that name a known key; others are left alone (other tools use the prefix too). */
export function applyEnv(cfg: Config, env: NodeJS.ProcessEnv): void {
  for (const section of ["", ...SECTIONS]) {
    for (const [key, spec] of Object.entries((SCHEMA as Record<string, Record<string, KeySpec>>)[section])) {
      const name = envName(section, key);
      const value = env[name];
      if (value !== undefined) setValue(cfg, section, key, coerce(spec, value, `environment ${name}`));
    }
  }
}

/** Cross-field rules (as hashicorp/raft's ValidateConfig) and path expansion. */
export function finalize(cfg: Config): Config {
  const m = cfg.meta;
  if (m.dir.trim() === "") throw new ConfigError("[meta] dir: must be specified");
  if (m.dir.startsWith("~/") || m.dir === "~") m.dir = homedir() + m.dir.slice(1);
  for (const key of [
    "election-timeout",
    "heartbeat-timeout",
    "leader-lease-timeout",
    "commit-timeout",
  ] as const) {
    if (m[key] < 5)
      throw new ConfigError(`[meta] ${key}: must be at least 5ms, got ${formatDuration(m[key])}`);
  }
  if (m["leader-lease-timeout"] > m["heartbeat-timeout"]) {
    throw new ConfigError("[meta] leader-lease-timeout: must not exceed heartbeat-timeout");
  }
  if (m["commit-timeout"] * 2 > m["election-timeout"]) {
    throw new ConfigError("[meta] commit-timeout: must be at most half of election-timeout");
  }
  // Go's minimum; a zero period would spin the gossip timer.
  if (m["gossip-frequency"] < 250) {
    throw new ConfigError(
      `[meta] gossip-frequency: must be at least 250ms, got ${formatDuration(m["gossip-frequency"])}`,
    );
  }
  for (const key of ["lease-duration", "announcement-expiration"] as const) {
    if (m[key] <= 0) throw new ConfigError(`[meta] ${key}: must be greater than 0`);
  }
  if (m["https-enabled"] && (!m["https-certificate"] || !m["https-private-key"])) {
    throw new ConfigError("[meta] https-enabled: needs https-certificate and https-private-key");
  }
  if (cfg.admin_cluster["https-enabled"]) {
    const a = cfg.admin_cluster;
    if (
      !(a["https-certificate"] || m["https-certificate"]) ||
      !(a["https-private-key"] || m["https-private-key"])
    )
      throw new ConfigError(
        "[admin_cluster] https-enabled: needs https-certificate and https-private-key (its own or [meta]'s)",
      );
  }
  const secrets = readSecrets(cfg);
  if (m["auth-enabled"]) {
    if (!secrets.shared)
      throw new ConfigError("[meta] auth-enabled: needs shared-secret (or shared-secret-file)");
    if (!secrets.internal)
      throw new ConfigError(
        "[meta] auth-enabled: needs internal-shared-secret (or internal-shared-secret-file)",
      );
    if (secrets.shared === secrets.internal)
      throw new ConfigError(
        "[meta] internal-shared-secret: must differ from shared-secret, or an operator's token could act as a node",
      );
  }
  if (!["error", "warn", "info", "debug"].includes(cfg.logging.level)) {
    throw new ConfigError(
      `[logging] level: must be one of error, warn, info, debug, got "${cfg.logging.level}"`,
    );
  }
  if (cfg.hostname.trim() === "") throw new ConfigError("hostname: must not be empty");
  return cfg;
}

/** The two JWT secrets, each from its key or from its `-file` key (file content without the
 *  trailing newline). Errors name the key and the file; nothing is ever put in a message. */
export function readSecrets(cfg: Config): { shared: string; internal: string } {
  const read = (key: "shared-secret" | "internal-shared-secret"): string => {
    const inline = cfg.meta[key];
    const file = cfg.meta[`${key}-file`];
    if (inline === REDACTED) {
      throw new ConfigError(
        `[meta] ${key}: "${REDACTED}" is what influxd config prints in place of a secret; set the real secret or ${key}-file`,
      );
    }
    if (!file) return inline;
    if (inline) throw new ConfigError(`[meta] ${key}-file: set either ${key} or ${key}-file, not both`);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      throw new ConfigError(
        `[meta] ${key}-file: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
    const value = text.replace(/[\r\n]+$/, "");
    if (!value) throw new ConfigError(`[meta] ${key}-file: ${file} is empty`);
    return value;
  };
  return { shared: read("shared-secret"), internal: read("internal-shared-secret") };
}

export interface LoadOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Flag overrides, already parsed. */
  hostname?: string;
}

export function loadConfig(opts: LoadOptions): Config {
  const cfg = defaultConfig();
  if (opts.file) {
    let text: string;
    try {
      text = readFileSync(opts.file, "utf8");
    } catch (err) {
      throw new ConfigError(
        `${opts.file}: cannot read config file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
    applyToml(cfg, text, opts.file);
  }
  applyEnv(cfg, opts.env ?? {});
  if (opts.hostname !== undefined) cfg.hostname = opts.hostname;
  return finalize(cfg);
}

/** The full configuration as TOML, with each key's purpose; `influxd config` prints this. */
export function formatConfig(cfg: Config): string {
  const render = (spec: KeySpec, value: unknown): string => {
    if (spec.secret) return JSON.stringify(value === "" ? "" : REDACTED);
    if (spec.kind === "bool" || spec.kind === "int") return String(value);
    if (spec.kind === "duration") return JSON.stringify(formatDuration(value as number));
    // JSON escapes every control character TOML forbids in a basic string except DEL.
    return JSON.stringify(value).replace(/\x7f/g, "\\u007F");
  };
  const out: string[] = [];
  for (const [key, spec] of Object.entries(SCHEMA[""])) {
    out.push(`# ${spec.help}`, `${key} = ${render(spec, (cfg as unknown as Record<string, unknown>)[key])}`);
  }
  for (const section of SECTIONS) {
    out.push("", `[${section}]`);
    const values = cfg[section] as Record<string, unknown>;
    for (const [key, spec] of Object.entries(SCHEMA[section] as Record<string, KeySpec>)) {
      out.push(`  # ${spec.help}`, `  ${key} = ${render(spec, values[key])}`);
    }
  }
  return out.join("\n") + "\n";
}

/** Splits "host:port" / ":port" / "[::1]:port"; throws with the reason. */
export function splitHostPort(address: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(address);
  if (!m) throw new Error(`invalid address "${address}" (expected host:port)`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`invalid port in "${address}"`);
  return { host: m[1] ?? m[2] ?? "", port };
}

/** The address other nodes use to reach a bind address: an empty or wildcard host → `hostname`. */
export function advertised(bindAddress: string, hostname: string): string {
  const { host, port } = splitHostPort(bindAddress);
  const h = host === "" || host === "0.0.0.0" || host === "::" ? hostname : host;
  return h.includes(":") ? `[${h}]:${port}` : `${h}:${port}`;
}
