import { Text } from "ink";
import { nodeName, warningText } from "../../wording.ts";
import type { Adding } from "../state.ts";
import type { Theme } from "../theme.ts";
import { DialogFrame, type DialogLine } from "./DialogFrame.tsx";

/** `a`: the new node's address, then what adding it would do, as the removal dialog shows a plan. */
export function AddDialog({
  adding,
  width,
  height,
  theme,
}: {
  adding: Adding;
  width: number;
  height: number;
  theme: Theme;
}) {
  const { plan } = adding;
  if (!plan) {
    const lines: DialogLine[] = [
      {
        text: "Type the HTTP address (host:port) of a blank meta node: a running influxd that is in no cluster, e.g. one removed earlier.",
      },
      {
        node: (
          <Text wrap="truncate-end">
            {"> "}
            {adding.typed}
            {adding.checking ? "" : <Text inverse={theme.inverse}>{theme.inverse ? " " : "_"}</Text>}
          </Text>
        ),
      },
    ];
    if (adding.checking) lines.push({ text: `Asking ${adding.typed} for its /status…` });
    return (
      <DialogFrame
        title="Add a meta node"
        tone="info"
        lines={lines}
        footer={[{ text: "Enter checks the address; nothing changes before you confirm. Esc cancels." }]}
        width={width}
        height={height}
        theme={theme}
      />
    );
  }
  const lines: DialogLine[] = [
    plan.reachable
      ? { text: `It answers: Raft address ${plan.raftAddr}, state ${plan.state}.` }
      : { text: "It does not answer.", tone: "error" },
    {
      text: `Voters ${plan.votersBefore} → ${plan.votersAfter} once it has caught up (it joins as a non-voter first); quorum then: ${plan.quorumAfter} of ${plan.votersAfter}.`,
    },
  ];
  for (const w of plan.warnings) lines.push({ text: warningText(w), tone: "warn" });
  // A refusal or a failure leads, whole (the status line would cut it).
  if (plan.refusal) lines.unshift({ text: `REFUSED: ${plan.refusal}`, tone: "error", bold: true });
  if (adding.failed) lines.unshift({ text: `FAILED: ${adding.failed}`, tone: "error", bold: true });
  const footer: DialogLine[] = adding.failed
    ? [{ text: "Any key closes (the error is in the events too: e)." }]
    : plan.refusal
      ? [{ text: "Nothing will be changed. Any key closes." }]
      : [{ text: "y asks the admin service to add it.  n, Esc or any other key cancels.", bold: true }];
  return (
    <DialogFrame
      title={`Add ${nodeName("meta", 0, plan.httpAddr)}?`}
      tone={plan.refusal || adding.failed ? "error" : "warn"}
      lines={lines}
      footer={footer}
      width={width}
      height={height}
      theme={theme}
    />
  );
}
