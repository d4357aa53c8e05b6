import { Box, Text } from "ink";
import type { ApiKind } from "../../cluster-api/types.ts";
import { visibleRows, type AppState } from "../state.ts";
import { wrapText } from "../text.ts";
import type { Theme } from "../theme.ts";
import { EventsPane } from "./EventsPane.tsx";
import { ForceRemoveDialog } from "./ForceRemoveDialog.tsx";
import { Header } from "./Header.tsx";
import { HelpOverlay } from "./HelpOverlay.tsx";
import { KeyBar } from "./KeyBar.tsx";
import { NodeTable } from "./NodeTable.tsx";
import { RemovalProgress } from "./RemovalProgress.tsx";
import { RemoveDialog } from "./RemoveDialog.tsx";
import { StatusLine } from "./StatusLine.tsx";

export const MIN_COLUMNS = 40;
export const MIN_ROWS = 10;
const DIALOG_MAX_WIDTH = 86;

export interface ScreenContext {
  bind: string;
  /** Which API -bind is (default the admin service). */
  api?: ApiKind;
  profileName: string | null;
  logFile: string | null;
}

/** Lines of the table (title excluded) and of the events pane (title included) in `body` lines. */
export function splitBody(body: number, rowCount: number): { table: number; events: number } {
  const wanted = Math.max(rowCount, 1);
  // The events pane appears once the table fits with room to spare, and takes at most 7 lines.
  const spare = body - 1 - wanted;
  const events = spare >= 3 ? Math.min(7, spare) : 0;
  return { table: body - 1 - events, events };
}

function TooSmall({ state }: { state: AppState }) {
  const { columns, rows } = state.size;
  const text = `Terminal too small: ${columns}x${rows}, need at least ${MIN_COLUMNS}x${MIN_ROWS}. Enlarge it, or q to quit.`;
  const lines = wrapText(text, columns).slice(0, Math.max(1, rows - 1));
  return (
    <Box flexDirection="column" width={columns}>
      {lines.map((l, i) => (
        <Text key={i} wrap="truncate-end">
          {l}
        </Text>
      ))}
    </Box>
  );
}

/**
 * The whole frame for one state. It is exactly rows-1 lines tall: Ink clears the terminal (and the
 * scrollback) whenever a frame reaches the terminal's height.
 */
export function Screen({ state, theme, context }: { state: AppState; theme: Theme; context: ScreenContext }) {
  const { columns, rows } = state.size;
  if (columns < MIN_COLUMNS || rows < MIN_ROWS) return <TooSmall state={state} />;
  const height = rows - 1;
  const body = height - 4; // header (2), status line, key bar
  const shown = visibleRows(state);
  const dialog = { width: Math.min(columns, DIALOG_MAX_WIDTH), height: body, theme };
  let main;
  if (state.mode === "help")
    main = <HelpOverlay readOnly={state.readOnly} logFile={context.logFile} {...dialog} />;
  else if (state.mode === "confirm" && state.removal)
    main = <RemoveDialog removal={state.removal} {...dialog} />;
  else if (state.mode === "force-confirm" && state.removal)
    main = <ForceRemoveDialog removal={state.removal} {...dialog} />;
  else if (state.mode === "removing" && state.removal)
    main = <RemovalProgress removal={state.removal} {...dialog} />;
  else {
    const split = splitBody(body, shown.length);
    const empty = state.filter
      ? `no node matches "${state.filter}"`
      : state.cluster
        ? "no nodes in the cluster"
        : "waiting for the first poll…";
    main = (
      <>
        <Box height={split.table + 1} flexDirection="column">
          <NodeTable
            rows={shown}
            selectedKey={state.selectedKey}
            height={split.table}
            width={columns}
            theme={theme}
            emptyText={empty}
          />
        </Box>
        <EventsPane events={state.events} height={split.events} width={columns} theme={theme} />
      </>
    );
  }
  return (
    <Box flexDirection="column" width={columns} height={height}>
      <Header
        cluster={state.cluster}
        bind={context.bind}
        api={context.api ?? "admin"}
        profileName={context.profileName}
        readOnly={state.readOnly}
        theme={theme}
        width={columns}
      />
      <Box flexDirection="column" height={body} overflow="hidden">
        {main}
      </Box>
      <StatusLine state={state} theme={theme} width={columns} />
      <KeyBar mode={state.mode} readOnly={state.readOnly !== null} theme={theme} />
    </Box>
  );
}
