/**
 * gzip for a message kept in pieces that later messages share (the FSM's encoding of `Data`: a
 * head, one piece per chunk of databases, a tail; see MetaStateMachine.snapshotPieces), compressing
 * each piece once.
 *
 * Each piece is deflated on its own and its output ends in a full flush: the deflate blocks end
 * on a byte boundary, none is marked final and none refers back into an earlier piece, so the
 * pieces' blocks laid end to end are one valid deflate stream. Wrapped in one gzip header and
 * trailer (CRC-32 and length of the whole) they make one ordinary gzip member, which every HTTP
 * client reads. A new state shares all but a few pieces with the previous one, so a commit costs
 * the deflate of those few pieces, a CRC-32 pass and a copy, not a compression of megabytes.
 */
import { promisify } from "node:util";
import { constants, crc32, deflateRaw } from "node:zlib";

const deflateRawAsync = promisify(deflateRaw);

/** RFC 1952 member header: magic, deflate, no flags, no mtime, no extra flags, OS unknown. */
const HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
/** An empty final deflate block (fixed Huffman codes): what ends the stream. */
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);

export class PieceCompressor {
  /** Deflated pieces by piece; a piece is never changed once handed here. */
  private readonly deflated = new WeakMap<Uint8Array, Promise<Buffer>>();

  /** `level`: zlib's compression level. Each piece is compressed once, so a slow level costs
   *  little after the first message; it pays back in every byte sent to every client. */
  constructor(private readonly level: number = constants.Z_DEFAULT_COMPRESSION) {}

  /** The gzip of the pieces' concatenation. */
  async gzip(pieces: readonly Uint8Array[]): Promise<Buffer> {
    const blocks = await Promise.all(pieces.map((piece) => this.deflate(piece)));
    let crc = 0;
    let length = 0;
    for (const piece of pieces) {
      // Skipped when empty: an empty array's data pointer may be null, and zlib's crc32 answers
      // a null buffer with its initial value (0), not the running CRC.
      if (piece.length > 0) crc = crc32(piece, crc);
      length += piece.length;
    }
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(crc >>> 0, 0);
    trailer.writeUInt32LE(length % 2 ** 32, 4);
    return Buffer.concat([HEADER, ...blocks, FINAL_BLOCK, trailer]);
  }

  private deflate(piece: Uint8Array): Promise<Buffer> {
    let block = this.deflated.get(piece);
    if (!block) {
      // On libuv's thread pool; pieces of one message compress in parallel there.
      block = deflateRawAsync(piece, { level: this.level, finishFlush: constants.Z_FULL_FLUSH });
      this.deflated.set(piece, block);
      // A failure is not kept: the next message tries this piece again.
      block.catch(() => this.deflated.delete(piece));
    }
    return block;
  }
}
