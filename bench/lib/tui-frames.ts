/**
 * Frame cost of the TUI's live view, in-process: the real Screen, key router and store rendered
 * by Ink (same maxFps as the app, real log-update diffing) to a terminal-sized stdout double,
 * then keys and poll snapshots fed in one at a time, timing each until its frame is written.
 *
 * Import this only after Ink was loaded with the CI markers removed (see loadInteractive in
 * src/tui/cli.ts): in CI Ink prints nothing but the last frame, and there would be no frames to time.
 */

import { EventEmitter } from "node:events";
import { render, type Instance } from "ink";
import { createElement, useEffect } from "react";
import { Screen } from "../../src/tui/components/Screen.tsx";
import type { ClusterSnapshot } from "../../src/tui/model.ts";
import { initialState, reducer, type Action, type AppState } from "../../src/tui/state.ts";
import { colorTheme } from "../../src/tui/theme.ts";
import { useKeys, type KeyHandlers } from "../../src/tui/use-keys.ts";
import { useStore } from "../../src/tui/use-store.ts";

/** A terminal for Ink: fixed size, remembers when it was last written to. */
class TerminalOut extends EventEmitter {
  readonly isTTY = true;
  bytes = 0;
  writes = 0;
  private waiter: (() => void) | null = null;

  constructor(
    readonly columns: number,
    readonly rows: number,
  ) {
    super();
  }

  write = (chunk: string | Uint8Array): boolean => {
    this.bytes += chunk.length;
    this.writes++;
    const w = this.waiter;
    this.waiter = null;
    w?.();
    return true;
  };

  /** Resolves at the next write; rejects if none comes within `timeoutMs`. */
  nextWrite(what: string, timeoutMs = 2000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`no frame was written within ${timeoutMs} ms after ${what}`));
      }, timeoutMs);
      this.waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** Keyboard input for Ink: what a raw-mode terminal delivers, one key per write. */
class TerminalIn extends EventEmitter {
  readonly isTTY = true;
  private pending: string | null = null;
  write(data: string): void {
    this.pending = data;
    this.emit("readable");
  }
  read = (): string | null => {
    const data = this.pending;
    this.pending = null;
    return data;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

const CONTEXT = { bind: "127.0.0.1:8084", profileName: null, logFile: null };
const NO_HANDLERS: KeyHandlers = {
  quit() {},
  refresh() {},
  askRemove() {},
  confirmRemove() {},
  openDetail() {},
  copy() {},
  planAdd() {},
  confirmAdd() {},
};

/** Screen + key router + store, as App wires them, minus polling: snapshots come from `expose`'s dispatch. */
function LiveView({ init, expose }: { init: AppState; expose: (dispatch: (a: Action) => void) => void }) {
  const [state, dispatch, current] = useStore(() => init);
  useEffect(() => expose(dispatch), [dispatch, expose]);
  useKeys(current, dispatch, NO_HANDLERS, true);
  return createElement(Screen, { state, theme: colorTheme, context: CONTEXT });
}

export interface Frame {
  /** From handing the key (or snapshot) over to the frame being written (wall time). */
  ms: number;
  /** CPU time this process used meanwhile: unlike `ms`, not stretched by other processes' load. */
  cpuMs: number;
  /** Of which Ink turning its tree into the frame's text (Ink's onRender renderTime). */
  inkOutputMs: number;
}

export interface FrameSession {
  /** Sends one key and waits for its frame. */
  key(bytes: string): Promise<Frame>;
  /** Delivers one poll's snapshot and waits for its frame. */
  snapshot(snapshot: ClusterSnapshot): Promise<Frame>;
  /** Bytes written to the terminal so far (log-update writes only what changed). */
  readonly bytesWritten: number;
  unmount(): void;
}

// The app renders at most 20 frames a second (interactive.tsx): keys further apart than that
// are each drawn at once (the throttle's leading edge), so every timing is one whole frame.
const MAX_FPS = 20;
const GAP_MS = Math.ceil(1000 / MAX_FPS) + 10;

/**
 * Renders the live view with `first` already polled (then `prepare`d: e.g. a history recorded and
 * a view opened); resolves once the first frame is written.
 */
export async function openFrames(
  first: ClusterSnapshot,
  size: { columns: number; rows: number },
  prepare: (state: AppState) => AppState = (state) => state,
): Promise<{ session: FrameSession; firstFrame: Frame }> {
  const out = new TerminalOut(size.columns, size.rows);
  const input = new TerminalIn();
  const init = prepare(
    reducer(initialState({ ...size, readOnly: null }), { type: "snapshot", snapshot: first }),
  );
  let dispatch: ((a: Action) => void) | null = null;
  let inkOutputMs = 0;
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const written = out.nextWrite("the first render");
  const instance: Instance = render(createElement(LiveView, { init, expose: (d) => (dispatch = d) }), {
    stdout: out as unknown as NodeJS.WriteStream,
    stdin: input as unknown as NodeJS.ReadStream,
    stderr: out as unknown as NodeJS.WriteStream,
    exitOnCtrlC: false,
    patchConsole: false,
    maxFps: MAX_FPS,
    onRender: ({ renderTime }) => (inkOutputMs += renderTime),
  });
  await written;
  const firstFrame = { ms: performance.now() - started, cpuMs: cpuMsSince(cpu0), inkOutputMs };

  const timed = async (what: string, act: () => void): Promise<Frame> => {
    await new Promise((r) => setTimeout(r, GAP_MS));
    inkOutputMs = 0;
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    const frame = out.nextWrite(what);
    act();
    await frame;
    return { ms: performance.now() - t0, cpuMs: cpuMsSince(cpu), inkOutputMs };
  };
  const session: FrameSession = {
    key: (bytes) => timed(`key ${JSON.stringify(bytes)}`, () => input.write(bytes)),
    snapshot: (snapshot) =>
      timed("a snapshot", () => {
        if (!dispatch) throw new Error("the view has not mounted");
        dispatch({ type: "snapshot", snapshot });
      }),
    get bytesWritten() {
      return out.bytes;
    },
    unmount: () => {
      instance.unmount();
      instance.cleanup();
    },
  };
  return { session, firstFrame };
}
