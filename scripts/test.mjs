// Runs every test/**/*.test.ts(x) with Node's built-in runner through tsx. Node 20's --test
// takes no globs, so the files are listed here. Extra arguments narrow the set:
//   node scripts/test.mjs raft/storage      (paths containing that text)
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

function collect(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const path = join(dir, d.name);
    if (d.isDirectory()) return collect(path);
    return /\.test\.tsx?$/.test(d.name) ? [path] : [];
  });
}

const filters = process.argv.slice(2);
const files = collect("test")
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(" ")}`);
  process.exit(1);
}
const seed = "./test/support/fast-check-seed.mjs";
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--import", seed, "--test", "--test-reporter=spec", ...files],
  {
    stdio: "inherit",
  },
);
process.exit(result.status ?? 1);
