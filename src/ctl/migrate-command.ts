/** `influxd-ctl migrate-meta`: a Go or Enterprise meta tier onto ours (src/cluster/migrate-meta.ts). */

import { DataNodeRpc } from "../cluster/data-node-rpc.ts";
import { migrate, planMigration, type MigrationEnv } from "../cluster/migrate-meta.ts";
import { rollback } from "../cluster/migrate-rollback.ts";
import type { MigrationPlan, MigrationResult } from "../contract/migration.ts";
import { UsageError } from "../util/flags.ts";
import type { Command, Context } from "./command.ts";
import { confirm } from "./prompt.ts";

function planText(plan: MigrationPlan): string {
  const imp = plan.import;
  const rps = imp.databases.reduce((n, db) => n + db.retentionPolicies.length, 0);
  const cqs = imp.databases.reduce((n, db) => n + db.continuousQueries.length, 0);
  const lines = [
    `Source: Go/Enterprise meta tier, leader ${plan.source.leaderHttp}${plan.source.version ? ` (version ${plan.source.version})` : ""}, ` +
      `index ${plan.source.index}, cluster ID ${plan.source.clusterId}`,
    `  meta nodes: ${plan.source.metaNodes.join(", ")}`,
    plan.ours.formsOn
      ? `Ours: ${plan.ours.formsOn} is a blank meta node: a one-node cluster is formed on it first (as influxd-ctl add-meta ${plan.ours.formsOn} does)`
      : `Ours: ${plan.ours.metaNodes.join(", ")} (index ${plan.ours.index}, ${plan.ours.state === "blank" ? "no user data" : plan.ours.state === "imported" ? "holds this source's metadata already" : "holds other metadata"})`,
    `To import: ${imp.databases.length} database(s), ${rps} retention polic${rps === 1 ? "y" : "ies"}, ` +
      `${imp.shardGroups} shard group(s) with ${imp.shards} shard(s), ${imp.users.length} user(s), ${cqs} continuous quer${cqs === 1 ? "y" : "ies"}, ` +
      `${imp.dataNodes.length} data node(s); the cluster ID and every ID kept`,
    ...imp.databases.map(
      (db) =>
        `  database ${db.name}: ${db.retentionPolicies.map((rp) => `${rp.name} (${rp.shardGroups} shard groups)`).join(", ") || "no policies"}` +
        (db.continuousQueries.length ? `; continuous queries ${db.continuousQueries.join(", ")}` : ""),
    ),
    ...imp.users.map((u) => `  user ${u.name}${u.admin ? " (admin)" : ""}, hash ${u.hash.slice(0, 7)}…`),
    "Data nodes:",
    ...plan.dataNodes.map(
      (n) =>
        `  ${n.id}  ${n.tcpAddr}  ${n.state}${n.metaServers.length ? `  meta servers ${n.metaServers.join(", ")}` : ""}${n.error ? `  (${n.error})` : ""}`,
    ),
  ];
  if (plan.refusal) lines.push(`Refused: ${plan.refusal}`);
  return lines.join("\n");
}

function resultText(r: MigrationResult): string {
  const lines: string[] = [];
  if (r.outcome === "dry-run") return planText(r.plan) + "\nDry run: nothing was changed.";
  if (r.outcome === "nothing-to-do")
    return `Nothing to do: ours holds the source's metadata (index ${r.importedIndex}) and every data node reports our meta nodes.\nStop these Go meta nodes: ${r.stop.join(", ")}`;
  if (r.importedIndex !== null)
    lines.push(
      `Ours holds the source's metadata at index ${r.importedIndex} (the source's: ${r.plan.source.index}).`,
    );
  for (const c of r.carriedOver) lines.push(`Carried over from the source during the switch: ${c}`);
  for (const c of r.changesOnOurs)
    lines.push(
      `${r.outcome === "rolled-back" ? "Changed on ours since the import (not on the source)" : "Changed on ours"}: ${c}`,
    );
  lines.push("Data nodes:");
  for (const n of r.plan.dataNodes)
    lines.push(
      `  ${n.tcpAddr}  ${n.state}${n.metaServers.length ? `  meta servers ${n.metaServers.join(", ")}` : ""}${n.error ? `  (${n.error})` : ""}`,
    );
  if (r.outcome === "rolled-back")
    lines.push(
      `Rolled back: the data nodes use the source's meta nodes ${r.plan.source.metaNodes.join(", ")}.`,
    );
  if (r.outcome === "failed") {
    lines.push(`Failed: ${r.error}`);
    if (r.next) lines.push(`Next: ${r.next}`);
  }
  if (r.outcome === "done") {
    const behind = r.plan.dataNodes.filter((n) => n.state === "left-behind");
    if (behind.length) lines.push(`Left on the Go tier (-force): ${behind.map((n) => n.tcpAddr).join(", ")}`);
    lines.push(
      "Every data node reads our metadata and sends its commands to ours; its client.json names only our meta nodes.",
    );
    lines.push(`Stop these Go meta nodes now, and nothing else is left to do: ${r.stop.join(", ")}`);
  }
  return lines.join("\n");
}

/**
 * Our meta nodes, or the blank one behind -bind with how to form a one-node cluster on it (the
 * bootstrap of add-meta; not for -rollback, which needs the tier the import went to). Anything
 * else (a node removed or once a member, a Go node) is left to `show`, which names what to do.
 */
async function ourTier(
  ctx: Context,
  rollback: boolean,
): Promise<{ ours: string[]; formBlank?: () => Promise<void> }> {
  const self = await ctx.api.self();
  if (self.ours && self.state === "blank" && !rollback)
    return { ours: [self.httpAddr], formBlank: async () => void (await ctx.api.addMeta(self.httpAddr)) };
  const show = await ctx.api.show();
  const nodes = show.meta.map((m) => m.httpAddr).filter(Boolean);
  if (nodes.length === 0) throw new Error(`no meta nodes of ours behind ${ctx.bind}: form the cluster first`);
  return { ours: nodes };
}

export const MIGRATE_COMMANDS: Record<string, Command> = {
  "migrate-meta": {
    args: "",
    summary: "move a running Go or Enterprise meta tier (its metadata and data nodes) onto ours",
    flags: {
      from: { kind: "string", arg: "host:8091", help: "a meta node of the Go or Enterprise tier (required)" },
      "dry-run": { kind: "bool", help: "show the plan and change nothing" },
      rollback: {
        kind: "bool",
        help: "point the data nodes back at the source tier (while it still runs), after listing what changed on ours",
      },
      force: {
        kind: "bool",
        help: "leave data nodes that do not answer on the source tier; with -rollback, go back although ours changed since the import",
      },
      "data-tls": { kind: "bool", help: "the data nodes' TCP ports use TLS (with -k: unverified)" },
      y: { kind: "bool", help: "assume yes to the confirmation prompt" },
    },
    arity: 0,
    examples: [
      "influxd-ctl -bind ours1:8084 migrate-meta -from go-meta1:8091 -dry-run",
      "influxd-ctl -bind ours1:8084 migrate-meta -from go-meta1:8091 -y",
      "influxd-ctl -bind ours1:8084 migrate-meta -from go-meta1:8091 -rollback -y",
    ],
    async run(ctx, flags) {
      const from = flags.from as string | undefined;
      if (!from) throw new UsageError("-from host:port is required");
      if (flags.rollback && flags["dry-run"]) throw new UsageError("use -rollback or -dry-run, not both");
      const { ours, formBlank } = await ourTier(ctx, Boolean(flags.rollback));
      const dataTls = Boolean(flags["data-tls"]);
      const insecure = ctx.access.tls?.rejectUnauthorized === false;
      const env: MigrationEnv = {
        access: ctx.access,
        ours,
        formBlank,
        timeoutMs: ctx.timeoutMs,
        rpc: new DataNodeRpc({
          timeoutMs: ctx.timeoutMs,
          tls: dataTls ? { rejectUnauthorized: !insecure } : undefined,
        }),
        dataAccess: dataTls
          ? { scheme: "https", tls: { rejectUnauthorized: !insecure } }
          : { scheme: "http" },
        progress: (line) => process.stderr.write(line + "\n"),
        command: (extra) => `influxd-ctl -bind ${ctx.bind} migrate-meta -from ${from} ${extra}`,
      };
      const opts = { from, force: Boolean(flags.force) };
      if (!flags.y && !flags["dry-run"]) {
        const { plan } = await planMigration(env, opts);
        process.stderr.write(planText(plan) + "\n");
        if (flags.rollback)
          for (const c of plan.ours.changes)
            process.stderr.write(`Changed on ours since the import (lost by going back): ${c}\n`);
        if (plan.refusal && !flags.rollback) throw new Error(plan.refusal);
        const question = flags.rollback
          ? `Point the data nodes back at ${plan.source.metaNodes.join(", ")}`
          : `${plan.ours.formsOn ? `Form a one-node cluster on ${plan.ours.formsOn}, import into it` : "Import into ours"} and re-point ${plan.dataNodes.filter((n) => n.state !== "left-behind").length} data node(s)`;
        if (!(await confirm(question))) {
          process.stderr.write("Cancelled: nothing was changed.\n");
          return;
        }
      }
      const r = flags.rollback
        ? await rollback(env, opts)
        : await migrate(env, { ...opts, dryRun: Boolean(flags["dry-run"]) });
      ctx.out(ctx.json ? JSON.stringify(r, null, 2) : resultText(r));
      if (r.outcome === "dry-run" && r.plan.refusal) throw new Error(r.plan.refusal);
      if (r.outcome === "failed") throw new Error(`${r.error}${r.next ? `; next: ${r.next}` : ""}`);
    },
  },
};
