/**
 * One node's full /status, for the detail pane (the poller keeps only the part the table needs).
 * Bounded by its own deadline; a failure comes back as a reason, never as an exception.
 */

import type { MetaApiStatus } from "../client/meta-api.ts";
import { peerOptions, peerUrl, requestJson, type PeerAccess } from "../util/http-client.ts";
import type { MetaStatus } from "./model.ts";
import { describeError } from "./probe.ts";

export type StatusAnswer = { status: MetaStatus; error: null } | { status: null; error: string };

export async function fetchStatus(
  httpAddr: string,
  access: PeerAccess,
  timeoutMs: number,
): Promise<StatusAnswer> {
  try {
    const status = await requestJson<MetaStatus | MetaApiStatus>(peerUrl(access, httpAddr, "/status"), {
      timeoutMs,
      ...peerOptions(access),
    });
    // A Go/Enterprise meta node's /status has no Raft details: say what it does tell.
    if (!status.raft)
      return {
        status: null,
        error: `it reports no Raft details (an InfluxDB Enterprise meta node); leader as it sees it: ${status.leader || "none"}`,
      };
    return { status: status as MetaStatus, error: null };
  } catch (err) {
    return { status: null, error: describeError(err, timeoutMs) };
  }
}
