/**
 * Which API answers behind -bind, and the client for it. influx-cluster's admin service answers
 * `GET /ping` with 204 and serves `/show`; a meta node (ours, Go's, Enterprise's) answers
 * `GET /status` with `"nodeType":"meta"` and `/ping` with 200. `-api admin|meta` states which one
 * is expected: it chooses the port of a bare host, decides when the answers cannot tell (a
 * service that refuses the credentials), and a service that is clearly the other one is an error
 * that says so, never a command sent to the wrong API (a meta node takes `POST /leave` too, and
 * means something else by it).
 */

import { DEFAULT_ADMIN_PORT, withDefaultPort as addPort } from "../util/address.ts";
import { UnreachableError, type HttpResponse, type PeerAccess } from "../util/http-client.ts";
import { AdminApi } from "./admin-api.ts";
import { MetaHttp } from "./meta-http.ts";
import { MetaApi } from "./meta-api.ts";
import type { ApiKind, ClusterApi, ClusterOperations } from "./cluster-api.ts";

export const API_CHOICES = ["auto", "admin", "meta"] as const;
export type ApiChoice = (typeof API_CHOICES)[number];

export const META_PORT = 8091;

/** A -bind that points at no cluster API, or at the other one than -api asks for. */
export class DetectError extends Error {}

export interface Endpoint {
  /** host:port to talk to. */
  bind: string;
  /** Set when the port was added to a bare host: what was assumed, for the operator. */
  note: string | null;
}

/** Adds the default port of `api` to a bare host (`node1`, `[::1]`), and says so. */
export function withDefaultPort(bind: string, api: ApiChoice): Endpoint {
  const port = api === "meta" ? META_PORT : DEFAULT_ADMIN_PORT;
  const full = addPort(bind, port);
  if (full === bind) return { bind, note: null };
  const what =
    api === "meta"
      ? "the meta API port"
      : `the admin service port of an influx-cluster node; for a meta API add :${META_PORT} or -api meta`;
  return { bind: full, note: `-bind ${bind} has no port: using ${full} (${what})` };
}

/** The JSON object a response carries, whatever its status. */
function parseJson(res: HttpResponse | null): Record<string, unknown> | null {
  if (!res) return null;
  try {
    const v = JSON.parse(res.body.toString("utf8")) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const refused = (res: HttpResponse | null) => res !== null && (res.status === 401 || res.status === 403);
const said = (path: string, res: HttpResponse | null) =>
  `GET ${path} → ${res ? `HTTP ${res.status}` : "no answer"}`;

/** What the answers show: a kind, or (kind null) a description of what is there instead. */
interface Finding {
  kind: ApiKind | null;
  /** The answers could not tell for sure (credentials refused): -api decides. */
  uncertain: boolean;
  what: string;
  /** The service refused every request with an error of its own: said as it is. */
  error?: string;
}

async function look(http: MetaHttp, bind: string): Promise<Finding> {
  const quiet = <T>(p: Promise<T>) =>
    p.catch((err: unknown) => (err instanceof UnreachableError ? err : null));
  const [ping, status] = await Promise.all([
    quiet(http.send(bind, "/ping", { credentials: false })),
    quiet(http.send(bind, "/status")),
  ]);
  // Nothing answers at all: the caller reports the connection error itself.
  if (ping instanceof UnreachableError && (status instanceof UnreachableError || status === null)) throw ping;
  const p = ping instanceof UnreachableError ? null : ping;
  const s = status instanceof UnreachableError ? null : status;
  const statusJson = s?.status === 200 ? parseJson(s) : null;
  if (statusJson?.nodeType === "meta") return { kind: "meta", uncertain: false, what: "a meta API" };
  if (statusJson?.nodeType === "data")
    return {
      kind: null,
      uncertain: false,
      what: "the RPC port of a data node (GET /status says nodeType data)",
    };
  if (p?.status === 204) {
    const show = await quiet(http.send(bind, "/show"));
    const showRes = show instanceof UnreachableError ? null : show;
    const showJson = parseJson(showRes);
    // Its node list, or its JSON error (a blank node's 409): a data node has no /show at all.
    if (showRes?.status !== 404 && (Array.isArray(showJson?.meta) || typeof showJson?.error === "string"))
      return { kind: "admin", uncertain: false, what: "an influx-cluster admin service" };
    if (refused(showRes)) return { kind: "admin", uncertain: true, what: "an influx-cluster admin service" };
    const version = p.headers["x-influxdb-version"];
    if (version)
      return {
        kind: null,
        uncertain: false,
        what: `the HTTP API of an InfluxDB data node (version ${String(version)}), not a cluster management API`,
      };
  }
  if (p?.status === 200 && refused(s)) return { kind: "meta", uncertain: true, what: "a meta API" };
  if (refused(p) && refused(s)) return { kind: "meta", uncertain: true, what: "a meta API" };
  // e.g. HTTPS spoken to in plain HTTP: our services say so on every path.
  const pingError = p && p.status >= 400 ? parseJson(p)?.error : undefined;
  if (typeof pingError === "string" && pingError === parseJson(s)?.error)
    return { kind: null, uncertain: false, what: "", error: pingError };
  return {
    kind: null,
    uncertain: false,
    what: `not an InfluxDB cluster service (${said("/ping", p)}, ${said("/status", s)})`,
  };
}

const POINT_AT = `point -bind at an influx-cluster admin service (host:${DEFAULT_ADMIN_PORT}) or at a meta node's API (host:${META_PORT})`;

/** Decides the kind of API at `bind`; throws DetectError naming what is there instead. */
export async function detectApi(bind: string, api: ApiChoice, http: MetaHttp): Promise<ApiKind> {
  const found = await look(http, bind);
  if (found.error) throw new DetectError(found.error);
  if (found.kind === null) throw new DetectError(`${bind} is ${found.what}; ${POINT_AT}`);
  if (api === "auto" || api === found.kind || found.uncertain) return api === "auto" ? found.kind : api;
  if (found.kind === "meta")
    throw new DetectError(
      `${bind} is a meta API, not an admin service; use -api meta (or leave -api out), or -bind the admin service (host:${DEFAULT_ADMIN_PORT})`,
    );
  throw new DetectError(
    `${bind} is an influx-cluster admin service, not a meta API; use -api admin (or leave -api out), or -bind the meta node (host:${META_PORT})`,
  );
}

/**
 * The kind of API behind the addresses of one cluster (the TUI's -bind list): the first that
 * answers decides. With -api named, none answering is no error: the view shows them down until
 * one answers.
 */
export async function detectAmong(
  binds: readonly string[],
  api: ApiChoice,
  access: PeerAccess,
  timeoutMs: number,
): Promise<ApiKind> {
  const http = new MetaHttp(access, timeoutMs);
  let firstError: unknown = null;
  for (const bind of binds) {
    try {
      return await detectApi(bind, api, http);
    } catch (err) {
      if (!(err instanceof UnreachableError)) throw err;
      firstError ??= err;
    }
  }
  if (api !== "auto") return api;
  throw firstError;
}

export interface ConnectOptions {
  bind: string;
  api: ApiChoice;
  access: PeerAccess;
  timeoutMs: number;
  /** Told what was assumed (a bare host's port). */
  onNote?: (note: string) => void;
}

/** The client for the API behind -bind. */
export async function connect(opts: ConnectOptions): Promise<ClusterApi> {
  const { bind, note } = withDefaultPort(opts.bind, opts.api);
  if (note) opts.onNote?.(note);
  const kind = await detectApi(bind, opts.api, new MetaHttp(opts.access, opts.timeoutMs));
  return clientFor(kind, bind, opts.access, opts.timeoutMs);
}

/**
 * The operations of the API behind -bind, found on the first call: a command that fails on its
 * arguments or on a missing terminal does so before anything goes over the network.
 */
export function connectOnFirstUse(opts: ConnectOptions): ClusterOperations {
  let api: Promise<ClusterApi> | undefined;
  return new Proxy({} as ClusterOperations, {
    // Not a promise itself ("then" absent), so awaiting the object never connects.
    get: (_target, name) =>
      name === "then"
        ? undefined
        : (...args: unknown[]) =>
            (api ??= connect(opts)).then((a) =>
              (a[name as keyof ClusterOperations] as (...x: unknown[]) => unknown).apply(a, args),
            ),
  });
}

export function clientFor(kind: ApiKind, bind: string, access: PeerAccess, timeoutMs: number): ClusterApi {
  return kind === "meta"
    ? new MetaApi({ bind, access, timeoutMs })
    : new AdminApi({ bind, access, timeoutMs });
}
