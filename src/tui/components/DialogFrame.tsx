import { Box, Text } from "ink";
import type { ReactNode } from "react";
import type { Tone } from "../events.ts";
import { wrapText } from "../text.ts";
import type { Theme } from "../theme.ts";

/** One paragraph of a dialog (word-wrapped), or one ready-made line such as an input field. */
export type DialogLine = { text: string; tone?: Tone; bold?: boolean } | { node: ReactNode };

export interface DialogFrameProps {
  title: string;
  tone: Tone;
  lines: DialogLine[];
  /** Always shown, at the bottom: what the keys do. */
  footer: DialogLine[];
  width: number;
  height: number;
  theme: Theme;
  /** Body lines scrolled past (the help scrolls); marked with "…" at the top. */
  scrollTop?: number;
}

function render(line: DialogLine, width: number, theme: Theme, key: string): ReactNode[] {
  if ("node" in line) return [<Box key={key}>{line.node}</Box>];
  return wrapText(line.text, width).map((text, i) => (
    <Text
      key={`${key}.${i}`}
      wrap="truncate-end"
      color={line.tone ? theme.tone[line.tone] : undefined}
      bold={!!line.bold && theme.bold}
    >
      {text}
    </Text>
  ));
}

/**
 * A modal drawn in place of the table. It never grows past `height` lines: the title and the key
 * help always show, and details are cut (with "…") on short terminals; the border goes first.
 */
export function DialogFrame({
  title,
  tone,
  lines,
  footer,
  width,
  height,
  theme,
  scrollTop = 0,
}: DialogFrameProps) {
  const measure = (inner: number) => ({
    title: render({ text: title, tone, bold: true }, inner, theme, "t"),
    body: lines.flatMap((l, i) => render(l, inner, theme, `b${i}`)),
    foot: footer.flatMap((l, i) => render(l, inner, theme, `f${i}`)),
  });
  const boxed = measure(width - 4);
  const bordered = boxed.title.length + boxed.body.length + boxed.foot.length + 2 <= height && width >= 20;
  const parts = bordered ? boxed : measure(width);
  const room = Math.max(0, height - (bordered ? 2 : 0) - parts.title.length - parts.foot.length);
  let body = parts.body;
  const skip = Math.min(scrollTop, Math.max(0, body.length - room));
  if (skip > 0) body = [<Text key="above">…</Text>, ...body.slice(skip + 1)];
  if (body.length > room) {
    body = body.slice(0, Math.max(0, room - 1));
    if (room > 0) body.push(<Text key="cut">…</Text>);
  }
  return (
    <Box
      flexDirection="column"
      width={width}
      height={Math.min(height, parts.title.length + body.length + parts.foot.length + (bordered ? 2 : 0))}
      overflow="hidden"
      borderStyle={bordered ? (theme.name === "dumb" ? "classic" : "round") : undefined}
      borderColor={theme.tone[tone]}
      paddingX={bordered ? 1 : 0}
    >
      {parts.title}
      {body}
      {parts.foot}
    </Box>
  );
}
