/**
 * The last step of `influxd-ctl migrate-meta`: the Go tier itself tells its data nodes that ours
 * is their meta tier, by putting our first meta node at the head of its own `Data.MetaNodes`.
 *
 * Why this is needed (chengshiwen/influxdb-cluster v1.8.11-c1.2.0): a Go data node's meta client
 * keeps one long poll open (`GET /?index=N`, services/meta/client.go retryUntilSnapshot), without
 * a timeout (pkg/httputil's http.Client has none). The Go meta node answers it only when its
 * index moves, or with 500 when its handler closes (services/meta/handler.go serveSnapshot, the
 * `afterIndex` / `h.closing` select; http.Serve without timeouts in services/meta/service.go).
 * JoinCluster changes the client's list in memory only and does not touch that poll
 * (coordinator/service.go processJoinClusterRequest, SetMetaServers). Whatever Go snapshot ends
 * the poll **replaces** the client's cache and sets its list from that snapshot's MetaNodes
 * (client.go pollForUpdates, updateMetaServers), and the next poll starts at the list's first
 * entry. So a "harmless" index move on the Go tier answers every stuck poll with Go's own
 * MetaNodes and points the data nodes back at the Go tier; only a Go snapshot whose MetaNodes
 * start with one of ours sends the next poll to ours, which answers at once (its index is above
 * the Go tier's) with our Data: the list and client.json become ours only.
 *
 * Go keeps MetaNodes sorted by ID and gives a created node MaxNodeID+1 (services/meta/data.go
 * CreateMetaNode), so ours can come first only once every Go entry has been deleted and created
 * again (DeleteMetaNode removes the entry only, not the Raft peer: store_fsm.go
 * applyDeleteMetaNodeCommand). Each Go node is recreated right after its deletion, so the Go tier
 * lacks at most one of its own entries at a time (its leaderHTTP looks its Raft leader up there)
 * and ends with all of them, after ours. Nothing else in the Go metadata is touched: these are
 * additive commands, never a SetData that could overwrite a concurrent change.
 */
import { decodeResponse, encodeCommand } from "../proto/index.ts";
import type { MetaCommand, MetaData, NodeInfo } from "../proto/index.ts";
import {
  errorText,
  peerOptions,
  peerUrl,
  requestFollowingRedirects,
  type PeerAccess,
} from "../util/http-client.ts";
import { OperationError } from "./errors.ts";

export interface GoTier {
  access: PeerAccess;
  /** The Go leader's HTTP address. */
  leaderHttp: string;
  timeoutMs: number;
  progress: (line: string) => void;
}

/** Whether the Go tier's MetaNodes already start with one of ours (the handover is done). */
export function handedOver(source: MetaData, ours: readonly string[]): boolean {
  return source.metaNodes.length > 0 && ours.includes(source.metaNodes[0].addr);
}

/** The Go tier's own meta nodes in its Data (without ours, after a handover). */
export function goMetaNodes(source: MetaData, ours: readonly string[]): NodeInfo[] {
  return source.metaNodes.filter((n) => !ours.includes(n.addr));
}

/** One command on the Go leader. Go answers `OK = false` always; only `Error` and `Index` count. */
async function goExecute(tier: GoTier, command: MetaCommand): Promise<number> {
  const res = await requestFollowingRedirects(peerUrl(tier.access, tier.leaderHttp, "/execute"), {
    method: "POST",
    body: encodeCommand(command),
    contentType: "application/octet-stream",
    timeoutMs: tier.timeoutMs,
    ...peerOptions(tier.access),
  });
  if (res.status !== 200)
    throw new OperationError(502, `Go leader ${tier.leaderHttp}: ${errorText(res)}`, "SOURCE_FAILED");
  const response = decodeResponse(res.body);
  if (response.error)
    throw new OperationError(502, `Go leader ${tier.leaderHttp}: ${response.error}`, "SOURCE_FAILED");
  return response.index ?? 0;
}

/** Puts `ourFirst` at the head of the Go tier's MetaNodes (see above); returns the Go index. */
export async function handOver(tier: GoTier, source: MetaData, ourFirst: NodeInfo): Promise<number> {
  let index = source.index;
  let ourId = source.metaNodes.find((n) => n.addr === ourFirst.addr)?.id;
  if (ourId === undefined) {
    tier.progress(`Adding our meta node ${ourFirst.addr} to the Go tier's metadata…`);
    index = await goExecute(tier, {
      type: "CreateMetaNodeCommand",
      httpAddr: ourFirst.addr,
      tcpAddr: ourFirst.tcpAddr,
      rand: 0n,
    });
    // Go's CreateMetaNode gives it MaxNodeID+1 (no data node has our Raft address).
    ourId = source.maxNodeId + 1;
  }
  for (const node of source.metaNodes) {
    if (node.id > ourId || node.addr === ourFirst.addr) continue;
    tier.progress(`Moving the Go meta node ${node.addr} after ours in the Go tier's metadata…`);
    await goExecute(tier, { type: "DeleteMetaNodeCommand", id: node.id });
    index = await goExecute(tier, {
      type: "CreateMetaNodeCommand",
      httpAddr: node.addr,
      tcpAddr: node.tcpAddr,
      rand: 0n,
    });
  }
  return index;
}

/** Undoes the handover: removes our meta nodes from the Go tier's MetaNodes (for -rollback). */
export async function handBack(tier: GoTier, source: MetaData, ours: readonly string[]): Promise<void> {
  for (const node of source.metaNodes.filter((n) => ours.includes(n.addr))) {
    tier.progress(`Removing our meta node ${node.addr} from the Go tier's metadata…`);
    await goExecute(tier, { type: "DeleteMetaNodeCommand", id: node.id });
  }
}
