/**
 * The meta side of announcements: every `gossip-frequency` this meta node announces itself to one
 * other meta node (tried in random order until one takes it), passing on every announcement it
 * has heard (only unexpired announcements of nodes in the metadata: Announcements.all), so each
 * meta node learns the versions of all nodes. Calls have deadlines; a node that does not answer
 * costs one attempt per round. The body is at most a few hundred small entries: building it is
 * bounded work that cannot hold up Raft's heartbeats.
 */
import type { Logger } from "pino";
import { peerOptions, peerUrl, request, type PeerAccess } from "../../util/http-client.ts";
import type { MetaService } from "../service.ts";
import type { Announcements } from "./announcements.ts";

export class Gossip {
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    private readonly service: MetaService,
    private readonly announcements: Announcements,
    private readonly peers: PeerAccess,
    private readonly logger: Logger,
  ) {}

  start(periodMs: number): void {
    this.timer = setInterval(() => void this.round(periodMs), periodMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async round(timeoutMs: number): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const others = this.service
        .data()
        .metaNodes.map((n) => n.addr)
        .filter((addr) => addr !== this.service.httpAddr);
      const heard = this.announcements.all();
      const body = Buffer.from(
        JSON.stringify({
          tcpAddr: this.service.raftAddr,
          httpAddr: this.service.httpAddr,
          httpScheme: this.peers.scheme,
          // The receiver ages each passed-on entry by this time minus the entry's (both on our
          // clock), so the two clocks never need to agree.
          time: new Date().toISOString(),
          nodeType: "meta",
          status: "",
          context: Object.keys(heard).length > 0 ? { gossip: heard } : null,
          version: this.service.version,
        }),
      );
      for (const addr of shuffle(others)) {
        // An address in the metadata need not be a valid URL host: that peer is skipped.
        const res = await Promise.resolve()
          .then(() =>
            request(peerUrl(this.peers, addr, "/announce"), {
              method: "POST",
              body,
              contentType: "application/json",
              timeoutMs,
              ...peerOptions(this.peers),
            }),
          )
          .catch(() => null);
        if (res && res.status < 300) return;
        this.logger.debug({ addr, status: res?.status }, "announcement not taken");
      }
    } catch (err) {
      this.logger.warn({ err }, "gossip round failed");
    } finally {
      this.running = false;
    }
  }
}

function shuffle<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
