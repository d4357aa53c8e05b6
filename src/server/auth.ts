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
 * User credentials, as InfluxDB Enterprise's tooling sends them (`influxd-ctl -auth-type basic
 * -user U -pwd P`: HTTP basic; also `?u=U&p=P` and `Authorization: Token U:P`), are checked
 * against the meta store's users and their bcrypt hashes (the hashes the Go meta client writes).
 * Only an admin user may manage the cluster, and never through the node-to-node endpoints.
 */

import { createHash } from "node:crypto";
import type { Logger } from "pino";
import { HttpError } from "./errors.ts";
import type { RequestContext } from "./http-server.ts";
import { signJwt, verifyJwt } from "../util/jwt.ts";
import { FailureThrottle } from "./auth-throttle.ts";
import { PoolBusy, sharedBcryptPool, type BcryptPool } from "./bcrypt-pool.ts";

/** The client's IP address, IPv4-mapped IPv6 written as IPv4 (one client, one throttle key). */
function clientAddress(ctx: RequestContext): string {
  const addr = ctx.req.socket.remoteAddress ?? "unknown";
  return addr.startsWith("::ffff:") ? addr.slice(7) : addr;
}

export const AUTH_FAILED = "authorization failed";
export const UNPARSABLE_CREDENTIALS = "unable to parse authentication credentials";
export const BASIC_UNSUPPORTED =
  "authorization failed: basic authentication is not supported; use a JWT signed with the shared secret (influxd-ctl -auth-type jwt -secret-file FILE)";
export const NO_ADMIN_USER = "authorization failed: must create admin user first";

/** Lifetime of the tokens nodes sign for each other (one per request). It also bounds how far
 *  apart the nodes' clocks may drift. */
const INTERNAL_TOKEN_TTL_S = 60;

export interface AuthOptions {
  sharedSecret: string;
  internalSecret: string;
  /** Routes ("METHOD /path") that only a token signed with the internal secret may call. */
  internalOnly: ReadonlySet<string>;
  logger: Logger;
  /** The meta store's users; without it user credentials are refused (BASIC_UNSUPPORTED). */
  users?: () => readonly { name: string; hash: string; admin: boolean }[];
}

/** A user name and password from `?u=&p=`, `Authorization: Basic` or `Authorization: Token u:p`. */
interface UserCredentials {
  username: string;
  password: string;
}

/**
 * bcrypt is slow by design (about 70 ms per check at Go's cost 10): checks run in a worker pool
 * (bcrypt-pool.ts), and a successful one is remembered for CREDENTIAL_CACHE_MS, as Go's meta
 * node remembers verified credentials. The key is a digest of the user, the stored hash and the
 * password: a changed password (a new stored hash) misses the cache at once, and nothing in
 * memory holds the password itself.
 */
export const CREDENTIAL_CACHE_MS = 60_000;

class VerifiedCredentials {
  private readonly verified = new Map<string, number>();
  private static readonly MAX = 256;

  constructor(private readonly pool: () => BcryptPool) {}

  private static key(name: string, hash: string, password: string): string {
    return createHash("sha256").update(`${name}\0${hash}\0${password}`).digest("base64");
  }

  /** Whether these credentials were verified within CREDENTIAL_CACHE_MS. */
  remembered(name: string, hash: string, password: string): boolean {
    const until = this.verified.get(VerifiedCredentials.key(name, hash, password));
    return until !== undefined && until > Date.now();
  }

  /** A bcrypt compare off the event loop; rejects with PoolBusy when too many are waiting. */
  async check(name: string, hash: string, password: string): Promise<boolean> {
    const ok = await this.pool().compare(password, hash);
    if (ok) {
      if (this.verified.size >= VerifiedCredentials.MAX) this.verified.clear();
      this.verified.set(VerifiedCredentials.key(name, hash, password), Date.now() + CREDENTIAL_CACHE_MS);
    }
    return ok;
  }
}

/**
 * A refused client is answered after up to HOLD_BACK_MS: a client that retries as soon as it is
 * answered (a flood of wrong passwords) then costs this node a few requests a second per
 * connection instead of thousands. At most MAX_HELD requests are held; beyond that they are
 * answered at once.
 */
const HOLD_BACK_MS = 1_000;
const MAX_HELD = 1_000;
let held = 0;
async function holdBack(waitMs: number): Promise<void> {
  if (held >= MAX_HELD) return;
  held++;
  try {
    await new Promise((resolve) => setTimeout(resolve, Math.min(waitMs, HOLD_BACK_MS)));
  } finally {
    held--;
  }
}

/** A 429 that says when to come back (whole seconds, at least 1). */
function throttled(waitMs: number, message = "too many failed authorization attempts"): HttpError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new HttpError(429, `${message}; retry after ${seconds} s`, { "retry-after": String(seconds) });
}

/** The Authorization header value a node sends to another node. */
export function internalAuthorization(internalSecret: string, node: string): string {
  return "Bearer " + signJwt({ username: node, internal: true }, internalSecret, INTERNAL_TOKEN_TTL_S);
}

export function refuse(message = AUTH_FAILED): HttpError {
  // RFC 9110: a 401 names the scheme the client should use.
  return new HttpError(401, message, { "www-authenticate": 'Bearer realm="influx-cluster"' });
}

/**
 * The `guard` of an HttpService: throws a 401 HttpError unless the request carries a credential
 * good for its route. Runs before the handler reads the body, so a refused call changes nothing.
 * Reasons are logged (never the header itself); the client only learns "authorization failed".
 */
export function authGuard(opts: AuthOptions): (ctx: RequestContext) => Promise<void> {
  const verified = new VerifiedCredentials(sharedBcryptPool);
  const throttle = new FailureThrottle();
  return async (ctx) => {
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
    const checkUser = async ({ username, password }: UserCredentials): Promise<void> => {
      if (!opts.users) throw deny("user credentials without a user store", BASIC_UNSUPPORTED);
      if (opts.internalOnly.has(route)) throw deny("node-to-node endpoint needs the internal secret");
      const users = opts.users();
      if (!users.some((u) => u.admin)) throw deny("no admin user exists", NO_ADMIN_USER);
      const user = users.find((u) => u.name === username);
      // Credentials verified a moment ago pass without a compare, and without the throttle: a
      // flood of wrong passwords for a user does not lock out the tool already logged in as it.
      if (!user || !verified.remembered(user.name, user.hash, password)) {
        const keys = [`address ${clientAddress(ctx)}`, `user ${username}`];
        const wait = () => Math.max(...keys.map((k) => throttle.waitMs(k)));
        if (wait() > 0) {
          await holdBack(wait());
          throw throttled(wait());
        }
        for (const k of keys) throttle.begin(k);
        let ok: boolean;
        try {
          ok = user !== undefined && (await verified.check(user.name, user.hash, password));
        } catch (err) {
          for (const k of keys) throttle.cancel(k);
          if (err instanceof PoolBusy) {
            await holdBack(1_000);
            throw throttled(1_000, err.message);
          }
          throw err;
        }
        for (const k of keys) {
          const blockMs = throttle.end(k, ok);
          if (blockMs > 0)
            opts.logger.warn({ key: k, blockMs, requestId: ctx.requestId }, "password failures throttled");
        }
        if (!ok || !user) throw deny(`wrong user name or password for "${username}"`);
      }
      if (!user.admin) {
        throw deny(
          `user "${username}" is not an admin`,
          `authorization failed: user "${username}" is not an admin; managing the cluster needs an admin user`,
        );
      }
      ctx.credential = "user";
    };
    const u = ctx.url.searchParams.get("u");
    const p = ctx.url.searchParams.get("p");
    if (u && p) return checkUser({ username: u, password: p });
    const header = ctx.req.headers.authorization;
    if (header === undefined || header.trim() === "") throw deny("no credentials");
    const parts = /^(\S+)\s+(\S+)$/.exec(header.trim());
    if (!parts) throw deny("malformed Authorization header", UNPARSABLE_CREDENTIALS);
    const scheme = parts[1].toLowerCase();
    if (scheme === "basic" || scheme === "token") {
      const decoded = scheme === "basic" ? Buffer.from(parts[2], "base64").toString("utf8") : parts[2];
      const colon = decoded.indexOf(":");
      if (colon < 0) throw deny(`malformed ${scheme} credentials`, UNPARSABLE_CREDENTIALS);
      const username = decoded.slice(0, colon);
      if (!username) throw deny("no user name", "authorization failed: username required");
      return checkUser({ username, password: decoded.slice(colon + 1) });
    }
    if (scheme !== "bearer") throw deny(`unknown scheme ${parts[1]}`, UNPARSABLE_CREDENTIALS);
    const token = parts[2];
    if (token.split(".").length !== 3) throw deny("malformed token", UNPARSABLE_CREDENTIALS);

    let internalReason: string;
    try {
      verifyJwt(token, opts.internalSecret);
      ctx.credential = "internal";
      return;
    } catch (err) {
      internalReason = (err as Error).message;
    }
    // A token whose signature the internal secret verifies but that has expired says so; any
    // other failure means it was not an internal token, so the shared secret is tried.
    if (internalReason === "token expired") throw deny("internal token expired");
    if (opts.internalOnly.has(route)) throw deny("node-to-node endpoint needs the internal secret");
    let sharedReason: string | null = null;
    try {
      verifyJwt(token, opts.sharedSecret);
    } catch (err) {
      sharedReason = (err as Error).message;
    }
    if (sharedReason !== null) {
      // A token no secret signed counts against the address with its wrong passwords: each
      // check is cheap, but a flood would otherwise be answered (and logged) as fast as it comes.
      // An expired token was signed with the secret: no guess, not counted. A good token passes
      // a blocked address, as a remembered password does.
      if (sharedReason !== "token expired") {
        const address = `address ${clientAddress(ctx)}`;
        const waitMs = throttle.waitMs(address);
        if (waitMs > 0) {
          await holdBack(waitMs);
          throw throttled(waitMs);
        }
        throttle.begin(address);
        throttle.end(address, false);
      }
      throw deny(sharedReason);
    }
    ctx.credential = "operator";
  };
}
