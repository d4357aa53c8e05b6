/**
 * The private network namespace the network faults run in. Firewall and traffic-control rules
 * are only ever written inside a namespace of our own (created by `unshare --net`), so they can
 * never touch the host's rules and vanish with the namespace when the suite exits.
 */

import { execFileSync, spawnSync } from "node:child_process";
import { readlinkSync } from "node:fs";

/** Set by the launcher for its namespaced child: the launcher's own network namespace. */
export const NETNS_MARKER = "INFLUX_FAULTS_PARENT_NETNS";

const TOOLS = [
  { command: "unshare", pkg: "util-linux" },
  { command: "ip", pkg: "iproute2" },
  { command: "tc", pkg: "iproute2" },
  { command: "iptables", pkg: "iptables" },
];

export type NetnsSupport = { ok: true } | { ok: false; reason: string };

function onPath(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

/** Whether this machine can run the network faults: root, the tools, and a working `unshare --net`. */
export function netnsSupport(): NetnsSupport {
  if (process.platform !== "linux")
    return { ok: false, reason: `network faults need Linux (this is ${process.platform})` };
  if (process.getuid?.() !== 0)
    return { ok: false, reason: "network faults need root (to create a network namespace)" };
  const missing = TOOLS.filter((t) => !onPath(t.command));
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map((t) => t.pkg))].join(" ");
    return {
      ok: false,
      reason: `missing ${missing.map((t) => t.command).join(", ")} (apt-get install -y ${pkgs})`,
    };
  }
  const probe = spawnSync(
    "unshare",
    ["--net", "--", "sh", "-c", "ip link set lo up && iptables -S >/dev/null"],
    {
      encoding: "utf8",
    },
  );
  if (probe.status !== 0) {
    return {
      ok: false,
      reason: `cannot use a private network namespace: ${(probe.stderr || probe.error?.message || "").trim()}`,
    };
  }
  return { ok: true };
}

function currentNetns(): string {
  try {
    return readlinkSync("/proc/self/ns/net");
  } catch {
    return "";
  }
}

/** True only inside a namespace our launcher created: never in the namespace the launcher ran in. */
export function inPrivateNetns(): boolean {
  const parent = process.env[NETNS_MARKER];
  const own = currentNetns();
  return parent !== undefined && parent !== "" && own !== "" && own !== parent;
}

/** Command line that runs `argv` in a fresh network namespace with loopback up. */
export function inNewNetns(argv: string[]): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  return {
    command: "unshare",
    args: ["--net", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", ...argv],
    env: { ...process.env, [NETNS_MARKER]: currentNetns() },
  };
}

/** Runs a command of the fault layer; throws with its stderr on failure. */
export function run(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(`${command} ${args.join(" ")} failed: ${stderr || (err as Error).message}`);
  }
}
