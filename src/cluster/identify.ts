/**
 * Identify before acting: what a meta API answers to `GET /status` (and its X-Influxdb-Version
 * header) says about the node, before anything is joined, added or sent to it. Our meta nodes
 * report their Raft state (`raft`); a Go or Enterprise meta node answers
 * `{"nodeType":"meta","leader","httpAddr","raftAddr","peers"}` with no Raft state
 * (../shared/notes/interop-observed.md, "Response details of the Go meta node"); it runs
 * hashicorp/raft, which our Raft cannot speak, so it can never share a Raft group with ours.
 */
import type { StatusJson } from "../meta/service.ts";

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
  if (typeof raft === "object" && raft !== null && typeof raft.state === "string")
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
