/**
 * Turns the resolved connection settings into what every request of the TUI carries: the scheme,
 * the TLS trust (a CA read from its file) and a credential. The secret and CA files are read once,
 * at start; the secret then lives only inside the `headers` closure, so no settings object, log
 * line or error message can carry it. Each call of `headers` signs a fresh short-lived token,
 * because the TUI runs far longer than one token lives.
 */

import { readFileSync } from "node:fs";
import { AdminClient } from "../client/admin-client.ts";
import { clientFor, withDefaultPort, type ApiChoice } from "../client/detect.ts";
import type { ApiKind } from "../client/cluster-api.ts";
import { HttpStatusError, peerOptions, type PeerAccess } from "../util/http-client.ts";
import { signJwt } from "../util/jwt.ts";
import { AdminPool } from "./admin-pool.ts";
import type { Connection } from "./settings.ts";

/** Lifetime of each token: as influxd-ctl's, and short enough that a leaked one soon expires. */
const TOKEN_TTL_S = 60;

/** A secret or CA file that cannot be used: one line naming the file, exit 1. */
export class AccessError extends Error {}

function readFile(what: string, path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new AccessError(`${what} ${path}: cannot read it (${e.code ?? e.message})`);
  }
}

/** The secret in `path`: its content without the trailing newline, as influxd reads its own. */
function readSecret(path: string): string {
  const secret = readFile("secret file", path).replace(/[\r\n]+$/, "");
  if (secret === "") throw new AccessError(`secret file ${path} is empty`);
  return secret;
}

function readCa(path: string): string {
  const pem = readFile("CA file", path);
  if (!pem.includes("-----BEGIN CERTIFICATE-----"))
    throw new AccessError(`CA file ${path} holds no PEM certificate`);
  return pem;
}

/** Reads the files `connection` names; throws AccessError naming a file that cannot be used. */
export function loadAccess(connection: Connection): PeerAccess {
  const { tls, jwt } = connection;
  const access: PeerAccess = tls
    ? {
        scheme: "https",
        tls: {
          rejectUnauthorized: !tls.insecure,
          ...(tls.caFile !== null && { ca: readCa(tls.caFile) }),
        },
      }
    : { scheme: "http" };
  if (jwt) {
    const secret = readSecret(jwt.secretFile);
    const claims = { username: jwt.user };
    access.headers = () => ({ authorization: "Bearer " + signJwt(claims, secret, TOKEN_TTL_S) });
  }
  return access;
}

/**
 * -bind's addresses (comma-separated), each with the port of `api` when it names none (8084, or
 * 8091 with -api meta); `onNote` is told what was assumed.
 */
export function adminBinds(
  bind: string,
  api: ApiChoice = "admin",
  onNote?: (note: string) => void,
): string[] {
  const binds = bind
    .split(",")
    .map((b) => b.trim())
    .filter(Boolean)
    .map((b) => {
      const endpoint = withDefaultPort(b, api);
      if (endpoint.note) onNote?.(endpoint.note);
      return endpoint.bind;
    });
  if (binds.length === 0) throw new AccessError(`-bind "${bind}" names no admin service`);
  return binds;
}

/**
 * The services the view may use, one at a time (it switches when one fails or leaves): admin
 * services, or meta APIs (`api`, detected once for the whole list: one cluster speaks one).
 */
export function adminPoolFor(
  binds: string[],
  timeoutMs: number,
  access: PeerAccess,
  api: ApiKind = "admin",
): AdminPool {
  return new AdminPool(binds, (bind) => clientFor(api, bind, access, timeoutMs), api);
}

/** The admin service client of the TUI; /show pings every node itself, hence its own deadline. */
export function adminClientFor(bind: string, timeoutMs: number, access: PeerAccess): AdminClient {
  const { tls } = peerOptions(access, false);
  return new AdminClient({ bind, timeoutMs, tls, headers: access.headers });
}

/** What to try after the admin service refused or failed a request, when the settings are the likely cause. */
export function accessHint(err: unknown, access: PeerAccess): string {
  if (err instanceof HttpStatusError && err.status === 401)
    return access.headers
      ? " (is -secret-file the cluster's shared secret?)"
      : " (needs credentials: -secret-file FILE)";
  const message = (err as Error | undefined)?.message ?? "";
  if (/certificate not trusted/.test(message))
    return " (trust its CA with -ca-file FILE, or skip verification with -k)";
  if (/does not speak HTTPS/.test(message)) return " (it serves plain HTTP: drop -bind-tls)";
  if (access.scheme === "http" && /connection reset/.test(message))
    return " (if the admin service uses HTTPS, add -bind-tls)";
  return "";
}
