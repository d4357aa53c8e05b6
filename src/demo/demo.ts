/**
 * `influx-cluster demo` (`npm start`): starts three real influxd processes on free loopback ports
 * in a temporary directory, forms the cluster, adds three demo data nodes running in this process
 * (./data-node.ts: the data node's cluster RPC, generated points, no storage engine), opens the
 * live view on it, and stops the nodes and deletes the directory on every way out. Without a
 * terminal it prints the table once instead.
 * With -secure the nodes run as a secured cluster does (JWT authentication, HTTPS, mutual TLS on
 * Raft) and the view connects the way an operator's would: through the CA and secret files; it
 * starts no data nodes (the demo data node speaks neither TLS nor the meta tier's auth).
 */

import { startDemoCluster, type DemoCluster } from "./demo-cluster.ts";
import type { LocalCluster } from "./local-cluster.ts";
import { demoSession, nodeList } from "./session.ts";
import { formatFlags, parseFlags, UsageError, type FlagSpecs } from "../util/flags.ts";
import { adminPoolFor, loadAccess } from "../tui/access.ts";
import { loadInteractive, printOnce } from "../tui/cli.ts";
import { defaultLogFile } from "../tui/log.ts";
import type { Connection } from "../tui/settings.ts";
import { chooseTheme } from "../tui/theme.ts";
import { EXIT } from "../tui/exit-codes.ts";

const FLAGS: FlagSpecs = {
  size: { kind: "string", arg: "n", help: "number of meta nodes (1 to 7)", default: "3" },
  data: {
    kind: "string",
    arg: "n",
    help: "number of demo data nodes in this process (0 to 5; none with -secure)",
    default: "3",
  },
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

export async function main(argv: string[]): Promise<number> {
  let size: number;
  let dataCount: number;
  let flags: Record<string, unknown>;
  try {
    if (["-h", "--help", "help"].includes(argv[0] ?? "")) {
      process.stdout.write(
        `influx-cluster demo: a local cluster of real influxd processes (meta nodes) and demo data nodes in this process, live.\n\nFlags:\n${formatFlags(FLAGS)}\n`,
      );
      return 0;
    }
    const parsed = parseFlags(argv, FLAGS);
    if (parsed.rest.length) throw new UsageError(`unexpected argument "${parsed.rest[0]}"`);
    flags = parsed.flags;
    size = Number(flags.size);
    if (!Number.isInteger(size) || size < 1 || size > 7)
      throw new UsageError(`-size must be 1 to 7, got "${flags.size}"`);
    dataCount = Number(flags.data);
    if (!/^\d+$/.test(String(flags.data)) || dataCount > 5)
      throw new UsageError(`-data must be 0 to 5, got "${flags.data}"`);
  } catch (err) {
    process.stderr.write(`influx-cluster demo: ${(err as Error).message}\n`);
    return EXIT.usage;
  }

  const secure = flags.secure === true;
  const dataNodes = secure ? 0 : dataCount;
  process.stderr.write(
    `influx-cluster demo: starting ${size} influxd processes${dataNodes ? ` and ${dataNodes} data nodes` : ""} on loopback${secure ? " (no data nodes with -secure)" : ""}…\n`,
  );
  // Ctrl-C while the nodes start aborts the start-up at once: the nodes started so far are
  // stopped and their directory removed before the demo exits.
  const aborter = new AbortController();
  const onSignal = () => aborter.abort();
  for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(s, onSignal);
  let demo: DemoCluster;
  try {
    demo = await startDemoCluster({ size, dataNodes, secure, signal: aborter.signal });
  } catch (err) {
    if (aborter.signal.aborted) {
      process.stderr.write("influx-cluster demo: interrupted; the nodes were stopped\n");
      return 130;
    }
    process.stderr.write(`influx-cluster demo: could not start the cluster: ${(err as Error).message}\n`);
    return 1;
  } finally {
    for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.removeListener(s, onSignal);
  }

  const { cluster } = demo;
  const connection = connectionTo(cluster);
  const access = loadAccess(connection);
  // Every node's admin service: the view moves to the next one when the one it uses goes away.
  const binds = cluster.nodes.map((n) => n.adminAddr);
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    try {
      return await printOnce(binds, access, 2000, false);
    } finally {
      await demo.stop();
    }
  }
  const session = demoSession(cluster, demo.dataNodes);
  const { runInteractive } = await loadInteractive();
  return runInteractive({
    admin: adminPoolFor(binds, 5000, access),
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
    notice: `demo cluster: ${nodeList(cluster)}${demo.dataNodes.length > 0 ? `, ${demo.dataNodes.length} data nodes (Tab)` : ""}; kill one to see it go DOWN, R restarts it (? shows this again)`,
    session: {
      ...session,
      notes: () => [
        ...session.notes(),
        ...(connection.jwt ? [`Shared secret in ${connection.jwt.secretFile}`] : []),
      ],
    },
    onExit: async () => {
      process.stderr.write("influx-cluster demo: stopping the nodes and removing their directory…\n");
      await demo.stop();
    },
  });
}
