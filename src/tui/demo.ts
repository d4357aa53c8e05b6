/** `influx-cluster demo`: until the daemon and the TUI exist, it shows what the executable offers. */
export async function main(): Promise<number> {
  const { run } = await import("../main.ts");
  return run("influx-cluster", ["help"]);
}
