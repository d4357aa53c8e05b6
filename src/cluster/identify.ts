/**
 * Identify before acting: what a meta API answers to `GET /status` (and its X-Influxdb-Version
 * header) says about the node, before anything is joined, added or sent to it. Our meta nodes
 * report their Raft state (`raft`); a Go or Enterprise meta node answers
 * `{"nodeType":"meta","leader","httpAddr","raftAddr","peers"}` with no Raft state
 * (../shared/notes/interop-observed.md, "Response details of the Go meta node"); it runs
 * hashicorp/raft, which our Raft cannot speak, so it can never share a Raft group with ours.
 */
import type { StatusJson } from "../meta/service.ts";
import { peerOptions, peerUrl, request, type PeerAccess } from "../util/http-client.ts";
import { refused } from "./errors.ts";

export type MetaNodeIdentity =
  | { kind: "ours"; status: StatusJson }
  | { kind: "go-meta"; version: string; leader: string; peers: string[] }
  | { kind: "data-node" }
  | { kind: "unknown"; what: string };

export function identifyMetaNode(status: unknown, versionHeader?: string): MetaNodeIdentity {
  if (typeof status !== "object" || status === null || Array.isArray(status))
    return { kind: "unknown", what: "an answer to GET /status that is not a JSON object" };
  const s = status as Record<string, unknown>;
  if (s.nodeType === "data") return { kind: "data-node" };
  if (s.nodeType !== "meta") return { kind: "unknown", what: "a GET /status without nodeType meta" };
  const raft = s.raft as Record<string, unknown> | undefined;
  if (
    typeof raft === "object" &&
    raft !== null &&
    typeof raft.state === "string" &&
    Array.isArray(raft.servers)
  )
    return { kind: "ours", status: status as StatusJson };
  return {
    kind: "go-meta",
    version: versionHeader ?? (typeof s.version === "string" ? s.version : ""),
    leader: typeof s.leader === "string" ? s.leader : "",
    peers: Array.isArray(s.peers) ? s.peers.filter((p): p is string => typeof p === "string") : [],
  };
}

/** The one refusal for a Go or Enterprise meta node where ours was expected. */
export function foreignMetaNodeRefusal(addr: string, version: string): string {
  return (
    `meta node ${addr} is a Go or Enterprise meta node${version ? ` (version ${version})` : ""}: ` +
    `it runs another Raft and cannot share a cluster with ours; to move its cluster onto ours use ` +
    `influxd-ctl migrate-meta -from ${addr} (docs/operations.md, "Migrating from a Go or Enterprise meta tier")`
  );
}

/**
 * GET `addr`/status and identify what answers; null when nothing answered within `timeoutMs`.
 * Only this read is sent: nothing that could make the other side act.
 */
export async function probeMetaNode(
  addr: string,
  access: PeerAccess,
  timeoutMs: number,
): Promise<MetaNodeIdentity | null> {
  const res = await request(peerUrl(access, addr, "/status"), { timeoutMs, ...peerOptions(access) }).catch(
    () => null,
  );
  if (!res) return null;
  if (res.status !== 200) return { kind: "unknown", what: `an answer ${res.status} to GET /status` };
  let body: unknown;
  try {
    body = JSON.parse(res.body.toString("utf8"));
  } catch {
    return { kind: "unknown", what: "an answer to GET /status that is not JSON" };
  }
  const version = res.headers["x-influxdb-version"];
  return identifyMetaNode(body, typeof version === "string" ? version : undefined);
}

/** Our meta node's status, or the refusal for whatever else answers at `addr` (409). */
export function requireOurMetaNode(addr: string, identity: MetaNodeIdentity): StatusJson {
  switch (identity.kind) {
    case "ours":
      return identity.status;
    case "go-meta":
      throw refused(409, foreignMetaNodeRefusal(addr, identity.version), "FOREIGN_META_NODE");
    case "data-node":
      throw refused(409, `${addr} is a data node, not a meta node`, "NOT_A_META_NODE");
    case "unknown":
      throw refused(409, `${addr} is not a meta node: it sent ${identity.what}`, "NOT_A_META_NODE");
  }
}
