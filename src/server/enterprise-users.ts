/**
 * `/user` and `/role` of the Enterprise meta API, as InfluxDB Enterprise's tooling calls them:
 * `GET /user[?name=]` lists users with their hashes; `POST /user` `{"action", "user": {"name",
 * "password"}}` creates (an admin user, as Go does), deletes or re-passwords a user through the
 * leader. Permissions and roles are accepted and ignored, as the Go meta node does: the open
 * cluster has no fine-grained authorization to store them in.
 */
import { encodeCommand, type MetaCommand } from "../proto/index.ts";
import { PoolBusy, sharedBcryptPool } from "./bcrypt-pool.ts";
import { HttpError } from "./errors.ts";
import { sendJson, type RequestContext, type Routes } from "./http-server.ts";
import type { MetaService } from "../meta/service.ts";

/** bcrypt cost of the Go meta client, so hashes are interchangeable. */
const BCRYPT_COST = 10;

/** A hash in the worker pool: about 70 ms of CPU that must not hold up Raft's heartbeats. */
async function hashPassword(password: string): Promise<string> {
  try {
    return await sharedBcryptPool().hash(password, BCRYPT_COST);
  } catch (err) {
    if (err instanceof PoolBusy) {
      throw new HttpError(503, "too many password operations in progress; retry after 1 s", {
        "retry-after": "1",
      });
    }
    throw err;
  }
}

const USER_ACTIONS = new Set([
  "create",
  "delete",
  "change-password",
  "add-permissions",
  "remove-permissions",
]);
const ROLE_ACTIONS = new Set([
  "create",
  "delete",
  "add-users",
  "remove-users",
  "add-permissions",
  "remove-permissions",
]);

async function jsonBody(ctx: RequestContext): Promise<Record<string, unknown>> {
  try {
    const value: unknown = JSON.parse((await ctx.body()).toString("utf8"));
    if (typeof value === "object" && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new HttpError(400, "request body must be a JSON object");
}

/** `{"action":…, "<what>": {"name": …, …}}` checked as Go checks it. */
async function operation(ctx: RequestContext, what: "user" | "role", actions: Set<string>) {
  const op = await jsonBody(ctx);
  const action = typeof op.action === "string" ? op.action : "";
  if (!actions.has(action)) throw new HttpError(400, `invalid action: ${action}`);
  const subject = op[what];
  if (typeof subject !== "object" || subject === null) throw new HttpError(400, `invalid ${what}`);
  const { name, password } = subject as { name?: unknown; password?: unknown };
  if (typeof name !== "string" || name === "") {
    throw new HttpError(400, what === "user" ? "username required" : "role name required");
  }
  return { action, name, password: typeof password === "string" ? password : "" };
}

export function userRoutes(service: MetaService, leaderOnly: (ctx: RequestContext) => boolean): Routes {
  const user = (name: string) => service.data().users.find((u) => u.name === name);
  const apply = async (command: MetaCommand) => {
    const result = await service.execute(command, encodeCommand(command));
    if (result.error) throw new HttpError(500, result.error);
  };
  return {
    "GET /user": (ctx) => {
      const name = ctx.url.searchParams.get("name");
      const users = name ? [user(name)].filter((u) => u !== undefined) : service.data().users;
      if (name && users.length === 0) throw new HttpError(404, "user not found");
      const list = users.map((u) => ({ name: u.name, hash: u.hash }));
      sendJson(ctx.res, 200, list.length > 0 ? { users: list } : {});
    },

    "POST /user": async (ctx) => {
      const { action, name, password } = await operation(ctx, "user", USER_ACTIONS);
      if (action === "create" && !password) throw new HttpError(400, "password or hash required");
      if (action === "create" && user(name)) throw new HttpError(400, "user already exists");
      if ((action === "delete" || action === "change-password") && !user(name)) {
        throw new HttpError(400, "user not found");
      }
      if (action === "change-password" && !password) throw new HttpError(400, "password or hash required");
      if (leaderOnly(ctx)) return;
      if (action === "create") {
        await apply({ type: "CreateUserCommand", name, hash: await hashPassword(password), admin: true });
      } else if (action === "delete") {
        await apply({ type: "DropUserCommand", name });
      } else if (action === "change-password") {
        await apply({ type: "UpdateUserCommand", name, hash: await hashPassword(password) });
      }
      ctx.res.writeHead(200).end();
    },

    "GET /role": (ctx) => sendJson(ctx.res, 200, {}),

    "POST /role": async (ctx) => {
      await operation(ctx, "role", ROLE_ACTIONS);
      if (leaderOnly(ctx)) return;
      ctx.res.writeHead(200).end();
    },
  };
}
