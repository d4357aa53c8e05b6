/**
 * HS512 JSON Web Tokens, as InfluxDB Enterprise's `influxd-ctl -auth-type jwt -secret S` sends
 * them (claims `username` and `exp`). Written on node:crypto instead of a JWT library because
 * `influxd-ctl` must start within a small multiple of a bare `node` start, and HS512 is all we
 * sign or accept: no algorithm negotiation, so no "alg: none" or key-confusion attacks.
 */

import { createHmac, timingSafeEqual } from "node:crypto";

const HEADER = Buffer.from(JSON.stringify({ alg: "HS512", typ: "JWT" })).toString("base64url");

function signature(input: string, secret: string): Buffer {
  return createHmac("sha512", secret).update(input).digest();
}

/** A token for `claims`, valid for `ttlSeconds` from `nowSeconds`. */
export function signJwt(
  claims: Record<string, unknown>,
  secret: string,
  ttlSeconds: number,
  nowSeconds = Date.now() / 1000,
): string {
  const payload = Buffer.from(
    JSON.stringify({ ...claims, exp: Math.floor(nowSeconds + ttlSeconds) }),
  ).toString("base64url");
  const input = `${HEADER}.${payload}`;
  return `${input}.${signature(input, secret).toString("base64url")}`;
}

/** The verified claims; throws a short reason on a malformed, wrongly signed or expired token. */
export function verifyJwt(
  token: string,
  secret: string,
  nowSeconds = Date.now() / 1000,
): Record<string, unknown> {
  const parts = token.split(".");
  if (parts.length !== 3) throw new Error("malformed token");
  const [header, payload, sig] = parts;
  let alg: unknown;
  try {
    alg = (JSON.parse(Buffer.from(header, "base64url").toString("utf8")) as { alg?: unknown }).alg;
  } catch {
    throw new Error("malformed token header");
  }
  if (alg !== "HS512") throw new Error("token must be signed with HS512");
  const expected = signature(`${header}.${payload}`, secret);
  const given = Buffer.from(sig, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new Error("bad token signature");
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    throw new Error("malformed token payload");
  }
  if (typeof claims.exp !== "number" || claims.exp < nowSeconds) throw new Error("token expired");
  return claims;
}
