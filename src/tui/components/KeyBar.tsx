import { Text } from "ink";
import { fitChips } from "../fit.ts";
import { keyBarItems } from "../keymap.ts";
import type { AppState } from "../state.ts";
import type { Theme } from "../theme.ts";

/**
 * The keys of the current mode, from the binding table; a disabled one says why in brackets.
 * Chips that do not fit are left out whole and counted ("+2 more: ?"), never cut mid-word.
 */
export function KeyBar({ state, theme, now = Date.now() }: { state: AppState; theme: Theme; now?: number }) {
  const items = keyBarItems(state, now);
  const text = items.length
    ? fitChips(
        items.map((i) => i.text),
        state.size.columns,
        (n) => `+${n} more: ?`,
      )
    : "Ctrl-C quits";
  return (
    <Text wrap="truncate-end" dimColor={theme.dim}>
      {text}
    </Text>
  );
}
