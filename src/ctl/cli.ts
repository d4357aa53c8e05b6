/**
 * `influxd-ctl`: InfluxDB Enterprise's operator commands, sent to an admin service or to a meta
 * node's API (src/client). Errors are one line, `<command>: <message>`, exit 1; usage errors
 * print the command's usage and exit 2.
 */

import { Buffer } from "node:buffer";
import { readFileSync } from "node:fs";
import { API_CHOICES, connectOnFirstUse, type ApiChoice } from "../client/detect.ts";
import { VERSION } from "../version.ts";
import {
  formatFlags,
  parseFlags,
  parseInterspersed,
  UsageError,
  type FlagSpecs,
  type FlagValues,
} from "../util/flags.ts";
import { closest } from "../util/suggest.ts";
import { HttpStatusError, UnreachableError, type PeerAccess } from "../util/http-client.ts";
import { signJwt } from "../util/jwt.ts";
import {
  addedText,
  faultToleranceOf,
  faultToleranceText,
  lowersTolerance,
  nodeName,
  removedText,
  warningText,
} from "../wording.ts";
import { formatShow, showVoters } from "./format.ts";
import { confirm, NoTerminalError } from "./prompt.ts";
import { holdsLastCopies, lastCopiesInReport, lostShardsText } from "../cluster/replica-health.ts";
import { printResult, type Command } from "./command.ts";
import { SHARD_COMMANDS } from "./shard-commands.ts";
import { MIGRATE_COMMANDS } from "./migrate-command.ts";

const GLOBAL_FLAGS: FlagSpecs = {
  bind: {
    kind: "string",
    arg: "host:port",
    help: "admin service (8084) or meta node API (8091) to talk to; a bare host gets the port of -api",
    default: "localhost:8084",
  },
  api: {
    kind: "string",
    arg: "auto|admin|meta",
    help: "which API -bind is: detected by default; a clearly different one is an error",
    default: "auto",
  },
  "bind-tls": { kind: "bool", help: "use TLS to reach -bind (and, with -api meta, the other nodes)" },
  k: { kind: "bool", help: "skip certificate verification (with -bind-tls)" },
  "auth-type": {
    kind: "string",
    arg: "none|basic|jwt",
    help: "authentication (default: jwt with -secret-file, else none)",
  },
  user: { kind: "string", arg: "name", help: "user name for basic or jwt authentication" },
  pwd: { kind: "string", arg: "password", help: "password for basic authentication (prefer -pwd-file)" },
  "pwd-file": { kind: "string", arg: "FILE", help: "read the password from FILE" },
  secret: {
    kind: "string",
    arg: "secret",
    help: "shared secret for jwt authentication (prefer -secret-file)",
  },
  "secret-file": { kind: "string", arg: "FILE", help: "read the shared secret from FILE" },
  timeout: { kind: "duration", help: "timeout of each request", default: 10_000 },
  json: { kind: "bool", help: "print the result as JSON (the admin service's shapes, with either API)" },
  h: { kind: "bool", help: "show this help", aliases: ["help"] },
};

const YES: FlagSpecs = { y: { kind: "bool", help: "assume yes to the confirmation prompt" } };

function warnings(list: string[]): string {
  return list.map((w) => "\n" + warningText(w)).join("");
}

const COMMANDS: Record<string, Command> = {
  show: {
    args: "",
    summary: "show the data and meta nodes and the Raft status",
    flags: {},
    arity: 0,
    examples: ["influxd-ctl show", "influxd-ctl -bind node2:8084 -json show"],
    async run(ctx) {
      const show = await ctx.api.show();
      const withTolerance = { ...show, faultTolerance: faultToleranceOf(showVoters(show)) };
      printResult(ctx, withTolerance, formatShow(show, ctx.bind).trimEnd());
    },
  },
  "add-meta": {
    args: "<httpAddr>",
    summary: "add a blank meta node to the cluster (or bootstrap the node beside -bind on itself)",
    flags: {
      "new-cluster": {
        kind: "bool",
        help: "bootstrap a new cluster on the node beside -bind although it belonged to a cluster before",
      },
    },
    arity: 1,
    examples: [
      "influxd-ctl -bind node1:8084 add-meta node1:8091   # bootstrap a new cluster on node1",
      "influxd-ctl -bind node1:8084 add-meta node2:8091   # add node2 to node1's cluster",
      "influxd-ctl -bind node3:8084 add-meta -new-cluster node3:8091   # a former member, on purpose",
    ],
    async run(ctx, flags, [addr]) {
      const node = await ctx.api.addMeta(addr, { newCluster: Boolean(flags["new-cluster"]) });
      printResult(ctx, node, addedText(node));
    },
  },
  "remove-meta": {
    args: "<httpAddr>",
    summary: "remove a meta node from the cluster and wipe its metadata",
    flags: {
      force: {
        kind: "bool",
        help: "remove a node that cannot be reached or is inactive in Raft (its data is not wiped), even if fewer active voters than a quorum remain; never the last voter, never against a configuration that changed",
      },
      tcpAddr: {
        kind: "string",
        arg: "host:port",
        help: "the node's Raft address; must match the metadata record of <httpAddr>",
      },
      ...YES,
    },
    arity: 1,
    examples: [
      "influxd-ctl remove-meta node3:8091",
      "influxd-ctl remove-meta -force -tcpAddr node3:8089 node3:8091",
      "influxd-ctl -bind node1:8084 remove-meta -y node3:8091",
    ],
    async run(ctx, flags, [addr]) {
      const force = Boolean(flags.force);
      const tcpAddr = flags.tcpAddr as string | undefined;
      if (!flags.y) {
        // Show the safety checks before asking, and do not ask for what will be refused.
        const plan = await ctx.api.planRemoveMeta(addr, force, tcpAddr);
        if (plan.refusal) throw new Error(plan.refusal);
        const up = (b: boolean) => (b ? "up" : "DOWN");
        const facts = [
          `meta node ${plan.node.id} at ${addr}${plan.node.isLeader ? " (the leader)" : ""}: HTTP ${up(plan.node.reachable)}, Raft ${plan.node.raftActive ? "active" : "INACTIVE"}`,
          `voters after removal: ${plan.votersAfter}, active in Raft: ${plan.reachableVotersAfter}, quorum: ${plan.quorumAfter}`,
          `fault tolerance: ${faultToleranceText(plan.votersBefore)} → ${faultToleranceText(plan.votersAfter)}${lowersTolerance(plan.votersBefore, plan.votersAfter) ? " (LOWERED)" : ""}`,
          ...plan.voters
            .filter((v) => v.raftAddr !== plan.node.raftAddr)
            .map(
              (v) =>
                `  ${v.httpAddr || v.raftAddr}: HTTP ${up(v.httpUp)}, Raft ${v.raftActive ? "active" : "INACTIVE"}`,
            ),
        ];
        process.stderr.write(facts.join("\n") + warnings(plan.warnings) + "\n");
        if (!(await confirm(`${force ? "Force remove" : "Remove"} ${addr} from the cluster`))) {
          process.stderr.write("Cancelled: nothing was changed.\n");
          return;
        }
      }
      const result = await ctx.api.removeMeta(addr, { force, tcpAddr });
      printResult(ctx, result, removedText(result).join("\n"));
    },
  },
  "add-data": {
    args: "<tcpAddr>",
    summary: "add a data node (its TCP address, e.g. host:8088): it is told its meta servers and joins",
    flags: {},
    arity: 1,
    examples: ["influxd-ctl add-data data1:8088"],
    async run(ctx, _flags, [tcpAddr]) {
      const node = await ctx.api.addData(tcpAddr);
      printResult(
        ctx,
        node,
        node.alreadyRegistered
          ? `Data node ${node.id} at ${node.tcpAddr} was registered already: told it the meta servers again`
          : `Added data node ${node.id} at ${node.tcpAddr}`,
      );
    },
  },
  "remove-data": {
    args: "<tcpAddr>",
    summary: "remove a data node from the cluster and tell it to leave (it resets itself)",
    flags: {
      force: {
        kind: "bool",
        help: "remove a data node that cannot be reached, or one holding the last live copy of shards (they are lost)",
      },
      ...YES,
    },
    arity: 1,
    examples: [
      "influxd-ctl remove-data data1:8088",
      "influxd-ctl rebalance -drain data1:8088 -y && influxd-ctl remove-data -y data1:8088",
      "influxd-ctl remove-data -force -y data1:8088",
    ],
    async run(ctx, flags, [addr]) {
      const force = Boolean(flags.force);
      if (!flags.y) {
        if (!process.stdin.isTTY) throw new NoTerminalError();
        // The plan first: which shards would lose their last live copy. Refused without -force.
        const health = await ctx.api.replicaHealth("all");
        const node = health.nodes.find((n) => n.tcpAddr === addr);
        const lost = node ? lastCopiesInReport(health, node.id) : [];
        if (lost.length > 0 && node) {
          if (!force) throw holdsLastCopies(node.tcpAddr, lost);
          process.stderr.write(warningText(`-force: ${lostShardsText(lost)}`) + "\n");
        } else if (node) {
          process.stderr.write(
            `data node ${node.id} at ${node.tcpAddr}: ${node.up ? "up" : "DOWN"}, owns ${node.shards} shards; no shard loses its last live copy\n`,
          );
        }
        if (!(await confirm(`${force ? "Force remove" : "Remove"} data node ${addr} from the cluster`))) {
          process.stderr.write("Cancelled: nothing was changed.\n");
          return;
        }
      }
      const node = await ctx.api.removeData(addr, force);
      printResult(ctx, node, `Removed data node ${node.id} at ${node.tcpAddr}`);
    },
  },
  "update-data": {
    args: "<old tcpAddr> <new tcpAddr>",
    summary: "change the TCP address of a registered data node",
    flags: {},
    arity: 2,
    examples: ["influxd-ctl update-data data1:8088 data9:8088"],
    async run(ctx, _flags, [oldAddr, newAddr]) {
      if (oldAddr === newAddr) throw new UsageError("new-addr and old-addr are the same");
      const node = await ctx.api.updateData(oldAddr, newAddr);
      printResult(ctx, node, `Updated data node ${node.id} to ${node.tcpAddr}`);
    },
  },
  leave: {
    args: "",
    summary: "remove the meta node beside -bind from its cluster and wipe its metadata",
    flags: YES,
    arity: 0,
    examples: ["influxd-ctl leave", "influxd-ctl leave -y"],
    async run(ctx, flags) {
      if (!flags.y) {
        // No /show first: a node its cluster already removed cannot show the cluster.
        if (!(await confirm(`Remove the meta node beside ${ctx.bind} from its cluster and wipe it`))) {
          process.stderr.write("Cancelled: nothing was changed.\n");
          return;
        }
      }
      const result = await ctx.api.leave();
      printResult(
        ctx,
        result,
        `Successfully left cluster\n  * Removed ${nodeName("meta", result.id, result.addr)} from cluster${result.cleanup === "done" ? " and wiped its meta dir" : ""}${warnings(result.warnings)}`,
      );
    },
  },
  join: {
    args: "<httpAddr of any member>",
    summary: "join the blank meta node beside -bind to the cluster of the given member",
    flags: {},
    arity: 1,
    examples: ["influxd-ctl join node1:8091"],
    async run(ctx, _flags, [via]) {
      const node = await ctx.api.join(via);
      printResult(ctx, node, `Successfully joined cluster\n  * Added meta node ${node.id} at ${node.addr}`);
    },
  },
  ...SHARD_COMMANDS,
  ...MIGRATE_COMMANDS,
};

function usageOf(name: string): string {
  const c = COMMANDS[name];
  const flags = Object.keys(c.flags).length ? `\n\nFlags:\n${formatFlags(c.flags)}` : "";
  return `Usage: influxd-ctl [global flags] ${name}${Object.keys(c.flags).length ? " [flags]" : ""}${c.args ? " " + c.args : ""}\n\n${c.summary}.${flags}\n\nExamples:\n${c.examples.map((e) => "  " + e).join("\n")}`;
}

/** Width of the command column in the help: the longest name and two spaces. */
const NAME_WIDTH = Math.max(...Object.keys(COMMANDS).map((n) => n.length)) + 2;

const HELP = `influxd-ctl ${VERSION}: operator commands for the cluster, sent to an admin service
or to a meta node's API (InfluxDB Enterprise's, on any compatible cluster).

Usage:
  influxd-ctl [global flags] <command> [flags] [args]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(NAME_WIDTH)}${c.summary}`)
  .join("\n")}
  ${"version".padEnd(NAME_WIDTH)}print the version

Global flags:
${formatFlags(GLOBAL_FLAGS)}

Run 'influxd-ctl <command> -h' for a command's flags and examples.`;

function suggestion(name: string): string {
  const best = closest(name, [...Object.keys(COMMANDS), "version", "help"]);
  return best ? `; did you mean "${best}"?` : "";
}

/**
 * A usage error is one line: the mistake (with a suggestion when a flag was mistyped) and where
 * the usage is; the whole help buried the line that mattered.
 */
function usageLine(prefix: string, message: string, helpCommand: string): string {
  return `${prefix}: ${message} (see '${helpCommand}')`;
}

/** A global flag given after the command: said so, with where it goes. */
function misplacedGlobal(message: string): string {
  const flag = /flag provided but not defined: -([\w-]+)/.exec(message)?.[1];
  if (!flag || !Object.hasOwn(GLOBAL_FLAGS, flag)) return message;
  return `-${flag} is a global flag: put it before the command (influxd-ctl -${flag} … <command>)`;
}

/**
 * A secret from `-<name>` or, better (it stays out of `ps` and shell history), from the file
 * named by `-<name>-file`, without its trailing newline.
 */
function secretFlag(flags: FlagValues, name: string): string | undefined {
  const inline = flags[name] as string | undefined;
  const file = flags[`${name}-file`] as string | undefined;
  if (file === undefined) return inline;
  if (inline !== undefined) throw new UsageError(`use -${name} or -${name}-file, not both`);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(
      `-${name}-file: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  const value = text.replace(/[\r\n]+$/, "");
  if (!value) throw new UsageError(`-${name}-file: ${file} is empty`);
  return value;
}

/** -auth-type as given; without it, -secret-file implies jwt (it has no other use). */
function authType(flags: FlagValues): unknown {
  return flags["auth-type"] ?? (flags["secret-file"] !== undefined ? "jwt" : "none");
}

function authHeaders(flags: FlagValues): Record<string, string> {
  const type = authType(flags);
  if (type === "none") return {};
  const user = (flags.user as string | undefined) ?? "";
  if (type === "basic") {
    if (!user) throw new UsageError("-auth-type basic needs -user");
    return {
      authorization: "Basic " + Buffer.from(`${user}:${secretFlag(flags, "pwd") ?? ""}`).toString("base64"),
    };
  }
  if (type === "jwt") {
    const secret = secretFlag(flags, "secret");
    if (!secret) throw new UsageError("-auth-type jwt needs -secret-file or -secret");
    return { authorization: "Bearer " + signJwt({ username: user }, secret, 60) };
  }
  throw new UsageError(`invalid -auth-type: ${String(type)} (expected none, basic or jwt)`);
}

/** What to try next after a failure that the flags, not the cluster, probably caused. */
function hint(e: unknown, flags: FlagValues): string {
  if (e instanceof HttpStatusError && e.status === 401 && authType(flags) === "none")
    return " (the cluster requires credentials: -auth-type jwt -secret-file FILE)";
  if (e instanceof UnreachableError && e.code === "ECONNREFUSED" && /:8084$/.test(new URL(e.url).host))
    return " (no admin service there; a meta node's API listens on 8091: -bind host:8091)";
  if (e instanceof UnreachableError && e.code === "ECONNRESET" && !flags["bind-tls"])
    return " (if the admin service uses HTTPS, add -bind-tls)";
  if (e instanceof UnreachableError && /does not speak HTTPS/.test(e.message))
    return " (it serves plain HTTP: drop -bind-tls)";
  if (e instanceof UnreachableError && /certificate not trusted/.test(e.message))
    return " (trust its CA with NODE_EXTRA_CA_CERTS=ca.pem, or skip verification with -k)";
  return "";
}

export async function main(argv: string[]): Promise<number> {
  const err = (text: string) => process.stderr.write(text + "\n");
  if (["-h", "--help", "-help"].includes(argv[0] ?? "")) {
    process.stdout.write(HELP + "\n");
    return 0;
  }
  let global;
  try {
    global = parseFlags(argv, GLOBAL_FLAGS);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(usageLine("influxd-ctl", e.message, "influxd-ctl -h"));
    return 2;
  }
  const [name, ...rest] = global.rest;
  if (global.flags.h) {
    process.stdout.write(HELP + "\n");
    return 0;
  }
  if (name === undefined || name === "help" || name === "-h" || name === "--help" || name === "-help") {
    const asked = name !== undefined;
    (asked ? process.stdout : process.stderr).write(HELP + "\n");
    return asked ? 0 : 2;
  }
  if (name === "version") {
    process.stdout.write(`influxd-ctl ${VERSION}\n`);
    return 0;
  }
  // Own properties only: "valueOf" is not a command.
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    err(`influxd-ctl: unknown command "${name}"${suggestion(name)}\nRun 'influxd-ctl help' for usage.`);
    return 2;
  }
  if (rest.some((a) => a === "-h" || a === "--help" || a === "-help")) {
    process.stdout.write(usageOf(name) + "\n");
    return 0;
  }
  let parsed;
  let headers: Record<string, string>;
  try {
    parsed = parseInterspersed(rest, command.flags);
    const [min, max] = typeof command.arity === "number" ? [command.arity, command.arity] : command.arity;
    if (parsed.rest.length < min) throw new UsageError(`missing argument ${command.args}`);
    if (parsed.rest.length > max) throw new UsageError(`unexpected argument "${parsed.rest[max]}"`);
    headers = authHeaders(global.flags);
    if (!(API_CHOICES as readonly string[]).includes(global.flags.api as string))
      throw new UsageError(`invalid -api "${String(global.flags.api)}" (expected auto, admin or meta)`);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(usageLine(name, misplacedGlobal(e.message), `influxd-ctl ${name} -h`));
    return 2;
  }
  const access: PeerAccess = global.flags["bind-tls"]
    ? { scheme: "https", tls: { rejectUnauthorized: !global.flags.k }, headers: () => headers }
    : { scheme: "http", headers: () => headers };
  try {
    const api = connectOnFirstUse({
      bind: global.flags.bind as string,
      api: global.flags.api as ApiChoice,
      access,
      timeoutMs: global.flags.timeout as number,
      onNote: (note) => err(`influxd-ctl: ${note}`),
    });
    await command.run(
      {
        api,
        bind: global.flags.bind as string,
        json: Boolean(global.flags.json),
        out: (t) => process.stdout.write(t + "\n"),
        access,
        timeoutMs: global.flags.timeout as number,
      },
      parsed.flags,
      parsed.rest,
    );
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      err(usageLine(name, e.message, `influxd-ctl ${name} -h`));
      return 2;
    }
    const message = e instanceof HttpStatusError ? e.message : (e as Error).message;
    err(`${name}: ${message}${hint(e, global.flags)}`);
    return 1;
  }
}
