/**
 * TCP (optionally TLS) transport for Raft messages: the production `Transport`.
 *
 * Wire: a connection carries length-prefixed frames (u32 little-endian length, then payload).
 * The first frame is a hello (codec.ts) with the sender's advertised address and protocol
 * version; every later frame is one encoded Message.
 *
 * Connections are one-directional: each node dials one outbound connection per peer address and
 * only writes to it; replies travel on the peer's own outbound connection back to us. That keeps
 * each direction's ordering and flow independent (a slow reply stream never stalls requests) and
 * needs no request/response matching, which Raft does not need anyway.
 *
 * Sending is fire-and-forget and pipelined: messages are queued per peer and every message
 * queued during one event-loop turn goes out in a single socket write, without waiting for
 * replies. The queue (including what the socket itself still buffers) is bounded; beyond the
 * bound messages are dropped, because Raft retransmits and a queue to a dead peer must not grow.
 */
import { foreignRaftProtocol } from "./foreign-protocol.ts";
import * as net from "node:net";
import * as tls from "node:tls";
import { BinaryWriter } from "./binary.ts";
import {
  decodeHello,
  decodeMessage,
  encodeHello,
  TRANSPORT_PROTOCOL_VERSION,
  writeMessage,
} from "./codec.ts";
import { MessageType, type Message, type ServerId, type Transport } from "./types.ts";

/** Structured logger; a pino logger fits. */
export interface TransportLogger {
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

export interface TransportTlsOptions {
  key: string | Buffer;
  cert: string | Buffer;
  /** Trusted CA(s) for peer certificates; the system roots when absent. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Verify peers' certificates (both directions). Default true. */
  rejectUnauthorized?: boolean;
}

export interface TcpTransportOptions {
  /** Interface to listen on; "" listens on all interfaces (bind-address ":8089"). */
  bindHost: string;
  /** 0 picks a free port; a ":0" advertiseAddress then gets the real port. */
  port: number;
  /** host:port other nodes dial to reach us; sent in every connection's hello. */
  advertiseAddress: string;
  /** Mutual TLS on both the listening and the dialing side. */
  tls?: TransportTlsOptions;
  /** Limit for connecting (TCP + TLS handshake) and for an inbound connection's hello. */
  dialTimeoutMs?: number;
  /** Largest accepted frame; bigger inbound frames close the connection, bigger outbound
   *  messages are dropped. */
  maxFrameBytes?: number;
  /** Bound on bytes waiting for one peer (our queue plus the socket's buffer). */
  maxQueuedBytesPerPeer?: number;
  /** Reconnect delay: doubles from initialMs after each failure, capped at maxMs. */
  backoff?: { initialMs: number; maxMs: number };
  /** An outbound link that carried nothing for this long is closed and forgotten; sending
   *  again dials afresh. Keeps a node that left the cluster (or a mistyped address) from
   *  holding a connection and a queue forever. */
  idleCloseMs?: number;
  logger?: TransportLogger;
}

export type PeerState = "idle" | "dialing" | "open" | "backoff";

export interface PeerStatus {
  address: string;
  state: PeerState;
  /** Bytes waiting: our queue plus what the socket has not yet handed to the kernel. */
  queuedBytes: number;
  /** Messages written to a connection / dropped (queue full, peer unreachable, too large). */
  sentMessages: number;
  droppedMessages: number;
}

export const DEFAULT_RAFT_PORT = 8089;
const DEFAULT_DIAL_TIMEOUT_MS = 2_000;
const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_QUEUED_BYTES_PER_PEER = 16 * 1024 * 1024;
const DEFAULT_BACKOFF = { initialMs: 50, maxMs: 500 };
// Well above any heartbeat interval: only links between followers (used in elections) and to
// departed nodes ever go quiet this long.
const DEFAULT_IDLE_CLOSE_MS = 60_000;
/** A hello is an address and a few bytes; a larger first frame is not a Raft peer. */
const MAX_HELLO_BYTES = 4 * 1024;
const KEEPALIVE_INITIAL_DELAY_MS = 5_000;
const FRAME_HEADER_BYTES = 4;

const stderrLogger: TransportLogger = {
  debug() {},
  info() {},
  warn: (fields, msg) => console.warn(`raft transport: ${msg}`, fields),
  error: (fields, msg) => console.error(`raft transport: ${msg}`, fields),
};

/** Splits "host:port" or "[v6]:port"; the port must be a valid TCP port (0 when allowed). */
export function splitHostPort(address: string, allowPortZero = false): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(address);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535 || (port === 0 && !allowPortZero)) {
    throw new Error(`invalid Raft address "${address}": expected host:port`);
  }
  return { host: m[1] ?? m[2], port };
}

function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A malformed byte stream: the connection cannot be trusted any further. */
class FrameError extends Error {}

/** An outbound message larger than the frame limit (it is dropped, not sent). */
class OversizeMessageError extends Error {
  constructor(readonly bytes: number) {
    super(`message of ${bytes} bytes exceeds the frame limit`);
  }
}

/** Why an inbound TLS handshake failed, as an operator can act on it. */
function handshakeFailure(err: Error & { code?: string }): string {
  const code = err.code ?? "";
  if (code === "ECONNRESET")
    return "the client hung up during the handshake (it may not trust this node's certificate, or it is not a Raft peer)";
  if (code === "ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE")
    return "the client sent no certificate (mutual TLS on Raft requires one)";
  if (code === "ERR_SSL_WRONG_VERSION_NUMBER" || code === "ERR_SSL_HTTP_REQUEST")
    return "the client does not speak TLS";
  if (/CERT/.test(code)) return `the client's certificate was refused (${code})`;
  // OpenSSL's text is "<id>:error:<code>:SSL routines:<function>:<reason>:<file>:<line>:".
  const reason = /SSL routines:[^:]*:([^:]+)/.exec(err.message)?.[1] ?? err.message;
  return code ? `${reason} (${code})` : reason;
}

/**
 * Reassembles length-prefixed frames from socket chunks. The length is checked against the
 * caller's limit as soon as the header arrives, so a hostile length never makes us buffer more
 * than the limit, and each frame is copied at most once.
 * A frame inside one chunk is a view of it.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  /** Bytes of chunks[0] already consumed (always fewer than its length). */
  private offset = 0;
  /** Unconsumed bytes. */
  private buffered = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The next complete frame's payload, or null until more bytes arrive. */
  next(maxFrameBytes: number): Buffer | null {
    if (this.buffered < FRAME_HEADER_BYTES) return null;
    if (this.chunks[0].length - this.offset < FRAME_HEADER_BYTES) {
      this.chunks = [Buffer.concat(this.chunks).subarray(this.offset)];
      this.offset = 0;
    }
    const length = this.chunks[0].readUInt32LE(this.offset);
    if (length > maxFrameBytes) {
      throw new FrameError(`frame of ${length} bytes exceeds the limit of ${maxFrameBytes}`);
    }
    if (this.buffered < FRAME_HEADER_BYTES + length) return null;
    this.consume(FRAME_HEADER_BYTES);
    return this.take(length);
  }

  /** Consumes `n` bytes of chunks[0] (n <= what is left of it). */
  private consume(n: number): void {
    this.buffered -= n;
    this.offset += n;
    if (this.offset === this.chunks[0].length) {
      this.chunks.shift();
      this.offset = 0;
    }
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (first === undefined) return Buffer.alloc(0); // n === 0 with nothing buffered
    if (first.length - this.offset >= n) {
      const out = first.subarray(this.offset, this.offset + n);
      if (n > 0) this.consume(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0];
      const k = Math.min(c.length - this.offset, n - filled);
      c.copy(out, filled, this.offset, this.offset + k);
      filled += k;
      this.consume(k);
    }
    return out;
  }
}

function frameHeader(length: number): Buffer {
  const h = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  h.writeUInt32LE(length, 0);
  return h;
}

interface LinkSettings {
  localAddress: string;
  /** Source IP for outbound connections: the listener's own IP when it is bound to one. */
  sourceHost?: string;
  tls?: TransportTlsOptions;
  dialTimeoutMs: number;
  maxQueuedBytes: number;
  backoff: { initialMs: number; maxMs: number };
  logger: TransportLogger;
}

/**
 * The outbound side for one peer address: a bounded queue and at most one connection, dialed
 * on demand and re-dialed with capped exponential backoff.
 */
class PeerLink {
  private state: PeerState = "idle";
  /** Frames not yet written, encoded back to back into one reused buffer (no allocation per
   *  message on the commit path), and how many messages they hold. */
  private readonly queue = new BinaryWriter(4096);
  private queueMessages = 0;
  private socket: net.Socket | null = null;
  /** Dial timeout while dialing, reconnect delay while in backoff. */
  private timer: NodeJS.Timeout | null = null;
  private flushPending: NodeJS.Immediate | null = null;
  private failures = 0;
  private openedAt = 0;
  private lastUsed = performance.now();
  private closed = false;
  /** Log an outage and a full queue once per episode, not once per dropped message. */
  private outageLogged = false;
  private overflowLogged = false;
  sent = 0;
  dropped = 0;

  constructor(
    readonly address: string,
    private readonly host: string,
    private readonly port: number,
    private readonly settings: LinkSettings,
  ) {}

  status(): PeerStatus {
    return {
      address: this.address,
      state: this.state,
      queuedBytes: this.pendingBytes(),
      sentMessages: this.sent,
      droppedMessages: this.dropped,
    };
  }

  private pendingBytes(): number {
    return this.queue.length + (this.socket?.writableLength ?? 0);
  }

  /**
   * Encodes `m` as one frame at the end of the queue. Throws (queueing nothing) when it cannot
   * be encoded or exceeds `maxFrameBytes`; drops it when the queue is full.
   */
  enqueue(m: Message, maxFrameBytes: number): void {
    const pending = this.pendingBytes();
    const start = this.queue.length;
    this.queue.u32(0);
    try {
      writeMessage(this.queue, m);
    } catch (err) {
      this.queue.truncate(start);
      throw err;
    }
    const size = this.queue.length - start;
    const payloadBytes = size - FRAME_HEADER_BYTES;
    if (payloadBytes > maxFrameBytes) {
      this.queue.truncate(start);
      throw new OversizeMessageError(payloadBytes);
    }
    // An empty queue always takes one message, so a message bigger than the bound (a large
    // snapshot) can still go out; the memory bound is then max(bound, maxFrameBytes).
    if (pending > 0 && pending + size > this.settings.maxQueuedBytes) {
      this.queue.truncate(start);
      this.dropped++;
      if (!this.overflowLogged) {
        this.overflowLogged = true;
        this.settings.logger.warn(
          { peer: this.address, queuedBytes: pending, limit: this.settings.maxQueuedBytes },
          "send queue to raft peer is full; dropping messages until it drains",
        );
      }
      return;
    }
    this.lastUsed = performance.now();
    this.queue.setU32(start, payloadBytes);
    this.queueMessages++;
    if (this.state === "idle") this.dial();
  }

  /** Writes everything queued now (`urgent`) or at the end of this event-loop turn. */
  flushWhen(urgent: boolean): void {
    if (urgent) {
      if (this.flushPending !== null) clearImmediate(this.flushPending);
      this.flushPending = null;
      this.flush();
    } else if (this.flushPending === null && this.state === "open") {
      this.flushPending = setImmediate(() => {
        this.flushPending = null;
        this.flush();
      });
    }
  }

  /** Everything queued, in one socket write. */
  private flush(): void {
    const socket = this.socket;
    if (this.state !== "open" || socket === null || this.queueMessages === 0) return;
    // Respect backpressure: while the socket is saturated, messages wait in our bounded queue
    // (and are dropped beyond it) rather than piling up in the socket's unbounded buffer.
    if (socket.writableNeedDrain) return;
    // One copy of the whole batch (the socket keeps it until written), then the buffer is reused.
    const data = Buffer.from(this.queue.written());
    this.sent += this.queueMessages;
    this.dropQueue();
    this.overflowLogged = false;
    socket.write(data);
  }

  private dial(): void {
    this.state = "dialing";
    const { tls: tlsOpts, dialTimeoutMs, sourceHost } = this.settings;
    const socket = tlsOpts
      ? tls.connect({
          host: this.host,
          port: this.port,
          // tls.connect hands net options such as localAddress to the socket it creates.
          ...({ localAddress: sourceHost } as object),
          // SNI must not carry an IP address (RFC 6066); identity is still checked against host.
          servername: net.isIP(this.host) ? undefined : this.host,
          key: tlsOpts.key,
          cert: tlsOpts.cert,
          ca: tlsOpts.ca,
          rejectUnauthorized: tlsOpts.rejectUnauthorized ?? true,
        })
      : net.connect({ host: this.host, port: this.port, localAddress: sourceHost });
    this.socket = socket;
    let lastError: unknown = null;
    this.timer = setTimeout(() => {
      socket.destroy(new Error(`dial timed out after ${dialTimeoutMs} ms`));
    }, dialTimeoutMs);
    socket.once(tlsOpts ? "secureConnect" : "connect", () => this.onOpen(socket));
    socket.on("error", (err) => {
      lastError = err;
    });
    socket.on("drain", () => this.flush());
    socket.on("data", () => {
      // Nothing is ever sent back on an outbound connection; data means a confused peer.
      this.settings.logger.warn(
        { peer: this.address },
        "raft peer sent data on a one-way connection; closing it",
      );
      socket.destroy();
    });
    socket.on("close", () => this.onClose(socket, lastError));
  }

  private onOpen(socket: net.Socket): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.state = "open";
    this.openedAt = Date.now();
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEPALIVE_INITIAL_DELAY_MS);
    if (this.outageLogged) {
      this.outageLogged = false;
      this.settings.logger.info(
        { peer: this.address, droppedMessages: this.dropped },
        "raft peer reachable again",
      );
    }
    const hello = encodeHello({
      protocolVersion: TRANSPORT_PROTOCOL_VERSION,
      address: this.settings.localAddress,
    });
    socket.write(Buffer.concat([frameHeader(hello.length), hello]));
    this.flush();
  }

  private onClose(socket: net.Socket, err: unknown): void {
    if (this.socket !== socket) return;
    this.socket = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.closed) return;
    const wasOpen = this.state === "open";
    // A connection that lasted resets the backoff; one that drops right away (e.g. the peer
    // refuses our protocol version) keeps growing it, so we never reconnect in a tight loop.
    if (wasOpen && Date.now() - this.openedAt >= this.settings.backoff.maxMs) this.failures = 0;
    this.failures++;
    if (!wasOpen) {
      // These messages waited for a peer that is not there; Raft will send fresh ones.
      this.dropped += this.queueMessages;
      this.dropQueue();
    }
    if (!this.outageLogged) {
      this.outageLogged = true;
      this.settings.logger.warn(
        { peer: this.address, error: err === null ? "connection closed" : errorText(err) },
        wasOpen ? "connection to raft peer lost" : "raft peer unreachable",
      );
    }
    const { initialMs, maxMs } = this.settings.backoff;
    const delay = Math.min(maxMs, initialMs * 2 ** Math.min(this.failures - 1, 30));
    this.state = "backoff";
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.queueMessages > 0) this.dial();
      else this.state = "idle";
    }, delay);
  }

  /** The peer just connected to us, so it is up: end any backoff and dial again at once. */
  peerIsBack(): void {
    if (this.state !== "backoff") return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.failures = 0;
    if (this.queueMessages > 0) this.dial();
    else this.state = "idle";
  }

  /** Nothing sent for `ms` and nothing left to write. */
  idleLongerThan(ms: number, now: number): boolean {
    return now - this.lastUsed > ms && this.pendingBytes() === 0;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.flushPending) clearImmediate(this.flushPending);
    this.timer = null;
    this.flushPending = null;
    this.dropQueue();
    this.socket?.destroy();
  }

  private dropQueue(): void {
    this.queue.reset();
    this.queueMessages = 0;
  }
}

export class TcpTransport implements Transport {
  private handler: ((message: Message, fromAddress: string) => void) | null = null;
  private readonly peers = new Map<string, PeerLink>();
  /** Raw accepted sockets (under TLS too), so close() can tear down half-open handshakes. */
  private readonly inbound = new Set<net.Socket>();
  /** Hosts already logged as speaking a foreign protocol: one line per peer, not per retry. */
  private readonly foreignPeers = new Set<string>();
  private closing: Promise<void> | null = null;
  private readonly logger: TransportLogger;
  private readonly maxFrameBytes: number;
  private readonly linkSettings: LinkSettings;
  private readonly idleCloseMs: number;
  private readonly reaper: NodeJS.Timeout;

  private constructor(
    private readonly server: net.Server,
    readonly localAddress: string,
    /** The port actually bound (useful with port 0). */
    readonly port: number,
    opts: TcpTransportOptions,
  ) {
    this.logger = opts.logger ?? stderrLogger;
    this.maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.linkSettings = {
      localAddress,
      // Bound to a specific IP, we also dial from it: that IP is certainly local, and peers (and
      // a firewall rule per link, as the fault-injection suite uses) see which node is calling.
      sourceHost:
        net.isIP(opts.bindHost) && !/^(0\.0\.0\.0|::)$/.test(opts.bindHost) ? opts.bindHost : undefined,
      tls: opts.tls,
      dialTimeoutMs: opts.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS,
      maxQueuedBytes: opts.maxQueuedBytesPerPeer ?? DEFAULT_MAX_QUEUED_BYTES_PER_PEER,
      backoff: opts.backoff ?? DEFAULT_BACKOFF,
      logger: this.logger,
    };
    this.idleCloseMs = opts.idleCloseMs ?? DEFAULT_IDLE_CLOSE_MS;
    this.reaper = setInterval(() => this.closeIdleLinks(), Math.max(10, this.idleCloseMs / 2));
    this.reaper.unref();
    // The peer's address is read when the TCP connection arrives: once a handshake failed, the
    // TLS socket no longer knows it.
    const peers = new WeakMap<net.Socket, string>();
    server.on("connection", (raw: net.Socket) => {
      peers.set(raw, `${raw.remoteAddress}:${raw.remotePort}`);
      this.track(raw);
    });
    if (opts.tls) {
      server.on("secureConnection", (socket: tls.TLSSocket) => this.serve(socket));
      server.on("tlsClientError", (err: Error, socket: tls.TLSSocket) => {
        // Node keeps the TCP socket under the TLS one as `_parent`.
        const raw = (socket as tls.TLSSocket & { _parent?: net.Socket })._parent;
        this.logger.warn(
          { remote: (raw && peers.get(raw)) ?? "unknown", reason: handshakeFailure(err) },
          "rejected raft connection: TLS handshake failed",
        );
      });
    } else {
      server.on("connection", (socket: net.Socket) => this.serve(socket));
    }
    server.on("error", (err) => {
      this.logger.error({ address: localAddress, error: err.message }, "raft listener error");
    });
  }

  /** Binds the listener; rejects with an error naming the address when that fails. */
  static async listen(opts: TcpTransportOptions): Promise<TcpTransport> {
    validatePositive("dialTimeoutMs", opts.dialTimeoutMs);
    validatePositive("maxFrameBytes", opts.maxFrameBytes);
    validatePositive("maxQueuedBytesPerPeer", opts.maxQueuedBytesPerPeer);
    validatePositive("idleCloseMs", opts.idleCloseMs);
    if ((opts.maxFrameBytes ?? 0) > 0xffffffff) {
      throw new Error(`maxFrameBytes must fit in a u32 frame header, got ${opts.maxFrameBytes}`);
    }
    const advertised = splitHostPort(opts.advertiseAddress, true);
    if (advertised.host === "") {
      throw new Error(`invalid advertise address "${opts.advertiseAddress}": the host is empty`);
    }
    const bindLabel = joinHostPort(opts.bindHost, opts.port);
    const server = opts.tls
      ? tls.createServer({
          key: opts.tls.key,
          cert: opts.tls.cert,
          ca: opts.tls.ca,
          requestCert: true,
          rejectUnauthorized: opts.tls.rejectUnauthorized ?? true,
        })
      : net.createServer();
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        const why =
          err.code === "EADDRINUSE"
            ? "address already in use"
            : err.code === "EACCES"
              ? "permission denied"
              : err.code === "EADDRNOTAVAIL"
                ? "address not available on this machine"
                : err.message;
        reject(new Error(`cannot listen for Raft on ${bindLabel}: ${why}`, { cause: err }));
      };
      server.once("error", onError);
      server.listen({ host: opts.bindHost === "" ? undefined : opts.bindHost, port: opts.port }, () => {
        server.off("error", onError);
        resolve();
      });
    });
    const port = (server.address() as net.AddressInfo).port;
    const localAddress = advertised.port === 0 ? joinHostPort(advertised.host, port) : opts.advertiseAddress;
    return new TcpTransport(server, localAddress, port, opts);
  }

  onMessage(handler: (message: Message, fromAddress: string) => void): void {
    this.handler = handler;
  }

  send(to: { id: ServerId; address: string }, messages: Message[]): void {
    if (this.closing !== null || messages.length === 0) return;
    const link = this.link(to.address);
    if (link === null) return;
    for (const m of messages) {
      try {
        link.enqueue(m, this.maxFrameBytes);
      } catch (err) {
        if (err instanceof OversizeMessageError)
          this.logger.error(
            { peer: to.address, bytes: err.bytes, limit: this.maxFrameBytes },
            "raft message larger than the frame limit; dropped",
          );
        // A message we cannot encode is a bug upstream; sending must still never throw.
        else this.logger.error({ peer: to.address, error: errorText(err) }, "cannot encode raft message");
        link.dropped++;
      }
    }
    link.flushWhen(messages.some(onCommitPath));
  }

  /** Outbound state per peer address, for status pages and tests. */
  peerStatus(): PeerStatus[] {
    return [...this.peers.values()].map((l) => l.status());
  }

  private closeIdleLinks(): void {
    const now = performance.now();
    for (const [address, link] of this.peers) {
      if (!link.idleLongerThan(this.idleCloseMs, now)) continue;
      link.close();
      this.peers.delete(address);
      this.logger.debug({ peer: address, idleMs: this.idleCloseMs }, "closed idle raft link");
    }
  }

  close(): Promise<void> {
    if (this.closing === null) {
      this.closing = new Promise<void>((resolve) => {
        // close() stops accepting; its callback fires once every tracked socket has gone.
        this.server.close(() => resolve());
        clearInterval(this.reaper);
        for (const link of this.peers.values()) link.close();
        this.peers.clear();
        for (const socket of this.inbound) socket.destroy();
      });
    }
    return this.closing;
  }

  private link(address: string): PeerLink | null {
    let link = this.peers.get(address);
    if (link === undefined) {
      let target: { host: string; port: number };
      try {
        target = splitHostPort(address);
        if (target.host === "") throw new Error(`invalid Raft address "${address}": the host is empty`);
      } catch (err) {
        this.logger.error({ peer: address, error: errorText(err) }, "cannot send to raft peer");
        return null;
      }
      link = new PeerLink(address, target.host, target.port, this.linkSettings);
      this.peers.set(address, link);
    }
    return link;
  }

  private track(raw: net.Socket): void {
    if (this.closing !== null) {
      raw.destroy();
      return;
    }
    this.inbound.add(raw);
    raw.on("close", () => this.inbound.delete(raw));
    raw.setNoDelay(true);
    raw.setKeepAlive(true, KEEPALIVE_INITIAL_DELAY_MS);
  }

  /** Reads one inbound connection: a hello, then messages, until it closes or misbehaves. */
  private serve(socket: net.Socket): void {
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    const decoder = new FrameDecoder();
    let peerAddress: string | null = null;
    const helloTimer = setTimeout(() => {
      this.logger.warn({ remote }, "closing raft connection: no hello received in time");
      socket.destroy();
    }, this.linkSettings.dialTimeoutMs);
    const reject = (reason: string) => {
      this.logger.warn({ remote, peer: peerAddress, reason }, "closing raft connection");
      socket.destroy();
    };
    let sniffed = false;
    socket.on("data", (chunk: Buffer) => {
      if (!sniffed && peerAddress === null) {
        sniffed = true;
        const foreign = foreignRaftProtocol(chunk.subarray(0, 3));
        if (foreign) {
          const host = socket.remoteAddress ?? remote;
          if (!this.foreignPeers.has(host)) {
            this.foreignPeers.add(host);
            this.logger.warn(
              { remote, looksLike: foreign },
              `raft connection from ${remote} speaks ${foreign}`,
            );
          }
          socket.destroy();
          return;
        }
      }
      decoder.push(chunk);
      while (!socket.destroyed) {
        let frame: Buffer | null;
        try {
          frame = decoder.next(peerAddress === null ? MAX_HELLO_BYTES : this.maxFrameBytes);
          if (frame === null) return;
          if (peerAddress === null) {
            const hello = decodeHello(frame);
            if (hello.protocolVersion !== TRANSPORT_PROTOCOL_VERSION) {
              reject(
                `peer ${hello.address} speaks transport protocol version ` +
                  `${hello.protocolVersion}, this node speaks ${TRANSPORT_PROTOCOL_VERSION}`,
              );
              return;
            }
            clearTimeout(helloTimer);
            peerAddress = hello.address;
            // A restarted peer would otherwise wait out our reconnect backoff (up to its cap)
            // before hearing from us again.
            this.peers.get(hello.address)?.peerIsBack();
            continue;
          }
          // A plain Uint8Array view: Buffer#slice does not copy, so decoding a Buffer would hand
          // out byte fields that alias (and pin) the whole frame.
          this.deliver(
            decodeMessage(new Uint8Array(frame.buffer, frame.byteOffset, frame.length)),
            peerAddress,
          );
        } catch (err) {
          reject(`malformed frame: ${errorText(err)}`);
          return;
        }
      }
    });
    socket.on("error", (err) => {
      this.logger.debug({ remote, peer: peerAddress, error: err.message }, "raft connection error");
    });
    socket.on("close", () => clearTimeout(helloTimer));
  }

  private deliver(message: Message, fromAddress: string): void {
    if (this.handler === null || this.closing !== null) return;
    try {
      this.handler(message, fromAddress);
    } catch (err) {
      // The handler's bug must not be blamed on, or kill, the connection.
      this.logger.error({ peer: fromAddress, error: errorText(err) }, "raft message handler threw");
    }
  }
}

/**
 * Log entries on their way to a follower and the follower's acknowledgement are on the critical
 * path of every commit, so they are written at once. Everything else (heartbeats, the commit
 * index, votes) waits for the end of the event-loop turn: a leader answers the clients whose
 * entries just committed before it spends CPU telling the followers, and a turn's messages to a
 * peer share one write. The queue is shared, so an urgent write also carries the waiting ones
 * and order per peer is kept.
 */
function onCommitPath(m: Message): boolean {
  return (m.type === MessageType.Append && m.entries.length > 0) || m.type === MessageType.AppendResp;
}

function validatePositive(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
    throw new Error(`${name} must be a positive integer, got ${value}`);
  }
}
