/**
 * In-memory FileSystem that models power loss, for crash tests and the deterministic simulator.
 *
 * Model (the assumptions raft-wal documents, made adversarial):
 *  - Every file keeps the list of its not-yet-synced writes/truncates (with undo data).
 *    `datasync()`/`sync()` makes them durable. A power loss keeps a random prefix of them, and
 *    may damage the last kept write: torn (only a prefix of its bytes reached the disk), torn
 *    with the file size already extended (the rest reads as zeros: "file size after a crash is
 *    not trusted"), or garbled (a random range of it holds random bytes).
 *  - Every directory keeps the list of its not-yet-fsynced entry operations (link, unlink,
 *    rename). `fsyncDir()` makes them durable; a power loss keeps a random prefix of them, so a
 *    created file may vanish, a deleted one come back, a rename be undone.
 *  - Renames across directories are rejected (EXDEV): the stores never need them, and the model
 *    stays one ordered operation list per directory.
 *  - A failed operation (injected EIO/ENOSPC) has no effect. A failed sync leaves the data
 *    unsynced; a later successful sync makes it durable.
 *
 * Everything is deterministic: randomness only comes from the `random` function passed to
 * `crash()`. Operations complete in microtasks unless the optional `onOp` hook returns a promise
 * (the simulator uses that to make fsync slow in virtual time).
 *
 * Crash points: `crashAtOp(n)` halts the file system just before the n-th mutating operation
 * (1-based, counted from the call): that operation and every later one reject with
 * SimulatedCrashError until `crash()` or `crashProcess()` is called.
 */
import {
  FsError,
  type FileHandle,
  type FileStat,
  type FileSystem,
  type OpenMode,
} from "../../src/raft/storage/fs.ts";

/** Uniform float in [0, 1). */
export type Random = () => number;

export type SimOpKind =
  | "read"
  | "write"
  | "truncate"
  | "datasync"
  | "sync"
  | "fsyncDir"
  | "create"
  | "rename"
  | "unlink"
  | "mkdir"
  | "rmdir";

/** Operation classes that `failNext` can target. */
export type FaultTarget = "write" | "sync" | "create" | "rename" | "unlink" | "any";
export type FaultCode = "EIO" | "ENOSPC";

export interface SimOp {
  kind: SimOpKind;
  path: string;
}

export class SimulatedCrashError extends Error {
  constructor(op: SimOp) {
    super(`simulated crash: file system halted at ${op.kind} ${op.path}`);
    this.name = "SimulatedCrashError";
  }
}

type FileChange =
  | { kind: "write"; pos: number; data: Uint8Array; prevSize: number; overwritten: Uint8Array }
  | { kind: "truncate"; size: number; prevSize: number; removed: Uint8Array };

interface SimFile {
  kind: "file";
  buf: Uint8Array;
  size: number;
  /** Changes since the last sync, oldest first. */
  unsynced: FileChange[];
}

type DirChange =
  | { kind: "link"; name: string; node: SimNode }
  | { kind: "unlink"; name: string }
  | { kind: "rename"; from: string; to: string };

interface SimDir {
  kind: "dir";
  entries: Map<string, SimNode>;
  durable: Map<string, SimNode>;
  /** Entry changes since the last fsyncDir, oldest first. */
  unsynced: DirChange[];
}

type SimNode = SimFile | SimDir;

const MUTATING: ReadonlySet<SimOpKind> = new Set<SimOpKind>([
  "write",
  "truncate",
  "datasync",
  "sync",
  "fsyncDir",
  "create",
  "rename",
  "unlink",
  "mkdir",
  "rmdir",
]);

function faultMatches(target: FaultTarget, kind: SimOpKind): boolean {
  switch (target) {
    case "any":
      return kind !== "read";
    case "sync":
      return kind === "datasync" || kind === "sync" || kind === "fsyncDir";
    case "write":
      return kind === "write" || kind === "truncate";
    case "create":
      return kind === "create" || kind === "mkdir";
    default:
      return kind === target;
  }
}

function splitPath(path: string): string[] {
  if (!path.startsWith("/")) throw new FsError("EINVAL", `simulated paths must be absolute: ${path}`);
  return path.split("/").filter((p) => p !== "" && p !== ".");
}

function newDir(): SimDir {
  return { kind: "dir", entries: new Map(), durable: new Map(), unsynced: [] };
}

function applyDirChange(entries: Map<string, SimNode>, c: DirChange): void {
  if (c.kind === "link") {
    entries.set(c.name, c.node);
  } else if (c.kind === "unlink") {
    entries.delete(c.name);
  } else {
    const node = entries.get(c.from);
    if (node === undefined) return;
    entries.delete(c.from);
    entries.set(c.to, node);
  }
}

// --- file content primitives (shared by live operations and crash replay) -------------------

function growTo(f: SimFile, size: number): void {
  if (size <= f.buf.length) return;
  let cap = Math.max(64, f.buf.length * 2);
  while (cap < size) cap *= 2;
  const next = new Uint8Array(cap);
  next.set(f.buf.subarray(0, f.size));
  f.buf = next;
}

function setSize(f: SimFile, size: number): void {
  if (size > f.size) {
    growTo(f, size);
    f.buf.fill(0, f.size, size);
  }
  f.size = size;
}

function writeBytes(f: SimFile, pos: number, data: Uint8Array): void {
  if (pos > f.size) setSize(f, pos);
  growTo(f, pos + data.length);
  f.buf.set(data, pos);
  f.size = Math.max(f.size, pos + data.length);
}

function undoChange(f: SimFile, c: FileChange): void {
  if (c.kind === "write") {
    f.buf.set(c.overwritten, c.pos);
    f.size = c.prevSize;
  } else {
    setSize(f, c.prevSize);
    f.buf.set(c.removed, c.size);
  }
}

class SimFileHandle implements FileHandle {
  private closed = false;

  constructor(
    private readonly fs: SimulatedFileSystem,
    private readonly file: SimFile,
    private readonly path: string,
    private readonly writable: boolean,
    private readonly generation: number,
  ) {}

  private async begin(kind: SimOpKind): Promise<void> {
    if (this.closed) throw new FsError("EBADF", `${kind} on closed file ${this.path}`);
    await this.fs.beginOp({ kind, path: this.path }, this.generation);
    if (!this.writable && kind !== "read") {
      throw new FsError("EBADF", `${kind} on read-only file ${this.path}`);
    }
  }

  async size(): Promise<number> {
    await this.begin("read");
    return this.file.size;
  }

  async read(position: number, length: number): Promise<Uint8Array> {
    await this.begin("read");
    const end = Math.min(this.file.size, position + length);
    return this.file.buf.slice(Math.min(position, end), end);
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    await this.begin("write");
    const f = this.file;
    const overlapEnd = Math.min(f.size, position + data.length);
    const overwritten = f.buf.slice(Math.min(position, overlapEnd), overlapEnd);
    f.unsynced.push({ kind: "write", pos: position, data: data.slice(), prevSize: f.size, overwritten });
    writeBytes(f, position, data);
  }

  /** Two operations in the crash model, as on a real disk: the write can land without the sync. */
  async writeDurable(data: Uint8Array, position: number): Promise<void> {
    await this.write(data, position);
    await this.datasync();
  }

  async truncate(size: number): Promise<void> {
    await this.begin("truncate");
    const f = this.file;
    const removed = f.buf.slice(Math.min(size, f.size), f.size);
    f.unsynced.push({ kind: "truncate", size, prevSize: f.size, removed });
    setSize(f, size);
  }

  async datasync(): Promise<void> {
    await this.begin("datasync");
    this.file.unsynced = [];
  }

  async sync(): Promise<void> {
    await this.begin("sync");
    this.file.unsynced = [];
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export class SimulatedFileSystem implements FileSystem {
  private root: SimDir = newDir();
  private generation = 0;
  private ops = 0;
  private haltAt: number | null = null;
  private halted = false;
  private faults: { target: FaultTarget; code: FaultCode; remaining: number }[] = [];

  /** Called at the start of every operation; a returned promise delays the operation. */
  onOp: ((op: SimOp) => void | Promise<void>) | null = null;

  /** Mutating operations performed so far (attempted, including failed ones). */
  get opCount(): number {
    return this.ops;
  }

  get isHalted(): boolean {
    return this.halted;
  }

  /** Halt just before the n-th mutating operation from now (n ≥ 1). */
  crashAtOp(n: number): void {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`crashAtOp needs n ≥ 1, got ${n}`);
    this.haltAt = this.ops + n;
  }

  /** Make the next `count` operations of class `target` fail with `code`, without effect. */
  failNext(target: FaultTarget, code: FaultCode, count = 1): void {
    this.faults.push({ target, code, remaining: count });
  }

  /** @internal Gate every operation: crash state, stale handles, latency hook, faults. */
  async beginOp(op: SimOp, generation = this.generation): Promise<void> {
    if (this.halted) throw new SimulatedCrashError(op);
    if (this.onOp) await this.onOp(op);
    // Re-check after the (possibly slow) hook: a crash may have happened meanwhile.
    if (this.halted) throw new SimulatedCrashError(op);
    if (generation !== this.generation) {
      throw new FsError("EBADF", `${op.kind} ${op.path}: handle opened before a simulated crash`);
    }
    if (MUTATING.has(op.kind)) {
      this.ops++;
      if (this.haltAt !== null && this.ops >= this.haltAt) {
        this.halted = true;
        this.haltAt = null;
        throw new SimulatedCrashError(op);
      }
    }
    const fault = this.faults.find((f) => faultMatches(f.target, op.kind));
    if (fault) {
      if (--fault.remaining <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
      throw new FsError(fault.code, `injected fault on ${op.kind} ${op.path}`);
    }
  }

  // --- path resolution ---------------------------------------------------------------------

  private lookup(path: string): SimNode | undefined {
    let node: SimNode = this.root;
    for (const part of splitPath(path)) {
      if (node.kind !== "dir") return undefined;
      const next = node.entries.get(part);
      if (next === undefined) return undefined;
      node = next;
    }
    return node;
  }

  private parentOf(path: string): { dir: SimDir; name: string } {
    const parts = splitPath(path);
    const name = parts.pop();
    if (name === undefined) throw new FsError("EINVAL", `no entry name in ${path}`);
    const parent = this.lookup("/" + parts.join("/"));
    if (parent === undefined) throw new FsError("ENOENT", `no such directory for ${path}`);
    if (parent.kind !== "dir") throw new FsError("ENOTDIR", `not a directory in ${path}`);
    return { dir: parent, name };
  }

  private existingDir(path: string): SimDir {
    const node = this.lookup(path);
    if (node === undefined) throw new FsError("ENOENT", `no such directory ${path}`);
    if (node.kind !== "dir") throw new FsError("ENOTDIR", `not a directory ${path}`);
    return node;
  }

  private existingFile(path: string): SimFile {
    const node = this.lookup(path);
    if (node === undefined) throw new FsError("ENOENT", `no such file ${path}`);
    if (node.kind !== "file") throw new FsError("EISDIR", `is a directory ${path}`);
    return node;
  }

  private link(dir: SimDir, name: string, node: SimNode): void {
    dir.entries.set(name, node);
    dir.unsynced.push({ kind: "link", name, node });
  }

  // --- FileSystem ----------------------------------------------------------------------------

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    if (mode === "create") {
      await this.beginOp({ kind: "create", path });
      const { dir, name } = this.parentOf(path);
      if (dir.entries.has(name)) throw new FsError("EEXIST", `file exists ${path}`);
      const file: SimFile = { kind: "file", buf: new Uint8Array(0), size: 0, unsynced: [] };
      this.link(dir, name, file);
      return new SimFileHandle(this, file, path, true, this.generation);
    }
    await this.beginOp({ kind: "read", path });
    return new SimFileHandle(this, this.existingFile(path), path, mode === "readwrite", this.generation);
  }

  async readFile(path: string): Promise<Uint8Array> {
    await this.beginOp({ kind: "read", path });
    const f = this.existingFile(path);
    return f.buf.slice(0, f.size);
  }

  async rename(from: string, to: string): Promise<void> {
    await this.beginOp({ kind: "rename", path: `${from} -> ${to}` });
    const src = this.parentOf(from);
    const dst = this.parentOf(to);
    if (src.dir !== dst.dir) throw new FsError("EXDEV", `cross-directory rename ${from} -> ${to}`);
    const node = src.dir.entries.get(src.name);
    if (node === undefined) throw new FsError("ENOENT", `no such entry ${from}`);
    const target = dst.dir.entries.get(dst.name);
    if (target?.kind === "dir" && target.entries.size > 0) {
      throw new FsError("ENOTEMPTY", `rename onto non-empty directory ${to}`);
    }
    src.dir.entries.delete(src.name);
    src.dir.entries.set(dst.name, node);
    src.dir.unsynced.push({ kind: "rename", from: src.name, to: dst.name });
  }

  async unlink(path: string): Promise<void> {
    await this.beginOp({ kind: "unlink", path });
    const { dir, name } = this.parentOf(path);
    const node = dir.entries.get(name);
    if (node === undefined) throw new FsError("ENOENT", `no such file ${path}`);
    if (node.kind === "dir") throw new FsError("EISDIR", `unlink of directory ${path}`);
    dir.entries.delete(name);
    dir.unsynced.push({ kind: "unlink", name });
  }

  async mkdir(path: string): Promise<void> {
    let dir = this.root;
    let sofar = "";
    for (const part of splitPath(path)) {
      sofar += "/" + part;
      const next = dir.entries.get(part);
      if (next === undefined) {
        await this.beginOp({ kind: "mkdir", path: sofar });
        const created = newDir();
        this.link(dir, part, created);
        dir = created;
      } else if (next.kind === "dir") {
        dir = next;
      } else {
        throw new FsError("ENOTDIR", `not a directory ${sofar}`);
      }
    }
  }

  async rmdir(path: string): Promise<void> {
    await this.beginOp({ kind: "rmdir", path });
    const { dir, name } = this.parentOf(path);
    const node = dir.entries.get(name);
    if (node === undefined) throw new FsError("ENOENT", `no such directory ${path}`);
    if (node.kind !== "dir") throw new FsError("ENOTDIR", `not a directory ${path}`);
    if (node.entries.size > 0) throw new FsError("ENOTEMPTY", `directory not empty ${path}`);
    dir.entries.delete(name);
    dir.unsynced.push({ kind: "unlink", name });
  }

  async readdir(path: string): Promise<string[]> {
    await this.beginOp({ kind: "read", path });
    return [...this.existingDir(path).entries.keys()].sort();
  }

  async stat(path: string): Promise<FileStat> {
    await this.beginOp({ kind: "read", path });
    const node = this.lookup(path);
    if (node === undefined) throw new FsError("ENOENT", `no such file or directory ${path}`);
    return node.kind === "dir" ? { size: 0, isDirectory: true } : { size: node.size, isDirectory: false };
  }

  async fsyncDir(path: string): Promise<void> {
    await this.beginOp({ kind: "fsyncDir", path });
    const dir = this.existingDir(path);
    dir.durable = new Map(dir.entries);
    dir.unsynced = [];
  }

  // --- crashes -------------------------------------------------------------------------------

  /** The process dies but the machine does not: the page cache survives, so every completed
   *  write stays (still unsynced); open handles become invalid. */
  crashProcess(): void {
    this.generation++;
    this.halted = false;
    this.haltAt = null;
  }

  /** Power loss: durable state survives, plus a random prefix of the unsynced changes of each
   *  file and directory, the last kept file write possibly damaged. Open handles become
   *  invalid and the file system is usable again. */
  crash(random: Random): void {
    const randInt = (n: number): number => Math.floor(random() * n);
    const seen = new Set<SimNode>();
    const visit = (dir: SimDir): void => {
      const entries = new Map(dir.durable);
      const keep = randInt(dir.unsynced.length + 1);
      for (const c of dir.unsynced.slice(0, keep)) applyDirChange(entries, c);
      dir.entries = entries;
      dir.durable = new Map(entries);
      dir.unsynced = [];
      for (const child of entries.values()) {
        if (seen.has(child)) continue;
        seen.add(child);
        if (child.kind === "dir") visit(child);
        else crashFile(child, random, randInt);
      }
    };
    visit(this.root);
    this.crashProcess();
  }
}

function crashFile(f: SimFile, random: Random, randInt: (n: number) => number): void {
  const changes = f.unsynced;
  f.unsynced = [];
  const keep = randInt(changes.length + 1);
  for (let i = changes.length - 1; i >= keep; i--) undoChange(f, changes[i]);
  const last = changes[keep - 1];
  if (last === undefined || last.kind !== "write" || random() < 0.5) return;
  const len = last.data.length;
  if (len === 0) return;
  switch (randInt(3)) {
    case 0: {
      // Torn: only a prefix of the write reached the disk.
      undoChange(f, last);
      writeBytes(f, last.pos, last.data.subarray(0, randInt(len)));
      break;
    }
    case 1: {
      // Torn, but the size was already extended: the missing part reads as zeros.
      undoChange(f, last);
      const cut = randInt(len);
      writeBytes(f, last.pos, last.data.subarray(0, cut));
      writeBytes(f, last.pos + cut, new Uint8Array(len - cut));
      break;
    }
    default: {
      // Garbled: a random range of the written bytes holds garbage.
      const start = randInt(len);
      const end = start + 1 + randInt(len - start);
      for (let i = last.pos + start; i < last.pos + end; i++) f.buf[i] = randInt(256);
    }
  }
}
