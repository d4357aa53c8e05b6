/**
 * Wire form of Raft messages and of the transport's connection hello.
 *
 * Message layout (uvarint/bytes/string as in binary.ts; entries, snapshot meta and
 * configurations use entry-codec.ts so they have one form on disk and on the wire):
 *   version:u8 (=1) type:u8 from:string to:string term:uvarint, then by type:
 *     PreVote, Vote                lastLogIndex lastLogTerm transfer:bool
 *     PreVoteResp, VoteResp        granted:bool
 *     Append                       prevLogIndex prevLogTerm commit count:uvarint Entry*
 *     AppendResp                   success:bool index hint
 *     Heartbeat                    commit readCtx
 *     HeartbeatResp                readCtx
 *     InstallSnapshot              SnapshotMeta data:bytes
 *     TimeoutNow                   (nothing)
 * Hello layout: magic "IXRAFT" protocolVersion:u8 address:string. Magic, version and address
 * are the fixed prefix of every protocol version's hello (later versions may only append), so a
 * node can always say who speaks which version when it refuses a mismatch.
 *
 * Decoding checks every length against the bytes actually present (binary.ts) and rejects
 * trailing bytes, so a corrupt or hostile frame throws a DecodeError instead of yielding a
 * half-right message or allocating memory a length field merely claims to need.
 */
import { BinaryReader, BinaryWriter, DecodeError } from "./binary.ts";
import { readEntry, readSnapshotMeta, writeEntry, writeSnapshotMeta } from "./entry-codec.ts";
import { MessageType, type Entry, type Message } from "./types.ts";

/** Bumped whenever the message layout changes incompatibly. */
export const MESSAGE_CODEC_VERSION = 1;

export function encodeMessage(m: Message): Uint8Array {
  const w = new BinaryWriter();
  writeMessage(w, m);
  return w.finish();
}

/** Appends one encoded message to `w` (the transport writes frames straight into its queue). */
export function writeMessage(w: BinaryWriter, m: Message): void {
  w.u8(MESSAGE_CODEC_VERSION).u8(m.type).string(m.from).string(m.to).uvarint(m.term);
  switch (m.type) {
    case MessageType.PreVote:
    case MessageType.Vote:
      w.uvarint(m.lastLogIndex).uvarint(m.lastLogTerm).bool(m.transfer);
      break;
    case MessageType.PreVoteResp:
    case MessageType.VoteResp:
      w.bool(m.granted);
      break;
    case MessageType.Append:
      w.uvarint(m.prevLogIndex).uvarint(m.prevLogTerm).uvarint(m.commit);
      w.uvarint(m.entries.length);
      for (const e of m.entries) writeEntry(w, e);
      break;
    case MessageType.AppendResp:
      w.bool(m.success).uvarint(m.index).uvarint(m.hint);
      break;
    case MessageType.Heartbeat:
      w.uvarint(m.commit).uvarint(m.readCtx);
      break;
    case MessageType.HeartbeatResp:
      w.uvarint(m.readCtx);
      break;
    case MessageType.InstallSnapshot:
      writeSnapshotMeta(w, m.snapshot.meta);
      w.bytes(m.snapshot.data);
      break;
    case MessageType.TimeoutNow:
      break;
    default:
      throw new RangeError(`cannot encode message: unknown type ${(m as { type: unknown }).type}`);
  }
}

/** The smallest possible encoded entry: index, term, type and an empty data length. */
const MIN_ENTRY_BYTES = 4;

export function decodeMessage(buf: Uint8Array): Message {
  const r = new BinaryReader(buf);
  const version = r.u8("message codec version");
  if (version !== MESSAGE_CODEC_VERSION) {
    throw new DecodeError(
      `unsupported message codec version ${version} (this node speaks ${MESSAGE_CODEC_VERSION})`,
    );
  }
  const type = r.u8("message type");
  const from = r.string("message from");
  const to = r.string("message to");
  const term = r.uvarint("message term");
  // Each message is built in one literal (no spread of a shared base): one object per message.
  let m: Message;
  switch (type) {
    case MessageType.PreVote:
    case MessageType.Vote:
      m = {
        type,
        from,
        to,
        term,
        lastLogIndex: r.uvarint("lastLogIndex"),
        lastLogTerm: r.uvarint("lastLogTerm"),
        transfer: r.bool("transfer flag"),
      };
      break;
    case MessageType.PreVoteResp:
    case MessageType.VoteResp:
      m = { type, from, to, term, granted: r.bool("granted flag") };
      break;
    case MessageType.Append: {
      const prevLogIndex = r.uvarint("prevLogIndex");
      const prevLogTerm = r.uvarint("prevLogTerm");
      const commit = r.uvarint("commit");
      const count = r.uvarint("entry count");
      // Refuse a count the remaining bytes cannot hold before building the array.
      if (count * MIN_ENTRY_BYTES > r.remaining) {
        throw new DecodeError(`malformed append: ${count} entries cannot fit in ${r.remaining} bytes`);
      }
      const entries: Entry[] = [];
      for (let i = 0; i < count; i++) entries.push(readEntry(r));
      m = { type, from, to, term, prevLogIndex, prevLogTerm, commit, entries };
      break;
    }
    case MessageType.AppendResp:
      m = {
        type,
        from,
        to,
        term,
        success: r.bool("success flag"),
        index: r.uvarint("index"),
        hint: r.uvarint("hint"),
      };
      break;
    case MessageType.Heartbeat:
      m = { type, from, to, term, commit: r.uvarint("commit"), readCtx: r.uvarint("readCtx") };
      break;
    case MessageType.HeartbeatResp:
      m = { type, from, to, term, readCtx: r.uvarint("readCtx") };
      break;
    case MessageType.InstallSnapshot: {
      const meta = readSnapshotMeta(r);
      const data = r.bytes("snapshot data");
      m = { type, from, to, term, snapshot: { meta, data } };
      break;
    }
    case MessageType.TimeoutNow:
      m = { type, from, to, term };
      break;
    default:
      throw new DecodeError(`malformed message: unknown type ${type}`);
  }
  r.expectEnd(`${MessageType[type]} message`);
  return m;
}

// ---------------------------------------------------------------------------------------------
// Connection hello: the first frame on every transport connection.

/** Bumped whenever framing or the hello changes incompatibly. */
export const TRANSPORT_PROTOCOL_VERSION = 1;

/** Lets a receiver tell a Raft peer from something that merely connected to the port. */
const HELLO_MAGIC = new TextEncoder().encode("IXRAFT");

export interface Hello {
  protocolVersion: number;
  /** The sender's advertised Raft address. */
  address: string;
}

export function encodeHello(h: Hello): Uint8Array {
  return new BinaryWriter(32 + h.address.length * 3)
    .raw(HELLO_MAGIC)
    .u8(h.protocolVersion)
    .string(h.address)
    .finish();
}

/** Decodes the hello of any protocol version; the caller decides which versions it accepts. */
export function decodeHello(buf: Uint8Array): Hello {
  const r = new BinaryReader(buf);
  const magic = r.raw(HELLO_MAGIC.length, "hello magic");
  if (!magic.every((b, i) => b === HELLO_MAGIC[i])) {
    throw new DecodeError("malformed hello: not a Raft transport connection (bad magic)");
  }
  const protocolVersion = r.u8("hello protocol version");
  const address = r.string("hello address");
  // Only our own version's hello is known to end here; newer ones may carry more fields.
  if (protocolVersion === TRANSPORT_PROTOCOL_VERSION) r.expectEnd("hello");
  return { protocolVersion, address };
}
