/** Client of the admin service (8084), used by `influxd-ctl` and the TUI. */

import { requestJson, type RequestOptions, type TlsClientOptions } from "../util/http-client.ts";
import type { NodeResult, NodeSelf, RemovalPlan, RemoveMetaResult, ShowResult } from "../contract/cluster.ts";

export interface AdminClientOptions {
  /** host:port of the admin service. */
  bind: string;
  /** Set: talk HTTPS. */
  tls?: TlsClientOptions;
  timeoutMs: number;
  /** Added to every request (e.g. Authorization). A function is called per request, so a
   *  long-lived client (the TUI) can sign a fresh short-lived token each time. */
  headers?: Record<string, string> | (() => Record<string, string>);
}

export class AdminClient {
  private readonly base: string;

  constructor(private readonly opts: AdminClientOptions) {
    this.base = `${opts.tls ? "https" : "http"}://${opts.bind}`;
  }

  private call<T>(path: string, extra: Partial<RequestOptions> = {}): Promise<T> {
    return requestJson<T>(this.base + path, {
      timeoutMs: this.opts.timeoutMs,
      tls: this.opts.tls,
      headers: typeof this.opts.headers === "function" ? this.opts.headers() : this.opts.headers,
      ...extra,
    });
  }

  ping(): Promise<void> {
    return this.call("/ping");
  }

  self(): Promise<NodeSelf> {
    return this.call("/self");
  }

  show(): Promise<ShowResult> {
    return this.call("/show");
  }

  planRemoveMeta(httpAddr: string, force: boolean, tcpAddr?: string): Promise<RemovalPlan> {
    const query: Record<string, string> = { metahttp: httpAddr, force: String(force) };
    if (tcpAddr !== undefined) query.tcpAddr = tcpAddr;
    return this.call("/remove-meta/plan", { query });
  }

  removeMeta(httpAddr: string, opts: { force: boolean; tcpAddr?: string }): Promise<RemoveMetaResult> {
    return this.call("/remove-meta", {
      method: "POST",
      form: { metahttp: httpAddr, force: String(opts.force), tcpAddr: opts.tcpAddr },
    });
  }

  leave(): Promise<RemoveMetaResult> {
    return this.call("/leave", { method: "POST" });
  }

  join(via: string): Promise<NodeResult> {
    return this.call("/join", { method: "POST", form: { addr: via } });
  }

  /** `newCluster`: bootstrap the (blank) node beside this admin service even though it
   *  belonged to a cluster before. */
  addMeta(httpAddr: string, opts: { newCluster?: boolean } = {}): Promise<NodeResult> {
    return this.call("/add-meta", {
      method: "POST",
      form: { addr: httpAddr, newCluster: opts.newCluster ? "true" : undefined },
    });
  }

  /** The data node at `tcpAddr` (its RPC port, usually 8088) is told to join; it reports its HTTP address. */
  addData(tcpAddr: string): Promise<NodeResult> {
    return this.call("/add-data", { method: "POST", form: { tcpAddr } });
  }

  removeData(httpAddr: string, force: boolean): Promise<NodeResult> {
    return this.call("/remove-data", { method: "POST", form: { addr: httpAddr, force: String(force) } });
  }

  updateData(oldAddr: string, newAddr: string): Promise<NodeResult> {
    return this.call("/update-data", { method: "POST", form: { old: oldAddr, new: newAddr } });
  }
}
