/**
 * CPU time and resident memory of another process, read from Linux's /proc the way `top` does:
 * utime+stime (fields 14 and 15 of /proc/<pid>/stat, in clock ticks) and VmRSS of
 * /proc/<pid>/status. Sampled over a window, that gives the share of one core the process used.
 */

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state), so utime (14) and stime (15) are at 11 and 12.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Resident set size, in MiB. */
export function rssMiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status (has the process exited?)`);
  return Number(match[1]) / 1024;
}

export interface UsageSample {
  /** Seconds since the window started. */
  at: number;
  cpuSeconds: number;
  rssMiB: number;
}

export interface Usage {
  seconds: number;
  /** CPU used over the whole window, in percent of one core. */
  cpuPercent: number;
  /** The busiest `stepMs` interval, in percent of one core. */
  peakCpuPercent: number;
  rssStartMiB: number;
  rssEndMiB: number;
  rssMaxMiB: number;
  samples: UsageSample[];
}

/** Samples `pid` every `stepMs` for `durationMs`. */
export async function sampleUsage(pid: number, durationMs: number, stepMs = 1000): Promise<Usage> {
  const t0 = performance.now();
  const cpu0 = cpuSeconds(pid);
  const samples: UsageSample[] = [{ at: 0, cpuSeconds: 0, rssMiB: rssMiB(pid) }];
  while (performance.now() - t0 < durationMs) {
    await new Promise((r) => setTimeout(r, stepMs));
    samples.push({
      at: (performance.now() - t0) / 1000,
      cpuSeconds: cpuSeconds(pid) - cpu0,
      rssMiB: rssMiB(pid),
    });
  }
  const last = samples[samples.length - 1];
  let peak = 0;
  for (let i = 1; i < samples.length; i++) {
    const cpu = samples[i].cpuSeconds - samples[i - 1].cpuSeconds;
    peak = Math.max(peak, (100 * cpu) / (samples[i].at - samples[i - 1].at));
  }
  const rss = samples.map((s) => s.rssMiB);
  return {
    seconds: last.at,
    cpuPercent: (100 * last.cpuSeconds) / last.at,
    peakCpuPercent: peak,
    rssStartMiB: rss[0],
    rssEndMiB: last.rssMiB,
    rssMaxMiB: Math.max(...rss),
    samples,
  };
}
