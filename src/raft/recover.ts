/**
 * Offline recovery of a cluster that lost quorum (hashicorp's peers.json procedure, see
 * docs/operations.md). With every surviving server stopped, the operator writes the same
 * `peers.json` into each one's Raft directory, listing only the survivors; on start-up each of
 * them replays its whole local log into the state machine (implicitly committing every entry it
 * holds — the documented risk of this procedure), saves a snapshot whose configuration is the
 * given one, and empties its log. The servers then elect a leader among themselves.
 */

import type { Configuration, Entry, LogStore, Server, SnapshotStore, StateMachine } from "./types.ts";
import { EntryType } from "./types.ts";

export const PEERS_FILE = "peers.json";

/** One survivor: its Raft address, and its server id unless the local log already knows it. */
export interface PeerSpec {
  address: string;
  id?: string;
  non_voter?: boolean;
}

/** Parses and checks a peers.json text; throws a message naming the problem. */
export function parsePeers(text: string): PeerSpec[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`peers.json is not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    throw new Error('peers.json must be a non-empty array such as [{"address": "node1:8089"}]');
  }
  return parsed.map((p, i) => {
    if (typeof p !== "object" || p === null || typeof (p as PeerSpec).address !== "string") {
      throw new Error(
        `peers.json entry ${i}: expected {"address": "host:port", "id"?: "...", "non_voter"?: false}`,
      );
    }
    const { address, id, non_voter } = p as PeerSpec;
    if (!/^[^\s:]+:\d{1,5}$/.test(address) && !/^\[[^\]]+\]:\d{1,5}$/.test(address)) {
      throw new Error(`peers.json entry ${i}: invalid address "${address}"`);
    }
    if (id !== undefined && (typeof id !== "string" || id === ""))
      throw new Error(`peers.json entry ${i}: invalid id`);
    if (non_voter !== undefined && typeof non_voter !== "boolean")
      throw new Error(`peers.json entry ${i}: non_voter must be true or false`);
    return { address, id, non_voter };
  });
}

/**
 * Rewrites the stores so the server restarts with `peers` as its only configuration. Returns the
 * configuration written. The state machine is restored and replayed here; the caller discards it.
 */
export async function recoverCluster(
  stores: { logStore: LogStore; snapshotStore: SnapshotStore },
  fsm: StateMachine,
  peers: PeerSpec[],
): Promise<{ config: Configuration; index: number; term: number }> {
  const { logStore, snapshotStore } = stores;
  const snapshot = snapshotStore.latest();
  const last = logStore.lastIndex();
  if (!snapshot && last === 0) {
    throw new Error(
      "refusing to recover a server with no Raft state: start it blank and add it after recovery instead",
    );
  }
  let index = 0;
  let term = 0;
  let known: Server[] = [];
  if (snapshot) {
    fsm.restore(snapshot.data);
    ({ index, term } = snapshot.meta);
    known = snapshot.meta.config.servers;
  }
  const entries: Entry[] = last === 0 ? [] : logStore.entries(logStore.firstIndex(), last);
  for (const e of entries) {
    if (e.index <= index) continue;
    if (e.type !== EntryType.Noop) fsm.apply(e);
    if (e.config) known = e.config.servers;
    index = e.index;
    term = e.term;
  }
  const servers: Server[] = peers.map((p) => {
    const id = p.id ?? known.find((s) => s.address === p.address)?.id;
    if (!id)
      throw new Error(
        `peers.json: no server id known for ${p.address}; give its "id" (its /status serverId)`,
      );
    return { id, address: p.address, suffrage: p.non_voter ? "nonvoter" : "voter" };
  });
  if (!servers.some((s) => s.suffrage === "voter"))
    throw new Error("peers.json must list at least one voter");
  const config: Configuration = { servers };
  await snapshotStore.save({ meta: { index, term, config, configIndex: index }, data: fsm.snapshot() });
  await logStore.reset();
  return { config, index, term };
}
