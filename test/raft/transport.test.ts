import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  decodeHello,
  decodeMessage,
  encodeHello,
  encodeMessage,
  TRANSPORT_PROTOCOL_VERSION,
} from "../../src/raft/codec.ts";
import {
  FrameDecoder,
  TcpTransport,
  type TcpTransportOptions,
  type TransportLogger,
} from "../../src/raft/transport.ts";
import { EntryType, MessageType, type HeartbeatRequest, type Message } from "../../src/raft/types.ts";

// Safety net so a hang fails the test instead of stalling the run; no assertion depends on it.
const TEST_TIMEOUT = { timeout: 20_000 };

interface LogLine {
  level: string;
  fields: Record<string, unknown>;
  msg: string;
}

function captureLogger(): TransportLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: string) => (fields: object, msg: string) => {
    lines.push({ level, fields: fields as Record<string, unknown>, msg });
  };
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

interface Node {
  t: TcpTransport;
  log: ReturnType<typeof captureLogger>;
  inbox: Array<{ message: Message; from: string }>;
  to: { id: string; address: string };
}

const open: TcpTransport[] = [];
after(async () => {
  await Promise.all(open.map((t) => t.close()));
});

async function startNode(opts: Partial<TcpTransportOptions> = {}): Promise<Node> {
  const log = captureLogger();
  const t = await TcpTransport.listen({
    bindHost: "127.0.0.1",
    port: 0,
    advertiseAddress: "127.0.0.1:0",
    backoff: { initialMs: 5, maxMs: 50 },
    logger: log,
    ...opts,
  });
  open.push(t);
  const inbox: Node["inbox"] = [];
  t.onMessage((message, from) => inbox.push({ message, from }));
  return { t, log, inbox, to: { id: `id-${t.port}`, address: t.localAddress } };
}

function hb(from: string, to: string, readCtx: number, commit = 0): HeartbeatRequest {
  return { type: MessageType.Heartbeat, from, to, term: 1, commit, readCtx };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const nextTurn = () => new Promise((r) => setImmediate(r));

async function waitUntil(cond: () => boolean): Promise<void> {
  while (!cond()) await sleep(2);
}

/** A port nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function frame(payload: Uint8Array): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32LE(payload.length, 0);
  return Buffer.concat([h, payload]);
}

async function rawConnect(port: number): Promise<net.Socket> {
  const s = net.connect({ host: "127.0.0.1", port });
  await new Promise<void>((resolve, reject) => {
    s.once("connect", resolve);
    s.once("error", reject);
  });
  return s;
}

const closed = (s: net.Socket) => new Promise<void>((r) => (s.destroyed ? r() : s.once("close", () => r())));

function readCtxs(node: Node): number[] {
  return node.inbox.map((e) => (e.message as HeartbeatRequest).readCtx);
}

describe("FrameDecoder", () => {
  it("reassembles frames split at every byte and several frames in one chunk", () => {
    const payloads = [Buffer.from("a"), Buffer.alloc(0), Buffer.from("hello world"), Buffer.alloc(1000, 7)];
    const stream = Buffer.concat(payloads.map(frame));
    const d = new FrameDecoder();
    const out: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) {
      d.push(stream.subarray(i, i + 1));
      for (let f = d.next(4096); f !== null; f = d.next(4096)) out.push(Buffer.from(f));
    }
    assert.deepEqual(out, payloads);
    const all = new FrameDecoder();
    all.push(stream);
    const again: Buffer[] = [];
    for (let f = all.next(4096); f !== null; f = all.next(4096)) again.push(Buffer.from(f));
    assert.deepEqual(again, payloads);
  });

  it("rejects an oversized length as soon as the header arrives", () => {
    const d = new FrameDecoder();
    const h = Buffer.alloc(4);
    h.writeUInt32LE(1025, 0);
    d.push(h);
    assert.throws(() => d.next(1024), /frame of 1025 bytes exceeds the limit of 1024/);
  });
});

describe("TcpTransport", () => {
  it(
    "two transports exchange messages in order, replies flowing back on the other connection",
    TEST_TIMEOUT,
    async () => {
      const a = await startNode();
      const b = await startNode();
      assert.match(a.t.localAddress, /^127\.0\.0\.1:\d+$/);
      assert.notEqual(a.t.port, 0);
      // Some batches in one turn, some spread over turns.
      for (let i = 0; i < 300; i += 3) {
        a.t.send(b.to, [hb("a", "b", i), hb("a", "b", i + 1)]);
        a.t.send(b.to, [hb("a", "b", i + 2)]);
        if (i % 30 === 0) await nextTurn();
      }
      await waitUntil(() => b.inbox.length === 300);
      assert.deepEqual(
        readCtxs(b),
        Array.from({ length: 300 }, (_, i) => i),
      );
      assert.ok(b.inbox.every((e) => e.from === a.t.localAddress));

      b.t.send({ id: "a", address: a.t.localAddress }, [
        { type: MessageType.HeartbeatResp, from: "b", to: "a", term: 1, readCtx: 7 },
      ]);
      await waitUntil(() => a.inbox.length === 1);
      assert.deepEqual(a.inbox[0], {
        message: { type: MessageType.HeartbeatResp, from: "b", to: "a", term: 1, readCtx: 7 },
        from: b.t.localAddress,
      });
      const [status] = a.t.peerStatus();
      assert.deepEqual(status, {
        address: b.t.localAddress,
        state: "open",
        queuedBytes: 0,
        sentMessages: 300,
        droppedMessages: 0,
      });
    },
  );

  it("three transports all talk to each other, each stream in order", TEST_TIMEOUT, async () => {
    const nodes = [await startNode(), await startNode(), await startNode()];
    for (let round = 0; round < 50; round++) {
      for (const [i, src] of nodes.entries()) {
        for (const [j, dst] of nodes.entries()) {
          if (i !== j) src.t.send(dst.to, [hb(`n${i}`, `n${j}`, round)]);
        }
      }
      if (round % 10 === 0) await nextTurn();
    }
    await waitUntil(() => nodes.every((n) => n.inbox.length === 100));
    for (const [j, dst] of nodes.entries()) {
      for (const [i, src] of nodes.entries()) {
        if (i === j) continue;
        const fromSrc = dst.inbox.filter((e) => e.from === src.t.localAddress);
        assert.deepEqual(
          fromSrc.map((e) => (e.message as HeartbeatRequest).readCtx),
          Array.from({ length: 50 }, (_, r) => r),
        );
        assert.ok(fromSrc.every((e) => e.message.from === `n${i}` && e.message.to === `n${j}`));
      }
    }
  });

  it("uses one pipelined connection per peer, starting with the hello", TEST_TIMEOUT, async () => {
    const sockets: net.Socket[] = [];
    const received: Buffer[] = [];
    const server = net.createServer((s) => {
      sockets.push(s);
      s.on("data", (c) => received.push(c));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const address = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const a = await startNode();
    for (let i = 0; i < 20; i++) {
      a.t.send({ id: "raw", address }, [hb("a", "raw", i)]);
      await nextTurn();
    }
    await waitUntil(() => a.t.peerStatus()[0]?.sentMessages === 20);
    const d = new FrameDecoder();
    const frames: Buffer[] = [];
    await waitUntil(() => {
      for (const c of received.splice(0)) d.push(c);
      for (let f = d.next(1 << 20); f !== null; f = d.next(1 << 20)) frames.push(f);
      return frames.length === 21;
    });
    assert.equal(sockets.length, 1);
    assert.deepEqual(decodeHello(frames[0]), {
      protocolVersion: TRANSPORT_PROTOCOL_VERSION,
      address: a.t.localAddress,
    });
    assert.deepEqual(
      frames.slice(1).map((f) => (decodeMessage(f) as HeartbeatRequest).readCtx),
      Array.from({ length: 20 }, (_, i) => i),
    );
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });

  it(
    "writes log entries at once, defers heartbeats to the end of the turn, and keeps their order",
    TEST_TIMEOUT,
    async () => {
      const received: Buffer[] = [];
      const server = net.createServer((s) => s.on("data", (c) => received.push(c)));
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const peer = { id: "raw", address: `127.0.0.1:${(server.address() as net.AddressInfo).port}` };
      const a = await startNode();
      a.t.send(peer, [hb("a", "raw", 0)]);
      await waitUntil(() => a.t.peerStatus()[0]?.sentMessages === 1);
      const sent = () => a.t.peerStatus()[0].sentMessages;

      a.t.send(peer, [hb("a", "raw", 1)]);
      assert.equal(sent(), 1, "a heartbeat waits for the end of the turn");
      const append: Message = {
        type: MessageType.Append,
        from: "a",
        to: "raw",
        term: 1,
        prevLogIndex: 0,
        prevLogTerm: 0,
        commit: 0,
        entries: [{ index: 1, term: 1, type: EntryType.Command, data: new Uint8Array([7]) }],
      };
      a.t.send(peer, [append]);
      assert.equal(sent(), 3, "entries go out at once, with the heartbeat queued before them");
      a.t.send(peer, [hb("a", "raw", 2)]);
      assert.equal(sent(), 3);
      await nextTurn();
      assert.equal(sent(), 4, "the deferred heartbeat went out at the end of the turn");

      const d = new FrameDecoder();
      const frames: Buffer[] = [];
      await waitUntil(() => {
        for (const c of received.splice(0)) d.push(c);
        for (let f = d.next(1 << 20); f !== null; f = d.next(1 << 20)) frames.push(f);
        return frames.length === 5;
      });
      const kinds = frames.slice(1).map((f) => {
        const m = decodeMessage(f);
        return m.type === MessageType.Heartbeat ? `hb${m.readCtx}` : `append${m.type}`;
      });
      assert.deepEqual(kinds, ["hb0", "hb1", `append${MessageType.Append}`, "hb2"]);
      await a.t.close();
      await new Promise((r) => server.close(r));
    },
  );

  it(
    "closes a link that went quiet, keeps a busy one, and re-dials on the next send",
    TEST_TIMEOUT,
    async () => {
      const accepted: net.Socket[] = [];
      const server = net.createServer((s) => {
        accepted.push(s);
        s.resume();
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const quiet = { id: "quiet", address: `127.0.0.1:${(server.address() as net.AddressInfo).port}` };
      const busy = await startNode();
      const a = await startNode({ idleCloseMs: 300 });
      const linkTo = (address: string) => a.t.peerStatus().find((p) => p.address === address);

      a.t.send(quiet, [hb("a", "quiet", 1)]);
      await waitUntil(() => accepted.length === 1);
      // The busy peer hears from us every 10 ms, for several idle periods.
      for (let i = 0; i < 100; i++) {
        a.t.send(busy.to, [hb("a", "busy", i)]);
        await sleep(10);
      }
      await waitUntil(() => linkTo(quiet.address) === undefined);
      await closed(accepted[0]);
      await waitUntil(() => busy.inbox.length === 100);
      assert.equal(linkTo(busy.to.address)?.sentMessages, 100, "the busy link is the same link throughout");
      assert.deepEqual(
        readCtxs(busy),
        Array.from({ length: 100 }, (_, i) => i),
      );

      a.t.send(quiet, [hb("a", "quiet", 2)]);
      await waitUntil(() => accepted.length === 2);
      assert.equal(linkTo(quiet.address)?.state, "open");
      await a.t.close();
      for (const s of accepted) s.destroy();
      await new Promise((r) => server.close(r));
    },
  );

  it("delivers a multi-megabyte snapshot intact", TEST_TIMEOUT, async () => {
    const a = await startNode();
    const b = await startNode();
    const data = new Uint8Array(5 * 1024 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) & 0xff;
    const snap: Message = {
      type: MessageType.InstallSnapshot,
      from: "a",
      to: "b",
      term: 3,
      snapshot: { meta: { index: 10, term: 3, configIndex: 1, config: { servers: [] } }, data },
    };
    a.t.send(b.to, [snap, hb("a", "b", 1)]);
    await waitUntil(() => b.inbox.length === 2);
    assert.deepEqual(b.inbox[0].message, snap);
    assert.equal(b.inbox[1].message.type, MessageType.Heartbeat);
  });

  it(
    "drops beyond the bound for a down peer, never throws, and delivers after the peer comes up",
    TEST_TIMEOUT,
    async () => {
      const port = await freePort();
      const downAddress = `127.0.0.1:${port}`;
      const bound = 1000;
      const a = await startNode({ maxQueuedBytesPerPeer: bound });
      const msgSize = 4 + encodeMessage(hb("a", "b", 0)).length;
      for (let i = 0; i < 100; i++) a.t.send({ id: "b", address: downAddress }, [hb("a", "b", i)]);
      const queued = a.t.peerStatus()[0];
      assert.equal(queued.state, "dialing");
      assert.ok(queued.queuedBytes <= bound, `queued ${queued.queuedBytes} > bound ${bound}`);
      assert.equal(queued.queuedBytes, Math.floor(bound / msgSize) * msgSize);
      assert.equal(queued.droppedMessages, 100 - Math.floor(bound / msgSize));

      // The dial fails: what waited is dropped and the link backs off.
      await waitUntil(() => a.log.lines.some((l) => l.msg === "raft peer unreachable"));
      assert.equal(a.t.peerStatus()[0].queuedBytes, 0);
      assert.equal(a.t.peerStatus()[0].droppedMessages, 100);
      const unreachable = a.log.lines.find((l) => l.msg === "raft peer unreachable");
      assert.equal(unreachable?.fields.peer, downAddress);
      assert.match(String(unreachable?.fields.error), /ECONNREFUSED/);

      const b = await startNode({ port, advertiseAddress: downAddress });
      a.t.send({ id: "b", address: downAddress }, [hb("a", "b", 1000), hb("a", "b", 1001)]);
      await waitUntil(() => b.inbox.length === 2);
      assert.deepEqual(readCtxs(b), [1000, 1001]);
      assert.equal(b.inbox[0].from, a.t.localAddress);
      await waitUntil(() => a.log.lines.some((l) => l.msg === "raft peer reachable again"));
    },
  );

  it("reconnects after the peer restarts", TEST_TIMEOUT, async () => {
    const a = await startNode();
    const b = await startNode();
    a.t.send(b.to, [hb("a", "b", 1)]);
    await waitUntil(() => b.inbox.length === 1);
    await b.t.close();
    const b2 = await startNode({ port: b.t.port, advertiseAddress: b.t.localAddress });
    // Messages written into the old, dying connection are lost (Raft retransmits), so keep
    // sending, as Raft would, until the new incarnation hears us.
    let ctx = 100;
    while (b2.inbox.length === 0) {
      a.t.send(b.to, [hb("a", "b", ctx++)]);
      await sleep(5);
    }
    const got = readCtxs(b2);
    assert.deepEqual(
      got,
      [...got].sort((x, y) => x - y),
    );
    assert.ok(got[0] >= 100);
    assert.ok(a.log.lines.some((l) => l.msg === "connection to raft peer lost"));
  });

  it("bounds the queue to a peer that accepts but never reads", TEST_TIMEOUT, async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => {
      sockets.push(s);
      s.pause();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const address = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const bound = 256 * 1024;
    const a = await startNode({ maxQueuedBytesPerPeer: bound });
    const big: Message = {
      ...hb("a", "x", 0),
      type: MessageType.Append,
      prevLogIndex: 0,
      prevLogTerm: 0,
      commit: 0,
      entries: [{ index: 1, term: 1, type: 0, data: new Uint8Array(60_000) }],
    } as Message;
    for (let turn = 0; turn < 200; turn++) {
      a.t.send({ id: "x", address }, [big, big, big, big, big, big, big, big]);
      const s = a.t.peerStatus()[0];
      assert.ok(s.queuedBytes <= bound, `queued ${s.queuedBytes} > ${bound}`);
      await nextTurn();
    }
    const s = a.t.peerStatus()[0];
    assert.ok(s.sentMessages > 0 && s.droppedMessages > 0);
    assert.ok(a.log.lines.some((l) => l.msg.startsWith("send queue to raft peer is full")));
    for (const sock of sockets) sock.destroy();
    await new Promise((r) => server.close(r));
  });

  it(
    "closes a connection with a malformed or oversized frame and keeps serving others",
    TEST_TIMEOUT,
    async () => {
      const b = await startNode({ maxFrameBytes: 1024 });
      const a = await startNode();
      a.t.send(b.to, [hb("a", "b", 1)]);
      await waitUntil(() => b.inbox.length === 1);
      const hello = frame(
        encodeHello({ protocolVersion: TRANSPORT_PROTOCOL_VERSION, address: "10.0.0.9:8089" }),
      );

      const cases: Array<{ name: string; bytes: Buffer; reason: RegExp }> = [
        {
          name: "garbage payload",
          bytes: Buffer.concat([hello, frame(Buffer.from([1, 5, 0xff]))]),
          reason: /malformed frame/,
        },
        {
          name: "oversized length",
          bytes: Buffer.concat([hello, Buffer.from([0x01, 0x04, 0x00, 0x00])]), // 1025 > 1024
          reason: /frame of 1025 bytes exceeds the limit of 1024/,
        },
        {
          name: "not a raft peer",
          bytes: Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
          reason: /malformed frame|exceeds/,
        },
        { name: "no hello first", bytes: frame(encodeMessage(hb("x", "b", 5))), reason: /bad magic/ },
        {
          name: "protocol mismatch",
          bytes: frame(
            encodeHello({ protocolVersion: TRANSPORT_PROTOCOL_VERSION + 1, address: "10.0.0.7:8089" }),
          ),
          reason: new RegExp(
            `10\\.0\\.0\\.7:8089 speaks transport protocol version ${TRANSPORT_PROTOCOL_VERSION + 1}`,
          ),
        },
      ];
      for (const c of cases) {
        const s = await rawConnect(b.t.port);
        s.on("error", () => {});
        const before = b.log.lines.length;
        s.write(c.bytes);
        await closed(s);
        const line = b.log.lines.slice(before).find((l) => l.msg === "closing raft connection");
        assert.ok(line, `${c.name}: no log line`);
        assert.match(String(line.fields.reason), c.reason, c.name);
      }
      // None of the rejected connections delivered anything; on a connection that turns bad
      // later, the well-formed messages before the bad frame are still delivered.
      assert.equal(b.inbox.filter((e) => e.from === "10.0.0.9:8089").length, 0);
      const mixed = await rawConnect(b.t.port);
      mixed.write(Buffer.concat([hello, frame(encodeMessage(hb("x", "b", 77))), frame(Buffer.from([9]))]));
      await closed(mixed);
      assert.deepEqual(
        b.inbox.filter((e) => e.from === "10.0.0.9:8089").map((e) => (e.message as HeartbeatRequest).readCtx),
        [77],
      );

      a.t.send(b.to, [hb("a", "b", 2)]);
      await waitUntil(() => b.inbox.filter((e) => e.from === a.t.localAddress).length === 2);
      assert.equal(a.t.peerStatus()[0].droppedMessages, 0);
    },
  );

  it("drops an outbound message above the frame limit and keeps the link usable", TEST_TIMEOUT, async () => {
    const a = await startNode({ maxFrameBytes: 2048 });
    const b = await startNode();
    const tooBig: Message = {
      type: MessageType.InstallSnapshot,
      from: "a",
      to: "b",
      term: 1,
      snapshot: {
        meta: { index: 1, term: 1, configIndex: 0, config: { servers: [] } },
        data: new Uint8Array(4096),
      },
    };
    a.t.send(b.to, [tooBig, hb("a", "b", 3)]);
    await waitUntil(() => b.inbox.length === 1);
    assert.equal(b.inbox[0].message.type, MessageType.Heartbeat);
    assert.equal(a.t.peerStatus()[0].droppedMessages, 1);
    assert.ok(a.log.lines.some((l) => l.level === "error" && l.msg.includes("larger than the frame limit")));
  });

  it("send to an invalid address logs and does not throw", TEST_TIMEOUT, async () => {
    const a = await startNode();
    a.t.send({ id: "z", address: "no-port" }, [hb("a", "z", 1)]);
    a.t.send({ id: "z", address: ":8089" }, [hb("a", "z", 1)]);
    assert.equal(a.t.peerStatus().length, 0);
    const errors = a.log.lines.filter((l) => l.msg === "cannot send to raft peer");
    assert.equal(errors.length, 2);
    assert.match(String(errors[0].fields.error), /invalid Raft address "no-port"/);
  });

  it(
    "close() resolves promptly with dead, stalled and silent peers, and tears every socket down",
    TEST_TIMEOUT,
    async () => {
      const stalledSockets: net.Socket[] = [];
      const stalled = net.createServer((s) => {
        stalledSockets.push(s);
        s.pause();
      });
      await new Promise<void>((r) => stalled.listen(0, "127.0.0.1", r));
      const stalledAddress = `127.0.0.1:${(stalled.address() as net.AddressInfo).port}`;
      const deadAddress = `127.0.0.1:${await freePort()}`;

      const a = await startNode({ dialTimeoutMs: 600_000, backoff: { initialMs: 600_000, maxMs: 600_000 } });
      a.t.send({ id: "dead", address: deadAddress }, [hb("a", "d", 1)]);
      a.t.send({ id: "stalled", address: stalledAddress }, [hb("a", "s", 1)]);
      await waitUntil(
        () => stalledSockets.length === 1 && a.log.lines.some((l) => l.msg === "raft peer unreachable"),
      );
      const silent = await rawConnect(a.t.port); // connects, never sends a hello
      silent.on("error", () => {});

      // With 10-minute timers pending, a leaked timer or socket would keep this file from ending.
      await a.t.close();
      await closed(silent);
      stalledSockets[0].resume(); // a paused socket never reads the FIN
      await closed(stalledSockets[0]);
      assert.deepEqual(a.t.peerStatus(), []);
      a.t.send({ id: "dead", address: deadAddress }, [hb("a", "d", 2)]);
      assert.deepEqual(a.t.peerStatus(), []);
      await a.t.close(); // idempotent
      await new Promise((r) => stalled.close(r));
    },
  );

  it("rejects listen() with a clear message naming the address", TEST_TIMEOUT, async () => {
    const a = await startNode();
    await assert.rejects(
      TcpTransport.listen({
        bindHost: "127.0.0.1",
        port: a.t.port,
        advertiseAddress: "127.0.0.1:1",
        logger: captureLogger(),
      }),
      new RegExp(`cannot listen for Raft on 127\\.0\\.0\\.1:${a.t.port}: address already in use`),
    );
    await assert.rejects(
      TcpTransport.listen({
        bindHost: "203.0.113.7",
        port: 0,
        advertiseAddress: "127.0.0.1:1",
        logger: captureLogger(),
      }),
      /cannot listen for Raft on 203\.0\.113\.7:0: address not available on this machine/,
    );
    await assert.rejects(
      TcpTransport.listen({
        bindHost: "127.0.0.1",
        port: 0,
        advertiseAddress: "nohost",
        logger: captureLogger(),
      }),
      /invalid Raft address "nohost": expected host:port/,
    );
    await assert.rejects(
      TcpTransport.listen({ bindHost: "127.0.0.1", port: 0, advertiseAddress: "a:1", maxFrameBytes: 0 }),
      /maxFrameBytes must be a positive integer, got 0/,
    );
  });
});

describe("TcpTransport over TLS", () => {
  const dir = mkdtempSync(join(tmpdir(), "raft-tls-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A self-signed certificate for 127.0.0.1, made with the system's openssl. */
  function selfSigned(name: string): { key: Buffer; cert: Buffer } {
    const key = join(dir, `${name}.key`);
    const cert = join(dir, `${name}.crt`);
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        key,
        "-out",
        cert,
        "-days",
        "2",
        "-subj",
        `/CN=${name}`,
        "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost",
      ],
      { stdio: "ignore" },
    );
    return { key: readFileSync(key), cert: readFileSync(cert) };
  }

  it("exchanges messages with mutual TLS and rejects an untrusted peer", TEST_TIMEOUT, async () => {
    const cluster = selfSigned("cluster");
    const tlsOpts = { ...cluster, ca: cluster.cert };
    const a = await startNode({ tls: tlsOpts });
    const b = await startNode({ tls: tlsOpts });
    a.t.send(b.to, [hb("a", "b", 1), hb("a", "b", 2)]);
    b.t.send(a.to, [hb("b", "a", 3)]);
    await waitUntil(() => b.inbox.length === 2 && a.inbox.length === 1);
    assert.deepEqual(readCtxs(b), [1, 2]);
    assert.equal(b.inbox[0].from, a.t.localAddress);
    assert.deepEqual(readCtxs(a), [3]);

    // An intruder trusts the cluster's certificate but presents its own: the server refuses it.
    const intruder = selfSigned("intruder");
    const x = await startNode({ tls: { ...intruder, ca: cluster.cert } });
    x.t.send(b.to, [hb("x", "b", 99)]);
    await waitUntil(() =>
      b.log.lines.some((l) => l.msg === "rejected raft connection: TLS handshake failed"),
    );
    // Under TLS 1.3 the client finishes its handshake before the server has checked the
    // client's certificate, so the intruder sees either a failed dial or a dropped connection.
    await waitUntil(() => x.log.lines.some((l) => l.level === "warn" && l.fields.peer === b.t.localAddress));
    assert.deepEqual(readCtxs(b), [1, 2]);
    const rejected = () =>
      b.log.lines.filter((l) => l.msg === "rejected raft connection: TLS handshake failed");
    for (const line of rejected()) {
      assert.match(
        String(line.fields.remote),
        /^127\.0\.0\.1:\d+$/,
        "the rejection names the peer's address",
      );
      assert.match(String(line.fields.reason), /certificate/, "and why it was refused");
    }

    // A client that does not trust b's certificate hangs up mid-handshake: b still names it.
    const distrustful = await startNode({ tls: { ...cluster, ca: intruder.cert } });
    const before = rejected().length;
    distrustful.t.send(b.to, [hb("d", "b", 97)]);
    await waitUntil(() => rejected().length > before);
    const hangUp = rejected().at(-1)!;
    assert.match(String(hangUp.fields.remote), /^127\.0\.0\.1:\d+$/);
    assert.match(
      String(hangUp.fields.reason),
      /hung up during the handshake.*not trust this node's certificate/,
    );

    // A plain-TCP peer cannot talk to a TLS transport either.
    const plain = await startNode();
    plain.t.send(b.to, [hb("p", "b", 98)]);
    await waitUntil(() =>
      plain.log.lines.some(
        (l) => l.msg === "raft peer unreachable" || l.msg === "connection to raft peer lost",
      ),
    );
    assert.deepEqual(readCtxs(b), [1, 2]);
  });
});
