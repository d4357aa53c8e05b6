/**
 * The one executable behind every bin name. It dispatches on the name it was invoked as
 * (influxd, influxd-ctl, influxd_ctl) or on its first word, and imports only the command it
 * runs, so `influxd-ctl` and `influxd` never load React or Ink.
 */

import { basename } from "node:path";
import { closest } from "./util/suggest.ts";
import { VERSION } from "./version.ts";

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  influxd: async () => (await import("./daemon/cli.ts")).main,
  ctl: async () => (await import("./ctl/cli.ts")).main,
  tui: async () => (await import("./tui/cli.ts")).main,
  demo: async () => (await import("./demo/demo.ts")).main,
  // TUI settings: `influx-cluster config path|show`.
  config: async () => {
    const { main } = await import("./tui/cli.ts");
    return (argv) => main(["config", ...argv]);
  },
};
const ALIASES: Record<string, string> = { "influxd-ctl": "ctl", influxd_ctl: "ctl" };

const HELP = `influx-cluster ${VERSION}: run and manage an InfluxDB-style meta cluster from a terminal.

Usage:
  influx-cluster [tui flags]        open the live cluster view (same as: influx-cluster tui)
  influx-cluster demo               start a local 3-node cluster and open the view on it
  influx-cluster influxd [...]      run a node daemon            (also installed as: influxd)
  influx-cluster ctl [...]          operator commands            (also: influxd-ctl, influxd_ctl)
  influx-cluster config path|show   where the TUI's settings and profiles live, and what they hold
  influx-cluster version            print the version

Examples:
  npx influx-cluster -bind node1:8084
  npx -p influx-cluster influxd -config /etc/influxdb/influxdb-meta.conf
  npx -p influx-cluster influxd-ctl show

Run any command with -h for its flags.`;

export async function run(argv0: string, args: string[]): Promise<number> {
  const invokedAs = basename(argv0).replace(/\.(c|m)?js$/, "");
  // Own properties only: a word like "constructor" must not find Object.prototype's.
  const alias = (word: string) => (Object.hasOwn(ALIASES, word) ? ALIASES[word] : word);
  const known = (word: string) => Object.hasOwn(COMMANDS, word);
  let name = alias(invokedAs);
  let rest = args;
  if (!known(name)) {
    const first = args[0];
    if (first === "version" || first === "-version" || first === "--version") {
      process.stdout.write(`influx-cluster ${VERSION}\n`);
      return 0;
    }
    if (first === "help" || first === "-h" || first === "--help") {
      process.stdout.write(HELP + "\n");
      return 0;
    }
    if (first !== undefined && !first.startsWith("-")) {
      name = alias(first);
      rest = args.slice(1);
      if (!known(name)) {
        // One line and a suggestion; 64 as every usage error of influx-cluster (its 0-3 are health).
        const near = closest(first, [...Object.keys(COMMANDS), "version", "help"]);
        process.stderr.write(
          `influx-cluster: unknown command "${first}"${near ? `; did you mean "${near}"?` : ""} (see 'influx-cluster help')\n`,
        );
        return 64;
      }
    } else {
      name = "tui";
    }
  }
  const command = await COMMANDS[name]();
  return command(rest);
}
