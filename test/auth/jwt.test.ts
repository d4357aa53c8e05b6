import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { signJwt, verifyJwt } from "../../src/util/jwt.ts";

test("a signed token verifies and carries its claims and expiry", () => {
  const token = signJwt({ username: "admin" }, "s3cret", 60, 1_000);
  const claims = verifyJwt(token, "s3cret", 1_030);
  assert.deepEqual(claims, { username: "admin", exp: 1_060 });
  const [header] = token.split(".");
  assert.deepEqual(JSON.parse(Buffer.from(header, "base64url").toString()), { alg: "HS512", typ: "JWT" });
});

test("the signature is HMAC-SHA512 over header.payload (interoperable with other JWT libraries)", () => {
  const token = signJwt({ username: "u" }, "k", 10, 0);
  const [h, p, s] = token.split(".");
  assert.equal(s, createHmac("sha512", "k").update(`${h}.${p}`).digest("base64url"));
});

test("wrong secret, tampering, expiry, other algorithms and garbage are refused", () => {
  const token = signJwt({ username: "admin" }, "s3cret", 60, 1_000);
  assert.throws(() => verifyJwt(token, "other", 1_001), /bad token signature/);
  assert.throws(() => verifyJwt(token, "s3cret", 1_061), /token expired/);
  const [h, p, s] = token.split(".");
  const forged = Buffer.from(JSON.stringify({ username: "root", exp: 9e9 })).toString("base64url");
  assert.throws(() => verifyJwt(`${h}.${forged}.${s}`, "s3cret", 1_001), /bad token signature/);
  const none = Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url");
  assert.throws(() => verifyJwt(`${none}.${p}.`, "s3cret", 1_001), /HS512/);
  assert.throws(() => verifyJwt("abc", "s3cret"), /malformed token/);
  assert.throws(() => verifyJwt("!!.!!.!!", "s3cret"), /malformed/);
});
