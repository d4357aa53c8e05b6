// The bounded fault-injection run inside `npm test`: one seeded scenario on three real influxd
// processes. With root and the namespace tools it runs in a private network namespace with the
// network faults (isolate the leader, mute the leader, a one-way cut, a minority partition, a
// slow lossy link) as well as kill -9, SIGSTOP and a membership change; without them it says so
// and runs the faults that need no firewall. `npm run test:faults` runs the long suite (and
// fails instead of falling back).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { netnsSupport } from "./netns.ts";
import { runScenario } from "./suite.ts";

// A fixed schedule in npm test (timing still varies run to run); `npm run test:faults` explores
// random seeds, and SEED=<n> picks one here too.
const seed = process.env.SEED !== undefined ? Number(process.env.SEED) : 20261126;

/** Runs the CLI (which moves itself into a new network namespace), streaming its output. */
function runNamespaced(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "test/faults/cli.ts", "--profile", "quick", "--seed", String(seed)],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    const forward = (chunk: Buffer) => {
      output += chunk.toString();
      process.stderr.write(chunk);
    };
    child.stdout.on("data", forward);
    child.stderr.on("data", forward);
    child.on("close", (code) => resolve({ code, output }));
  });
}

test(
  "faults (bounded): acknowledged writes survive, history linearizable, cluster heals",
  { timeout: 170_000 },
  async () => {
    const support = netnsSupport();
    if (support.ok) {
      console.error(`fault mode: network + process faults in a private network namespace (seed ${seed})`);
      const { code, output } = await runNamespaced();
      assert.equal(
        code,
        0,
        `fault run failed (replay: SEED=${seed} FAULTS_PROFILE=quick npm run test:faults)\n${output}`,
      );
      assert.match(output, /all 1 run\(s\) passed/);
      return;
    }
    console.error(
      `fault mode: process faults only (kill -9, SIGSTOP, membership): no network faults because ${support.reason} (seed ${seed})`,
    );
    const result = await runScenario({
      seed,
      profile: "quick",
      network: false,
      log: (l) => console.error(`  ${l}`),
    });
    assert.ok(
      result.ok,
      `${result.summary}\n${result.problems.join("\n")}\nevidence: ${result.artifacts}\n` +
        `replay: SEED=${seed} FAULTS_PROFILE=quick npm run test:faults -- --process-only`,
    );
  },
);
