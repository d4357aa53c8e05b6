/**
 * The exit codes of `influx-cluster` (the view, -json, the demo), in one table. Health verdicts
 * take 0-3; everything that is the command line's fault takes 64 (BSD sysexits' EX_USAGE), so a
 * monitor never reads a typo as "no quorum". The README's exit-code table is this table.
 */

export const EXIT = {
  /** Every node answers, a leader, full quorum. */
  healthy: 0,
  /** A node is DOWN; quorum holds. */
  degraded: 1,
  /** No quorum, or no leader. */
  noQuorum: 2,
  /** No picture of the cluster: nothing answered, or it refused us, or our secret or CA file cannot be used. */
  unknown: 3,
  /** A bad flag, argument, profile or setting. Never a health state. */
  usage: 64,
  /** -bundle FILE could not be written (it exists, or its directory is missing or read-only):
   *  BSD sysexits' EX_CANTCREAT. */
  cantWrite: 73,
  /** The view crashed (a bug): BSD sysexits' EX_SOFTWARE, apart from every health state. */
  internal: 70,
  /** Stopped by a signal: 128 + its number (SIGHUP 129, SIGINT 130, SIGTERM 143). */
  sighup: 129,
  sigint: 130,
  sigterm: 143,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The table as the help and the README print it: code, then meaning. */
export const EXIT_TABLE: [number, string][] = [
  [EXIT.healthy, "healthy: every node answers, there is a leader"],
  [EXIT.degraded, "degraded: a node is DOWN, quorum holds"],
  [EXIT.noQuorum, "no quorum, or no leader"],
  [EXIT.unknown, "no picture: nothing answered or it refused us (also: a secret or CA file cannot be used)"],
  [EXIT.usage, "usage: a bad flag, argument, profile or setting (never a health state)"],
  [
    EXIT.cantWrite,
    "-bundle FILE could not be written: FILE exists (without -overwrite), or its directory is missing or not writable",
  ],
  [EXIT.internal, "the view crashed (a bug; the log file has the stack)"],
  [EXIT.sighup, "stopped by SIGHUP (the terminal went away)"],
  [EXIT.sigint, "stopped by SIGINT from outside"],
  [EXIT.sigterm, "stopped by SIGTERM"],
];

export function exitTableText(indent = "  "): string {
  return EXIT_TABLE.map(([code, meaning]) => `${indent}${String(code).padStart(3)}  ${meaning}`).join("\n");
}
