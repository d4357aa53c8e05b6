// Random command lines for influxd-ctl and influxd: exit code 0, 1 or 2; errors are one line
// `<command>: <message>` (usage errors add the usage block); never a stack trace. The flag parser
// in process for many cases, then the real executable for a modest number.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { parseFlags, UsageError, type FlagSpecs } from "../../src/util/flags.ts";
import { BIN } from "../support/cluster.ts";
import { hostileString } from "../support/hostile-inputs.ts";

const home = mkdtempSync(join(tmpdir(), "cli-fuzz-"));
after(() => rmSync(home, { recursive: true, force: true }));

/** Nothing listens there: every request the CLI makes is refused at once. */
const NOWHERE = "127.0.0.1:1";
const COMMANDS = [
  "show",
  "add-meta",
  "remove-meta",
  "add-data",
  "remove-data",
  "update-data",
  "leave",
  "join",
];

const flagToken = (names: string[]) =>
  fc
    .tuple(
      fc.constantFrom(...names),
      fc.constantFrom("-", "--"),
      fc.option(fc.constantFrom("", "true", "0", "x", "1s")),
    )
    .map(([name, dashes, inline]) => (inline === null ? `${dashes}${name}` : `${dashes}${name}=${inline}`));
const valueToken = fc.oneof(
  fc.constantFrom(NOWHERE, "node1:8091", "[::1]:1", "-1s", "0s", "abc", "1e3s", "", " ", "-", "--", "true"),
  hostileString(30),
);

/** Random influxd-ctl command lines; -bind and -timeout always point nowhere and stay short. */
const ctlArgv = fc
  .tuple(
    fc.array(
      fc.oneof(
        flagToken(["bind-tls", "k", "json", "auth-type", "user", "pwd", "secret", "nope"]),
        valueToken,
      ),
      {
        maxLength: 3,
      },
    ),
    fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...COMMANDS, "version", "help") }, valueToken),
    fc.array(fc.oneof(flagToken(["force", "tcpAddr", "y", "http", "h", "help", "bind", "zz"]), valueToken), {
      maxLength: 5,
    }),
  )
  .map(([globals, command, rest]) => [
    "-bind",
    NOWHERE,
    "-timeout",
    "2s",
    // A random global flag cannot move -bind elsewhere: only the ones above are generated.
    ...globals.filter((g) => !/^--?(bind|timeout)\b/.test(g)),
    command,
    ...rest,
  ]);

function assertCliOutput(
  program: string,
  argv: string[],
  code: number,
  stdout: string,
  stderr: string,
): void {
  const what = `${program} ${JSON.stringify(argv)} → ${code}\nstdout: ${stdout.slice(0, 300)}\nstderr: ${stderr.slice(0, 600)}`;
  assert.ok([0, 1, 2].includes(code), what);
  for (const out of [stdout, stderr]) assert.doesNotMatch(out, /^\s+at .+[:(]\d+/m, `a stack trace: ${what}`);
  const prefix = /^([\w-]+): /.exec(stderr)?.[1];
  if (code === 1) {
    // One line naming the command (or the program, before a command is known).
    assert.match(stderr, /^[\w-]+: [^\n]+\n$/, what);
    assert.ok(prefix === program || COMMANDS.includes(prefix!) || prefix === "influxd", what);
  } else if (code === 2) {
    // The message line, then the usage (or where to find it); or the whole help when no
    // command was given.
    assert.ok(/^[\w-]+: [^\n]+\n/.test(stderr) || stderr.startsWith(`${program} `), what);
    assert.match(stderr, /Usage:|\nRun '[\w-]+ help' for usage\.\n$|\(see '[\w -]+'\)\n$/, what);
  } else {
    assert.ok(stdout.length > 0, what);
  }
}

test("the flag parser: a Parsed result or a UsageError, values of the declared kind, the rest a suffix", () => {
  const specs: FlagSpecs = {
    name: { kind: "string", help: "", default: "d" },
    force: { kind: "bool", help: "", aliases: ["f"] },
    timeout: { kind: "duration", help: "", default: 1000 },
  };
  const token = fc.oneof(flagToken(["name", "force", "f", "timeout", "other", ""]), valueToken);
  fc.assert(
    fc.property(fc.array(token, { maxLength: 8 }), (argv) => {
      let parsed;
      try {
        parsed = parseFlags(argv, specs);
      } catch (err) {
        assert.ok(err instanceof UsageError, String(err));
        assert.match(err.message, /flag/);
        return;
      }
      assert.equal(typeof parsed.flags.name, "string");
      assert.ok(parsed.flags.force === undefined || typeof parsed.flags.force === "boolean");
      assert.ok(Number.isFinite(parsed.flags.timeout));
      assert.deepEqual(parsed.rest, argv.slice(argv.length - parsed.rest.length));
    }),
    { numRuns: 2000, includeErrorInReport: true },
  );
});

/** influxd-ctl's main in one child process (ctl-fuzz-worker.ts), many command lines over IPC. */
const worker = fork(fileURLToPath(new URL("./ctl-fuzz-worker.ts", import.meta.url)), [], {
  execArgv: ["--import", "tsx"],
  env: { ...process.env, HOME: home },
  stdio: ["pipe", "ignore", "inherit", "ipc"],
});
after(() => worker.kill());
let jobs = 0;
function ctlInProcess(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const id = ++jobs;
  return new Promise((resolve, reject) => {
    const onMessage = (m: { id: number; code: number; stdout: string; stderr: string }) => {
      if (m.id !== id) return;
      worker.off("message", onMessage);
      worker.off("exit", onExit);
      resolve(m);
    };
    const onExit = (code: number) =>
      reject(new Error(`the ctl worker exited with ${code} on ${JSON.stringify(argv)}`));
    worker.on("message", onMessage);
    worker.once("exit", onExit);
    worker.send({ id, argv });
  });
}

test("influxd-ctl in one process: exit 0, 1 or 2, one-line errors naming the command, never a stack trace", async () => {
  await fc.assert(
    fc.asyncProperty(ctlArgv, async (argv) => {
      const { code, stdout, stderr } = await ctlInProcess(argv);
      assertCliOutput("influxd-ctl", argv, code, stdout, stderr);
    }),
    { numRuns: 300, includeErrorInReport: true },
  );
});

/** A process's arguments cannot carry NUL (the OS ends the string there). */
const withoutNul = (argv: string[]) => argv.map((a) => a.replaceAll("\0", ""));

function run(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { encoding: "utf8", timeout: 20_000, cwd: home, env },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: number; killed?: boolean }) | null;
        assert.ok(!e?.killed, `${JSON.stringify(args)} hung`);
        done({ code: e ? (e.code ?? -1) : 0, stdout, stderr });
      },
    );
    child.stdin?.end();
  });
}

test("the influxd-ctl executable: the same, for a modest number of command lines", async () => {
  await fc.assert(
    fc.asyncProperty(ctlArgv.map(withoutNul), async (argv) => {
      const { code, stdout, stderr } = await run(["ctl", ...argv], { ...process.env, HOME: home });
      assertCliOutput("influxd-ctl", argv, code, stdout, stderr);
    }),
    { numRuns: 12, includeErrorInReport: true },
  );
});

test("the influxd executable: exit 0, 1 or 2 and one-line errors, never a stack trace (and never a daemon)", async () => {
  const influxdArgv = fc
    .tuple(
      fc.oneof(fc.constantFrom("run", "config", "version", "help", "-h"), valueToken),
      fc.array(
        fc.oneof(
          flagToken(["config", "hostname", "join", "h", "nope"]),
          fc.constantFrom(join(home, "missing.conf"), "/dev/null", home, "/etc/passwd"),
          valueToken,
        ),
        { maxLength: 5 },
      ),
    )
    .map(([sub, rest]) => [sub, ...rest]);
  // An invalid environment value makes every configuration fail to load, so no command line can
  // start a node, whatever flags it carries.
  const env = { ...process.env, HOME: home, INFLUXDB_META_ELECTION_TIMEOUT: "not-a-duration" };
  await fc.assert(
    fc.asyncProperty(influxdArgv.map(withoutNul), async (argv) => {
      const { code, stdout, stderr } = await run(["influxd", ...argv], env);
      assertCliOutput("influxd", argv, code, stdout, stderr);
    }),
    { numRuns: 12, includeErrorInReport: true },
  );
});
