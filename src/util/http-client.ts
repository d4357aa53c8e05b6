/**
 * A small HTTP client over node:http/https for the CLI, the admin service and the meta client.
 * Built on the built-ins rather than undici because `influxd-ctl` must start fast, and every
 * call has a hard deadline: connect, headers and body all count against `timeoutMs`, so a dead or
 * stalled node can never hang the caller.
 */

import http from "node:http";
import https from "node:https";

export interface RequestOptions {
  method?: string;
  /** Query parameters, appended to the URL. */
  query?: Record<string, string | undefined>;
  /** A form body (application/x-www-form-urlencoded) or raw bytes. */
  form?: Record<string, string | undefined>;
  body?: Uint8Array;
  contentType?: string;
  headers?: Record<string, string>;
  timeoutMs: number;
  /** Largest response body accepted; larger ones fail the request. */
  maxBodyBytes?: number;
  tls?: TlsClientOptions;
  agent?: http.Agent;
}

/** How an HTTPS client checks the server's certificate. */
export interface TlsClientOptions {
  /** false skips verification (self-signed certificates: influxd-ctl -k, https-insecure-tls). */
  rejectUnauthorized: boolean;
  /** Trusted CA(s) in PEM; the system's roots when absent. */
  ca?: string | Buffer;
}

/**
 * How one node (or a tool) reaches the meta services of a cluster: every meta node of a cluster
 * serves the same scheme, trusts the same CA and takes the same credentials, so this is decided
 * once and handed to every client that talks to peers.
 */
export interface PeerAccess {
  scheme: "http" | "https";
  tls?: TlsClientOptions;
  /** Credentials, computed per request because tokens expire (e.g. a fresh JWT each call). */
  headers?: () => Record<string, string>;
}

export const PLAIN_HTTP: PeerAccess = { scheme: "http" };

/** `https://host:port/path` or `http://…` as `access` says. */
export function peerUrl(access: PeerAccess, addr: string, path: string): string {
  return `${access.scheme}://${addr}${path}`;
}

/** The TLS and credential part of RequestOptions for a call to a peer. `/ping` needs no
 *  credentials, and a token should not be handed to whatever listens at an address that merely
 *  should answer pings (data nodes), hence `withCredentials`. */
export function peerOptions(
  access: PeerAccess,
  withCredentials = true,
): Pick<RequestOptions, "tls" | "headers"> {
  return {
    tls: access.scheme === "https" ? access.tls : undefined,
    headers: withCredentials ? access.headers?.() : undefined,
  };
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** The request did not complete: refused, reset, timed out, or DNS failed. `code` is e.g. ECONNREFUSED or ETIMEDOUT. */
export class UnreachableError extends Error {
  constructor(
    readonly url: string,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A non-2xx answer; `message` is the server's `{"error":…}` text when it sent one, `code` its
 *  `{"code":…}` (null when it sent none). */
export class HttpStatusError extends Error {
  readonly code: string | null;
  constructor(
    readonly status: number,
    message: string,
    readonly response: HttpResponse,
  ) {
    super(message);
    this.code = errorCode(response);
  }
}

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 16 });
const keepAliveTls = new https.Agent({ keepAlive: true, maxSockets: 16 });

export function buildUrl(base: string, path: string, query?: Record<string, string | undefined>): string {
  const url = new URL(path, base);
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

export function request(url: string, opts: RequestOptions): Promise<HttpResponse> {
  const target = new URL(opts.query ? buildUrl(url, "", opts.query) : url);
  const isTls = target.protocol === "https:";
  let payload: Uint8Array | undefined = opts.body;
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.form) {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.form)) if (v !== undefined) form.set(k, v);
    payload = Buffer.from(form.toString());
    headers["content-type"] = "application/x-www-form-urlencoded";
  } else if (payload && opts.contentType) {
    headers["content-type"] = opts.contentType;
  }
  if (payload) headers["content-length"] = String(payload.byteLength);
  const maxBody = opts.maxBodyBytes ?? 64 * 1024 * 1024;

  return new Promise((resolve, reject) => {
    const lib = isTls ? https : http;
    let req: http.ClientRequest;
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(err);
    };
    const timer = setTimeout(
      () =>
        fail(
          new UnreachableError(
            target.href,
            "ETIMEDOUT",
            `${target.host}: no answer within ${opts.timeoutMs}ms`,
          ),
        ),
      opts.timeoutMs,
    );
    /**
     * Sends the request; `fresh`: on a new connection of its own rather than a pooled one.
     * `stale`: the error of the pooled attempt this one repeats. If the repeat fails too, that
     * first error is the one reported: the server may have read the request and died before
     * answering (kill -9 mid-request), and a "connection refused" from the repeat would wrongly
     * say that nothing was ever sent.
     */
    const send = (fresh: boolean, stale?: NodeJS.ErrnoException) => {
      const sent = lib.request(target, {
        method: opts.method ?? (payload ? "POST" : "GET"),
        headers,
        agent: fresh ? false : (opts.agent ?? (isTls ? (opts.tls ? undefined : keepAliveTls) : keepAlive)),
        rejectUnauthorized: opts.tls?.rejectUnauthorized ?? true,
        ca: opts.tls?.ca,
      });
      req = sent;
      let answered = false;
      sent.on("error", (err: NodeJS.ErrnoException) => {
        // A kept-alive connection that the server closed while it sat idle, before this process
        // saw the close (its event loop busy meanwhile): the request never reached the server.
        // Sent once more on a new connection, as Node's documentation advises for reused sockets.
        const staleConnection = err.code === "ECONNRESET" || err.code === "EPIPE";
        if (!fresh && !answered && !settled && sent.reusedSocket && staleConnection) return send(true, err);
        const reported = stale ?? err;
        fail(
          new UnreachableError(target.href, reported.code ?? "EIO", `${target.host}: ${describe(reported)}`),
        );
      });
      sent.on("response", (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBody) fail(new Error(`${target.host}: response larger than ${maxBody} bytes`));
          else chunks.push(chunk);
        });
        res.on("error", (err: NodeJS.ErrnoException) =>
          fail(new UnreachableError(target.href, err.code ?? "EIO", `${target.host}: ${describe(err)}`)),
        );
        res.on("end", () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
      });
      sent.end(payload);
    };
    send(false);
  });
}

/** Node's codes for a server certificate that failed verification. */
const CERTIFICATE_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_(GET_ISSUER|VERIFY)|ALTNAME/;

/** A network error in a few words ("connection refused", "host not found", …). */
export function describe(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "host not found";
    case "ECONNRESET":
      return "connection reset";
    case "EHOSTUNREACH":
      return "host unreachable";
    case "EPROTO":
      // OpenSSL's "wrong version number": the other side did not answer in TLS at all.
      return /wrong version number/.test(err.message)
        ? "TLS handshake failed: the service does not speak HTTPS"
        : `TLS handshake failed: ${err.message}`;
    default:
      if (CERTIFICATE_ERRORS.test(err.code ?? "")) return `certificate not trusted: ${err.message}`;
      return err.message;
  }
}

/** The `error` field of a JSON error body, else the body's first line, else the status text. */
export function errorText(res: HttpResponse): string {
  const text = res.body.toString("utf8").trim();
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (typeof parsed.error === "string") return parsed.error;
  } catch {
    // not JSON: fall through to the plain text
  }
  return text.split("\n")[0] || http.STATUS_CODES[res.status] || `HTTP ${res.status}`;
}

/** The `code` field of a JSON error body, or null. */
export function errorCode(res: HttpResponse): string | null {
  try {
    const parsed = JSON.parse(res.body.toString("utf8")) as { code?: unknown };
    return typeof parsed.code === "string" ? parsed.code : null;
  } catch {
    return null;
  }
}

/** Go's http.Client gives up after 10 redirects. */
export const MAX_REDIRECTS = 10;

/**
 * The one redirect follower of every client (the admin client, the meta API client, the meta
 * client that finds the leader): a 307 or 308 is sent again to its Location with the same method,
 * body and credentials, at most MAX_REDIRECTS times, as Go's client does. The query travels in
 * the Location (Go puts it there), so it is not added again. Only http(s) Locations are followed.
 */
export async function requestFollowingRedirects(url: string, opts: RequestOptions): Promise<HttpResponse> {
  for (let hop = 0; ; hop++) {
    const res = await request(url, opts);
    const location = res.headers.location;
    if ((res.status !== 307 && res.status !== 308) || !location) return res;
    const { host, pathname } = new URL(url);
    if (hop === MAX_REDIRECTS)
      throw new Error(`${host}${pathname}: stopped after ${MAX_REDIRECTS} redirects (last to ${location})`);
    const next = new URL(location, url);
    if (next.protocol !== "http:" && next.protocol !== "https:")
      throw new Error(`${host}${pathname}: redirected to ${location}, which is not HTTP`);
    url = next.href;
    opts = { ...opts, query: undefined };
  }
}

/** Request expecting a 2xx JSON answer (or 204 → undefined); other statuses throw HttpStatusError. */
export async function requestJson<T>(url: string, opts: RequestOptions): Promise<T> {
  const res = await requestFollowingRedirects(url, opts);
  if (res.status < 200 || res.status > 299) throw new HttpStatusError(res.status, errorText(res), res);
  if (res.status === 204 || res.body.length === 0) return undefined as T;
  try {
    return JSON.parse(res.body.toString("utf8")) as T;
  } catch {
    throw new Error(`${new URL(url).host}: answered with malformed JSON`);
  }
}
