// Wall time of influxd-ctl against a local three-node cluster, next to a bare `node -e 0` as the
// floor. Targets (issue 5): `influxd-ctl show` start-up within 2.5x of the bare node start;
// `influxd-ctl remove-meta -y` of a live node under 300 ms including process start.
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { LocalCluster } from "../src/demo/local-cluster.ts";
import { median } from "./lib/load.ts";
import { Report } from "./lib/results.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const BIN = resolve("bin/influx-cluster.js");

function wall(args: string[]): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: "utf8" });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`${args.join(" ")} failed: ${r.stderr}`);
  return ms;
}

function series(args: string[]): number[] {
  wall(args); // warm the file cache
  return Array.from({ length: RUNS }, () => wall(args));
}

const cluster = await LocalCluster.start({ size: 3, form: false });
let floor: number[], version: number[], show: number[];
const removals: number[] = [];
try {
  await cluster.form();
  floor = series(["-e", "0"]);
  version = series([BIN, "ctl", "version"]);
  const leader = await cluster.leaderIndex();
  const bind = ["-bind", cluster.nodes[leader].adminAddr];
  show = series([BIN, "ctl", ...bind, "show"]);
  // Remove a live follower, add it back, again and again.
  for (let i = 0; i < Math.min(RUNS, 8); i++) {
    const target = cluster.nodes[[0, 1, 2].find((j) => j !== leader)!];
    removals.push(wall([BIN, "ctl", ...bind, "remove-meta", "-y", target.httpAddr]));
    await cluster.admin(leader).addMeta(target.httpAddr);
    await cluster.waitFor("the node to be a voter again", async () => {
      const s = await cluster.admin(leader).show();
      return s.meta.length === 3 && s.meta.every((m) => m.suffrage === "voter");
    });
  }
} finally {
  await cluster.stop();
}
const rows = [
  { command: "node -e 0 (floor)", medianMs: median(floor).toFixed(1), ratio: "1.00" },
  {
    command: "influxd-ctl version",
    medianMs: median(version).toFixed(1),
    ratio: (median(version) / median(floor)).toFixed(2),
  },
  {
    command: "influxd-ctl show",
    medianMs: median(show).toFixed(1),
    ratio: (median(show) / median(floor)).toFixed(2),
  },
  {
    command: "influxd-ctl remove-meta -y (live node)",
    medianMs: median(removals).toFixed(1),
    ratio: (median(removals) / median(floor)).toFixed(2),
  },
];
const report = new Report("ctl", "influxd-ctl: wall time including process start");
report.table(`Median of ${RUNS} runs against a local three-node cluster`, rows);
const showRatio = median(show) / median(floor);
report.target(
  "influxd-ctl show start-up, relative to `node -e 0`",
  `${showRatio.toFixed(2)}x`,
  "<= 2.5x",
  showRatio <= 2.5,
);
report.target(
  "influxd-ctl remove-meta -y of a live node (median)",
  `${median(removals).toFixed(0)} ms`,
  "< 300 ms",
  median(removals) < 300,
);
report.save({ floorMs: floor, versionMs: version, showMs: show, removeMetaMs: removals });
