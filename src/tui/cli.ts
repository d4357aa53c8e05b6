/**
 * `influx-cluster [flags]` / `influx-cluster tui [flags]`: the live cluster view. Without a
 * terminal on both stdin and stdout it prints the node table once and exits, so it can be piped.
 * `influx-cluster tui config path|show` tells where the settings live and what they hold.
 */

import { clientFor, connect, withDefaultPort } from "../cluster-api/detect.ts";
import type { ClusterApi } from "../cluster-api/types.ts";
import { formatFlags, parseFlags, UsageError, type FlagSpecs } from "../util/flags.ts";
import { UnreachableError, type PeerAccess } from "../util/http-client.ts";
import { VERSION } from "../version.ts";
import { AccessError, accessHint, loadAccess } from "./access.ts";
import { defaultLogFile } from "./log.ts";
import { quorumHealth, type ClusterSnapshot } from "./model.ts";
import { ClusterPoller } from "./poller.ts";
import { openSettings, resolveSettings, type Resolved } from "./settings.ts";
import { plainTable } from "./table-format.ts";
import { chooseTheme } from "./theme.ts";

const FLAGS: FlagSpecs = {
  bind: {
    kind: "string",
    arg: "host:port",
    help: "admin service (8084) or meta node API (8091) to ask for the node list (default localhost:8084)",
  },
  api: {
    kind: "string",
    arg: "auto|admin|meta",
    help: "which API -bind is (default: detected; also a per-profile setting)",
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
  influx-cluster tui config path    print where the settings file is
  influx-cluster tui config show    print the settings (they hold no secrets)

Examples:
  influx-cluster -bind node1:8084
  influx-cluster -bind meta1:8091                (any InfluxDB Enterprise-compatible cluster)
  influx-cluster -profile prod -read-only
  influx-cluster -bind node1:8084 | cat          (one table, no colours)
  influx-cluster -bind node1:8084 -bind-tls -ca-file /etc/influxdb/ca.pem \\
      -secret-file /etc/influxdb/shared-secret   (auth-enabled cluster over HTTPS)

Flags:
${formatFlags(FLAGS)}

Flags override the profile. A secret is never given on the command line nor stored in the
settings: -secret-file (or a profile's secretFile) names a file holding it (mode 0600), read
once at start; each request carries a fresh token signed with it, valid 60 s.

Settings: ${settingsPath()}
  profiles: name → bind, api, bindTls, insecure, caFile, authType, user, secretFile, readOnly, interval.
Keys: ↑/↓ j/k select, d remove, r refresh, / filter, ? help, q quit.`;
}

function configCommand(args: string[]): number {
  let settings;
  try {
    settings = openSettings();
  } catch (err) {
    process.stderr.write(`influx-cluster: ${(err as Error).message}\n`);
    return 2;
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
  return 2;
}

/** The header line and the table, as plain text. */
export function plainReport(snapshot: ClusterSnapshot): string {
  const health = quorumHealth(snapshot.votersUp, snapshot.votersTotal);
  const lines = [
    `leader ${snapshot.leaderHttp ?? "NONE"}  ${snapshot.votersUp}/${snapshot.votersTotal} voters up` +
      (health === "at-risk" ? " - quorum at risk" : health === "lost" ? " - NO QUORUM" : "") +
      `  term ${snapshot.term ?? "-"}` +
      (snapshot.raftUnreported ? " (- = not reported by these nodes)" : ""),
    ...(snapshot.adminError ? [`admin: ${snapshot.adminError}`] : []),
    ...plainTable(snapshot.rows),
  ];
  return lines.join("\n") + "\n";
}

function pollTimeout(flags: Record<string, unknown>, intervalMs: number): number {
  return (flags.timeout as number | undefined) ?? Math.min(Math.max(intervalMs, 250), 2000);
}

/** /show pings every node itself (2 s by default), so its deadline is longer than a node poll's. */
function adminTimeout(timeoutMs: number): number {
  return Math.max(5000, timeoutMs * 2);
}

/**
 * The client for the API behind -bind. When -api names it, a node that does not answer yet gets
 * the view anyway (it shows the node down until it answers); detection needs an answer.
 */
async function connectApi(resolved: Resolved, access: PeerAccess, timeoutMs: number): Promise<ClusterApi> {
  try {
    return await connect({
      bind: resolved.bind,
      api: resolved.api,
      access,
      timeoutMs,
      onNote: (note) => process.stderr.write(`influx-cluster: ${note}\n`),
    });
  } catch (err) {
    if (!(err instanceof UnreachableError) || resolved.api === "auto") throw err;
    return clientFor(resolved.api, withDefaultPort(resolved.bind, resolved.api).bind, access, timeoutMs);
  }
}

async function printOnce(api: ClusterApi, access: PeerAccess, timeoutMs: number): Promise<number> {
  const poller = new ClusterPoller({
    admin: api,
    access,
    timeoutMs,
    onSnapshot: () => undefined,
  });
  try {
    const snapshot = await poller.pollOnce();
    if (snapshot.rows.length === 0 && snapshot.adminError) {
      const what = api.kind === "meta" ? "meta API" : "admin service";
      process.stderr.write(`influx-cluster: ${what} ${api.bind}: ${snapshot.adminError}\n`);
      return 1;
    }
    process.stdout.write(plainReport(snapshot));
    return 0;
  } finally {
    await poller.stop();
  }
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

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === "config") return configCommand(argv.slice(1));
  if (["-h", "--help", "-help", "help"].includes(argv[0] ?? "")) {
    process.stdout.write(usage() + "\n");
    return 0;
  }
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
    process.stderr.write(`influx-cluster: ${(err as Error).message}\n`);
    if (err instanceof UsageError) process.stderr.write(`\nFlags:\n${formatFlags(FLAGS)}\n`);
    return 2;
  }
  let access: PeerAccess;
  try {
    access = loadAccess(resolved.connection);
  } catch (err) {
    if (!(err instanceof AccessError)) throw err;
    process.stderr.write(`influx-cluster: ${err.message}\n`);
    return 1;
  }
  const timeoutMs = pollTimeout(flags, resolved.intervalMs);
  let api: ClusterApi;
  try {
    api = await connectApi(resolved, access, adminTimeout(timeoutMs));
  } catch (err) {
    const hint =
      accessHint(err, access) ||
      (err instanceof UnreachableError ? " (to open the view anyway, name the API: -api admin|meta)" : "");
    process.stderr.write(`influx-cluster: ${(err as Error).message}${hint}\n`);
    return 1;
  }
  if (!process.stdout.isTTY || !process.stdin.isTTY) return printOnce(api, access, timeoutMs);

  const { runInteractive } = await loadInteractive();
  return runInteractive({
    admin: api,
    access,
    resolved: { ...resolved, bind: api.bind },
    timeoutMs,
    theme: chooseTheme({ noColorFlag: flags["no-color"] === true, env: process.env }),
    logFile: (flags["log-file"] as string | undefined) ?? defaultLogFile(),
  });
}
