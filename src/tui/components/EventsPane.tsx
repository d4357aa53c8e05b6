import { Box, Text } from "ink";
import type { ClusterEvent } from "../events.ts";
import { clock, wrapText } from "../text.ts";
import type { Theme } from "../theme.ts";

interface Line {
  key: string;
  text: string;
  event: ClusterEvent;
}

/**
 * The events that fit in `height` lines (title included), oldest of them first, ending `back`
 * events before the newest. Under the table each event is one line (cut); full screen (`wrap`)
 * every event is shown whole, word-wrapped under its time.
 */
export function EventsPane({
  events,
  height,
  width,
  theme,
  back = 0,
  wrap = false,
}: {
  events: ClusterEvent[];
  height: number;
  width: number;
  theme: Theme;
  back?: number;
  wrap?: boolean;
}) {
  if (height <= 0) return null;
  const end = events.length - back;
  const room = height - 1;
  const lines: Line[] = [];
  for (let i = end - 1; i >= 0 && lines.length < room; i--) {
    const e = events[i];
    const stamp = clock(e.at) + " ";
    const body = wrap ? wrapText(e.text, Math.max(10, width - stamp.length)) : [e.text];
    const mine = body.map((t, j) => ({
      key: `${i}.${j}`,
      text: (j === 0 ? stamp : " ".repeat(stamp.length)) + t,
      event: e,
    }));
    lines.unshift(...mine.slice(Math.max(0, mine.length - (room - lines.length))));
  }
  const first = end - new Set(lines.map((l) => l.event)).size + 1;
  const title =
    events.length === 0
      ? "EVENTS (none yet)"
      : wrap
        ? `EVENTS ${Math.max(first, 1)}-${end} of ${events.length}${back ? ` (${back} newer below)` : " (newest last)"}`
        : "EVENTS";
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end" bold={theme.bold} color={theme.accent}>
        {title}
      </Text>
      {lines.map((l) => (
        <Text key={l.key} wrap="truncate-end" color={theme.tone[l.event.tone]}>
          {l.text}
        </Text>
      ))}
    </Box>
  );
}
