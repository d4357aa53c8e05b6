/**
 * What the demo adds to the view, because it owns its cluster: the help lists the nodes as they
 * are now (a killed node's PID is gone, a restarted one has a new PID), `R` starts a killed node
 * again (in the rolling-restart guide, it stops and starts the node the guide names), and
 * quitting asks first, since it stops every node and deletes their directory. The help also
 * names the demo data nodes and what to try in the data tier.
 */

import type { SessionHooks } from "../tui/components/App.tsx";
import type { DemoDataNode } from "./data-node.ts";
import type { LocalCluster } from "./local-cluster.ts";

export function demoSession(cluster: LocalCluster, dataNodes: DemoDataNode[] = []): SessionHooks {
  return {
    notes: () => [
      `Demo cluster in ${cluster.baseDir}`,
      `Nodes: ${nodeList(cluster)}.`,
      "Kill one (kill -9 PID) to see it go DOWN; R on its row starts it again.",
      dataNodes.length > 0
        ? `Data nodes: ${dataNodes.map((n) => n.tcpAddr).join(", ")}, stand-ins in this process holding generated points (databases telegraf and metrics). Tab shows them; the last one was added empty: Tab, then b plans a rebalance.`
        : "No data nodes (-data 0, or -secure: the demo data nodes speak neither TLS nor auth).",
    ],
    quitQuestion: `Stop the demo cluster (${cluster.nodes.length} influxd processes) and delete its directory?`,
    async restart(httpAddr, opts) {
      const index = cluster.nodes.findIndex((n) => n.httpAddr === httpAddr);
      if (index === -1) return { ok: false, text: `${httpAddr} is not a node this demo started` };
      const node = cluster.nodes[index];
      if (cluster.isRunning(index) && !opts?.running)
        return { ok: false, text: `${node.name} (${httpAddr}) is running` };
      try {
        await cluster.restart(index);
        return { ok: true, text: `restarted ${node.name} (${httpAddr}), pid ${node.pid}` };
      } catch (err) {
        return { ok: false, text: `restarting ${node.name} failed: ${(err as Error).message}` };
      }
    },
  };
}

/** "node1 pid 101, node2 stopped, node3 pid 103". */
export function nodeList(cluster: LocalCluster): string {
  return cluster.nodes
    .map((n, i) => `${n.name} ${cluster.isRunning(i) ? `pid ${n.pid}` : "stopped"}`)
    .join(", ");
}
