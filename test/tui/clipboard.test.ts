// Copy: inside tmux the text lands in tmux's own paste buffer (checked with a real tmux server),
// screen gets it through readbuf, elsewhere OSC 52; a failure says nothing was copied.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { copyText, realCopyDeps, type CopyDeps } from "../../src/tui/clipboard.ts";

const dir = mkdtempSync(join(tmpdir(), "copy-test-"));
const socket = join(dir, "tmux.sock");
const tmux = (...args: string[]) =>
  execFileSync("tmux", ["-S", socket, "-f", "/dev/null", ...args], { encoding: "utf8" });
after(() => {
  try {
    tmux("kill-server");
  } catch {
    // not started
  }
  rmSync(dir, { recursive: true, force: true });
});

function recording(): CopyDeps & { runs: string[][]; written: string[] } {
  const runs: string[][] = [];
  const written: string[] = [];
  return {
    runs,
    written,
    run: (command, args) => {
      runs.push([command, ...args]);
      return null;
    },
    write: (s) => written.push(s),
  };
}

test("inside tmux: the address is in tmux's paste buffer (a real tmux server), and the message says so", () => {
  tmux("new-session", "-d", "-s", "copy", "sleep 60");
  const pid = tmux("display", "-p", "#{pid}").trim();
  const env = { ...process.env, TMUX: `${socket},${pid},0` };
  const written: string[] = [];
  const result = copyText(
    "127.0.0.1:8091",
    env,
    true,
    realCopyDeps((s) => written.push(s)),
  );
  assert.equal(result.ok, true, result.message);
  assert.equal(result.message, "copied 127.0.0.1:8091 to tmux's paste buffer (prefix ] pastes it)");
  assert.equal(tmux("show-buffer"), "127.0.0.1:8091");
});

test("tmux that cannot be reached: not copied, and said so with the address", () => {
  const env = { ...process.env, TMUX: `${join(dir, "no-such.sock")},1,0` };
  const result = copyText(
    "127.0.0.1:8091",
    env,
    true,
    realCopyDeps(() => undefined),
  );
  assert.equal(result.ok, false);
  assert.match(
    result.message,
    /^not copied: tmux load-buffer failed \(.+\); the address is 127\.0\.0\.1:8091$/,
  );
});

test("inside screen: readbuf into screen's paste buffer; outside: OSC 52; no terminal or TERM=dumb: not copied", () => {
  const screen = recording();
  const inScreen = copyText("a:1", { STY: "123.pts-0.host", TERM: "screen" }, true, screen);
  assert.equal(inScreen.ok, true);
  assert.equal(inScreen.message, "copied a:1 to screen's paste buffer (C-a ] pastes it)");
  assert.deepEqual(screen.runs[0].slice(0, 5), ["screen", "-S", "123.pts-0.host", "-X", "readbuf"]);
  assert.deepEqual(screen.written, [], "no OSC 52 inside screen: it would not pass");

  const plain = recording();
  const osc = copyText("a:1", { TERM: "xterm-256color" }, true, plain);
  assert.equal(osc.ok, true);
  assert.deepEqual(plain.written, [`\x1b]52;c;${Buffer.from("a:1").toString("base64")}\x07`]);

  for (const [env, tty] of [[{ TERM: "dumb" }, true] as const, [{ TERM: "xterm" }, false] as const]) {
    const deps = recording();
    const r = copyText("a:1", env, tty, deps);
    assert.equal(r.ok, false);
    assert.match(r.message, /^not copied: .*the address is a:1$/);
    assert.deepEqual([deps.runs, deps.written], [[], []]);
  }
});

test("screen that is not there: not copied, and the message says why", () => {
  const deps: CopyDeps = { run: () => "screen not found", write: () => undefined };
  const r = copyText("a:1", { STY: "1.x" }, true, deps);
  assert.equal(r.ok, false);
  assert.equal(r.message, "not copied: screen readbuf failed (screen not found); the address is a:1");
});
