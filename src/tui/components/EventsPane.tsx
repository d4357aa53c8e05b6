import { Box, Text } from "ink";
import type { ClusterEvent } from "../events.ts";
import { clock } from "../text.ts";
import type { Theme } from "../theme.ts";

/** The newest events that fit in `height` lines (title included), oldest of them first. */
export function EventsPane({
  events,
  height,
  width,
  theme,
}: {
  events: ClusterEvent[];
  height: number;
  width: number;
  theme: Theme;
}) {
  if (height <= 0) return null;
  const shown = height > 1 ? events.slice(-(height - 1)) : [];
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end" bold={theme.bold} color={theme.accent}>
        EVENTS{events.length === 0 ? " (none yet)" : ""}
      </Text>
      {shown.map((e, i) => (
        <Text key={`${e.at}-${i}`} wrap="truncate-end" color={theme.tone[e.tone]}>
          {clock(e.at)} {e.text}
        </Text>
      ))}
    </Box>
  );
}
