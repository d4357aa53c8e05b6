/**
 * `influx-cluster [flags]` / `influx-cluster tui [flags]`: the live cluster view. Without a
 * terminal on both stdin and stdout (or with -json) it prints the view's model once, as a table or
 * JSON, and exits with its verdict (report.ts), so it can be piped and scripted.
 * `influx-cluster tui config path|show` tells where the settings live and what they hold.
 */

import { detectAmong } from "../client/detect.ts";
import type { ApiKind } from "../client/cluster-api.ts";
import { formatFlags, parseFlags, UsageError, type FlagSpecs } from "../util/flags.ts";
import { UnreachableError, type PeerAccess } from "../util/http-client.ts";
import { VERSION } from "../version.ts";
import { AccessError, accessHint, adminBinds, adminPoolFor, loadAccess } from "./access.ts";
import { fetchHealth, healthDeadline } from "./data-ops.ts";
import { defaultLogFile } from "./log.ts";
import { verdict } from "./model.ts";
import type { AdminPool } from "./admin-pool.ts";
import { ClusterPoller } from "./poller.ts";
import { openSettings, resolveSettings, type Resolved } from "./settings.ts";
import { jsonReport, plainReport, unknownReport } from "./report.ts";
import { BundleWriteError, bundleText, checkBundlePath, collectBundle, writeBundle } from "./bundle.ts";
import { emptyTimeline, recordSnapshot } from "./timeline.ts";
import { diffSnapshots } from "./events.ts";
import type { ClusterSnapshot } from "./model.ts";
import { EXIT, exitTableText } from "./exit-codes.ts";
import { saveProfile } from "./save-profile.ts";
import { chooseTheme } from "./theme.ts";

const FLAGS: FlagSpecs = {
  bind: {
    kind: "string",
    arg: "host[:port],…",
    help: "admin service(s) (8084) or meta node API(s) (8091) to ask for the node list; a bare host gets the port of -api (8084 unless -api meta); with several, the next is used when one fails (default localhost:8084)",
  },
  api: {
    kind: "string",
    arg: "auto|admin|meta",
    help: "which API -bind is (default: detected from the first address that answers; also a per-profile setting)",
  },
  json: {
    kind: "bool",
    help: "print the view's model once as JSON and exit with its verdict (see Exit codes)",
  },
  interval: { kind: "duration", help: "time between polls (default 2s)" },
  timeout: { kind: "duration", help: "deadline of each poll request (default: the interval, at most 2s)" },
  "bind-tls": { kind: "bool", help: "talk HTTPS to the admin service and the meta nodes" },
  k: { kind: "bool", help: "skip certificate verification (with -bind-tls; test setups only)" },
  "ca-file": {
    kind: "string",
    arg: "FILE",
    help: "PEM CA the cluster's certificates chain to (with -bind-tls; default: the system's roots)",
  },
  "auth-type": {
    kind: "string",
    arg: "none|jwt",
    help: "authentication (default: jwt with -secret-file, else none)",
  },
  user: { kind: "string", arg: "name", help: "user name in the tokens (jwt; recorded, not checked)" },
  "secret-file": {
    kind: "string",
    arg: "FILE",
    help: "file holding the cluster's shared secret; read once at start, never printed",
  },
  "read-only": { kind: "bool", help: "disable removals (also a setting and a per-profile setting)" },
  "no-color": { kind: "bool", help: "no colours (also NO_COLOR=1 or TERM=dumb)", default: false },
  profile: { kind: "string", arg: "NAME", help: "use a cluster profile from the settings" },
  "log-file": { kind: "string", arg: "path", help: `log file (default ${defaultLogFile()})` },
  bundle: {
    kind: "string",
    arg: "FILE",
    help: "write the incident bundle to FILE from one poll (events, the -json model, show, each node's /status, the timeline; never a secret) and exit with the verdict, without opening the view",
  },
  overwrite: { kind: "bool", help: "with -bundle: replace FILE if it exists (default: refuse)" },
  "save-profile": {
    kind: "string",
    arg: "NAME",
    help: "save this command line's connection flags (-bind, -api, TLS, -user, -secret-file, -read-only, -interval) as profile NAME, then go on",
  },
};

/** Where the settings live, for the help text (which must print even when they are broken). */
function settingsPath(): string {
  try {
    return openSettings().path;
  } catch (err) {
    return `unreadable: ${(err as Error).message}`;
  }
}

function usage(): string {
  return `influx-cluster ${VERSION}: live view of an influx-cluster; select a meta node and remove it safely.

Usage:
  influx-cluster [flags]            open the live view (no terminal: print the table once)
  influx-cluster -json [flags]      print the view's model once as JSON
  influx-cluster -bundle FILE       write an incident bundle (one JSON file, no secrets) and exit
  influx-cluster tui config path    print where the settings file is
  influx-cluster tui config show    print the settings (they hold no secrets)

Examples:
  influx-cluster -bind node1:8084
  influx-cluster -bind meta1:8091                (any InfluxDB Enterprise-compatible cluster)
  influx-cluster -profile prod -read-only
  influx-cluster -bind node1:8084 | cat          (one table, no colours)
  influx-cluster -bind node1,node2 -json | jq .health
  influx-cluster -bind node1 >/dev/null || page-oncall   (exit code: see below)
  influx-cluster -bind node1:8084 -bind-tls -ca-file /etc/influxdb/ca.pem \\
      -secret-file /etc/influxdb/shared-secret   (auth-enabled cluster over HTTPS)

Flags:
${formatFlags(FLAGS)}

Flags override the profile. A secret is never given on the command line nor stored in the
settings: -secret-file (or a profile's secretFile) names a file holding it (mode 0600), read
once at start; each request carries a fresh token signed with it, valid 60 s.

Settings: ${settingsPath()}
  profiles: name → bind, api, bindTls, insecure, caFile, authType, user, secretFile, readOnly, interval.
Exit codes (without a terminal, with -json, and of the view; health states never share a code
with usage errors):
${exitTableText()}
With -json, stdout is always one JSON object, even when nothing answers ("health": "unknown").

Keys: ↑/↓ j/k select, Enter details, d remove, a add, s sort, c copy, e events, t timeline,
  Tab data tier, m what-if, u rolling restart, b incident bundle, r refresh, / filter,
  : commands, ? help (every key, from the same table the key bar shows), q quit.`;
}

function configCommand(args: string[]): number {
  let settings;
  try {
    settings = openSettings();
  } catch (err) {
    process.stderr.write(`influx-cluster: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
  if (args[0] === "path" && args.length === 1) {
    process.stdout.write(settings.path + "\n");
    return 0;
  }
  if (args[0] === "show" && args.length === 1) {
    // The schema admits no secret field (profiles name secret files), so the store prints as is.
    process.stdout.write(JSON.stringify(settings.store, null, 2) + "\n");
    return 0;
  }
  process.stderr.write(
    `influx-cluster: unknown config command "${args.join(" ")}" (use: config path, config show)\n`,
  );
  return EXIT.usage;
}

/** What the messages call the service behind -bind. */
const API_NAME: Record<ApiKind, string> = { admin: "admin service", meta: "meta API" };

function pollTimeout(flags: Record<string, unknown>, intervalMs: number): number {
  return (flags.timeout as number | undefined) ?? Math.min(Math.max(intervalMs, 250), 2000);
}

/** /show pings every node itself (2 s by default), so its deadline is longer than a node poll's. */
function adminTimeout(timeoutMs: number): number {
  return Math.max(5000, timeoutMs * 2);
}

/**
 * The data tier's health after a poll. Asked after the node list (the pool then uses the service
 * that answered it), and not at all when nothing answered: that would only add its deadline.
 */
async function dataTierAfter(snapshot: ClusterSnapshot, admin: AdminPool, timeoutMs: number) {
  return verdict(snapshot).exitCode === EXIT.unknown ? null : fetchHealth(admin, healthDeadline(timeoutMs));
}

/** One complete poll of the cluster, handed to `use` with the poller (its node list), then stopped. */
async function withOnePoll<T>(
  binds: string[],
  access: PeerAccess,
  timeoutMs: number,
  api: ApiKind,
  use: (snapshot: ClusterSnapshot, poller: ClusterPoller, admin: AdminPool) => Promise<T>,
): Promise<T> {
  const admin = adminPoolFor(binds, adminTimeout(timeoutMs), access, api);
  const poller = new ClusterPoller({ admin, access, timeoutMs, onSnapshot: () => undefined });
  try {
    return await use(await poller.pollOnce(), poller, admin);
  } finally {
    await poller.stop();
  }
}

/**
 * One poll, printed as a table or JSON; the exit code is the verdict. The demo prints the same
 * way, for its own cluster.
 */
export function printOnce(
  binds: string[],
  access: PeerAccess,
  timeoutMs: number,
  json: boolean,
  api: ApiKind = "admin",
): Promise<number> {
  return withOnePoll(binds, access, timeoutMs, api, async (snapshot, _poller, admin) => {
    const { exitCode } = verdict(snapshot);
    const data = await dataTierAfter(snapshot, admin, timeoutMs);
    if (json) process.stdout.write(jsonReport(snapshot, data));
    if (exitCode === EXIT.unknown) {
      process.stderr.write(`influx-cluster: ${API_NAME[api]} ${binds.join(", ")}: ${snapshot.adminError}\n`);
      return exitCode;
    }
    if (!json) process.stdout.write(plainReport(snapshot, data));
    return exitCode;
  });
}

/**
 * -bundle FILE: one poll, its bundle written to FILE; the exit code is the verdict (with -json the
 * model is printed too). A file that cannot be written throws BundleWriteError.
 */
async function bundleOnce(
  binds: string[],
  access: PeerAccess,
  timeoutMs: number,
  api: ApiKind,
  resolved: Resolved,
  file: { path: string; overwrite: boolean },
  json: boolean,
): Promise<number> {
  return withOnePoll(binds, access, timeoutMs, api, async (snapshot, poller, admin) => {
    const data = await dataTierAfter(snapshot, admin, timeoutMs);
    const bundle = await collectBundle({
      origin: "one poll",
      snapshot,
      dataHealth: data,
      events: diffSnapshots(null, snapshot),
      timeline: recordSnapshot(emptyTimeline(), snapshot),
      // The poll's own node list: asking again would wait out a dead admin service twice.
      show: async () => poller.lastShow ?? Promise.reject(new Error(snapshot.adminError ?? "no answer")),
      access,
      timeoutMs,
      bind: binds.join(","),
      api,
      profileName: resolved.profileName,
      profile: resolved.profile,
    });
    const { exitCode, health } = verdict(snapshot);
    const written = writeBundle(file.path, bundleText(bundle), file.overwrite);
    process.stderr.write(`influx-cluster: incident bundle written to ${written} (health: ${health})\n`);
    if (json) process.stdout.write(jsonReport(snapshot, data));
    return exitCode;
  });
}

/** Why the bundle was not written, in one line, and what to do when a file is in the way. */
function bundleFailureText(err: BundleWriteError): string {
  return `${err.message}${err.exists ? " (-overwrite replaces it)" : ""}`;
}

/**
 * Imports the Ink app. Ink decides at import time whether it runs in CI (CI, CONTINUOUS_INTEGRATION
 * or any CI_* variable set), and in CI it prints only the last frame at exit; chalk then also drops
 * colours. On a real terminal on both ends that is never what the operator wants, so those
 * markers are removed from this process's environment first.
 */
export async function loadInteractive(): Promise<typeof import("./interactive.tsx")> {
  for (const name of Object.keys(process.env)) {
    if (name === "CI" || name === "CONTINUOUS_INTEGRATION" || name.startsWith("CI_"))
      delete process.env[name];
  }
  return import("./interactive.tsx");
}

/** -json asked for anywhere on the line, even on a line that does not parse. */
function wantsJson(argv: string[]): boolean {
  return argv.some((a) => /^--?json(=true|=1)?$/.test(a));
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === "config") return configCommand(argv.slice(1));
  if (["-h", "--help", "-help", "help"].includes(argv[0] ?? "")) {
    process.stdout.write(usage() + "\n");
    return 0;
  }
  // With -json every way out prints one JSON object on stdout, so `| jq .health` always works.
  const json = wantsJson(argv);
  const fail = (code: number, message: string): number => {
    process.stderr.write(`influx-cluster: ${message}\n`);
    if (json) process.stdout.write(unknownReport(code, message));
    return code;
  };
  let resolved: Resolved;
  let flags: Record<string, unknown>;
  try {
    const parsed = parseFlags(argv, FLAGS);
    if (parsed.rest.length) throw new UsageError(`unexpected argument "${parsed.rest[0]}"`);
    flags = parsed.flags;
    resolved = resolveSettings(openSettings().store, {
      bind: flags.bind as string | undefined,
      api: flags.api as string | undefined,
      intervalMs: flags.interval as number | undefined,
      readOnly: flags["read-only"] as boolean | undefined,
      profile: flags.profile as string | undefined,
      bindTls: flags["bind-tls"] as boolean | undefined,
      insecure: flags.k as boolean | undefined,
      caFile: flags["ca-file"] as string | undefined,
      authType: flags["auth-type"] as string | undefined,
      user: flags.user as string | undefined,
      secretFile: flags["secret-file"] as string | undefined,
    });
  } catch (err) {
    // One line, with where the flags are listed: the whole help buried the mistake.
    const message = (err as Error).message;
    return fail(EXIT.usage, err instanceof UsageError ? `${message} (see 'influx-cluster -h')` : message);
  }
  const saveAs = flags["save-profile"] as string | undefined;
  if (saveAs !== undefined) {
    try {
      process.stderr.write(
        `influx-cluster: ${saveProfile(saveAs, resolved, flags.interval !== undefined)}\n`,
      );
    } catch (err) {
      return fail(EXIT.usage, (err as Error).message);
    }
  }
  let access: PeerAccess;
  let binds: string[];
  try {
    access = loadAccess(resolved.connection);
    binds = adminBinds(resolved.bind, resolved.api, (note) =>
      process.stderr.write(`influx-cluster: ${note}\n`),
    );
  } catch (err) {
    if (!(err instanceof AccessError)) throw err;
    return fail(EXIT.unknown, err.message);
  }
  const bundlePath = flags.bundle as string | undefined;
  const overwrite = flags.overwrite === true;
  if (bundlePath !== undefined) {
    // Before the cluster is asked anything: a path that cannot be written fails at once.
    try {
      checkBundlePath(bundlePath, overwrite);
    } catch (err) {
      if (!(err instanceof BundleWriteError)) throw err;
      return fail(EXIT.cantWrite, bundleFailureText(err));
    }
  } else if (overwrite) return fail(EXIT.usage, "-overwrite applies to -bundle FILE");
  const timeoutMs = pollTimeout(flags, resolved.intervalMs);
  const interactive =
    !json && bundlePath === undefined && process.stdout.isTTY === true && process.stdin.isTTY === true;
  let api: ApiKind;
  try {
    api = await detectAmong(binds, resolved.api, access, adminTimeout(timeoutMs));
  } catch (err) {
    // Nothing answers: the view still opens (it says it has no picture, and keeps asking), as
    // the admin service it would use; scripts get the verdict "unknown".
    // A bundle is written all the same: the admin service's error is what it holds.
    if (
      (interactive || bundlePath !== undefined) &&
      err instanceof UnreachableError &&
      !accessHint(err, access)
    )
      api = resolved.api === "meta" ? "meta" : "admin";
    else {
      const hint = accessHint(err, access);
      return fail(EXIT.unknown, `${(err as Error).message}${hint}`);
    }
  }
  if (bundlePath !== undefined) {
    try {
      return await bundleOnce(binds, access, timeoutMs, api, resolved, { path: bundlePath, overwrite }, json);
    } catch (err) {
      if (!(err instanceof BundleWriteError)) throw err;
      return fail(EXIT.cantWrite, bundleFailureText(err));
    }
  }
  if (!interactive) return printOnce(binds, access, timeoutMs, json, api);

  const { runInteractive } = await loadInteractive();
  return runInteractive({
    admin: adminPoolFor(binds, adminTimeout(timeoutMs), access, api),
    access,
    resolved,
    timeoutMs,
    theme: chooseTheme({ noColorFlag: flags["no-color"] === true, env: process.env }),
    logFile: (flags["log-file"] as string | undefined) ?? defaultLogFile(),
  });
}
