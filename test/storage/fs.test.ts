import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodeFileSystem, errorCode, type FileSystem } from "../../src/raft/storage/fs.ts";
import { SimulatedCrashError, SimulatedFileSystem } from "../support/sim-fs.ts";
import { seededRandom } from "../raft/storage/helpers.ts";

const bytes = (...b: number[]) => new Uint8Array(b);
const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => errorCode(e) === code);
}

/** Semantics both implementations must share (the stores rely on exactly these). */
async function contract(fs: FileSystem, root: string): Promise<void> {
  const dir = join(root, "a", "b");
  await fs.mkdir(dir);
  await fs.mkdir(dir); // idempotent
  assert.equal((await fs.stat(dir)).isDirectory, true);

  const f = join(dir, "f");
  const h = await fs.open(f, "create");
  await rejectsWith(fs.open(f, "create"), "EEXIST");
  await h.write(text("hello"), 0);
  await h.write(text("XY"), 7); // past the end: gap reads as zeros
  assert.equal(await h.size(), 9);
  assert.deepEqual(await h.read(4, 100), bytes(111, 0, 0, 88, 89));
  assert.deepEqual(await h.read(50, 5), bytes());
  await h.truncate(5);
  await h.datasync();
  await h.sync();
  await h.close();
  assert.equal(str(await fs.readFile(f)), "hello");
  assert.equal((await fs.stat(f)).size, 5);

  const ro = await fs.open(f, "read");
  await assert.rejects(ro.write(text("x"), 0));
  await ro.close();
  await rejectsWith(fs.open(join(dir, "missing"), "readwrite"), "ENOENT");
  await rejectsWith(fs.open(join(root, "nodir", "x"), "create"), "ENOENT");

  const g = await fs.open(join(dir, "0-first"), "create");
  await g.close();
  assert.deepEqual(await fs.readdir(dir), ["0-first", "f"]);
  await fs.rename(f, join(dir, "g"));
  await fs.rename(join(dir, "g"), join(dir, "0-first")); // replaces atomically
  assert.deepEqual(await fs.readdir(dir), ["0-first"]);
  assert.equal(str(await fs.readFile(join(dir, "0-first"))), "hello");
  await fs.fsyncDir(dir);

  await rejectsWith(fs.rmdir(dir), "ENOTEMPTY");
  await fs.unlink(join(dir, "0-first"));
  await rejectsWith(fs.unlink(join(dir, "0-first")), "ENOENT");
  await fs.rmdir(dir);
  assert.deepEqual(await fs.readdir(join(root, "a")), []);
  await rejectsWith(fs.readdir(dir), "ENOENT");
}

test("NodeFileSystem honours the FileSystem contract", async () => {
  const root = await mkdtemp(join(tmpdir(), "raft-fs-"));
  try {
    await contract(new NodeFileSystem(), root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test("SimulatedFileSystem honours the FileSystem contract", async () => {
  await contract(new SimulatedFileSystem(), "/data");
});

/** Creates /d/f with `durable` synced (file and directory) and `extra` written unsynced. */
async function fileWith(durable: string, extra: string[]): Promise<SimulatedFileSystem> {
  const fs = new SimulatedFileSystem();
  await fs.mkdir("/d");
  await fs.fsyncDir("/");
  const h = await fs.open("/d/f", "create");
  await h.write(text(durable), 0);
  await h.datasync();
  await fs.fsyncDir("/d");
  let pos = durable.length;
  for (const e of extra) {
    await h.write(text(e), pos);
    pos += e.length;
  }
  return fs;
}

test("power loss keeps synced bytes and only a prefix of unsynced writes, the last possibly damaged", async () => {
  const outcomes = new Set<string>();
  for (let seed = 1; seed <= 200; seed++) {
    const fs = await fileWith("durable|", ["AAAA", "BBBB", "CCCC"]);
    fs.crash(seededRandom(seed));
    const content = str(await fs.readFile("/d/f"));
    assert.ok(content.startsWith("durable|"), `seed ${seed}: synced bytes lost: ${content}`);
    const rest = content.slice("durable|".length);
    // Whole writes kept in order; at most the last kept one is cut/zeroed/garbled.
    const whole = ["", "AAAA", "AAAABBBB", "AAAABBBBCCCC"];
    const k = whole.filter((w) => rest.startsWith(w)).length - 1;
    assert.ok(rest.length <= 12, `seed ${seed}: grew beyond what was written: ${rest}`);
    assert.ok(rest.length - whole[k].length <= 4, `seed ${seed}: skipped a write: ${JSON.stringify(rest)}`);
    outcomes.add(rest === whole[k] ? `whole:${k}` : "damaged");
  }
  for (const o of ["whole:0", "whole:1", "whole:2", "whole:3", "damaged"]) {
    assert.ok(outcomes.has(o), `outcome ${o} never produced in 200 seeds`);
  }
});

test("power loss may drop a created file until its directory is fsynced", async () => {
  let vanished = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const fs = new SimulatedFileSystem();
    await fs.mkdir("/d");
    await fs.fsyncDir("/");
    const h = await fs.open("/d/new", "create");
    await h.write(text("x"), 0);
    await h.datasync();
    const synced = await fs.open("/d/synced", "create");
    await synced.close();
    await fs.fsyncDir("/d");
    await fs.unlink("/d/synced"); // not fsynced: may come back
    fs.crash(seededRandom(seed));
    const names = await fs.readdir("/d");
    assert.ok(names.includes("new"), `seed ${seed}: fsynced create lost`);
    if (!names.includes("synced")) vanished++;
  }
  assert.ok(
    vanished > 0 && vanished < 40,
    `unsynced unlink should sometimes survive, sometimes not (${vanished}/40)`,
  );

  let lost = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const fs = new SimulatedFileSystem();
    await fs.mkdir("/d");
    await fs.fsyncDir("/");
    const h = await fs.open("/d/f", "create");
    await h.write(text("x"), 0);
    await h.datasync(); // content durable, directory entry not
    fs.crash(seededRandom(seed));
    if (!(await fs.readdir("/d")).includes("f")) lost++;
  }
  assert.ok(lost > 0 && lost < 40, `create without fsyncDir should sometimes be lost (${lost}/40)`);
});

test("unsynced renames may be undone, never half-done; fsyncDir makes them durable", async () => {
  const seen = new Set<string>();
  for (let seed = 1; seed <= 40; seed++) {
    const fs = new SimulatedFileSystem();
    await fs.mkdir("/d");
    await fs.fsyncDir("/");
    for (const [name, body] of [
      ["old", "OLD"],
      ["tmp", "NEW"],
    ]) {
      const h = await fs.open(`/d/${name}`, "create");
      await h.write(text(body), 0);
      await h.datasync();
    }
    await fs.fsyncDir("/d");
    await fs.rename("/d/tmp", "/d/old");
    fs.crash(seededRandom(seed));
    const names = (await fs.readdir("/d")).join(",");
    const content = str(await fs.readFile("/d/old"));
    assert.ok(
      (names === "old,tmp" && content === "OLD") || (names === "old" && content === "NEW"),
      `seed ${seed}: ${names} ${content}`,
    );
    seen.add(content);
  }
  assert.deepEqual([...seen].sort(), ["NEW", "OLD"]);

  const fs = new SimulatedFileSystem();
  await fs.mkdir("/d");
  await fs.mkdir("/e");
  const h = await fs.open("/d/tmp", "create");
  await h.datasync();
  await rejectsWith(fs.rename("/d/tmp", "/e/x"), "EXDEV");
  await fs.rename("/d/tmp", "/d/final");
  await fs.fsyncDir("/d");
  await fs.fsyncDir("/");
  fs.crash(seededRandom(1));
  assert.deepEqual(await fs.readdir("/d"), ["final"]);
});

test("a crash invalidates open handles; a process crash keeps unsynced data", async () => {
  const fs = await fileWith("abc", ["def"]);
  const h = await fs.open("/d/f", "readwrite");
  fs.crashProcess();
  await rejectsWith(h.write(text("x"), 0), "EBADF");
  assert.equal(str(await fs.readFile("/d/f")), "abcdef");
});

test("crashAtOp halts the file system before the n-th mutating operation", async () => {
  const fs = await fileWith("", []);
  const h = await fs.open("/d/f", "readwrite");
  fs.crashAtOp(2);
  await h.write(text("one"), 0); // op 1 runs
  await assert.rejects(h.datasync(), SimulatedCrashError); // op 2 halts
  await assert.rejects(fs.readFile("/d/f"), SimulatedCrashError);
  assert.equal(fs.isHalted, true);
  fs.crash(seededRandom(3));
  assert.equal(fs.isHalted, false);
  const content = str(await fs.readFile("/d/f"));
  assert.ok("one".startsWith(content) || content.length === 3, `unexpected ${content}`);
});

test("injected EIO/ENOSPC fail the next matching operation without effect", async () => {
  const fs = await fileWith("abc", []);
  const h = await fs.open("/d/f", "readwrite");
  fs.failNext("write", "ENOSPC");
  await rejectsWith(h.write(text("zzz"), 3), "ENOSPC");
  assert.equal(str(await fs.readFile("/d/f")), "abc");
  await h.write(text("def"), 3);
  fs.failNext("sync", "EIO");
  await rejectsWith(h.datasync(), "EIO");
  await h.datasync(); // a later successful sync makes the data durable
  fs.crash(seededRandom(9));
  assert.equal(str(await fs.readFile("/d/f")), "abcdef");
  fs.failNext("any", "EIO", 2);
  await rejectsWith(fs.mkdir("/x"), "EIO");
  await rejectsWith(fs.unlink("/d/f"), "EIO");
  await fs.unlink("/d/f");
});

test("the onOp hook can delay operations (slow fsync in virtual time)", async () => {
  const fs = await fileWith("", []);
  const h = await fs.open("/d/f", "readwrite");
  let release!: () => void;
  const seen: string[] = [];
  fs.onOp = (op) => {
    seen.push(op.kind);
    if (op.kind !== "datasync") return;
    return new Promise<void>((resolve) => (release = resolve));
  };
  await h.write(text("x"), 0);
  let synced = false;
  const p = h.datasync().then(() => (synced = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(synced, false);
  release();
  await p;
  assert.equal(synced, true);
  assert.deepEqual(seen, ["write", "datasync"]);
});
