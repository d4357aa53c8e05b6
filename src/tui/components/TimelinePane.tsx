import { Box, Text } from "ink";
import { drawTimeline, type Timeline, type TimelineView } from "../timeline.ts";
import type { Theme } from "../theme.ts";

/** The timeline view (`t`): the lines timeline.ts draws, coloured by their tone. */
export function TimelinePane({
  timeline,
  view,
  height,
  width,
  theme,
}: {
  timeline: Timeline;
  view: TimelineView;
  height: number;
  width: number;
  theme: Theme;
}) {
  const lines = drawTimeline(timeline, view, { columns: width, height, ascii: theme.name === "dumb" });
  return (
    <Box flexDirection="column" width={width}>
      {lines.map((l, i) => (
        <Text
          key={i}
          wrap="truncate-end"
          bold={l.bold && theme.bold}
          color={i === 0 ? theme.accent : l.tone && theme.tone[l.tone]}
        >
          {l.text}
        </Text>
      ))}
    </Box>
  );
}
