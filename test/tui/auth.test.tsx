// The TUI against a SECURED local cluster (three influxd processes with [meta] auth-enabled,
// HTTPS on both services, mutual TLS on Raft): the live table with credentials read from the
// secret file, a clear refusal without them, a removal, and the built executable — piped, in a
// terminal, `config show` — never printing or logging the secret.
import { after, afterEach, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { LocalCluster } from "../../src/demo/local-cluster.ts";
import { adminClientFor, loadAccess } from "../../src/tui/access.ts";
import { openSettings, type Connection } from "../../src/tui/settings.ts";
import { CONFIRM_GRACE_MS } from "../../src/tui/state.ts";
import { plain, prose } from "./frame.ts";
import { drive, renderApp, settle } from "./harness.tsx";
import { Tmux } from "./tmux.ts";
import { waitUntil } from "./wait.ts";

const BIN = resolve("bin/influx-cluster.js");
const home = mkdtempSync(join(tmpdir(), "tui-auth-"));
const ENV = { XDG_STATE_HOME: join(home, "state"), INFLUX_CLUSTER_CONFIG_DIR: join(home, "config") };
/** The first segment of every token this product signs: base64url of {"alg":"HS512","typ":"JWT"}. */
const JWT_HEADER = Buffer.from(JSON.stringify({ alg: "HS512", typ: "JWT" })).toString("base64url");

let cluster: LocalCluster;
let bind: string;
let secret: string;
let secured: Connection;
const open: { unmount(): void }[] = [];
const sessions: Tmux[] = [];

before(async () => {
  assert.ok(existsSync(resolve("dist/main.js")), "dist/ is missing: run npm run build (npm test does)");
  cluster = await LocalCluster.start({ size: 3, auth: true, tls: true });
  bind = cluster.nodes[0].adminAddr;
  secret = cluster.sharedSecret;
  secured = {
    tls: { insecure: false, caFile: cluster.security.caFile! },
    jwt: { user: "tui-test", secretFile: cluster.security.sharedSecretFile! },
  };
});
afterEach(() => {
  for (const app of open.splice(0)) app.unmount();
});
after(async () => {
  for (const s of sessions) s.kill();
  await cluster?.stop();
});

const esc = (s: string) => s.replace(/\./g, "\\.");

/** The App wired as `influx-cluster` wires it: the access read from the files `connection` names. */
function openApp(connection: Connection) {
  const access = loadAccess(connection);
  const ui = renderApp({ admin: adminClientFor(bind, 5000, access), access, bind, intervalMs: 300 });
  open.push(ui);
  return {
    ...drive(ui),
  };
}

async function members(): Promise<string[]> {
  return (await cluster.admin(0).show()).meta.map((m) => m.httpAddr);
}

test("with the CA and the secret file, the table shows the secured cluster and its leader", async () => {
  const leader = cluster.nodes[await cluster.leaderIndex()].httpAddr;
  const app = openApp(secured);
  await app.waitFor("3 up nodes", /3\/3 voters up/);
  // Raft states come from each node's /status, which refuses a request without a token.
  await app.waitFor("every node's state", /(?: follower .*){2}/s);
  assert.match(app.frame(), new RegExp(`leader ${esc(leader)}`));
  assert.match(app.frame(), new RegExp(`${esc(leader)} +ok +\\S+ LEADER`));
  for (const n of cluster.nodes) assert.match(app.frame(), new RegExp(`meta +\\d ${esc(n.httpAddr)} +ok`));
});

test("without credentials the admin service's refusal is shown, with the flags to add, and keys still work", async () => {
  const app = openApp({ tls: secured.tls, jwt: null });
  await app.waitFor("the refusal", /refused: /);
  const reason = String.raw`refused: authorization failed \(needs credentials: -secret-file FILE\)`;
  assert.match(prose(app.frame()), new RegExp(`admin service ${esc(bind)} ${reason}`), "the header");
  assert.match(
    prose(app.frame()),
    new RegExp(String.raw`\d\d:\d\d:\d\d admin service ${reason}`),
    "the events",
  );
  assert.doesNotMatch(app.frame(), /unreachable/);
  await app.type("r");
  await app.type("?");
  await app.waitFor("the help", /any other key closes this help/);
  await app.type("x");
  assert.match(
    prose(app.frame()),
    new RegExp(`admin service ${esc(bind)} ${reason}`),
    "still running, still saying why",
  );

  // A wrong secret is refused too, with its own hint.
  const wrong = join(home, "wrong-secret");
  writeFileSync(wrong, "not-the-secret\n", { mode: 0o600 });
  const other = openApp({ tls: secured.tls, jwt: { user: "x", secretFile: wrong } });
  await other.waitFor("the refusal", /refused: /);
  assert.match(
    prose(other.frame()),
    /refused: authorization failed \(is -secret-file the cluster's shared secret\?\)/,
  );
});

test("d then y removes a follower of the secured cluster", async () => {
  const leaderIdx = await cluster.leaderIndex();
  const idx = cluster.nodes.findIndex((_, i) => i !== leaderIdx);
  const target = cluster.nodes[idx].httpAddr;
  const app = openApp(secured);
  await app.waitFor("first poll", /3\/3 voters up/);
  await app.type("g");
  for (let i = 0; i < 4 && !new RegExp(`^> .*${esc(target)}`, "m").test(app.frame()); i++)
    await app.type("j");
  await app.type("d");
  await app.waitFor("the plan", /y removes it/);
  await settle(CONFIRM_GRACE_MS + 50);
  await app.type("y");
  await app.waitFor("the outcome", new RegExp(`Removed meta node \\d at ${esc(target)}`));
  await app.waitFor("the table without it", /2\/2 voters up/);
  assert.ok(!(await members()).includes(target));
  await cluster.kill(idx, "SIGTERM"); // a blank node now: out of the way of the next test
});

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...ENV },
  });
  for (const out of [r.stdout, r.stderr]) assert.ok(!out.includes(secret), `the secret was printed: ${out}`);
  return r;
}

test("the executable: flags and a profile reach the secured cluster; errors name the flag or file", () => {
  const { caFile, sharedSecretFile } = cluster.security;
  const piped = run("-bind", bind, "-bind-tls", "-ca-file", caFile!, "-secret-file", sharedSecretFile!);
  assert.equal(piped.status, 0, piped.stderr);
  assert.match(piped.stdout, /^leader \S+ {2}2\/2 voters up, tolerates 0 failures {2}term \d+$/m);
  assert.equal((piped.stdout.match(/ LEADER /g) ?? []).length, 1);

  const anonymous = run("-bind", bind, "-bind-tls", "-ca-file", caFile!);
  assert.equal(anonymous.status, 3);
  assert.equal(
    anonymous.stderr,
    `influx-cluster: admin service ${bind}: authorization failed (needs credentials: -secret-file FILE)\n`,
  );
  const untrusted = run("-bind", bind, "-bind-tls", "-secret-file", sharedSecretFile!);
  assert.equal(untrusted.status, 3);
  assert.match(
    untrusted.stderr,
    /certificate not trusted.*\(trust its CA with -ca-file FILE, or skip verification with -k\)\n$/,
  );
  const insecure = run("-bind", bind, "-bind-tls", "-k", "-secret-file", sharedSecretFile!);
  assert.equal(insecure.status, 0, insecure.stderr);

  const missing = join(home, "no-such-secret");
  const unreadable = run("-bind", bind, "-bind-tls", "-ca-file", caFile!, "-secret-file", missing);
  assert.equal(unreadable.status, 3);
  assert.equal(unreadable.stderr, `influx-cluster: secret file ${missing}: cannot read it (ENOENT)\n`);
  const badCa = run(
    "-bind",
    bind,
    "-bind-tls",
    "-ca-file",
    sharedSecretFile!,
    "-secret-file",
    sharedSecretFile!,
  );
  assert.equal(badCa.status, 3);
  assert.equal(badCa.stderr, `influx-cluster: CA file ${sharedSecretFile} holds no PEM certificate\n`);
  const basic = run("-bind", bind, "-auth-type", "basic", "-user", "ops");
  assert.equal(basic.status, 64);
  assert.match(basic.stderr, /does not support basic authentication; use -auth-type jwt -secret-file FILE/);

  openSettings(ENV.INFLUX_CLUSTER_CONFIG_DIR).set("profiles", {
    secured: { bind, bindTls: true, caFile: caFile!, user: "ops", secretFile: sharedSecretFile! },
  });
  const shown = run("tui", "config", "show");
  assert.equal(shown.status, 0, shown.stderr);
  assert.equal(JSON.parse(shown.stdout).profiles.secured.secretFile, sharedSecretFile);
  const viaProfile = run("-profile", "secured");
  assert.equal(viaProfile.status, 0, viaProfile.stderr);
  assert.match(viaProfile.stdout, / LEADER /);
});

test("in a terminal with the profile: live table, removal plan, and nothing secret in the log file", async () => {
  const logFile = join(home, "tui.log");
  const env = Object.entries(ENV)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  const t = new Tmux(
    "secured",
    `env ${env} ${process.execPath} ${BIN} -profile secured -interval 300ms -log-file ${logFile}; echo EXIT=$?; sleep 60`,
  );
  sessions.push(t);
  await waitUntil(
    "the table",
    () => /2\/2 voters up/.test(t.capture()),
    undefined,
    () => t.capture(),
  );
  t.keys("j", "d");
  await waitUntil(
    "the plan",
    () => /y removes it/.test(t.capture()),
    undefined,
    () => t.capture(),
  );
  t.keys("n", "q");
  await waitUntil(
    "exit",
    () => /EXIT=0/.test(t.capture()),
    undefined,
    () => t.capture(),
  );
  assert.ok(!t.capture().includes(secret));

  const log = readFileSync(logFile, "utf8");
  assert.match(log, /"msg":"tui start"/);
  assert.match(log, /"tls":"verified","auth":"jwt as \\"ops\\""/);
  assert.match(log, /"msg":"removal asked; fetching plan"/);
  assert.ok(!log.includes(secret), "the secret is not in the log file");
  assert.ok(!log.includes(JWT_HEADER), "no token is in the log file");
});

/** The bundle holds neither the shared secret, nor a token, nor an Authorization header, nor the secret file's path. */
function noSecret(text: string, what: string): void {
  assert.ok(!text.includes(secret), `${what}: the shared secret is in the bundle`);
  assert.ok(!text.includes(JWT_HEADER), `${what}: a token is in the bundle`);
  assert.doesNotMatch(text, /bearer|"authorization"/i, `${what}: an Authorization header is in the bundle`);
  assert.ok(
    !text.includes(cluster.security.sharedSecretFile!),
    `${what}: the secret file's path is in the bundle`,
  );
}

/** The bundle's parts, each asked of the secured cluster with credentials. */
function bundleParts(text: string) {
  const b = JSON.parse(text) as {
    model: { health: string };
    show: { meta: unknown[] };
    status: { status?: { raft: unknown } }[];
    events: unknown[];
    timeline: { samples: string[] };
  };
  assert.notEqual(b.model.health, "unknown");
  assert.ok(b.show.meta.length > 0, "show, asked with credentials");
  assert.ok(
    b.status.some((s) => s.status?.raft),
    "a node's /status, asked with credentials",
  );
  assert.ok(Array.isArray(b.events) && b.timeline.samples.length > 0);
  return b;
}

test("the incident bundle, from b and from -bundle with a profile, holds the secured cluster's parts and no secret", async () => {
  const dir = mkdtempSync(join(home, "bundles-"));
  const { caFile, sharedSecretFile } = cluster.security;

  // b in the view.
  const access = loadAccess(secured);
  const ui = renderApp({
    admin: adminClientFor(bind, 5000, access),
    access,
    bind,
    intervalMs: 300,
    bundle: { dir },
  });
  open.push(ui);
  await waitUntil(
    "the table",
    () => /voters up/.test(plain(ui.lastFrame() ?? "")),
    undefined,
    () => ui.lastFrame() ?? "",
  );
  ui.stdin.write("b");
  await waitUntil(
    "the bundle",
    () => /incident bundle written to/.test(plain(ui.lastFrame() ?? "")),
    30_000,
    () => ui.lastFrame() ?? "",
  );
  const [file] = readdirSync(dir);
  const fromKey = readFileSync(join(dir, file), "utf8");
  bundleParts(fromKey);
  noSecret(fromKey, "b");

  // -bundle, with a profile naming the secret file (scrubbed from the bundle's copy of it).
  const saved = run(
    "-bind",
    bind,
    "-bind-tls",
    "-ca-file",
    caFile!,
    "-secret-file",
    sharedSecretFile!,
    "-save-profile",
    "bundled",
    "-json",
  );
  assert.ok([0, 1].includes(saved.status!), saved.stderr);
  const path = join(dir, "ticket.json");
  const r = run("-profile", "bundled", "-bundle", path);
  assert.ok([0, 1].includes(r.status!), r.stderr);
  const fromFlag = readFileSync(path, "utf8");
  const b = bundleParts(fromFlag) as unknown as {
    connection: { auth: string; profile: Record<string, unknown> };
  };
  assert.equal(b.connection.profile.secretFile, "[redacted]");
  assert.match(b.connection.auth, /^jwt/);
  noSecret(fromFlag, "-bundle");
});

test("in a terminal: t shows the timeline's term and nodes, b there writes a bundle without the secret, Tab says there are no data nodes", async () => {
  const { caFile, sharedSecretFile } = cluster.security;
  const dir = mkdtempSync(join(home, "tmux-bundle-"));
  const env = Object.entries(ENV)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  const flags = `-bind ${bind} -bind-tls -ca-file ${caFile} -secret-file ${sharedSecretFile} -interval 300ms`;
  // The session's cwd is where b writes the bundle.
  const t = new Tmux(
    "timeline",
    `cd ${dir} && env ${env} ${process.execPath} ${BIN} ${flags}; echo EXIT=$?; sleep 60`,
  );
  sessions.push(t);
  const shows = (what: string, re: RegExp) => t.shows(what, re);
  await shows("the table", /voters up/);
  // The meta nodes the table lists (an earlier test removed one): the timeline has a row for each.
  const listed = cluster.nodes.map((n) => n.httpAddr).filter((a) => t.capture().includes(a));
  assert.ok(listed.length >= 2, t.capture());

  t.keys("t");
  await shows("the timeline", /^TIMELINE/m);
  assert.match(t.capture(), /^term +.* term \d+ *$/m, "the term row");
  for (const addr of listed)
    assert.match(t.capture(), new RegExp(`^[1-9a-z] ${esc(addr)} .* (up|lag \\d+) *$`, "m"), `${addr}'s row`);

  t.keys("b");
  await shows("the bundle written", /incident bundle written to/);
  const files = readdirSync(dir);
  assert.equal(files.length, 1, `one bundle in the session's directory: ${files.join(", ")}`);
  assert.match(files[0], /^influx-cluster-bundle-.*\.json$/);
  const text = readFileSync(join(dir, files[0]), "utf8");
  assert.deepEqual(Object.keys(JSON.parse(text)), [
    "bundle",
    "format",
    "version",
    "writtenAt",
    "timeZone",
    "origin",
    "notes",
    "connection",
    "model",
    "show",
    "status",
    "events",
    "timeline",
  ]);
  bundleParts(text);
  noSecret(text, "b in a terminal");

  t.keys("Escape", "Tab");
  await shows("the data tier", /Data nodes \(0\)/);
  assert.match(t.capture(), /no data nodes in the cluster/);
  t.keys("Escape", "q");
  await shows("exit", /EXIT=0/);
});
