/**
 * Runs a range of simulation seeds and prints one JSON line per seed (used by scripts/soak.mjs,
 * which spreads ranges over several processes). Env: SIM_FIRST_SEED, SIM_SEEDS.
 */
import { runSimulation, SimFailure } from "./run.ts";

const first = Number(process.env.SIM_FIRST_SEED ?? 1);
const count = Number(process.env.SIM_SEEDS ?? 100);
if (!Number.isSafeInteger(first) || !Number.isSafeInteger(count) || count < 0) {
  console.error(`bad SIM_FIRST_SEED/SIM_SEEDS: ${process.env.SIM_FIRST_SEED}/${process.env.SIM_SEEDS}`);
  process.exit(2);
}
for (let seed = first; seed < first + count; seed++) {
  try {
    const r = await runSimulation({ seed });
    console.log(JSON.stringify({ seed, ok: true, events: r.events, ops: r.historyLength }));
  } catch (err) {
    const message = err instanceof SimFailure || err instanceof Error ? err.message : String(err);
    console.log(JSON.stringify({ seed, ok: false, message }));
  }
}
