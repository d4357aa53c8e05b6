/**
 * `node.json` in the meta dir: `{"ID":<meta node id>}` as InfluxDB writes it. It survives the
 * wipe of a removed node (docs/operations.md, "Removing a meta node") so the operator can still tell which node this was.
 * Written to a temporary name, fsynced, renamed, and the directory fsynced; writes to one dir
 * are queued, so two updates in quick succession never rename each other's temporary file away.
 */

import { open, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { NodeFileSystem } from "../raft/storage/fs.ts";

const fs = new NodeFileSystem();

export interface NodeIdentity {
  ID: number;
  /** HTTP addresses of the other meta nodes of its cluster, kept in step with the metadata and
   *  kept through a wipe: whom a node asks whether it is still a member (its metadata is empty
   *  until a leader tells it the commit index), and where hints send the operator to add it
   *  back. Go ignores the extra field. */
  Members?: string[];
}

const IDENTITY_FILE = "node.json";

export async function readIdentity(dir: string): Promise<NodeIdentity | null> {
  let text: string;
  try {
    text = await readFile(join(dir, IDENTITY_FILE), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  const path = join(dir, IDENTITY_FILE);
  let parsed: { ID?: unknown; Members?: unknown } | null;
  try {
    parsed = JSON.parse(text) as { ID?: unknown; Members?: unknown } | null;
  } catch (err) {
    throw new Error(
      `${path} is not valid JSON (${(err as Error).message}); expected {"ID":<meta node id>}: ` +
        `fix it or delete it (it only records which meta node this was)`,
    );
  }
  if (parsed === null || typeof parsed.ID !== "number" || !Number.isSafeInteger(parsed.ID) || parsed.ID < 0) {
    throw new Error(`${path}: malformed node identity, expected {"ID":<meta node id>}`);
  }
  const members = Array.isArray(parsed.Members)
    ? parsed.Members.filter((a): a is string => typeof a === "string")
    : undefined;
  return members ? { ID: parsed.ID, Members: members } : { ID: parsed.ID };
}

const writes = new Map<string, Promise<void>>();

export function writeIdentity(dir: string, identity: NodeIdentity): Promise<void> {
  const next = (writes.get(dir) ?? Promise.resolve()).catch(() => undefined).then(() => write(dir, identity));
  writes.set(dir, next);
  void next.finally(() => writes.get(dir) === next && writes.delete(dir)).catch(() => undefined);
  return next;
}

async function write(dir: string, identity: NodeIdentity): Promise<void> {
  const tmp = join(dir, IDENTITY_FILE + "tmp");
  const file = await open(tmp, "w", 0o644);
  try {
    await file.writeFile(JSON.stringify(identity) + "\n");
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, join(dir, IDENTITY_FILE));
  await fs.fsyncDir(dir);
}
