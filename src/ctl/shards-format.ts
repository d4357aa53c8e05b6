/** `influxd-ctl show-shards` text, in the layout of Enterprise's (and chengshiwen's) influxd-ctl. */

import type { ShardOwner, ShardView } from "../cluster-api/types.ts";
import { table } from "./format.ts";

const TIME = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

/**
 * A time from the JSON (RFC 3339 with up to nanoseconds, any zone) in UTC, as Go's
 * `Format(time.RFC3339)` or, with `nano`, `RFC3339Nano` (fraction without trailing zeros). Go's
 * zero time prints as "" (as influxd-ctl's formatting does) unless `zeroAsIs`.
 */
export function utcTime(text: string | undefined, nano: boolean, zeroAsIs = false): string {
  if (!text) return "";
  const m = TIME.exec(text);
  if (!m) return text;
  if (!zeroAsIs && m[1] === "0001-01-01T00:00:00") return "";
  const seconds = new Date(m[1] + m[3]).toISOString().replace(/\.\d{3}Z$/, "");
  const fraction = nano ? (m[2] ?? "").replace(/\.?0+$/, "") : "";
  return `${seconds}${fraction}Z`;
}

function owner(o: ShardOwner, verbose: boolean): string {
  const fields = [`ID:${o.id}`, `TCPAddr:${o.tcpAddr}`];
  if (verbose) {
    fields.push(
      `State:${o.state ?? ""}`,
      `LastModified:${utcTime(o["last-modified"], true, true) || "0001-01-01T00:00:00Z"}`,
      `Size:${o.size ?? 0}`,
      `Err:${o.err || "nil"}`,
    );
  }
  return `{${fields.join(" ")}}`;
}

export function formatShards(shards: ShardView[], verbose: boolean): string {
  const rows = shards.map((s) => {
    const truncated = utcTime(s["truncated-at"], true);
    return [
      String(s.id),
      s.database,
      s["retention-policy"],
      String(s["replica-n"]),
      String(s["shard-group-id"]),
      utcTime(s["start-time"], false),
      truncated ? `${truncated}*` : utcTime(s["end-time"], false),
      utcTime(s["expire-time"], false),
      `[${(s.owners ?? []).map((o) => owner(o, verbose)).join(" ")}]`,
    ];
  });
  const header = [
    "ID",
    "Database",
    "Retention Policy",
    "Desired Replicas",
    "Shard Group",
    "Start",
    "End",
    "Expires",
    "Owners",
  ];
  return `Shards\n==========\n${table([header, ...rows])}`;
}
