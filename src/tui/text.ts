/** Fitting plain text into terminal cells (the TUI only shows ASCII addresses and its own words). */

/** Pads or cuts `text` to exactly `width` characters; a cut is marked with "…". */
export function fit(text: string, width: number, align: "left" | "right" = "left"): string {
  const chars = [...text];
  if (chars.length > width)
    return width <= 1 ? chars.slice(0, width).join("") : chars.slice(0, width - 1).join("") + "…";
  return align === "left" ? text.padEnd(width) : text.padStart(width);
}

/** Word-wraps `text` into lines of at most `width` characters (long words are cut). */
export function wrapText(text: string, width: number): string[] {
  const w = Math.max(1, width);
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const piece = word.length > w ? word.slice(0, w - 1) + "…" : word;
    if (!line) line = piece;
    else if (line.length + 1 + piece.length <= w) line += " " + piece;
    else {
      lines.push(line);
      line = piece;
    }
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

export function clock(at: number): string {
  return new Date(at).toTimeString().slice(0, 8);
}
