import type { Tone } from "../events.ts";
import type { ClusterSnapshot } from "../model.ts";
import { votersText } from "../report.ts";
import { caughtUp, currentRow, rowName, type RollingRestart } from "../rolling-restart.ts";
import type { Theme } from "../theme.ts";
import { DialogFrame, type DialogLine } from "./DialogFrame.tsx";

export interface RollingRestartPaneProps {
  guide: RollingRestart;
  cluster: ClusterSnapshot | null;
  /** The session can restart its own nodes (the demo): R does it. */
  canRestart: boolean;
  width: number;
  height: number;
  theme: Theme;
}

/** "1. 127.0.0.1:9092 done · 2. 127.0.0.1:9093 now · 3. 127.0.0.1:9091 (leader) next". */
function orderLine(guide: RollingRestart, cluster: ClusterSnapshot | null): string {
  const parts = guide.order.map((key, i) => {
    const row = cluster?.rows.find((r) => r.key === key);
    const addr = row?.httpAddr ?? key;
    const leads = row && row.httpAddr === cluster?.leaderHttp ? " (leader)" : "";
    const where =
      guide.phase === "done" || i < guide.step
        ? "done"
        : i === guide.step
          ? "now"
          : i === guide.step + 1
            ? "next"
            : "";
    return `${i + 1}. ${addr}${leads}${where ? ` ${where}` : ""}`;
  });
  return `Order: ${parts.join(" · ")}`;
}

/** What the guide waits for now, in words. */
const WAITING: Record<"restart" | "down" | "back", string> = {
  restart:
    "Restart it now on its host (systemctl restart influxd, or however it runs); this view restarts nothing. Waiting for: its restart (seen DOWN, or a new process start time in its /status).",
  down: "It is DOWN. Waiting for: it to come back up.",
  back: "It was restarted. Waiting for: it to catch up.",
};

/** The title, tone and body of the guide's pane in its current phase. */
function content(
  guide: RollingRestart,
  cluster: ClusterSnapshot | null,
  canRestart: boolean,
): { title: string; tone: Tone; lines: DialogLine[] } {
  const order: DialogLine = { text: orderLine(guide, cluster) };
  const total = guide.order.length;
  if (guide.phase === "stopped")
    return {
      title: "Rolling restart STOPPED",
      tone: "error",
      lines: [{ text: guide.stopped ?? "", tone: "error", bold: true }, order],
    };
  if (guide.phase === "done")
    return {
      title: "Rolling restart done",
      tone: "ok",
      lines: [{ text: `All ${total} meta nodes were restarted and caught up.` }, order],
    };
  const row = currentRow(guide, cluster);
  const title = `Rolling restart: step ${guide.step + 1} of ${total}, ${row ? rowName(row) : guide.order[guide.step]}`;
  if (!row || !cluster) return { title, tone: "info", lines: [order] };
  const lines: DialogLine[] = [
    order,
    {
      text: WAITING[guide.phase] + (guide.phase === "restart" && canRestart ? " R restarts it (demo)." : ""),
    },
  ];
  if (row.httpAddr === cluster.leaderHttp && guide.phase === "restart")
    lines.push({
      text: "It is the LEADER, so it goes last: when it stops, the other voters elect a new leader within about an election timeout, and writes wait meanwhile. There is no operator command to hand leadership over first (the admin service does so only before removing a leader).",
      tone: "warn",
    });
  if (row.suffrage === "voter" && guide.phase !== "back") {
    const up = cluster.votersUp - (row.up === true ? 1 : 0);
    lines.push({ text: `While it is down: ${votersText(up, cluster.votersTotal)}.` });
  }
  lines.push({ text: "The next node unlocks when every box is ticked:", bold: true });
  const conditions = [
    { text: "restarted: seen DOWN and back, or a new process start time", met: guide.phase === "back" },
    ...caughtUp(row, cluster),
  ];
  for (const c of conditions)
    lines.push({ text: `${c.met ? "[x]" : "[ ]"} ${c.text}`, tone: c.met ? "ok" : "warn" });
  return { title, tone: "info", lines };
}

/** The guide: the step, the node, what it waits for, and each condition that unlocks the next node. */
export function RollingRestartPane({
  guide,
  cluster,
  canRestart,
  width,
  height,
  theme,
}: RollingRestartPaneProps) {
  return (
    <DialogFrame
      {...content(guide, cluster, canRestart)}
      footer={[{ text: "Esc leaves the guide (nothing is touched).", bold: true }]}
      width={width}
      height={height}
      theme={theme}
    />
  );
}
