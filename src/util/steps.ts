/**
 * Long computations written as generators that yield at points where they may pause (a decoder
 * after every few databases, an encoder after every chunk), run either to the end at once or in
 * slices of a few milliseconds with the event loop free in between: the same steps, the same
 * result, but Raft's timers and messages are served while a large import is decoded.
 */
import { setImmediate as nextTurn } from "node:timers/promises";

/** Work that pauses at each `yield` and returns a T at its end. */
export type Steps<T> = Generator<void, T, void>;

/** Runs every step now, in one synchronous call. */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/** Runs the steps in slices of about `sliceMs`, letting the event loop run between slices. */
export async function runStepsInSlices<T>(steps: Steps<T>, sliceMs = 5): Promise<T> {
  let sliceStarted = performance.now();
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    if (performance.now() - sliceStarted >= sliceMs) {
      await nextTurn();
      sliceStarted = performance.now();
    }
  }
}
