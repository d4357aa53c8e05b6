// The whole App on a REAL local cluster, for the live tests: keys typed as a terminal sends them,
// frames read as the operator sees them.
import assert from "node:assert/strict";
import { after, afterEach, before } from "node:test";
import { render } from "ink-testing-library";
import { startLocalCluster, type LocalCluster } from "../../src/demo/local-cluster.ts";
import { adminPoolFor, loadAccess } from "../../src/tui/access.ts";
import { App, type SessionHooks } from "../../src/tui/components/App.tsx";
import { silentLogger } from "../../src/tui/log.ts";
import { noColorTheme } from "../../src/tui/theme.ts";
import { prose } from "./frame.ts";
import { drive } from "./harness.tsx";
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
 *  `session`); `open` collects it for unmounting. */
export function openApp(cluster: LocalCluster, open: { unmount(): void }[], session?: SessionHooks) {
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
      session={session}
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
