import { VERSION } from "../version.ts";

const HELP = `influx-cluster ${VERSION}: the live cluster view arrives with the terminal UI.

Usage:
  influx-cluster [-bind host:8084] [-interval 2s] [-read-only] [-no-color] [-profile NAME]`;

export async function main(argv: string[]): Promise<number> {
  const asked = argv.length === 0 || ["-h", "--help", "help"].includes(argv[0]);
  (asked ? process.stdout : process.stderr).write(HELP + "\n");
  return asked ? 0 : 2;
}
