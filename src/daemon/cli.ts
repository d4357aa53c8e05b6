/** `influxd`: run a node, print the default configuration, or the version. */

import { VERSION } from "../version.ts";
import { formatFlags, parseFlags, UsageError, type FlagSpecs } from "../util/flags.ts";
import { ConfigError, defaultConfig, formatConfig, loadConfig } from "./config.ts";

const RUN_FLAGS: FlagSpecs = {
  config: { kind: "string", arg: "FILE", help: "TOML configuration file" },
  hostname: { kind: "string", arg: "HOST", help: "advertised host name (overrides the config)" },
  join: {
    kind: "string",
    arg: "HOST:PORT[,HOST:PORT…]",
    help: "join the cluster through any listed meta node",
  },
};

const HELP = `influxd ${VERSION}: the node daemon (meta service on 8091, Raft on 8089, admin service on 8084).

Usage:
  influxd [run] [-config FILE] [-hostname HOST] [-join HOST:PORT[,…]]
  influxd config [-config FILE]     print the full configuration (defaults merged with FILE and env) as TOML
  influxd version

Flags:
${formatFlags(RUN_FLAGS)}

Configuration precedence: defaults < FILE < INFLUXDB_<SECTION>_<KEY> environment < flags.

Examples:
  influxd config > influxdb-meta.conf
  influxd -config influxdb-meta.conf
  INFLUXDB_META_DIR=/var/lib/influxdb/meta influxd -hostname node2 -join node1:8091
  influxd-ctl -bind node1:8084 add-meta node1:8091    # bootstraps a fresh node on itself`;

export async function main(argv: string[]): Promise<number> {
  let args = argv;
  let sub = "run";
  if (args[0] !== undefined && !args[0].startsWith("-")) {
    sub = args[0];
    args = args.slice(1);
  }
  if (sub === "version") {
    process.stdout.write(`influxd ${VERSION} (influx-cluster, node ${process.version})\n`);
    return 0;
  }
  if (sub !== "run" && sub !== "config") {
    process.stderr.write(`influxd: unknown command "${sub}"\n\n${HELP}\n`);
    return 2;
  }
  if (args.includes("-h") || args.includes("--help") || args.includes("-help")) {
    process.stdout.write(HELP + "\n");
    return 0;
  }
  let flags;
  try {
    let rest: string[];
    ({ flags, rest } = parseFlags(args, RUN_FLAGS));
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`influxd: ${err.message}\n\n${HELP}\n`);
      return 2;
    }
    throw err;
  }
  let config;
  try {
    config =
      sub === "config" && !flags.config
        ? defaultConfig()
        : loadConfig({
            file: flags.config as string | undefined,
            env: process.env,
            hostname: flags.hostname as string | undefined,
          });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`influxd: config: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  if (sub === "config") {
    process.stdout.write(formatConfig(config));
    return 0;
  }
  const { runDaemon } = await import("./daemon.ts");
  return runDaemon(config, { join: flags.join ? String(flags.join).split(",").filter(Boolean) : [] });
}
