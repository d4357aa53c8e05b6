import { nameShards } from "../../cluster/replica-health.ts";
import { formatBytes, moveText, rebalancePlanLines, warningText } from "../../wording.ts";
import { forcedLossText, progressBar, type DataOp } from "../data-tier.ts";
import type { Theme } from "../theme.ts";
import { DialogFrame, type DialogLine } from "./DialogFrame.tsx";
import { typedConfirmFooter } from "./ForceRemoveDialog.tsx";
import { refusedLine } from "./RemoveDialog.tsx";

interface Props {
  op: DataOp;
  mode: "data-confirm" | "data-force" | "data-busy";
  width: number;
  height: number;
  theme: Theme;
}

/** The remove-data plan: refused first when the node holds last live copies, as the meta dialogs. */
function removeDataDialog({ op, mode, theme }: Props & { op: Extract<DataOp, { kind: "remove-data" }> }) {
  const plan = op.plan;
  const title = `${op.force ? "FORCE-remove" : "Remove"} data node ${op.tcpAddr}${plan ? ` (id ${plan.id})` : ""}`;
  if (!plan)
    return {
      title,
      tone: "warn" as const,
      lines: [{ text: "Checking which shards it holds the last live copy of…" }],
      footer: [{ text: "Esc cancels" }],
    };
  const facts: DialogLine = {
    text: `It is ${plan.up ? "up" : "DOWN"} and owns ${plan.shards} shard${plan.shards === 1 ? "" : "s"}.`,
  };
  if (mode === "data-force") {
    const lines: DialogLine[] = [
      {
        text: warningText(`force: ${forcedLossText(plan)}`),
        tone: "error",
        bold: true,
      },
      facts,
    ];
    if (plan.lost.length > 0)
      lines.push({ text: `D (drain) moves them first: influxd-ctl rebalance -drain ${op.tcpAddr}` });
    return {
      title,
      tone: "error" as const,
      lines,
      footer: typedConfirmFooter(op.tcpAddr, op.typed, op.mismatch, theme),
    };
  }
  if (plan.refusal)
    return {
      title,
      tone: "error" as const,
      lines: [
        refusedLine(plan.refusal),
        { text: `Here: Esc, then D on it drains it (moves shards ${nameShards(plan.lost)} to other nodes).` },
        facts,
      ],
      footer: [
        {
          text: "Nothing will be changed. f forces the removal (typed confirmation; those shards are lost). Any other key closes.",
        },
      ],
    };
  return {
    title,
    tone: "warn" as const,
    lines: [facts, { text: "No shard loses its last live copy. It is told to leave and resets itself." }],
    footer: [{ text: "y removes it.  n, Esc, Enter or any other key cancels.", bold: true }],
  };
}

function rebalanceDialog({ op, mode, width }: Props & { op: Extract<DataOp, { kind: "rebalance" }> }) {
  const title = op.drain ? `Drain data node ${op.drain}` : "Rebalance the data nodes";
  if (!op.plan)
    return {
      title,
      tone: "warn" as const,
      lines: [{ text: "Planning the moves…" }],
      footer: [{ text: "Esc cancels" }],
    };
  const planLines: DialogLine[] = rebalancePlanLines(op.plan).map((l) => ({
    text: l.text,
    tone: l.warn ? ("warn" as const) : undefined,
  }));
  if (mode === "data-busy") {
    const p = op.progress;
    const done = p ? (p.phase === "moved" ? p.index + 1 : p.index) : 0;
    const total = op.plan.moves.length;
    const lines: DialogLine[] = [
      {
        text: `${progressBar(p?.bytesDone ?? 0, op.plan.bytes, Math.min(width - 4, 50))} ${done}/${total} moves`,
      },
      {
        text: `${formatBytes(p?.bytesDone ?? 0)} of ${formatBytes(op.plan.bytes)}, ETA ${p?.etaSeconds == null ? "-" : `${p.etaSeconds.toFixed(1)}s`}`,
      },
    ];
    if (p && p.phase === "copying") lines.push({ text: `now: ${moveText(p.move)}` });
    if (op.stopping) lines.push({ text: "Stopping after the current move…", tone: "warn", bold: true });
    return {
      title,
      tone: "warn" as const,
      lines,
      footer: [
        {
          text: op.stopping
            ? "A move is never cut in half: each source copy is removed only after its replacement is in place."
            : "s, Esc or Ctrl-C stops after the current move (b or D again continues).",
        },
      ],
    };
  }
  if (op.plan.moves.length === 0)
    return {
      title,
      tone: "ok" as const,
      lines: [...planLines, { text: "Nothing to move." }],
      footer: [{ text: "Any key closes." }],
    };
  return {
    title,
    tone: "warn" as const,
    lines: [
      ...planLines,
      {
        text: "One move at a time: copy, verify, add the owner, then drop the source's copy. No shard is ever less replicated.",
      },
    ],
    footer: [
      {
        text: `y makes the ${op.plan.moves.length} moves.  n, Esc, Enter or any other key cancels.`,
        bold: true,
      },
    ],
  };
}

/** The data tier's dialogs: the remove-data plan, its typed force confirmation, the rebalance or
 *  drain plan, and the moves (or removal) under way. */
export function DataDialog(props: Props) {
  const d =
    props.op.kind === "remove-data"
      ? props.mode === "data-busy"
        ? {
            title: `Removing data node ${props.op.tcpAddr}${props.op.force ? " (force)" : ""}`,
            tone: "warn" as const,
            lines: [{ text: "The node is removed from the metadata and told to leave." }],
            footer: [{ text: "The result will appear in the status line and the events." }],
          }
        : removeDataDialog({ ...props, op: props.op })
      : rebalanceDialog({ ...props, op: props.op });
  return (
    <DialogFrame
      title={d.title}
      tone={d.tone}
      lines={d.lines}
      footer={d.footer}
      width={props.width}
      height={props.height}
      theme={props.theme}
    />
  );
}
