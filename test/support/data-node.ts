/**
 * The demo's data node (src/demo/data-node.ts) with what only tests need: every request recorded
 * with its raw bytes (so tests can check what the meta tier sent), a JoinCluster that fails on
 * demand, backups held for a while or until the test says, and the Go data node's meta client.
 *
 * With `goClient` it keeps its meta servers as the Go data node does, in a real Go-style meta
 * client (./go-meta-client.ts: a long-poll loop, cache replacement, the list from `MetaNodes`,
 * client.json saved only when that list changes), and JoinCluster follows
 * `coordinator/service.go`: the list must share an address with the current one ("already
 * joined to cluster"), is set in memory, the first server must know a leader, and (update) the
 * node's own record must be in the client's cache within 10 s (the base class's JoinCluster over
 * this client's `joinView`).
 */
import { setTimeout as sleep } from "node:timers/promises";
import {
  DemoDataNode,
  type DemoDataNodeOptions,
  type JoinView,
  type RpcRequest,
} from "../../src/demo/data-node.ts";
import type { JoinClusterRequest, RpcNodeInfo } from "../../src/proto/data-rpc.ts";
import { GoMetaClient } from "./go-meta-client.ts";

export class DataNodeStandIn extends DemoDataNode {
  readonly received: RpcRequest[] = [];
  /** Set with `goClient`: the Go-style meta client holding the meta servers. */
  goClient: GoMetaClient | null = null;
  private goClientDir: string | null = null;
  private goAuthorization: (() => string) | undefined;
  /** Answer JoinCluster with this error (a node that fails mid-switch), when set. */
  failJoin: string | null = null;
  /** A backup this node serves waits this long after taking its snapshot (a long copy). */
  backupDelayMs = 0;
  /** When set, a backup this node serves waits for it (a copy that lasts until the test says). */
  backupGate: Promise<void> | null = null;
  /** Backups this node has taken its snapshot for (a write after that misses the copy). */
  backupsTaken = 0;

  override get metaServers(): string[] {
    return this.goClient ? this.goClient.metaServers : super.metaServers;
  }

  override set metaServers(servers: string[]) {
    if (this.goClient) this.goClient.setMetaServers(servers);
    else super.metaServers = servers;
  }

  /** With `tls`, the TCP port speaks TLS first, then the mux byte. With `goClient`, its meta
   *  servers live in a Go-style meta client keeping client.json in `goClient.dir` (opened at once
   *  when that file exists). */
  static override async start(
    opts: DemoDataNodeOptions & { goClient?: { dir: string; authorization?: () => string } } = {},
  ): Promise<DataNodeStandIn> {
    const node = new DataNodeStandIn(...(await DemoDataNode.listen(opts)));
    if (opts.goClient) {
      node.goClientDir = opts.goClient.dir;
      node.goAuthorization = opts.goClient.authorization;
      node.goClient = new GoMetaClient(opts.goClient.dir, opts.goClient.authorization);
      await node.goClient.open();
    }
    return node;
  }

  /** A restart of the data node process: its meta client starts again from client.json. */
  async restartClient(): Promise<void> {
    if (!this.goClientDir) throw new Error("restartClient needs goClient");
    await this.goClient?.close();
    this.goClient = new GoMetaClient(this.goClientDir, this.goAuthorization);
    await this.goClient.open();
  }

  /** CREATE DATABASE through the data node: Go's MetaClient.CreateDatabase (execute on
   *  metaServers[0], wait for the index, then read the database from the cache). */
  async createDatabase(name: string): Promise<void> {
    if (!this.goClient) throw new Error("createDatabase needs goClient");
    if (this.goClient.cache.databases.some((d) => d.name === name)) return;
    await this.goClient.execute({ type: "CreateDatabaseCommand", name });
    if (!this.goClient.cache.databases.some((d) => d.name === name))
      throw new Error(`database not found: ${name}`);
  }

  override async stop(): Promise<void> {
    await this.goClient?.close();
    await super.stop();
  }

  protected override onRequest(request: RpcRequest): void {
    this.received.push(request);
  }

  protected override async backupTaken(): Promise<void> {
    this.backupsTaken++;
    if (this.backupDelayMs) await sleep(this.backupDelayMs);
    if (this.backupGate) await this.backupGate;
  }

  protected override join(req: JoinClusterRequest): Promise<RpcNodeInfo> {
    if (this.failJoin) return Promise.reject(new Error(this.failJoin));
    return super.join(req);
  }

  /** With `goClient`: the Go-style client's status and cache (it waits up to 100 × 100 ms). */
  protected override joinView(): JoinView {
    const client = this.goClient;
    if (!client) return super.joinView();
    const self = () => client.cache.dataNodes.find((n) => n.tcpAddr === this.tcpAddr);
    return {
      hasLeader: async () => Boolean((await client.status()).leader),
      self: async () => self(),
      waitForSelf: async () => {
        for (let tries = 0; !self() && tries < 100; tries++) await sleep(100);
        return self();
      },
      execute: async (cmd) => void (await client.execute(cmd)),
      noLeader: "no leader",
      notFound: "unable to update data node after 100 retries: node not found",
    };
  }
}
