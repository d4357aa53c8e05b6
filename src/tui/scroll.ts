/**
 * A list taller than its lines: which rows show from `top`, and how many are above and below.
 * When they do not all fit, the last line is kept to say so (the timeline's node rows and a data
 * node's shards scroll alike).
 */
export interface ScrollWindow {
  /** First row shown (`top` pulled back so the last row ends the window, never past it). */
  top: number;
  /** How many rows show. */
  room: number;
  above: number;
  below: number;
  /** The rows do not all fit: the line after them says how many are above and below. */
  scrolls: boolean;
}

export function scrollWindow(total: number, top: number, lines: number): ScrollWindow {
  const height = Math.max(lines, 0);
  // One line is too few to give up for the count: it shows a row.
  const scrolls = total > height && height > 1;
  const room = scrolls ? height - 1 : height;
  const first = Math.min(Math.max(top, 0), Math.max(0, total - room));
  const shown = Math.min(room, total - first);
  return { top: first, room, above: first, below: total - first - shown, scrolls };
}
