/** influxd-ctl's shard commands (Enterprise's), answered by a meta node's API. */

import { isLastLiveCopy } from "../cluster/replica-health.ts";
import { runMoves } from "../client/shard-moves.ts";
import type { RebalancePlan, ReplicaHealthReport } from "../contract/data-tier.ts";
import { formatDuration } from "../util/duration.ts";
import { UsageError } from "../util/flags.ts";
import { formatBytes, moveText, rebalancePlanLines, warningText } from "../wording.ts";
import { printResult, type Command, type Context } from "./command.ts";
import { confirm, NoTerminalError } from "./prompt.ts";
import { columnWidths, tableLine } from "./format.ts";
import { formatHealthSummary, formatShardStates, formatShards } from "./shards-format.ts";

const YES = { y: { kind: "bool", help: "assume yes to the confirmation prompt" } } as const;

export function formatPlan(plan: RebalancePlan): string {
  return rebalancePlanLines(plan)
    .map((l) => l.text)
    .join("\n");
}

/** What the data tier's health costs to ask for must not hide the listing: a failure is reported. */
async function healthOrError(ctx: Context, detail: boolean): Promise<ReplicaHealthReport | Error> {
  return ctx.api.replicaHealth(detail ? "all" : "none").catch((err: Error) => err);
}

function shardId(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) <= 0 || !Number.isSafeInteger(Number(text)))
    throw new UsageError(`invalid shard ID "${text}" (expected a positive integer)`);
  return Number(text);
}

export const SHARD_COMMANDS: Record<string, Command> = {
  "show-shards": {
    args: "",
    summary: "list the shards and their owners",
    flags: {
      v: { kind: "bool", help: "also ask each data node for its copy's state, size and last change" },
    },
    arity: 0,
    examples: ["influxd-ctl show-shards", "influxd-ctl -bind meta1:8091 show-shards -v"],
    async run(ctx, flags) {
      const verbose = Boolean(flags.v);
      const [shards, health] = await Promise.all([ctx.api.showShards(verbose), healthOrError(ctx, verbose)]);
      const healthText = () =>
        health instanceof Error
          ? `Replica health: unknown (${health.message})`
          : verbose
            ? `${formatHealthSummary(health)}\n\n${formatShardStates(health)}`
            : formatHealthSummary(health);
      printResult(
        ctx,
        { shards, health: health instanceof Error ? { error: health.message } : health },
        () => `${formatShards(shards, verbose)}\n\n${healthText()}`,
      );
    },
  },
  "copy-shard": {
    args: "<src tcpAddr> <dest tcpAddr> <shard ID>",
    summary: "copy a shard from one data node to another",
    flags: {},
    arity: 3,
    examples: ["influxd-ctl copy-shard data1:8088 data2:8088 22"],
    async run(ctx, _flags, [src, dest, id]) {
      const shard = shardId(id);
      if (src === dest) throw new UsageError("dest and src are the same");
      await ctx.api.copyShard(src, dest, shard);
      printResult(ctx, { shard, src, dest }, `Copied shard ${shard} from ${src} to ${dest}`);
    },
  },
  "remove-shard": {
    args: "<src tcpAddr> <shard ID>",
    summary: "remove a shard's copy from a data node (never its last live copy without -force)",
    flags: {
      force: {
        kind: "bool",
        help: "remove it even if it is the shard's last live copy (its data is lost), or drop an unreachable node as the shard's owner",
      },
      ...YES,
    },
    arity: 2,
    examples: ["influxd-ctl remove-shard data1:8088 22", "influxd-ctl remove-shard -force -y data1:8088 22"],
    async run(ctx, flags, [src, id]) {
      const shard = shardId(id);
      const force = Boolean(flags.force);
      if (force && !flags.y) {
        if (!process.stdin.isTTY) throw new NoTerminalError();
        // Say what -force will lose before asking.
        const health = await ctx.api.replicaHealth("all");
        const h = health.shards.find((s) => s.id === shard);
        const node = health.nodes.find((n) => n.tcpAddr === src);
        const facts =
          h && node && isLastLiveCopy(h, node.id)
            ? warningText(
                `${src} holds the last live copy of shard ${shard} (${formatBytes(h.size)}): its data will be lost`,
              )
            : node && !node.up
              ? warningText(
                  `${src} cannot be reached: it is only dropped as the owner of shard ${shard}; its copy stays on its disk`,
                )
              : `shard ${shard} has ${h?.live.length ?? 0} live copies; nothing is lost`;
        process.stderr.write(facts + "\n");
        if (!(await confirm(`Force remove shard ${shard} from ${src}`))) {
          process.stderr.write("Cancelled: nothing was changed.\n");
          return;
        }
      }
      await ctx.api.removeShard(src, shard, force);
      printResult(ctx, { shard, src }, `Removed shard ${shard} from ${src}`);
    },
  },
  "copy-shard-status": {
    args: "",
    summary: "show the shard copies under way (our meta nodes)",
    flags: {},
    arity: 0,
    examples: ["influxd-ctl copy-shard-status"],
    async run(ctx) {
      const copies = await ctx.api.copyShardStatus();
      printResult(ctx, copies, () => {
        if (copies.length === 0) return "No shard copies in progress.";
        const rows = [["Source", "Dest", "Database", "Policy", "ShardID", "TotalSize", "StartedAt", "Phase"]];
        for (const c of copies) {
          rows.push([
            c.source,
            c.dest,
            c.database,
            c["retention-policy"],
            String(c.shard),
            String(c["total-size"]),
            c["started-at"],
            c.killed ? "killed" : c.phase,
          ]);
        }
        const widths = columnWidths(rows);
        return rows.map((r) => tableLine(r, widths)).join("\n");
      });
    },
  },
  "kill-copy-shard": {
    args: "<src tcpAddr> <dest tcpAddr> <shard ID>",
    summary: "stop a shard copy under way: the destination drops its copy and is not made an owner",
    flags: {},
    arity: 3,
    examples: ["influxd-ctl kill-copy-shard data1:8088 data2:8088 22"],
    async run(ctx, _flags, [src, dest, id]) {
      const shard = shardId(id);
      const killed = await ctx.api.killCopyShard(src, dest, shard);
      printResult(ctx, killed, `Killed shard copy ${shard} from ${src} to ${dest}`);
    },
  },
  rebalance: {
    args: "",
    summary:
      "even the shards across the live data nodes, or with -drain move every shard off one; one move at a time, never leaving a shard less replicated",
    flags: {
      drain: {
        kind: "string",
        arg: "tcpAddr",
        help: "move every shard off this data node (a dead node's shards are copied from their other copies)",
      },
      "dry-run": { kind: "bool", help: "print the plan and change nothing" },
      ...YES,
    },
    arity: 0,
    examples: [
      "influxd-ctl rebalance -dry-run",
      "influxd-ctl rebalance -y",
      "influxd-ctl rebalance -drain data3:8088 -y && influxd-ctl remove-data -y data3:8088",
    ],
    async run(ctx, flags) {
      const drain = (flags.drain as string | undefined) || undefined;
      if (!flags.y && !flags["dry-run"] && !process.stdin.isTTY) throw new NoTerminalError();
      const plan = await ctx.api.rebalancePlan(drain);
      if (flags["dry-run"] || plan.moves.length === 0) {
        printResult(ctx, plan, () =>
          plan.moves.length === 0 ? `${formatPlan(plan)}\nNothing to move.` : formatPlan(plan),
        );
        return;
      }
      if (!flags.y) {
        process.stderr.write(formatPlan(plan) + "\n");
        if (!(await confirm(`Make these ${plan.moves.length} moves`))) {
          process.stderr.write("Cancelled: nothing was changed.\n");
          return;
        }
      }
      await runPlan(ctx, plan);
    },
  },
  "truncate-shards": {
    args: "",
    summary: "end the current shard groups after -delay, so new writes go to new shards",
    flags: { delay: { kind: "duration", help: "how long from now (default 1m)", default: 60_000 } },
    arity: 0,
    examples: ["influxd-ctl truncate-shards", "influxd-ctl truncate-shards -delay 3m"],
    async run(ctx, flags) {
      const delayMs = flags.delay as number;
      if (delayMs < 0) throw new UsageError("-delay must not be negative");
      await ctx.api.truncateShards(delayMs);
      printResult(ctx, { delay: formatDuration(delayMs) }, "Truncated shards.");
    },
  },
};

/**
 * Runs the moves (src/client/shard-moves.ts) with progress on stderr. Ctrl-C stops after the move
 * under way; a failed move stops the run with the source's copy still in place.
 */
async function runPlan(ctx: Context, plan: RebalancePlan): Promise<void> {
  let stop = false;
  const onSignal = () => {
    stop = true;
    process.stderr.write("\nStopping after the current move (Ctrl-C again to quit at once).\n");
    process.off("SIGINT", onSignal);
  };
  process.on("SIGINT", onSignal);
  let result;
  try {
    result = await runMoves(ctx.api, plan, {
      stopRequested: () => stop,
      onProgress: (p) => {
        const step = `[${p.index + 1}/${p.total}]`;
        process.stderr.write(
          p.phase === "copying"
            ? `${step} ${moveText(p.move)}: copying\n`
            : `${step} shard ${p.move.shard} moved; ${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}, ETA ${(p.etaSeconds ?? 0).toFixed(1)}s\n`,
        );
      },
    });
  } finally {
    process.off("SIGINT", onSignal);
  }
  const { done, bytes } = result;
  const out = { ...plan, done, stopped: result.stopped };
  if (result.stopped) {
    if (ctx.json) printResult(ctx, out, "");
    throw new Error(
      `interrupted: stopped after ${done} of ${plan.moves.length} moves; run rebalance again to continue`,
    );
  }
  printResult(ctx, out, `Moved ${done} shard${done === 1 ? "" : "s"} (${formatBytes(bytes)}).`);
}
