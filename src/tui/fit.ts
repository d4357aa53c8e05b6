/**
 * Fitting a line of separate facts into a narrow terminal without cutting a word: each fact has
 * forms from long to short, and the least important facts shrink, then go, first. What is left is
 * whole words (a cut "r refre…" in the key bar or "polled 03…" in the header told nothing).
 */

export interface Segment<T = unknown> {
  /** Forms from the longest to the shortest; each is drawn as is. */
  forms: string[];
  /** Lower survives longer. */
  priority: number;
  /** May disappear when even its shortest form does not fit. */
  droppable: boolean;
  /** Carried through for the caller (colours). */
  data?: T;
}

export interface Fitted<T = unknown> {
  text: string;
  data?: T;
}

/** The segments in display order, each in the form chosen, joined by `gap`; null when none fits. */
export function fitSegments<T>(segments: Segment<T>[], width: number, gap = "  "): Fitted<T>[] {
  const form = segments.map(() => 0);
  const kept = segments.map(() => true);
  const length = () =>
    segments.reduce((sum, s, i) => (kept[i] ? sum + s.forms[form[i]].length + gap.length : sum), 0) -
    gap.length;
  const order = segments.map((_, i) => i).sort((a, b) => segments[b].priority - segments[a].priority);
  while (length() > width) {
    const shrink = order.find((i) => kept[i] && form[i] < segments[i].forms.length - 1);
    const drop = order.find((i) => kept[i] && segments[i].droppable);
    // Shrink the least important fact that can still shrink, unless a less important one can go.
    const pick =
      shrink !== undefined && (drop === undefined || segments[shrink].priority >= segments[drop].priority)
        ? { i: shrink, how: "shrink" as const }
        : drop !== undefined
          ? { i: drop, how: "drop" as const }
          : null;
    if (!pick) break;
    if (pick.how === "shrink") form[pick.i]++;
    else kept[pick.i] = false;
  }
  return segments.flatMap((s, i) => (kept[i] ? [{ text: s.forms[form[i]], data: s.data }] : []));
}

/**
 * Whole chips of a key bar that fit in `width`, in order, and how many were left out. When some
 * are left out, `more(n)` is appended if it fits (it should point at the help).
 */
export function fitChips(chips: string[], width: number, more: (n: number) => string, gap = "  "): string {
  let line = "";
  let i = 0;
  for (; i < chips.length; i++) {
    const next = line ? line + gap + chips[i] : chips[i];
    if (next.length > width) break;
    line = next;
  }
  if (i === chips.length) return line;
  // Make room for the "more" hint by giving back chips from the end, whole.
  let shown = i;
  for (;;) {
    const hint = more(chips.length - shown);
    const base = chips.slice(0, shown).join(gap);
    const withHint = base ? base + gap + hint : hint;
    if (withHint.length <= width || shown === 0) return withHint.length <= width ? withHint : base;
    shown--;
  }
}
