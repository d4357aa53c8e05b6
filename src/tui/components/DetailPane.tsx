import { leaderText, NOT_IN_RAFT_CONFIG, nodeDownText, nodeName, storageFailedText } from "../../wording.ts";
import type { ClusterEvent } from "../events.ts";
import type { NodeRow } from "../model.ts";
import type { Detail } from "../state.ts";
import { formatMs } from "../table-format.ts";
import { clock } from "../text.ts";
import type { Theme } from "../theme.ts";
import { DialogFrame, type DialogLine } from "./DialogFrame.tsx";

function suffrageText(row: NodeRow): string {
  if (row.suffrage === "none") return NOT_IN_RAFT_CONFIG;
  return row.suffrage ?? "unknown";
}

function raftActiveText(row: NodeRow): string {
  if (row.raftActive === null) return "unknown (no leader reported its view)";
  return row.raftActive
    ? "in contact with the leader"
    : "NOT in contact with the leader (no contact within an election timeout)";
}

/** The newest warning or error about `key`, in full (the table and status line cut them). */
export function lastTrouble(events: ClusterEvent[], key: string): ClusterEvent | null {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (e.node === key && (e.tone === "warn" || e.tone === "error")) return e;
  }
  return null;
}

function metaLines(row: NodeRow, detail: Detail): DialogLine[] {
  const st = detail.status;
  const lines: DialogLine[] = [
    {
      text: `Raft ${row.raftAddr}; ${suffrageText(row)}; leader's view: ${raftActiveText(row)}`,
      tone: row.suffrage === "none" || row.raftActive === false ? "warn" : undefined,
    },
  ];
  if (row.up === false) return lines;
  if (!st) {
    lines.push({ text: detail.error ? `/status: ${detail.error}` : "asking the node for its /status…" });
    return lines;
  }
  const r = st.raft;
  lines.push(
    {
      text: `State ${r.state === "leader" ? "LEADER" : r.state}, term ${r.term}; server id ${st.serverId}; version ${st.version}`,
    },
    {
      text: `Log: last index ${r.lastLogIndex}, commit ${r.commitIndex}, applied ${r.appliedIndex}; last contact with the leader ${r.state === "leader" ? "- (it leads)" : formatMs(r.lastContactMs)}`,
    },
    { text: `Leader as this node sees it: ${leaderText(st.leaderHttp)}` },
    { text: `Voters as this node sees them: ${r.voters.length ? r.voters.join(", ") : "none"}` },
  );
  if (r.nonvoters.length)
    lines.push({ text: `Non-voters as this node sees them: ${r.nonvoters.join(", ")}` });
  return lines;
}

/** Everything the view knows about one node, with its last warning or error in full. Esc goes back. */
export function DetailPane({
  row,
  detail,
  events,
  width,
  height,
  theme,
}: {
  row: NodeRow | null;
  detail: Detail;
  events: ClusterEvent[];
  width: number;
  height: number;
  theme: Theme;
}) {
  if (!row) {
    return (
      <DialogFrame
        title="The node is no longer in the cluster"
        tone="warn"
        lines={[{ text: "It left the membership while this pane was open." }]}
        footer={[{ text: "Esc goes back to the table." }]}
        width={width}
        height={height}
        theme={theme}
      />
    );
  }
  const lines: DialogLine[] = [
    row.up === false
      ? { text: nodeDownText(row.role, row.id, row.httpAddr, row.error), tone: "error", bold: true }
      : {
          text: `HTTP ${row.httpAddr}: ${row.up === null ? "not polled yet" : `answers /ping in ${formatMs(row.pingMs)}`}`,
          tone: row.up ? "ok" : undefined,
        },
    ...(row.storageError
      ? [
          {
            text: storageFailedText(row.id, row.httpAddr, row.storageError),
            tone: "error" as const,
            bold: true,
          },
        ]
      : []),
    ...(row.role === "meta"
      ? metaLines(row, detail)
      : [{ text: `TCP ${row.raftAddr}; version ${row.version || "unknown"}` }]),
  ];
  const trouble = lastTrouble(events, row.key);
  lines.push(
    trouble
      ? { text: `Last warning (${clock(trouble.at)}): ${trouble.text}`, tone: trouble.tone }
      : { text: "No warning or error recorded for this node in this session." },
  );
  return (
    <DialogFrame
      title={`${nodeName(row.role, row.id, row.httpAddr)}${row.state === "leader" ? " (LEADER)" : ""}`}
      tone={row.up === false ? "error" : "info"}
      lines={lines}
      footer={[]}
      width={width}
      height={height}
      theme={theme}
    />
  );
}
