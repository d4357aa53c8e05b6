import type { Removal } from "../state.ts";
import type { Theme } from "../theme.ts";
import { DialogFrame, type DialogLine } from "./DialogFrame.tsx";

/**
 * Lines shared by both removal dialogs: what the removal would do, as planned by the admin
 * service or, talking to a meta API directly, by this client (the plan's warnings say how the
 * leader is handled, which differs between the two).
 */
export function planLines(removal: Removal): DialogLine[] {
  const plan = removal.plan;
  if (!plan) return [{ text: "Checking what this removal would do…" }];
  const lines: DialogLine[] = [
    plan.node.isLeader
      ? { text: "It is the LEADER.", tone: "warn", bold: true }
      : { text: "It is not the leader." },
    {
      text: `Voters ${plan.votersBefore} → ${plan.votersAfter}; quorum after removal: ${plan.quorumAfter} of ${plan.votersAfter} (${plan.reachableVotersAfter} reachable).`,
    },
  ];
  for (const w of plan.warnings) lines.push({ text: `warning: ${w}`, tone: "warn" });
  if (plan.refusal) lines.push({ text: `REFUSED: ${plan.refusal}`, tone: "error", bold: true });
  return lines;
}

/** What both removal dialogs (this one and the force dialog) are drawn from. */
export interface RemovalDialogProps {
  removal: Removal;
  width: number;
  height: number;
  theme: Theme;
}

export function RemoveDialog({ removal, width, height, theme }: RemovalDialogProps) {
  const { target, plan } = removal;
  const lines = planLines(removal);
  if (plan && !plan.refusal) {
    lines.push({ text: "Its meta data is wiped; it keeps running as a blank node that can be added again." });
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
