// Waiting on a live cluster: poll a condition until it holds. The deadline only stops a hung test;
// the assertions are about what shows up, not how fast.
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  /** What the screen showed, for the failure message. */
  detail?: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}${detail ? `; last screen:\n${detail()}` : ""}`);
}
