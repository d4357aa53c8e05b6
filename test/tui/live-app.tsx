// The whole App on a REAL local cluster, for the live tests: keys typed as a terminal sends them,
// frames read as the operator sees them.
import assert from "node:assert/strict";
import { after, afterEach, before } from "node:test";
import { startLocalCluster, type LocalCluster } from "../../src/demo/local-cluster.ts";
import { adminPoolFor, loadAccess } from "../../src/tui/access.ts";
import type { SessionHooks } from "../../src/tui/components/App.tsx";
import { prose } from "./frame.ts";
import { drive, renderApp } from "./harness.tsx";
import { waitUntil } from "./wait.ts";

/** A regular expression matching `s` literally. */
export const esc = (s: string) => s.replace(/\./g, "\\.");

/**
 * A real cluster of `size` nodes for the file's tests: started before them (handed to `use`),
 * stopped after them. Returns the list `openApp` fills; those views are unmounted after each test.
 */
export function liveCluster(size: number, use: (cluster: LocalCluster) => void): { unmount(): void }[] {
  let cluster: LocalCluster | undefined;
  const open: { unmount(): void }[] = [];
  before(async () => {
    cluster = await startLocalCluster({ size });
    use(cluster);
  });
  afterEach(() => {
    for (const app of open.splice(0)) app.unmount();
  });
  after(async () => {
    await cluster?.stop();
  });
  return open;
}

/** Opens the view on `cluster` through every node's admin service (as the demo does with its
 *  `session`; bundles go to `bundleDir`); `open` collects it for unmounting. */
export function openApp(
  cluster: LocalCluster,
  open: { unmount(): void }[],
  opts: { session?: SessionHooks; intervalMs?: number; bundleDir?: string } = {},
) {
  const access = loadAccess({ tls: null, jwt: null });
  const admin = adminPoolFor(
    cluster.nodes.map((n) => n.adminAddr),
    10_000,
    access,
  );
  const ui = renderApp({
    admin,
    access,
    bind: admin.bind,
    intervalMs: opts.intervalMs ?? 300,
    // A stopped node refuses at once; a live one slowed by a loaded machine is still counted up.
    timeoutMs: 3000,
    env: { TERM: "xterm-256color" },
    session: opts.session,
    bundle: opts.bundleDir ? { dir: opts.bundleDir } : undefined,
  });
  open.push(ui);
  const { frame, type } = drive(ui);
  return {
    frame,
    type,
    text: () => prose(ui.lastFrame() ?? ""),
    /** The frame's first line that starts with `start` ("" when none does). */
    line: (start: string) =>
      frame()
        .split("\n")
        .find((l) => l.startsWith(start)) ?? "",
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
