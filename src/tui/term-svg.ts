/**
 * Turns a terminal screen (an @xterm/headless buffer, or anything shaped like it) into an SVG
 * picture: one background rectangle per coloured run, one text element per run of cells with the
 * same style, each cell at a fixed column so alignment never depends on font metrics. Used by
 * `npm run screenshots`.
 */

export interface CellLike {
  getChars(): string;
  getWidth(): number;
  getFgColor(): number;
  getBgColor(): number;
  isFgRGB(): boolean;
  isBgRGB(): boolean;
  isFgPalette(): boolean;
  isBgPalette(): boolean;
  isBold(): number;
  isDim(): number;
  isInverse(): number;
}

export interface ScreenLike {
  cols: number;
  rows: number;
  cell(x: number, y: number): CellLike | undefined;
}

/** A dark theme: the 16 ANSI colours, then default foreground and background. */
const ANSI16 = [
  "#1d1f21",
  "#e06c75",
  "#98c379",
  "#e5c07b",
  "#61afef",
  "#c678dd",
  "#56b6c2",
  "#c5c8c6",
  "#5c6370",
  "#ff7a85",
  "#b5e890",
  "#ffd88a",
  "#82c4ff",
  "#e099ff",
  "#7fd8e3",
  "#ffffff",
];
const FG = "#d7dae0";
const BG = "#16181d";

function palette(n: number): string {
  if (n < 16) return ANSI16[n];
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return `rgb(${v},${v},${v})`;
  }
  const i = n - 16;
  const level = (c: number) => (c === 0 ? 0 : 55 + c * 40);
  return `rgb(${level(Math.floor(i / 36))},${level(Math.floor(i / 6) % 6)},${level(i % 6)})`;
}

function colour(rgb: boolean, pal: boolean, value: number, fallback: string): string {
  if (rgb) return `#${value.toString(16).padStart(6, "0")}`;
  if (pal) return palette(value);
  return fallback;
}

interface Style {
  fg: string;
  bg: string | null;
  bold: boolean;
  dim: boolean;
}

function styleOf(cell: CellLike): Style {
  let fg = colour(cell.isFgRGB(), cell.isFgPalette(), cell.getFgColor(), FG);
  let bg: string | null = colour(cell.isBgRGB(), cell.isBgPalette(), cell.getBgColor(), "");
  if (cell.isInverse()) [fg, bg] = [bg || BG, fg];
  return { fg, bg: bg || null, bold: !!cell.isBold(), dim: !!cell.isDim() };
}

const same = (a: Style, b: Style) => a.fg === b.fg && a.bg === b.bg && a.bold === b.bold && a.dim === b.dim;

/**
 * Box-drawing characters as strokes (to the cell edges, so borders join up whatever the line
 * height): which of the cell's sides each one reaches, and whether it is a rounded corner.
 */
const BOX: Record<string, { up?: boolean; down?: boolean; left?: boolean; right?: boolean }> = {
  "│": { up: true, down: true },
  "─": { left: true, right: true },
  "╭": { down: true, right: true },
  "╮": { down: true, left: true },
  "╰": { up: true, right: true },
  "╯": { up: true, left: true },
};

function boxPath(ch: string, x: number, y: number, w: number, h: number): string | null {
  const box = BOX[ch];
  if (!box) return null;
  const cx = x + w / 2;
  const cy = y + h / 2;
  const f = (n: number) => n.toFixed(2);
  const parts: string[] = [];
  if (box.up) parts.push(`M${f(cx)} ${f(y)}V${f(cy)}`);
  if (box.down) parts.push(`M${f(cx)} ${f(cy)}V${f(y + h)}`);
  if (box.left) parts.push(`M${f(x)} ${f(cy)}H${f(cx)}`);
  if (box.right) parts.push(`M${f(cx)} ${f(cy)}H${f(x + w)}`);
  return parts.join("");
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function screenToSvg(screen: ScreenLike, opts: { fontSize?: number; title?: string } = {}): string {
  const fontSize = opts.fontSize ?? 14;
  const cw = fontSize * 0.602; // advance of DejaVu Sans Mono
  const lh = Math.round(fontSize * 1.3);
  const pad = 14;
  const top = opts.title ? 30 : pad;
  const width = Math.ceil(screen.cols * cw + pad * 2);
  const height = Math.ceil(screen.rows * lh + top + pad);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="100%" height="100%" rx="8" fill="${BG}"/>`,
  ];
  if (opts.title) {
    out.push(
      ...["#ff5f57", "#febc2e", "#28c840"].map(
        (c, i) => `<circle cx="${pad + 6 + i * 18}" cy="15" r="6" fill="${c}"/>`,
      ),
      `<text x="${width / 2}" y="19" fill="#8b8f98" font-family="DejaVu Sans, sans-serif" font-size="12" text-anchor="middle">${escapeXml(opts.title)}</text>`,
    );
  }
  const strokes: string[] = [];
  out.push(`<g font-family="DejaVu Sans Mono, monospace" font-size="${fontSize}" xml:space="preserve">`);
  for (let y = 0; y < screen.rows; y++) {
    let x = 0;
    while (x < screen.cols) {
      const first = screen.cell(x, y);
      if (!first) break;
      const style = styleOf(first);
      let text = "";
      let end = x;
      while (end < screen.cols) {
        const c = screen.cell(end, y);
        if (!c || !same(styleOf(c), style)) break;
        const ch = c.getChars();
        const path = boxPath(ch, pad + end * cw, top + y * lh, cw, lh);
        if (path) {
          strokes.push(`<path d="${path}" stroke="${style.fg}" stroke-width="1.2" fill="none"/>`);
          text += " ";
        } else if (c.getWidth() > 0) text += ch || " ";
        end++;
      }
      const px = (pad + x * cw).toFixed(2);
      const py = top + y * lh;
      if (style.bg) {
        out.push(
          `<rect x="${px}" y="${py}" width="${((end - x) * cw).toFixed(2)}" height="${lh}" fill="${style.bg}"/>`,
        );
      }
      if (text.trim()) {
        const attrs = [`x="${px}"`, `y="${py + Math.round(lh * 0.78)}"`, `fill="${style.fg}"`];
        if (style.bold) attrs.push(`font-weight="bold"`);
        if (style.dim) attrs.push(`opacity="0.6"`);
        // textLength pins the run to its cells even if a glyph comes from a fallback font.
        attrs.push(`textLength="${((end - x) * cw).toFixed(2)}"`, `lengthAdjust="spacingAndGlyphs"`);
        out.push(`<text ${attrs.join(" ")}>${escapeXml(text)}</text>`);
      }
      x = end;
    }
  }
  out.push("</g>", ...strokes, "</svg>");
  return out.join("\n");
}
