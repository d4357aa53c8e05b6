import { Box, Text } from "ink";
import { formatBytes } from "../../wording.ts";
import {
  dataNodeLines,
  healthLine,
  selectedDataLine,
  selectedShardLines,
  shardListLines,
  type DataNodeLine,
  type ShardLine,
} from "../data-tier.ts";
import type { Tone } from "../events.ts";
import type { AppState } from "../state.ts";
import { fit } from "../text.ts";
import type { Theme } from "../theme.ts";
import { scrollWindow } from "../scroll.ts";
import { scrollOffset } from "./NodeTable.tsx";

interface Col<T> {
  title: string;
  width: number;
  align?: "left" | "right";
  cell: (row: T) => string;
  tone?: (row: T) => Tone | undefined;
}

const count = (n: number | null) => (n === null ? "-" : String(n));

const NODE_COLUMNS: Col<DataNodeLine>[] = [
  { title: "ID", width: 4, align: "right", cell: (l) => String(l.id) },
  { title: "TCP ADDRESS", width: 21, cell: (l) => l.tcpAddr },
  {
    title: "STATUS",
    width: 8,
    // The announced status when the node reports one ("joined"), else what the view saw.
    cell: (l) => (l.up === null ? "..." : !l.up ? "DOWN" : l.status === "-" ? "up" : l.status),
    tone: (l) => (l.up === false ? "error" : undefined),
  },
  { title: "VERSION", width: 10, cell: (l) => l.version },
  { title: "SHARDS", width: 6, align: "right", cell: (l) => count(l.shards) },
  { title: "BYTES", width: 9, align: "right", cell: (l) => (l.bytes === null ? "-" : formatBytes(l.bytes)) },
  {
    title: "UNDER-REPL",
    width: 10,
    align: "right",
    cell: (l) => count(l.underReplicated),
    tone: (l) => (l.underReplicated ? "warn" : undefined),
  },
  {
    title: "UNAVAILABLE",
    width: 11,
    align: "right",
    cell: (l) => count(l.unavailable),
    tone: (l) => (l.unavailable ? "error" : undefined),
  },
  { title: "LAST COPIES", width: 11, align: "right", cell: (l) => count(l.lastCopies) },
];

const SHARD_COLUMNS: Col<ShardLine>[] = [
  { title: "SHARD", width: 7, align: "right", cell: (l) => String(l.id) },
  { title: "DATABASE.RP", width: 24, cell: (l) => `${l.database}.${l.retentionPolicy}` },
  {
    title: "COPIES",
    width: 6,
    align: "right",
    cell: (l) => (l.copy === "orphan" ? "-" : `${l.live}/${l.replicaN}`),
  },
  { title: "SIZE", width: 9, align: "right", cell: (l) => formatBytes(l.size) },
  { title: "THIS COPY", width: 9, cell: (l) => l.copy },
  {
    title: "HEALTH",
    width: 40,
    cell: (l) => l.states.join(", "),
    tone: (l) =>
      l.states.includes("unavailable")
        ? "error"
        : l.states.some((s) => s === "under-replicated" || s === "missing" || s === "orphan")
          ? "warn"
          : "ok",
  },
];

/**
 * Rows under their column titles, in `height` lines. A selection keeps its row in sight; a list
 * without one (`selected` -1) shows the rows from `top`, with a line saying how many are above and
 * below when they do not all fit.
 */
function Table<T>({
  columns,
  rows,
  selected,
  top = 0,
  height,
  theme,
  empty,
}: {
  columns: Col<T>[];
  rows: T[];
  /** Index of the selected row, or -1 for none. */
  selected: number;
  top?: number;
  height: number;
  theme: Theme;
  empty: string;
}) {
  const window =
    selected >= 0
      ? { top: scrollOffset(selected, rows.length, height), room: height, scrolls: false, above: 0, below: 0 }
      : scrollWindow(rows.length, top, height);
  const offset = window.top;
  const cells = (row: T) =>
    columns.map((c, i) => (
      <Text key={c.title} color={c.tone?.(row) ? theme.tone[c.tone(row)!] : undefined}>
        {(i ? " " : "") + fit(c.cell(row), c.width, c.align)}
      </Text>
    ));
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end" bold={theme.bold} color={theme.accent}>
        {"  " + columns.map((c) => fit(c.title, c.width, c.align)).join(" ")}
      </Text>
      {rows.length === 0 ? <Text wrap="truncate-end">{"  " + empty}</Text> : null}
      {rows.slice(offset, offset + Math.max(window.room, 0)).map((row, i) => {
        const on = offset + i === selected;
        return (
          <Text key={offset + i} wrap="truncate-end" inverse={on && theme.inverse} bold={on && theme.bold}>
            {on ? "> " : "  "}
            {cells(row)}
          </Text>
        );
      })}
      {window.scrolls ? (
        <Text wrap="truncate-end" color={theme.tone.info}>
          {`  ${window.above} above, ${window.below} below (↑↓ PgUp/PgDn g/G scroll)`}
        </Text>
      ) : null}
    </Box>
  );
}

/** The data tier (Tab): its health in words, then the data nodes, or (Enter) one node's shards. */
export function DataTierPane({
  state,
  width,
  height,
  theme,
}: {
  state: AppState;
  width: number;
  height: number;
  theme: Theme;
}) {
  const health = healthLine(state.dataHealth);
  const lines = dataNodeLines(state.cluster, state.dataHealth);
  const line = selectedDataLine(lines, state.dataSelected);
  const report = state.dataHealth?.report ?? null;
  const shardsOf = state.mode === "data-shards" && line;
  const title = shardsOf
    ? `Shards of data node ${line.id} at ${line.tcpAddr}`
    : `Data nodes (${lines.length})`;
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text wrap="truncate-end" color={theme.tone[health.tone]}>
        {health.text}
      </Text>
      <Text wrap="truncate-end" bold={theme.bold}>
        {title}
      </Text>
      {shardsOf ? (
        <Table
          columns={SHARD_COLUMNS}
          rows={selectedShardLines(state.cluster, state.dataHealth, state.dataSelected)}
          selected={-1}
          top={state.dataShardsTop}
          height={shardListLines(state.size.rows)}
          theme={theme}
          empty={report ? "it owns no shards" : "shard health unknown (see the line above)"}
        />
      ) : (
        <Table
          columns={NODE_COLUMNS}
          rows={lines}
          selected={line ? lines.indexOf(line) : -1}
          height={height - 3}
          theme={theme}
          empty="no data nodes in the cluster"
        />
      )}
    </Box>
  );
}
