import { warningText } from "../../util/wording.ts";
import type { Removal } from "../state.ts";
import type { Theme } from "../theme.ts";
import { DialogFrame, type DialogLine } from "./DialogFrame.tsx";

/** Lines shared by both removal dialogs: what the admin service says the removal would do. */
export function planLines(removal: Removal, connectedTo: string | null): DialogLine[] {
  const plan = removal.plan;
  if (!plan) return [{ text: "Checking with the admin service what this removal would do…" }];
  const lines: DialogLine[] = [
    plan.node.isLeader
      ? {
          text: "It is the LEADER: leadership moves to another up-to-date voter first.",
          tone: "warn",
          bold: true,
        }
      : { text: "It is not the leader." },
    {
      text: `Voters ${plan.votersBefore} → ${plan.votersAfter}; quorum after removal: ${plan.quorumAfter} of ${plan.votersAfter} (${plan.reachableVotersAfter} reachable).`,
    },
  ];
  for (const w of plan.warnings) lines.push({ text: warningText(w), tone: "warn" });
  if (connectedTo === removal.target.httpAddr) {
    lines.push({
      text: warningText(
        "this view talks to the admin service beside this node; once it is removed, the view switches to another member's admin service",
      ),
      tone: "warn",
    });
  }
  if (plan.refusal)
    lines.push({ text: `REFUSED by the admin service: ${plan.refusal}`, tone: "error", bold: true });
  return lines;
}

/** What both removal dialogs (this one and the force dialog) are drawn from. */
export interface RemovalDialogProps {
  removal: Removal;
  /** The meta node beside the admin service the view talks to. */
  connectedTo: string | null;
  width: number;
  height: number;
  theme: Theme;
}

export function RemoveDialog({ removal, connectedTo, width, height, theme }: RemovalDialogProps) {
  const { target, plan } = removal;
  const lines = planLines(removal, connectedTo);
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
