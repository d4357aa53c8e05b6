/** Routes of the admin service (8084): shapes and codes in docs/http-api.md, "Admin service". */

import { isHostPort } from "../util/address.ts";
import { HttpError } from "./errors.ts";
import { sendJson, type Routes } from "./http-server.ts";
import type { AdminService } from "../cluster/admin-service.ts";

function required(params: URLSearchParams, name: string): string {
  const value = params.get(name)?.trim();
  if (!value) throw new HttpError(400, `missing parameter "${name}"`);
  if (!isHostPort(value))
    throw new HttpError(400, `parameter "${name}": invalid address "${value}" (expected host:port)`);
  return value;
}

/** An address parameter that may be absent (empty counts as absent), checked like `required`. */
function optional(params: URLSearchParams, name: string): string | undefined {
  return params.get(name)?.trim() ? required(params, name) : undefined;
}

function flag(params: URLSearchParams, name: string): boolean {
  const value = params.get(name);
  if (value === null || value === "" || value === "false") return false;
  if (value === "true") return true;
  throw new HttpError(400, `parameter "${name}": expected true or false, got "${value}"`);
}

export function adminRoutes(admin: AdminService): Routes {
  return {
    "GET /ping": (ctx) => {
      ctx.res.writeHead(204).end();
    },
    "GET /self": (ctx) => sendJson(ctx.res, 200, admin.self()),
    "GET /show": async (ctx) => sendJson(ctx.res, 200, await admin.show()),
    "GET /remove-meta/plan": async (ctx) => {
      const params = await ctx.params();
      const { record: _record, ...plan } = await admin.plan(
        required(params, "metahttp"),
        flag(params, "force"),
        optional(params, "tcpAddr"),
      );
      sendJson(ctx.res, 200, plan);
    },
    "POST /remove-meta": async (ctx) => {
      const params = await ctx.params();
      const tcpAddr = optional(params, "tcpAddr");
      sendJson(
        ctx.res,
        200,
        await admin.removeMeta(required(params, "metahttp"), flag(params, "force"), tcpAddr),
      );
    },
    "POST /leave": async (ctx) => sendJson(ctx.res, 200, await admin.leave()),
    "POST /add-meta": async (ctx) => {
      const params = await ctx.params();
      const newCluster = flag(params, "newCluster");
      sendJson(ctx.res, 200, await admin.addMeta(required(params, "addr"), { newCluster }));
    },
    "POST /join": async (ctx) =>
      sendJson(ctx.res, 200, await admin.joinVia(required(await ctx.params(), "addr"))),
    "POST /add-data": async (ctx) => {
      const params = await ctx.params();
      sendJson(ctx.res, 200, await admin.addData(required(params, "tcpAddr")));
    },
    "POST /remove-data": async (ctx) => {
      const params = await ctx.params();
      sendJson(ctx.res, 200, await admin.removeData(required(params, "addr"), flag(params, "force")));
    },
    "POST /update-data": async (ctx) => {
      const params = await ctx.params();
      const [oldAddr, newAddr] = [required(params, "old"), required(params, "new")];
      if (oldAddr === newAddr)
        throw new HttpError(400, 'parameter "new": the same address as parameter "old"');
      sendJson(ctx.res, 200, await admin.updateData(oldAddr, newAddr));
    },
  };
}
