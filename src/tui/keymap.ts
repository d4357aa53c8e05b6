/** The keys of the list view, as the help overlay and the key bar show them. */

export interface KeyHelp {
  keys: string;
  what: string;
  destructive?: boolean;
}

export const LIST_KEYS: KeyHelp[] = [
  { keys: "↑/↓  j/k", what: "select a node" },
  { keys: "PgUp/PgDn", what: "move by ten rows" },
  { keys: "g/G  Home/End", what: "first / last node" },
  { keys: "d", what: "remove the selected meta node (asks first)", destructive: true },
  { keys: "r", what: "refresh now" },
  { keys: "/", what: "filter rows (Enter keeps it, Esc clears it)" },
  { keys: "Esc", what: "clear the filter" },
  { keys: "?", what: "this help" },
  { keys: "q  Ctrl-C", what: "quit" },
];

export const DIALOG_KEYS: KeyHelp[] = [
  { keys: "y", what: "confirm a removal (any other key cancels)" },
  { keys: "Enter", what: "force removal: submit the typed address" },
  { keys: "Esc", what: "cancel a dialog" },
];
