/**
 * Network faults between real influxd processes on loopback, inside a private network namespace
 * (see netns.ts). Every node has its own 127.0.0.x address and the Raft transport dials from it,
 * and Raft connections are one-directional (each node writes only to the connection it dialed),
 * so "A cannot send to B" is exactly: drop A's packets to B's Raft port. Client, admin and
 * meta-HTTP traffic goes to other ports and is never cut, so the test keeps observing every node.
 *
 * Slow links: per-pair HTB classes on lo selected by u32 filters (bandwidth-starved link: a
 * message waits behind the previous ones), with a netem leaf adding delay and jitter where the
 * kernel has netem (many CI kernels, not all), plus random packet loss via iptables' statistic
 * match.
 */

import { inPrivateNetns, run } from "./netns.ts";

export interface Endpoint {
  ip: string;
  raftPort: number;
}

export interface SlowLink {
  /** Bandwidth of the link in kbit/s. */
  rateKbit: number;
  /** Share of packets dropped, 0–100. */
  lossPercent: number;
  /** Added one-way delay and jitter (only where the kernel has netem). */
  delayMs: number;
  jitterMs: number;
}

const CHAIN = "INFLUX_FAULTS";

export class NetFaults {
  private readonly netem: boolean;
  private slowClasses = 0;
  private active: string[] = [];

  private constructor(private readonly endpoints: readonly Endpoint[]) {
    run("iptables", ["-N", CHAIN]);
    run("iptables", ["-I", "OUTPUT", "1", "-j", CHAIN]);
    this.netem = probeNetem();
  }

  /** Installs the (empty) fault chain. Refuses to run outside a private namespace. */
  static open(endpoints: readonly Endpoint[]): NetFaults {
    if (!inPrivateNetns()) {
      throw new Error(
        "refusing to change firewall rules outside a private network namespace (run through scripts/faults.mjs)",
      );
    }
    return new NetFaults(endpoints);
  }

  get hasNetem(): boolean {
    return this.netem;
  }

  /** Rules in force, for the fault log. */
  describe(): string[] {
    return [...this.active];
  }

  /** `from` can no longer send Raft messages to `to` (the other direction is untouched). */
  cut(from: number, to: number): void {
    const a = this.endpoints[from];
    const b = this.endpoints[to];
    run("iptables", [...this.match(a, b), "-j", "DROP"]);
    this.active.push(`cut ${from + 1}->${to + 1}`);
  }

  /** No Raft traffic between nodes of different groups, in either direction. */
  partition(groups: readonly (readonly number[])[]): void {
    for (const g of groups)
      for (const h of groups) if (g !== h) for (const from of g) for (const to of h) this.cut(from, to);
  }

  /** Makes the link from → to slow and lossy. */
  slow(from: number, to: number, link: SlowLink): void {
    const a = this.endpoints[from];
    const b = this.endpoints[to];
    if (this.slowClasses === 0) {
      run("tc", ["qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb", "default", "1", "r2q", "1000"]);
      run("tc", ["class", "add", "dev", "lo", "parent", "1:", "classid", "1:1", "htb", "rate", "10gbit"]);
    }
    const classId = `1:${10 + this.slowClasses++}`;
    const rate = `${link.rateKbit}kbit`;
    run("tc", [
      "class",
      "add",
      "dev",
      "lo",
      "parent",
      "1:",
      "classid",
      classId,
      "htb",
      "rate",
      rate,
      "ceil",
      rate,
    ]);
    if (this.netem && link.delayMs > 0) {
      run("tc", [
        "qdisc",
        "add",
        "dev",
        "lo",
        "parent",
        classId,
        "netem",
        "delay",
        `${link.delayMs}ms`,
        `${link.jitterMs}ms`,
      ]);
    }
    run("tc", [
      "filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip", "prio", "1", "u32",
      "match", "ip", "src", `${a.ip}/32`, "match", "ip", "dst", `${b.ip}/32`,
      "match", "ip", "dport", String(b.raftPort), "0xffff", "flowid", classId,
    ]); // prettier-ignore
    if (link.lossPercent > 0) {
      const p = String(link.lossPercent / 100);
      run("iptables", [
        ...this.match(a, b),
        "-m",
        "statistic",
        "--mode",
        "random",
        "--probability",
        p,
        "-j",
        "DROP",
      ]);
    }
    const delay = this.netem && link.delayMs > 0 ? `, ${link.delayMs}±${link.jitterMs}ms` : "";
    this.active.push(`slow ${from + 1}->${to + 1} (${rate}, ${link.lossPercent}% loss${delay})`);
  }

  /** Removes every network fault. */
  heal(): void {
    run("iptables", ["-F", CHAIN]);
    if (this.slowClasses > 0) run("tc", ["qdisc", "del", "dev", "lo", "root"]);
    this.slowClasses = 0;
    this.active = [];
  }

  close(): void {
    this.heal();
    run("iptables", ["-D", "OUTPUT", "-j", CHAIN]);
    run("iptables", ["-X", CHAIN]);
  }

  private match(a: Endpoint, b: Endpoint): string[] {
    return ["-A", CHAIN, "-s", a.ip, "-d", b.ip, "-p", "tcp", "--dport", String(b.raftPort)];
  }
}

/** Whether this kernel has the netem qdisc: add one as lo's root, then remove it again. */
function probeNetem(): boolean {
  try {
    run("tc", ["qdisc", "add", "dev", "lo", "root", "handle", "9:", "netem", "delay", "1ms"]);
    run("tc", ["qdisc", "del", "dev", "lo", "root"]);
    return true;
  } catch {
    return false;
  }
}
