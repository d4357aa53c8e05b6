/**
 * What a benchmark reports: the tables it prints and the targets it checks, saved as
 * bench/results/<name>.json with the machine, so `npm run bench` can render BENCHMARKS.md.
 */

import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { printTable } from "./load.ts";

export type Row = Record<string, string | number>;

export interface Target {
  metric: string;
  value: string;
  target: string;
  met: boolean;
}

export function machine() {
  return {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

export class Report {
  private readonly tables: { title: string; rows: Row[] }[] = [];
  private readonly targets: Target[] = [];
  private readonly notes: string[] = [];

  constructor(
    readonly name: string,
    readonly title: string,
  ) {}

  table(title: string, rows: Row[]): void {
    printTable(title, rows);
    this.tables.push({ title, rows });
  }

  note(text: string): void {
    console.log(`\n${text}`);
    this.notes.push(text);
  }

  target(metric: string, value: string, target: string, met: boolean): void {
    console.log(`${met ? "MET   " : "MISSED"} ${metric}: ${value} (target ${target})`);
    this.targets.push({ metric, value, target, met });
  }

  save(raw: unknown): void {
    mkdirSync("bench/results", { recursive: true });
    const body = {
      name: this.name,
      title: this.title,
      date: new Date().toISOString(),
      machine: machine(),
      targets: this.targets,
      tables: this.tables,
      notes: this.notes,
      raw,
    };
    writeFileSync(`bench/results/${this.name}.json`, JSON.stringify(body, null, 2) + "\n");
  }
}
