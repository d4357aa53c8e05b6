/**
 * In-memory LogStore / StableStore / SnapshotStore with the same semantics and validation as
 * the file-backed ones (the log shares LogEntries with the WAL), for unit tests of the core
 * and host. Nothing here survives a crash: use the file stores over SimulatedFileSystem when a
 * test is about durability.
 */
import type { Entry, HardState, LogStore, ServerId, Snapshot, SnapshotStore, StableStore } from "../types.ts";
import { LogEntries, checkIndexArg } from "./log-entries.ts";
import { checkStableState } from "./stable.ts";
import { encodeSnapshotMeta } from "../entry-codec.ts";

export class MemoryLogStore implements LogStore {
  private readonly log = new LogEntries();
  private closed = false;

  firstIndex(): number {
    return this.log.firstIndex();
  }

  lastIndex(): number {
    return this.log.lastIndex();
  }

  entries(from: number, to: number): Entry[] {
    return this.log.entries(from, to);
  }

  async append(entries: Entry[]): Promise<void> {
    this.checkOpen("append");
    if (entries.length === 0) return;
    this.log.validateAppend(entries);
    this.log.append(entries.map((e) => ({ ...e })));
  }

  async truncateAfter(index: number): Promise<void> {
    this.checkOpen("truncateAfter");
    checkIndexArg("truncateAfter", index);
    this.log.truncateAfter(index);
  }

  async truncateBefore(index: number): Promise<void> {
    this.checkOpen("truncateBefore");
    checkIndexArg("truncateBefore", index);
    this.log.truncateBefore(index);
  }

  async reset(): Promise<void> {
    this.checkOpen("reset");
    this.log.reset();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private checkOpen(what: string): void {
    if (this.closed) throw new Error(`memory log: ${what} after close`);
  }
}

export class MemoryStableStore implements StableStore {
  private state: { hardState: HardState; serverId: ServerId } | null = null;

  load(): { hardState: HardState; serverId: ServerId } | null {
    return this.state && { hardState: { ...this.state.hardState }, serverId: this.state.serverId };
  }

  async save(hardState: HardState, serverId: ServerId): Promise<void> {
    checkStableState(hardState, serverId);
    this.state = { hardState: { ...hardState }, serverId };
  }
}

export class MemorySnapshotStore implements SnapshotStore {
  private newest: Snapshot | null = null;

  latest(): Snapshot | null {
    return this.newest;
  }

  async save(snapshot: Snapshot): Promise<void> {
    encodeSnapshotMeta(snapshot.meta); // same validation as the file store
    this.newest = { meta: structuredClone(snapshot.meta), data: snapshot.data.slice() };
  }
}
