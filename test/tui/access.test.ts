// The TUI's credentials and TLS trust, read from files once: what each request carries, and a
// clear one-line error naming a file that cannot be used (never its content).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AccessError, accessHint, adminClientFor, loadAccess } from "../../src/tui/access.ts";
import { HttpStatusError, UnreachableError } from "../../src/util/http-client.ts";
import { verifyJwt } from "../../src/util/jwt.ts";

const dir = mkdtempSync(join(tmpdir(), "tui-access-"));
const SECRET = "s3cret-value-that-must-never-show";
const secretFile = join(dir, "secret");
writeFileSync(secretFile, SECRET + "\n", { mode: 0o600 });
const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const caFile = join(dir, "ca.pem");
writeFileSync(caFile, PEM);

test("plain: http, no TLS options, no credentials", () => {
  assert.deepEqual(loadAccess({ tls: null, jwt: null }), { scheme: "http" });
});

test("https with the CA's PEM, or without verification (-k)", () => {
  assert.deepEqual(loadAccess({ tls: { insecure: false, caFile }, jwt: null }), {
    scheme: "https",
    tls: { rejectUnauthorized: true, ca: PEM },
  });
  assert.deepEqual(loadAccess({ tls: { insecure: true, caFile: null }, jwt: null }), {
    scheme: "https",
    tls: { rejectUnauthorized: false },
  });
});

test("jwt: every call signs a fresh HS512 token with the file's secret (trailing newline dropped)", () => {
  const access = loadAccess({ tls: null, jwt: { user: "ops", secretFile } });
  const header = access.headers!().authorization;
  assert.match(header, /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
  const claims = verifyJwt(header.slice(7), SECRET);
  assert.equal(claims.username, "ops");
  const ttl = (claims.exp as number) - Date.now() / 1000;
  assert.ok(ttl > 50 && ttl <= 60, `token valid ~60 s, got ${ttl}`);
  assert.throws(() => verifyJwt(header.slice(7), SECRET + "\n"), /bad token signature/);
  // The secret is read once: changing the file later changes nothing.
  writeFileSync(secretFile, "other\n");
  try {
    assert.doesNotThrow(() => verifyJwt(access.headers!().authorization.slice(7), SECRET));
  } finally {
    writeFileSync(secretFile, SECRET + "\n");
  }
  assert.doesNotMatch(JSON.stringify(access), new RegExp(SECRET), "the secret is in no serialisable field");
});

test("an unusable secret or CA file is an AccessError naming the file, never its content", () => {
  const expect = (connection: Parameters<typeof loadAccess>[0], re: RegExp) => {
    assert.throws(
      () => loadAccess(connection),
      (err: Error) => {
        assert.ok(err instanceof AccessError);
        assert.match(err.message, re);
        assert.doesNotMatch(err.message, new RegExp(SECRET));
        assert.doesNotMatch(err.message, /\n/);
        return true;
      },
    );
  };
  const missing = join(dir, "missing");
  expect(
    { tls: null, jwt: { user: "", secretFile: missing } },
    /^secret file .*missing: cannot read it \(ENOENT\)$/,
  );
  expect({ tls: null, jwt: { user: "", secretFile: dir } }, /^secret file .*: cannot read it \(EISDIR\)$/);
  const empty = join(dir, "empty");
  writeFileSync(empty, "\n");
  expect({ tls: null, jwt: { user: "", secretFile: empty } }, /^secret file .*empty is empty$/);
  expect(
    { tls: { insecure: false, caFile: missing }, jwt: null },
    /^CA file .*missing: cannot read it \(ENOENT\)$/,
  );
  // A secret file given as the CA by mistake: refused without echoing it.
  expect(
    { tls: { insecure: false, caFile: secretFile }, jwt: null },
    /^CA file .*secret holds no PEM certificate$/,
  );
});

test("hints say which flag to add or change", () => {
  const refused = new HttpStatusError(401, "authorization failed", {
    status: 401,
    headers: {},
    body: Buffer.alloc(0),
  });
  const plain = loadAccess({ tls: null, jwt: null });
  const withJwt = loadAccess({ tls: null, jwt: { user: "", secretFile } });
  assert.equal(accessHint(refused, plain), " (needs credentials: -secret-file FILE)");
  assert.match(accessHint(refused, withJwt), /\(is -secret-file the cluster's shared secret\?\)/);
  const untrusted = new UnreachableError(
    "https://x",
    "DEPTH_ZERO_SELF_SIGNED_CERT",
    "x: certificate not trusted: y",
  );
  assert.match(
    accessHint(untrusted, loadAccess({ tls: { insecure: false, caFile: null }, jwt: null })),
    /-ca-file FILE, or .* -k/,
  );
  const reset = new UnreachableError("http://x", "ECONNRESET", "x: connection reset");
  assert.match(accessHint(reset, plain), /add -bind-tls/);
  assert.equal(accessHint(new Error("x: connection refused"), plain), "");
});

test("the admin client talks HTTPS exactly when the access says so", async () => {
  // Nothing listens on port 1: the error names the scheme the client used.
  const https = adminClientFor(
    "127.0.0.1:1",
    1000,
    loadAccess({ tls: { insecure: false, caFile }, jwt: null }),
  );
  await assert.rejects(https.show(), (err: UnreachableError) =>
    err.url.startsWith("https://127.0.0.1:1/show"),
  );
  const http = adminClientFor("127.0.0.1:1", 1000, loadAccess({ tls: null, jwt: null }));
  await assert.rejects(http.show(), (err: UnreachableError) => err.url.startsWith("http://127.0.0.1:1/show"));
});
