/**
 * Colours and text attributes. Ink and chalk ignore NO_COLOR, so the TUI chooses its theme itself:
 * the colourless themes leave every colour unset, and state is always also spelled out as text
 * (DOWN, LEADER), so nothing depends on colour alone.
 */

import type { Tone } from "./events.ts";

export interface Theme {
  name: "color" | "no-color" | "dumb";
  /** Ink colour names; undefined = the terminal's default foreground. */
  tone: Record<Tone, string | undefined>;
  accent: string | undefined;
  dim: boolean;
  bold: boolean;
  /** Selected row drawn in reverse video (besides the ">" marker every theme shows). */
  inverse: boolean;
}

export const colorTheme: Theme = {
  name: "color",
  tone: { info: undefined, ok: "green", warn: "yellow", error: "red" },
  accent: "cyan",
  dim: true,
  bold: true,
  inverse: true,
};

/** NO_COLOR / -no-color: no colours, but bold and reverse video are not colours and stay. */
export const noColorTheme: Theme = {
  name: "no-color",
  tone: { info: undefined, ok: undefined, warn: undefined, error: undefined },
  accent: undefined,
  dim: false,
  bold: true,
  inverse: true,
};

/** TERM=dumb: the terminal understands no escape sequences at all. */
export const dumbTheme: Theme = { ...noColorTheme, name: "dumb", bold: false, inverse: false };

export function chooseTheme(opts: { noColorFlag: boolean; env: NodeJS.ProcessEnv }): Theme {
  if (opts.env.TERM === "dumb") return dumbTheme;
  // no-color.org: set and not empty disables colour.
  if (opts.noColorFlag || (opts.env.NO_COLOR ?? "") !== "") return noColorTheme;
  return colorTheme;
}
