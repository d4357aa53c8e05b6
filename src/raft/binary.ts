/**
 * Compact binary writer/reader shared by the entry codec (WAL, snapshots, stable store) and the
 * message codec (transport). Integers are unsigned LEB128 varints ("uvarint") limited to the
 * exact JavaScript integer range (< 2^53), so indexes and terms round-trip without loss; byte
 * strings and UTF-8 strings are uvarint-length-prefixed. The reader bounds-checks every read and
 * throws a DecodeError naming what was being read, so truncated or malformed input never yields
 * garbage values.
 *
 * Both sides sit on the commit path (every Raft message and WAL batch), so they avoid garbage:
 * a writer can be reset and reused, short ASCII strings (server ids, addresses) are written
 * byte by byte instead of through a temporary encoding, and short strings read back are
 * interned, so the same id arriving in every message is decoded once.
 */

/** Malformed or truncated binary input. */
export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DecodeError";
  }
}

/** A uvarint of a number < 2^53 needs at most 8 bytes (8 × 7 = 56 bits). */
const MAX_UVARINT_BYTES = 8;

const textEncoder = new TextEncoder();
/** fatal: invalid UTF-8 is a malformed message, not something to paper over with U+FFFD. */
const textDecoder = new TextDecoder("utf-8", { fatal: true });

function assertUint(n: number, what: string, max: number): void {
  if (!Number.isInteger(n) || n < 0 || n > max) {
    throw new RangeError(`${what} must be an integer in [0, ${max}], got ${n}`);
  }
}

export class BinaryWriter {
  private buf: Uint8Array;
  private view: DataView;
  private len = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
    this.view = new DataView(this.buf.buffer);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.len;
  }

  private reserve(extra: number): void {
    const need = this.len + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(n: number): this {
    assertUint(n, "u8", 0xff);
    this.reserve(1);
    this.buf[this.len++] = n;
    return this;
  }

  /** Little-endian fixed 32-bit unsigned integer. */
  u32(n: number): this {
    assertUint(n, "u32", 0xffffffff);
    this.reserve(4);
    this.view.setUint32(this.len, n, true);
    this.len += 4;
    return this;
  }

  bool(b: boolean): this {
    return this.u8(b ? 1 : 0);
  }

  /** Unsigned LEB128 of a safe integer (arithmetic, not 32-bit bitwise ops, to keep 53 bits). */
  uvarint(n: number): this {
    assertUint(n, "uvarint", Number.MAX_SAFE_INTEGER);
    this.reserve(MAX_UVARINT_BYTES);
    while (n >= 0x80) {
      this.buf[this.len++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.len++] = n;
    return this;
  }

  /** Raw bytes without a length prefix (the reader must know the length). */
  raw(bytes: Uint8Array): this {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    return this;
  }

  /** Length-prefixed byte string. */
  bytes(bytes: Uint8Array): this {
    this.uvarint(bytes.length);
    return this.raw(bytes);
  }

  /** Length-prefixed UTF-8 string. */
  string(s: string): this {
    if (s.length < 0x80 && this.asciiString(s)) return this;
    return this.bytes(textEncoder.encode(s));
  }

  /** Writes `s` with its one-byte length if it is ASCII; otherwise writes nothing, says false. */
  private asciiString(s: string): boolean {
    this.reserve(1 + s.length);
    const start = this.len;
    const buf = this.buf;
    buf[start] = s.length;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return false;
      buf[start + 1 + i] = c;
    }
    this.len = start + 1 + s.length;
    return true;
  }

  /** Overwrites the little-endian u32 at `offset` (a length written before its payload). */
  setU32(offset: number, n: number): this {
    assertUint(n, "u32", 0xffffffff);
    if (offset < 0 || offset + 4 > this.len)
      throw new RangeError(`setU32 at ${offset} is outside the written bytes`);
    this.view.setUint32(offset, n, true);
    return this;
  }

  /** Drops everything written after the first `length` bytes (undoes a partial record). */
  truncate(length: number): this {
    if (length < 0 || length > this.len)
      throw new RangeError(`cannot truncate ${this.len} bytes to ${length}`);
    this.len = length;
    return this;
  }

  /** Empties the writer for reuse; a buffer grown past `keepCapacity` (one large message) is let go. */
  reset(keepCapacity = 64 * 1024): this {
    this.len = 0;
    if (this.buf.length > keepCapacity) {
      this.buf = new Uint8Array(keepCapacity);
      this.view = new DataView(this.buf.buffer);
    }
    return this;
  }

  /** The bytes written so far, without copying: valid only until the next write or reset. */
  written(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  /** A copy of the bytes written; the writer may keep being used afterwards. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/**
 * Decoded short strings by their bytes: a direct-mapped cache, so the ids and addresses that
 * every message repeats become one string each instead of a new one per message. A hit
 * compares every byte, so it returns exactly what decoding would.
 */
const INTERN_MAX_BYTES = 64;
const INTERN_SLOTS = 256;
const internedBytes: (Uint8Array | undefined)[] = new Array(INTERN_SLOTS);
const internedStrings: string[] = new Array(INTERN_SLOTS);

function internSlot(buf: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5; // FNV-1a
  for (let i = from; i < to; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  return (h >>> 0) % INTERN_SLOTS;
}

function internedAt(slot: number, buf: Uint8Array, from: number, to: number): string | undefined {
  const bytes = internedBytes[slot];
  if (bytes === undefined || bytes.length !== to - from) return undefined;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== buf[from + i]) return undefined;
  return internedStrings[slot];
}

export class BinaryReader {
  /** Made on first use: most records (log entries) never read a u32, and replaying a long log
   *  creates a reader per entry. */
  private dataView: DataView | null = null;
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  private get view(): DataView {
    return (this.dataView ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength));
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.buf.length - this.pos < n) {
      throw new DecodeError(
        `truncated input: reading ${what} needs ${n} byte(s) at offset ${this.pos}, ` +
          `only ${this.buf.length - this.pos} left`,
      );
    }
  }

  u8(what = "u8"): number {
    this.need(1, what);
    return this.buf[this.pos++];
  }

  u32(what = "u32"): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  bool(what = "bool"): boolean {
    const b = this.u8(what);
    if (b > 1) throw new DecodeError(`malformed ${what}: expected 0 or 1, got ${b}`);
    return b === 1;
  }

  uvarint(what = "uvarint"): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < MAX_UVARINT_BYTES; i++) {
      const b = this.u8(what);
      result += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (result > Number.MAX_SAFE_INTEGER) {
          throw new DecodeError(`malformed ${what}: value exceeds 2^53-1`);
        }
        return result;
      }
      scale *= 0x80;
    }
    throw new DecodeError(`malformed ${what}: varint longer than ${MAX_UVARINT_BYTES} bytes`);
  }

  /** `n` raw bytes (copied, so the result does not pin the whole input buffer). */
  raw(n: number, what = "raw bytes"): Uint8Array {
    this.need(n, what);
    // A copy, and a plain Uint8Array even when buf is a Buffer (whose slice() is a view that
    // would keep the whole frame alive and alias it).
    const out = Uint8Array.prototype.slice.call(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  bytes(what = "bytes"): Uint8Array {
    const n = this.uvarint(`${what} length`);
    return this.raw(n, what);
  }

  string(what = "string"): string {
    const n = this.uvarint(`${what} length`);
    this.need(n, what);
    const from = this.pos;
    const to = from + n;
    const slot = n <= INTERN_MAX_BYTES ? internSlot(this.buf, from, to) : -1;
    let s = slot < 0 ? undefined : internedAt(slot, this.buf, from, to);
    if (s === undefined) {
      try {
        s = textDecoder.decode(this.buf.subarray(from, to));
      } catch {
        throw new DecodeError(`malformed ${what}: invalid UTF-8 at offset ${from}`);
      }
      if (slot >= 0) {
        internedBytes[slot] = Uint8Array.prototype.slice.call(this.buf, from, to);
        internedStrings[slot] = s;
      }
    }
    this.pos = to;
    return s;
  }

  /** True when every byte has been consumed. */
  done(): boolean {
    return this.pos === this.buf.length;
  }

  /** Throws if bytes are left over: trailing garbage means the input is not what we think. */
  expectEnd(what = "input"): void {
    if (!this.done()) {
      throw new DecodeError(`malformed ${what}: ${this.remaining} unexpected trailing byte(s)`);
    }
  }
}
