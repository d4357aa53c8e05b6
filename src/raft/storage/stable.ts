/**
 * FileStableStore: current term, vote and this server's id, in `<dir>/stable.bin`.
 *
 * Layout: two fixed 4 KiB slots (offsets 0 and 4096), written alternately with a positional
 * write + fdatasync. Slot: magic u32 | payload length u32 | payload | crc32c u32 over the
 * preceding bytes; payload: sequence uvarint | HardState | serverId string. load() picks the
 * valid slot with the highest sequence.
 *
 * Why two slots rather than write-temp + rename: a save is then exactly one write and one
 * fdatasync (no rename, no directory fsync), and this sits on the vote/term critical path.
 * A torn write can only damage the slot being written; the other still holds the previous
 * acknowledged state, and the CRC tells them apart. The file itself is created once (and the
 * directory fsynced then).
 *
 * A file that existed but holds no valid slot (empty, short or garbage) is reported as `damage`
 * rather than loaded as a fresh store: only an interrupted very first save can explain it, which
 * the caller can tell from the rest of the node's state (src/raft/storage/integrity.ts).
 */
import { join } from "node:path";
import { BinaryReader, BinaryWriter } from "../binary.ts";
import { readHardState, writeHardState } from "../entry-codec.ts";
import type { HardState, ServerId, StableStore } from "../types.ts";
import { crc32c } from "./crc32c.ts";
import { ensureDurableDir, isNotFound, type FileHandle, type FileSystem } from "./fs.ts";

export const STABLE_FILE = "stable.bin";
const SLOT_SIZE = 4096;
const SLOT_MAGIC = 0x54534652; // "RFST" little-endian
const SLOT_OVERHEAD = 12; // magic + length + crc

interface SlotState {
  seq: number;
  hardState: HardState;
  serverId: ServerId;
}

function encodeSlot(s: SlotState): Uint8Array {
  const p = new BinaryWriter();
  p.uvarint(s.seq);
  writeHardState(p, s.hardState);
  p.string(s.serverId);
  const payload = p.finish();
  if (payload.length + SLOT_OVERHEAD > SLOT_SIZE) {
    throw new RangeError(`stable state too large (${payload.length} bytes): server id or vote too long`);
  }
  const w = new BinaryWriter(payload.length + SLOT_OVERHEAD);
  w.u32(SLOT_MAGIC).u32(payload.length).raw(payload);
  const body = w.finish();
  return w.u32(crc32c(body)).finish();
}

/** The slot's state, or null if it is empty, torn or corrupt. */
function decodeSlot(buf: Uint8Array): SlotState | null {
  if (buf.length < SLOT_OVERHEAD) return null;
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const length = v.getUint32(4, true);
  if (v.getUint32(0, true) !== SLOT_MAGIC || length > buf.length - SLOT_OVERHEAD) return null;
  if (v.getUint32(8 + length, true) !== crc32c(buf.subarray(0, 8 + length))) return null;
  try {
    const r = new BinaryReader(buf.subarray(8, 8 + length));
    const seq = r.uvarint("sequence");
    const hardState = readHardState(r);
    const serverId = r.string("server id");
    r.expectEnd("stable state");
    return { seq, hardState, serverId };
  } catch {
    return null; // a checksummed slot that does not decode is treated like a torn one
  }
}

/** Throws a RangeError naming the problem; shared with MemoryStableStore. */
export function checkStableState(h: HardState, serverId: ServerId): void {
  if (!Number.isSafeInteger(h.term) || h.term < 0) throw new RangeError(`invalid term ${h.term}`);
  if (h.vote !== null && (typeof h.vote !== "string" || h.vote === "")) {
    throw new RangeError(`invalid vote ${String(h.vote)}`);
  }
  if (typeof serverId !== "string" || serverId === "")
    throw new RangeError("server id must be a non-empty string");
}

export class FileStableStore implements StableStore {
  private queue: Promise<void> = Promise.resolve();

  private constructor(
    private readonly handle: FileHandle,
    /** The file, for messages. */
    readonly path: string,
    private current: SlotState | null,
    /** Why the file could not be loaded although it is not empty, or null. */
    readonly damage: string | null,
  ) {}

  /** Opens (creating if needed) and loads the store in `dir`. */
  static async open(fs: FileSystem, dir: string): Promise<FileStableStore> {
    await ensureDurableDir(fs, dir);
    const path = join(dir, STABLE_FILE);
    let handle: FileHandle;
    let created = false;
    try {
      handle = await fs.open(path, "readwrite");
    } catch (err) {
      if (!isNotFound(err)) throw err;
      handle = await fs.open(path, "create");
      await handle.datasync();
      await fs.fsyncDir(dir);
      created = true;
    }
    const both = await handle.read(0, 2 * SLOT_SIZE);
    const slots = [decodeSlot(both.subarray(0, SLOT_SIZE)), decodeSlot(both.subarray(SLOT_SIZE))];
    const current = slots.reduce<SlotState | null>(
      (best, s) => (s !== null && (best === null || s.seq > best.seq) ? s : best),
      null,
    );
    // An existing file that is empty is no proof of a fresh store either: it may have been
    // truncated. Whether that matters depends on the rest of the node's state (integrity.ts).
    // Every save goes to one of the two slots and the first to the second one (offset 4096): a
    // file that is not empty but shorter than a slot was cut short, even if the first slot still
    // reads — it may hold an older term and vote than the one lost.
    const damage = created
      ? null
      : both.length > 0 && both.length < SLOT_SIZE
        ? `${path} has ${both.length} bytes, fewer than the ${SLOT_SIZE} every saved stable store has: ` +
          `it was cut short, and its newest term, vote and server id may be lost`
        : current !== null
          ? null
          : both.length > 0
            ? `${path} has ${both.length} bytes but neither of its two slots holds a valid checksummed ` +
              `state (term, vote, server id)`
            : `${path} is empty (0 bytes): it holds no term, vote or server id`;
    // After a process crash the page cache may hold a written but unsynced slot that we just
    // loaded; make it durable before the node acts on it (e.g. re-grants that vote).
    await handle.datasync();
    return new FileStableStore(handle, path, current, damage);
  }

  load(): { hardState: HardState; serverId: ServerId } | null {
    if (this.current === null) return null;
    const { hardState, serverId } = this.current;
    return { hardState: { ...hardState }, serverId };
  }

  save(hardState: HardState, serverId: ServerId): Promise<void> {
    const result = this.queue.then(async () => {
      checkStableState(hardState, serverId);
      const next: SlotState = {
        seq: (this.current?.seq ?? 0) + 1,
        hardState: { term: hardState.term, vote: hardState.vote },
        serverId,
      };
      // Alternate: never overwrite the slot that holds the latest acknowledged state.
      await this.handle.writeDurable(encodeSlot(next), (next.seq % 2) * SLOT_SIZE);
      this.current = next;
    });
    this.queue = result.catch(() => {});
    return result;
  }

  close(): Promise<void> {
    return this.queue.then(() => this.handle.close());
  }
}
