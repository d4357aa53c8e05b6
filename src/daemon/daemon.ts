import type { Config } from "./config.ts";

/** Starts the node. The meta and admin services arrive with their own issues (#4, #5). */
export async function runDaemon(_config: Config, _opts: { join: string[] }): Promise<number> {
  process.stderr.write("influxd: run: the meta service is not part of this build yet; see `influxd -h`\n");
  return 1;
}
