/**
 * All keyboard input goes through one router, driven by the binding table (keymap.ts): a chunk of
 * input becomes key tokens, and each token runs the binding the current mode declares for it. Text
 * entry (the filter, the address fields) takes printable keys as text, so `d`, `q` or `y` typed
 * there are just letters; destructive actions live only in the modes that declare them.
 */

import { useInput, type Key } from "ink";
import { useCallback, useRef } from "react";
import { findBinding, type KeyHandlers, type KeyToken } from "./keymap.ts";
import type { Action, AppState } from "./state.ts";

export type { KeyHandlers } from "./keymap.ts";

type Dispatch = (action: Action) => void;

/** Modes whose printable keys are text. */
const TYPING = new Set<AppState["mode"]>(["filter", "force-confirm", "add-input", "palette"]);

/** The named key Ink parsed, or null when the input is characters. */
function namedKey(input: string, key: Key): KeyToken | null {
  if (key.ctrl && input === "c") return "ctrl-c";
  if (key.upArrow) return "up";
  if (key.downArrow) return "down";
  if (key.leftArrow) return "left";
  if (key.rightArrow) return "right";
  if (key.pageUp) return "pageup";
  if (key.pageDown) return "pagedown";
  if (key.home) return "home";
  if (key.end) return "end";
  if (key.return) return "enter";
  if (key.escape) return "esc";
  if (key.tab) return "tab";
  if (key.backspace || key.delete) return "backspace";
  if (key.ctrl) return `ctrl-${input}`;
  return null;
}

/** One key of a chunk: a token, and the printable text it carries (for text fields). */
interface Piece {
  token: KeyToken;
  text: string;
}

function charToken(ch: string): KeyToken | null {
  if (ch === "\x7f" || ch === "\b") return "backspace";
  if (ch === "\r" || ch === "\n") return "enter";
  if (ch === "\t") return "tab";
  if (ch === "\x1b") return "esc";
  return ch < " " ? null : ch;
}

/**
 * The first key of `chars` and how many characters it used. Keys sent quickly (key repeat, tmux
 * send-keys, two Backspaces) can arrive as one chunk that Ink does not parse: control characters
 * become their keys, printable characters one key each, or one piece of text in a text field (a
 * paste). Unknown control characters are skipped.
 */
function nextPiece(chars: string[], typing: boolean): { piece: Piece | null; used: number } {
  let used = 0;
  while (used < chars.length) {
    const ch = chars[used++];
    const token = charToken(ch);
    if (token === null) continue;
    if (token !== ch) return { piece: { token, text: "" }, used };
    let text = ch;
    while (typing && used < chars.length && charToken(chars[used]) === chars[used]) text += chars[used++];
    return { piece: { token: ch, text }, used };
  }
  return { piece: null, used };
}

/**
 * Routes one chunk of input. Each key acts on the state the previous one left (read through
 * `current`), so a chunk such as "/9d3" opens the filter and then types "9d3" into it.
 * Exported for tests.
 */
export function routeKey(
  current: () => AppState,
  input: string,
  key: Key,
  dispatch: Dispatch,
  on: KeyHandlers,
  now: () => number = Date.now,
): void {
  const named = namedKey(input, key);
  if (named) return routeOne(current(), { token: named, text: "" }, dispatch, on, now());
  // Esc followed quickly by a key reaches us as Alt+key ("\x1b?"). Nothing uses Alt, so it is
  // taken as what the operator typed: Esc, then the key.
  if (key.meta && /^[\x20-\x7e]$/.test(input))
    routeOne(current(), { token: "esc", text: "" }, dispatch, on, now());
  // Each key is read against the mode it will meet: after "/", the rest is filter text.
  let rest = [...input];
  while (rest.length) {
    const { piece, used } = nextPiece(rest, TYPING.has(current().mode));
    if (piece) routeOne(current(), piece, dispatch, on, now());
    rest = rest.slice(used);
  }
}

function routeOne(state: AppState, piece: Piece, dispatch: Dispatch, on: KeyHandlers, now: number): void {
  const printable = piece.text !== "";
  const binding = findBinding(state.mode, piece.token, printable);
  if (!binding) return;
  const off = binding.disabled?.(state, now) ?? null;
  if (off?.hidden) {
    // Not offered here: the key does what any other key does.
    const other = findBinding(state.mode, "", false);
    if (other && other !== binding) other.run({ state, dispatch, on, text: piece.text, now });
    return;
  }
  if (off) {
    dispatch({ type: "status", text: off.why, tone: "warn", at: now, transient: true });
    return;
  }
  binding.run({ state, dispatch, on, text: piece.text, now });
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
