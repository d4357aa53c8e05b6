/**
 * The Enterprise meta API on 8091, as InfluxDB Enterprise's `influxd-ctl` and the Go data nodes
 * call it (shapes and where we are stricter than Go: docs/http-api.md). Cluster changes go
 * through the same operations as the admin service (8084): meta-node removals through
 * AdminService.removeMeta and its safety rules, data nodes and shards through
 * DataNodeOperations. Leader-only routes answer 307 with the leader's address (503 without one),
 * after checking their parameters, as the Go meta node does.
 */
import { SHARD_GROUPS_FORMAT } from "../cluster/shard-groups.ts";
import type { AdminService } from "../cluster/admin-service.ts";
import { dataNodeInfo } from "../cluster/data-nodes.ts";
import { probeMetaNode, requireOurMetaNode } from "../cluster/identify.ts";
import { parseDuration } from "../util/duration.ts";
import type { PeerAccess } from "../util/http-client.ts";
import { HttpError } from "./errors.ts";
import { sendJson, type RequestContext, type Routes } from "./http-server.ts";
import type { MetaService } from "../meta/service.ts";
import {
  MAX_ANNOUNCE_BYTES,
  parseAnnouncement,
  type Announcements,
} from "../meta/enterprise/announcements.ts";
import type { Leases } from "../meta/enterprise/leases.ts";
import { userRoutes } from "./enterprise-users.ts";
import { unavailable } from "../cluster/errors.ts";
import { RateLimit } from "./rate-limit.ts";

export interface EnterpriseRouteOptions {
  service: MetaService;
  admin: AdminService;
  leases: Leases;
  announcements: Announcements;
  /** How this node reaches the other meta nodes (scheme, TLS, credentials). */
  peers: PeerAccess;
}

function param(params: URLSearchParams, name: string, message = `${name} is required`): string {
  const value = params.get(name)?.trim();
  if (!value) throw new HttpError(400, message);
  return value;
}

function noContent(ctx: RequestContext): void {
  ctx.res.writeHead(204).end();
}

/** Announcements taken from one client address a second (with a burst of twice that): a node
 *  announces once per gossip period (5 s), so this serves 50 nodes behind one address. */
export const ANNOUNCE_RATE = 10;

export function enterpriseRoutes(opts: EnterpriseRouteOptions): Routes {
  const { service, admin, leases, announcements, peers } = opts;
  const announceRate = new RateLimit(ANNOUNCE_RATE, 2 * ANNOUNCE_RATE);
  const scheme = peers.scheme;
  const ops = admin.dataNodes;

  /** On a follower: answers 307 to the same path on the leader (503 without one) and returns true. */
  const leaderOnly = (ctx: RequestContext): boolean => {
    if (service.state() === "leader") return false;
    const leader = service.leaderHttp();
    if (!leader) throw unavailable("no leader", "NO_LEADER");
    const location = `${scheme}://${leader}${ctx.url.pathname}${ctx.url.search}`;
    sendJson(ctx.res, 307, { error: `not the leader; the leader is ${leader}` }, { location });
    return true;
  };

  const metaNodeInfo = (n: { id: number; addr: string; tcpAddr: string }) => {
    const heard =
      n.tcpAddr === service.raftAddr
        ? { httpScheme: scheme, version: service.version }
        : announcements.get(n.tcpAddr);
    return {
      id: n.id,
      addr: n.addr,
      httpScheme: heard?.httpScheme ?? "",
      tcpAddr: n.tcpAddr,
      version: heard?.version ?? "",
    };
  };

  /** The meta node at `addr` must be ours, answer, and belong to no cluster. */
  const requireBlank = async (addr: string): Promise<void> => {
    const identity = await probeMetaNode(addr, peers, 10_000);
    if (!identity) throw new HttpError(502, `meta node ${addr} could not be reached; start it and try again`);
    const status = requireOurMetaNode(addr, identity);
    if (status.leader) {
      throw new HttpError(
        409,
        `meta node at "${addr}" is a member of another cluster: leader=${status.leader} peers=[${status.peers.join(" ")}]`,
      );
    }
  };

  return {
    ...userRoutes(service, leaderOnly),

    "GET /show-cluster": (ctx) => {
      const data = service.data();
      const dataNodes = data.dataNodes.map((n) => {
        const heard = announcements.get(n.tcpAddr);
        return {
          ...dataNodeInfo(n),
          httpScheme: heard?.httpScheme ?? "",
          status: heard?.status || "joined",
          version: heard?.version ?? "",
        };
      });
      sendJson(ctx.res, 200, { data: dataNodes, meta: data.metaNodes.map(metaNodeInfo) });
    },

    /**
     * `influxd-ctl add-meta X` (Go): adds the blank meta node X; a blank receiving node first
     * bootstraps a cluster of itself. Our node-to-node join (with `raftAddr`) is routed in
     * ../http.ts.
     */
    "POST /join": async (ctx) => {
      const addr = param(await ctx.params(), "addr");
      if (service.state() === "unbootstrapped") {
        // Refuse before bootstrapping: a refused request leaves this node blank.
        if (addr !== service.httpAddr) await requireBlank(addr);
        await admin.addMeta(service.httpAddr);
      } else if (leaderOnly(ctx)) {
        return;
      }
      const node =
        addr === service.httpAddr
          ? service.data().metaNodes.find((n) => n.addr === addr)
          : await admin.addMeta(addr);
      if (!node) throw new HttpError(500, `meta node ${addr} was not registered`);
      // Go answers the bare record: scheme and version come later, from announcements.
      sendJson(ctx.res, 200, {
        id: node.id,
        addr: node.addr,
        httpScheme: "",
        tcpAddr: node.tcpAddr,
        version: "",
      });
    },

    /** `influxd-ctl remove-meta X` (Go, without -force) posts here on X: X removes itself with
     *  our safety rules and wipes its meta dir. */
    "POST /leave": async (ctx) => {
      await admin.leave();
      noContent(ctx);
    },

    /** `influxd-ctl remove-meta -force -tcpAddr T X` (Go): unlike Go, `force` and `tcpAddr`
     *  count, with the same safety rules as our remove-meta. */
    "POST /remove": async (ctx) => {
      const params = await ctx.params();
      const httpAddr = param(params, "httpAddr");
      const force = params.get("force") === "true";
      const tcpAddr = params.get("tcpAddr")?.trim() || undefined;
      if (leaderOnly(ctx)) return;
      await admin.removeMeta(httpAddr, force, tcpAddr);
      noContent(ctx);
    },

    "POST /add-data": async (ctx) => {
      const addr = param(await ctx.params(), "addr");
      sendJson(ctx.res, 200, dataNodeInfo(await ops.add(addr)));
    },

    "POST /remove-data": async (ctx) => {
      const params = await ctx.params();
      const addr = param(params, "addr");
      if (!service.data().dataNodes.some((n) => n.tcpAddr === addr)) {
        throw new HttpError(404, `node not found: ${addr}`);
      }
      if (leaderOnly(ctx)) return;
      await ops.remove(addr, params.get("force") === "true");
      noContent(ctx);
    },

    "POST /update-data": async (ctx) => {
      const params = await ctx.params();
      const oldAddr = param(params, "oldAddr");
      const newAddr = param(params, "newAddr");
      if (oldAddr === newAddr) throw new HttpError(400, "newAddr and oldAddr are the same");
      if (!service.data().dataNodes.some((n) => n.tcpAddr === oldAddr)) {
        throw new HttpError(404, `no data node with bind address ${oldAddr} exists`);
      }
      if (leaderOnly(ctx)) return;
      sendJson(ctx.res, 200, dataNodeInfo(await ops.update(oldAddr, newAddr)));
    },

    "GET /show-shards": async (ctx) => {
      const query = ctx.url.searchParams;
      const verbose = query.get("verbose") === "true";
      // Our compact listing when asked for (docs/http-api.md); verbose listings stay in Go's format.
      if (query.get("format") === SHARD_GROUPS_FORMAT && !verbose)
        sendJson(ctx.res, 200, ops.showShardGroups());
      else sendJson(ctx.res, 200, await ops.showShards(verbose));
    },

    "POST /copy-shard": async (ctx) => {
      const params = await ctx.params();
      const [src, dest, shard] = [params.get("src") ?? "", params.get("dest") ?? "", params.get("shard")];
      ops.checkCopyShard(src, dest, shard);
      if (leaderOnly(ctx)) return;
      await ops.copyShard(src, dest, shard);
      noContent(ctx);
    },

    /** Refuses to remove the last live copy (409 LAST_LIVE_COPY) unless `force=true`, which Go's
     *  influxd-ctl cannot send (it has no -force): the refusal names the parameter. */
    "POST /remove-shard": async (ctx) => {
      const params = await ctx.params();
      const [src, shard] = [params.get("src") ?? "", params.get("shard")];
      ops.checkRemoveShard(src, shard);
      if (leaderOnly(ctx)) return;
      await ops.removeShard(src, shard, params.get("force") === "true");
      noContent(ctx);
    },

    /** Enterprise's: the copies the leader is running. */
    "GET /copy-shard-status": (ctx) => {
      if (leaderOnly(ctx)) return;
      sendJson(ctx.res, 200, ops.copyShardStatus());
    },

    /** Enterprise's: stop a copy under way (dropped once the data node answers). */
    "POST /kill-copy-shard": async (ctx) => {
      const params = await ctx.params();
      const [src, dest, shard] = [params.get("src") ?? "", params.get("dest") ?? "", params.get("shard")];
      if (leaderOnly(ctx)) return;
      sendJson(ctx.res, 200, ops.killCopyShard(src, dest, shard));
    },

    /** Our extension: every shard's replica health (docs/http-api.md). */
    "GET /replica-health": async (ctx) => {
      const shards = ctx.url.searchParams.get("shards") ?? "problems";
      if (shards !== "none" && shards !== "problems" && shards !== "all")
        throw new HttpError(400, `parameter "shards": expected none, problems or all, got "${shards}"`);
      sendJson(ctx.res, 200, await ops.replicaHealth(shards));
    },

    /** Our extension: the moves of `influxd-ctl rebalance [-drain addr]`; changes nothing. */
    "GET /rebalance-plan": async (ctx) =>
      sendJson(ctx.res, 200, await ops.rebalancePlan(ctx.url.searchParams.get("drain")?.trim() || undefined)),

    "POST /truncate-shards": async (ctx) => {
      const raw = (await ctx.params()).get("delay") ?? "";
      let delayMs: number;
      try {
        delayMs = parseDuration(raw);
      } catch (err) {
        throw new HttpError(400, (err as Error).message);
      }
      if (leaderOnly(ctx)) return;
      await ops.truncateShards(delayMs);
      noContent(ctx);
    },

    "GET /lease": (ctx) => {
      const q = ctx.url.searchParams;
      const name = q.get("name");
      if (!name) throw new HttpError(400, "lease name required");
      const nodeId = q.get("nodeid");
      if (!nodeId) throw new HttpError(400, "node ID required");
      if (leaderOnly(ctx)) return;
      if (!/^\d+$/.test(nodeId) || !Number.isSafeInteger(Number(nodeId)))
        throw new HttpError(400, "invalid node ID");
      const { lease, acquired } = leases.acquire(name, Number(nodeId));
      sendJson(ctx.res, acquired ? 200 : 409, lease);
    },

    /** Bounded (MAX_ANNOUNCE_BYTES, then MAX_GOSSIP_ENTRIES: see announcements.ts) and, per
     *  client address, to ANNOUNCE_RATE a second: a node announces once per gossip period. */
    "POST /announce": async (ctx) => {
      const waitMs = announceRate.take(ctx.req.socket.remoteAddress ?? "");
      if (waitMs > 0) {
        const seconds = String(Math.ceil(waitMs / 1000));
        throw new HttpError(429, "too many announcements from this address", { "retry-after": seconds });
      }
      const body = await ctx.body(MAX_ANNOUNCE_BYTES);
      let announcement;
      try {
        announcement = parseAnnouncement(JSON.parse(body.toString("utf8")));
      } catch (err) {
        throw new HttpError(400, (err as Error).message);
      }
      announcements.receive(announcement);
      noContent(ctx);
    },
  };
}
