/**
 * Binary encoding of the persistent Raft records: Entry, Configuration, HardState and
 * SnapshotMeta. Used by the WAL, the stable store, the snapshot store and (through the
 * write/read pairs) by the message codec, so an entry has one wire/disk form everywhere.
 *
 * Layouts (uvarint = LEB128 < 2^53, bytes/string = uvarint length + payload):
 *   Entry         index:uvarint term:uvarint type:u8 data:bytes [config:Configuration if Config]
 *   Configuration count:uvarint { id:string address:string suffrage:u8 (0 voter, 1 nonvoter) }*
 *   HardState     term:uvarint hasVote:bool [vote:string]
 *   SnapshotMeta  index:uvarint term:uvarint configIndex:uvarint config:Configuration
 */
import { BinaryReader, BinaryWriter, DecodeError } from "./binary.ts";
import {
  EntryType,
  type Configuration,
  type Entry,
  type HardState,
  type SnapshotMeta,
  type Suffrage,
} from "./types.ts";

const SUFFRAGE_CODES: Record<Suffrage, number> = { voter: 0, nonvoter: 1 };
const SUFFRAGES: Suffrage[] = ["voter", "nonvoter"];

export function writeConfiguration(w: BinaryWriter, c: Configuration): void {
  w.uvarint(c.servers.length);
  for (const s of c.servers) {
    const code = SUFFRAGE_CODES[s.suffrage];
    if (code === undefined) throw new RangeError(`server ${s.id}: unknown suffrage ${s.suffrage}`);
    w.string(s.id).string(s.address).u8(code);
  }
}

export function readConfiguration(r: BinaryReader): Configuration {
  const count = r.uvarint("configuration server count");
  // Every server takes at least 3 bytes; reject absurd counts before allocating.
  if (count * 3 > r.remaining) {
    throw new DecodeError(`malformed configuration: ${count} servers cannot fit in ${r.remaining} bytes`);
  }
  const servers = [];
  for (let i = 0; i < count; i++) {
    const id = r.string("server id");
    const address = r.string("server address");
    const code = r.u8("server suffrage");
    const suffrage = SUFFRAGES[code];
    if (suffrage === undefined) throw new DecodeError(`malformed configuration: suffrage code ${code}`);
    servers.push({ id, address, suffrage });
  }
  return { servers };
}

function isEntryType(t: number): t is EntryType {
  return t === EntryType.Command || t === EntryType.Config || t === EntryType.Noop;
}

/** Throws a RangeError unless the entry has a known type, Uint8Array data, and a config
 *  exactly when it is a Config entry (the stores validate with it before accepting). */
export function checkEntryShape(e: Entry): void {
  if (!isEntryType(e.type)) throw new RangeError(`entry ${e.index}: unknown entry type ${e.type}`);
  if (!(e.data instanceof Uint8Array)) throw new RangeError(`entry ${e.index}: data must be a Uint8Array`);
  if ((e.type === EntryType.Config) !== (e.config !== undefined)) {
    throw new RangeError(`entry ${e.index}: config must be present exactly for Config entries`);
  }
}

export function writeEntry(w: BinaryWriter, e: Entry): void {
  checkEntryShape(e);
  w.uvarint(e.index).uvarint(e.term).u8(e.type).bytes(e.data);
  if (e.config) writeConfiguration(w, e.config);
}

export function readEntry(r: BinaryReader): Entry {
  const index = r.uvarint("entry index");
  const term = r.uvarint("entry term");
  const type = r.u8("entry type");
  if (!isEntryType(type)) throw new DecodeError(`malformed entry ${index}: unknown type ${type}`);
  const data = r.bytes("entry data");
  if (type === EntryType.Config) return { index, term, type, data, config: readConfiguration(r) };
  return { index, term, type, data };
}

export function writeHardState(w: BinaryWriter, h: HardState): void {
  w.uvarint(h.term).bool(h.vote !== null);
  if (h.vote !== null) w.string(h.vote);
}

export function readHardState(r: BinaryReader): HardState {
  const term = r.uvarint("hard state term");
  const vote = r.bool("hard state vote flag") ? r.string("hard state vote") : null;
  return { term, vote };
}

export function writeSnapshotMeta(w: BinaryWriter, m: SnapshotMeta): void {
  w.uvarint(m.index).uvarint(m.term).uvarint(m.configIndex);
  writeConfiguration(w, m.config);
}

export function readSnapshotMeta(r: BinaryReader): SnapshotMeta {
  const index = r.uvarint("snapshot index");
  const term = r.uvarint("snapshot term");
  const configIndex = r.uvarint("snapshot config index");
  const config = readConfiguration(r);
  return { index, term, config, configIndex };
}

/** Encode a whole buffer with one record. */
function encodeWith<T>(write: (w: BinaryWriter, v: T) => void, v: T): Uint8Array {
  const w = new BinaryWriter();
  write(w, v);
  return w.finish();
}

/** Decode a buffer holding exactly one record (trailing bytes are an error). */
function decodeWith<T>(read: (r: BinaryReader) => T, buf: Uint8Array, what: string): T {
  const r = new BinaryReader(buf);
  const v = read(r);
  r.expectEnd(what);
  return v;
}

export const encodeEntry = (e: Entry): Uint8Array => encodeWith(writeEntry, e);
export const decodeEntry = (buf: Uint8Array): Entry => decodeWith(readEntry, buf, "entry");
export const encodeConfiguration = (c: Configuration): Uint8Array => encodeWith(writeConfiguration, c);
export const decodeConfiguration = (buf: Uint8Array): Configuration =>
  decodeWith(readConfiguration, buf, "configuration");
export const encodeHardState = (h: HardState): Uint8Array => encodeWith(writeHardState, h);
export const decodeHardState = (buf: Uint8Array): HardState => decodeWith(readHardState, buf, "hard state");
export const encodeSnapshotMeta = (m: SnapshotMeta): Uint8Array => encodeWith(writeSnapshotMeta, m);
export const decodeSnapshotMeta = (buf: Uint8Array): SnapshotMeta =>
  decodeWith(readSnapshotMeta, buf, "snapshot meta");
