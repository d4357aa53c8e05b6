// `npm run bench`: runs every bench/*.bench.ts (or those whose name contains an argument) one
// after another, each writing bench/results/<name>.json, then renders BENCHMARKS.md. Benchmarks are not tests: they print
// figures and compare them with the targets, they do not fail on them.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";

const filters = process.argv.slice(2);
const files = readdirSync("bench")
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
// The multi-process benchmarks run the built executable: build first, so they measure this source.
const build = spawnSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" });
if (build.status !== 0) process.exit(1);
let failed = 0;
for (const file of files) {
  console.log(`\n=== bench/${file}`);
  // As the executable runs (bin/influx-cluster.js sets it): in-process parts such as the TUI's
  // frame times then load React's production build, as users get it, unless NODE_ENV says otherwise.
  const r = spawnSync(process.execPath, ["--import", "tsx", `bench/${file}`], {
    stdio: "inherit",
    env: { ...process.env, NODE_ENV: process.env.NODE_ENV ?? "production" },
  });
  if (r.status !== 0) {
    failed++;
    console.error(`bench/${file} exited with ${r.status}`);
  }
}
spawnSync(process.execPath, ["scripts/benchmarks-md.mjs"], { stdio: "inherit" });
process.exit(failed ? 1 : 0);
