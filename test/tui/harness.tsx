// Test helpers: render the real Screen with the real key router and store, record what the
// handlers were asked to do, and wait for Ink/React to flush.
import { render } from "ink-testing-library";
import { useEffect } from "react";
import { App, type AppProps } from "../../src/tui/components/App.tsx";
import { Screen } from "../../src/tui/components/Screen.tsx";
import { silentLogger } from "../../src/tui/log.ts";
import type { AppState } from "../../src/tui/state.ts";
import { noColorTheme, type Theme } from "../../src/tui/theme.ts";
import { useKeys, type KeyHandlers } from "../../src/tui/use-keys.ts";
import { useStore } from "../../src/tui/use-store.ts";
import { runCommand } from "../../src/tui/palette.ts";
import { plain } from "./frame.ts";
import { waitUntil } from "./wait.ts";

export const KEY = {
  up: "\x1b[A",
  down: "\x1b[B",
  enter: "\r",
  esc: "\x1b",
  backspace: "\x7f",
  ctrlC: "\x03",
  tab: "\t",
} as const;

/** Lets React flush and Ink re-register input handlers (setImmediate, then a timer turn). */
export async function settle(ms = 20): Promise<void> {
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setTimeout(r, ms));
}

export const CONTEXT = {
  bind: "127.0.0.1:8084",
  profileName: null,
  logFile: null,
  notes: ["demo cluster: pids node1 101, node2 102, node3 103; kill one to see it go DOWN"],
};

export interface Calls {
  quit: number;
  refresh: number;
  askRemove: (string | null)[];
  confirmRemove: number;
  copy: string[];
  planAdd: string[];
  confirmAdd: number;
  restart: string[];
  profiles: string[];
}

function Harness({
  init,
  calls,
  expose,
  theme,
}: {
  init: AppState;
  calls: Calls;
  expose: (current: () => AppState) => void;
  theme: Theme;
}) {
  const [state, dispatch, current] = useStore(() => init);
  useEffect(() => expose(current), [current, expose]);
  const handlers: KeyHandlers = {
    quit: () => calls.quit++,
    refresh: () => calls.refresh++,
    askRemove: (row) => {
      calls.askRemove.push(row?.httpAddr ?? null);
      if (row) dispatch({ type: "removeAsked", row, at: 0 });
    },
    confirmRemove: () => calls.confirmRemove++,
    openDetail: () => dispatch({ type: "detailOpen" }),
    copy: (row) => calls.copy.push(row.httpAddr),
    planAdd: (httpAddr) => calls.planAdd.push(httpAddr),
    confirmAdd: () => calls.confirmAdd++,
    restart: (row) => calls.restart.push(row.httpAddr),
    // The real palette, as the app wires it.
    runCommand: (line) =>
      runCommand(line, {
        state: current(),
        dispatch,
        on: handlers,
        text: "",
        now: Date.now(),
        switchProfile: (name) => calls.profiles.push(name),
      }),
  };
  useKeys(current, dispatch, handlers, true);
  return <Screen state={state} theme={theme} context={CONTEXT} />;
}

/** Renders `init` with live keys; `type` sends bytes one key at a time, like a terminal. */
export async function withKeys(init: AppState, theme: Theme = noColorTheme) {
  const calls: Calls = {
    quit: 0,
    refresh: 0,
    askRemove: [],
    confirmRemove: 0,
    copy: [],
    planAdd: [],
    confirmAdd: 0,
    restart: [],
    profiles: [],
  };
  let current: () => AppState = () => init;
  const ui = render(<Harness init={init} calls={calls} expose={(c) => (current = c)} theme={theme} />);
  await settle();
  return {
    calls,
    state: () => current(),
    frame: () => ui.lastFrame() ?? "",
    async type(...keys: string[]) {
      for (const k of keys) {
        ui.stdin.write(k);
        await settle(5);
      }
      await settle();
    },
    unmount: () => ui.unmount(),
  };
}

/** Drives a rendered app as a terminal would: its plain frame, keys one at a time, waiting for text. */
export function drive(ui: { lastFrame(): string | undefined; stdin: { write(data: string): unknown } }) {
  const frame = () => plain(ui.lastFrame() ?? "");
  return {
    frame,
    async type(...keys: string[]) {
      for (const k of keys) {
        ui.stdin.write(k);
        await settle(5);
      }
      await settle();
    },
    waitFor: (what: string, re: RegExp, timeoutMs?: number) =>
      waitUntil(what, () => re.test(frame()), timeoutMs, frame),
  };
}

/**
 * The whole App as the tests open it on a real cluster: no colour, a silent log, 1 s deadlines,
 * writable, talking through `bind`; `props` add to or override that.
 */
export function renderApp(
  props: Pick<AppProps, "admin" | "intervalMs"> & Partial<AppProps> & { bind: string },
) {
  const { bind, ...rest } = props;
  return render(
    <App
      timeoutMs={1000}
      theme={noColorTheme}
      readOnly={null}
      context={{ bind, profileName: null, logFile: null }}
      logger={silentLogger()}
      {...rest}
    />,
  );
}
