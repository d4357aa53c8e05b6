/**
 * Every key binding, declared once (as lazygit declares its keybindings): the keys, the modes it
 * works in, what it does, its help text, its key-bar label, and why it is disabled right now. The
 * key router (use-keys.ts), the key bar and the help overlay are all derived from this table, so
 * a key cannot do one thing and be documented as another, and read-only mode disables entries
 * here, in one place.
 */

import { dataNodeLines, selectedDataLine, type DataNodeLine } from "./data-tier.ts";
import type { NodeRow } from "./model.ts";
import { currentRow } from "./rolling-restart.ts";
import { chartWidth } from "./timeline.ts";
import {
  CONFIRM_GRACE_MS,
  removalBlocked,
  selectedRow,
  type Action,
  type AppState,
  type Mode,
} from "./state.ts";

/** Side effects the bindings ask the app for (network, clipboard, exit). */
export interface KeyHandlers {
  quit(): void;
  refresh(): void;
  /** `d` on a row: ask the admin service about removing it. */
  askRemove(row: NodeRow): void;
  /** `y` in the confirm dialog, or the exact address + Enter in the force dialog. */
  confirmRemove(): void;
  /** Enter on a row: open its detail pane (and fetch its full /status). */
  openDetail(): void;
  /** `c` on a row: copy its HTTP address to the clipboard. */
  copy(row: NodeRow): void;
  /** Enter in the add dialog: check the typed address. */
  planAdd(httpAddr: string): void;
  /** `y` on an add plan. */
  confirmAdd(): void;
  /** `R` on a DOWN row of a session that owns its nodes (the demo): start it again; `running`:
   *  stop it first (the rolling-restart guide's node). */
  restart?(row: NodeRow, opts?: { running: boolean }): void;
  /** Enter in the command palette: run the typed line (palette.ts). */
  runCommand?(line: string): void;
  /** `d` in the data tier: plan removing the data node (data-ops.ts). */
  askRemoveData?(tcpAddr: string): void;
  /** `b` (rebalance) or `D` (drain the selected node) in the data tier: fetch the plan. */
  askRebalance?(drain?: string): void;
  /** `y` on a data-tier plan, or the exact TCP address + Enter in its force dialog. */
  confirmData?(): void;
  /** Stop the moves under way after the current one. */
  stopMoves?(): void;
  /** `b` (or `:bundle [FILE]`): write the incident bundle (bundle.ts). */
  bundle?(path?: string): void;
}

/**
 * A key as the router sees it: a named key ("up", "enter", "esc", "backspace", "ctrl-c", …), a
 * printable character, TEXT (printable text typed into a field) or ANY (any key no other binding
 * of the mode takes).
 */
export type KeyToken = string;
export const TEXT = "<text>";
export const ANY = "<any>";

export interface KeyContext {
  state: AppState;
  dispatch: (action: Action) => void;
  on: KeyHandlers;
  /** The typed text, for TEXT bindings. */
  text: string;
  now: number;
}

/** Why a binding cannot act now: `short` for the key bar, `why` for the help and the status line. */
export interface Disabled {
  short: string;
  why: string;
  /** Not offered at all: left out of the key bar, and the key acts as any other key of the mode. */
  hidden?: boolean;
}

export interface Binding {
  id: string;
  keys: KeyToken[];
  modes: Mode[];
  help: string;
  /** Label in the key bar; none: the binding is only in the help. */
  bar?: string;
  /** How the key bar writes the keys, when one chip stands for a pair of bindings (default: `keys`). */
  barKeys?: string;
  disabled?: (state: AppState, now: number) => Disabled | null;
  run: (ctx: KeyContext) => void;
  /** Its name in the command palette (`:remove`); the palette completes from these names. */
  command?: string;
  /** What the palette command takes after its name (`:remove ADDR|ID`). */
  commandArg?: string;
}

const at = (ctx: KeyContext) => ({ at: ctx.now });

function noRow(state: AppState): Disabled | null {
  return selectedRow(state) ? null : { short: "no node", why: "no node is selected" };
}

function removeDisabled(state: AppState): Disabled | null {
  const row = selectedRow(state);
  const why = removalBlocked(state, row);
  if (!why) return null;
  return { short: state.readOnly ? "read-only" : row?.role === "data" ? "data node" : "no node", why };
}

function readOnlyDisabled(state: AppState): Disabled | null {
  return state.readOnly
    ? { short: "read-only", why: `read-only (${state.readOnly}): adding nodes is disabled` }
    : null;
}

/** `y` on a plan: not before it is loaded, not on a refusal, not in the first moments it shows. */
function planConfirmDisabled(
  plan: { refusal: string | null } | null | undefined,
  planAt: number | null | undefined,
  now: number,
): Disabled | null {
  if (!plan) return { short: "checking", why: "the admin service's answer is still being fetched" };
  if (plan.refusal)
    return { short: "refused", why: `refused: ${plan.refusal}; nothing can be confirmed`, hidden: true };
  if (planAt != null && now - planAt < CONFIRM_GRACE_MS)
    return { short: "wait", why: "the plan has just appeared: read it, then press y" };
  return null;
}

const VIEWING: Mode[] = ["list", "detail", "events", "timeline", "data", "data-shards"];
const ALL_MODES: Mode[] = [
  "list",
  "filter",
  "help",
  "detail",
  "events",
  "confirm",
  "force-confirm",
  "removing",
  "add-input",
  "add-confirm",
  "adding",
  "quit-confirm",
  "palette",
  "rolling",
  "data",
  "data-shards",
  "data-confirm",
  "data-force",
  "data-busy",
  "timeline",
];

/** The data tier's lines and the selected one (the selection follows the node's TCP address). */
function dataSelection(state: AppState): { lines: DataNodeLine[]; line: DataNodeLine | null } {
  const lines = dataNodeLines(state.cluster, state.dataHealth);
  return { lines, line: selectedDataLine(lines, state.dataSelected) };
}

function moveData(c: KeyContext, delta: number): void {
  const { lines, line } = dataSelection(c.state);
  if (!line) return;
  const i = Math.min(Math.max(lines.indexOf(line) + delta, 0), lines.length - 1);
  c.dispatch({ type: "dataSelect", tcpAddr: lines[i].tcpAddr });
}

type Six = [string, string, string, string, string, string];

/**
 * A scrolling list's keys: ↑↓/jk a line, PgUp/PgDn a page, g/G (Home/End) either end. `ids` and
 * `help` go in that order: up, down, page up, page down, first, last.
 */
function scrollBindings(list: {
  mode: Mode;
  ids: Six;
  help: Six;
  scroll: (delta: number) => Action;
  to: (end: "first" | "last") => Action;
}): Binding[] {
  const page = (c: KeyContext) => Math.max(1, c.state.size.rows - 8);
  const keys: KeyToken[][] = [
    ["up", "k"],
    ["down", "j"],
    ["pageup"],
    ["pagedown"],
    ["g", "home"],
    ["G", "end"],
  ];
  const runs: ((c: KeyContext) => void)[] = [
    (c) => c.dispatch(list.scroll(-1)),
    (c) => c.dispatch(list.scroll(1)),
    (c) => c.dispatch(list.scroll(-page(c))),
    (c) => c.dispatch(list.scroll(page(c))),
    (c) => c.dispatch(list.to("first")),
    (c) => c.dispatch(list.to("last")),
  ];
  return runs.map((run, i) => ({
    id: list.ids[i],
    keys: keys[i],
    modes: [list.mode],
    help: list.help[i],
    // One key bar chip for the lot, on the first.
    ...(i === 0 ? { bar: "scroll", barKeys: "↑↓/jk" } : {}),
    run,
  }));
}

/** d, b and D in the data tier: not read-only, and (d, D) a node selected. */
function dataChangeDisabled(what: string, needsNode: boolean) {
  return (state: AppState): Disabled | null => {
    if (state.readOnly)
      return { short: "read-only", why: `read-only (${state.readOnly}): ${what} is disabled` };
    if (needsNode && !dataSelection(state).line) return { short: "no node", why: "no data node is selected" };
    return null;
  };
}

/** `y` on a data-tier plan. */
function dataConfirmDisabled(state: AppState, now: number): Disabled | null {
  const op = state.dataOp;
  if (op?.kind === "rebalance" && op.plan?.moves.length === 0)
    return { short: "nothing", why: "nothing to move", hidden: true };
  // A rebalance plan is never refused: its unmovable shards are listed, the rest can move.
  const plan = op?.kind === "rebalance" ? op.plan && { refusal: null } : op?.plan;
  return planConfirmDisabled(plan, op?.planAt, now);
}

export const BINDINGS: Binding[] = [
  // First, so the key bar keeps them when a narrow terminal cuts it.
  {
    id: "help",
    command: "help",
    keys: ["?"],
    modes: ["list"],
    help: "this help",
    bar: "help",
    run: (c) => c.dispatch({ type: "help", open: true }),
  },
  {
    id: "quit",
    command: "quit",
    keys: ["q"],
    modes: VIEWING,
    help: "quit (the demo asks first: quitting stops its cluster)",
    bar: "quit",
    run: quitOrAsk,
  },
  // Table (and the detail pane, which follows the selection).
  {
    id: "up",
    keys: ["up", "k"],
    modes: ["list", "detail"],
    help: "select the node above",
    bar: "select",
    barKeys: "↑↓/jk",
    run: (c) => c.dispatch({ type: "move", delta: -1 }),
  },
  {
    id: "down",
    keys: ["down", "j"],
    modes: ["list", "detail"],
    help: "select the node below",
    run: (c) => c.dispatch({ type: "move", delta: 1 }),
  },
  {
    id: "page-up",
    keys: ["pageup"],
    modes: ["list"],
    help: "move up ten rows",
    run: (c) => c.dispatch({ type: "move", delta: -10 }),
  },
  {
    id: "page-down",
    keys: ["pagedown"],
    modes: ["list"],
    help: "move down ten rows",
    run: (c) => c.dispatch({ type: "move", delta: 10 }),
  },
  {
    id: "first",
    keys: ["g", "home"],
    modes: ["list"],
    help: "first node",
    run: (c) => c.dispatch({ type: "moveTo", where: "first" }),
  },
  {
    id: "last",
    keys: ["G", "end"],
    modes: ["list"],
    help: "last node",
    run: (c) => c.dispatch({ type: "moveTo", where: "last" }),
  },
  {
    id: "detail",
    command: "details",
    keys: ["enter"],
    modes: ["list"],
    help: "details of the selected node: Raft state, voters it sees, last contact, last warning in full",
    bar: "details",
    disabled: noRow,
    run: (c) => c.on.openDetail(),
  },
  {
    id: "remove",
    command: "remove",
    commandArg: "ADDR|ID",
    keys: ["d"],
    modes: ["list", "detail"],
    help: "remove the selected meta node (shows the admin service's plan, then asks)",
    bar: "remove",
    disabled: removeDisabled,
    run: (c) => {
      const row = selectedRow(c.state);
      if (row) c.on.askRemove(row);
    },
  },
  {
    id: "add",
    command: "add",
    commandArg: "ADDR",
    keys: ["a"],
    modes: ["list"],
    help: "add a blank meta node: type its HTTP address (shows the plan, then asks)",
    bar: "add",
    disabled: readOnlyDisabled,
    run: (c) => c.dispatch({ type: "addStart" }),
  },
  {
    id: "sort",
    command: "sort",
    keys: ["s"],
    modes: ["list"],
    help: "sort by the next column: address, state, latency, term, version, ID",
    bar: "sort",
    run: (c) => c.dispatch({ type: "sortNext", ...at(c) }),
  },
  {
    id: "sort-reverse",
    command: "reverse",
    keys: ["S"],
    modes: ["list"],
    help: "reverse the sort (ties stay in ID order; latency sorts in buckets, so polls do not reshuffle)",
    run: (c) => c.dispatch({ type: "sortReverse", ...at(c) }),
  },
  {
    id: "copy",
    command: "copy",
    keys: ["c"],
    modes: ["list", "detail"],
    help: "copy the selected node's HTTP address: tmux's or screen's paste buffer inside them, else the clipboard (OSC 52)",
    bar: "copy",
    disabled: noRow,
    run: (c) => {
      const row = selectedRow(c.state);
      if (row) c.on.copy(row);
    },
  },
  {
    id: "mark",
    command: "mark",
    keys: ["m"],
    modes: ["list"],
    help: "maintenance what-if: mark (or unmark) the selected node as going down; the header and removal plans show the quorum and fault tolerance that would remain; nothing is touched",
    bar: "what-if",
    disabled: noRow,
    run: (c) => c.dispatch({ type: "markToggle", ...at(c) }),
  },
  {
    id: "restart",
    command: "restart",
    keys: ["R"],
    modes: ["list"],
    help: "restart the selected DOWN node (demo only: the view started it, so it can start it again)",
    bar: "restart",
    disabled: (s) => {
      if (!s.canRestart) return { short: "n/a", why: "only the demo can restart its nodes", hidden: true };
      const row = selectedRow(s);
      if (!row || row.up !== false)
        return { short: "up", why: "R restarts a DOWN node; this one runs", hidden: true };
      return null;
    },
    run: (c) => {
      const row = selectedRow(c.state);
      if (row) c.on.restart?.(row);
    },
  },
  {
    id: "rolling",
    command: "rolling-restart",
    keys: ["u"],
    modes: ["list"],
    help: "guided rolling restart: which meta node to restart next (followers first, the leader last), and when the restarted one is back and caught up; refused when the cluster has no failure to spare",
    bar: "rolling restart",
    run: (c) => c.dispatch({ type: "rollingStart", ...at(c) }),
  },
  {
    id: "data",
    command: "data",
    keys: ["tab"],
    modes: ["list"],
    help: "the data tier: each data node's status, version, shards, bytes, under-replicated and unavailable shards",
    bar: "data tier",
    run: (c) => c.dispatch({ type: "dataOpen" }),
  },
  {
    id: "events",
    command: "events",
    keys: ["e"],
    modes: ["list"],
    help: "the events history, full screen and scrollable",
    bar: "events",
    run: (c) => c.dispatch({ type: "eventsOpen" }),
  },
  {
    id: "timeline",
    command: "timeline",
    keys: ["t"],
    modes: ["list"],
    help: "timeline: terms, leader changes and each node's commit lag over this session, with markers where a leader changed, a term changed or a node went DOWN (←→ move the cursor through time)",
    bar: "timeline",
    run: (c) => c.dispatch({ type: "timelineOpen" }),
  },
  {
    id: "bundle",
    command: "bundle",
    commandArg: "[FILE]",
    keys: ["b"],
    modes: ["list", "timeline"],
    help: "incident bundle: write one JSON file for a support ticket (the events, the -json model, show, each node's /status, the timeline; never a secret); the status line says where",
    bar: "bundle",
    run: (c) => c.on.bundle?.(),
  },
  {
    id: "refresh",
    command: "refresh",
    keys: ["r"],
    modes: [...VIEWING, "rolling"],
    help: "poll every node now",
    bar: "refresh",
    run: (c) => c.on.refresh(),
  },
  {
    id: "filter",
    command: "filter",
    commandArg: "TEXT",
    keys: ["/"],
    modes: ["list"],
    help: "filter rows by address, role, ID or state (Enter keeps it, Esc clears it)",
    bar: "filter",
    run: (c) => c.dispatch({ type: "filterStart" }),
  },
  {
    id: "filter-clear",
    keys: ["esc"],
    modes: ["list"],
    help: "clear a kept filter",
    // Esc out of habit with no filter does nothing and says nothing.
    disabled: (s) => (s.filter ? null : { short: "no filter", why: "no filter is set", hidden: true }),
    run: (c) => c.dispatch({ type: "filterClear" }),
  },
  {
    id: "back",
    keys: ["esc", "enter"],
    modes: ["detail"],
    help: "back to the table",
    bar: "back",
    run: (c) => c.dispatch({ type: "back" }),
  },

  // The data tier.
  {
    id: "data-up",
    keys: ["up", "k"],
    modes: ["data"],
    help: "select the data node above",
    bar: "select",
    barKeys: "↑↓/jk",
    run: (c) => moveData(c, -1),
  },
  {
    id: "data-down",
    keys: ["down", "j"],
    modes: ["data"],
    help: "select the data node below",
    run: (c) => moveData(c, 1),
  },
  {
    id: "data-shards",
    keys: ["enter"],
    modes: ["data"],
    help: "the selected node's shards with their health (healthy, under-replicated, unavailable, missing, orphan, hot)",
    bar: "shards",
    disabled: (s) => (dataSelection(s).line ? null : { short: "no node", why: "no data node is listed" }),
    run: (c) => {
      const { line } = dataSelection(c.state);
      if (!line) return;
      c.dispatch({ type: "dataSelect", tcpAddr: line.tcpAddr });
      c.dispatch({ type: "dataShardsOpen" });
    },
  },
  {
    id: "data-remove",
    keys: ["d"],
    modes: ["data"],
    help: "remove the selected data node: refused while it holds the last live copy of a shard (D drains it first); f in that dialog forces it, losing them",
    bar: "remove",
    disabled: dataChangeDisabled("removing nodes", true),
    run: (c) => {
      const { line } = dataSelection(c.state);
      if (line) c.on.askRemoveData?.(line.tcpAddr);
    },
  },
  {
    id: "rebalance",
    keys: ["b"],
    modes: ["data"],
    help: "rebalance: the plan that evens the shards across the live data nodes, then y runs it one move at a time",
    bar: "rebalance",
    disabled: dataChangeDisabled("rebalancing", false),
    run: (c) => c.on.askRebalance?.(),
  },
  {
    id: "drain",
    keys: ["D"],
    modes: ["data"],
    help: "drain the selected data node: the plan that moves every shard off it (a dead node's from their other copies), then y runs it",
    bar: "drain",
    disabled: dataChangeDisabled("draining", true),
    run: (c) => {
      const { line } = dataSelection(c.state);
      if (line) c.on.askRebalance?.(line.tcpAddr);
    },
  },
  {
    id: "data-back",
    keys: ["esc", "tab"],
    modes: ["data"],
    help: "back to the table",
    bar: "back",
    run: (c) => c.dispatch({ type: "back" }),
  },
  ...scrollBindings({
    mode: "data-shards",
    ids: [
      "data-shards-up",
      "data-shards-down",
      "data-shards-page-up",
      "data-shards-page-down",
      "data-shards-first",
      "data-shards-last",
    ],
    help: [
      "scroll the shards up",
      "scroll the shards down",
      "a page of shards up",
      "a page of shards down",
      "first shard",
      "last shard",
    ],
    scroll: (delta) => ({ type: "dataShardsScroll", delta }),
    to: (end) => ({ type: "dataShardsScroll", to: end }),
  }),
  {
    id: "data-shards-back",
    keys: ["esc", "enter"],
    modes: ["data-shards"],
    help: "back to the data nodes",
    bar: "back",
    run: (c) => c.dispatch({ type: "back" }),
  },
  {
    id: "data-confirm",
    keys: ["y"],
    modes: ["data-confirm"],
    help: "remove the data node, or make the moves, that the dialog names",
    bar: "confirm",
    disabled: dataConfirmDisabled,
    run: (c) => c.on.confirmData?.(),
  },
  {
    id: "data-force",
    keys: ["f"],
    modes: ["data-confirm"],
    help: "on a refused data node removal: force it (type its TCP address; the shards named are lost)",
    bar: "force",
    disabled: (s) =>
      s.dataOp?.kind === "remove-data" && s.dataOp.plan?.refusal
        ? null
        : { short: "n/a", why: "only a refused data node removal can be forced", hidden: true },
    run: (c) => c.dispatch({ type: "dataForce", ...at(c) }),
  },
  {
    id: "moves-stop",
    keys: ["s", "esc", "ctrl-c"],
    modes: ["data-busy"],
    help: "stop the moves after the current one (running the rebalance again continues); a removal cannot be stopped",
    bar: "stop",
    disabled: (s) =>
      s.dataOp?.kind !== "rebalance"
        ? { short: "busy", why: "the removal is under way on the server and cannot be stopped" }
        : s.dataOp.stopping
          ? { short: "stopping", why: "stopping after the current move" }
          : null,
    run: (c) => {
      c.dispatch({ type: "dataStop", ...at(c) });
      c.on.stopMoves?.();
    },
  },

  // Events view.
  ...scrollBindings({
    mode: "events",
    ids: [
      "events-older",
      "events-newer",
      "events-page-older",
      "events-page-newer",
      "events-oldest",
      "events-newest",
    ],
    help: [
      "scroll to older events",
      "scroll to newer events",
      "a page of older events",
      "a page of newer events",
      "oldest event",
      "newest event (and follow new ones)",
    ],
    scroll: (delta) => ({ type: "eventsScroll", delta }),
    to: (end) => ({ type: "eventsTo", where: end === "first" ? "oldest" : "newest" }),
  }),
  {
    id: "events-back",
    keys: ["esc", "e"],
    modes: ["events"],
    help: "back to the table",
    bar: "back",
    run: (c) => c.dispatch({ type: "back" }),
  },

  // Timeline view: the cursor moves through time (the window scrolls with it), ↑↓ through nodes.
  {
    id: "timeline-older",
    keys: ["left", "h"],
    modes: ["timeline"],
    help: "cursor one poll older (the window scrolls when it reaches the edge)",
    bar: "cursor",
    barKeys: "←→/hl",
    run: (c) => timelineCursor(c, -1),
  },
  {
    id: "timeline-newer",
    keys: ["right", "l"],
    modes: ["timeline"],
    help: "cursor one poll newer",
    run: (c) => timelineCursor(c, 1),
  },
  {
    id: "timeline-page-older",
    keys: ["pageup"],
    modes: ["timeline"],
    help: "a screen width older",
    run: (c) => timelineCursor(c, -chartWidth(c.state.size.columns)),
  },
  {
    id: "timeline-page-newer",
    keys: ["pagedown"],
    modes: ["timeline"],
    help: "a screen width newer",
    run: (c) => timelineCursor(c, chartWidth(c.state.size.columns)),
  },
  {
    id: "timeline-oldest",
    keys: ["g", "home"],
    modes: ["timeline"],
    help: "oldest poll kept",
    run: (c) =>
      c.dispatch({
        type: "timelineNav",
        nav: { to: "oldest", chartWidth: chartWidth(c.state.size.columns) },
      }),
  },
  {
    id: "timeline-newest",
    keys: ["G", "end"],
    modes: ["timeline"],
    help: "newest poll (and follow new ones)",
    run: (c) =>
      c.dispatch({
        type: "timelineNav",
        nav: { to: "newest", chartWidth: chartWidth(c.state.size.columns) },
      }),
  },
  {
    id: "timeline-up",
    keys: ["up", "k"],
    modes: ["timeline"],
    help: "scroll the node rows up",
    bar: "nodes",
    barKeys: "↑↓/jk",
    run: (c) => c.dispatch({ type: "timelineNav", nav: { rows: -1 } }),
  },
  {
    id: "timeline-down",
    keys: ["down", "j"],
    modes: ["timeline"],
    help: "scroll the node rows down",
    run: (c) => c.dispatch({ type: "timelineNav", nav: { rows: 1 } }),
  },
  {
    id: "timeline-back",
    keys: ["esc", "t"],
    modes: ["timeline"],
    help: "back to the table",
    bar: "back",
    run: (c) => c.dispatch({ type: "back" }),
  },

  // The filter prompt: every printable key is text.
  {
    id: "filter-type",
    keys: [TEXT],
    modes: ["filter"],
    help: "type the filter (d, q, y… are just letters here)",
    bar: "type to filter",
    run: (c) => c.dispatch({ type: "filterType", text: c.text }),
  },
  {
    id: "filter-erase",
    keys: ["backspace"],
    modes: ["filter"],
    help: "erase a character",
    run: (c) => c.dispatch({ type: "filterErase" }),
  },
  {
    id: "filter-keep",
    keys: ["enter"],
    modes: ["filter"],
    help: "keep the filter",
    bar: "keep",
    run: (c) => c.dispatch({ type: "filterAccept" }),
  },
  {
    id: "filter-cancel",
    keys: ["esc"],
    modes: ["filter"],
    help: "clear the filter",
    bar: "clear",
    run: (c) => c.dispatch({ type: "filterClear" }),
  },

  {
    id: "help-up",
    keys: ["up", "k", "pageup"],
    modes: ["help"],
    help: "scroll the help up",
    bar: "scroll",
    barKeys: "↑↓/jk",
    run: (c) => c.dispatch({ type: "helpScroll", delta: -(c.state.size.rows > 20 ? 5 : 1) }),
  },
  {
    id: "help-down",
    keys: ["down", "j", "pagedown"],
    modes: ["help"],
    help: "scroll the help down",
    run: (c) => c.dispatch({ type: "helpScroll", delta: c.state.size.rows > 20 ? 5 : 1 }),
  },
  {
    id: "help-close",
    keys: [ANY],
    modes: ["help"],
    help: "close this help",
    bar: "any other key closes the help",
    run: (c) => c.dispatch({ type: "help", open: false }),
  },

  // The removal dialog.
  {
    id: "remove-confirm",
    keys: ["y"],
    modes: ["confirm"],
    help: "remove the node the dialog names",
    bar: "remove",
    disabled: (s, now) => planConfirmDisabled(s.removal?.plan, s.removal?.planAt, now),
    run: (c) => c.on.confirmRemove(),
  },

  // The force dialog: the address is typed, then Enter.
  {
    id: "force-type",
    keys: [TEXT],
    modes: ["force-confirm", "data-force"],
    help: "type the node's address exactly (a meta node's HTTP address, a data node's TCP address)",
    bar: "type the address",
    run: (c) => c.dispatch({ type: "forceType", text: c.text }),
  },
  {
    id: "force-erase",
    keys: ["backspace"],
    modes: ["force-confirm", "data-force"],
    help: "erase a character",
    run: (c) => c.dispatch({ type: "forceErase" }),
  },
  {
    id: "force-submit",
    keys: ["enter"],
    modes: ["force-confirm", "data-force"],
    help: "force-remove when the typed address is exact (closes a refused dialog)",
    bar: "force-remove",
    disabled: (s, now) => {
      if (s.mode === "data-force")
        return s.dataOp?.plan ? null : { short: "checking", why: "the plan is still being fetched" };
      const off = planConfirmDisabled(s.removal?.plan, s.removal?.planAt, now);
      return off?.hidden ? null : off;
    },
    run: (c) => {
      const op = c.state.dataOp;
      if (c.state.mode === "data-force" && op?.kind === "remove-data") {
        if (op.typed === op.tcpAddr) c.on.confirmData?.();
        else c.dispatch({ type: "forceMismatch" });
        return;
      }
      const r = c.state.removal;
      if (r?.plan?.refusal) c.dispatch({ type: "dialogCancel", ...at(c) });
      else if (r && r.typed === r.target.httpAddr) c.on.confirmRemove();
      else c.dispatch({ type: "forceMismatch" });
    },
  },

  // Adding a node: the address, then the plan.
  {
    id: "add-type",
    keys: [TEXT],
    modes: ["add-input"],
    help: "type the new node's HTTP address (host:port)",
    bar: "type the address",
    run: (c) => c.dispatch({ type: "addType", text: c.text }),
  },
  {
    id: "add-erase",
    keys: ["backspace"],
    modes: ["add-input"],
    help: "erase a character",
    run: (c) => c.dispatch({ type: "addErase" }),
  },
  {
    id: "add-submit",
    keys: ["enter"],
    modes: ["add-input"],
    help: "check the address: the plan shows before anything changes",
    bar: "check",
    disabled: (s) =>
      !s.adding?.typed
        ? { short: "empty", why: "type the node's HTTP address first" }
        : s.adding.checking
          ? { short: "checking", why: "the node is being asked" }
          : null,
    run: (c) => {
      const typed = c.state.adding?.typed ?? "";
      c.dispatch({ type: "addSubmit" });
      c.on.planAdd(typed);
    },
  },
  {
    id: "add-confirm",
    keys: ["y"],
    modes: ["add-confirm"],
    help: "add the node the dialog names",
    bar: "add",
    disabled: (s, now) =>
      s.adding?.failed
        ? { short: "failed", why: "adding failed; nothing to confirm", hidden: true }
        : planConfirmDisabled(s.adding?.plan, s.adding?.planAt, now),
    run: (c) => c.on.confirmAdd(),
  },
  {
    id: "remove-cancel",
    keys: [ANY],
    modes: ["confirm", "add-confirm", "data-confirm"],
    help: "cancel: n, Esc, Enter or any other key",
    bar: "any other key cancels",
    run: (c) => c.dispatch({ type: "dialogCancel", ...at(c) }),
  },
  {
    id: "dialog-cancel",
    keys: ["esc"],
    modes: ["force-confirm", "add-input", "data-force"],
    help: "cancel; nothing is changed",
    bar: "cancel",
    run: (c) => c.dispatch({ type: "dialogCancel", ...at(c) }),
  },

  // Ctrl-C means one thing everywhere, as at a shell prompt: close what is open. Only the table
  // itself quits on it (after asking, in the demo).
  {
    id: "ctrl-c",
    keys: ["ctrl-c"],
    modes: ALL_MODES.filter((m) => m !== "removing" && m !== "adding" && m !== "data-busy"),
    help: "close the dialog, pane, filter or help; in the table, quit (the demo asks first)",
    run: (c) => {
      const mode = c.state.mode;
      if (mode === "list") quitOrAsk(c);
      else if (mode === "filter") c.dispatch({ type: "filterClear" });
      else if (mode === "palette") c.dispatch({ type: "paletteClose" });
      else if (mode === "rolling") c.dispatch({ type: "rollingLeave", ...at(c) });
      else if (mode === "quit-confirm") c.dispatch({ type: "quitCancel" });
      else if (["detail", "events", "help", "timeline", "data", "data-shards"].includes(mode))
        c.dispatch({ type: "back" });
      else c.dispatch({ type: "dialogCancel", ...at(c) });
    },
  },
  {
    id: "ctrl-c-busy",
    keys: ["ctrl-c"],
    modes: ["removing", "adding"],
    help: "nothing: the change is under way on the server; the view comes back when it is done",
    disabled: () => ({
      short: "busy",
      why: "the change is under way on the server and cannot be cancelled; the view comes back when it is done",
    }),
    run: () => undefined,
  },

  // The command palette (k9s-style `:`): its commands are the bindings' `command` names.
  {
    id: "palette",
    keys: [":"],
    modes: ["list"],
    help: "command palette: :remove ADDR, :add ADDR, :profile NAME, :filter TEXT, … (Tab completes)",
    bar: "command",
    run: (c) => c.dispatch({ type: "paletteOpen" }),
  },
  {
    id: "palette-type",
    keys: [TEXT],
    modes: ["palette"],
    help: "type a command (every letter is text here)",
    bar: "type a command",
    run: (c) => c.dispatch({ type: "paletteType", text: c.text }),
  },
  {
    id: "palette-erase",
    keys: ["backspace"],
    modes: ["palette"],
    help: "erase a character",
    run: (c) => c.dispatch({ type: "paletteErase" }),
  },
  {
    id: "palette-complete",
    keys: ["tab"],
    modes: ["palette"],
    help: "complete the command name, or the node address after :remove and :restart",
    bar: "complete",
    run: (c) => c.dispatch({ type: "paletteSet", text: completeLine(c.state.palette ?? "", c.state) }),
  },
  {
    id: "palette-run",
    keys: ["enter"],
    modes: ["palette"],
    help: "run the command",
    bar: "run",
    run: (c) => {
      const line = c.state.palette ?? "";
      c.dispatch({ type: "paletteClose" });
      if (line.trim()) c.on.runCommand?.(line.trim());
    },
  },
  {
    id: "palette-close",
    keys: ["esc"],
    modes: ["palette"],
    help: "close the palette",
    bar: "close",
    run: (c) => c.dispatch({ type: "paletteClose" }),
  },

  // The rolling-restart guide.
  {
    id: "rolling-restart-node",
    keys: ["R"],
    modes: ["rolling"],
    help: "restart the node the guide names (demo only: the view started it; elsewhere restart it on its host)",
    bar: "restart it",
    disabled: (s) => {
      if (!s.canRestart)
        return {
          short: "n/a",
          why: "restart it on its host; only the demo restarts its own nodes",
          hidden: true,
        };
      if (s.rolling?.phase !== "restart")
        return { short: "waiting", why: "the guide is not waiting for a restart now" };
      return null;
    },
    run: (c) => {
      const row = c.state.rolling && currentRow(c.state.rolling, c.state.cluster);
      if (row) c.on.restart?.(row, { running: true });
    },
  },
  {
    id: "rolling-leave",
    keys: ["esc"],
    modes: ["rolling"],
    help: "leave the guide (nothing is touched; Ctrl-C too)",
    bar: "leave",
    run: (c) => c.dispatch({ type: "rollingLeave", ...at(c) }),
  },

  // The demo's question before quitting.
  {
    id: "quit-confirm",
    keys: ["y"],
    modes: ["quit-confirm"],
    help: "quit (the demo stops its nodes and deletes their directory)",
    bar: "quit",
    run: (c) => c.on.quit(),
  },
  {
    id: "quit-stay",
    keys: [ANY],
    modes: ["quit-confirm"],
    help: "stay: n, Esc, Ctrl-C or any other key",
    bar: "any other key stays",
    run: (c) => c.dispatch({ type: "quitCancel" }),
  },
];

function timelineCursor(c: KeyContext, delta: number): void {
  c.dispatch({ type: "timelineNav", nav: { cursor: delta, chartWidth: chartWidth(c.state.size.columns) } });
}

/** q, and Ctrl-C in the table: quit, or ask first when quitting has a cost (the demo's cluster). */
function quitOrAsk(c: KeyContext): void {
  if (c.state.quitQuestion) c.dispatch({ type: "quitAsk" });
  else c.on.quit();
}

/** How a key is written in the key bar and the help. */
const KEY_LABEL: Record<string, string> = {
  up: "↑",
  down: "↓",
  left: "←",
  right: "→",
  pageup: "PgUp",
  pagedown: "PgDn",
  home: "Home",
  end: "End",
  enter: "Enter",
  esc: "Esc",
  backspace: "Backspace",
  "ctrl-c": "Ctrl-C",
  tab: "Tab",
  [TEXT]: "text",
  [ANY]: "any key",
};

export function keyLabel(token: KeyToken): string {
  return KEY_LABEL[token] ?? token;
}

export function bindingKeys(b: Binding): string {
  return b.keys.map(keyLabel).join("/");
}

/** The binding `token` runs in `mode` (ANY when nothing else matches; TEXT for printable text). */
export function findBinding(mode: Mode, token: KeyToken, printable: boolean): Binding | undefined {
  const inMode = BINDINGS.filter((b) => b.modes.includes(mode));
  return (
    inMode.find((b) => b.keys.includes(token)) ??
    (printable ? inMode.find((b) => b.keys.includes(TEXT)) : undefined) ??
    inMode.find((b) => b.keys.includes(ANY))
  );
}

/** The key bar's chips for `mode`: "keys label", or "keys label (why not)" when disabled. */
export function keyBarItems(state: AppState, now: number): { text: string; disabled: boolean }[] {
  const chips: { text: string; disabled: boolean }[] = [];
  for (const b of BINDINGS) {
    if (!b.bar || !b.modes.includes(state.mode)) continue;
    const off = b.disabled?.(state, now) ?? null;
    if (off?.hidden) continue;
    // Text and "any key" bindings say it in their label.
    const keys = b.keys.includes(TEXT) || b.keys.includes(ANY) ? "" : `${b.barKeys ?? bindingKeys(b)} `;
    chips.push({ text: `${keys}${b.bar}${off ? ` (${off.short})` : ""}`, disabled: off !== null });
  }
  return chips;
}

/** Title of each mode's section in the help. */
export const MODE_TITLES: [string, Mode[]][] = [
  ["Table", ["list"]],
  ["Detail pane", ["detail"]],
  ["Events view", ["events"]],
  ["Timeline", ["timeline"]],
  ["Filter", ["filter"]],
  ["Removal dialogs", ["confirm", "force-confirm"]],
  ["Data tier", ["data"]],
  ["A data node's shards", ["data-shards"]],
  ["Data-tier dialogs", ["data-confirm", "data-force", "data-busy"]],
  ["Add dialog", ["add-input", "add-confirm"]],
  ["This help", ["help"]],
  ["Command palette", ["palette"]],
  ["Rolling restart guide", ["rolling"]],
  ["Quitting the demo", ["quit-confirm"]],
  ["While a change runs", ["removing", "adding"]],
];

/** Palette commands that no key has (a profile is named, not selected). */
export const PALETTE_ONLY: { command: string; commandArg?: string; help: string }[] = [
  { command: "profile", commandArg: "NAME", help: "switch the view to the cluster profile NAME (settings)" },
  {
    command: "leave",
    help: "what influxd-ctl leave does: remove the meta node beside the admin service this view talks to (the removal plan of d on its row, what-if marks included)",
  },
];

/** Every palette command, in table order: the key bindings' names, then the palette-only ones. */
export function paletteCommands(): { command: string; commandArg?: string; help: string }[] {
  return [
    ...BINDINGS.filter((b) => b.command).map((b) => ({
      command: b.command!,
      commandArg: b.commandArg,
      help: b.help,
    })),
    ...PALETTE_ONLY,
  ];
}

/** Longest common prefix of `words`. */
function commonPrefix(words: string[]): string {
  if (words.length === 0) return "";
  let prefix = words[0];
  for (const w of words) while (!w.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}

/**
 * Tab in the palette: completes the command name from the table, then (for commands that name a
 * node) the node's address from the rows. Unchanged when nothing or several things match.
 */
export function completeLine(line: string, state: AppState): string {
  const space = line.indexOf(" ");
  if (space === -1) {
    const names = paletteCommands()
      .map((c) => c.command)
      .filter((n) => n.startsWith(line));
    if (names.length === 1) return names[0] + " ";
    return commonPrefix(names) || line;
  }
  const name = line.slice(0, space);
  const arg = line.slice(space + 1);
  if (name !== "remove" && name !== "restart") return line;
  const addrs = (state.cluster?.rows ?? []).map((r) => r.httpAddr).filter((a) => a.startsWith(arg));
  const done = addrs.length === 1 ? addrs[0] : commonPrefix(addrs);
  return done ? `${name} ${done}` : line;
}
