// Loaded by scripts/test.mjs into every test process: property tests run with a fixed seed, so
// `npm test` (and CI) is reproducible. FUZZ_SEED=<n> picks another seed; FUZZ_SEED=random lets
// fast-check choose (it prints the seed of any failure, which FUZZ_SEED=<n> then replays).
import fc from "fast-check";

const chosen = process.env.FUZZ_SEED;
if (chosen !== "random") fc.configureGlobal({ seed: chosen ? Number(chosen) : 20261126 });
