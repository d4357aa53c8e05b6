/**
 * HTTP calls to meta nodes' API (8091) as InfluxDB Enterprise's tooling makes them: form-encoded
 * POSTs that follow the 307 a follower answers with (requestFollowingRedirects: re-sent to the
 * leader with the same body and credentials, as Go's client does), success as any 2xx including an empty 204,
 * and errors as the server's `{"error"}` text or its first line (`404 page not found`).
 */

import {
  errorText,
  HttpStatusError,
  peerOptions,
  peerUrl,
  requestFollowingRedirects,
  type HttpResponse,
  type PeerAccess,
} from "../util/http-client.ts";

/**
 * Whether a node that answered `GET /ping` with `status` is up. The ping carries no credentials,
 * and a Go meta node with `auth-enabled` wants them even there (401): it still answered.
 */
export function answersPing(status: number): boolean {
  return (status >= 200 && status <= 299) || status === 401 || status === 403;
}

export interface CallOptions {
  method?: "GET" | "POST";
  form?: Record<string, string>;
  query?: Record<string, string>;
  /** Deadline of this call (default: the client's). */
  timeoutMs?: number;
  /** Send credentials (default true; a ping to a data node gets none). */
  credentials?: boolean;
  /** Largest answer accepted (default: request's, 64 MiB). */
  maxBodyBytes?: number;
}

export class MetaHttp {
  constructor(
    readonly access: PeerAccess,
    readonly timeoutMs: number,
  ) {}

  /** The raw answer after following redirects; network failures throw UnreachableError. */
  async send(addr: string, path: string, opts: CallOptions = {}): Promise<HttpResponse> {
    return requestFollowingRedirects(peerUrl(this.access, addr, path), {
      method: opts.method ?? "GET",
      form: opts.form,
      query: opts.query,
      timeoutMs: opts.timeoutMs ?? this.timeoutMs,
      maxBodyBytes: opts.maxBodyBytes,
      ...peerOptions(this.access, opts.credentials ?? true),
    });
  }

  /** A 2xx answer's JSON (undefined for an empty body); anything else throws HttpStatusError. */
  async json<T>(addr: string, path: string, opts: CallOptions = {}): Promise<T | undefined> {
    const res = await this.ok(addr, path, opts);
    const text = res.body.toString("utf8").trim();
    if (text === "") return undefined;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new Error(`${addr}${path}: answered with malformed JSON`);
    }
  }

  /** Any 2xx answer (Enterprise's removals answer 204 with an empty body). */
  async ok(addr: string, path: string, opts: CallOptions = {}): Promise<HttpResponse> {
    const res = await this.send(addr, path, opts);
    if (res.status >= 200 && res.status <= 299) return res;
    const text = errorText(res);
    const message =
      res.status === 404 && /page not found|no such endpoint/.test(text)
        ? `${addr} has no ${path} endpoint (HTTP 404: ${text}); it is not a meta API that supports this command`
        : text;
    throw new HttpStatusError(res.status, message, res);
  }
}
