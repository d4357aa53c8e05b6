/**
 * The hand-back window of `influxd-ctl migrate-meta -rollback` (docs/operations.md, "Rolling
 * back"; docs/http-api.md, `POST /hand-back`).
 *
 * After the handover every Go data node long-polls ours, and each answer of ours carries our
 * MetaNodes, which the Go meta client takes as its meta-server list (chengshiwen/influxdb-cluster
 * services/meta/client.go, pollForUpdates and updateMetaServers): a JoinCluster to the Go tier
 * alone would not hold, and serving it a Data of ours that names the Go nodes would leave our
 * index in its cache, above the Go tier's, so it would take itself for current there. During the
 * window this node answers a Go data node's poll instead with a 307 to `GET /?index=0` on a Go
 * meta node. The Go client follows it (net/http follows a 307 on GET; pkg/httputil's CheckRedirect
 * signs the redirected request again), gets the Go tier's own Data at the Go tier's own index,
 * replaces its cache with it, sets its list from the Go MetaNodes and saves client.json; its next
 * poll goes to the Go tier. Polls already held open are ended at once. `/execute` answers 503
 * meanwhile: the Go client sleeps 1 s and sends the command to the next server of its list, by
 * then the Go tier's, so no command of a data node lands on ours, which is being left.
 *
 * The window is bounded (at most MAX_HAND_BACK_MS) and costs no Raft work: a redirect per poll.
 */
import { HttpError } from "./errors.ts";
import { sendJson, type RequestContext } from "./http-server.ts";
import { parseDuration } from "../util/duration.ts";
import { isHostPort } from "../util/address.ts";

export const MAX_HAND_BACK_MS = 120_000;

export class HandBack {
  private to: string | null = null;
  private until = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Polls held open by Go data nodes: each ends itself when a window opens. */
  private readonly held = new Set<() => void>();

  /** The Go meta node a Go data node's poll is sent to now; null outside a window. */
  target(): string | null {
    return this.to !== null && Date.now() < this.until ? this.to : null;
  }

  /** Opens (or moves, or with 0 ms closes) the window; returns how many held polls it ended. */
  open(to: string, ms: number): number {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (ms <= 0) {
      this.to = null;
      return 0;
    }
    this.to = to;
    this.until = Date.now() + ms;
    this.timer = setTimeout(() => (this.to = null), ms);
    this.timer.unref();
    const ended = [...this.held];
    for (const end of ended) end();
    return ended.length;
  }

  /** Registers a held poll's `end`; returns its removal. */
  hold(end: () => void): () => void {
    this.held.add(end);
    return () => this.held.delete(end);
  }

  /** Answers a Go data node's poll with the redirect, when a window is open. */
  redirect(ctx: RequestContext, scheme: string): boolean {
    const to = this.target();
    if (to === null || ctx.res.destroyed) return false;
    sendJson(
      ctx.res,
      307,
      { error: `this meta tier hands its data nodes back to the Go meta tier at ${to}` },
      { location: `${scheme}://${to}/?index=0` },
    );
    return true;
  }

  /** /execute during the window: the Go client moves on to the next server of its list. */
  refuseCommands(): void {
    const to = this.target();
    if (to !== null)
      throw new HttpError(
        503,
        `this meta tier hands its data nodes back to the Go meta tier at ${to} (influxd-ctl migrate-meta -rollback): send commands there`,
        {},
        "HANDING_BACK",
      );
  }
}

/**
 * `POST /hand-back` form `to=<Go meta node host:port>&for=<duration>`: opens the window (`for=0`
 * closes it). `ours` are our meta nodes' HTTP addresses: a window to one of them would redirect
 * the data nodes in a loop.
 */
export function openHandBack(
  handBack: HandBack,
  params: URLSearchParams,
  ours: readonly string[],
): { to: string; until: string | null; endedPolls: number } {
  const to = params.get("to") ?? "";
  if (!isHostPort(to)) throw new HttpError(400, `invalid "to" ${JSON.stringify(to)}: want host:port`);
  if (ours.includes(to))
    throw new HttpError(409, `"to" ${to} is one of our meta nodes: hand back to a Go meta node`);
  const raw = params.get("for");
  if (raw === null) throw new HttpError(400, `missing parameter "for"`);
  let ms: number;
  try {
    ms = parseDuration(raw);
  } catch (err) {
    throw new HttpError(400, `invalid "for": ${(err as Error).message}`);
  }
  if (ms > MAX_HAND_BACK_MS) throw new HttpError(400, `"for" ${raw} is above the limit of 2m`);
  const endedPolls = handBack.open(to, ms);
  return { to, until: ms > 0 ? new Date(Date.now() + ms).toISOString() : null, endedPolls };
}
