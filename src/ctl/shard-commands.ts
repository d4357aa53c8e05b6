/** influxd-ctl's shard commands (Enterprise's), answered by a meta node's API. */

import { formatDuration } from "../util/duration.ts";
import { UsageError } from "../util/flags.ts";
import { printResult, type Command } from "./command.ts";
import { formatShards } from "./shards-format.ts";

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
      const shards = await ctx.api.showShards(verbose);
      printResult(ctx, shards, () => formatShards(shards, verbose));
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
    summary: "remove a shard's copy from a data node",
    flags: {},
    arity: 2,
    examples: ["influxd-ctl remove-shard data1:8088 22"],
    async run(ctx, _flags, [src, id]) {
      const shard = shardId(id);
      await ctx.api.removeShard(src, shard);
      printResult(ctx, { shard, src }, `Removed shard ${shard} from ${src}`);
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
