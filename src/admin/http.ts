/** Routes of the admin service (8084): SPEC §5, shapes in docs/http-api.md. */

import { HttpError, sendJson, type Routes } from "../util/http-server.ts";
import type { AdminService } from "./service.ts";

/**
 * host:port with a host name, an IPv4 address or a bracketed IPv6 address, and a port in 1-65535.
 * Anything looser reaches `new URL("http://" + value)` further on, where characters such as
 * `|`, `%` or `<` throw (a 500 instead of a 400).
 */
const ADDRESS = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?):(\d{1,5})$/;

function required(params: URLSearchParams, name: string): string {
  const value = params.get(name)?.trim();
  if (!value) throw new HttpError(400, `missing parameter "${name}"`);
  const port = Number(ADDRESS.exec(value)?.[1] ?? 0);
  if (port < 1 || port > 65535)
    throw new HttpError(400, `parameter "${name}": invalid address "${value}" (expected host:port)`);
  return value;
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
    "GET /show": async (ctx) => sendJson(ctx.res, 200, await admin.show()),
    "GET /remove-meta/plan": async (ctx) => {
      const params = await ctx.params();
      const { record: _record, ...plan } = await admin.plan(
        required(params, "metahttp"),
        flag(params, "force"),
        params.get("tcpAddr") || undefined,
      );
      sendJson(ctx.res, 200, plan);
    },
    "POST /remove-meta": async (ctx) => {
      const params = await ctx.params();
      const tcpAddr = params.get("tcpAddr") ? required(params, "tcpAddr") : undefined;
      sendJson(
        ctx.res,
        200,
        await admin.removeMeta(required(params, "metahttp"), flag(params, "force"), tcpAddr),
      );
    },
    "POST /leave": async (ctx) => sendJson(ctx.res, 200, await admin.leave()),
    "POST /add-meta": async (ctx) =>
      sendJson(ctx.res, 200, await admin.addMeta(required(await ctx.params(), "addr"))),
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
