/**
 * A stand-in for the Go data node's meta client (`services/meta/client.go` of
 * chengshiwen/influxdb-cluster v1.8.11-c1.2.0), as ../shared/notes/interop-observed.md observes it:
 *
 * - `metaServers` is kept in `<dir>/client.json` (`{"MetaServers":[…]}`, written to a .tmp file
 *   and renamed); a restart (`open`) reads it back.
 * - One poll loop (`pollForUpdates`): each round starts at `metaServers[0]` and long-polls
 *   `GET /?index=<cached index>` there, with no timeout of its own; after an error it sleeps 1 s
 *   (`errSleep`) and moves to the next server of the list as it is then.
 * - Every snapshot it receives **replaces** the cache, whatever its index; then `metaServers` is
 *   set from that Data's `MetaNodes` and `client.json` saved, only when that list differs from
 *   the one in memory (or before the client was opened).
 * - `setMetaServers` (what JoinCluster calls) changes the list in memory only.
 * - `execute` sends the command to `metaServers[0]` (following 307s, moving on after errors, up
 *   to 10 tries) and then waits until its cache holds the returned index: a meta tier whose index
 *   is below the cached one makes it return at once, before it has seen its own change.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import {
  decodeData,
  decodeResponse,
  emptyData,
  encodeCommand,
  type MetaCommand,
  type MetaData,
} from "../../src/proto/index.ts";

const ERR_SLEEP_MS = 1_000;
const MAX_RETRIES = 10;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export class GoMetaClient {
  metaServers: string[] = [];
  cache: MetaData = emptyData();
  /** Every server a snapshot request went to, in order (what a test watches arrive). */
  readonly polled: string[] = [];
  /** How many times client.json was written. */
  saves = 0;
  private opened = false;
  private closed = false;
  private changed: Array<() => void> = [];
  private readonly inFlight = new Set<http.ClientRequest>();
  private loop: Promise<void> | null = null;

  constructor(
    private readonly dir: string,
    private readonly authorization?: () => string,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  get clientFile(): string {
    return join(this.dir, "client.json");
  }

  /** What client.json names now (null when there is none). */
  savedServers(): string[] | null {
    try {
      return (JSON.parse(readFileSync(this.clientFile, "utf8")) as { MetaServers: string[] }).MetaServers;
    } catch {
      return null;
    }
  }

  /** Client.Open: load client.json, read a first snapshot when it names servers, start polling. */
  async open(): Promise<void> {
    this.metaServers = this.savedServers() ?? [];
    if (this.metaServers.length > 0) {
      const data = await this.retryUntilSnapshot(0);
      if (data) this.cache = data;
      this.opened = true;
    }
    this.loop = this.pollForUpdates();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const r of this.inFlight) r.destroy();
    await this.loop;
  }

  setMetaServers(servers: string[]): void {
    this.metaServers = servers;
    if (servers.length === 0) this.opened = false;
  }

  private async pollForUpdates(): Promise<void> {
    for (;;) {
      const data = await this.retryUntilSnapshot(this.cache.index);
      if (!data) return;
      const before = this.cache.index;
      this.cache = data;
      this.updateMetaServers();
      if (before < data.index) {
        const waiting = this.changed;
        this.changed = [];
        for (const wake of waiting) wake();
      }
    }
  }

  private async retryUntilSnapshot(index: number): Promise<MetaData | null> {
    // client.go retryUntilSnapshot: `currentServer := 0` on every call, so each poll after a
    // snapshot goes to the first server of the list that snapshot set (migrate-meta's handover
    // relies on this); only an error moves it to the next one.
    let current = 0;
    for (;;) {
      if (this.closed) return null;
      if (this.metaServers.length === 0) {
        await sleep(ERR_SLEEP_MS);
        continue;
      }
      if (current >= this.metaServers.length) current = 0;
      const server = this.metaServers[current];
      this.polled.push(server);
      try {
        const res = await this.send("GET", server, `/?index=${index}`);
        if (res.status !== 200) throw new Error(`meta server returned non-200: ${res.status}`);
        return decodeData(res.body);
      } catch {
        if (this.closed) return null;
        await sleep(ERR_SLEEP_MS);
        current++;
      }
    }
  }

  private updateMetaServers(): void {
    const servers = this.cache.metaNodes.map((n) => n.addr);
    const same =
      servers.length === this.metaServers.length && servers.every((s, i) => s === this.metaServers[i]);
    if (!this.opened || !same) {
      this.metaServers = servers;
      this.save();
      this.opened = true;
    }
  }

  private save(): void {
    const tmp = this.clientFile + ".tmp";
    writeFileSync(tmp, JSON.stringify({ MetaServers: this.metaServers }) + "\n");
    renameSync(tmp, this.clientFile);
    this.saves++;
  }

  /** retryUntilExec: resolves once the cache holds the index the meta tier answered. */
  async execute(cmd: MetaCommand): Promise<number> {
    if (this.metaServers.length === 0) throw new Error("meta service unavailable");
    let current = 0;
    let redirect: string | null = null;
    let lastError: Error = new Error("meta service unavailable");
    for (let tries = 1; ; tries++) {
      if (this.closed) throw new Error("closed");
      let target: { server: string; path: string };
      if (redirect) {
        const u = new URL(redirect);
        target = { server: u.host, path: u.pathname + u.search };
        redirect = null;
      } else {
        if (current >= this.metaServers.length) current = 0;
        target = { server: this.metaServers[current], path: "/execute" };
      }
      current++;
      try {
        const res = await this.send("POST", target.server, target.path, encodeCommand(cmd));
        if (res.status === 307 && typeof res.headers.location === "string") {
          redirect = res.headers.location;
          continue;
        }
        if (res.status !== 200) throw new Error(`meta service returned ${res.status}`);
        const response = decodeResponse(res.body);
        // Go reads only Error and Index (its OK is always false).
        if (response.error) throw Object.assign(new Error(response.error), { command: true });
        const index = response.index ?? 0;
        await this.waitForIndex(index);
        return index;
      } catch (err) {
        if ((err as { command?: boolean }).command) throw err;
        lastError = err as Error;
        if (tries > MAX_RETRIES) throw lastError;
        await sleep(ERR_SLEEP_MS);
      }
    }
  }

  /** Waits, as Go does, with no deadline: callers in tests bound it themselves. */
  waitForIndex(index: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.cache.index >= index || this.closed) resolve();
        else this.changed.push(check);
      };
      check();
    });
  }

  /** GET /status on metaServers[0] (what JoinCluster checks for a leader). */
  async status(): Promise<{ leader: string }> {
    const res = await this.send("GET", this.metaServers[0], "/status");
    if (res.status !== 200) throw new Error(`meta service returned ${res.status}`);
    return JSON.parse(res.body.toString("utf8")) as { leader: string };
  }

  /**
   * One HTTP request with no deadline (Go's meta client sets none); closing aborts it. A GET
   * follows redirects as Go's net/http Client does (up to 10; pkg/httputil's CheckRedirect signs
   * each redirected request again): migrate-meta -rollback's hand-back relies on it. POSTs take
   * the client's own 307 branch (execute), as Go's exec does with errRedirect.
   */
  private async send(method: string, server: string, path: string, body?: Uint8Array): Promise<Answer> {
    let url = `http://${server}${path}`;
    for (let hops = 0; ; hops++) {
      const res = await this.sendOnce(method, url, body);
      const location = res.headers.location;
      if (method !== "GET" || ![301, 302, 303, 307, 308].includes(res.status) || typeof location !== "string")
        return res;
      if (hops >= 10) throw new Error("stopped after 10 redirects");
      url = new URL(location, url).toString();
    }
  }

  private sendOnce(method: string, url: string, body?: Uint8Array): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = {};
      if (this.authorization) headers.authorization = this.authorization();
      if (body) headers["content-type"] = "application/octet-stream";
      const req = http.request(url, { method, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on("error", reject);
      });
      this.inFlight.add(req);
      req.on("close", () => this.inFlight.delete(req));
      req.on("error", reject);
      req.end(body);
    });
  }
}
