// Reading rendered frames: strip escapes, measure lines, find colour escapes.

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07/g;

export function plain(frame: string): string {
  return frame.replace(ANSI, "");
}

export function lines(frame: string): string[] {
  return plain(frame).split("\n");
}

/** SGR colour escapes: foreground/background 30-37, 40-47, 90-97, 100-107, 38;…/48;… (256 and true colour). */
// eslint-disable-next-line no-control-regex
export const COLOR_ESCAPE = /\x1b\[(?:[0-9;]*;)?(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])(?:;[0-9;]*)?m/;

// eslint-disable-next-line no-control-regex
export const ANY_ESCAPE = /\x1b\[/;

export function widest(frame: string): number {
  return Math.max(0, ...lines(frame).map((l) => [...l].length));
}

/** The frame's words in order, borders removed and whitespace collapsed: for asserting on wrapped text. */
export function prose(frame: string): string {
  return plain(frame)
    .replace(/[│╭╮╰╯─|+]/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}
