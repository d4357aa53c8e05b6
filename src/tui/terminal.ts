/**
 * The terminal around the Ink app: the alternate screen (so the operator's scrollback survives and
 * full-height frames never clear it) and putting the terminal back on every way out — q, Ctrl-C,
 * SIGTERM, SIGHUP, SIGINT from outside, an uncaught error, or a plain process exit.
 */

import { EXIT } from "./exit-codes.ts";

const ENTER_ALT = "\x1b[?1049h\x1b[2J\x1b[H";
const LEAVE_ALT = "\x1b[?1049l";
const SHOW_CURSOR = "\x1b[?25h";

export interface TerminalSession {
  /** Leaves the alternate screen and shows the cursor; safe to call more than once. */
  restore(): void;
}

export function enterAlternateScreen(stdout: NodeJS.WriteStream): TerminalSession {
  let active = true;
  stdout.write(ENTER_ALT);
  const restore = () => {
    if (!active) return;
    active = false;
    process.removeListener("exit", restore);
    stdout.write(LEAVE_ALT + SHOW_CURSOR);
  };
  // Last resort: whatever ends the process, the operator gets their screen back.
  process.on("exit", restore);
  return { restore };
}

/** Exit codes 128+N for the signals that end the TUI. */
const SIGNAL_CODES = { SIGINT: EXIT.sigint, SIGTERM: EXIT.sigterm, SIGHUP: EXIT.sighup } as const;

export type ExitCause =
  { signal: keyof typeof SIGNAL_CODES; code: number } | { error: unknown; code: number };

/**
 * Calls `onExit` once for the first signal or uncaught error; returns a function that removes the
 * handlers (on a normal exit).
 */
export function onAbnormalExit(onExit: (cause: ExitCause) => void): () => void {
  let fired = false;
  const fire = (cause: ExitCause) => {
    if (fired) return;
    fired = true;
    onExit(cause);
  };
  const handlers = Object.entries(SIGNAL_CODES).map(([signal, code]) => {
    const h = () => fire({ signal: signal as keyof typeof SIGNAL_CODES, code });
    process.on(signal, h);
    return [signal, h] as const;
  });
  const onError = (error: unknown) => fire({ error, code: EXIT.internal });
  process.on("uncaughtException", onError);
  process.on("unhandledRejection", onError);
  return () => {
    for (const [signal, h] of handlers) process.removeListener(signal, h);
    process.removeListener("uncaughtException", onError);
    process.removeListener("unhandledRejection", onError);
  };
}
