import { Text } from "ink";
import { warningText } from "../../wording.ts";
import { DialogFrame, type DialogLine } from "./DialogFrame.tsx";
import { planLines, type RemovalDialogProps } from "./RemoveDialog.tsx";
import { cliFree } from "../removal.ts";
import type { Theme } from "../theme.ts";

/**
 * The stricter confirmation of a forced removal: the node's address typed exactly, then Enter
 * (the meta node's HTTP address here, a data node's TCP address in the data tier).
 */
export function typedConfirmFooter(
  addr: string,
  typed: string,
  mismatch: boolean,
  theme: Theme,
): DialogLine[] {
  const footer: DialogLine[] = [
    { text: `Type ${addr} and press Enter to remove it. Esc cancels.`, bold: true },
    {
      node: (
        <Text wrap="truncate-end">
          {"> "}
          {typed}
          <Text inverse={theme.inverse}>{theme.inverse ? " " : "_"}</Text>
        </Text>
      ),
    },
  ];
  if (mismatch) footer.push({ text: `"${typed}" is not ${addr}; nothing was removed.`, tone: "error" });
  return footer;
}

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
    footer.push(...typedConfirmFooter(target.httpAddr, removal.typed, removal.mismatch, theme));
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
