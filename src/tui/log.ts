/**
 * The TUI never writes logs to the screen (Ink owns it): it logs JSON lines to a file under the
 * XDG state dir, ~/.local/state/influx-cluster/tui.log (XDG_STATE_HOME respected).
 */

import { homedir } from "node:os";
import { join } from "node:path";
import pino, { type Logger } from "pino";

export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (process.platform === "darwin") return join(homedir(), "Library", "Logs", "influx-cluster");
  if (process.platform === "win32")
    return join(env.LOCALAPPDATA ?? join(homedir(), "AppData", "Local"), "influx-cluster", "Log");
  return join(env.XDG_STATE_HOME || join(homedir(), ".local", "state"), "influx-cluster");
}

export function defaultLogFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), "tui.log");
}

export function createFileLogger(file: string): Logger {
  return pino({ base: { pid: process.pid } }, pino.destination({ dest: file, mkdir: true, sync: true }));
}

/** For tests and one-shot output: logs nothing. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
