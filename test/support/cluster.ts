/** Helpers for tests against real `influxd` processes (LocalCluster) and the real executable. */

import { execFile, spawn } from "node:child_process";
import { resolve } from "node:path";
import { MetaClient } from "../../src/meta/client.ts";
import type { StatusJson } from "../../src/meta/service.ts";
import { requestJson } from "../../src/util/http-client.ts";
import type { LocalCluster } from "../../src/demo/local-cluster.ts";

export const BIN = resolve("bin/influx-cluster.js");

/** Starts `influxd …` with its output captured; `exited` resolves to the exit code. */
export function spawnInfluxd(args: string[]) {
  const child = spawn(process.execPath, [BIN, "influxd", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  let stdout = "";
  child.stderr.on("data", (d) => (stderr += d));
  child.stdout.on("data", (d) => (stdout += d));
  const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? -1)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `influxd-ctl …` (the built executable) without a terminal. */
export function ctl(args: string[], input?: string): Promise<CliResult> {
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      [BIN, "ctl", ...args],
      { encoding: "utf8", timeout: 30_000 },
      (err, stdout, stderr) =>
        done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input ?? "");
  });
}

export function status(httpAddr: string): Promise<StatusJson> {
  return requestJson<StatusJson>(`http://${httpAddr}/status`, { timeoutMs: 2_000 });
}

export function metaClient(cluster: LocalCluster, indexes?: number[]): MetaClient {
  const nodes = (indexes ?? cluster.nodes.map((_, i) => i))
    .filter((i) => cluster.isRunning(i))
    .map((i) => cluster.nodes[i].httpAddr);
  return new MetaClient({ servers: nodes, timeoutMs: 5_000, retryDelayMs: 100 });
}

/** Creates `n` databases named prefix-0… through `client`; returns the names acknowledged. */
export async function createDatabases(client: MetaClient, prefix: string, n: number): Promise<string[]> {
  const done: string[] = [];
  for (let i = 0; i < n; i++) {
    await client.execute({ type: "CreateDatabaseCommand", name: `${prefix}-${i}` });
    done.push(`${prefix}-${i}`);
  }
  return done;
}
