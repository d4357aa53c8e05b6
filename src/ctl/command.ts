/** What every influxd-ctl command is given and how it prints its result. */

import type { ClusterOperations } from "../client/cluster-api.ts";
import type { FlagSpecs, FlagValues } from "../util/flags.ts";
import type { PeerAccess } from "../util/http-client.ts";

export interface Context {
  api: ClusterOperations;
  /** The -bind address, for hints that name commands. */
  bind: string;
  json: boolean;
  out: (text: string) => void;
  /** Scheme, TLS and credentials of -bind, for commands that talk to more nodes themselves. */
  access: PeerAccess;
  /** -timeout: the deadline of each request. */
  timeoutMs: number;
}

export interface Command {
  args: string;
  summary: string;
  flags: FlagSpecs;
  /** Exact number of positional arguments, or [min, max]. */
  arity: number | [number, number];
  run(ctx: Context, flags: FlagValues, args: string[]): Promise<void>;
  examples: string[];
}

/** Prints `result` as JSON under -json, else `text` (a function when it is costly to make). */
export function printResult(ctx: Context, result: unknown, text: string | (() => string)): void {
  ctx.out(ctx.json ? JSON.stringify(result, null, 2) : typeof text === "string" ? text : text());
}
