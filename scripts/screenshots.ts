// `npm run screenshots`: pictures of the TUI's main views, from a REAL local cluster. Starts three
// influxd processes (src/demo/local-cluster.ts), then the demo's cluster with its data nodes for
// the data tier (src/demo/demo-cluster.ts), polls them with the TUI's own poller, asks the
// admin service for real removal plans, renders each view with Ink, replays the ANSI output in a
// headless xterm, draws the screen as SVG and rasterises it to screenshots/*.png with resvg.
//
// chalk (inside Ink) fixes its colour level when it loads, so the script re-runs itself with
// FORCE_COLOR=3 before anything imports Ink.
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

if (process.env.FORCE_COLOR !== "3") {
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: "3" };
  delete env.NO_COLOR;
  const r = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url)], {
    stdio: "inherit",
    env,
  });
  process.exit(r.status ?? 1);
}

const COLUMNS = 112;
const ROWS = 26;
const OUT = new URL("../screenshots/", import.meta.url);

const React = await import("react");
const { renderToString } = await import("ink");
const { Terminal } = await import("@xterm/headless");
const { Resvg } = await import("@resvg/resvg-js");
const { startLocalCluster } = await import("../src/demo/local-cluster.ts");
const { startDemoCluster } = await import("../src/demo/demo-cluster.ts");
const { clientFor } = await import("../src/client/detect.ts");
const { fetchHealth } = await import("../src/tui/data-ops.ts");
const { planAdd } = await import("../src/tui/add-node.ts");
const { fetchStatus } = await import("../src/tui/node-status.ts");
const { PLAIN_HTTP } = await import("../src/util/http-client.ts");
const { ClusterPoller } = await import("../src/tui/poller.ts");
const { Screen } = await import("../src/tui/components/Screen.tsx");
const { initialState, reducer } = await import("../src/tui/state.ts");
const { colorTheme } = await import("../src/tui/theme.ts");
const { chartWidth } = await import("../src/tui/timeline.ts");
const { screenToSvg } = await import("../src/tui/term-svg.ts");
type AppState = import("../src/tui/state.ts").AppState;
type Action = import("../src/tui/state.ts").Action;

async function toPng(
  name: string,
  state: AppState,
  context: { bind: string; profileName: string | null; notes?: string[] },
) {
  const ansi = renderToString(
    React.createElement(Screen, {
      state,
      theme: colorTheme,
      context: { ...context, logFile: "~/.local/state/influx-cluster/tui.log" },
    }),
    { columns: COLUMNS },
  );
  const term = new Terminal({ cols: COLUMNS, rows: ROWS, allowProposedApi: true });
  await new Promise<void>((resolve) => term.write(ansi.replace(/\n/g, "\r\n"), resolve));
  const buffer = term.buffer.active;
  const svg = screenToSvg(
    { cols: COLUMNS, rows: ROWS, cell: (x, y) => buffer.getLine(y)?.getCell(x) },
    { title: "influx-cluster" },
  );
  const png = new Resvg(svg, {
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans Mono" },
    fitTo: { mode: "zoom", value: 2 },
  })
    .render()
    .asPng();
  writeFileSync(new URL(`${name}.png`, OUT), png);
  term.dispose();
  process.stdout.write(`screenshots/${name}.png\n`);
}

mkdirSync(OUT, { recursive: true });
const cluster = await startLocalCluster({ size: 3 });
try {
  const admin = cluster.admin(0);
  const poller = new ClusterPoller({ admin, timeoutMs: 2000, onSnapshot: () => undefined });
  const context = { bind: cluster.nodes[0].adminAddr, profileName: "demo" };
  const size = { columns: COLUMNS, rows: ROWS };
  const run = (actions: Action[]) => actions.reduce(reducer, initialState({ ...size, readOnly: null }));

  // The timeline: the leader killed, then restarted, as the view records it (a poll every 250 ms,
  // through an admin service beside another node), with the cursor on the election.
  const killed = await cluster.leaderIndex();
  const watcher = (killed + 1) % 3;
  const timelinePoller = new ClusterPoller({
    admin: cluster.admin(watcher),
    timeoutMs: 1000,
    onSnapshot: () => undefined,
  });
  const recorded: Action[] = [];
  const pollFor = async (count: number) => {
    for (let i = 0; i < count; i++) {
      recorded.push({ type: "snapshot", snapshot: await timelinePoller.pollOnce() });
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  await pollFor(24);
  await cluster.kill(killed);
  await pollFor(30);
  await cluster.restart(killed);
  await pollFor(24);
  await timelinePoller.stop();
  const recordedState = run([...recorded, { type: "timelineOpen" }]);
  const samples = recordedState.timeline.samples;
  const elections = samples.flatMap((s, i) => (s.leaderChanged && s.leader !== null ? [i] : []));
  const election = elections.at(-1) ?? samples.length - 1;
  await toPng(
    "timeline",
    reducer(recordedState, {
      type: "timelineNav",
      nav: { cursor: -(samples.length - 1 - election), chartWidth: chartWidth(COLUMNS) },
    }),
    { bind: cluster.nodes[watcher].adminAddr, profileName: "demo" },
  );

  const leaderIdx = await cluster.leaderIndex();
  const followerIdx = [0, 1, 2].filter((i) => i !== leaderIdx);
  const victim = cluster.nodes[followerIdx[1]];

  const healthy = await poller.pollOnce();
  const healthyActions: Action[] = [
    { type: "snapshot", snapshot: healthy },
    { type: "move", delta: 1 },
  ];
  await toPng("healthy", run(healthyActions), context);
  // Maintenance what-if: the selected follower marked going down; nothing is touched.
  await toPng("what-if", run([...healthyActions, { type: "markToggle", at: Date.now() }]), context);

  // The command palette, its commands (from the key table) listed as the operator types.
  await toPng(
    "palette",
    run([...healthyActions, { type: "paletteOpen" }, { type: "paletteType", text: "re" }]),
    context,
  );

  // The rolling-restart guide in progress: its first node (the first follower) stopped for its restart.
  await cluster.kill(followerIdx[0]);
  const restarting = await poller.pollOnce();
  await toPng(
    "rolling-restart",
    run([
      { type: "snapshot", snapshot: healthy },
      { type: "rollingStart", at: Date.now() },
      { type: "snapshot", snapshot: restarting },
    ]),
    context,
  );
  await cluster.restart(followerIdx[0]);
  await cluster.waitFor("the restarted node back", async () => (await poller.pollOnce()).votersUp === 3);

  const target = healthy.rows.find((r) => r.httpAddr === cluster.nodes[followerIdx[0]].httpAddr)!;
  const plan = await admin.planRemoveMeta(target.httpAddr, false);
  await toPng(
    "remove-dialog",
    run([
      ...healthyActions,
      { type: "removeAsked", row: target, at: Date.now() },
      { type: "planLoaded", httpAddr: target.httpAddr, plan, force: false, forceReason: null, at: 0 },
    ]),
    context,
  );

  await cluster.kill(followerIdx[1]);
  const down = await poller.pollOnce();
  const downActions: Action[] = [
    { type: "snapshot", snapshot: healthy },
    { type: "snapshot", snapshot: down },
    { type: "moveTo", where: "last" },
  ];
  await toPng("node-down", run(downActions), context);

  const dead = down.rows.find((r) => r.httpAddr === victim.httpAddr)!;
  const unforced = await admin.planRemoveMeta(dead.httpAddr, false);
  const forced = await admin.planRemoveMeta(dead.httpAddr, true);
  await toPng(
    "force-dialog",
    run([
      ...downActions,
      { type: "removeAsked", row: dead, at: Date.now() },
      {
        type: "planLoaded",
        httpAddr: dead.httpAddr,
        plan: forced,
        force: true,
        forceReason: unforced.refusal,
        at: 0,
      },
      { type: "forceType", text: dead.httpAddr.slice(0, 7) },
    ]),
    context,
  );

  await toPng("help", run([...downActions, { type: "help", open: true }]), {
    ...context,
    notes: [
      `Node PIDs: ${cluster.nodes.map((n) => `${n.name} ${n.pid}`).join(", ")}; kill one to see it go DOWN.`,
    ],
  });

  // The details of the dead node's neighbour: its own /status, and the DOWN node's last event.
  const survivor = down.rows.find((r) => r.httpAddr === cluster.nodes[followerIdx[0]].httpAddr)!;
  const answer = await fetchStatus(survivor.httpAddr, PLAIN_HTTP, 2000);
  const rowIndex = (key: string) => down.rows.findIndex((r) => r.key === key);
  await toPng(
    "detail",
    run([
      ...downActions,
      { type: "moveTo", where: "first" },
      { type: "move", delta: rowIndex(survivor.key) },
      { type: "detailOpen" },
      { type: "detailStatus", key: survivor.key, ...answer },
    ]),
    context,
  );

  // Force-remove the dead node, restart it blank, and show the way back: the events history, then `a`.
  const removed = await admin.removeMeta(dead.httpAddr, { force: true });
  const afterRemoval = await poller.pollOnce();
  const historyActions: Action[] = [
    ...downActions,
    { type: "status", text: "sorted by STATE", tone: "info", at: Date.now(), transient: true },
    { type: "removeDone", httpAddr: dead.httpAddr, result: removed, at: Date.now() },
    { type: "snapshot", snapshot: afterRemoval },
  ];
  await toPng("events", run([...historyActions, { type: "eventsOpen" }]), context);

  // What its operator would do: wipe its meta dir, start it again, blank.
  rmSync(join(victim.dir, "meta"), { recursive: true, force: true });
  await cluster.restart(followerIdx[1]);
  const addPlan = await planAdd(dead.httpAddr, afterRemoval, PLAIN_HTTP, 2000);
  await toPng(
    "add-dialog",
    run([
      ...historyActions,
      { type: "addStart" },
      { type: "addType", text: dead.httpAddr },
      { type: "addSubmit" },
      // As it looks once the 300 ms in which y is ignored have passed.
      { type: "addPlanned", httpAddr: dead.httpAddr, plan: addPlan, at: Date.now() - 1000 },
    ]),
    context,
  );
  await poller.stop();
} finally {
  await cluster.stop();
}

// The data tier (Tab) of the demo's cluster: its data nodes and the replica health, the empty
// node (added last, as the demo adds it) selected; then `b`: the rebalance plan onto it.
const demo = await startDemoCluster({ size: 3, dataNodes: 3, secure: false });
try {
  const bind = demo.cluster.nodes[0].adminAddr;
  const poller = new ClusterPoller({
    admin: demo.cluster.admin(0),
    timeoutMs: 2000,
    onSnapshot: () => undefined,
  });
  const api = clientFor("admin", bind, PLAIN_HTTP, 5000);
  const empty = demo.dataNodes.at(-1)!.tcpAddr;
  const dataActions: Action[] = [
    { type: "snapshot", snapshot: await poller.pollOnce() },
    { type: "dataHealth", health: await fetchHealth(api, 5000) },
    { type: "dataOpen" },
    { type: "dataSelect", tcpAddr: empty },
  ];
  const run = (actions: Action[]) =>
    actions.reduce(reducer, initialState({ columns: COLUMNS, rows: ROWS, readOnly: null }));
  const context = { bind, profileName: "demo" };
  await toPng("data-tier", run(dataActions), context);
  await toPng(
    "rebalance",
    run([
      ...dataActions,
      { type: "rebalanceAsked" },
      // As it looks once the moment in which y is ignored has passed.
      { type: "rebalancePlanned", plan: await api.rebalancePlan(), at: Date.now() - 1000 },
    ]),
    context,
  );
  await poller.stop();
} finally {
  await demo.stop();
}
