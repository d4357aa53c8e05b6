import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { BinaryWriter, DecodeError } from "../../src/raft/binary.ts";
import {
  decodeHello,
  decodeMessage,
  encodeHello,
  encodeMessage,
  MESSAGE_CODEC_VERSION,
  TRANSPORT_PROTOCOL_VERSION,
} from "../../src/raft/codec.ts";
import { EntryType, MessageType, type Configuration, type Message } from "../../src/raft/types.ts";

const MAX = Number.MAX_SAFE_INTEGER;

const config: Configuration = {
  servers: [
    { id: "n1-7f3a", address: "node1:8089", suffrage: "voter" },
    { id: "nœud-2 ☃", address: "[::1]:8089", suffrage: "nonvoter" },
  ],
};

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

/** One message of every type, with edge values. */
const samples: Message[] = [
  {
    type: MessageType.PreVote,
    from: "a",
    to: "b",
    term: 1,
    lastLogIndex: 0,
    lastLogTerm: 0,
    transfer: false,
  },
  {
    type: MessageType.Vote,
    from: "a",
    to: "b",
    term: MAX,
    lastLogIndex: MAX,
    lastLogTerm: MAX,
    transfer: true,
  },
  { type: MessageType.PreVoteResp, from: "b", to: "a", term: 3, granted: true },
  { type: MessageType.VoteResp, from: "b", to: "a", term: 0, granted: false },
  {
    type: MessageType.Append,
    from: "",
    to: "",
    term: 2,
    prevLogIndex: 0,
    prevLogTerm: 0,
    entries: [],
    commit: 0,
  },
  {
    type: MessageType.Append,
    from: "leader-日本",
    to: "follower-🚀",
    term: 9,
    prevLogIndex: 127,
    prevLogTerm: 8,
    commit: 128,
    entries: [
      { index: 128, term: 9, type: EntryType.Command, data: bytes(300, 1) },
      { index: 129, term: 9, type: EntryType.Config, data: new Uint8Array(0), config },
      { index: 130, term: 9, type: EntryType.Config, data: bytes(5, 2), config: { servers: [] } },
      { index: 131, term: 9, type: EntryType.Noop, data: new Uint8Array(0) },
    ],
  },
  { type: MessageType.AppendResp, from: "b", to: "a", term: 9, success: true, index: 131, hint: 0 },
  { type: MessageType.AppendResp, from: "b", to: "a", term: 9, success: false, index: 127, hint: 99 },
  { type: MessageType.Heartbeat, from: "a", to: "b", term: 4, commit: 12, readCtx: 0 },
  { type: MessageType.HeartbeatResp, from: "b", to: "a", term: 4, readCtx: 2 ** 40 },
  {
    type: MessageType.InstallSnapshot,
    from: "a",
    to: "b",
    term: 5,
    snapshot: { meta: { index: 1000, term: 5, config, configIndex: 7 }, data: bytes(3 * 1024 * 1024, 3) },
  },
  {
    type: MessageType.InstallSnapshot,
    from: "a",
    to: "b",
    term: 5,
    snapshot: {
      meta: { index: 0, term: 0, config: { servers: [] }, configIndex: 0 },
      data: new Uint8Array(0),
    },
  },
  { type: MessageType.TimeoutNow, from: "a", to: "b", term: 6 },
];

describe("message codec round trips", () => {
  it("covers every message type", () => {
    const types = new Set(samples.map((m) => m.type));
    const all = Object.values(MessageType).filter((v): v is MessageType => typeof v === "number");
    assert.deepEqual([...types].sort(), all.sort());
  });

  for (const m of samples) {
    it(`round-trips ${MessageType[m.type]} (${m.from || "empty ids"} → ${m.to || "empty ids"})`, () => {
      const buf = encodeMessage(m);
      assert.equal(buf[0], MESSAGE_CODEC_VERSION);
      assert.deepEqual(decodeMessage(buf), m);
    });
  }

  it("decodes from a subarray of a larger buffer (as frames arrive from a socket)", () => {
    const m = samples[5];
    const enc = encodeMessage(m);
    const big = new Uint8Array(enc.length + 20);
    big.set(enc, 10);
    assert.deepEqual(decodeMessage(big.subarray(10, 10 + enc.length)), m);
  });
});

describe("message codec rejects malformed input", () => {
  const append = encodeMessage(samples[5]);

  it("throws on every truncation of every sample", () => {
    for (const m of samples.filter((s) => s.type !== MessageType.InstallSnapshot)) {
      const enc = encodeMessage(m);
      for (let len = 0; len < enc.length; len++) {
        assert.throws(
          () => decodeMessage(enc.subarray(0, len)),
          DecodeError,
          `${MessageType[m.type]} cut at ${len}`,
        );
      }
    }
  });

  it("throws on a truncated snapshot without allocating its claimed size", () => {
    const enc = encodeMessage(samples[10]);
    assert.throws(
      () => decodeMessage(enc.subarray(0, enc.length - 1)),
      /truncated input: reading snapshot data/,
    );
  });

  it("throws on trailing bytes", () => {
    const withExtra = new Uint8Array(append.length + 1);
    withExtra.set(append);
    assert.throws(() => decodeMessage(withExtra), /trailing byte/);
  });

  it("throws on an unknown codec version", () => {
    const bad = append.slice();
    bad[0] = 2;
    assert.throws(() => decodeMessage(bad), /unsupported message codec version 2/);
  });

  it("throws on an unknown message type", () => {
    for (const t of [0, 11, 255]) {
      const bad = append.slice();
      bad[1] = t;
      assert.throws(() => decodeMessage(bad), new RegExp(`unknown type ${t}`));
    }
  });

  it("throws on a boolean that is neither 0 nor 1", () => {
    const enc = encodeMessage(samples[2]);
    const bad = enc.slice();
    bad[bad.length - 1] = 2;
    assert.throws(() => decodeMessage(bad), /granted flag/);
  });

  it("throws on an entry count the buffer cannot hold, before allocating", () => {
    const w = new BinaryWriter();
    w.u8(MESSAGE_CODEC_VERSION).u8(MessageType.Append).string("a").string("b").uvarint(1);
    w.uvarint(0)
      .uvarint(0)
      .uvarint(0)
      .uvarint(2 ** 50); // prev index, prev term, commit, count
    assert.throws(() => decodeMessage(w.finish()), /entries cannot fit/);
  });

  it("throws on a length field larger than the remaining bytes", () => {
    const w = new BinaryWriter();
    w.u8(MESSAGE_CODEC_VERSION).u8(MessageType.InstallSnapshot).string("a").string("b").uvarint(1);
    w.uvarint(1).uvarint(1).uvarint(1).uvarint(0); // meta: index, term, configIndex, no servers
    w.uvarint(2 ** 45); // snapshot data length, with no data following
    assert.throws(() => decodeMessage(w.finish()), /truncated input: reading snapshot data needs/);
  });

  it("throws on invalid UTF-8 in an id", () => {
    const w = new BinaryWriter();
    w.u8(MESSAGE_CODEC_VERSION)
      .u8(MessageType.TimeoutNow)
      .bytes(new Uint8Array([0xff, 0xfe]))
      .string("b")
      .uvarint(1);
    assert.throws(() => decodeMessage(w.finish()), /invalid UTF-8/);
  });

  it("throws on an empty buffer", () => {
    assert.throws(() => decodeMessage(new Uint8Array(0)), /truncated input/);
  });

  it("refuses to encode an unknown message type", () => {
    const bogus = { type: 42, from: "a", to: "b", term: 1 } as unknown as Message;
    assert.throws(() => encodeMessage(bogus), /unknown type 42/);
  });

  it("refuses to encode an index outside the safe integer range", () => {
    const m: Message = { type: MessageType.Heartbeat, from: "a", to: "b", term: 1, commit: -1, readCtx: 0 };
    assert.throws(() => encodeMessage(m), RangeError);
  });
});

describe("hello codec", () => {
  it("round-trips the protocol version and address", () => {
    const h = { protocolVersion: TRANSPORT_PROTOCOL_VERSION, address: "[fe80::1]:8089" };
    assert.deepEqual(decodeHello(encodeHello(h)), h);
  });

  it("reads the version and address of a newer hello that carries more fields", () => {
    const newer = encodeHello({ protocolVersion: TRANSPORT_PROTOCOL_VERSION + 1, address: "n9:8089" });
    const extended = new Uint8Array(newer.length + 3);
    extended.set(newer);
    assert.deepEqual(decodeHello(extended), {
      protocolVersion: TRANSPORT_PROTOCOL_VERSION + 1,
      address: "n9:8089",
    });
  });

  it("rejects a frame without the magic, and trailing bytes on our own version", () => {
    assert.throws(() => decodeHello(new TextEncoder().encode("GET / HTTP/1.1\r\n")), /bad magic/);
    const ours = encodeHello({ protocolVersion: TRANSPORT_PROTOCOL_VERSION, address: "a:1" });
    const extra = new Uint8Array(ours.length + 1);
    extra.set(ours);
    assert.throws(() => decodeHello(extra), /trailing byte/);
    assert.throws(() => decodeHello(ours.subarray(0, ours.length - 1)), /truncated input/);
  });
});
