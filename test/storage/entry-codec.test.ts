import { test } from "node:test";
import assert from "node:assert/strict";
import { BinaryReader, BinaryWriter, DecodeError } from "../../src/raft/binary.ts";
import {
  decodeConfiguration,
  decodeEntry,
  decodeHardState,
  decodeSnapshotMeta,
  encodeConfiguration,
  encodeEntry,
  encodeHardState,
  encodeSnapshotMeta,
  readEntry,
  writeEntry,
} from "../../src/raft/entry-codec.ts";
import { crc32c } from "../../src/raft/storage/crc32c.ts";
import { EntryType, type Entry } from "../../src/raft/types.ts";
import { configEntry, entry } from "../raft/storage/helpers.ts";

test("uvarint round-trips the whole safe-integer range exactly", () => {
  const values = [
    0,
    1,
    127,
    128,
    255,
    16383,
    16384,
    2 ** 31,
    2 ** 32 + 5,
    2 ** 49 + 3,
    Number.MAX_SAFE_INTEGER,
  ];
  const w = new BinaryWriter(1);
  for (const v of values) w.uvarint(v);
  const r = new BinaryReader(w.finish());
  for (const v of values) assert.equal(r.uvarint(), v);
  r.expectEnd();
  assert.equal(new BinaryWriter().uvarint(Number.MAX_SAFE_INTEGER).finish().length, 8);
});

test("writer rejects values it cannot encode exactly", () => {
  const w = new BinaryWriter();
  assert.throws(() => w.uvarint(-1), /uvarint must be an integer/);
  assert.throws(() => w.uvarint(1.5), /uvarint must be an integer/);
  assert.throws(() => w.uvarint(2 ** 53), /uvarint must be an integer/);
  assert.throws(() => w.u8(256), /u8 must be/);
  assert.throws(() => w.u32(2 ** 32), /u32 must be/);
  assert.equal(w.length, 0);
});

test("reader primitives: u8, u32, bool, bytes, string, done/expectEnd", () => {
  const w = new BinaryWriter(1)
    .u8(200)
    .u32(0xdeadbeef)
    .bool(true)
    .bytes(new Uint8Array([9, 8, 7]))
    .string("héllo ✓")
    .raw(new Uint8Array([42]));
  const r = new BinaryReader(w.finish());
  assert.equal(r.u8(), 200);
  assert.equal(r.u32(), 0xdeadbeef);
  assert.equal(r.bool(), true);
  assert.deepEqual(r.bytes(), new Uint8Array([9, 8, 7]));
  assert.equal(r.string(), "héllo ✓");
  assert.equal(r.done(), false);
  assert.throws(
    () => r.expectEnd("message"),
    (e: unknown) => e instanceof DecodeError && /1 unexpected trailing byte/.test(e.message),
  );
  assert.deepEqual(r.raw(1), new Uint8Array([42]));
  assert.equal(r.done(), true);
  r.expectEnd();
});

test("ASCII, non-ASCII and long strings are written the same way (length-prefixed UTF-8)", () => {
  const long = "x".repeat(200);
  for (const s of ["", "abc", "127.0.0.1:8089", "héllo", "a✓b", long, `${long}é`]) {
    const bytes = new BinaryWriter(1).string(s).finish();
    const utf8 = new TextEncoder().encode(s);
    const expected = new BinaryWriter(1).uvarint(utf8.length).raw(utf8).finish();
    assert.deepEqual(bytes, expected, JSON.stringify(s));
    assert.equal(new BinaryReader(bytes).string(), s);
  }
});

test("short strings read back are interned but always match their bytes", () => {
  // Same lengths, different bytes, read alternately: a cached string is only returned for
  // the exact bytes it was decoded from.
  const ids = Array.from({ length: 600 }, (_, i) => i.toString(16).padStart(32, "0"));
  const w = new BinaryWriter();
  for (let round = 0; round < 2; round++) for (const id of ids) w.string(id);
  const r = new BinaryReader(w.finish());
  for (let round = 0; round < 2; round++) for (const id of ids) assert.equal(r.string(), id);
  r.expectEnd();
  // Bytes that once decoded fine are still validated when they differ in one byte.
  const good = new BinaryWriter().string("ab").finish();
  assert.equal(new BinaryReader(good).string(), "ab");
  const bad = good.slice();
  bad[2] = 0xc3;
  assert.throws(() => new BinaryReader(bad).string("name"), /invalid UTF-8/);
});

test("a reused writer: setU32 patches a length, truncate undoes a record, reset empties it", () => {
  const w = new BinaryWriter(16);
  w.u32(0).string("payload");
  w.setU32(0, w.length - 4);
  const mark = w.length;
  w.string("half-written");
  w.truncate(mark);
  const r = new BinaryReader(w.finish());
  assert.equal(r.u32(), 8);
  assert.equal(r.string(), "payload");
  r.expectEnd();
  assert.throws(() => w.setU32(mark - 2, 1), /outside the written bytes/);
  assert.throws(() => w.truncate(mark + 1), /cannot truncate/);
  w.raw(new Uint8Array(100_000)).reset(1024);
  assert.equal(w.length, 0);
  assert.deepEqual(w.u8(7).written(), new Uint8Array([7]));
});

test("reader rejects malformed primitives with a DecodeError naming the field", () => {
  assert.throws(
    () => new BinaryReader(new Uint8Array([0x80, 0x80])).uvarint("term"),
    /truncated input: reading term/,
  );
  assert.throws(
    () => new BinaryReader(new Uint8Array(9).fill(0xff)).uvarint("index"),
    /varint longer than 8 bytes/,
  );
  // 8 bytes with every payload bit set = 2^56 - 1 > 2^53 - 1.
  assert.throws(
    () => new BinaryReader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])).uvarint(),
    /exceeds 2\^53-1/,
  );
  assert.throws(() => new BinaryReader(new Uint8Array([2])).bool("flag"), /malformed flag/);
  assert.throws(
    () => new BinaryReader(new Uint8Array([5, 1, 2])).bytes("payload"),
    /reading payload needs 5 byte/,
  );
  assert.throws(() => new BinaryReader(new Uint8Array([2, 0xc3, 0x28])).string("name"), /invalid UTF-8/);
  assert.throws(() => new BinaryReader(new Uint8Array([1, 2])).u32(), DecodeError);
});

test("entries of every type round-trip", () => {
  const samples: Entry[] = [
    entry(1, 1),
    { index: 2 ** 40, term: 2 ** 33, type: EntryType.Noop, data: new Uint8Array() },
    configEntry(7, 3),
    { ...entry(9, 4, 5000) },
  ];
  for (const e of samples) assert.deepEqual(decodeEntry(encodeEntry(e)), e);
  // The streaming form: several entries appended into one buffer.
  const w = new BinaryWriter();
  for (const e of samples) writeEntry(w, e);
  const r = new BinaryReader(w.finish());
  for (const e of samples) assert.deepEqual(readEntry(r), e);
  assert.ok(r.done());
});

test("hard state, configuration and snapshot meta round-trip", () => {
  for (const h of [
    { term: 0, vote: null },
    { term: 12, vote: "node-2" },
  ]) {
    assert.deepEqual(decodeHardState(encodeHardState(h)), h);
  }
  const config = configEntry(1, 1).config!;
  assert.deepEqual(decodeConfiguration(encodeConfiguration(config)), config);
  assert.deepEqual(decodeConfiguration(encodeConfiguration({ servers: [] })), { servers: [] });
  const meta = { index: 500, term: 7, config, configIndex: 480 };
  assert.deepEqual(decodeSnapshotMeta(encodeSnapshotMeta(meta)), meta);
});

test("every truncation of an encoded record is rejected with a DecodeError", () => {
  const records: [string, Uint8Array, (b: Uint8Array) => unknown][] = [
    ["entry", encodeEntry(configEntry(300, 9)), decodeEntry],
    [
      "meta",
      encodeSnapshotMeta({ index: 5, term: 2, config: configEntry(1, 1).config!, configIndex: 3 }),
      decodeSnapshotMeta,
    ],
    ["hard state", encodeHardState({ term: 3, vote: "abc" }), decodeHardState],
  ];
  for (const [what, buf, decode] of records) {
    for (let cut = 0; cut < buf.length; cut++) {
      assert.throws(() => decode(buf.subarray(0, cut)), DecodeError, `${what} cut at ${cut}`);
    }
    const extra = new Uint8Array(buf.length + 1);
    extra.set(buf);
    assert.throws(() => decode(extra), /trailing byte/, `${what} with a trailing byte`);
  }
});

test("semantically invalid records are rejected on both sides", () => {
  const bad = encodeEntry(entry(1, 1));
  bad[2] = 9; // the type byte (index and term take one byte each)
  assert.throws(() => decodeEntry(bad), /unknown type 9/);
  assert.throws(
    () => encodeEntry({ index: 1, term: 1, type: EntryType.Config, data: new Uint8Array() }),
    /config must be present exactly/,
  );
  assert.throws(
    () => encodeEntry({ ...configEntry(1, 1), type: EntryType.Command }),
    /config must be present exactly/,
  );
  assert.throws(
    () => encodeEntry({ index: 1, term: 1, type: 7 as EntryType, data: new Uint8Array() }),
    /unknown entry type 7/,
  );
  const conf = encodeConfiguration({ servers: [{ id: "a", address: "x:1", suffrage: "voter" }] });
  conf[conf.length - 1] = 5;
  assert.throws(() => decodeConfiguration(conf), /suffrage code 5/);
  assert.throws(() => decodeConfiguration(new Uint8Array([0x7f])), /127 servers cannot fit/);
});

test("crc32c matches the standard check value and can be continued over pieces", () => {
  const data = new TextEncoder().encode("123456789");
  assert.equal(crc32c(data), 0xe3069283);
  assert.equal(crc32c(data.subarray(4), crc32c(data.subarray(0, 4))), 0xe3069283);
  assert.equal(crc32c(new Uint8Array()), 0);
});
