/**
 * FileSnapshotStore: one directory per snapshot, `<dir>/<term>-<index>-<seq>/`, holding
 *   state.bin  the FSM state, verbatim;
 *   meta.bin   magic u32 | version u8 | SnapshotMeta | state size uvarint | state crc32c u32 |
 *              crc32c u32 of everything before it.
 * `seq` increases with every save, so it orders snapshots by age and makes names unique even
 * when the same (term, index) is saved twice.
 *
 * save(): written into `<name>.tmp/` (both files fdatasync'd, the directory fsync'd), renamed
 * into place, and the parent fsync'd: a snapshot directory either exists complete or not at
 * all. Then only the newest two are kept. Opening loads the newest snapshot whose checksums
 * verify (corrupt ones are skipped and reported) and removes leftover `.tmp` directories.
 */
import { join } from "node:path";
import { BinaryReader, BinaryWriter, DecodeError } from "../binary.ts";
import { readSnapshotMeta, writeSnapshotMeta } from "../entry-codec.ts";
import type { Snapshot, SnapshotStore } from "../types.ts";
import { crc32c } from "./crc32c.ts";
import { ensureDurableDir, isNotFound, type FileSystem } from "./fs.ts";

const META_FILE = "meta.bin";
const STATE_FILE = "state.bin";
const META_MAGIC = 0x50414e53; // "SNAP" little-endian
const META_VERSION = 1;
const TMP_SUFFIX = ".tmp";
const SNAPSHOT_NAME = /^(\d+)-(\d+)-(\d+)$/;
export const SNAPSHOTS_RETAINED = 2;

export interface SnapshotStoreOptions {
  /** Non-fatal events worth logging: corrupt snapshots skipped, failed clean-ups. */
  onWarning?: (message: string) => void;
}

export interface CorruptSnapshot {
  name: string;
  reason: string;
}

function encodeMeta(s: Snapshot): Uint8Array {
  const w = new BinaryWriter();
  w.u32(META_MAGIC).u8(META_VERSION);
  writeSnapshotMeta(w, s.meta);
  w.uvarint(s.data.length).u32(crc32c(s.data));
  return w.u32(crc32c(w.finish())).finish();
}

/** Reads and verifies one snapshot directory; throws a DecodeError saying what is wrong. */
async function loadSnapshot(fs: FileSystem, path: string): Promise<Snapshot> {
  const metaBytes = await fs.readFile(join(path, META_FILE));
  if (metaBytes.length < 4) throw new DecodeError(`${META_FILE} truncated`);
  const body = metaBytes.subarray(0, metaBytes.length - 4);
  const storedCrc = new DataView(metaBytes.buffer, metaBytes.byteOffset + body.length, 4).getUint32(0, true);
  if (storedCrc !== crc32c(body)) throw new DecodeError(`${META_FILE} checksum mismatch`);
  const r = new BinaryReader(body);
  if (r.u32("magic") !== META_MAGIC) throw new DecodeError(`${META_FILE} bad magic`);
  const version = r.u8("version");
  if (version !== META_VERSION) throw new DecodeError(`${META_FILE} unsupported version ${version}`);
  const meta = readSnapshotMeta(r);
  const size = r.uvarint("state size");
  const stateCrc = r.u32("state crc");
  r.expectEnd(META_FILE);
  const data = await fs.readFile(join(path, STATE_FILE));
  if (data.length !== size) throw new DecodeError(`${STATE_FILE} has ${data.length} bytes, expected ${size}`);
  if (crc32c(data) !== stateCrc) throw new DecodeError(`${STATE_FILE} checksum mismatch`);
  return { meta, data };
}

interface StoredSnapshot {
  name: string;
  seq: number;
  corrupt: boolean;
}

export class FileSnapshotStore implements SnapshotStore {
  private queue: Promise<void> = Promise.resolve();
  private newest: Snapshot | null = null;
  /** Snapshot directories on disk (valid or not), oldest first. */
  private stored: StoredSnapshot[] = [];
  private nextSeq = 1;
  private readonly warn: (message: string) => void;
  /** Snapshots found corrupt when opening (skipped). */
  readonly corrupt: CorruptSnapshot[] = [];

  private constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    options: SnapshotStoreOptions,
  ) {
    this.warn = options.onWarning ?? (() => {});
  }

  /** Opens (creating if needed) the store in `dir` and loads the newest valid snapshot. */
  static async open(
    fs: FileSystem,
    dir: string,
    options: SnapshotStoreOptions = {},
  ): Promise<FileSnapshotStore> {
    const store = new FileSnapshotStore(fs, dir, options);
    await store.load();
    return store;
  }

  latest(): Snapshot | null {
    return this.newest;
  }

  save(snapshot: Snapshot): Promise<void> {
    const result = this.queue.then(() => this.write(snapshot));
    this.queue = result.catch(() => {});
    return result;
  }

  private async load(): Promise<void> {
    const { fs, dir } = this;
    await ensureDurableDir(fs, dir);
    for (const name of await fs.readdir(dir)) {
      const m = SNAPSHOT_NAME.exec(name.endsWith(TMP_SUFFIX) ? name.slice(0, -TMP_SUFFIX.length) : name);
      if (!m) continue;
      const seq = Number(m[3]);
      this.nextSeq = Math.max(this.nextSeq, seq + 1);
      if (name.endsWith(TMP_SUFFIX))
        await this.removeDir(name); // an interrupted save
      else this.stored.push({ name, seq, corrupt: false });
    }
    this.stored.sort((a, b) => a.seq - b.seq);
    for (let k = this.stored.length - 1; k >= 0 && this.newest === null; k--) {
      const { name } = this.stored[k];
      try {
        this.newest = await loadSnapshot(fs, join(dir, name));
      } catch (err) {
        if (!(err instanceof DecodeError) && !isNotFound(err)) throw err;
        const reason = (err as Error).message;
        this.corrupt.push({ name, reason });
        this.stored[k].corrupt = true;
        this.warn(`snapshot ${join(dir, name)} skipped: ${reason}`);
      }
    }
    // After a process crash a rename may sit unsynced in the page cache: make what we loaded
    // durable before it is relied upon.
    await fs.fsyncDir(dir);
  }

  private async write(snapshot: Snapshot): Promise<void> {
    const { fs, dir } = this;
    const meta = encodeMeta(snapshot); // validates the metadata before touching the disk
    const seq = this.nextSeq++;
    const name = `${snapshot.meta.term}-${snapshot.meta.index}-${seq}`;
    const tmp = join(dir, name + TMP_SUFFIX);
    await fs.mkdir(tmp);
    for (const [file, bytes] of [
      [STATE_FILE, snapshot.data],
      [META_FILE, meta],
    ] as const) {
      const h = await fs.open(join(tmp, file), "create");
      try {
        await h.write(bytes, 0);
        await h.datasync();
      } finally {
        await h.close();
      }
    }
    await fs.fsyncDir(tmp);
    await fs.rename(tmp, join(dir, name));
    await fs.fsyncDir(dir);
    this.newest = { meta: structuredClone(snapshot.meta), data: snapshot.data.slice() };
    this.stored.push({ name, seq, corrupt: false });
    await this.prune();
  }

  /** Deletes corrupt snapshots, then all but the newest SNAPSHOTS_RETAINED; a failed deletion
   *  only costs disk space (retried after the next save). */
  private async prune(): Promise<void> {
    const valid = this.stored.filter((s) => !s.corrupt);
    const doomed = [
      ...this.stored.filter((s) => s.corrupt),
      ...valid.slice(0, Math.max(0, valid.length - SNAPSHOTS_RETAINED)),
    ];
    for (const old of doomed) {
      try {
        // Renamed to a temp name first, so a crash mid-deletion leaves something open() removes.
        await this.fs.rename(join(this.dir, old.name), join(this.dir, old.name + TMP_SUFFIX));
        await this.removeDir(old.name + TMP_SUFFIX);
      } catch (err) {
        this.warn(`could not delete old snapshot ${join(this.dir, old.name)}: ${(err as Error).message}`);
        return;
      }
      this.stored.splice(this.stored.indexOf(old), 1);
    }
  }

  private async removeDir(name: string): Promise<void> {
    const path = join(this.dir, name);
    for (const file of await this.fs.readdir(path)) await this.fs.unlink(join(path, file));
    await this.fs.rmdir(path);
  }
}
