/** Ink 6.8 has no useWindowSize: reports the terminal's columns and rows now and on every resize. */

import { useStdout } from "ink";
import { useEffect } from "react";

export interface TerminalSize {
  columns: number;
  rows: number;
}

/** Size of `stdout`; a stream without a size (a pipe, a test double) counts as 80x24. */
export function readSize(stdout: { columns?: number; rows?: number }): TerminalSize {
  return { columns: stdout.columns || 80, rows: stdout.rows || 24 };
}

export function useTerminalSize(onSize: (size: TerminalSize) => void): void {
  const { stdout } = useStdout();
  useEffect(() => {
    const report = () => onSize(readSize(stdout));
    report();
    stdout.on("resize", report);
    return () => {
      stdout.off("resize", report);
    };
  }, [stdout, onSize]);
}
