/**
 * SegmentedWal: the Raft log as a segmented append-only write-ahead log (the raft-wal design,
 * simplified for a meta store: every live entry is also kept decoded in memory).
 *
 * Files in `dir`: `<segmentId:20>-<base:20>.wal`. Segment ids are unique and consecutive
 * (each new segment gets previous + 1), so listing order = creation order.
 *
 * Segment layout:
 *   header (32 B): magic "RWAL" u32 | version u32 | segmentId u64 | base u64 | 0 u32 | crc32c u32
 *   frames, each 8-byte aligned: type u8 | 3 zero bytes | payload length u32 | payload | pad
 *     Entry  (1): payload = encodeEntry(entry)
 *     Commit (2): payload = crc32c u32 over the batch's entry frames | entry count u32
 * One append() = one batch of entry frames + its commit frame = one write + one fdatasync
 * (group commit). A batch is valid only if its commit frame is present and its CRC matches.
 *
 * The `base` in the header carries the truncation protocol:
 *   - base 0: the log restarts here (fresh log or reset()): everything in older segments is void
 *     and the first entry may have any index;
 *   - base b > 0: entries ≥ b from older segments are void and this segment continues at b.
 *     Rotation creates a segment with b = next index (voids nothing); truncateAfter(i) creates
 *     one with b = i + 1 (voids the conflicting suffix). So a suffix truncation is one durable
 *     segment creation, and a half-done one is never ambiguous (a new id, even at the same base).
 *
 * Recovery (open): segments are scanned in id order. Only the last batch of the newest segment
 * can be torn (one batch is in flight at a time, and every older segment was fsynced before its
 * successor was created): it is cut back to the last valid commit (durably) with a warning naming
 * the entries dropped. Whether they were acknowledged is not known here: an interrupted write was
 * not, but a file cut short by hand may have held acknowledged entries (RaftNode's opener says
 * what follows from the configuration). Anything else that does not verify is
 * corruption of acknowledged data and open() throws WalCorruptionError naming the file, the
 * offset and the entries affected, rather than silently dropping entries: an invalid batch
 * followed by a valid one (found by scanning the rest of the file at every frame alignment), an
 * invalid batch in an older segment, an invalid header on an older segment or on a newest one
 * that holds data. Segments before a gap in
 * the id sequence are leftovers of a non-durable head deletion (truncateBefore/reset deletes
 * whole segments oldest first without fsyncing the directory; a crash may resurrect any
 * subset) and are ignored and deleted.
 * Because a process crash (unlike a power loss) leaves written-but-unsynced data readable in
 * the page cache, open() fdatasyncs the tail and fsyncs the directory before anything recovered
 * is served: nothing the node reads back (and may act upon) can still be lost later.
 */
import { crc32c } from "./crc32c.ts";
import { StorageCorruptionError } from "./corruption.ts";
import { decodeEntry, writeEntry } from "../entry-codec.ts";
import { BinaryWriter } from "../binary.ts";
import { ensureDurableDir, isNotFound, type FileHandle, type FileSystem } from "./fs.ts";
import { LogEntries, checkIndexArg } from "./log-entries.ts";
import type { Entry, LogStore } from "../types.ts";
import { join } from "node:path";

export const DEFAULT_SEGMENT_SIZE = 64 * 1024 * 1024;

const HEADER_SIZE = 32;
const MAGIC = 0x4c415752; // "RWAL" little-endian
const VERSION = 1;
const FRAME_HEADER_SIZE = 8;
const FRAME_ENTRY = 1;
const FRAME_COMMIT = 2;
const COMMIT_PAYLOAD_SIZE = 8;
const SEGMENT_NAME = /^(\d{20})-(\d{20})\.wal$/;

export interface WalOptions {
  /** Soft size limit of a segment file; a batch that would cross it starts a new segment. */
  segmentSize?: number;
  /** Non-fatal events worth logging: what recovery cut or removed, failed clean-ups. */
  onWarning?: (message: string) => void;
}

export interface WalRecoveryReport {
  /** Bytes of the torn last batch cut from the tail segment. */
  truncatedBytes: number;
  /** Indexes of the entries in the cut batch that could still be read. */
  droppedEntries: { from: number; to: number } | null;
  /** Files deleted: an incomplete newest segment, stale segments before a gap or a reset. */
  removedFiles: string[];
  /** Files in the directory that are not segments (e.g. stray temp files); left alone. */
  ignoredFiles: string[];
}

/** Acknowledged data in the WAL is damaged: refusing to guess. */
export class WalCorruptionError extends StorageCorruptionError {
  constructor(message: string, path: string) {
    super(message, path);
    this.name = "WalCorruptionError";
  }
}

interface Segment {
  id: number;
  base: number;
  name: string;
  /** Highest entry index stored in the file (0 if none): decides head deletion. */
  maxIndex: number;
}

interface Tail {
  segment: Segment;
  handle: FileHandle;
  /** Bytes of valid data; the next batch is written here. */
  size: number;
}

const pad20 = (n: number): string => String(n).padStart(20, "0");
const ignore = (): void => {};
const align8 = (n: number): number => (n + 7) & ~7;

export function segmentFileName(id: number, base: number): string {
  return `${pad20(id)}-${pad20(base)}.wal`;
}

function encodeHeader(id: number, base: number): Uint8Array {
  const b = new Uint8Array(HEADER_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(0, MAGIC, true);
  v.setUint32(4, VERSION, true);
  v.setBigUint64(8, BigInt(id), true);
  v.setBigUint64(16, BigInt(base), true);
  v.setUint32(28, crc32c(b.subarray(0, 28)), true);
  return b;
}

/** True if `buf` starts with a valid header for segment (id, base). */
function headerMatches(buf: Uint8Array, id: number, base: number): boolean {
  if (buf.length < HEADER_SIZE) return false;
  const v = new DataView(buf.buffer, buf.byteOffset, HEADER_SIZE);
  return (
    v.getUint32(0, true) === MAGIC &&
    v.getUint32(4, true) === VERSION &&
    v.getBigUint64(8, true) === BigInt(id) &&
    v.getBigUint64(16, true) === BigInt(base) &&
    v.getUint32(24, true) === 0 &&
    v.getUint32(28, true) === crc32c(buf.subarray(0, 28))
  );
}

function frameHeader(w: BinaryWriter, type: number, length: number): void {
  w.u8(type).u8(0).u8(0).u8(0).u32(length);
}

/** One append batch: entry frames followed by the commit frame, encoded into `w` (reused:
 *  the result is a view of it, valid until the next batch). */
function encodeBatch(w: BinaryWriter, entries: readonly Entry[]): Uint8Array {
  w.reset();
  for (const e of entries) {
    const start = w.length;
    frameHeader(w, FRAME_ENTRY, 0);
    writeEntry(w, e);
    const length = w.length - start - FRAME_HEADER_SIZE;
    w.setU32(start + 4, length);
    for (let pad = align8(length) - length; pad > 0; pad--) w.u8(0);
  }
  const crc = crc32c(w.written());
  frameHeader(w, FRAME_COMMIT, COMMIT_PAYLOAD_SIZE);
  w.u32(crc).u32(entries.length);
  return w.written();
}

/** The entry payloads of the well-formed batch at `pos` and where it ends, or null. */
function parseBatch(buf: Uint8Array, pos: number): { payloads: Uint8Array[]; end: number } | null {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const start = pos;
  const payloads: Uint8Array[] = [];
  while (pos + FRAME_HEADER_SIZE <= buf.length) {
    const type = buf[pos];
    const length = view.getUint32(pos + 4, true);
    // A torn or garbled header may claim any length: check it against the bytes left before
    // aligning (align8 is 32-bit arithmetic and would wrap a length near 2^32).
    if (length > buf.length - pos - FRAME_HEADER_SIZE) return null;
    const end = pos + FRAME_HEADER_SIZE + align8(length);
    if (buf[pos + 1] !== 0 || buf[pos + 2] !== 0 || buf[pos + 3] !== 0 || end > buf.length) return null;
    if (type === FRAME_ENTRY) {
      payloads.push(buf.subarray(pos + FRAME_HEADER_SIZE, pos + FRAME_HEADER_SIZE + length));
      pos = end;
      continue;
    }
    if (type !== FRAME_COMMIT || length !== COMMIT_PAYLOAD_SIZE) return null;
    const crc = view.getUint32(pos + FRAME_HEADER_SIZE, true);
    const count = view.getUint32(pos + FRAME_HEADER_SIZE + 4, true);
    if (count === 0 || count !== payloads.length || crc !== crc32c(buf.subarray(start, pos))) return null;
    return { payloads, end };
  }
  return null;
}

/** Decodes a checksummed batch: the CRC vouches these bytes are exactly what we wrote, so a
 *  decode failure is not a torn write but a bug or an incompatible file. */
function decodeBatch(payloads: Uint8Array[], path: string, offset: number): Entry[] {
  return payloads.map((p, k) => {
    try {
      return decodeEntry(p);
    } catch (err) {
      throw new WalCorruptionError(
        `${path}: checksummed entry ${k} of the batch at offset ${offset} does not decode: ${(err as Error).message}`,
        path,
      );
    }
  });
}

/** The valid batches of a segment, and where valid data ends (torn/garbage after it). */
function scanSegment(buf: Uint8Array, path: string): { batches: Entry[][]; validEnd: number } {
  const batches: Entry[][] = [];
  let pos = HEADER_SIZE;
  for (let b = parseBatch(buf, pos); b !== null; b = parseBatch(buf, pos)) {
    batches.push(decodeBatch(b.payloads, path, pos));
    pos = b.end;
  }
  return { batches, validEnd: pos };
}

/** The first valid batch starting after `from` (at any frame alignment), or null: valid data
 *  after an invalid batch means the damage is not a torn tail. */
function findValidBatchAfter(
  buf: Uint8Array,
  from: number,
  path: string,
): { offset: number; first: Entry } | null {
  for (let pos = from + 8; pos + 2 * FRAME_HEADER_SIZE <= buf.length; pos += 8) {
    if (buf[pos] !== FRAME_ENTRY) continue; // a batch starts with an entry frame
    const b = parseBatch(buf, pos);
    if (b) return { offset: pos, first: decodeBatch(b.payloads.slice(0, 1), path, pos)[0] };
  }
  return null;
}

/** The entries of a torn batch that still decode and continue the log at `next` (for the
 *  warning only: nothing vouches for these bytes, so anything out of sequence ends the list). */
function readableIndexes(buf: Uint8Array, pos: number, next: number): { from: number; to: number } | null {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let to = next - 1;
  while (pos + FRAME_HEADER_SIZE <= buf.length && buf[pos] === FRAME_ENTRY) {
    const length = view.getUint32(pos + 4, true);
    if (length > buf.length - pos - FRAME_HEADER_SIZE) break;
    try {
      if (
        decodeEntry(buf.subarray(pos + FRAME_HEADER_SIZE, pos + FRAME_HEADER_SIZE + length)).index !==
        to + 1
      )
        break;
    } catch {
      break;
    }
    to++;
    pos += FRAME_HEADER_SIZE + align8(length);
  }
  return to < next ? null : { from: next, to };
}

export class SegmentedWal implements LogStore {
  private readonly log = new LogEntries();
  /** Where each batch is encoded: appends are serialized, so one buffer serves them all. */
  private readonly batchWriter = new BinaryWriter(4096);
  /** Live segments, oldest first; the last one is the tail. */
  private segments: Segment[] = [];
  /** Segments superseded by a reset that could not be deleted yet. */
  private obsolete: Segment[] = [];
  private tail!: Tail;
  private nextId = 1;
  private queue: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  private closed = false;
  private readonly segmentSize: number;
  private readonly warn: (message: string) => void;
  readonly recovery: WalRecoveryReport = {
    truncatedBytes: 0,
    droppedEntries: null,
    removedFiles: [],
    ignoredFiles: [],
  };

  private constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    options: WalOptions,
  ) {
    this.segmentSize = options.segmentSize ?? DEFAULT_SEGMENT_SIZE;
    if (!Number.isSafeInteger(this.segmentSize) || this.segmentSize <= HEADER_SIZE) {
      throw new RangeError(`segmentSize must be an integer > ${HEADER_SIZE}, got ${options.segmentSize}`);
    }
    this.warn = options.onWarning ?? (() => {});
  }

  /** Opens (creating if needed) the WAL in `dir` and recovers it; see the file comment. */
  static async open(fs: FileSystem, dir: string, options: WalOptions = {}): Promise<SegmentedWal> {
    const wal = new SegmentedWal(fs, dir, options);
    await wal.recover();
    return wal;
  }

  // --- reads (from memory) ------------------------------------------------------------------

  firstIndex(): number {
    return this.log.firstIndex();
  }

  lastIndex(): number {
    return this.log.lastIndex();
  }

  entries(from: number, to: number): Entry[] {
    return this.log.entries(from, to);
  }

  /** Names of the live segment files, oldest first (for tests and diagnostics). */
  segmentNames(): string[] {
    return this.segments.map((s) => s.name);
  }

  // --- mutations (serialized) ----------------------------------------------------------------

  append(entries: Entry[]): Promise<void> {
    return this.serialize("append", async () => {
      if (entries.length === 0) return;
      this.log.validateAppend(entries);
      const batch = encodeBatch(this.batchWriter, entries); // throws on a malformed entry, before any I/O
      const last = entries[entries.length - 1].index;
      await this.io(async () => {
        const t = this.tail;
        if (t.size > HEADER_SIZE && t.size + batch.length > this.segmentSize) {
          await this.startSegment(entries[0].index);
        }
        await this.tail.handle.writeDurable(batch, this.tail.size);
        this.tail.size += batch.length;
        this.tail.segment.maxIndex = last;
      });
      this.log.append(entries);
    });
  }

  truncateAfter(index: number): Promise<void> {
    return this.serialize("truncateAfter", async () => {
      checkIndexArg("truncateAfter", index);
      if (!this.log.wouldTruncateAfter(index)) return;
      await this.io(() => this.startSegment(index + 1));
      this.log.truncateAfter(index);
    });
  }

  /** Drops entries < index from memory and deletes the oldest segments holding only such
   *  entries. Not durable by design (see the file comment); deletion failures are retried on
   *  the next call. */
  truncateBefore(index: number): Promise<void> {
    return this.serialize("truncateBefore", async () => {
      checkIndexArg("truncateBefore", index);
      this.log.truncateBefore(index);
      let n = 0;
      while (n < this.segments.length - 1 && this.segments[n].maxIndex < index) n++;
      const doomed = this.segments.splice(0, n);
      await this.deleteSegments([...this.obsolete.splice(0), ...doomed]);
    });
  }

  reset(): Promise<void> {
    return this.serialize("reset", async () => {
      await this.io(() => this.startSegment(0));
      this.log.reset();
      this.obsolete.push(...this.segments.splice(0, this.segments.length - 1));
      await this.deleteSegments(this.obsolete.splice(0));
    });
  }

  close(): Promise<void> {
    return this.serialize("close", async () => {
      this.closed = true;
      await this.tail.handle.close();
    });
  }

  // --- internals -----------------------------------------------------------------------------

  /** Runs mutations one at a time, in call order, on a usable WAL. */
  private serialize(what: string, fn: () => Promise<void>): Promise<void> {
    const result = this.queue.then(() => {
      if (this.closed) throw new Error(`WAL ${this.dir}: ${what} after close`);
      if (this.failure) {
        throw new Error(
          `WAL ${this.dir}: ${what} refused, the WAL is unusable after an earlier I/O error ` +
            `(${this.failure.message}); reopen it to recover`,
        );
      }
      return fn();
    });
    this.queue = result.catch(ignore);
    return result;
  }

  /** Any I/O error leaves the files in an unknown state (a partial batch may be on disk), so
   *  the WAL refuses further work until reopened: recovery then decides what is valid. */
  private async io(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.failure = err instanceof Error ? err : new Error(String(err));
      throw err;
    }
  }

  /** Seals the tail (if any) and durably creates the next segment with `base`. */
  private async startSegment(base: number): Promise<void> {
    if (this.tail) {
      await this.tail.handle.sync();
      await this.tail.handle.close();
    }
    const segment: Segment = { id: this.nextId, base, name: segmentFileName(this.nextId, base), maxIndex: 0 };
    const handle = await this.fs.open(join(this.dir, segment.name), "create");
    this.nextId++;
    this.tail = { segment, handle, size: 0 };
    this.segments.push(segment);
    await handle.writeDurable(encodeHeader(segment.id, base), 0);
    this.tail.size = HEADER_SIZE;
    await this.fs.fsyncDir(this.dir);
  }

  private async deleteSegments(segments: Segment[]): Promise<void> {
    for (let k = 0; k < segments.length; k++) {
      try {
        await this.fs.unlink(join(this.dir, segments[k].name));
      } catch (err) {
        if (isNotFound(err)) continue;
        // Keep the rest for the next attempt; a stale segment is harmless (see recovery).
        this.obsolete.push(...segments.slice(k));
        this.warn(`WAL ${this.dir}: could not delete ${segments[k].name}: ${(err as Error).message}`);
        return;
      }
    }
  }

  private async recover(): Promise<void> {
    const { fs, dir } = this;
    await ensureDurableDir(fs, dir);

    const found: Segment[] = [];
    for (const name of await fs.readdir(dir)) {
      const m = SEGMENT_NAME.exec(name);
      if (m) found.push({ id: Number(m[1]), base: Number(m[2]), name, maxIndex: 0 });
      else this.recovery.ignoredFiles.push(name);
    }
    found.sort((a, b) => a.id - b.id);

    // Only the newest segment may have an incomplete header: its creation was interrupted,
    // so it was never written to (and, if it was a reset, the reset never happened). One that
    // holds more than a header had a durable header once: it is damaged, not interrupted.
    const stale: Segment[] = [];
    const newest = found[found.length - 1];
    if (newest) {
      const contents = await fs.readFile(join(dir, newest.name));
      if (!headerMatches(contents, newest.id, newest.base)) {
        if (contents.length > HEADER_SIZE) throw this.badHeader(newest, contents);
        stale.push(found.pop()!);
      }
    }
    // Reusing the removed segment's id keeps ids consecutive (a gap would void the whole log
    // on the next recovery); its unlink is made durable before any new segment is created.
    this.nextId = found.length > 0 ? found[found.length - 1].id + 1 : 1;
    // Live segments start after the last id gap and at the last reset (base 0).
    let start = 0;
    for (let k = 0; k < found.length; k++) {
      if ((k > 0 && found[k].id !== found[k - 1].id + 1) || found[k].base === 0) start = k;
    }
    stale.push(...found.slice(0, start));
    const live = found.slice(start);

    let validEnd = HEADER_SIZE;
    let torn: { offset: number; bytes: number; entries: { from: number; to: number } | null } | null = null;
    for (let k = 0; k < live.length; k++) {
      const s = live[k];
      const path = join(dir, s.name);
      const contents = await fs.readFile(path);
      if (!headerMatches(contents, s.id, s.base)) throw this.badHeader(s, contents);
      this.applyBase(s);
      const scan = scanSegment(contents, path);
      for (const batch of scan.batches) {
        try {
          this.log.validateAppend(batch);
        } catch (err) {
          throw new WalCorruptionError(`WAL ${dir}: segment ${s.name}: ${(err as Error).message}`, path);
        }
        this.log.append(batch);
        s.maxIndex = batch[batch.length - 1].index;
      }
      validEnd = scan.validEnd;
      if (validEnd === contents.length) continue;
      const isTail = k === live.length - 1;
      const after = findValidBatchAfter(contents, validEnd, path);
      if (!isTail || after) throw this.damaged(s, validEnd, after, live[k + 1]);
      torn = {
        offset: validEnd,
        bytes: contents.length - validEnd,
        entries: readableIndexes(contents, validEnd, this.log.lastIndex() + 1),
      };
    }

    for (const s of stale) {
      await fs.unlink(join(dir, s.name));
      this.recovery.removedFiles.push(s.name);
    }
    if (stale.length > 0) this.warn(`WAL ${dir}: removed ${stale.map((s) => s.name).join(", ")}`);

    this.segments = live;
    if (live.length === 0) {
      await this.startSegment(0);
      return;
    }
    const tailSegment = live[live.length - 1];
    const handle = await fs.open(join(dir, tailSegment.name), "readwrite");
    this.tail = { segment: tailSegment, handle, size: validEnd };
    if (torn) {
      await handle.truncate(validEnd);
      this.recovery.truncatedBytes = torn.bytes;
      this.recovery.droppedEntries = torn.entries;
      const last = this.log.lastIndex();
      const readable = torn.entries ? ` (${torn.entries.from}..${torn.entries.to} readable)` : "";
      this.warn(
        `WAL ${dir}: cut a torn last batch from ${tailSegment.name} (${torn.bytes} bytes at offset ` +
          `${torn.offset}): the entries after index ${last}${readable} were lost locally; the log now ends at ${last}`,
      );
    }
    await handle.datasync();
    await fs.fsyncDir(dir);
  }

  /** Corruption of a segment header (one that was durable once). */
  private badHeader(s: Segment, contents: Uint8Array): WalCorruptionError {
    const path = join(this.dir, s.name);
    let holds = "";
    try {
      const entries = scanSegment(contents, path).batches.flat();
      if (entries.length > 0)
        holds = ` (it holds entries ${entries[0].index}..${entries[entries.length - 1].index})`;
    } catch {
      // The header is what we report; what the frames hold is only a hint.
    }
    return new WalCorruptionError(
      `WAL corrupt: ${path} has an invalid header at offset 0${holds}; the log from this segment on cannot be trusted`,
      path,
    );
  }

  /** Corruption of acknowledged data inside a segment: name the offset and the entries. */
  private damaged(
    s: Segment,
    offset: number,
    after: { offset: number; first: Entry } | null,
    next: Segment | undefined,
  ): WalCorruptionError {
    const path = join(this.dir, s.name);
    const last = this.log.lastIndex();
    const range = (from: number, to: number) =>
      from === to ? `entry ${from} is` : `entries ${from}..${to} are`;
    const lost = after
      ? after.first.index > last + 1
        ? range(last + 1, after.first.index - 1)
        : `the entries after index ${last} are`
      : next && next.base > last + 1
        ? range(last + 1, next.base - 1)
        : `the entries after index ${last} in it are`;
    const resumes = after
      ? `, yet valid entries resume at index ${after.first.index} (offset ${after.offset})`
      : next
        ? `; the next segment ${next.name} continues at index ${next.base}`
        : "";
    return new WalCorruptionError(
      `WAL corrupt: ${next ? "sealed segment" : "segment"} ${path} is damaged at offset ${offset} ` +
        `(the batch there does not verify${resumes}): ${lost} lost; they were acknowledged, so this ` +
        `is not a torn write`,
      path,
    );
  }

  /** Recovery: a segment's base voids later entries of older segments (see file comment). */
  private applyBase(s: Segment): void {
    if (s.base === 0) {
      this.log.reset();
      return;
    }
    const next = this.log.nextIndex();
    if (next !== null && s.base > next) {
      throw new WalCorruptionError(
        `WAL corrupt: segment ${s.name} continues at ${s.base} but the log before it ends at ${next - 1}: ` +
          `entries ${next}..${s.base - 1} are missing`,
        join(this.dir, s.name),
      );
    }
    this.log.continueAt(s.base);
  }
}
