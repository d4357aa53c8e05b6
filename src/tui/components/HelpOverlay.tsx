import { Text } from "ink";
import { BINDINGS, bindingKeys, MODE_TITLES, type Binding } from "../keymap.ts";
import type { AppState } from "../state.ts";
import { fit, wrapText } from "../text.ts";
import type { Theme } from "../theme.ts";
import { DialogFrame, type DialogLine } from "./DialogFrame.tsx";

const KEY_COLUMN = 15;

/** One binding: its keys, then its help word-wrapped under a hanging indent (never cut). */
function bindingLines(b: Binding, state: AppState, now: number, width: number, theme: Theme): DialogLine[] {
  // The help describes each key as it is in its own mode: read-only disables some here too.
  const off = b.disabled?.({ ...state, mode: b.modes[0] }, now) ?? null;
  const readOnly = off && state.readOnly && off.short === "read-only" ? ` - disabled: ${off.why}` : "";
  const text = wrapText(b.help + readOnly, Math.max(10, width - KEY_COLUMN));
  return text.map((t, i) => ({
    node: (
      <Text wrap="truncate-end">
        <Text bold={theme.bold}>{fit(i === 0 ? bindingKeys(b) : "", KEY_COLUMN - 1)}</Text> {t}
      </Text>
    ),
  }));
}

/** Every binding of the table, by mode, then what the operator should know about this session. */
export function HelpOverlay({
  state,
  logFile,
  notes,
  width,
  height,
  theme,
  now = Date.now(),
}: {
  state: AppState;
  logFile: string | null;
  /** Lines about this session (the demo's node PIDs). */
  notes: string[];
  width: number;
  height: number;
  theme: Theme;
  now?: number;
}) {
  const lines: DialogLine[] = [];
  for (const note of notes) lines.push({ text: note, tone: "info", bold: true });
  const shown = new Set<Binding>();
  for (const [title, modes] of MODE_TITLES) {
    const section = BINDINGS.filter((b) => !shown.has(b) && b.modes.some((m) => modes.includes(m)));
    if (!section.length) continue;
    lines.push({ text: `${title}:`, bold: true });
    for (const b of section) {
      shown.add(b);
      lines.push(...bindingLines(b, state, now, width - 4, theme));
    }
  }
  if (state.readOnly)
    lines.push({ text: `Read-only (${state.readOnly}): removals and adds are refused.`, tone: "warn" });
  if (logFile) lines.push({ text: `Log: ${logFile}` });
  return (
    <DialogFrame
      title="Keys"
      tone="info"
      lines={lines}
      footer={[{ text: "↑↓ scroll; any other key closes this help." }]}
      scrollTop={state.helpTop}
      width={width}
      height={height}
      theme={theme}
    />
  );
}
