/** A three-member etcd cluster on loopback (Debian's etcd-server), for side-by-side figures. */

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "../../src/util/http-client.ts";

export function etcdAvailable(): boolean {
  return spawnSync("etcd", ["--version"], { stdio: "ignore" }).status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export class EtcdCluster {
  private constructor(
    readonly clientUrls: string[],
    private readonly procs: ChildProcess[],
    private readonly dir: string,
  ) {}

  static async start(size = 3): Promise<EtcdCluster> {
    const dir = mkdtempSync(join(tmpdir(), "etcd-bench-"));
    const ports = await Promise.all(Array.from({ length: size * 2 }, freePort));
    const names = Array.from({ length: size }, (_, i) => `e${i + 1}`);
    const peer = (i: number) => `http://127.0.0.1:${ports[2 * i + 1]}`;
    const client = (i: number) => `http://127.0.0.1:${ports[2 * i]}`;
    const initial = names.map((n, i) => `${n}=${peer(i)}`).join(",");
    const procs = names.map((name, i) =>
      spawn(
        "etcd",
        [
          "--name",
          name,
          "--data-dir",
          join(dir, name),
          "--listen-client-urls",
          client(i),
          "--advertise-client-urls",
          client(i),
          "--listen-peer-urls",
          peer(i),
          "--initial-advertise-peer-urls",
          peer(i),
          "--initial-cluster",
          initial,
          "--initial-cluster-state",
          "new",
          "--initial-cluster-token",
          "bench",
          "--log-level",
          "error",
        ],
        { stdio: "ignore" },
      ),
    );
    const cluster = new EtcdCluster(
      names.map((_, i) => client(i)),
      procs,
      dir,
    );
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if ((await cluster.leaderUrl().catch(() => null)) !== null) return cluster;
      await new Promise((r) => setTimeout(r, 100));
    }
    await cluster.stop();
    throw new Error("etcd cluster did not elect a leader");
  }

  /** The client URL of the current leader (POST /v3/maintenance/status on each member). */
  async leaderUrl(): Promise<string> {
    for (const url of this.clientUrls) {
      const res = await request(`${url}/v3/maintenance/status`, {
        method: "POST",
        body: Buffer.from("{}"),
        contentType: "application/json",
        timeoutMs: 1000,
      });
      const s = JSON.parse(res.body.toString()) as { header?: { member_id?: string }; leader?: string };
      if (s.leader && s.header?.member_id === s.leader) return url;
    }
    throw new Error("no etcd leader");
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.procs.map(
        (p) =>
          new Promise((resolve) =>
            p.exitCode !== null ? resolve(null) : (p.once("exit", resolve), p.kill("SIGKILL")),
          ),
      ),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}
