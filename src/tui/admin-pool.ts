/**
 * The admin services (or, in direct mode, the meta APIs: src/client) the view can talk to.
 * It uses one at a time; when that one stops answering, or answers that its own node is no longer
 * a member (it was removed), the next /show goes to another member's service: first the addresses
 * given with -bind, then one beside each meta node (its host, with the port of the first -bind
 * address: a meta API's is the node's own address). Removals and adds are never retried on another
 * service: they go to the one in use, whose plan the operator saw.
 */

import type { NodeResult, RemovalPlan, RemoveMetaResult, ShowResult } from "../contract/cluster.ts";
import type { ApiKind, ClusterOperations } from "../client/cluster-api.ts";
import { HttpStatusError } from "../util/http-client.ts";

/** The data tier's operations the view uses (the data tier view, data-ops.ts). */
export type DataTierOperations = Pick<
  ClusterOperations,
  "replicaHealth" | "rebalancePlan" | "copyShard" | "removeShard" | "removeData"
>;

export interface AdminEndpoint extends DataTierOperations {
  show(): Promise<ShowResult>;
  planRemoveMeta(httpAddr: string, force: boolean): Promise<RemovalPlan>;
  removeMeta(httpAddr: string, opts: { force: boolean }): Promise<RemoveMetaResult>;
  addMeta(httpAddr: string): Promise<NodeResult>;
}

function host(addr: string): string {
  const i = addr.lastIndexOf(":");
  return i === -1 ? addr : addr.slice(0, i);
}

function port(addr: string): string {
  return addr.slice(addr.lastIndexOf(":") + 1);
}

export class AdminPool implements AdminEndpoint {
  private readonly binds: string[];
  private readonly clients = new Map<string, AdminEndpoint>();
  private index = 0;
  /** HTTP address of the meta node beside the admin service in use (from its last /show). */
  private selfHttp: string | null = null;

  constructor(
    binds: string[],
    private readonly connect: (bind: string) => AdminEndpoint,
    /** Which API every address is. */
    readonly kind: ApiKind = "admin",
  ) {
    if (binds.length === 0) throw new Error("no admin service address");
    this.binds = [...new Set(binds)];
  }

  /** The admin service in use. */
  get bind(): string {
    return this.binds[this.index];
  }

  /** The meta node the admin service in use runs beside, once known. */
  get self(): string | null {
    return this.selfHttp;
  }

  private client(bind: string): AdminEndpoint {
    let c = this.clients.get(bind);
    if (!c) {
      c = this.connect(bind);
      this.clients.set(bind, c);
    }
    return c;
  }

  /** Admin services beside the members, guessed from their hosts and the first -bind's port. */
  private learn(show: ShowResult): void {
    const p = port(this.binds[0]);
    for (const m of show.meta) {
      const guess = `${host(m.httpAddr)}:${p}`;
      if (!this.binds.includes(guess)) this.binds.push(guess);
    }
  }

  /**
   * /show from the service in use; if it fails (no answer, an error, or its node is blank: removed)
   * or says its own node left the cluster, from the next one that answers as a member. A refusal
   * of the credentials (401, 403) is the operator's to fix and is not hidden by switching.
   */
  async show(): Promise<ShowResult> {
    let firstError: unknown = null;
    let firstAnswer: ShowResult | null = null;
    for (let tried = 0; tried < this.binds.length; tried++) {
      const i = (this.index + tried) % this.binds.length;
      try {
        const show = await this.client(this.binds[i]).show();
        const member = !show.membershipKnown || show.meta.some((m) => m.httpAddr === show.self.httpAddr);
        if (!member && this.binds.length > 1) {
          // A removed node's admin service still answers, with the cluster as its node last saw it.
          this.learn(show);
          firstAnswer ??= show;
          continue;
        }
        this.index = i;
        this.selfHttp = show.self.httpAddr;
        this.learn(show);
        return show;
      } catch (err) {
        if (err instanceof HttpStatusError && (err.status === 401 || err.status === 403)) throw err;
        firstError ??= err;
      }
    }
    if (firstAnswer) return firstAnswer;
    throw firstError;
  }

  planRemoveMeta(httpAddr: string, force: boolean): Promise<RemovalPlan> {
    return this.client(this.bind).planRemoveMeta(httpAddr, force);
  }

  removeMeta(httpAddr: string, opts: { force: boolean }): Promise<RemoveMetaResult> {
    return this.client(this.bind).removeMeta(httpAddr, opts);
  }

  addMeta(httpAddr: string): Promise<NodeResult> {
    return this.client(this.bind).addMeta(httpAddr);
  }

  // The data tier: to the service in use, as removals (a plan is carried out where it was made).
  replicaHealth(...args: Parameters<DataTierOperations["replicaHealth"]>) {
    return this.client(this.bind).replicaHealth(...args);
  }

  rebalancePlan(drain?: string) {
    return this.client(this.bind).rebalancePlan(drain);
  }

  copyShard(src: string, dest: string, shardId: number) {
    return this.client(this.bind).copyShard(src, dest, shardId);
  }

  removeShard(src: string, shardId: number, force?: boolean) {
    return this.client(this.bind).removeShard(src, shardId, force);
  }

  removeData(addr: string, force: boolean) {
    return this.client(this.bind).removeData(addr, force);
  }
}
