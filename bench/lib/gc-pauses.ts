/**
 * Garbage collections of benchmarked influxd processes, set against request latencies: which
 * share of the slowest requests met a collection, and how often each node collects per commit.
 * The nodes log their collections through gc-observer.mjs, which the benchmark preloads.
 */

import { readFileSync } from "node:fs";
import { constants, performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { median } from "./load.ts";

/** Node flags that make an influxd log its collections (see gc-observer.mjs). */
export const GC_OBSERVER_ARGS = ["--import", fileURLToPath(new URL("./gc-observer.mjs", import.meta.url))];

/** Both in epoch milliseconds, comparable across processes on one machine. */
export interface Interval {
  start: number;
  ms: number;
}

export interface GcPause extends Interval {
  /** A young-generation collection (scavenge). */
  minor: boolean;
}

/** The epoch time now, in the same clock as the nodes' collections. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

export function readGcPauses(logFile: string): GcPause[] {
  const pauses: GcPause[] = [];
  for (const line of readFileSync(logFile, "utf8").split("\n")) {
    const m = /^gc (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\d+)$/.exec(line);
    if (m)
      pauses.push({
        start: Number(m[1]),
        ms: Number(m[2]),
        minor: Number(m[3]) === constants.NODE_PERFORMANCE_GC_MINOR,
      });
  }
  return pauses;
}

const overlaps = (a: Interval, b: Interval) => a.start < b.start + b.ms && b.start < a.start + a.ms;

/** One row per node: its collections while `samples` ran, per 1000 of them. */
export function gcRows(nodes: { name: string; pauses: GcPause[] }[], samples: Interval[]) {
  const from = Math.min(...samples.map((s) => s.start));
  const to = Math.max(...samples.map((s) => s.start + s.ms));
  const per1000 = (n: number) => +((n / samples.length) * 1000).toFixed(1);
  return nodes.map(({ name, pauses }) => {
    const during = pauses.filter((p) => p.start >= from && p.start <= to);
    const minor = during.filter((p) => p.minor).map((p) => p.ms);
    return {
      node: name,
      scavengesPer1000: per1000(minor.length),
      scavengeMsPer1000: per1000(minor.reduce((a, b) => a + b, 0)),
      medianScavengeMs: minor.length ? +median(minor).toFixed(2) : 0,
      maxScavengeMs: +Math.max(0, ...minor).toFixed(2),
      otherCollections: during.length - minor.length,
    };
  });
}

/** How many of the slowest `fraction` of samples overlapped a collection of each node. */
export function slowestMeetingGc(
  nodes: { name: string; pauses: GcPause[] }[],
  samples: Interval[],
  fraction = 0.01,
): { slowest: number; byNode: Record<string, number>; any: number } {
  const slow = [...samples]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, Math.max(1, Math.ceil(samples.length * fraction)));
  const byNode: Record<string, number> = {};
  for (const n of nodes) byNode[n.name] = slow.filter((s) => n.pauses.some((p) => overlaps(s, p))).length;
  const any = slow.filter((s) => nodes.some((n) => n.pauses.some((p) => overlaps(s, p)))).length;
  return { slowest: slow.length, byNode, any };
}
