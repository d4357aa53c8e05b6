/**
 * Go `flag`-style command-line parsing: `-name value`, `-name=value`, `--name value`, boolean
 * flags without a value (`-force`, `-force=false`), and `--` to end flags. Go tools stop at the
 * first non-flag argument; so do we, which lets `influxd-ctl -bind x remove-meta -force a:8091`
 * parse global flags first and the command's own flags second. Node's util.parseArgs does not
 * accept single-dash long names, hence this small parser.
 */

import { formatDuration, parseDuration } from "./duration.ts";
import { closest } from "./suggest.ts";

export type FlagKind = "string" | "bool" | "duration";

export interface FlagSpec {
  kind: FlagKind;
  /** One-line description for the usage text. */
  help: string;
  /** Placeholder shown in usage, e.g. "host:port". */
  arg?: string;
  default?: string | boolean | number;
  /** Other spellings (e.g. "y" for "yes"); both single and double dash work for all names. */
  aliases?: string[];
}

export type FlagSpecs = Record<string, FlagSpec>;
export type FlagValues = Record<string, string | boolean | number | undefined>;

/** A mistake in the command line: the caller prints it with the usage and exits 2. */
export class UsageError extends Error {}

export interface Parsed {
  flags: FlagValues;
  /** Arguments after the flags (starting with the first non-flag). */
  rest: string[];
}

function parseValue(name: string, spec: FlagSpec, raw: string): string | boolean | number {
  if (spec.kind === "bool") {
    if (raw === "true" || raw === "1") return true;
    if (raw === "false" || raw === "0") return false;
    throw new UsageError(`invalid boolean value "${raw}" for flag -${name}`);
  }
  if (spec.kind === "duration") {
    try {
      return parseDuration(raw);
    } catch (err) {
      throw new UsageError(`invalid value "${raw}" for flag -${name}: ${(err as Error).message}`);
    }
  }
  return raw;
}

export function parseFlags(argv: readonly string[], specs: FlagSpecs): Parsed {
  const byName = new Map<string, [string, FlagSpec]>();
  for (const [name, spec] of Object.entries(specs)) {
    byName.set(name, [name, spec]);
    for (const alias of spec.aliases ?? []) byName.set(alias, [name, spec]);
  }
  const flags: FlagValues = {};
  for (const [name, spec] of Object.entries(specs)) flags[name] = spec.default;

  let i = 0;
  while (i < argv.length) {
    const arg = argv[i];
    if (arg === "--") {
      i++;
      break;
    }
    if (!arg.startsWith("-") || arg === "-") break;
    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const given = eq === -1 ? body : body.slice(0, eq);
    const found = byName.get(given);
    if (!found) {
      const near = closest(given, byName.keys());
      throw new UsageError(
        `flag provided but not defined: -${given}${near ? `; did you mean -${near}?` : ""}`,
      );
    }
    const [name, spec] = found;
    if (eq !== -1) {
      flags[name] = parseValue(name, spec, body.slice(eq + 1));
    } else if (spec.kind === "bool") {
      flags[name] = true;
    } else {
      if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: -${given}`);
      flags[name] = parseValue(name, spec, argv[++i]);
    }
    i++;
  }
  return { flags, rest: argv.slice(i) };
}

/**
 * Flags anywhere among the arguments (`remove-meta node3:8091 -y`), as users expect and Go's
 * `flag` cannot: each stretch of flags is parsed, each non-flag is an argument, `--` ends flags.
 * Used for a command's own flags; global flags still stop at the command name.
 */
export function parseInterspersed(argv: readonly string[], specs: FlagSpecs): Parsed {
  const flags: FlagValues = {};
  for (const [name, spec] of Object.entries(specs)) flags[name] = spec.default;
  const rest: string[] = [];
  let left = [...argv];
  while (left.length) {
    const ended = left[0] === "--";
    const parsed = parseFlags(left, specs);
    // Only what this stretch set: defaults must not undo an earlier stretch.
    const consumed = left.length - parsed.rest.length;
    if (consumed > 0 && !ended) {
      const stretch = parseFlags(left.slice(0, consumed), withoutDefaults(specs));
      for (const [k, v] of Object.entries(stretch.flags)) if (v !== undefined) flags[k] = v;
    }
    if (ended || (consumed > 0 && left[consumed - 1] === "--")) {
      rest.push(...parsed.rest);
      break;
    }
    if (!parsed.rest.length) break;
    rest.push(parsed.rest[0]);
    left = parsed.rest.slice(1);
  }
  return { flags, rest };
}

function withoutDefaults(specs: FlagSpecs): FlagSpecs {
  return Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, { ...s, default: undefined }]));
}

/** Usage lines for the flags, Go style ("  -bind host:port\n    \tdescription (default ...)"). */
export function formatFlags(specs: FlagSpecs): string {
  const lines: string[] = [];
  for (const [name, spec] of Object.entries(specs)) {
    const names = [name, ...(spec.aliases ?? [])].map((n) => `-${n}`).join(", ");
    const arg =
      spec.kind === "bool" ? "" : ` ${spec.arg ?? (spec.kind === "duration" ? "duration" : "string")}`;
    let help = spec.help;
    if (spec.default !== undefined && spec.default !== false && spec.default !== "") {
      const shown = spec.kind === "duration" ? formatDuration(spec.default as number) : String(spec.default);
      help += ` (default ${shown})`;
    }
    lines.push(`  ${names}${arg}\n        ${help}`);
  }
  return lines.join("\n");
}
