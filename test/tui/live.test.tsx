// The operator's day on a REAL local cluster: a node's details from its own /status, adding a
// removed node back from the view, and the view moving to another member's admin service when the
// node it talks through is removed.
import { after, afterEach, before, test } from "node:test";
import assert from "node:assert/strict";
import { render } from "ink-testing-library";
import { startLocalCluster, type LocalCluster } from "../../src/demo/local-cluster.ts";
import { adminPoolFor, loadAccess } from "../../src/tui/access.ts";
import { App } from "../../src/tui/components/App.tsx";
import { silentLogger } from "../../src/tui/log.ts";
import { CONFIRM_GRACE_MS } from "../../src/tui/state.ts";
import { noColorTheme } from "../../src/tui/theme.ts";
import { prose } from "./frame.ts";
import { drive, KEY, settle } from "./harness.tsx";
import { waitUntil } from "./wait.ts";

let cluster: LocalCluster;
const open: { unmount(): void }[] = [];

before(async () => {
  cluster = await startLocalCluster({ size: 3 });
});
afterEach(() => {
  for (const app of open.splice(0)) app.unmount();
});
after(async () => {
  await cluster?.stop();
});

const esc = (s: string) => s.replace(/\./g, "\\.");

function openApp() {
  const access = loadAccess({ tls: null, jwt: null });
  const admin = adminPoolFor(
    cluster.nodes.map((n) => n.adminAddr),
    10_000,
    access,
  );
  const ui = render(
    <App
      admin={admin}
      access={access}
      intervalMs={300}
      timeoutMs={1000}
      theme={noColorTheme}
      readOnly={null}
      context={{ bind: admin.bind, profileName: null, logFile: null }}
      logger={silentLogger()}
      env={{ TERM: "xterm-256color" }}
    />,
  );
  open.push(ui);
  const { frame, type } = drive(ui);
  return {
    frame,
    type,
    text: () => prose(ui.lastFrame() ?? ""),
    waitFor: (what: string, re: RegExp, timeoutMs?: number) =>
      waitUntil(what, () => re.test(prose(ui.lastFrame() ?? "")), timeoutMs, frame),
    async select(httpAddr: string) {
      await this.type("g");
      for (let i = 0; i < 8 && !new RegExp(`^> .*${esc(httpAddr)}`, "m").test(frame()); i++)
        await this.type("j");
      assert.match(frame(), new RegExp(`^> .*${esc(httpAddr)}`, "m"));
    },
  };
}

async function members(): Promise<string[]> {
  return (await cluster.admin(1).show()).meta.map((m) => m.httpAddr);
}

test("Enter shows a node's own /status: its Raft state, the voters it sees, its leader; Esc goes back", async () => {
  const app = openApp();
  await app.waitFor("first poll", /3\/3 voters up/);
  const follower = cluster.nodes[(await cluster.leaderIndex()) === 1 ? 2 : 1];
  await app.select(follower.httpAddr);
  await app.type(KEY.enter);
  await app.waitFor("the node's /status", /Voters as this node sees them/);
  const text = app.text();
  assert.match(text, new RegExp(`meta node \\d at ${esc(follower.httpAddr)}`));
  assert.match(text, new RegExp(`Raft ${esc(follower.raftAddr)}; voter`));
  assert.match(text, /State follower, term \d+; server id \S+; version 0\.1\.0/);
  for (const n of cluster.nodes) assert.ok(text.includes(n.raftAddr), `voter ${n.raftAddr} listed`);
  assert.match(text, /Leader as this node sees it: 127\.0\.0\.1:\d+/);
  assert.match(text, /last contact with the leader (<1ms|\d+ms)/);
  await app.type(KEY.esc);
  await app.waitFor("the table", /ROLE +ID HTTP ADDRESS|HTTP ADDRESS/);
});

test("removing the node the view talks through: the dialog warns, then the view switches services", async () => {
  const app = openApp();
  await app.waitFor("first poll", /3\/3 voters up/);
  const connected = cluster.nodes[0];
  await app.select(connected.httpAddr);
  await app.type("d");
  await app.waitFor("the plan", /y removes it/);
  assert.match(app.text(), /this view talks to the admin service beside this node/);
  await settle(CONFIRM_GRACE_MS + 50);
  await app.type("y");
  await app.waitFor("the outcome", new RegExp(`Removed meta node \\d at ${esc(connected.httpAddr)}`), 30_000);
  await app.waitFor("another admin service", /switched to the admin service at 127\.0\.0\.1:\d+/, 30_000);
  await app.waitFor("the table without it", /2\/2 voters up/, 30_000);
  assert.doesNotMatch(
    app.frame().split("\n")[0],
    new RegExp(esc(connected.adminAddr)),
    "the header names the new service",
  );
  assert.ok(!(await members()).includes(connected.httpAddr));
});

test("a adds the removed (blank) node back: the plan from its /status, then the admin service's answer", async () => {
  const app = openApp();
  await app.waitFor("first poll", /2\/2 voters up/);
  const blank = cluster.nodes[0];
  assert.ok(!(await members()).includes(blank.httpAddr), "the previous test removed it");

  // An address nobody answers on: refused before anything is asked of the admin service.
  await app.type("a", "127.0.0.1:1", KEY.enter);
  await app.waitFor("the refusal", /REFUSED: meta node 127\.0\.0\.1:1 could not be reached/);
  await app.type("y");
  await app.waitFor("closed", /adding 127\.0\.0\.1:1 cancelled; nothing was changed/);

  await app.type("a", blank.httpAddr, KEY.enter);
  await app.waitFor("the plan", new RegExp(`Add meta node ${esc(blank.httpAddr)}\\?`));
  assert.match(
    app.text(),
    new RegExp(`It answers: Raft address ${esc(blank.raftAddr)}, state unbootstrapped`),
  );
  assert.match(app.text(), /Voters 2 → 3 once it has caught up/);
  await settle(CONFIRM_GRACE_MS + 50);
  const keyBar = () => app.frame().trimEnd().split("\n").at(-1) ?? "";
  assert.match(keyBar(), /y add/);
  assert.doesNotMatch(keyBar(), /\(wait\)/, "the key bar says y works once the 300 ms have passed");
  await app.type("y");
  await app.waitFor("the outcome", new RegExp(`Added meta node \\d+ at ${esc(blank.httpAddr)}`), 30_000);
  await app.waitFor("three voters again", /3\/3 voters up/, 30_000);
  assert.ok((await members()).includes(blank.httpAddr));
});

test("an open force dialog plans again when its node comes back: the plain dialog replaces it", async () => {
  const app = openApp();
  await app.waitFor("first poll", /3\/3 voters up/);
  const leader = await cluster.leaderIndex();
  const idx = [1, 2].find((i) => i !== leader)!;
  const node = cluster.nodes[idx];
  await cluster.kill(idx);
  await app.waitFor("DOWN", new RegExp(`${esc(node.httpAddr)} +DOWN`));
  await app.select(node.httpAddr);
  await app.type("d");
  await app.waitFor("the force dialog", new RegExp(`FORCE-remove meta node ${esc(node.httpAddr)}`));
  await cluster.restart(idx);
  await app.waitFor(
    "the plain dialog",
    new RegExp(`Remove meta node ${esc(node.httpAddr)} \\(id \\d\\)\\? .*quorum after removal`),
    30_000,
  );
  assert.doesNotMatch(app.text(), /FORCE-remove/);
  await app.type(KEY.esc);
  await app.waitFor("cancelled", /cancelled; nothing was changed/);
  assert.ok((await members()).includes(node.httpAddr), "nothing was removed");
});

test("every node restarted, in another order: the view never reports a removal that did not happen", async () => {
  const app = openApp();
  await app.waitFor("first poll", /3\/3 voters up/);
  for (const i of [0, 1, 2]) await cluster.kill(i);
  await app.waitFor("all DOWN", /0\/3 voters up/, 30_000);
  for (const i of [2, 0, 1]) {
    await cluster.restart(i);
    await settle(400); // at least one poll with only some of them back
  }
  await app.waitFor("all back", /3\/3 voters up/, 60_000);
  await app.type("e");
  await app.waitFor("the events view", /EVENTS \d+-\d+ of \d+/);
  await settle(1000); // a few more polls
  // The whole history, oldest first, a page at a time.
  await app.type("g");
  let history = "";
  for (let page = 0; page < 40; page++) {
    history += app.text() + "\n";
    if (/\(newest last\)/.test(app.text())) break;
    await app.type("\x1b[6~"); // PgDn
  }
  assert.match(history, /is DOWN/, "the history was read (the nodes went down)");
  assert.match(history, /is back up/);
  assert.doesNotMatch(history, /removed from the cluster|joined/, "no removal or join was made up");
  assert.deepEqual((await members()).sort(), cluster.nodes.map((n) => n.httpAddr).sort());
});
