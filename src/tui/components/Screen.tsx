import { Box, Text } from "ink";
import type { ApiKind } from "../../client/cluster-api.ts";
import { detailRow, markedVotersUp, visibleRows, whatIf, type AppState } from "../state.ts";
import { wrapText } from "../text.ts";
import { COLUMNS, fitColumns } from "../table-format.ts";
import type { Theme } from "../theme.ts";
import { unavailableText } from "../data-tier.ts";
import { AddDialog } from "./AddDialog.tsx";
import { DataDialog } from "./DataDialog.tsx";
import { DataTierPane } from "./DataTierPane.tsx";
import { DetailPane } from "./DetailPane.tsx";
import { DialogFrame } from "./DialogFrame.tsx";
import { EventsPane } from "./EventsPane.tsx";
import { ForceRemoveDialog } from "./ForceRemoveDialog.tsx";
import { Header } from "./Header.tsx";
import { HelpOverlay } from "./HelpOverlay.tsx";
import { KeyBar } from "./KeyBar.tsx";
import { NodeTable } from "./NodeTable.tsx";
import { ProgressDialog } from "./ProgressDialog.tsx";
import { RemoveDialog } from "./RemoveDialog.tsx";
import { RollingRestartPane } from "./RollingRestartPane.tsx";
import { StatusLine } from "./StatusLine.tsx";
import { TimelinePane } from "./TimelinePane.tsx";

export const MIN_COLUMNS = 40;
export const MIN_ROWS = 10;
const DIALOG_MAX_WIDTH = 86;

export interface ScreenContext {
  bind: string;
  /** Which API -bind is (default the admin service). */
  api?: ApiKind;
  profileName: string | null;
  logFile: string | null;
  /** Lines about this session for the help overlay (the demo's node PIDs). */
  notes?: string[];
}

/**
 * Lines of the table (title excluded) and of the events pane (title included) in `body` lines:
 * the table takes what its rows need, the events every line left (from 3 lines up), so a tall
 * terminal shows a long history instead of blank rows.
 */
export function splitBody(body: number, rowCount: number): { table: number; events: number } {
  const wanted = Math.max(rowCount, 1);
  const spare = body - 1 - wanted;
  const events = spare >= 3 ? spare : 0;
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
  const connectedTo = state.cluster?.adminSelf ?? null;
  let main;
  if (state.mode === "help")
    main = (
      <HelpOverlay
        state={state}
        logFile={context.logFile}
        notes={context.notes ?? []}
        {...dialog}
        width={columns}
      />
    );
  else if (state.mode === "detail" && state.detail)
    main = (
      <DetailPane
        row={detailRow(state)}
        detail={state.detail}
        events={state.events}
        {...dialog}
        width={columns}
      />
    );
  else if (state.mode === "events")
    main = (
      <EventsPane
        events={state.events}
        height={body}
        width={columns}
        theme={theme}
        back={state.eventsBack}
        wrap
      />
    );
  else if (state.mode === "rolling" && state.rolling)
    main = (
      <RollingRestartPane
        guide={state.rolling}
        cluster={state.cluster}
        canRestart={state.canRestart}
        {...dialog}
      />
    );
  else if (state.mode === "timeline")
    main = (
      <TimelinePane
        timeline={state.timeline}
        view={state.timelineView}
        height={body}
        width={columns}
        theme={theme}
      />
    );
  else if (state.mode === "confirm" && state.removal)
    main = (
      <RemoveDialog
        removal={state.removal}
        connectedTo={connectedTo}
        markedUp={markedVotersUp(state, state.removal.target.httpAddr)}
        {...dialog}
      />
    );
  else if (state.mode === "force-confirm" && state.removal)
    main = (
      <ForceRemoveDialog
        removal={state.removal}
        connectedTo={connectedTo}
        markedUp={markedVotersUp(state, state.removal.target.httpAddr)}
        {...dialog}
      />
    );
  else if (state.mode === "removing" && state.removal)
    main = (
      <ProgressDialog
        title={`Removing meta node ${state.removal.target.httpAddr}${state.removal.force ? " (force)" : ""}`}
        note={
          state.removal.plan?.node.isLeader
            ? "Leadership is transferred first, then the node leaves the configuration."
            : "The node leaves the configuration in one Raft log entry, then it is asked to clean up."
        }
        startedAt={state.removal.startedAt}
        {...dialog}
      />
    );
  else if (state.mode === "data" || state.mode === "data-shards")
    main = <DataTierPane state={state} width={columns} height={body} theme={theme} />;
  else if (
    (state.mode === "data-confirm" || state.mode === "data-force" || state.mode === "data-busy") &&
    state.dataOp
  )
    main = <DataDialog op={state.dataOp} mode={state.mode} {...dialog} />;
  else if ((state.mode === "add-input" || state.mode === "add-confirm") && state.adding)
    main = <AddDialog adding={state.adding} {...dialog} />;
  else if (state.mode === "quit-confirm")
    main = (
      <DialogFrame
        title={state.quitQuestion ?? "Quit?"}
        tone="warn"
        lines={[]}
        footer={[{ text: "y quits. n, Esc, Ctrl-C or any other key stays.", bold: true }]}
        {...dialog}
      />
    );
  else if (state.mode === "adding" && state.adding)
    main = (
      <ProgressDialog
        title={`Adding meta node ${state.adding.typed}`}
        note="The leader adds it as a non-voter; Raft promotes it to voter once it has caught up."
        startedAt={state.adding.startedAt}
        {...dialog}
      />
    );
  else {
    // One more line when a narrow table says which columns it hides.
    const hiding = fitColumns(columns).length < COLUMNS.length;
    const split = splitBody(body, shown.length + (hiding ? 1 : 0));
    // No rows and an admin error is no picture, not an empty cluster: nothing is known about it.
    const empty = state.filter
      ? `no node matches "${state.filter}"`
      : state.cluster && state.cluster.rows.length === 0 && state.cluster.adminError
        ? "no picture of the cluster yet: nothing answered (asked again at every poll; r asks now)"
        : state.cluster && !state.cluster.membershipKnown
          ? "membership unknown: no leader answered"
          : state.cluster
            ? "no nodes in the cluster"
            : "waiting for the first poll…";
    main = (
      <>
        <Box height={split.table + 1} flexDirection="column">
          <NodeTable
            rows={shown}
            selectedKey={state.selectedKey}
            marked={state.marked}
            sort={state.sort}
            sortReverse={state.sortReverse}
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
  // The timeline draws exactly `body` lines of exactly `columns` cells, mostly block characters:
  // clipping would cost Ink another grapheme pass over each of them on every frame.
  const overflow = state.mode === "timeline" ? "visible" : "hidden";
  return (
    <Box flexDirection="column" width={columns} height={height}>
      <Header
        cluster={state.cluster}
        whatIf={whatIf(state)}
        bind={context.bind}
        api={context.api ?? "admin"}
        profileName={context.profileName}
        readOnly={state.readOnly}
        unavailable={unavailableText(state.dataHealth)}
        theme={theme}
        width={columns}
      />
      <Box flexDirection="column" height={body} overflow={overflow}>
        {main}
      </Box>
      <StatusLine state={state} theme={theme} width={columns} />
      <KeyBar state={state} theme={theme} />
    </Box>
  );
}
