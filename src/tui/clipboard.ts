/**
 * Copying to the operator's clipboard with OSC 52, the escape sequence terminals (xterm, kitty,
 * iTerm2, WezTerm, Windows Terminal, foot; tmux with `set-clipboard on`) turn into a clipboard
 * write. It works over SSH, where no local clipboard tool could. A terminal cannot say whether it
 * took the write, so the message names the cases where it is known not to, and the one to check.
 */

export interface CopyPlan {
  /** What to write to the terminal; null when the terminal cannot take it. */
  sequence: string | null;
  /** For the status line. */
  message: string;
  ok: boolean;
}

export function planCopy(text: string, env: NodeJS.ProcessEnv, isTTY: boolean): CopyPlan {
  if (!isTTY)
    return {
      sequence: null,
      ok: false,
      message: `not copied: no terminal to send it to; the address is ${text}`,
    };
  if (env.TERM === "dumb")
    return {
      sequence: null,
      ok: false,
      message: `not copied: TERM=dumb has no clipboard escape (OSC 52); the address is ${text}`,
    };
  const osc = `\x1b]52;c;${Buffer.from(text, "utf8").toString("base64")}\x07`;
  if (env.TMUX)
    return {
      sequence: osc,
      ok: true,
      message: `copied ${text} (OSC 52; inside tmux this needs "set -g set-clipboard on", else tmux refuses it)`,
    };
  if (env.STY)
    return {
      sequence: null,
      ok: false,
      message: `not copied: GNU screen does not pass clipboard escapes (OSC 52) on; the address is ${text}`,
    };
  return { sequence: osc, ok: true, message: `copied ${text} to the clipboard (OSC 52)` };
}
