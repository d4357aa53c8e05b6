/**
 * One poll of one node: GET /ping (timed) and, for a meta node, GET /status, both at once, over a
 * shared keep-alive undici Agent. Every request carries its own deadline, so a dead or stalled
 * node costs at most `timeoutMs` and never blocks the others. With HTTPS the Agent trusts the
 * cluster's CA; with authentication /status carries a token (/ping needs none, and a token is not
 * handed to whatever merely answers pings).
 */

import { Agent, request } from "undici";
import type { MetaApiStatus } from "../client/meta-api.ts";
import { answersPing } from "../client/meta-http.ts";
import { peerUrl, PLAIN_HTTP, type PeerAccess } from "../util/http-client.ts";
import type { Role } from "./model.ts";

/**
 * The part of a node's /status the view uses. Only this is kept between polls: a full /status
 * carries the whole configuration, and holding a thousand of those made the garbage collector
 * the main cost of polling a large cluster. Voters are kept from the leader only (its
 * configuration is the authoritative one). A Go/Enterprise meta node reports no Raft state, term
 * or indexes: those are null (unknown), except that a node naming itself the leader leads.
 */
export interface PolledStatus {
  httpAddr: string;
  version: string;
  /** false: the node does not report its Raft details (a Go/Enterprise meta node). */
  reportsRaft: boolean;
  /** Our meta node's own report that its meta dir failed (e.g. ENOSPC), null when it did not. */
  storageError: string | null;
  /** When its process started (our meta nodes' /status), null when not reported. */
  startedAt: string | null;
  raft: {
    state: NonNullable<MetaApiStatus["raft"]>["state"] | null;
    term: number | null;
    commitIndex: number | null;
    appliedIndex: number | null;
    lastContactMs: number | null;
    /** Index of the configuration this node knows; null when not reported. */
    configIndex: number | null;
    voters: string[];
  };
}

function trimStatus(s: MetaApiStatus, versionHeader: string): PolledStatus {
  const r = s.raft;
  const version = s.version ?? versionHeader;
  const storageError = s.storage?.ok === false ? (s.storage.error ?? "meta dir failed") : null;
  if (!r) {
    const leads = s.leader !== "" && s.leader === s.raftAddr;
    const unknown = {
      term: null,
      commitIndex: null,
      appliedIndex: null,
      lastContactMs: null,
      configIndex: null,
    };
    return {
      httpAddr: s.httpAddr,
      version,
      reportsRaft: false,
      storageError,
      startedAt: s.startedAt ?? null,
      // Go's peers are its configuration's servers, all voters (it only ever adds voters).
      raft: { state: leads ? "leader" : null, ...unknown, voters: leads ? (s.peers ?? []) : [] },
    };
  }
  return {
    httpAddr: s.httpAddr,
    version,
    reportsRaft: true,
    storageError,
    startedAt: s.startedAt ?? null,
    raft: {
      state: r.state,
      term: r.term,
      commitIndex: r.commitIndex,
      appliedIndex: r.appliedIndex,
      lastContactMs: r.lastContactMs,
      configIndex: r.configIndex,
      voters: r.state === "leader" ? r.voters : [],
    },
  };
}

export interface Probe {
  up: boolean;
  pingMs: number | null;
  error: string | null;
  status: PolledStatus | null;
}

/** One Agent for all polls: at most two sockets per node (ping and status in parallel), kept alive between polls. */
export function createPollAgent(timeoutMs: number, access: PeerAccess = PLAIN_HTTP): Agent {
  const tls = access.scheme === "https" ? access.tls : undefined;
  return new Agent({
    connections: 2,
    keepAliveTimeout: 30_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: {
      timeout: timeoutMs,
      ...(tls && { rejectUnauthorized: tls.rejectUnauthorized, ca: tls.ca }),
    },
  });
}

/** Node's codes for a certificate that failed verification. */
const CERTIFICATE_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_(GET_ISSUER|VERIFY)|ALTNAME/;

/** A short reason a request failed, as an operator would say it. */
export function describeError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code;
  if (e.name === "TimeoutError" || e.name === "AbortError" || code?.endsWith("TIMEOUT"))
    return `no answer within ${timeoutMs}ms`;
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ECONNRESET":
    case "UND_ERR_SOCKET":
      return "connection reset";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "host not found";
    case "EHOSTUNREACH":
      return "host unreachable";
    case "EPROTO":
    case "ERR_SSL_WRONG_VERSION_NUMBER":
      return "TLS handshake failed: it does not speak HTTPS";
  }
  if (code && CERTIFICATE_ERRORS.test(code)) return `certificate not trusted (${code})`;
  return e.message ?? String(err);
}

async function get(
  agent: Agent,
  url: string,
  timeoutMs: number,
  headers?: Record<string, string>,
): Promise<{ status: number; text: string; version: string }> {
  // undici's own deadlines (connect, headers, body; set on the Agent too) bound every request
  // without a timer object per request, which at a thousand nodes was a visible share of the CPU.
  const res = await request(url, {
    dispatcher: agent,
    headers,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const version = res.headers["x-influxdb-version"];
  return {
    status: res.statusCode,
    text: await res.body.text(),
    version: typeof version === "string" ? version : "",
  };
}

/** `agent` must come from createPollAgent with the same `access` (it holds the TLS trust). */
export async function probeNode(
  agent: Agent,
  role: Role,
  httpAddr: string,
  timeoutMs: number,
  access: PeerAccess = PLAIN_HTTP,
): Promise<Probe> {
  const started = performance.now();
  const ping = get(agent, peerUrl(access, httpAddr, "/ping"), timeoutMs).then((r) => ({
    ...r,
    ms: performance.now() - started,
  }));
  const status =
    role === "meta" ? get(agent, peerUrl(access, httpAddr, "/status"), timeoutMs, access.headers?.()) : null;
  const [p, s] = await Promise.allSettled([ping, status]);
  if (p.status === "rejected")
    return { up: false, pingMs: null, error: describeError(p.reason, timeoutMs), status: null };
  if (!answersPing(p.value.status)) {
    return { up: false, pingMs: p.value.ms, error: `/ping answered HTTP ${p.value.status}`, status: null };
  }
  let parsed: PolledStatus | null = null;
  if (s.status === "fulfilled" && s.value && s.value.status === 200) {
    try {
      parsed = trimStatus(JSON.parse(s.value.text) as MetaApiStatus, s.value.version);
    } catch {
      parsed = null;
    }
  }
  return { up: true, pingMs: p.value.ms, error: null, status: parsed };
}
