/**
 * What a connection to our Raft port looks like when it is not our transport, from its first
 * bytes. The Go/Enterprise meta nodes run hashicorp/raft's network transport behind InfluxDB's
 * TCP mux: a mux byte (8 for Raft), one RPC type byte (0 AppendEntries, 1 RequestVote,
 * 2 InstallSnapshot, 3 TimeoutNow), then a msgpack map. Read as our frame header, that is a
 * length in the billions (issue 21: "frame of 2760441864 bytes"), so it never collides with a
 * hello of ours (at most a few KiB). Facts only: the caller logs them.
 */

const INFLUXDB_RAFT_MUX_BYTE = 8;
const HASHICORP_RPC = ["AppendEntries", "RequestVote", "InstallSnapshot", "TimeoutNow"];

/** fixmap (0x80–0x8f), map16 (0xde), map32 (0xdf). */
function isMsgpackMap(b: number): boolean {
  return (b >= 0x80 && b <= 0x8f) || b === 0xde || b === 0xdf;
}

/** A description of the foreign protocol `head` (a connection's first bytes) speaks, or null. */
export function foreignRaftProtocol(head: Uint8Array): string | null {
  const rpc = (at: number) =>
    head.length > at + 1 && head[at] < HASHICORP_RPC.length && isMsgpackMap(head[at + 1])
      ? HASHICORP_RPC[head[at]]
      : null;
  const muxed = head[0] === INFLUXDB_RAFT_MUX_BYTE ? rpc(1) : null;
  if (muxed) return `hashicorp/raft (a Go/Enterprise meta node: InfluxDB mux byte 8, ${muxed} RPC, msgpack)`;
  const bare = rpc(0);
  if (bare) return `hashicorp/raft (${bare} RPC, msgpack)`;
  return null;
}
