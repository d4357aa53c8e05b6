/**
 * The incident bundle: one JSON file to attach to a support ticket (`b` and `:bundle [FILE]` in the
 * view, `influx-cluster -bundle FILE` without it). It holds the events, the `-json` model, the
 * node list (`show`), each meta node's own `/status` and the timeline, and never a secret: the
 * bundle is scrubbed key by key and string by string before it is written, and what the view knows
 * of its credentials is described, not copied. Every request has a deadline: a dead node's entry
 * is its error.
 */

import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  fsyncSync,
  linkSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname, resolve } from "node:path";
import type { ShowResult } from "../contract/cluster.ts";
import { peerOptions, peerUrl, requestJson, type PeerAccess } from "../util/http-client.ts";
import { VERSION } from "../version.ts";
import type { ClusterEvent } from "./events.ts";
import type { DataHealth } from "./data-tier.ts";
import type { ClusterSnapshot } from "./model.ts";
import { describeError } from "./probe.ts";
import { jsonReport } from "./report.ts";
import type { Profile } from "./settings.ts";
import { DOWN, drawTimeline, NEWEST, NO_DATA, NO_LAG, type Timeline } from "./timeline.ts";

/** What the bundle is made from. */
export interface BundleSource {
  /** "the live view" or "one poll (-bundle)": the file says which, and what that means. */
  origin: "live view" | "one poll";
  snapshot: ClusterSnapshot | null;
  /** The data tier's replica health as last polled (null: none), in the model as `-json` has it. */
  dataHealth: DataHealth | null;
  events: ClusterEvent[];
  timeline: Timeline;
  /** The node list, asked again (its own deadline), or what the poll already has. */
  show: () => Promise<ShowResult>;
  /** How the nodes are reached: only its scheme and whether it carries credentials are written. */
  access: PeerAccess;
  timeoutMs: number;
  bind: string;
  api: string;
  profileName: string | null;
  /** The profile in use, scrubbed before it is written. */
  profile?: Profile | null;
  now?: number;
}

/** Keys whose values are never written, whatever holds them. */
const SECRET_KEY = /pass(word)?|secret|token|authori[sz]ation|cookie|credential|bearer|private/i;
const REDACTED = "[redacted]";

/** A string with any credentials in it removed: user:password@ in addresses, bearer tokens. */
function scrubText(text: string): string {
  return text
    .replace(/(\/\/)[^/@\s]*@/g, `$1${REDACTED}@`)
    .replace(/(^|[\s,"'(=])[^\s/@,"'(=]+:[^\s/@,"']*@(?=[\w.[\]-]+)/g, `$1${REDACTED}@`)
    .replace(/\b(bearer|basic)\s+[\w.~+/=-]{20,}/gi, `$1 ${REDACTED}`);
}

/** A copy of `value` with secret keys' values and credentials in strings replaced. */
export function scrub(value: unknown): unknown {
  if (typeof value === "string") return scrubText(value);
  if (Array.isArray(value)) return value.map(scrub);
  if (value && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && v != null ? REDACTED : scrub(v)]),
    );
  return value;
}

/** One node's /status as it answers, or why it did not (never thrown). */
async function statusOf(httpAddr: string, access: PeerAccess, timeoutMs: number) {
  try {
    const status = await requestJson<unknown>(peerUrl(access, httpAddr, "/status"), {
      timeoutMs,
      ...peerOptions(access),
    });
    return { node: httpAddr, status };
  } catch (err) {
    return { node: httpAddr, error: describeError(err, timeoutMs) };
  }
}

function lagText(v: number): string {
  return v === DOWN ? "DOWN" : v === NO_LAG ? "up" : v === NO_DATA ? "-" : String(v);
}

/** The timeline as data: one line per sample (readable, and easy to cut), and the view as drawn. */
function timelineOf(tl: Timeline) {
  return {
    nodes: tl.nodes.map((n) => n.label),
    sampleFormat: "time term=T leader=HTTP lag=one value per node (commit lag, DOWN, up, -) markers",
    samples: tl.samples.map((s) => {
      const lags = tl.nodes.map((_, i) => lagText(i < s.values.length ? s.values[i] : NO_DATA));
      const marks = [s.leaderChanged && "leader-change", s.termChanged && "term-change"]
        .concat(s.wentDown.map((k) => `down:${k.replace(/^\w+:/, "")}`))
        .filter(Boolean);
      return `${new Date(s.at).toISOString()} term=${s.term ?? "-"} leader=${s.leader ?? "none"} lag=${lags.join(",")}${marks.length ? " " + marks.join(" ") : ""}`;
    }),
    drawn: drawTimeline(tl, NEWEST, { columns: 160, height: tl.nodes.length + 9, ascii: true }).map((l) =>
      l.text.trimEnd(),
    ),
  };
}

/** Everything the bundle holds, gathered concurrently, each request under its own deadline. */
export async function collectBundle(src: BundleSource): Promise<Record<string, unknown>> {
  const now = src.now ?? Date.now();
  const meta = (src.snapshot?.rows ?? []).filter((r) => r.role === "meta");
  const [show, statuses] = await Promise.all([
    src.show().then(
      (s) => s as unknown,
      (err) => ({ error: describeError(err, src.timeoutMs) }),
    ),
    Promise.all(meta.map((r) => statusOf(r.httpAddr, src.access, src.timeoutMs))),
  ]);
  const notes = [
    "Secrets are never included: no shared secret, token, password or Authorization header; credentials in addresses and secret-file settings are replaced by [redacted].",
    src.origin === "one poll"
      ? "Written by influx-cluster -bundle from ONE poll: the events are what that poll saw (no history), and the timeline holds that one sample."
      : `Written from the live view: the events and the timeline cover this session (the timeline keeps the last ${src.timeline.samples.length} polls).`,
    "Times are UTC (ISO 8601); the session's local time zone is in timeZone.",
  ];
  const bundle = {
    bundle: "influx-cluster incident bundle",
    format: 1,
    version: VERSION,
    writtenAt: new Date(now).toISOString(),
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    origin: src.origin,
    notes,
    connection: {
      bind: src.bind,
      api: src.api,
      scheme: src.access.scheme,
      auth: src.access.headers ? "jwt (a token signed per request; not included)" : "none",
      profileName: src.profileName,
      profile: src.profile ?? null,
    },
    model: src.snapshot ? JSON.parse(jsonReport(src.snapshot, src.dataHealth)) : null,
    show,
    status: statuses,
    events: src.events.map((e) => ({ at: new Date(e.at).toISOString(), tone: e.tone, text: e.text })),
    timeline: timelineOf(src.timeline),
  };
  return scrub(bundle) as Record<string, unknown>;
}

/** The bundle file could not be written: one line saying why; `exists` when a file is in the way. */
export class BundleWriteError extends Error {
  constructor(
    message: string,
    readonly exists = false,
  ) {
    super(message);
  }
}

/** A name for a bundle written now: sortable, and unlikely to exist already. */
export function bundleFileName(now = Date.now()): string {
  const stamp = new Date(now)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return `influx-cluster-bundle-${stamp}.json`;
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === "ENOENT") return "its directory does not exist";
  if (e.code === "EACCES" || e.code === "EPERM" || e.code === "EROFS") return "its directory is not writable";
  if (e.code === "ENOTDIR") return "a part of its path is not a directory";
  if (e.code === "EISDIR") return "it is a directory";
  return e.code ?? e.message;
}

/**
 * Checks, before anything is asked of the cluster, that `path` can be written: its directory is
 * writable and, unless `overwrite`, no file is there. Returns the absolute path.
 */
export function checkBundlePath(path: string, overwrite: boolean): string {
  const target = resolve(path);
  if (!overwrite && existsSync(target))
    throw new BundleWriteError(`cannot write the bundle to ${target}: a file is there already`, true);
  const dir = dirname(target);
  let why: string | null = null;
  try {
    if (!statSync(dir).isDirectory()) why = reason({ code: "ENOTDIR" });
    else accessSync(dir, constants.W_OK);
  } catch (err) {
    why = reason(err);
  }
  if (why) throw new BundleWriteError(`cannot write the bundle to ${target}: ${why}`);
  return target;
}

/**
 * Writes `text` to `path` atomically: a temporary file beside it, flushed to disk, then linked to
 * its name (which fails if a file appeared there meanwhile) or, with `overwrite`, renamed over it.
 * A reader never sees half a bundle. Returns the absolute path.
 */
export function writeBundle(path: string, text: string, overwrite = false): string {
  const target = checkBundlePath(path, overwrite);
  const tmp = `${dirname(target)}/.${basename(target)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    const fd = openSync(tmp, "wx", 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (overwrite) renameSync(tmp, target);
    else {
      linkSync(tmp, target);
      unlinkSync(tmp);
    }
    // The new name is durable once its directory is.
    const dir = openSync(dirname(target), "r");
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // not created, or already renamed
    }
    const exists = (err as NodeJS.ErrnoException).code === "EEXIST" && !overwrite;
    throw new BundleWriteError(
      `cannot write the bundle to ${target}: ${exists ? "a file is there already" : reason(err)}`,
      exists,
    );
  }
  return target;
}

/** The bundle as the file holds it. */
export function bundleText(bundle: Record<string, unknown>): string {
  return JSON.stringify(bundle, null, 2) + "\n";
}
