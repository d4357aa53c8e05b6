/**
 * The HTTP plumbing shared by the meta service (8091) and the admin service (8084): a route
 * table, request ids, JSON errors, body limits (413 before a large body is read), 405 naming the
 * right method, slow-client cut-offs, and a graceful close that ends in-flight requests in bounded
 * time.
 */

import http from "node:http";
import https from "node:https";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { randomBytes } from "node:crypto";

/** Request ids: a random per-process prefix and a counter, unique without a syscall per request. */
const ID_PREFIX = randomBytes(4).toString("hex");
let requestCounter = 0;
const nextRequestId = (): string => `${ID_PREFIX}${(++requestCounter).toString(16).padStart(8, "0")}`;
import type { Logger } from "pino";
import { httpErrorOf, HttpError } from "./errors.ts";

export interface RequestContext {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  url: URL;
  requestId: string;
  /** Who the guard let in (unset when no guard authenticates): a node (internal secret), an
   *  operator's tool (shared secret) or a user of the meta store (basic credentials). */
  credential?: "internal" | "operator" | "user";
  /** The request body, at most the server's limit or `limit` if smaller (413 otherwise). */
  body(limit?: number): Promise<Buffer>;
  /** Parameters from the query string and, for form bodies, the body (body wins). */
  params(): Promise<URLSearchParams>;
}

export type Handler = (ctx: RequestContext) => Promise<void> | void;

/** Keys are "METHOD /path", e.g. "GET /ping". "GET" routes also answer HEAD. */
export type Routes = Record<string, Handler>;

export interface HttpServiceOptions {
  name: string;
  routes: Routes;
  maxBodyBytes: number;
  logger: Logger;
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Headers added to every response (e.g. the meta service's version and metadata index). */
  headers?: () => Record<string, string>;
  /** Called before routing; may throw HttpError (authentication). */
  guard?: (ctx: RequestContext) => void | Promise<void>;
  /** Slow-client cut-offs: every header within `headersMs` (default 10 s), the whole request
   *  within `requestMs` (default 30 s; not less than `headersMs`). */
  timeouts?: { headersMs?: number; requestMs?: number };
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
) {
  const body = Buffer.from(JSON.stringify(value) + "\n");
  res.writeHead(status, { "content-type": "application/json", "content-length": body.length, ...headers });
  res.end(body);
}

export function sendBytes(
  res: http.ServerResponse,
  status: number,
  body: Uint8Array | string,
  type: string,
  headers: Record<string, string> = {},
) {
  const buf =
    typeof body === "string" ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  res.writeHead(status, { "content-type": type, "content-length": buf.length, ...headers });
  res.end(buf);
}

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > limit) return Promise.reject(new HttpError(413, `request body larger than ${limit} bytes`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners("data");
        req.resume();
        reject(new HttpError(413, `request body larger than ${limit} bytes`));
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * A plain-HTTP request to an HTTPS port would only see its connection dropped; answer it with a
 * 400 that says what to do instead. OpenSSL recognises such a request (ERR_SSL_HTTP_REQUEST)
 * while the raw socket is still writable.
 */
function answerPlainHttp(server: https.Server): void {
  const raw = new Map<string, Socket>();
  server.on("connection", (socket: Socket) => {
    const key = `${socket.remoteAddress}:${socket.remotePort}`;
    raw.set(key, socket);
    socket.once("close", () => raw.delete(key));
  });
  server.on("tlsClientError", (err: NodeJS.ErrnoException, tlsSocket: TLSSocket) => {
    const socket = raw.get(`${tlsSocket.remoteAddress}:${tlsSocket.remotePort}`);
    if (err.code !== "ERR_SSL_HTTP_REQUEST" || !socket?.writable) return;
    const body =
      JSON.stringify({ error: "this port serves HTTPS: use https:// (influxd-ctl -bind-tls)" }) + "\n";
    socket.end(
      `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
}

/**
 * Requests Node's parser refuses before any route sees them (headers too large, a malformed
 * request line, a slow client's deadline) get a JSON error like every other answer, instead of
 * Node's bare status line.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: import("node:stream").Duplex): void {
  const inFlight = (socket as { _httpMessage?: http.ServerResponse })._httpMessage;
  if (err.code === "ECONNRESET" || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, error] =
    err.code === "HPE_HEADER_OVERFLOW"
      ? [431, "request headers larger than the server accepts"]
      : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "request not received in time"]
        : [400, `malformed request: ${err.code ?? err.message}`];
  const body = JSON.stringify({ error }) + "\n";
  // Ending only our side would leave a client that keeps sending (a slowloris after its 408)
  // holding the socket: it is destroyed once the answer is flushed, or after 1 s regardless.
  const cutOff = setTimeout(() => socket.destroy(), 1_000).unref();
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    () => {
      clearTimeout(cutOff);
      socket.destroy();
    },
  );
}

/** A message as a header value: printable ASCII only, at most 1024 characters. */
function headerSafe(message: string): string {
  return message.replace(/[^\x20-\x7e]/g, "?").slice(0, 1024);
}

export class HttpService {
  readonly server: http.Server;
  private readonly byPath = new Map<string, Map<string, Handler>>();

  constructor(private readonly opts: HttpServiceOptions) {
    for (const [key, handler] of Object.entries(opts.routes)) {
      const [method, path] = key.split(" ");
      const methods = this.byPath.get(path) ?? new Map<string, Handler>();
      methods.set(method, handler);
      if (method === "GET") methods.set("HEAD", handler);
      this.byPath.set(path, methods);
    }
    const listener = (req: http.IncomingMessage, res: http.ServerResponse) => void this.handle(req, res);
    // A client that trickles its headers or body is cut off instead of holding a socket forever.
    // Node checks these deadlines on a timer that runs every 30 s by default, which would let such
    // a client keep its socket up to 30 s past them: check often enough to keep them.
    const headersTimeout = opts.timeouts?.headersMs ?? 10_000;
    const requestTimeout = opts.timeouts?.requestMs ?? 30_000;
    const timing: http.ServerOptions = {
      headersTimeout,
      requestTimeout,
      connectionsCheckingInterval: Math.min(1_000, Math.max(10, headersTimeout / 4)),
    };
    this.server = opts.tls
      ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key, ...timing }, listener)
      : http.createServer(timing, listener);
    if (opts.tls) answerPlainHttp(this.server as https.Server);
    this.server.on("clientError", answerClientError);
    this.server.keepAliveTimeout = 5_000;
  }

  /** Binds; rejects with a message naming the address when it is in use or not permitted. */
  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        const where = `${host || "*"}:${port}`;
        const why =
          err.code === "EADDRINUSE"
            ? "address already in use"
            : err.code === "EACCES"
              ? "permission denied"
              : err.message;
        reject(new Error(`${this.opts.name}: cannot listen on ${where}: ${why}`));
      };
      this.server.once("error", onError);
      this.server.listen(port, host || undefined, () => {
        this.server.off("error", onError);
        const addr = this.server.address() as { address: string; port: number };
        resolve({ host: addr.address, port: addr.port });
      });
    });
  }

  /** Stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts the rest. */
  async close(graceMs = 2000): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const timer = setTimeout(() => this.server.closeAllConnections(), graceMs);
    await closed;
    clearTimeout(timer);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // As InfluxDB: X-Request-Id, else Request-Id, else a new id; both headers carry it back.
    const given = req.headers["x-request-id"] ?? req.headers["request-id"];
    const requestId = typeof given === "string" && /^[\w.-]{1,64}$/.test(given) ? given : nextRequestId();
    res.setHeader("x-request-id", requestId);
    res.setHeader("request-id", requestId);
    const extra = this.opts.headers?.();
    if (extra) for (const name in extra) res.setHeader(name, extra[name]);
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://localhost");
    } catch {
      sendJson(res, 400, { error: "malformed request URL" });
      return;
    }
    let bodyPromise: Promise<Buffer> | undefined;
    const ctx: RequestContext = {
      req,
      res,
      url,
      requestId,
      body: (limit) => (bodyPromise ??= readBody(req, Math.min(limit ?? Infinity, this.opts.maxBodyBytes))),
      params: async () => {
        const params = new URLSearchParams(url.search);
        if ((req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
          for (const [k, v] of new URLSearchParams((await ctx.body()).toString("utf8"))) params.set(k, v);
        }
        return params;
      },
    };
    const started = performance.now();
    try {
      const methods = this.byPath.get(url.pathname);
      if (!methods) throw new HttpError(404, `no such endpoint: ${url.pathname}`);
      const handler = methods.get(req.method ?? "GET");
      if (!handler) {
        const allowed = [...methods.keys()].filter((m) => m !== "HEAD");
        throw new HttpError(405, `use ${allowed.join(" or ")} ${url.pathname}`, {
          allow: allowed.join(", "),
        });
      }
      await this.opts.guard?.(ctx);
      await handler(ctx);
    } catch (thrown) {
      const err = httpErrorOf(thrown);
      const status = err.status;
      // A 503 is a passing state (an election, a transfer): the client retries after Retry-After.
      if (status === 503)
        this.opts.logger.warn({ err: err.message, requestId, path: url.pathname }, "request refused for now");
      else if (status >= 500)
        this.opts.logger.error({ err: thrown, requestId, path: url.pathname }, "request failed");
      const headers: Record<string, string> = { ...err.headers };
      if (status === 413) {
        // The client may still be sending. Closing now would hit it with EPIPE before it reads
        // our answer, so a body of a sane declared size is drained (and discarded): the
        // connection then stays clean for reuse. An unknown (chunked) or absurd size is answered
        // with `connection: close`. Either way a client that stalls is cut off after 5 s.
        const declared = Number(req.headers["content-length"]);
        if (!(declared <= Math.max(4 * this.opts.maxBodyBytes, 64 * 1024 * 1024)))
          headers.connection = "close";
        req.resume();
        const cutOff = setTimeout(() => req.socket.destroy(), 5_000).unref();
        req.once("end", () => clearTimeout(cutOff));
      }
      // As InfluxDB, a failed request also names its error in a header (not on a 401).
      if (status !== 401) headers["x-influxdb-error"] = headerSafe(err.message);
      if (!res.headersSent) sendJson(res, status, { error: err.message, code: err.code }, headers);
      else res.destroy();
    } finally {
      if (this.opts.logger.isLevelEnabled("debug")) {
        this.opts.logger.debug(
          {
            requestId,
            method: req.method,
            path: url.pathname,
            status: res.statusCode,
            ms: +(performance.now() - started).toFixed(2),
          },
          "request",
        );
      }
    }
  }
}
