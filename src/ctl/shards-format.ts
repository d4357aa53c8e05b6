/** `influxd-ctl show-shards` text, in the layout of Enterprise's (and chengshiwen's) influxd-ctl. */

import type { ShardOwner, ShardView } from "../client/cluster-api.ts";
import type { ReplicaHealthReport } from "../contract/data-tier.ts";
import { columnWidths, tableLine } from "./format.ts";

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

/** `fn` remembering its answers: a listing repeats the same few times and owners on every row. */
function memo<K, V>(fn: (key: K) => V): (key: K) => V {
  const seen = new Map<K, V>();
  return (key) => {
    let value = seen.get(key);
    if (value === undefined) seen.set(key, (value = fn(key)));
    return value;
  };
}

const HEADER = [
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

/**
 * The listing as influxd-ctl prints it. Made in two passes over the shards (column widths, then
 * lines) rather than from a table of every row's cells: a production listing has 200,000 rows,
 * and keeping all their cells alive until the widths are known costs seconds in the collector.
 */
export function formatShards(shards: Iterable<ShardView>, verbose: boolean): string {
  const time = memo((text: string) => utcTime(text, false));
  const truncatedTime = memo((text: string) => utcTime(text, true));
  // Owner records may be shared between shards (a compact listing's are): one text per record.
  const ownerText = memo((o: ShardOwner) => owner(o, verbose));
  // The owners are the last column, which is never padded: the widths pass leaves them out.
  const cells = (s: ShardView, withOwners: boolean): string[] => {
    const truncated = truncatedTime(s["truncated-at"]);
    const row = [
      String(s.id),
      s.database,
      s["retention-policy"],
      String(s["replica-n"]),
      String(s["shard-group-id"]),
      time(s["start-time"]),
      truncated ? `${truncated}*` : time(s["end-time"]),
      time(s["expire-time"]),
    ];
    if (withOwners) row.push(`[${(s.owners ?? []).map(ownerText).join(" ")}]`);
    return row;
  };
  const widths = columnWidths([HEADER]);
  for (const s of shards) columnWidths([cells(s, false)], widths);
  const lines = [tableLine(HEADER, widths)];
  for (const s of shards) lines.push(tableLine(cells(s, true), widths));
  return `Shards\n==========\n${lines.join("\n")}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The one summary line `show-shards` prints after Go's listing. */
export function formatHealthSummary(report: ReplicaHealthReport): string {
  const s = report.summary;
  return (
    `Replica health: ${plural(s.shards, "shard")}: ${s.healthy} healthy, ${s["under-replicated"]} under-replicated, ` +
    `${s.unavailable} unavailable, ${s.missing} missing, ${s.orphan} orphan ${s.orphan === 1 ? "copy" : "copies"}` +
    `, ${s.hot} hot; data nodes: ${s["nodes-up"]} up, ${s["nodes-down"]} down`
  );
}

/** `show-shards -v`: each shard's state, then the orphan copies and the nodes that are down. */
export function formatShardStates(report: ReplicaHealthReport): string {
  const addr = new Map(report.nodes.map((n) => [n.id, n.tcpAddr]));
  const names = (ids: number[]) => (ids.length ? ids.map((id) => addr.get(id) ?? String(id)).join(",") : "-");
  const rows = [["ID", "State", "Live copies", "Desired Replicas", "Live on", "Missing on"]];
  for (const s of report.shards) {
    rows.push([
      String(s.id),
      s.states.join(","),
      String(s.live.length),
      String(s["replica-n"]),
      names(s.live),
      names(s.missing),
    ]);
  }
  const widths = columnWidths(rows);
  const lines = ["Shard health", "============", ...rows.map((r) => tableLine(r, widths))];
  for (const o of report.orphans) {
    lines.push(
      `Orphan copy: shard ${o.shard} on ${o.tcpAddr} (${o.size} bytes)${o.known ? ", not an owner in the metadata" : ", a shard the metadata does not list"}`,
    );
  }
  for (const n of report.nodes.filter((x) => !x.up)) {
    lines.push(`Data node ${n.id} at ${n.tcpAddr} is DOWN${n.error ? ` (${n.error})` : ""}`);
  }
  return lines.join("\n");
}
