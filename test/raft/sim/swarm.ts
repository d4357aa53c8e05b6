/**
 * Swarm testing: every seed switches a random subset of fault kinds on (with random rates), so
 * across many seeds each fault is tested alone, in small combinations and all together — which
 * finds more bugs than always enabling everything (Groce et al., "Swarm Testing").
 */
import type { NetworkFaults } from "./network.ts";
import type { Rng } from "./rng.ts";

export interface SwarmConfig {
  nodes: number;
  drop: boolean;
  duplicate: boolean;
  reorder: boolean;
  longDelay: boolean;
  partitions: boolean;
  crashes: boolean;
  pauses: boolean;
  membership: boolean;
  slowDisk: boolean;
  /** I/O errors (EIO/ENOSPC) and crash points inside disk operations; nodes fail-stop. */
  diskFaults: boolean;
  clockDrift: boolean;
  /** Snapshot every few entries, so InstallSnapshot and compaction are exercised. */
  smallSnapshots: boolean;
}

export const FAULT_KINDS = [
  "drop",
  "duplicate",
  "reorder",
  "longDelay",
  "partitions",
  "crashes",
  "pauses",
  "membership",
  "slowDisk",
  "diskFaults",
  "clockDrift",
  "smallSnapshots",
] as const;

export function pickSwarm(rng: Rng): SwarmConfig {
  const on = () => rng.chance(0.5);
  return {
    nodes: rng.pick([3, 3, 5]),
    drop: on(),
    duplicate: on(),
    reorder: on(),
    longDelay: on(),
    partitions: on(),
    crashes: on(),
    pauses: on(),
    membership: on(),
    slowDisk: on(),
    diskFaults: on(),
    clockDrift: on(),
    smallSnapshots: on(),
  };
}

export function describeSwarm(s: SwarmConfig): string {
  const kinds = FAULT_KINDS.filter((k) => s[k]);
  return `${s.nodes} nodes; faults: ${kinds.length ? kinds.join(", ") : "none"}`;
}

export function networkFaults(s: SwarmConfig, rng: Rng): NetworkFaults {
  return {
    dropRate: s.drop ? 0.01 + rng.next() * 0.1 : 0,
    duplicateRate: s.duplicate ? 0.01 + rng.next() * 0.05 : 0,
    minLatency: 0.5,
    maxLatency: s.reorder ? 2 + rng.next() * 15 : 2,
    reorder: s.reorder,
    longDelayRate: s.longDelay ? 0.01 : 0,
    longDelayMax: s.longDelay ? 300 : 0,
  };
}
