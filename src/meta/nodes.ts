/** Meta and data node membership records (Go: Data.CreateMetaNode & co.). */
import type { NodeInfo } from "../proto/index.ts";
import { nextId, type MetaDraft } from "./data.ts";
import type { DeepReadonly } from "./readonly.ts";
import { MetaError, metaError, META_ERRORS } from "./errors.ts";
import { releaseShardsOf } from "./shards.ts";

type NodeState = DeepReadonly<NodeInfo>;

function byId(a: NodeState, b: NodeState): number {
  return a.id - b.id;
}

/** A meta and a data node with the same TCP address are one server: they share its ID. */
function idForNewNode(draft: MetaDraft, others: readonly NodeState[], tcpAddr: string): number {
  const same = others.find((n) => n.tcpAddr === tcpAddr);
  if (same) return same.id;
  draft.data.maxNodeId = nextId(draft.data.maxNodeId, "node");
  return draft.data.maxNodeId;
}

export function createMetaNode(draft: MetaDraft, httpAddr: string, tcpAddr: string): void {
  if (draft.data.metaNodes.some((n) => n.addr === httpAddr)) throw metaError("nodeExists");
  const id = idForNewNode(draft, draft.data.dataNodes, tcpAddr);
  const metaNodes = draft.edit(draft.data, "metaNodes");
  metaNodes.push({ id, addr: httpAddr, tcpAddr });
  metaNodes.sort(byId);
}

/** Registers the only meta node, or re-addresses it (a single server whose host name changed). */
export function setMetaNode(draft: MetaDraft, httpAddr: string, tcpAddr: string): void {
  if (draft.data.metaNodes.length > 1) throw new MetaError(META_ERRORS.setMetaNodeWithSeveral);
  if (draft.data.metaNodes.length === 0) {
    createMetaNode(draft, httpAddr, tcpAddr);
    return;
  }
  draft.edit(draft.data, "metaNodes")[0] = { ...draft.data.metaNodes[0], addr: httpAddr, tcpAddr };
}

export function deleteMetaNode(draft: MetaDraft, id: number): void {
  if (id === 0) throw metaError("nodeIdRequired");
  const index = draft.data.metaNodes.findIndex((n) => n.id === id);
  if (index < 0) throw metaError("nodeNotFound");
  draft.edit(draft.data, "metaNodes").splice(index, 1);
}

export function createDataNode(draft: MetaDraft, httpAddr: string, tcpAddr: string): void {
  if (draft.data.dataNodes.some((n) => n.tcpAddr === tcpAddr)) throw metaError("nodeExists");
  const id = idForNewNode(draft, draft.data.metaNodes, tcpAddr);
  const dataNodes = draft.edit(draft.data, "dataNodes");
  dataNodes.push({ id, addr: httpAddr, tcpAddr });
  dataNodes.sort(byId);
}

/** Pre-0.10 CreateNodeCommand: the node becomes a data node (sharing the ID of a lone meta node). */
export function createLegacyNode(draft: MetaDraft, host: string): void {
  if (draft.data.metaNodes.length !== 1) {
    createDataNode(draft, host, host);
    return;
  }
  if (draft.data.dataNodes.some((n) => n.addr === host)) throw metaError("nodeExists");
  draft.edit(draft.data, "dataNodes").push({ id: draft.data.metaNodes[0].id, addr: host, tcpAddr: host });
}

export function updateDataNode(draft: MetaDraft, id: number, httpAddr: string, tcpAddr: string): void {
  const index = draft.data.dataNodes.findIndex((n) => n.id === id);
  if (index < 0) throw metaError("nodeNotFound");
  draft.edit(draft.data, "dataNodes")[index] = { id, addr: httpAddr, tcpAddr };
}

/** Removes the node and its shard ownerships (see releaseShardsOf). */
export function deleteDataNode(draft: MetaDraft, id: number): void {
  const index = draft.data.dataNodes.findIndex((n) => n.id === id);
  if (index < 0) throw metaError("nodeNotFound");
  draft.edit(draft.data, "dataNodes").splice(index, 1);
  releaseShardsOf(draft, id);
}
