// The TUI managing a cluster through a meta node's API directly (-bind host:8091), against a
// stand-in answering as Go (InfluxDB Enterprise-compatible) meta nodes do: the live table with
// what Go does not report shown as unknown, a killed node going DOWN, and removals through the
// same plan and dialogs.
import { afterEach, test } from "node:test";
import assert from "node:assert/strict";
import { render } from "ink-testing-library";
import { MetaApi } from "../../src/client/meta-api.ts";
import { App } from "../../src/tui/components/App.tsx";
import { silentLogger } from "../../src/tui/log.ts";
import { CONFIRM_GRACE_MS } from "../../src/tui/state.ts";
import { noColorTheme } from "../../src/tui/theme.ts";
import type { PeerAccess } from "../../src/util/http-client.ts";
import { GO_VERSION, GoMetaCluster, type StandinOptions } from "../support/go-meta-standin.ts";
import { prose } from "./frame.ts";
import { drive, KEY, settle } from "./harness.tsx";

const INTERVAL = 300;
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const esc = (s: string) => s.replace(/[.[\]]/g, "\\$&");

async function openApp(opts: { meta: number; data?: number; auth?: StandinOptions["auth"] }) {
  const go = await GoMetaCluster.start({ ...opts, registered: opts.data });
  cleanup.push(() => go.stop());
  const basic = opts.auth && Buffer.from(`${opts.auth.user}:${opts.auth.password}`).toString("base64");
  const access: PeerAccess = basic
    ? { scheme: "http", headers: () => ({ authorization: `Basic ${basic}` }) }
    : { scheme: "http" };
  const api = new MetaApi({ bind: go.nodes[1].httpAddr, access, timeoutMs: 1000 });
  const ui = render(
    <App
      admin={api}
      access={access}
      intervalMs={INTERVAL}
      timeoutMs={1000}
      theme={noColorTheme}
      readOnly={null}
      context={{ bind: api.bind, api: "meta", profileName: null, logFile: null }}
      logger={silentLogger()}
    />,
  );
  cleanup.push(() => ui.unmount());
  const driven = drive(ui);
  const frame = driven.frame;
  const app = {
    go,
    ...driven,
    async select(httpAddr: string) {
      const selected = new RegExp(`^> .*${esc(httpAddr)}`, "m");
      await app.type("g");
      for (let i = 0; i < 8 && !selected.test(frame()); i++) await app.type("j");
      assert.match(frame(), selected);
    },
  };
  return app;
}

test("the table shows the Go meta nodes, the leader and versions; what Go does not report is -, with a note", async () => {
  const app = await openApp({ meta: 3, data: 1 });
  const [leader, ...followers] = app.go.nodes;
  await app.waitFor("the first poll", /3\/3 voters up/);
  const frame = app.frame();
  assert.match(frame, new RegExp(`meta API ${esc(app.go.nodes[1].httpAddr)}`));
  assert.match(frame, new RegExp(`leader ${esc(leader.httpAddr)} `));
  assert.match(frame, /term - \((- = )?not reported( by these nodes)?\)/);
  // Version shortened to the column's width (1.8.11-…).
  const version = esc(GO_VERSION.slice(0, 7));
  assert.match(frame, new RegExp(`meta +1 ${esc(leader.httpAddr)} +ok +\\S+ LEADER +- +- +- ${version}`));
  for (const f of followers)
    assert.match(frame, new RegExp(`meta +\\d ${esc(f.httpAddr)} +ok +\\S+ - +- +- +- ${version}`));
  assert.match(frame, new RegExp(`data +4 ${esc(app.go.dataNodes[0].httpAddr)} +ok`));
  assert.doesNotMatch(frame, /follower/, "a Go node's Raft state is never guessed");
});

test("a killed Go meta node shows DOWN, and the quorum warning", async () => {
  const app = await openApp({ meta: 3 });
  const victim = app.go.nodes[2];
  await app.waitFor("the first poll", /3\/3 voters up/);
  await app.go.kill(victim);
  await app.waitFor("DOWN", new RegExp(`${esc(victim.httpAddr)} +DOWN`));
  await app.waitFor("the quorum line", /2\/3 voters up - quorum at risk/);
});

test("d then y removes a live follower through its /leave; the table follows", async () => {
  const app = await openApp({ meta: 3 });
  const target = app.go.nodes[2];
  await app.waitFor("the first poll", /3\/3 voters up/);
  await app.select(target.httpAddr);
  await app.type("d");
  await app.waitFor("the plan", /y removes it/);
  const dialog = prose(app.frame());
  assert.match(dialog, new RegExp(`Remove meta node ${esc(target.httpAddr)} \\(id 3\\)\\?`));
  assert.match(dialog, /It is not the leader\./);
  assert.match(
    dialog,
    /3 voters, tolerates 1 failure → 2 voters, tolerates 0 failures \(LOWERS fault tolerance\); quorum after removal: 2 of 2 \(2 reachable\)\./,
  );
  assert.deepEqual(app.go.requestsTo("/leave"), [], "nothing is sent before y");
  await settle(CONFIRM_GRACE_MS + 50);
  await app.type("y");
  await app.waitFor(
    "the outcome",
    new RegExp(`Removed meta node 3 at ${esc(target.httpAddr)}\\. Its meta dir was wiped`),
  );
  await app.waitFor("the table without it", /2\/2 voters up/);
  assert.deepEqual(
    app.go.log.filter((r) => r.method === "POST").map((r) => `${r.node} ${r.path} ${r.status}`),
    [`${target.httpAddr} /leave 204`, `${app.go.nodes[0].httpAddr} /remove 204`],
  );
  assert.ok(target.blank);
});

test("a dead node: the force dialog, the address typed, removed through the leader's /remove", async () => {
  const app = await openApp({ meta: 3 });
  const victim = app.go.nodes[2];
  await app.waitFor("the first poll", /3\/3 voters up/);
  await app.go.kill(victim);
  await app.waitFor("DOWN", new RegExp(`${esc(victim.httpAddr)} +DOWN`));
  await app.select(victim.httpAddr);
  await app.type("d");
  await app.waitFor("the force dialog", /Type \S+ and press Enter/);
  assert.match(prose(app.frame()), /force is needed: .*could not be reached/);
  assert.doesNotMatch(prose(app.frame()), /use -force/, "the view has no -force flag");
  await settle(CONFIRM_GRACE_MS + 50);
  await app.type(victim.httpAddr, KEY.enter);
  await app.waitFor(
    "the outcome",
    new RegExp(`Removed meta node 3 at ${esc(victim.httpAddr)}\\. Its meta dir was not wiped`),
  );
  await app.waitFor("the table without it", /2\/2 voters up/);
  assert.deepEqual(
    app.go.requestsTo("/remove").map((r) => [r.node, r.form.httpAddr, r.status]),
    [
      [app.go.nodes[1].httpAddr, victim.httpAddr, 307],
      [app.go.nodes[0].httpAddr, victim.httpAddr, 204],
    ],
  );
});

test("auth-enabled Go meta nodes: every node is up although /ping wants credentials", async () => {
  const app = await openApp({ meta: 3, auth: { user: "admin", password: "s3cret" } });
  await app.waitFor("the first poll", /3\/3 voters up/);
  assert.match(app.frame(), new RegExp(`leader ${esc(app.go.nodes[0].httpAddr)} `));
  assert.doesNotMatch(app.frame(), /DOWN/);
});
