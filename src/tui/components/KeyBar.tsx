import { Text } from "ink";
import { keyBarItems } from "../keymap.ts";
import type { AppState } from "../state.ts";
import type { Theme } from "../theme.ts";

/** The keys of the current mode, from the binding table; a disabled one says why in brackets. */
export function KeyBar({ state, theme, now = Date.now() }: { state: AppState; theme: Theme; now?: number }) {
  const items = keyBarItems(state, now);
  return (
    <Text wrap="truncate-end" dimColor={theme.dim}>
      {items.length ? items.map((i) => i.text).join("  ") : "Ctrl-C quits"}
    </Text>
  );
}
