// Driving the real executable in a terminal: a private tmux server (its own socket, so a tmux the
// developer runs is never touched), send-keys, capture-pane.
import { execFileSync } from "node:child_process";
import { waitUntil } from "./wait.ts";

export class Tmux {
  private readonly socket = `influx-cluster-test-${process.pid}`;

  constructor(
    readonly session: string,
    command: string,
    size = { columns: 110, rows: 30 },
  ) {
    this.tmux(
      "new-session",
      "-d",
      "-s",
      session,
      "-x",
      String(size.columns),
      "-y",
      String(size.rows),
      command,
    );
  }

  private tmux(...args: string[]): string {
    return execFileSync("tmux", ["-L", this.socket, "-f", "/dev/null", ...args], { encoding: "utf8" });
  }

  /** The visible screen as text; with `escapes`, with the colour and attribute sequences too. */
  capture(escapes = false): string {
    return this.tmux("capture-pane", "-p", ...(escapes ? ["-e"] : []), "-t", this.session);
  }

  /** Waits until the screen matches `re`; a timeout shows the last screen. */
  shows(what: string, re: RegExp): Promise<void> {
    return waitUntil(
      what,
      () => re.test(this.capture()),
      undefined,
      () => this.capture(),
    );
  }

  keys(...keys: string[]): void {
    for (const k of keys) this.tmux("send-keys", "-t", this.session, k);
  }

  /** tmux's newest paste buffer (what prefix ] would paste). */
  buffer(): string {
    return this.tmux("show-buffer");
  }

  /** Whether the program in the pane is in the alternate screen. */
  alternateOn(): boolean {
    return this.tmux("display", "-p", "-t", this.session, "#{alternate_on}").trim() === "1";
  }

  /** PID of the process the pane's shell runs (the executable under test). */
  programPid(): number {
    const shell = this.tmux("display", "-p", "-t", this.session, "#{pane_pid}").trim();
    return Number(execFileSync("pgrep", ["-P", shell], { encoding: "utf8" }).trim().split("\n")[0]);
  }

  kill(): void {
    try {
      this.tmux("kill-server");
    } catch {
      // already gone
    }
  }
}
