// influxd-ctl's command line as users type it: flags after the arguments work, a usage error is
// one line with a suggestion and where the usage is (never the 40-line help).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";

const BIN = resolve("bin/influx-cluster.js");

function ctl(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, "ctl", "-bind", "127.0.0.1:1", "-timeout", "1s", ...args], {
    encoding: "utf8",
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test("flags after the argument are flags: remove-meta ADDR -y reaches the cluster", () => {
  const r = ctl("remove-meta", "127.0.0.1:2", "-y");
  // Parsed: the command ran and met the dead -bind (exit 1), not a usage error (exit 2).
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /^remove-meta: .*connection refused/);
  const forced = ctl("remove-meta", "127.0.0.1:2", "-force", "-tcpAddr", "127.0.0.1:3", "-y");
  assert.equal(forced.code, 1, forced.err);
});

test("usage errors are one line with a suggestion", () => {
  const cases: [string[], string][] = [
    [
      ["-bnd", "x", "show"],
      "influxd-ctl: flag provided but not defined: -bnd; did you mean -bind? (see 'influxd-ctl -h')",
    ],
    [
      ["remove-meta", "a:1", "-yy"],
      "remove-meta: flag provided but not defined: -yy; did you mean -y? (see 'influxd-ctl remove-meta -h')",
    ],
    [
      ["show", "-json"],
      "show: -json is a global flag: put it before the command (influxd-ctl -json … <command>) (see 'influxd-ctl show -h')",
    ],
    [["leave", "x"], `leave: unexpected argument "x" (see 'influxd-ctl leave -h')`],
  ];
  for (const [args, line] of cases) {
    const r = ctl(...args);
    assert.equal(r.code, 2, args.join(" "));
    assert.equal(r.err, line + "\n", args.join(" "));
  }
});
