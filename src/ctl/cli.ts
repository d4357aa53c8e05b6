import { VERSION } from "../version.ts";

const HELP = `influxd-ctl ${VERSION}: operator commands for the cluster, sent to an admin service (-bind, default localhost:8084).

Usage:
  influxd-ctl [global flags] <command> [flags] [args]

The commands (show, add-meta, remove-meta, add-data, remove-data, update-data, leave, join)
arrive with the admin service.`;

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === "version" || argv[0] === "-version") {
    process.stdout.write(`influxd-ctl ${VERSION}\n`);
    return 0;
  }
  const asked = argv.length === 0 || ["-h", "--help", "help"].includes(argv[0]);
  (asked ? process.stdout : process.stderr).write(HELP + "\n");
  return asked ? 0 : 2;
}
