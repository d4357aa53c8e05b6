/**
 * The daemon's view of its one Raft TCP transport. Each Raft incarnation gets a lease whose
 * close() only detaches, so a wiped node keeps its Raft port while its Raft state is recreated.
 *
 * Test builds can cut the link: with INFLUXD_TEST_FAULTS=1 in the environment, the existence of
 * the file `<meta dir>.raft-cut` drops every Raft message in and out while HTTP keeps answering
 * (the "firewall on the Raft port" case of docs/operations.md, where iptables is not available).
 */

import { existsSync } from "node:fs";
import type { TcpTransport } from "../raft/transport.ts";
import type { Message, ServerId, Transport } from "../raft/types.ts";

const FAULT_POLL_MS = 50;

/** Whether the Raft link is cut; polled from a file only when the test switch is on. */
export class RaftFaultSwitch {
  private cutNow = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(file: string, enabled = process.env.INFLUXD_TEST_FAULTS === "1") {
    if (!enabled) return;
    this.timer = setInterval(() => (this.cutNow = existsSync(file)), FAULT_POLL_MS);
    this.timer.unref();
  }

  get cut(): boolean {
    return this.cutNow;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

export class TransportLease implements Transport {
  private handler: ((m: Message, from: string) => void) | null = null;

  constructor(
    private readonly inner: TcpTransport,
    private readonly faults: RaftFaultSwitch,
  ) {
    inner.onMessage((m, from) => {
      if (!faults.cut) this.handler?.(m, from);
    });
  }

  get localAddress(): string {
    return this.inner.localAddress;
  }

  send(to: { id: ServerId; address: string }, messages: Message[]): void {
    if (!this.faults.cut) this.inner.send(to, messages);
  }

  onMessage(handler: (m: Message, from: string) => void): void {
    this.handler = handler;
  }

  async close(): Promise<void> {
    this.handler = null;
  }
}
