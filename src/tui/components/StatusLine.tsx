import { Text } from "ink";
import { fitChips } from "../fit.ts";
import { paletteCommands } from "../keymap.ts";
import type { AppState } from "../state.ts";
import { clock } from "../text.ts";
import type { Theme } from "../theme.ts";

/** The filter prompt while filtering, else the last action's result, else the filter in force. */
export function StatusLine({ state, theme, width }: { state: AppState; theme: Theme; width: number }) {
  if (state.mode === "filter") {
    return (
      <Text wrap="truncate-end">
        <Text bold={theme.bold}>filter: /</Text>
        {state.filter}
        <Text inverse={theme.inverse}>{theme.inverse ? " " : "_"}</Text>
        {"  "}(Enter keeps, Esc clears)
      </Text>
    );
  }
  if (state.mode === "palette") {
    // The commands the typed name still matches, from the key table (Tab completes).
    const typed = state.palette ?? "";
    const name = typed.split(" ")[0];
    const matches = typed.includes(" ")
      ? []
      : paletteCommands()
          .filter((c) => c.command.startsWith(name))
          .map((c) => c.command + (c.commandArg ? ` ${c.commandArg}` : ""));
    return (
      <Text wrap="truncate-end">
        <Text bold={theme.bold}>:</Text>
        {typed}
        <Text inverse={theme.inverse}>{theme.inverse ? " " : "_"}</Text>
        {matches.length
          ? "  " + fitChips(matches, Math.max(0, width - typed.length - 4), (n) => `+${n} (Tab)`)
          : ""}
      </Text>
    );
  }
  const filter = state.filter ? `[filter: ${state.filter}] ` : "";
  if (!state.status) return <Text wrap="truncate-end">{filter || " ".repeat(Math.min(1, width))}</Text>;
  return (
    <Text wrap="truncate-end">
      {filter}
      <Text color={theme.tone[state.status.tone]}>
        {clock(state.status.at)} {state.status.text}
      </Text>
    </Text>
  );
}
