/** A closed-loop load generator: `concurrency` workers each issue one operation at a time for `durationMs`. */

export interface LoadResult {
  concurrency: number;
  ops: number;
  errors: number;
  seconds: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function runLoad(
  concurrency: number,
  durationMs: number,
  op: (worker: number, seq: number) => Promise<void>,
  /** Stop once this many operations were started (default: run for the whole duration). */
  maxOps = Infinity,
): Promise<LoadResult> {
  let issued = 0;
  const latencies: number[] = [];
  let errors = 0;
  let firstError: unknown;
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let seq = 0; performance.now() < deadline && issued++ < maxOps; seq++) {
        const t0 = performance.now();
        try {
          await op(worker, seq);
          latencies.push(performance.now() - t0);
        } catch (err) {
          errors++;
          firstError ??= err;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (errors > 0 && latencies.length === 0)
    throw new Error(`every operation failed: ${(firstError as Error).message}`);
  latencies.sort((a, b) => a - b);
  return {
    concurrency,
    ops: latencies.length,
    errors,
    seconds: +seconds.toFixed(2),
    opsPerSec: Math.round(latencies.length / seconds),
    p50Ms: +percentile(latencies, 50).toFixed(2),
    p99Ms: +percentile(latencies, 99).toFixed(2),
  };
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Prints a result table row-per-result. */
export function printTable(title: string, rows: Record<string, string | number>[]): void {
  console.log(`\n${title}`);
  if (rows.length === 0) return;
  const keys = Object.keys(rows[0]);
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => String(r[k]).length)));
  console.log(keys.map((k, i) => k.padEnd(widths[i])).join("  "));
  for (const r of rows) console.log(keys.map((k, i) => String(r[k]).padEnd(widths[i])).join("  "));
}
