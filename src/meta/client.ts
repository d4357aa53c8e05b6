/**
 * Client of the meta service, used by the admin service, the CLI and the TUI. `execute` follows
 * Go's retryUntilExec: up to 10 tries, following 307 redirects to the leader, waiting and moving
 * to the next server when there is no leader or a node is unreachable, stopping at once on an FSM
 * error, and returning only once its cached Data has caught up with the applied index — so a read
 * right after a write sees it. Every request has a timeout.
 */

import {
  decodeData,
  decodeResponse,
  encodeCommand,
  type MetaCommand,
  type MetaData,
  type NodeInfo,
} from "../proto/index.ts";
import {
  errorCode,
  errorText,
  peerOptions,
  peerUrl,
  PLAIN_HTTP,
  request,
  requestFollowingRedirects,
  requestJson,
  UnreachableError,
  type HttpResponse,
  type PeerAccess,
} from "../util/http-client.ts";
import type { StatusJson } from "./service.ts";

export interface MetaClientOptions {
  /** HTTP addresses (host:port) of meta nodes to try, in order. */
  servers: string[];
  timeoutMs: number;
  /** First pause between tries when there is no leader or a node is unreachable; it doubles
   *  up to 1 s, so ten tries span a leader election (about 6 s in all). */
  retryDelayMs?: number;
  maxTries?: number;
  /** Scheme, TLS trust and credentials of the meta servers; plain HTTP without credentials by default. */
  access?: PeerAccess;
}

/** The FSM refused the command (e.g. "node not found"): retrying cannot help. `outcomeUnknown`
 *  as in MetaRequestError (the refusal may answer a retry of a command that was applied). */
export class MetaCommandError extends Error {
  constructor(
    message: string,
    readonly outcomeUnknown = false,
  ) {
    super(message);
  }
}

/**
 * A write that did not succeed. `code` is the meta service's stable error code (docs/http-api.md),
 * null when it sent none; `outcomeUnknown` is true when an earlier try may have been applied
 * although its answer was lost (a timeout after sending, a leader that lost leadership or shut
 * down with the entry in its log): the caller must look before concluding it did not happen.
 */
export class MetaRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | null,
    message: string,
    readonly outcomeUnknown = false,
  ) {
    super(message);
  }
}

/** Failures after which the request certainly did not reach a server. */
const NOT_DELIVERED = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);
/** 503 codes after which the command may still be in the log (and commit). */
const MAYBE_APPLIED = new Set(["LEADERSHIP_LOST", "TIMEOUT", "SHUTDOWN"]);

/** Whether a 503 with this code leaves the command's outcome unknown (it may still commit). */
export function mayHaveApplied(code: string | null): boolean {
  return code !== null && MAYBE_APPLIED.has(code);
}

/** What a removal carries to the leader (see MetaService.execute). */
export interface RemovalPrecondition {
  prevConfigIndex?: number;
  force?: boolean;
}

export class MetaClient {
  private cache: MetaData | null = null;
  private preferred = 0;

  constructor(private readonly opts: MetaClientOptions) {
    if (opts.servers.length === 0) throw new Error("meta client needs at least one meta server");
  }

  private get tries(): number {
    return this.opts.maxTries ?? 10;
  }

  private get access(): PeerAccess {
    return this.opts.access ?? PLAIN_HTTP;
  }

  private url(addr: string, path: string): string {
    return peerUrl(this.access, addr, path);
  }

  /** A POST that follows 307s to the leader (the clients' one redirect follower). */
  private post(url: string, body: Uint8Array, contentType: string): Promise<HttpResponse> {
    return requestFollowingRedirects(url, {
      method: "POST",
      body,
      contentType,
      timeoutMs: this.opts.timeoutMs,
      ...peerOptions(this.access),
    });
  }

  /**
   * Sends `body` to `path` on the leader: follows 307s, retries through the server list on 503
   * (no leader, a leadership transfer, a leader stepping down or shutting down: all pass within
   * about an election) and unreachable nodes. Its backoff (100 ms doubling to 1 s) is finer than
   * the servers' whole-second Retry-After, which is meant for other clients. Returns the
   * leader's successful response.
   */
  private async toLeader(
    path: string,
    body: Uint8Array,
    contentType: string,
  ): Promise<{ res: HttpResponse; outcomeUnknown: boolean }> {
    let url = this.url(this.opts.servers[this.preferred], path);
    let lastError = "no meta server answered";
    let lastCode: string | null = null;
    let outcomeUnknown = false;
    for (let attempt = 0; attempt < this.tries; attempt++) {
      let res: HttpResponse;
      try {
        res = await this.post(url, body, contentType);
      } catch (err) {
        if (!(err instanceof UnreachableError)) throw err;
        if (!NOT_DELIVERED.has(err.code)) outcomeUnknown = true;
        lastError = err.message;
        lastCode = "UNREACHABLE";
        url = this.nextServer(path);
        await this.pause(attempt);
        continue;
      }
      if (res.status === 503) {
        lastError = `${new URL(url).host}: ${errorText(res)}`;
        lastCode = errorCode(res);
        if (mayHaveApplied(lastCode)) outcomeUnknown = true;
        url = this.nextServer(path);
        await this.pause(attempt);
        continue;
      }
      if (res.status >= 400) {
        const message = `${new URL(url).host}: ${errorText(res)}`;
        throw new MetaRequestError(res.status, errorCode(res), message, outcomeUnknown);
      }
      return { res, outcomeUnknown };
    }
    throw new MetaRequestError(
      503,
      lastCode,
      `gave up after ${this.tries} tries: ${lastError}`,
      outcomeUnknown,
    );
  }

  private nextServer(path: string): string {
    this.preferred = (this.preferred + 1) % this.opts.servers.length;
    return this.url(this.opts.servers[this.preferred], path);
  }

  private pause(attempt: number): Promise<void> {
    const ms = Math.min(1000, (this.opts.retryDelayMs ?? 100) * 2 ** attempt);
    return new Promise((r) => setTimeout(r, ms));
  }

  /** Applies a command through the leader; resolves with the applied index once our cache has it. */
  async execute(command: MetaCommand, removal: RemovalPrecondition = {}): Promise<{ index: number }> {
    const query = new URLSearchParams();
    if (removal.prevConfigIndex !== undefined) query.set("prevConfigIndex", String(removal.prevConfigIndex));
    if (removal.force) query.set("force", "true");
    const path = query.size > 0 ? `/execute?${query}` : "/execute";
    const { res, outcomeUnknown } = await this.toLeader(
      path,
      encodeCommand(command),
      "application/octet-stream",
    );
    const response = decodeResponse(res.body);
    if (!response.ok) throw new MetaCommandError(response.error ?? "command failed", outcomeUnknown);
    const index = response.index ?? 0;
    await this.data(index);
    return { index };
  }

  /** Asks the leader to add a meta node (nonvoter first; Raft promotes it once caught up). */
  async join(node: { addr: string; raftAddr: string; serverId: string }): Promise<NodeInfo> {
    const form = new URLSearchParams({ addr: node.addr, raftAddr: node.raftAddr, serverId: node.serverId });
    const { res } = await this.toLeader(
      "/join",
      Buffer.from(form.toString()),
      "application/x-www-form-urlencoded",
    );
    return JSON.parse(res.body.toString("utf8")) as NodeInfo;
  }

  /**
   * The metadata at index `minIndex` or later: served from the cache when it is fresh enough,
   * else long-polled (`GET /?index=…`) from the servers in turn.
   */
  async data(minIndex = 0): Promise<MetaData> {
    if (this.cache && this.cache.index >= minIndex && minIndex > 0) return this.cache;
    let lastError = "no meta server answered";
    for (let attempt = 0; attempt < this.tries; attempt++) {
      const addr = this.opts.servers[this.preferred];
      try {
        const res = await request(
          this.url(addr, `/?index=${Math.max(0, minIndex - 1)}&timeout=${this.opts.timeoutMs}ms`),
          {
            timeoutMs: this.opts.timeoutMs + 1000,
            ...peerOptions(this.access),
          },
        );
        if (res.status !== 200) throw new Error(`${addr}: ${errorText(res)}`);
        const data = decodeData(res.body);
        if (!this.cache || data.index >= this.cache.index) this.cache = data;
        if (data.index >= minIndex) return data;
        lastError = `${addr}: metadata still at index ${data.index}, waiting for ${minIndex}`;
      } catch (err) {
        lastError = (err as Error).message;
      }
      this.nextServer("/");
    }
    throw new Error(`could not read metadata at index ${minIndex}: ${lastError}`);
  }

  async metaNodeByAddr(httpAddr: string): Promise<NodeInfo | undefined> {
    return (await this.data()).metaNodes.find((n) => n.addr === httpAddr);
  }

  /** Removes a meta node (and its Raft server, in the same entry); the leader checks the
   *  removal rules against `removal` when it appends the change. */
  deleteMetaNode(id: number, removal: RemovalPrecondition = {}): Promise<{ index: number }> {
    return this.execute({ type: "DeleteMetaNodeCommand", id }, removal);
  }

  /** GET /ping on one node: the leader's Raft address it reports, and the round trip. */
  async ping(httpAddr: string, timeoutMs = this.opts.timeoutMs): Promise<{ leader: string; ms: number }> {
    const started = performance.now();
    const res = await request(this.url(httpAddr, "/ping"), { timeoutMs, ...peerOptions(this.access, false) });
    if (res.status !== 200) throw new Error(`${httpAddr}: ${errorText(res)}`);
    return { leader: res.body.toString("utf8"), ms: performance.now() - started };
  }

  status(httpAddr: string, timeoutMs = this.opts.timeoutMs): Promise<StatusJson> {
    return requestJson<StatusJson>(this.url(httpAddr, "/status"), { timeoutMs, ...peerOptions(this.access) });
  }
}
