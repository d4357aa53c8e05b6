/**
 * The file-system surface the durable stores (WAL, stable store, snapshot store) need, and its
 * production implementation over node:fs/promises. The stores only talk to this interface so
 * the very same code runs over the tests' SimulatedFileSystem (test/support/sim-fs.ts), which models what survives a
 * power loss, for crash tests and the deterministic cluster simulator.
 *
 * Durability contract the stores rely on (POSIX, Linux):
 *  - file contents are durable only after `datasync()`/`sync()` on a handle of that file;
 *  - a create / rename / unlink / mkdir / rmdir is durable only after `fsyncDir()` of the
 *    directory that holds the entry.
 */
import * as nodeFs from "node:fs/promises";
import { constants as fsConstants, fdatasync, writeSync } from "node:fs";
import { dirname } from "node:path";

/** "read": existing file, read-only. "readwrite": existing file. "create": new file, must not
 *  exist (exclusive, so two writers can never silently share a file), read-write. */
export type OpenMode = "read" | "readwrite" | "create";

export interface FileHandle {
  size(): Promise<number>;
  /** Up to `length` bytes at `position`; fewer only at end of file. */
  read(position: number, length: number): Promise<Uint8Array>;
  /** Writes all of `data` at `position` (extending the file with zeros if needed). */
  write(data: Uint8Array, position: number): Promise<void>;
  /** write() then datasync(): resolves once `data` is durable. The stores' hot path. */
  writeDurable(data: Uint8Array, position: number): Promise<void>;
  truncate(size: number): Promise<void>;
  /** fdatasync: contents (and size) durable. */
  datasync(): Promise<void>;
  /** fsync: contents and all metadata durable. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface FileStat {
  size: number;
  isDirectory: boolean;
}

export interface FileSystem {
  open(path: string, mode: OpenMode): Promise<FileHandle>;
  readFile(path: string): Promise<Uint8Array>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Creates the directory and any missing parents; no error if it already exists. */
  mkdir(path: string): Promise<void>;
  /** Removes an empty directory. */
  rmdir(path: string): Promise<void>;
  /** Entry names, sorted. */
  readdir(path: string): Promise<string[]>;
  stat(path: string): Promise<FileStat>;
  /** Makes the directory's entries (creates, renames, unlinks) durable. */
  fsyncDir(path: string): Promise<void>;
}

/** A file-system error with a POSIX-style code, as node:fs throws them. */
export class FsError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = "FsError";
  }
}

export function errorCode(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === "string" ? code : undefined;
  }
  return undefined;
}

export const isNotFound = (err: unknown): boolean => errorCode(err) === "ENOENT";

/** Creates `dir` (and missing parents) and makes its whole path durable: every directory up
 *  to the root gets its parent fsynced, so a store's directory cannot vanish in a power loss.
 *  Run once when a store opens, so the extra fsyncs cost nothing on the hot path. */
export async function ensureDurableDir(fs: FileSystem, dir: string): Promise<void> {
  await fs.mkdir(dir);
  // Each fsync makes one directory's entries durable whatever the order, so they run at once:
  // a store opens in one fsync's time instead of one per path level.
  const parents: string[] = [];
  for (let d = dir, parent = dirname(d); parent !== d; d = parent, parent = dirname(d)) parents.push(parent);
  await Promise.all(parents.map((p) => fs.fsyncDir(p)));
}

class NodeFileHandle implements FileHandle {
  constructor(private readonly handle: nodeFs.FileHandle) {}

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  async read(position: number, length: number): Promise<Uint8Array> {
    const buf = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(buf, done, length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === length ? buf : buf.subarray(0, done);
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    // write(2) may write fewer bytes than asked; loop until all are written.
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.handle.write(data, done, data.length - done, position + done);
      done += bytesWritten;
    }
  }

  /** The copy into the page cache takes microseconds even for a large batch, so it runs inline
   *  and only the flush goes to the thread pool: one pool round trip per commit instead of two,
   *  which is ~60 µs off every commit on the leader and on each follower. The flush is the
   *  callback fdatasync in one promise: the FileHandle's promise API costs several objects more
   *  per call, and this runs on every commit. */
  writeDurable(data: Uint8Array, position: number): Promise<void> {
    const fd = this.handle.fd;
    try {
      for (let done = 0; done < data.length;) {
        done += writeSync(fd, data, done, data.length - done, position + done);
      }
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
  }

  truncate(size: number): Promise<void> {
    return this.handle.truncate(size);
  }

  datasync(): Promise<void> {
    return this.handle.datasync();
  }

  sync(): Promise<void> {
    return this.handle.sync();
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

const OPEN_FLAGS: Record<OpenMode, number> = {
  read: fsConstants.O_RDONLY,
  readwrite: fsConstants.O_RDWR,
  create: fsConstants.O_RDWR | fsConstants.O_CREAT | fsConstants.O_EXCL,
};

export class NodeFileSystem implements FileSystem {
  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    return new NodeFileHandle(await nodeFs.open(path, OPEN_FLAGS[mode], 0o644));
  }

  async readFile(path: string): Promise<Uint8Array> {
    const b = await nodeFs.readFile(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }

  rename(from: string, to: string): Promise<void> {
    return nodeFs.rename(from, to);
  }

  unlink(path: string): Promise<void> {
    return nodeFs.unlink(path);
  }

  async mkdir(path: string): Promise<void> {
    await nodeFs.mkdir(path, { recursive: true });
  }

  rmdir(path: string): Promise<void> {
    return nodeFs.rmdir(path);
  }

  async readdir(path: string): Promise<string[]> {
    return (await nodeFs.readdir(path)).sort();
  }

  async stat(path: string): Promise<FileStat> {
    const s = await nodeFs.stat(path);
    return { size: s.size, isDirectory: s.isDirectory() };
  }

  /** Linux lets a directory be opened read-only and fsync'd; that persists its entries. */
  async fsyncDir(path: string): Promise<void> {
    const h = await nodeFs.open(path, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  }
}
