/**
 * Runs the Ink app on the real terminal: alternate screen (unless TERM=dumb), a file logger, and
 * one exit path that always puts the terminal back — q, Ctrl-C, SIGTERM (143), SIGHUP (129),
 * SIGINT from outside (130) or an uncaught error (70; exit-codes.ts).
 */

import { render } from "ink";
import type { AdminPool } from "./admin-pool.ts";
import type { PeerAccess } from "../util/http-client.ts";
import { App, type SessionHooks } from "./components/App.tsx";
import { connectProfile, type ProfileConnection } from "./switch-profile.ts";
import { EXIT } from "./exit-codes.ts";
import { createFileLogger } from "./log.ts";
import type { Resolved } from "./settings.ts";
import { enterAlternateScreen, onAbnormalExit } from "./terminal.ts";
import type { Theme } from "./theme.ts";

export interface InteractiveOptions {
  /** The admin services, or the meta APIs (`kind`), the view may use. */
  admin: AdminPool;
  /** The same scheme, CA and credentials as `admin`, for polling the nodes. */
  access: PeerAccess;
  resolved: Resolved;
  timeoutMs: number;
  theme: Theme;
  logFile: string;
  /** Runs after the terminal is restored, before the process exits (the demo stops its cluster here). */
  onExit?: () => Promise<void>;
  notice?: string;
  /** Lines about this session for the help overlay (the demo's node PIDs). */
  notes?: string[];
  /** The demo's live notes, question before quitting and node restarts. */
  session?: SessionHooks;
}

export async function runInteractive(opts: InteractiveOptions): Promise<number> {
  const logger = createFileLogger(opts.logFile);
  // What is logged is chosen field by field: the secret lives only in access.headers' closure.
  const { tls, jwt } = opts.resolved.connection;
  logger.info(
    {
      bind: opts.resolved.bind,
      api: opts.admin.kind,
      intervalMs: opts.resolved.intervalMs,
      readOnly: opts.resolved.readOnly,
      tls: tls ? (tls.insecure ? "insecure" : "verified") : "off",
      auth: jwt ? `jwt as "${jwt.user}"` : "none",
    },
    "tui start",
  );
  const screen =
    process.env.TERM === "dumb" ? { restore: () => undefined } : enterAlternateScreen(process.stdout);
  // The app for one connection; `:profile NAME` draws it again on another (a new key: a fresh
  // store and poller), and says in the status line when the profile cannot be used.
  const element = (conn: ProfileConnection, notice?: string) => (
    <App
      key={`${conn.resolved.profileName ?? ""}@${conn.admin.bind}@${generation++}`}
      admin={conn.admin}
      access={conn.access}
      intervalMs={conn.resolved.intervalMs}
      timeoutMs={conn.timeoutMs}
      theme={opts.theme}
      readOnly={conn.resolved.readOnly}
      context={{
        bind: conn.admin.bind,
        api: conn.admin.kind,
        profileName: conn.resolved.profileName,
        logFile: opts.logFile,
        notes: opts.notes,
      }}
      logger={logger}
      notice={notice}
      session={opts.session}
      switchProfile={opts.session ? undefined : switchProfile}
      bundle={{ profile: conn.resolved.profile }}
    />
  );
  let generation = 0;
  let connection: ProfileConnection = {
    admin: opts.admin,
    access: opts.access,
    resolved: opts.resolved,
    timeoutMs: opts.timeoutMs,
  };
  const switchProfile = (name: string) => {
    logger.info({ profile: name }, "profile switch asked");
    connectProfile(name).then(
      (next) => {
        connection = next;
        instance.rerender(element(next, `switched to profile ${name} (${next.admin.bind})`));
      },
      (err: Error) => {
        logger.warn({ profile: name, err: err.message }, "profile switch failed");
        instance.rerender(element(connection, `cannot switch to profile ${name}: ${err.message}`));
      },
    );
  };
  const instance = render(
    element(connection, opts.notice),
    // Ctrl-C is a key like any other (routed by mode); at most 20 frames a second over slow links.
    { exitOnCtrlC: false, maxFps: 20 },
  );
  const finish = async (code: number, message?: string) => {
    screen.restore();
    if (message) process.stderr.write(message + "\n");
    logger.info({ code }, "tui exit");
    await opts.onExit?.().catch((err) => logger.error({ err }, "clean-up failed"));
    logger.flush();
    return code;
  };
  const removeHandlers = onAbnormalExit((cause) => {
    instance.unmount();
    const message =
      "error" in cause
        ? `influx-cluster: ${(cause.error as Error)?.stack ?? String(cause.error)}`
        : undefined;
    if ("error" in cause) logger.fatal({ err: cause.error }, "uncaught error");
    void finish(cause.code, message).then((code) => process.exit(code));
  });
  try {
    await instance.waitUntilExit();
  } catch (err) {
    removeHandlers();
    return finish(EXIT.internal, `influx-cluster: ${(err as Error).message}`);
  }
  removeHandlers();
  instance.cleanup();
  return finish(0);
}
