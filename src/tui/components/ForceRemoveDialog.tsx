import { Text } from "ink";
import { warningText } from "../../wording.ts";
import { DialogFrame, type DialogLine } from "./DialogFrame.tsx";
import { planLines, type RemovalDialogProps } from "./RemoveDialog.tsx";
import { cliFree } from "../removal.ts";

/**
 * Force removal, Shopify DangerousConfirmationPrompt style: the consequence in plain words and the
 * node's HTTP address typed exactly, then Enter. Nothing else confirms it.
 */
export function ForceRemoveDialog({
  removal,
  connectedTo,
  markedUp,
  width,
  height,
  theme,
}: RemovalDialogProps) {
  const { target, plan } = removal;
  const reason: DialogLine = {
    text: warningText(`force is needed: ${cliFree(removal.forceReason ?? "the node does not answer")}`),
    tone: "error",
    bold: true,
  };
  // A refusal leads (planLines puts it first); why force was needed follows it.
  const lines: DialogLine[] = plan?.refusal
    ? [...planLines(removal, connectedTo, markedUp), reason]
    : [reason, ...planLines(removal, connectedTo, markedUp)];
  const refused = !!plan?.refusal;
  if (plan && !refused) {
    lines.push({
      text: "Force removal takes it out of the cluster without its cooperation, so its meta data is NOT wiped: do not restart that node with its old data; wipe its meta dir before it is used again.",
    });
  }
  const footer: DialogLine[] = [];
  if (!plan) footer.push({ text: "Esc cancels" });
  else if (refused) footer.push({ text: "Nothing will be changed. Enter or Esc closes." });
  else {
    footer.push({ text: `Type ${target.httpAddr} and press Enter to remove it. Esc cancels.`, bold: true });
    footer.push({
      node: (
        <Text wrap="truncate-end">
          {"> "}
          {removal.typed}
          <Text inverse={theme.inverse}>{theme.inverse ? " " : "_"}</Text>
        </Text>
      ),
    });
    if (removal.mismatch) {
      footer.push({
        text: `"${removal.typed}" is not ${target.httpAddr}; nothing was removed.`,
        tone: "error",
      });
    }
  }
  return (
    <DialogFrame
      title={`FORCE-remove meta node ${target.httpAddr}${target.id ? ` (id ${target.id})` : ""}`}
      tone="error"
      lines={lines}
      footer={footer}
      width={width}
      height={height}
      theme={theme}
    />
  );
}
