/**
 * `influx-cluster [flags]` / `influx-cluster tui [flags]`: the live cluster view. Without a
 * terminal on both stdin and stdout it prints the node table once and exits, so it can be piped.
 * `influx-cluster tui config path|show` tells where the settings live and what they hold.
 */

import { AdminClient } from "../admin/client.ts";
import { formatFlags, parseFlags, UsageError, type FlagSpecs } from "../util/flags.ts";
import { VERSION } from "../version.ts";
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
    help: "admin service to ask for the node list (default localhost:8084)",
  },
  interval: { kind: "duration", help: "time between polls (default 2s)" },
  timeout: { kind: "duration", help: "deadline of each poll request (default: the interval, at most 2s)" },
  "read-only": { kind: "bool", help: "disable removals (also a setting and a per-profile setting)" },
  "no-color": { kind: "bool", help: "no colours (also NO_COLOR=1 or TERM=dumb)", default: false },
  profile: { kind: "string", arg: "NAME", help: "use a cluster profile from the settings" },
  "log-file": { kind: "string", arg: "path", help: `log file (default ${defaultLogFile()})` },
};

function usage(): string {
  return `influx-cluster ${VERSION}: live view of an influx-cluster; select a meta node and remove it safely.

Usage:
  influx-cluster [flags]            open the live view (no terminal: print the table once)
  influx-cluster tui config path    print where the settings file is
  influx-cluster tui config show    print the settings (passwords hidden)

Examples:
  influx-cluster -bind node1:8084
  influx-cluster -profile prod -read-only
  influx-cluster -bind node1:8084 | cat          (one table, no colours)

Flags:
${formatFlags(FLAGS)}

Settings: ${openSettings().path} (profiles: name → bind, auth fields, readOnly, interval).
Keys: ↑/↓ j/k select, d remove, r refresh, / filter, ? help, q quit.`;
}

function configCommand(args: string[]): number {
  const settings = openSettings();
  if (args[0] === "path" && args.length === 1) {
    process.stdout.write(settings.path + "\n");
    return 0;
  }
  if (args[0] === "show" && args.length === 1) {
    const store = structuredClone(settings.store);
    for (const p of Object.values(store.profiles)) {
      if (p.password) p.password = "********";
      if (p.sharedSecret) p.sharedSecret = "********";
    }
    process.stdout.write(JSON.stringify(store, null, 2) + "\n");
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
      `  term ${snapshot.term ?? "-"}`,
    ...(snapshot.adminError ? [`admin: ${snapshot.adminError}`] : []),
    ...plainTable(snapshot.rows),
  ];
  return lines.join("\n") + "\n";
}

function pollTimeout(flags: Record<string, unknown>, intervalMs: number): number {
  return (flags.timeout as number | undefined) ?? Math.min(Math.max(intervalMs, 250), 2000);
}

function adminClient(resolved: Resolved, timeoutMs: number): AdminClient {
  // /show pings every node itself (2 s by default), so its deadline is longer than a node poll's.
  return new AdminClient({ bind: resolved.bind, timeoutMs: Math.max(5000, timeoutMs * 2) });
}

async function printOnce(resolved: Resolved, timeoutMs: number): Promise<number> {
  const poller = new ClusterPoller({
    admin: adminClient(resolved, timeoutMs),
    timeoutMs,
    onSnapshot: () => undefined,
  });
  try {
    const snapshot = await poller.pollOnce();
    if (snapshot.rows.length === 0 && snapshot.adminError) {
      process.stderr.write(`influx-cluster: admin service ${resolved.bind}: ${snapshot.adminError}\n`);
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
      intervalMs: flags.interval as number | undefined,
      readOnly: flags["read-only"] as boolean | undefined,
      profile: flags.profile as string | undefined,
    });
  } catch (err) {
    process.stderr.write(`influx-cluster: ${(err as Error).message}\n`);
    if (err instanceof UsageError) process.stderr.write(`\nFlags:\n${formatFlags(FLAGS)}\n`);
    return 2;
  }
  const timeoutMs = pollTimeout(flags, resolved.intervalMs);
  if (!process.stdout.isTTY || !process.stdin.isTTY) return printOnce(resolved, timeoutMs);

  const { runInteractive } = await loadInteractive();
  return runInteractive({
    admin: adminClient(resolved, timeoutMs),
    resolved,
    timeoutMs,
    theme: chooseTheme({ noColorFlag: flags["no-color"] === true, env: process.env }),
    logFile: (flags["log-file"] as string | undefined) ?? defaultLogFile(),
  });
}
