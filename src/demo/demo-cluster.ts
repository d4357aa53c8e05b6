/**
 * What `influx-cluster demo` starts, in one call the tests use too: the meta cluster of real
 * influxd processes and, beside it in this process, the demo data nodes with their data. Without
 * -secure only: the demo data nodes speak plain TCP and an unauthenticated meta client.
 */
import { MetaClient } from "../meta/client.ts";
import type { DemoDataNode } from "./data-node.ts";
import { startDemoDataTier, stopDataNodes } from "./demo-data.ts";
import { startLocalCluster, type LocalCluster } from "./local-cluster.ts";

export interface DemoClusterOptions {
  /** Meta nodes (influxd processes). */
  size: number;
  /** Data nodes (ignored with `secure`). */
  dataNodes: number;
  secure: boolean;
  /** Aborting it stops the start-up under way, and what it started. */
  signal?: AbortSignal;
}

export interface DemoCluster {
  cluster: LocalCluster;
  dataNodes: DemoDataNode[];
  /** Stops the data nodes and the meta nodes and removes the cluster's directory. */
  stop(): Promise<void>;
}

export async function startDemoCluster(opts: DemoClusterOptions): Promise<DemoCluster> {
  const { size, secure, signal } = opts;
  const cluster = await startLocalCluster({ size, auth: secure, tls: secure, signal });
  try {
    const client = new MetaClient({
      servers: cluster.nodes.map((n) => n.httpAddr),
      timeoutMs: 5_000,
      retryDelayMs: 100,
    });
    const dataNodes = await startDemoDataTier(cluster, client, secure ? 0 : opts.dataNodes);
    const stop = async () => {
      await stopDataNodes(dataNodes);
      await cluster.stop();
    };
    if (signal?.aborted) {
      await stop();
      signal.throwIfAborted();
    }
    return { cluster, dataNodes, stop };
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}
