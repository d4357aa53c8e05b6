import { faultToleranceText, lowersTolerance, warningText } from "../../wording.ts";
import { cliFree } from "../removal.ts";
import { quorumHealth } from "../model.ts";
import { votersText } from "../report.ts";
import type { Removal } from "../state.ts";
import type { Theme } from "../theme.ts";
import { DialogFrame, type DialogLine } from "./DialogFrame.tsx";

/** A refusal, first and alone in a dialog (the meta and the data-tier removal dialogs). */
export function refusedLine(refusal: string): DialogLine {
  return { text: `REFUSED: ${cliFree(refusal)}`, tone: "error", bold: true };
}

/**
 * Lines shared by both removal dialogs: what the removal would do, as planned by the admin
 * service or, talking to a meta API directly, by this client (the plan's warnings say how the
 * leader is handled, which differs between the two).
 */
export function planLines(removal: Removal, connectedTo: string | null, markedUp = 0): DialogLine[] {
  const plan = removal.plan;
  if (!plan) return [{ text: "Checking what this removal would do…" }];
  const leader: DialogLine = plan.node.isLeader
    ? { text: "It is the LEADER.", tone: "warn", bold: true }
    : { text: "It is not the leader." };
  // A refusal comes first and alone: what the removal would have done (voters after it, how the
  // leader hands over) is arithmetic about something that will not happen.
  if (plan.refusal)
    return [refusedLine(plan.refusal), leader, { text: `Now: ${faultToleranceText(plan.votersBefore)}.` }];
  const lowered = lowersTolerance(plan.votersBefore, plan.votersAfter);
  const lines: DialogLine[] = [
    leader,
    {
      text: `${faultToleranceText(plan.votersBefore)} → ${faultToleranceText(plan.votersAfter)}${lowered ? " (LOWERS fault tolerance)" : ""}; quorum after removal: ${plan.quorumAfter} of ${plan.votersAfter} (${plan.reachableVotersAfter} reachable).`,
      ...(lowered && { tone: "warn" as const, bold: true }),
    },
  ];
  if (markedUp > 0) {
    // The what-if (`m`): the plan with the marked nodes down too.
    const up = Math.max(0, plan.reachableVotersAfter - markedUp);
    lines.push({
      text: `What-if, with the ${markedUp} marked node${markedUp === 1 ? "" : "s"} down too: ${votersText(up, plan.votersAfter)}.`,
      tone: quorumHealth(up, plan.votersAfter) === "ok" ? undefined : "warn",
      bold: true,
    });
  }
  for (const w of plan.warnings) lines.push({ text: warningText(cliFree(w)), tone: "warn" });
  if (connectedTo === removal.target.httpAddr) {
    lines.push({
      text: warningText(
        "this view talks to the admin service beside this node (or to its meta API); once it is removed, the view switches to another member's",
      ),
      tone: "warn",
    });
  }
  return lines;
}

/** What both removal dialogs (this one and the force dialog) are drawn from. */
export interface RemovalDialogProps {
  removal: Removal;
  /** The meta node beside the admin service the view talks to (the node itself for a meta API). */
  connectedTo: string | null;
  /** Voters marked going down in the what-if (other than this node) that are up now. */
  markedUp?: number;
  width: number;
  height: number;
  theme: Theme;
}

export function RemoveDialog({ removal, connectedTo, markedUp, width, height, theme }: RemovalDialogProps) {
  const { target, plan } = removal;
  const lines = planLines(removal, connectedTo, markedUp);
  if (plan && !plan.refusal) {
    lines.push({
      text: "Its meta data is wiped; it keeps running as a blank node that can be added again (a, then its address).",
    });
  }
  const footer: DialogLine[] = !plan
    ? [{ text: "Esc cancels" }]
    : plan.refusal
      ? [{ text: "Nothing will be changed. Any key closes." }]
      : [{ text: "y removes it.  n, Esc, Enter or any other key cancels.", bold: true }];
  return (
    <DialogFrame
      title={`Remove meta node ${target.httpAddr}${target.id ? ` (id ${target.id})` : ""}?`}
      tone={plan?.refusal ? "error" : "warn"}
      lines={lines}
      footer={footer}
      width={width}
      height={height}
      theme={theme}
    />
  );
}
