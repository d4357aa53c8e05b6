/** `[y/N]` confirmation on the terminal. Anything but y/yes is no; no terminal is an error. */

import { createInterface } from "node:readline/promises";

export class NoTerminalError extends Error {
  constructor() {
    super("no terminal to ask for confirmation; pass -y to confirm");
  }
}

export async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) throw new NoTerminalError();
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N]: `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
