/** influxd-ctl's text output, in InfluxDB Enterprise's layout. */

import type { ShowResult } from "../contract/cluster.ts";
import { faultToleranceText, leaderText, nodeDownText, storageFailedText, warningText } from "../wording.ts";

/** The voters of the Raft configuration `show` reports. */
export function showVoters(show: ShowResult): number {
  return show.raftConfig.servers.filter((s) => s.suffrage === "voter").length;
}

/** Columns padded like Go's tabwriter (minimum width, two spaces between columns). */
export function table(rows: string[][]): string {
  const widths = columnWidths(rows);
  return rows.map((row) => tableLine(row, widths)).join("\n");
}

/** The widest cell of each column of `rows`, widening `widths` (for a table made in passes). */
export function columnWidths(rows: Iterable<readonly string[]>, widths: number[] = []): number[] {
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) if (!(row[i].length <= widths[i])) widths[i] = row[i].length;
  }
  return widths;
}

/** One row of a table whose columns are `widths` wide, two spaces apart; no trailing spaces. */
export function tableLine(row: readonly string[], widths: readonly number[]): string {
  let line = "";
  for (let i = 0; i < row.length - 1; i++) line += row[i].padEnd(widths[i] + 2);
  return (line + (row.at(-1) ?? "")).trimEnd();
}

function section(title: string, body: string): string {
  return `${title}\n${"=".repeat(title.length)}\n${body}\n`;
}

/**
 * `influxd-ctl show`. The Raft Status peers come from the Raft configuration (the leader's, or
 * this node's when there is no leader), never from the metadata; metadata records that are not
 * in it are listed after it with the command that drops them (`bind`: the -bind it was run with).
 */
export function formatShow(show: ShowResult, bind: string): string {
  const data = table([
    ["ID", "TCP Address", "HTTP Address", "Version", "Labels", "Passive"],
    ...show.data.map((n) => [String(n.id), n.tcpAddr, n.httpAddr, n.version || "unknown", "{}", "false"]),
  ]);
  const meta = table([
    ["ID", "Raft Address", "HTTP Address", "Version", "Labels"],
    ...show.meta.map((n) => [String(n.id), n.raftAddr, n.httpAddr, n.version || "unknown", "{}"]),
  ]);
  // Reachability is its own line, not a version: Enterprise's columns stay as its parsers expect.
  const down = show.meta.flatMap((n) =>
    !n.reachable
      ? [warningText(nodeDownText("meta", n.id, n.httpAddr, null))]
      : n.storageError
        ? [warningText(storageFailedText(n.id, n.httpAddr, n.storageError))]
        : [],
  );
  const leader = show.leader?.raftAddr ?? "";
  const peers = show.raftConfig.servers.filter((s) => s.raftAddr !== leader).map((s) => s.raftAddr);
  const raft = table([
    ["Leader", leaderText(show.leader?.httpAddr)],
    ["Peers", JSON.stringify(peers)],
  ]);
  // Its own line below the table: Leader and Peers keep Enterprise's column widths for parsers.
  const tolerance = `Fault tolerance: ${faultToleranceText(showVoters(show))}`;
  const notes: string[] = [];
  if (!show.membershipKnown) {
    notes.push(
      `No leader: membership unknown. Shown is what ${show.self.httpAddr} last knew, with each node's own status;` +
        " nothing can be changed until a quorum of meta nodes is back.",
    );
  }
  for (const n of show.meta.filter((m) => m.suffrage === "none")) {
    notes.push(
      `Meta node ${n.id} at ${n.httpAddr} is not in the Raft configuration (a metadata record only); ` +
        `drop it with: influxd-ctl -bind ${bind} remove-meta ${n.reachable ? "" : "-force "}${n.httpAddr}`,
    );
  }
  const sections = [
    section("Data Nodes", data),
    section("Meta Nodes", [meta, ...down].join("\n")),
    section("Raft Status", `${raft}\n${tolerance}`),
  ];
  return sections.join("\n") + (notes.length ? "\n" + notes.join("\n") + "\n" : "");
}
