/** Meta and data node membership records (Go: Data.CreateMetaNode & co.). */
import type { MetaData, NodeInfo } from "../proto/index.ts";
import { MetaError, metaError, META_ERRORS } from "./errors.ts";
import { releaseShardsOf } from "./shards.ts";

function byId(a: NodeInfo, b: NodeInfo): number {
  return a.id - b.id;
}

/** A meta and a data node with the same TCP address are one server: they share its ID. */
function idForNewNode(data: MetaData, others: NodeInfo[], tcpAddr: string): number {
  const same = others.find((n) => n.tcpAddr === tcpAddr);
  if (same) return same.id;
  data.maxNodeId += 1;
  return data.maxNodeId;
}

export function createMetaNode(data: MetaData, httpAddr: string, tcpAddr: string): void {
  if (data.metaNodes.some((n) => n.addr === httpAddr)) throw metaError("nodeExists");
  const id = idForNewNode(data, data.dataNodes, tcpAddr);
  data.metaNodes.push({ id, addr: httpAddr, tcpAddr });
  data.metaNodes.sort(byId);
}

/** Registers the only meta node, or re-addresses it (a single server whose host name changed). */
export function setMetaNode(data: MetaData, httpAddr: string, tcpAddr: string): void {
  if (data.metaNodes.length > 1) throw new MetaError(META_ERRORS.setMetaNodeWithSeveral);
  if (data.metaNodes.length === 0) {
    createMetaNode(data, httpAddr, tcpAddr);
    return;
  }
  data.metaNodes[0] = { ...data.metaNodes[0], addr: httpAddr, tcpAddr };
}

export function deleteMetaNode(data: MetaData, id: number): void {
  if (id === 0) throw metaError("nodeIdRequired");
  const index = data.metaNodes.findIndex((n) => n.id === id);
  if (index < 0) throw metaError("nodeNotFound");
  data.metaNodes.splice(index, 1);
}

export function createDataNode(data: MetaData, httpAddr: string, tcpAddr: string): void {
  if (data.dataNodes.some((n) => n.tcpAddr === tcpAddr)) throw metaError("nodeExists");
  const id = idForNewNode(data, data.metaNodes, tcpAddr);
  data.dataNodes.push({ id, addr: httpAddr, tcpAddr });
  data.dataNodes.sort(byId);
}

/** Pre-0.10 CreateNodeCommand: the node becomes a data node (sharing the ID of a lone meta node). */
export function createLegacyNode(data: MetaData, host: string): void {
  if (data.metaNodes.length !== 1) {
    createDataNode(data, host, host);
    return;
  }
  if (data.dataNodes.some((n) => n.addr === host)) throw metaError("nodeExists");
  data.dataNodes.push({ id: data.metaNodes[0].id, addr: host, tcpAddr: host });
}

export function updateDataNode(data: MetaData, id: number, httpAddr: string, tcpAddr: string): void {
  const index = data.dataNodes.findIndex((n) => n.id === id);
  if (index < 0) throw metaError("nodeNotFound");
  data.dataNodes[index] = { id, addr: httpAddr, tcpAddr };
}

/** Removes the node and its shard ownerships (see releaseShardsOf). */
export function deleteDataNode(data: MetaData, id: number): void {
  const index = data.dataNodes.findIndex((n) => n.id === id);
  if (index < 0) throw metaError("nodeNotFound");
  data.dataNodes.splice(index, 1);
  releaseShardsOf(data, id);
}
