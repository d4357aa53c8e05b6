/**
 * Authentication of the meta service (8091) and the admin service (8084), as InfluxDB
 * Enterprise's `[meta] auth-enabled`: every request but `GET /ping` carries
 * `Authorization: Bearer <JWT HS512>`. Two secrets sign tokens:
 *
 * - `shared-secret`: operators' tools (influxd-ctl, the TUI). Accepted everywhere except the
 *   node-to-node endpoints.
 * - `internal-shared-secret`: calls between nodes. Accepted everywhere, and the only credential
 *   the node-to-node endpoints take (they change Raft membership or wipe a node, or expose the
 *   whole metadata, user password hashes included).
 *
 * HTTP basic authentication is refused with its own message: the meta store's users carry the
 * bcrypt hashes InfluxDB writes, and this build has no bcrypt (see docs/operations.md).
 */

import type { Logger } from "pino";
import { HttpError, type RequestContext } from "./http-server.ts";
import { signJwt, verifyJwt } from "./jwt.ts";

export const AUTH_FAILED = "authorization failed";
export const UNPARSABLE_CREDENTIALS = "unable to parse authentication credentials";
export const BASIC_UNSUPPORTED =
  "authorization failed: basic authentication is not supported; use a JWT signed with the shared secret (influxd-ctl -auth-type jwt -secret-file FILE)";

/** Lifetime of the tokens nodes sign for each other (one per request). It also bounds how far
 *  apart the nodes' clocks may drift. */
const INTERNAL_TOKEN_TTL_S = 60;

export interface AuthOptions {
  sharedSecret: string;
  internalSecret: string;
  /** Routes ("METHOD /path") that only a token signed with the internal secret may call. */
  internalOnly: ReadonlySet<string>;
  logger: Logger;
}

/** The Authorization header value a node sends to another node. */
export function internalAuthorization(internalSecret: string, node: string): string {
  return "Bearer " + signJwt({ username: node, internal: true }, internalSecret, INTERNAL_TOKEN_TTL_S);
}

function refuse(message: string): HttpError {
  // RFC 9110: a 401 names the scheme the client should use.
  return new HttpError(401, message, { "www-authenticate": 'Bearer realm="influx-cluster"' });
}

/**
 * The `guard` of an HttpService: throws a 401 HttpError unless the request carries a credential
 * good for its route. Runs before the handler reads the body, so a refused call changes nothing.
 * Reasons are logged (never the header itself); the client only learns "authorization failed".
 */
export function authGuard(opts: AuthOptions): (ctx: RequestContext) => void {
  return (ctx) => {
    const method = ctx.req.method === "HEAD" ? "GET" : (ctx.req.method ?? "GET");
    const route = `${method} ${ctx.url.pathname}`;
    if (route === "GET /ping") return;
    const deny = (reason: string, message = AUTH_FAILED): HttpError => {
      opts.logger.warn(
        { route, remote: ctx.req.socket.remoteAddress, reason, requestId: ctx.requestId },
        "request refused: authorization failed",
      );
      return refuse(message);
    };
    const header = ctx.req.headers.authorization;
    if (header === undefined || header.trim() === "") throw deny("no credentials");
    const parts = /^(\S+)\s+(\S+)$/.exec(header.trim());
    if (!parts) throw deny("malformed Authorization header", UNPARSABLE_CREDENTIALS);
    const scheme = parts[1].toLowerCase();
    if (scheme === "basic") {
      const decoded = Buffer.from(parts[2], "base64").toString("utf8");
      if (!decoded.includes(":")) throw deny("malformed basic credentials", UNPARSABLE_CREDENTIALS);
      throw deny("basic authentication is not supported", BASIC_UNSUPPORTED);
    }
    if (scheme !== "bearer") throw deny(`unknown scheme ${parts[1]}`, UNPARSABLE_CREDENTIALS);
    const token = parts[2];
    if (token.split(".").length !== 3) throw deny("malformed token", UNPARSABLE_CREDENTIALS);

    let internalReason: string;
    try {
      verifyJwt(token, opts.internalSecret);
      return;
    } catch (err) {
      internalReason = (err as Error).message;
    }
    // A token whose signature the internal secret verifies but that has expired says so; any
    // other failure means it was not an internal token, so the shared secret is tried.
    if (internalReason === "token expired") throw deny("internal token expired");
    if (opts.internalOnly.has(route)) throw deny("node-to-node endpoint needs the internal secret");
    try {
      verifyJwt(token, opts.sharedSecret);
    } catch (err) {
      throw deny((err as Error).message);
    }
  };
}
