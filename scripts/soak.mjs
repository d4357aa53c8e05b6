#!/usr/bin/env node
/**
 * Long soak of the deterministic Raft simulation: many seeds spread over worker processes.
 *
 *   node scripts/soak.mjs [--seeds 100000] [--from 1] [--jobs <cpus>]
 *
 * Prints progress, then every failing seed with its reason and the command that replays it.
 * Exit status 1 when any seed failed.
 */
import { spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import { createInterface } from "node:readline";
import { setInterval, clearInterval } from "node:timers";
import { fileURLToPath } from "node:url";

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(v) || v < 0) {
    console.error(`--${name} needs a non-negative integer, got ${process.argv[i + 1]}`);
    process.exit(2);
  }
  return v;
}

const seeds = option("seeds", 100_000);
const from = option("from", 1);
const jobs = Math.max(1, option("jobs", availableParallelism()));
const worker = fileURLToPath(new URL("../test/raft/sim/soak-worker.ts", import.meta.url));
const root = fileURLToPath(new URL("..", import.meta.url));

// Small chunks keep all workers busy to the end and bound the loss if one dies.
const chunk = Math.max(1, Math.min(500, Math.ceil(seeds / (jobs * 8))));
const ranges = [];
for (let s = from; s < from + seeds; s += chunk) ranges.push([s, Math.min(chunk, from + seeds - s)]);

let done = 0;
const failures = [];
const started = Date.now();

function runRange([first, count]) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", worker], {
      cwd: root,
      env: { ...process.env, SIM_FIRST_SEED: String(first), SIM_SEEDS: String(count) },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const seen = new Set();
    createInterface({ input: child.stdout }).on("line", (line) => {
      let r;
      try {
        r = JSON.parse(line);
      } catch {
        return; // stray output from the code under test
      }
      seen.add(r.seed);
      done++;
      if (!r.ok) {
        failures.push(r);
        console.log(`\nFAIL seed ${r.seed}: ${r.message.split("\n")[0]}`);
      }
    });
    child.on("close", (code) => {
      for (let s = first; s < first + count; s++)
        if (!seen.has(s))
          failures.push({ seed: s, message: `worker exited (${code}) before finishing this seed` });
      resolve();
    });
  });
}

// A live status line on a terminal; a plain line every 30 s in a log file.
const tty = process.stdout.isTTY;
const progress = setInterval(
  () => {
    const rate = done / ((Date.now() - started) / 1000);
    const line = `${done}/${seeds} seeds, ${failures.length} failed, ${rate.toFixed(1)} seeds/s`;
    if (tty) process.stdout.write(`\r${line}   `);
    else console.log(line);
  },
  tty ? 2000 : 30_000,
);

const queue = [...ranges];
await Promise.all(
  Array.from({ length: Math.min(jobs, queue.length) }, async () => {
    while (queue.length > 0) await runRange(queue.shift());
  }),
);
clearInterval(progress);

console.log(`\n${done} seeds in ${((Date.now() - started) / 1000).toFixed(0)} s, ${failures.length} failed`);
for (const f of failures.sort((a, b) => a.seed - b.seed)) {
  console.log(`\n=== seed ${f.seed}\n${f.message}`);
}
process.exit(failures.length > 0 ? 1 : 0);
