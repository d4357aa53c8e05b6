/**
 * useReducer, but the latest state is also readable synchronously: dispatch computes the next
 * state at once, so input handlers and async flows never act on a stale render.
 */

import { useCallback, useRef, useState } from "react";
import { reducer, type Action, type AppState } from "./state.ts";

export function useStore(init: () => AppState): [AppState, (action: Action) => void, () => AppState] {
  const ref = useRef<AppState | null>(null);
  ref.current ??= init();
  const [state, setState] = useState(ref.current);
  const dispatch = useCallback((action: Action) => {
    const next = reducer(ref.current as AppState, action);
    if (next === ref.current) return;
    ref.current = next;
    setState(next);
  }, []);
  const current = useCallback(() => ref.current as AppState, []);
  return [state, dispatch, current];
}
