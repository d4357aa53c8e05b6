import { Text } from "ink";
import type { Mode } from "../state.ts";
import type { Theme } from "../theme.ts";

const HINTS: Record<Mode, string> = {
  list: "↑↓/jk select  d remove  r refresh  / filter  ? help  q quit",
  filter: "type to filter  Enter keep  Esc clear",
  help: "any key closes the help",
  confirm: "y remove  any other key cancels",
  "force-confirm": "type the address, Enter  Esc cancels",
  removing: "removal in progress  Ctrl-C quits",
};

export function KeyBar({ mode, readOnly, theme }: { mode: Mode; readOnly: boolean; theme: Theme }) {
  const hint = mode === "list" && readOnly ? HINTS.list.replace("d remove", "d (read-only)") : HINTS[mode];
  return (
    <Text wrap="truncate-end" dimColor={theme.dim}>
      {hint}
    </Text>
  );
}
