import { Text } from "ink";
import { DIALOG_KEYS, LIST_KEYS, type KeyHelp } from "../keymap.ts";
import { fit } from "../text.ts";
import type { Theme } from "../theme.ts";
import { DialogFrame, type DialogLine } from "./DialogFrame.tsx";

function keyLines(keys: KeyHelp[], readOnly: boolean, theme: Theme): DialogLine[] {
  // Pre-laid-out lines: word wrapping would squeeze the key column's padding.
  return keys.map((k) => ({
    node: (
      <Text wrap="truncate-end">
        <Text bold={theme.bold}>{fit(k.keys, 14)}</Text> {k.what}
        {k.destructive && readOnly ? " - disabled: read-only" : ""}
      </Text>
    ),
  }));
}

export function HelpOverlay({
  readOnly,
  logFile,
  width,
  height,
  theme,
}: {
  readOnly: string | null;
  logFile: string | null;
  width: number;
  height: number;
  theme: Theme;
}) {
  const lines: DialogLine[] = [
    ...keyLines(LIST_KEYS, readOnly !== null, theme),
    { text: "In dialogs:", bold: true },
    ...keyLines(DIALOG_KEYS, readOnly !== null, theme),
    { text: "While the filter or an address field takes text, every letter (d, q, y…) is just typed." },
  ];
  if (readOnly) lines.push({ text: `Read-only (${readOnly}): removals are refused.`, tone: "warn" });
  if (logFile) lines.push({ text: `Log: ${logFile}` });
  return (
    <DialogFrame
      title="Keys"
      tone="info"
      lines={lines}
      footer={[{ text: "Any key closes this help." }]}
      width={width}
      height={height}
      theme={theme}
    />
  );
}
