/**
 * Copying to the operator's clipboard. Outside a multiplexer: OSC 52, the escape sequence
 * terminals (xterm, kitty, iTerm2, WezTerm, Windows Terminal, foot) turn into a clipboard write;
 * it works over SSH, where no local clipboard tool could. Inside tmux or GNU screen, OSC 52 is
 * swallowed unless the multiplexer is configured to pass it (tmux `set-clipboard on`; screen never
 * does), which on a bastion is the normal case; so the text goes into the multiplexer's own paste
 * buffer, through its command line (`tmux load-buffer`, `screen -X readbuf`), and the message
 * says where it went or, when that failed, that nothing was copied.
 */

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface CopyResult {
  ok: boolean;
  /** For the status line: where the text went, or why it did not. */
  message: string;
}

/** The outside world the copy touches: injected so the choice is testable. */
export interface CopyDeps {
  /** Runs a command with `input` on stdin; null when it succeeded, else why not. */
  run(command: string, args: string[], input: string, env: NodeJS.ProcessEnv): string | null;
  /** Writes an escape sequence to the terminal. */
  write(sequence: string): void;
}

/** A multiplexer command must not hang the view: it gets this long. */
const COMMAND_TIMEOUT_MS = 2000;

export const realCopyDeps = (write: (s: string) => void): CopyDeps => ({
  run(command, args, input, env) {
    const r = spawnSync(command, args, { input, env, timeout: COMMAND_TIMEOUT_MS, encoding: "utf8" });
    if (r.error)
      return (r.error as NodeJS.ErrnoException).code === "ENOENT" ? `${command} not found` : r.error.message;
    if (r.status !== 0) return (r.stderr || `exit ${r.status}`).trim().split("\n")[0];
    return null;
  },
  write,
});

function osc52(text: string): string {
  return `\x1b]52;c;${Buffer.from(text, "utf8").toString("base64")}\x07`;
}

export function copyText(text: string, env: NodeJS.ProcessEnv, isTTY: boolean, deps: CopyDeps): CopyResult {
  if (!isTTY) return { ok: false, message: `not copied: no terminal to send it to; the address is ${text}` };
  if (env.TMUX) {
    // -w also hands it to the outer terminal's clipboard where tmux may (tmux 3.2+); older tmux
    // refuses -w, so the plain buffer is tried next.
    const failed =
      deps.run("tmux", ["load-buffer", "-w", "-"], text, env) &&
      deps.run("tmux", ["load-buffer", "-"], text, env);
    return failed
      ? { ok: false, message: `not copied: tmux load-buffer failed (${failed}); the address is ${text}` }
      : { ok: true, message: `copied ${text} to tmux's paste buffer (prefix ] pastes it)` };
  }
  if (env.STY) {
    // screen reads its paste buffer from a file; the file is private and removed after.
    const dir = mkdtempSync(join(tmpdir(), "influx-cluster-copy-"));
    const file = join(dir, "buffer");
    try {
      writeFileSync(file, text, { mode: 0o600 });
      const failed = deps.run("screen", ["-S", env.STY, "-X", "readbuf", file], "", env);
      if (failed)
        return {
          ok: false,
          message: `not copied: screen readbuf failed (${failed}); the address is ${text}`,
        };
      return { ok: true, message: `copied ${text} to screen's paste buffer (C-a ] pastes it)` };
    } finally {
      // screen -X returns once the command is queued; it reads the file soon after.
      setTimeout(() => rmSync(dir, { recursive: true, force: true }), 2000).unref();
    }
  }
  if (env.TERM === "dumb")
    return {
      ok: false,
      message: `not copied: TERM=dumb has no clipboard escape (OSC 52); the address is ${text}`,
    };
  deps.write(osc52(text));
  return {
    ok: true,
    message: `copied ${text} to the clipboard (OSC 52: the terminal cannot confirm it took it)`,
  };
}
