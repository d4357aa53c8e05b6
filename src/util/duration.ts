/**
 * Go-style durations ("1s", "500ms", "1m30s", "2h"), the format InfluxDB configs and flags use.
 * Values are milliseconds (fractions allowed, e.g. "1.5ms" or "250us").
 */

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;

/** Parses a Go duration; throws an Error naming the bad text. "0" alone is allowed, as in Go. */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (s === "0") return 0;
  if (s === "") throw new Error(`invalid duration "${text}"`);
  let pos = 0;
  let total = 0;
  PART.lastIndex = 0;
  while (pos < s.length) {
    PART.lastIndex = pos;
    const m = PART.exec(s);
    if (!m) throw new Error(`invalid duration "${text}" (expected e.g. 500ms, 1s, 1m30s)`);
    total += Number(m[1]) * UNIT_MS[m[2]];
    pos = PART.lastIndex;
  }
  return total;
}

/** Formats milliseconds the way Go prints a time.Duration ("1s", "500ms", "1m30s"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < 1) return `${+(ms * 1000).toFixed(3)}µs`;
  if (ms < 1000) return `${+ms.toFixed(3)}ms`;
  let rest = ms;
  let out = "";
  const hours = Math.floor(rest / 3_600_000);
  if (hours) {
    out += `${hours}h`;
    rest -= hours * 3_600_000;
  }
  const minutes = Math.floor(rest / 60_000);
  if (hours || minutes) {
    out += `${minutes}m`;
    rest -= minutes * 60_000;
  }
  return `${out}${+(rest / 1000).toFixed(3)}s`;
}
