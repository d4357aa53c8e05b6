import { useEffect, useState } from "react";
import type { Removal } from "../state.ts";
import type { Theme } from "../theme.ts";
import { DialogFrame } from "./DialogFrame.tsx";

const FRAMES = ["|", "/", "-", "\\"];

/** Shown while remove-meta runs (it may wait for a leadership transfer and the node's cleanup). */
export function RemovalProgress({
  removal,
  width,
  height,
  theme,
  now = Date.now,
}: {
  removal: Removal;
  width: number;
  height: number;
  theme: Theme;
  now?: () => number;
}) {
  const [, setTick] = useState(0);
  useEffect(() => {
    // Redraws at most 5 times a second, only while this is on screen.
    const timer = setInterval(() => setTick((n) => n + 1), 200);
    return () => clearInterval(timer);
  }, []);
  const elapsed = Math.max(0, now() - (removal.startedAt ?? now()));
  const frame = FRAMES[Math.floor(elapsed / 200) % FRAMES.length];
  return (
    <DialogFrame
      title={`Removing meta node ${removal.target.httpAddr}${removal.force ? " (force)" : ""}`}
      tone="warn"
      lines={[
        { text: `${frame} waiting for the admin service… ${(elapsed / 1000).toFixed(1)}s` },
        {
          text: removal.plan?.node.isLeader
            ? "Leadership is transferred first, then the node leaves the configuration."
            : "The node leaves the configuration in one Raft log entry, then it is asked to clean up.",
        },
      ]}
      footer={[{ text: "The result will appear in the status line." }]}
      width={width}
      height={height}
      theme={theme}
    />
  );
}
