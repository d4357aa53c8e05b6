/** Routes of the meta service's HTTP API (8091): shapes and codes in docs/http-api.md, "Meta service". */

import { encodeResponse } from "../proto/index.ts";
import { RaftError } from "../raft/errors.ts";
import { validateCommand } from "../meta/fsm.ts";
import { sendBytes, sendJson, type RequestContext, type Routes } from "./http-server.ts";
import { refuse } from "./auth.ts";
import { parseDuration } from "../util/duration.ts";
import type { LocalNodeControl } from "../cluster/node-control.ts";
import { HttpError } from "./errors.ts";
import { NotLeader, type MetaService, type RemovalOptions } from "../meta/service.ts";
import { HandBack, openHandBack } from "./hand-back.ts";

/** The part of this node's lifecycle the routes use: confirming its removal, then wiping it. */
export type RemovableNode = Pick<LocalNodeControl, "confirmRemoved" | "wipe">;

export interface MetaRouteOptions {
  node: RemovableNode;
  /** Scheme of the leader's address in a 307 (every meta node of a cluster serves the same). */
  scheme: "http" | "https";
  /** The Enterprise meta API (./enterprise/routes.ts), served beside ours. Its `POST /join`
   *  (`addr` only) takes the requests without `raftAddr`. */
  enterprise: Routes;
}

const LONG_POLL_DEFAULT_MS = 30_000;
const LONG_POLL_MAX_MS = 120_000;

/** 307 to the leader when it is known; anything else (no leader yet: 503) to the error mapper. */
function leaderOnly(ctx: RequestContext, err: unknown, path: string, scheme: string): void {
  if (!(err instanceof NotLeader) || !err.leaderHttp) throw err;
  const location = `${scheme}://${err.leaderHttp}${path}${ctx.url.search}`;
  sendJson(ctx.res, 307, { error: err.message }, { location });
}

const NO_REMOVAL_OPTIONS: RemovalOptions = Object.freeze({});

/** The removal precondition of /execute: `prevConfigIndex=N` and `force=true` (query string). */
function removalOptions(url: URL): RemovalOptions {
  // Most commands carry no query: don't make URLSearchParams for them (this runs per command).
  if (url.search === "") return NO_REMOVAL_OPTIONS;
  const params = url.searchParams;
  const raw = params.get("prevConfigIndex");
  if (raw !== null && !/^\d+$/.test(raw)) throw new HttpError(400, `invalid prevConfigIndex "${raw}"`);
  return { prevConfigIndex: raw === null ? undefined : Number(raw), force: params.get("force") === "true" };
}

function requireParam(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (!value) throw new HttpError(400, `missing parameter "${name}"`);
  return value;
}

export function metaRoutes(service: MetaService, opts: MetaRouteOptions): Routes {
  const { "POST /join": enterpriseJoin, ...enterprise } = opts.enterprise;
  const handBack = new HandBack();
  const own: Routes = {
    "GET /ping": (ctx) => sendBytes(ctx.res, 200, service.leaderRaftAddr(), "text/plain"),

    "GET /status": (ctx) => sendJson(ctx.res, 200, service.status()),

    "GET /peers": (ctx) => sendJson(ctx.res, 200, service.status().peers),

    "GET /": async (ctx) => {
      const raw = ctx.url.searchParams.get("index") ?? "0";
      if (!/^\d+$/.test(raw)) throw new HttpError(400, `invalid index "${raw}"`);
      let timeoutMs = LONG_POLL_DEFAULT_MS;
      const t = ctx.url.searchParams.get("timeout");
      // A Go data node's meta client polls with `index` only (client.go getSnapshot); ours always
      // sends `timeout`. Only the Go clients are handed back (./hand-back.ts).
      const goPoll = t === null;
      if (goPoll && handBack.redirect(ctx, opts.scheme)) return;
      if (t) {
        try {
          timeoutMs = Math.min(parseDuration(t), LONG_POLL_MAX_MS);
        } catch (err) {
          throw new HttpError(400, (err as Error).message);
        }
      }
      const abort = new AbortController();
      ctx.res.once("close", () => abort.abort());
      // As the Go meta service: gzip when the client accepts it (Go's data nodes do).
      const gzip = /\bgzip\b/i.test(ctx.req.headers["accept-encoding"] ?? "");
      const release = goPoll ? handBack.hold(() => abort.abort()) : () => {};
      let data;
      try {
        data = await service.waitForIndex(Number(raw), timeoutMs, abort.signal, gzip);
      } finally {
        release();
      }
      if (goPoll && handBack.redirect(ctx, opts.scheme)) return;
      const headers: Record<string, string> = gzip ? { "content-encoding": "gzip" } : {};
      if (!ctx.res.destroyed)
        sendBytes(ctx.res, 200, data, "application/octet-stream", { vary: "Accept-Encoding", ...headers });
    },

    "POST /execute": async (ctx) => {
      handBack.refuseCommands();
      const body = await ctx.body();
      // Reject malformed or unknown commands before they can reach the log.
      let command;
      try {
        command = await validateCommand(body);
      } catch (err) {
        throw new HttpError(400, (err as Error).message);
      }
      try {
        const result = await service.execute(command, body, removalOptions(ctx.url));
        const response = encodeResponse({ ok: !result.error, error: result.error, index: result.index });
        sendBytes(ctx.res, 200, response, "application/octet-stream");
      } catch (err) {
        leaderOnly(ctx, err, "/execute", opts.scheme);
      }
    },

    "POST /join": async (ctx) => {
      const params = await ctx.params();
      if (!params.has("raftAddr") && enterpriseJoin) return enterpriseJoin(ctx);
      // Adding a server directly is node-to-node only (operators: add-meta, which checks first).
      if (ctx.credential && ctx.credential !== "internal") {
        throw refuse();
      }
      const addr = requireParam(params, "addr");
      const raftAddr = requireParam(params, "raftAddr");
      const serverId = requireParam(params, "serverId");
      try {
        const node = await service.join(addr, raftAddr, serverId);
        sendJson(ctx.res, 200, { id: node.id, addr: node.addr, tcpAddr: node.tcpAddr });
      } catch (err) {
        if (err instanceof NotLeader || err instanceof RaftError)
          return leaderOnly(ctx, err, "/join", opts.scheme);
        throw new HttpError(409, (err as Error).message);
      }
    },

    "POST /remove-meta": async (ctx) => {
      const state = service.state();
      if (state === "unbootstrapped") {
        throw new HttpError(409, `meta node ${service.httpAddr} is blank: nothing to clean up`);
      }
      if (state !== "removed" && !(await opts.node.confirmRemoved())) {
        throw new HttpError(
          409,
          `meta node ${service.httpAddr} is still a member of the cluster; remove it first with influxd-ctl${service.adminAddr ? ` -bind ${service.adminAddr}` : ""} remove-meta ${service.httpAddr}`,
          {},
          "STILL_MEMBER",
        );
      }
      const wiped = await opts.node.wipe();
      sendJson(ctx.res, 200, { removed: true, wiped });
    },

    // influxd-ctl migrate-meta -rollback: the Go data nodes polling this node go back to the Go tier.
    "POST /hand-back": async (ctx) => {
      const ours = service.data().metaNodes.map((n) => n.addr);
      sendJson(ctx.res, 200, openHandBack(handBack, await ctx.params(), ours));
    },

    // Used by the admin service before it removes the leader: hand leadership to an up-to-date voter.
    "POST /leadership-transfer": async (ctx) => {
      if (service.state() !== "leader")
        throw new HttpError(409, `meta node ${service.httpAddr} is not the leader`);
      await service.raft.leadershipTransfer();
      sendJson(ctx.res, 200, { leader: service.leaderRaftAddr() });
    },
  };
  // Our routes win on a clash, so the extensions keep their meaning.
  return { ...enterprise, ...own };
}
