/**
 * `influx-cluster demo` (`npm start`): starts three real influxd processes on free loopback ports
 * in a temporary directory, forms the cluster, opens the live view on it, and stops the nodes and
 * deletes the directory on every way out. Without a terminal it prints the table once instead.
 * With -secure the nodes run as a secured cluster does (JWT authentication, HTTPS, mutual TLS on
 * Raft) and the view connects the way an operator's would: through the CA and secret files.
 */

import { startLocalCluster, type LocalCluster } from "../daemon/local-cluster.ts";
import { formatFlags, parseFlags, UsageError, type FlagSpecs } from "../util/flags.ts";
import type { PeerAccess } from "../util/http-client.ts";
import { adminClientFor, loadAccess } from "./access.ts";
import { loadInteractive, plainReport } from "./cli.ts";
import { defaultLogFile } from "./log.ts";
import { ClusterPoller } from "./poller.ts";
import type { Connection } from "./settings.ts";
import { chooseTheme } from "./theme.ts";

const FLAGS: FlagSpecs = {
  size: { kind: "string", arg: "n", help: "number of meta nodes (1 to 7)", default: "3" },
  interval: { kind: "duration", help: "time between polls", default: 1000 },
  "no-color": { kind: "bool", help: "no colours (also NO_COLOR=1 or TERM=dumb)", default: false },
  secure: {
    kind: "bool",
    help: "[meta] auth-enabled and HTTPS, with secrets and a CA in the cluster dir",
    default: false,
  },
};

/** What `influx-cluster -bind-tls -ca-file … -secret-file …` would resolve to for this cluster. */
function connectionTo(cluster: LocalCluster): Connection {
  const { caFile, sharedSecretFile } = cluster.security;
  return {
    tls: caFile ? { insecure: false, caFile } : null,
    jwt: sharedSecretFile ? { user: "demo", secretFile: sharedSecretFile } : null,
  };
}

async function printOnce(cluster: LocalCluster, access: PeerAccess): Promise<number> {
  const poller = new ClusterPoller({
    admin: adminClientFor(cluster.nodes[0].adminAddr, 5000, access),
    access,
    timeoutMs: 2000,
    onSnapshot: () => undefined,
  });
  try {
    process.stdout.write(plainReport(await poller.pollOnce()));
    return 0;
  } finally {
    await poller.stop();
  }
}

export async function main(argv: string[]): Promise<number> {
  let size: number;
  let flags: Record<string, unknown>;
  try {
    if (["-h", "--help", "help"].includes(argv[0] ?? "")) {
      process.stdout.write(
        `influx-cluster demo: a local cluster of real influxd processes, live.\n\nFlags:\n${formatFlags(FLAGS)}\n`,
      );
      return 0;
    }
    const parsed = parseFlags(argv, FLAGS);
    if (parsed.rest.length) throw new UsageError(`unexpected argument "${parsed.rest[0]}"`);
    flags = parsed.flags;
    size = Number(flags.size);
    if (!Number.isInteger(size) || size < 1 || size > 7)
      throw new UsageError(`-size must be 1 to 7, got "${flags.size}"`);
  } catch (err) {
    process.stderr.write(`influx-cluster demo: ${(err as Error).message}\n`);
    return 2;
  }

  process.stderr.write(`influx-cluster demo: starting ${size} influxd processes on loopback…\n`);
  // A signal while the nodes start must still stop them: remember it and stop once start-up ends.
  let interrupted: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => (interrupted = signal);
  for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(s, onSignal);
  let cluster: LocalCluster;
  try {
    const secure = flags.secure === true;
    cluster = await startLocalCluster({ size, auth: secure, tls: secure });
  } catch (err) {
    process.stderr.write(`influx-cluster demo: could not start the cluster: ${(err as Error).message}\n`);
    return 1;
  } finally {
    for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.removeListener(s, onSignal);
  }
  if (interrupted) {
    await cluster.stop();
    return 130;
  }

  const connection = connectionTo(cluster);
  const access = loadAccess(connection);
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    try {
      return await printOnce(cluster, access);
    } finally {
      await cluster.stop();
    }
  }
  const pids = cluster.nodes.map((n) => `${n.name} ${n.pid}`).join(", ");
  const { runInteractive } = await loadInteractive();
  return runInteractive({
    admin: adminClientFor(cluster.nodes[0].adminAddr, 5000, access),
    access,
    resolved: {
      bind: cluster.nodes[0].adminAddr,
      api: "admin",
      connection,
      intervalMs: flags.interval as number,
      readOnly: null,
      profileName: "demo",
      profile: null,
    },
    timeoutMs: Math.min(flags.interval as number, 2000),
    theme: chooseTheme({ noColorFlag: flags["no-color"] === true, env: process.env }),
    logFile: defaultLogFile(),
    notice:
      `demo cluster in ${cluster.baseDir} (pids: ${pids}` +
      `${connection.jwt ? `; shared secret in ${connection.jwt.secretFile}` : ""}); kill one to see it go DOWN`,
    onExit: async () => {
      process.stderr.write("influx-cluster demo: stopping the nodes and removing their directory…\n");
      await cluster.stop();
    },
  });
}
