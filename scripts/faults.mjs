// `npm run test:faults`: the full fault-injection suite against real influxd processes (network
// partitions and slow links inside a private network namespace, kill -9, SIGSTOP, membership
// changes; see test/faults/cli.ts for the options). SEED=<n> replays one seed.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", join(root, "test/faults/cli.ts"), ...process.argv.slice(2)],
  { stdio: "inherit", cwd: root },
);
process.exit(result.status ?? 1);
