// Against a REAL local cluster (four influxd processes on loopback): the live table, a node that
// dies, the confirm and force dialogs, removal, read-only.
import { after, afterEach, before, test } from "node:test";
import assert from "node:assert/strict";
import { render } from "ink-testing-library";
import { App } from "../../src/tui/components/App.tsx";
import { silentLogger } from "../../src/tui/log.ts";
import type { ClusterSnapshot } from "../../src/tui/model.ts";
import { ClusterPoller } from "../../src/tui/poller.ts";
import { CONFIRM_GRACE_MS } from "../../src/tui/state.ts";
import { noColorTheme } from "../../src/tui/theme.ts";
import { startLocalCluster, type LocalCluster } from "../../src/demo/local-cluster.ts";
import { prose } from "./frame.ts";
import { drive, KEY, settle } from "./harness.tsx";
import { waitUntil } from "./wait.ts";

const INTERVAL = 300;
let cluster: LocalCluster;

before(async () => {
  cluster = await startLocalCluster({ size: 4 });
});
// A failed assertion must not leave an app polling (the test process would never end).
const open: { unmount(): void }[] = [];
afterEach(() => {
  for (const app of open.splice(0)) app.unmount();
});
after(async () => {
  await cluster?.stop();
});

function openApp(readOnly: string | null = null) {
  const admin = cluster.admin(0);
  const ui = render(
    <App
      admin={admin}
      intervalMs={INTERVAL}
      timeoutMs={1000}
      theme={noColorTheme}
      readOnly={readOnly}
      context={{ bind: cluster.nodes[0].adminAddr, profileName: null, logFile: null }}
      logger={silentLogger()}
    />,
  );
  const app = drive(ui);
  const frame = app.frame;
  open.push(ui);
  return {
    ...app,
    /** Selects the row of `httpAddr` with j/k (the table is sorted by ID). */
    async select(httpAddr: string) {
      await this.type("g");
      for (
        let i = 0;
        i < 8 && !new RegExp(`^> .*${httpAddr.replace(/\./g, "\\.")}`, "m").test(frame());
        i++
      ) {
        await this.type("j");
      }
      assert.match(frame(), new RegExp(`^> .*${httpAddr.replace(/\./g, "\\.")}`, "m"));
    },
    unmount: () => ui.unmount(),
  };
}

const esc = (s: string) => s.replace(/\./g, "\\.");
async function members(): Promise<string[]> {
  return (await cluster.admin(0).show()).meta.map((m) => m.httpAddr);
}

test("the table shows every node and marks the leader", async () => {
  const leader = cluster.nodes[await cluster.leaderIndex()].httpAddr;
  const app = openApp();
  await app.waitFor("4 up nodes", /4\/4 voters up/);
  const frame = app.frame();
  assert.match(frame, new RegExp(`leader ${esc(leader)}`));
  assert.match(frame, new RegExp(`${esc(leader)} +ok +\\S+ LEADER`));
  for (const n of cluster.nodes) assert.match(frame, new RegExp(`meta +\\d ${esc(n.httpAddr)} +ok`));
  assert.equal((frame.match(/ follower /g) ?? []).length, 3);
  app.unmount();
});

test("read-only refuses d with a message and asks the admin service nothing", async () => {
  const app = openApp("-read-only");
  await app.waitFor("first poll", /voters up/);
  await app.type("j", "d");
  assert.match(app.frame(), /read-only \(-read-only\): removing nodes is disabled/);
  assert.doesNotMatch(app.frame(), /Remove meta node/);
  assert.equal((await members()).length, 4);
  app.unmount();
});

test("the remove dialog shows the admin service's plan and defaults to cancel", async () => {
  const leaderIdx = await cluster.leaderIndex();
  const target = cluster.nodes.find((_, i) => i !== leaderIdx)!.httpAddr;
  const app = openApp();
  await app.waitFor("first poll", /4\/4 voters up/);
  await app.select(target);
  await app.type("d");
  await app.waitFor("the plan", /y removes it/);
  const dialog = prose(app.frame());
  assert.match(dialog, new RegExp(`Remove meta node ${esc(target)} \\(id \\d\\)\\?`));
  assert.match(dialog, /It is not the leader\./);
  assert.match(
    dialog,
    /4 voters, tolerates 1 failure → 3 voters, tolerates 1 failure; quorum after removal: 2 of 3 \(3 reachable\)\./,
  );
  await app.type(KEY.enter);
  assert.match(app.frame(), /cancelled; nothing was changed/);
  assert.equal((await members()).length, 4, "Enter cancelled: the node is still a member");
  app.unmount();
});

test("y removes a reachable node and the table updates", async () => {
  const leaderIdx = await cluster.leaderIndex();
  const idx = cluster.nodes.findIndex((_, i) => i !== leaderIdx);
  const target = cluster.nodes[idx].httpAddr;
  const app = openApp();
  await app.waitFor("first poll", /4\/4 voters up/);
  await app.select(target);
  await app.type("d");
  await app.waitFor("the plan", /y removes it/);
  // A y typed as the plan appears is ignored: it was meant for something else.
  await app.type("y");
  assert.match(app.frame(), /Remove meta node/, "y within 300 ms of the plan confirms nothing");
  assert.ok((await members()).includes(target));
  await settle(CONFIRM_GRACE_MS + 50);
  await app.type("y");
  await app.waitFor(
    "the outcome",
    new RegExp(`Removed meta node \\d at ${esc(target)}\\. Its meta dir was wiped`),
  );
  await app.waitFor("the table without it", /3\/3 voters up/);
  // The voter count can drop one poll before the row goes: the configuration changes when the
  // removal is appended, the metadata record when it is applied, and a poll may fall between.
  await waitUntil("the row to go", () => !new RegExp(`meta +(nv +)?\\d+ ${esc(target)}`).test(app.frame()));
  assert.match(app.frame(), new RegExp(`meta node \\d at ${esc(target)} removed from the cluster`));
  assert.ok(!(await members()).includes(target));
  app.unmount();
  await cluster.kill(idx, "SIGTERM"); // now a blank node; out of the way of the next tests
});

test("a killed node shows DOWN within two polls, and keys work meanwhile", async () => {
  const leaderIdx = await cluster.leaderIndex();
  const current = await members();
  const victimIdx = cluster.nodes.findIndex((n, i) => i !== leaderIdx && current.includes(n.httpAddr));
  const victim = cluster.nodes[victimIdx].httpAddr;

  // The poller itself: at most two snapshots after the kill may still show the node up (the poll
  // in flight when it died, then the next one must see it).
  const snaps: ClusterSnapshot[] = [];
  const poller = new ClusterPoller({
    admin: cluster.admin(0),
    timeoutMs: 1000,
    onSnapshot: (s) => snaps.push(s),
  });
  poller.start(INTERVAL);
  await waitUntil("a first poll", () => snaps.length > 0);

  const app = openApp();
  await app.waitFor("first poll", /3\/3 voters up/);
  await cluster.kill(victimIdx);
  const killedAt = snaps.length;
  await app.type("G");
  const before = app.frame().match(/^> .*$/m)?.[0];
  await app.type("g");
  assert.notEqual(app.frame().match(/^> .*$/m)?.[0], before, "selection moves while nodes are being polled");
  await app.waitFor("DOWN", new RegExp(`${esc(victim)} +DOWN +- DOWN`));
  assert.match(app.frame(), /2\/3 voters up - quorum at risk/);
  assert.match(
    app.frame(),
    new RegExp(`meta node \\d at ${esc(victim)} is DOWN \\(connection (refused|reset)\\)`),
  );

  await waitUntil("the poller to see it", () =>
    snaps.slice(killedAt).some((s) => s.rows.some((r) => r.httpAddr === victim && r.up === false)),
  );
  const firstDown = snaps
    .slice(killedAt)
    .findIndex((s) => s.rows.some((r) => r.httpAddr === victim && r.up === false));
  assert.ok(firstDown <= 1, `DOWN in snapshot ${firstDown + 1} after the kill`);
  await poller.stop();
  app.unmount();
});

test("the force dialog refuses a wrongly typed address, then force-removes the dead node", async () => {
  const current = await members();
  const victimIdx = cluster.nodes.findIndex((n, i) => !cluster.isRunning(i) && current.includes(n.httpAddr));
  assert.notEqual(victimIdx, -1, "the previous test left a dead member");
  const victim = cluster.nodes[victimIdx].httpAddr;
  const app = openApp();
  await app.waitFor("DOWN", new RegExp(`${esc(victim)} +DOWN`));
  await app.select(victim);
  await app.type("d");
  await app.waitFor("the force dialog", /Type \S+ and press Enter/);
  const dialog = prose(app.frame());
  assert.match(dialog, new RegExp(`FORCE-remove meta node ${esc(victim)}`));
  assert.match(dialog, /could not be reached/);
  assert.match(dialog, /do not restart that node with its old data/);

  const wrong = victim.replace(/\d$/, (d) => String((Number(d) + 1) % 10));
  await settle(CONFIRM_GRACE_MS + 50);
  await app.type(wrong, KEY.enter);
  assert.match(prose(app.frame()), new RegExp(`"${esc(wrong)}" is not ${esc(victim)}; nothing was removed`));
  assert.ok((await members()).includes(victim), "a wrong address removes nothing");

  await app.type(...Array(wrong.length).fill(KEY.backspace), victim, KEY.enter);
  await app.waitFor(
    "the outcome",
    new RegExp(`Removed meta node \\d at ${esc(victim)}\\. Its meta dir was not wiped`),
  );
  await app.waitFor("the table without it", /2\/2 voters up/);
  assert.ok(!(await members()).includes(victim));
  app.unmount();
});
