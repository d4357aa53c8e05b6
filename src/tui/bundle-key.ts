/**
 * `b` and `:bundle [FILE]` in the view: the incident bundle of this session (bundle.ts), written
 * beside the operator (the current directory) unless a FILE is named; the status line says where,
 * or in one line why not. Never overwrites: a name already taken is refused.
 */

import { join } from "node:path";
import type { Logger } from "pino";
import type { ShowResult } from "../contract/cluster.ts";
import type { PeerAccess } from "../util/http-client.ts";
import { BundleWriteError, bundleFileName, bundleText, collectBundle, writeBundle } from "./bundle.ts";
import type { Profile } from "./settings.ts";
import type { Action, AppState } from "./state.ts";

export interface SessionBundleOptions {
  /** As typed after `:bundle`; none: a new name in `dir`. */
  path?: string;
  dir?: string;
  admin: { show(): Promise<ShowResult> };
  access: PeerAccess;
  timeoutMs: number;
  context: { bind: string; api?: string; profileName: string | null };
  profile?: Profile | null;
  logger: Logger;
}

export async function writeSessionBundle(
  state: AppState,
  dispatch: (action: Action) => void,
  opts: SessionBundleOptions,
): Promise<void> {
  const say = (text: string, tone: "info" | "ok" | "error", transient = false) =>
    dispatch({ type: "status", text, tone, at: Date.now(), transient });
  say("writing the incident bundle…", "info", true);
  const path = opts.path ?? join(opts.dir ?? process.cwd(), bundleFileName());
  try {
    const bundle = await collectBundle({
      origin: "live view",
      snapshot: state.cluster,
      dataHealth: state.dataHealth,
      events: state.events,
      timeline: state.timeline,
      show: () => opts.admin.show(),
      access: opts.access,
      timeoutMs: opts.timeoutMs,
      bind: opts.context.bind,
      api: opts.context.api ?? "admin",
      profileName: opts.context.profileName,
      profile: opts.profile,
    });
    const written = writeBundle(path, bundleText(bundle));
    opts.logger.info({ path: written }, "incident bundle written");
    say(`incident bundle written to ${written}`, "ok");
  } catch (err) {
    const message =
      err instanceof BundleWriteError ? err.message : `the incident bundle failed: ${(err as Error).message}`;
    opts.logger.warn({ err: message }, "incident bundle not written");
    say(message, "error");
  }
}
