/**
 * All keyboard input goes through one router that looks at the mode first. Text entry (the filter,
 * the force dialog's address field) receives every printable key, so `d`, `q` or `y` typed there
 * are just letters; destructive actions live only in list mode.
 */

import { useInput, type Key } from "ink";
import { useCallback, useRef } from "react";
import type { NodeRow } from "./model.ts";
import { selectedRow, type Action, type AppState } from "./state.ts";

export interface KeyHandlers {
  quit(): void;
  refresh(): void;
  /** `d` on a row: ask about removing it. */
  askRemove(row: NodeRow | null): void;
  /** `y` in the confirm dialog or the exact address + Enter in the force dialog. */
  confirmRemove(): void;
}

type Dispatch = (action: Action) => void;

/** Printable text of a key press (a paste arrives as one string), or "" for control keys. */
function printable(input: string, key: Key): string {
  if (key.ctrl || key.meta || key.escape || key.return || key.tab) return "";
  // eslint-disable-next-line no-control-regex
  return input.replace(/[\x00-\x1f\x7f]/g, "");
}

function listKey(state: AppState, input: string, key: Key, dispatch: Dispatch, on: KeyHandlers): void {
  if (key.upArrow || input === "k") dispatch({ type: "move", delta: -1 });
  else if (key.downArrow || input === "j") dispatch({ type: "move", delta: 1 });
  else if (key.pageUp) dispatch({ type: "move", delta: -10 });
  else if (key.pageDown) dispatch({ type: "move", delta: 10 });
  else if (key.home || input === "g") dispatch({ type: "moveTo", where: "first" });
  else if (key.end || input === "G") dispatch({ type: "moveTo", where: "last" });
  else if (input === "d") on.askRemove(selectedRow(state));
  else if (input === "r") on.refresh();
  else if (input === "/") dispatch({ type: "filterStart" });
  else if (input === "?") dispatch({ type: "help", open: true });
  else if (input === "q") on.quit();
  else if (key.escape && state.filter) dispatch({ type: "filterClear" });
}

function filterKey(input: string, key: Key, dispatch: Dispatch): void {
  if (key.escape) dispatch({ type: "filterClear" });
  else if (key.return) dispatch({ type: "filterAccept" });
  else if (key.backspace || key.delete) dispatch({ type: "filterErase" });
  else {
    const text = printable(input, key);
    if (text) dispatch({ type: "filterType", text });
  }
}

function confirmKey(state: AppState, input: string, dispatch: Dispatch, on: KeyHandlers): void {
  const plan = state.removal?.plan;
  // While the plan is loading `y` cannot confirm anything yet; it is not taken as "cancel" either.
  if (input === "y" && !plan) return;
  if (input === "y" && plan && plan.refusal === null) on.confirmRemove();
  else dispatch({ type: "dialogCancel", at: Date.now() });
}

function forceKey(state: AppState, input: string, key: Key, dispatch: Dispatch, on: KeyHandlers): void {
  const removal = state.removal;
  if (!removal) return;
  if (key.escape) dispatch({ type: "dialogCancel", at: Date.now() });
  else if (key.return) {
    if (!removal.plan) return;
    if (removal.plan.refusal !== null) dispatch({ type: "dialogCancel", at: Date.now() });
    else if (removal.typed === removal.target.httpAddr) on.confirmRemove();
    else dispatch({ type: "forceMismatch" });
  } else if (key.backspace || key.delete) dispatch({ type: "forceErase" });
  else {
    const text = printable(input, key);
    if (text) dispatch({ type: "forceType", text });
  }
}

const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

/**
 * Routes one chunk of input by mode. Keys sent quickly (key repeat, tmux send-keys) can arrive as
 * one chunk: outside text entry each character is routed on its own, against the state the
 * previous one left; text fields take the chunk whole, as a paste. Exported for tests.
 */
export function routeKey(
  current: () => AppState,
  input: string,
  key: Key,
  dispatch: Dispatch,
  on: KeyHandlers,
): void {
  const mode = current().mode;
  const typing = mode === "filter" || mode === "force-confirm";
  const text = printable(input, key);
  if (!typing && text.length > 1 && text === input) {
    for (const ch of text)
      routeOne(current(), ch, { ...NO_KEY, shift: ch !== ch.toLowerCase() }, dispatch, on);
    return;
  }
  if (key.meta && !key.escape && !key.ctrl && /^[\x20-\x7e]$/.test(input)) {
    // Esc followed quickly by a key reaches us as Alt+key ("\x1b?"). Nothing uses Alt, so it is
    // taken as what the operator typed: Esc, then the key.
    routeOne(current(), "", { ...NO_KEY, escape: true, meta: true }, dispatch, on);
    routeOne(current(), input, { ...NO_KEY, shift: input !== input.toLowerCase() }, dispatch, on);
    return;
  }
  routeOne(current(), input, key, dispatch, on);
}

function routeOne(state: AppState, input: string, key: Key, dispatch: Dispatch, on: KeyHandlers): void {
  if (key.ctrl && input === "c") {
    on.quit();
    return;
  }
  switch (state.mode) {
    case "list":
      return listKey(state, input, key, dispatch, on);
    case "filter":
      return filterKey(input, key, dispatch);
    case "help":
      return dispatch({ type: "help", open: false }); // any key closes the help
    case "confirm":
      return confirmKey(state, input, dispatch, on);
    case "force-confirm":
      return forceKey(state, input, key, dispatch, on);
    case "removing":
      return; // the removal is under way; only Ctrl-C leaves
  }
}

export function useKeys(
  current: () => AppState,
  dispatch: Dispatch,
  on: KeyHandlers,
  isActive: boolean,
): void {
  // `current` reads the store's latest state, not the last rendered one: two keys that arrive
  // before React re-renders (fast typing, tmux send-keys) must each see the effect of the first.
  const handlers = useRef(on);
  handlers.current = on;
  const handler = useCallback(
    (input: string, key: Key) => routeKey(current, input, key, dispatch, handlers.current),
    [current, dispatch],
  );
  useInput(handler, { isActive });
}
