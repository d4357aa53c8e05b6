import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";

/** Writes bench/results/<name>.json with the machine and the figures. */
export function saveResults(name: string, figures: unknown): void {
  mkdirSync("bench/results", { recursive: true });
  const machine = {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
  writeFileSync(
    `bench/results/${name}.json`,
    JSON.stringify({ name, date: new Date().toISOString(), machine, figures }, null, 2) + "\n",
  );
}
