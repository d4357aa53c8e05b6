import { Box, Text } from "ink";
import { memo, useMemo } from "react";
import type { NodeRow } from "../model.ts";
import {
  columnTitle,
  fitColumns,
  hiddenColumnsText,
  MARKER_WIDTH,
  type Column,
  type SortKey,
} from "../table-format.ts";
import { fit } from "../text.ts";
import type { Theme } from "../theme.ts";

export interface NodeTableProps {
  rows: NodeRow[];
  selectedKey: string | null;
  /** The column the rows are sorted by (its title is marked), null for the default order. */
  sort?: SortKey;
  sortReverse?: boolean;
  /** Keys marked going down in the what-if: their ROLE reads "↓ meta". */
  marked?: string[];
  /** Lines for the rows (the title line comes on top). */
  height: number;
  width: number;
  theme: Theme;
  emptyText: string;
}

const Row = memo(function Row({
  row,
  selected,
  mark,
  columns,
  theme,
}: {
  row: NodeRow;
  selected: boolean;
  mark: boolean;
  columns: Column[];
  theme: Theme;
}) {
  return (
    <Text wrap="truncate-end" inverse={selected && theme.inverse} bold={selected && theme.bold}>
      {fit(selected ? ">" : "", MARKER_WIDTH)}
      {columns.map((c, i) => (
        <Text key={c.id} color={c.tone ? theme.tone[c.tone(row)] : undefined}>
          {(i ? " " : "") + fit(mark && c.id === "role" ? `↓ ${c.cell(row)}` : c.cell(row), c.width, c.align)}
        </Text>
      ))}
    </Text>
  );
});

/** First row to show so that the selected row stays inside a window of `height` rows. */
export function scrollOffset(selected: number, count: number, height: number): number {
  if (height <= 0 || count <= height) return 0;
  return Math.min(Math.max(selected - height + 1, 0), count - height);
}

export function NodeTable({
  rows,
  selectedKey,
  sort = null,
  sortReverse = false,
  marked = [],
  height,
  width,
  theme,
  emptyText,
}: NodeTableProps) {
  // Same array for the same width, so the memoised rows are not all redrawn on every key.
  const columns = useMemo(() => fitColumns(width), [width]);
  const selected = Math.max(
    0,
    rows.findIndex((r) => r.key === selectedKey),
  );
  // A narrow table says what it hides, on its last line (Screen gives it that line).
  const hint = hiddenColumnsText(columns, width - MARKER_WIDTH);
  const rowLines = hint && height > 1 ? height - 1 : height;
  const offset = scrollOffset(selected, rows.length, rowLines);
  const shown = rows.slice(offset, offset + Math.max(rowLines, 0));
  const title = fit("", MARKER_WIDTH) + columns.map((c) => columnTitle(c, sort, sortReverse)).join(" ");
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end" bold={theme.bold} color={theme.accent}>
        {title}
      </Text>
      {rows.length === 0 && height > 0 ? (
        <Text wrap="truncate-end">{fit("", MARKER_WIDTH) + emptyText}</Text>
      ) : null}
      {shown.map((row) => (
        <Row
          key={row.key}
          row={row}
          selected={row.key === selectedKey}
          mark={marked.includes(row.key)}
          columns={columns}
          theme={theme}
        />
      ))}
      {hint && height > 1 ? (
        <Text wrap="truncate-end" dimColor={theme.dim}>
          {fit("", MARKER_WIDTH) + hint}
        </Text>
      ) : null}
    </Box>
  );
}
