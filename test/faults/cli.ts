/**
 * Runs fault-injection scenarios from the command line (`npm run test:faults` → scripts/faults.mjs
 * → here). With network faults (the default) it re-executes itself inside a private network
 * namespace first; without the tooling for that it fails and says what is missing.
 *
 *   --profile full|quick   full: 3 or 5 nodes and 12–20 faults per run (default; FAULTS_PROFILE)
 *   --runs N               scenarios to run, seeds derived from the first (default 3; FAULTS_RUNS)
 *   --seed N               first seed (default: SEED, else random); one run when given
 *   --process-only         no network faults (kill -9, SIGSTOP, membership only)
 *
 * Exit code 0 when every scenario passed.
 */

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { inNewNetns, inPrivateNetns, netnsSupport, NETNS_MARKER } from "./netns.ts";
import { runScenario, type Profile } from "./suite.ts";

const { values } = parseArgs({
  options: {
    profile: { type: "string", default: process.env.FAULTS_PROFILE ?? "full" },
    runs: { type: "string", default: process.env.FAULTS_RUNS },
    seed: { type: "string", default: process.env.SEED },
    "process-only": { type: "boolean", default: false },
  },
});

function fail(message: string): never {
  console.error(`fault suite: ${message}`);
  process.exit(2);
}

const profile = values.profile as Profile;
if (profile !== "full" && profile !== "quick")
  fail(`--profile must be full or quick, not ${JSON.stringify(values.profile)}`);
if (values.seed !== undefined && !/^\d+$/.test(values.seed))
  fail(`the seed must be a non-negative integer, not ${JSON.stringify(values.seed)}`);
if (values.runs !== undefined && !/^[1-9]\d*$/.test(values.runs))
  fail(`--runs must be a positive integer, not ${JSON.stringify(values.runs)}`);
const network = !values["process-only"];

function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}

// Fixed here so a parent process can print them even if its namespaced child dies early.
const firstSeed = values.seed !== undefined ? Number(values.seed) : randomSeed();
const runs = values.runs !== undefined ? Number(values.runs) : values.seed !== undefined ? 1 : 3;

if (network && !inPrivateNetns()) {
  if (process.env[NETNS_MARKER] !== undefined)
    fail("started as the namespaced child, but not in a namespace of its own");
  const support = netnsSupport();
  if (!support.ok) {
    fail(
      `cannot run the network faults: ${support.reason}.\n` +
        "Run as root on Linux with util-linux, iproute2 and iptables installed, or pass --process-only.",
    );
  }
  const self = fileURLToPath(import.meta.url);
  const argv = [
    process.execPath,
    "--import",
    "tsx",
    self,
    "--profile",
    profile,
    "--seed",
    String(firstSeed),
    "--runs",
    String(runs),
  ];
  const { command, args, env } = inNewNetns(argv);
  const child = spawnSync(command, args, { stdio: "inherit", env });
  if (child.status === null)
    console.error(
      `fault suite: the namespaced run died (${child.signal ?? child.error?.message}); seed ${firstSeed}`,
    );
  process.exit(child.status ?? 1);
}

const replay = (seed: number) =>
  `SEED=${seed}${profile === "quick" ? " FAULTS_PROFILE=quick" : ""} npm run test:faults${network ? "" : " -- --process-only"}`;

console.log(
  `fault suite: ${runs} run(s), profile ${profile}, mode: ${network ? "network + process faults (private network namespace)" : "process faults only (kill -9, SIGSTOP, membership)"}`,
);
let failed = 0;
for (let r = 0; r < runs; r++) {
  const seed = (firstSeed + r * 7919) % 2 ** 31;
  const started = Date.now();
  const result = await runScenario({ seed, profile, network, log: (line) => console.log(`  ${line}`) });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (result.ok) {
    console.log(`ok   ${result.summary} (${secs}s)`);
    continue;
  }
  failed++;
  console.log(`FAIL ${result.summary} (${secs}s)`);
  for (const p of result.problems) console.log(`  - ${p}`);
  console.log(`  evidence (history, schedule, fault log, node logs): ${result.artifacts}`);
  console.log(`  replay: ${replay(seed)}`);
}
console.log(
  failed === 0 ? `fault suite: all ${runs} run(s) passed` : `fault suite: ${failed} of ${runs} run(s) failed`,
);
process.exit(failed === 0 ? 0 : 1);
