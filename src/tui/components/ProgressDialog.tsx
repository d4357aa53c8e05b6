import { useEffect, useState } from "react";
import type { Theme } from "../theme.ts";
import { DialogFrame } from "./DialogFrame.tsx";

const FRAMES = ["|", "/", "-", "\\"];

/** Shown while the admin service works on a removal or an add (it may wait for a leadership
 *  transfer, the node's cleanup, or the new node catching up). */
export function ProgressDialog({
  title,
  note,
  startedAt,
  width,
  height,
  theme,
  now = Date.now,
}: {
  title: string;
  /** What the admin service is doing, in one sentence. */
  note: string;
  startedAt: number | null;
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
  const elapsed = Math.max(0, now() - (startedAt ?? now()));
  const frame = FRAMES[Math.floor(elapsed / 200) % FRAMES.length];
  return (
    <DialogFrame
      title={title}
      tone="warn"
      lines={[
        { text: `${frame} waiting for the admin service… ${(elapsed / 1000).toFixed(1)}s` },
        { text: note },
      ]}
      footer={[{ text: "The result will appear in the status line and the events." }]}
      width={width}
      height={height}
      theme={theme}
    />
  );
}
