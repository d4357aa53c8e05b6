/**
 * `influxd-ctl migrate-meta -rollback`: every data node back to the Go tier while it still runs,
 * before or after the handover (docs/operations.md, "Rolling back").
 *
 * 1. What ours changed since the import (`plan.ours.changes`: databases, policies, shard groups,
 *    users… that the Go tier lacks, or the reverse) is listed first; going back loses it, so the
 *    rollback is refused naming it unless -force.
 * 2. The Go tier's MetaNodes lose our meta node again (`handBack`), so that no Go snapshot sends a
 *    data node to ours.
 * 3. Data nodes that read ours (their poll is held by ours, whose answers carry our MetaNodes):
 *    each of our meta nodes opens its hand-back window (`POST /hand-back`, src/server/hand-back.ts),
 *    which answers their polls with a redirect to the Go leader's `GET /?index=0`. Each takes the
 *    Go tier's Data at the Go tier's own index, its list and client.json become the Go nodes.
 * 4. Every data node gets JoinCluster(update) with the Go meta nodes (the ones still switched, with
 *    a Go node in their list, and the others again, harmlessly); then each must report only Go
 *    meta nodes. The windows are closed whatever happened (they also close by themselves).
 */
import type { MigrationDataNode, MigrationResult } from "../contract/migration.ts";
import { errorText, peerOptions, peerUrl, request } from "../util/http-client.ts";
import { OperationError, refused } from "./errors.ts";
import { goMetaNodes, handBack, handedOver } from "./migrate-handover.ts";
import {
  awaitDataNodes,
  goTier,
  HANDOVER_WAIT_MS,
  planMigration,
  pointBack,
  result,
  type MigrationEnv,
  type MigrationOptions,
} from "./migrate-meta.ts";

/** How long each hand-back window stays open at most (it is closed as soon as the data nodes
 *  are back): the wait for them, and room for the JoinClusters. */
const WINDOW_MS = 3 * HANDOVER_WAIT_MS;

/** Opens (`ms` > 0) or closes the hand-back window on each of our meta nodes; returns those that
 *  took it. */
async function handBackWindows(env: MigrationEnv, goLeader: string, ms: number): Promise<string[]> {
  const took: string[] = [];
  for (const addr of env.ours) {
    try {
      const res = await request(peerUrl(env.access, addr, "/hand-back"), {
        method: "POST",
        body: Buffer.from(new URLSearchParams({ to: goLeader, for: `${ms}ms` }).toString()),
        contentType: "application/x-www-form-urlencoded",
        timeoutMs: env.timeoutMs,
        ...peerOptions(env.access),
      });
      if (res.status !== 200) throw new Error(errorText(res));
      took.push(addr);
    } catch (err) {
      env.progress(
        `Our meta node ${addr} did not ${ms > 0 ? "open" : "close"} its hand-back window: ${(err as Error).message}`,
      );
    }
  }
  return took;
}

export async function rollback(env: MigrationEnv, opts: MigrationOptions): Promise<MigrationResult> {
  // Unreachable data nodes are no reason to stay: they are named in the result.
  const { plan, source } = await planMigration(env, { ...opts, force: true });
  const changesOnOurs = plan.ours.changes;
  const goMeta = goMetaNodes(source.data, env.ours).map((n) => n.addr);
  const onGo = (n: MigrationDataNode) =>
    n.metaServers.length > 0 && n.metaServers.every((s) => goMeta.includes(s));
  const reachable = plan.dataNodes.filter((n) => n.state !== "left-behind" && n.state !== "unreachable");
  if (!handedOver(source.data, env.ours) && reachable.every(onGo))
    return result(plan, { outcome: "rolled-back", changesOnOurs, stop: [] });
  if (changesOnOurs.length > 0 && !opts.force)
    throw refused(
      409,
      `ours has changed since the import (${changesOnOurs.join("; ")}): going back to the Go tier loses that; ` +
        `repeat it on the Go tier afterwards, and roll back with -force`,
      "ROLLBACK_LOSES_CHANGES",
    );
  for (const c of changesOnOurs) env.progress(`Changed on ours since the import (lost by going back): ${c}`);
  if (handedOver(source.data, env.ours)) await handBack(goTier(env, plan), source.data, env.ours);

  const onOurs = reachable.filter((n) => n.state === "on-ours");
  const back = (n: MigrationDataNode) => n.state === "unreachable" || onGo(n);
  let failures: string[];
  let waiting: MigrationDataNode[];
  if (onOurs.length > 0) {
    env.progress(
      `Handing ${onOurs.length} data node(s) back: our meta nodes redirect their polls to ${plan.source.leaderHttp}…`,
    );
    if ((await handBackWindows(env, plan.source.leaderHttp, WINDOW_MS)).length === 0)
      throw new OperationError(
        502,
        "none of our meta nodes opened its hand-back window (see above): the data nodes that read ours stay on ours",
        "HAND_BACK_FAILED",
      );
  }
  try {
    if (onOurs.length > 0) await awaitDataNodes(env, plan, source.data, back);
    failures = await pointBack(env, plan, source.data);
    waiting = await awaitDataNodes(env, plan, source.data, back);
  } finally {
    if (onOurs.length > 0) await handBackWindows(env, plan.source.leaderHttp, 0);
  }
  const stuck = waiting
    .filter((n) => !failures.some((f) => f.startsWith(`data node ${n.tcpAddr}:`)))
    .map((n) => `data node ${n.tcpAddr}: it reports ${n.metaServers.join(", ") || "no meta servers"}`);
  if (failures.length + stuck.length > 0)
    return result(plan, {
      outcome: "failed",
      changesOnOurs,
      error: `could not roll back ${[...failures, ...stuck].join("; ")}`,
      next: env.command("-rollback -force -y"),
      stop: [],
    });
  return result(plan, { outcome: "rolled-back", changesOnOurs, stop: [] });
}
