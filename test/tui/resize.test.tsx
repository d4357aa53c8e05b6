// The whole App on a terminal double with a real size: it follows resizes, never draws taller
// than rows-1, shows "too small", and reports an admin service that does not answer.
import { test } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { createServer } from "node:net";
import { render } from "ink";
import { AdminClient } from "../../src/client/admin-client.ts";
import { App } from "../../src/tui/components/App.tsx";
import { silentLogger } from "../../src/tui/log.ts";
import { noColorTheme } from "../../src/tui/theme.ts";
import { lines, plain, widest } from "./frame.ts";
import { settle } from "./harness.tsx";
import { waitUntil } from "./wait.ts";

class TerminalDouble extends EventEmitter {
  isTTY = true;
  last = "";
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write = (frame: string) => {
    this.last = frame;
    return true;
  };
  resize(columns: number, rows: number) {
    this.columns = columns;
    this.rows = rows;
    this.emit("resize");
  }
}

class StdinDouble extends EventEmitter {
  isTTY = true;
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read = () => null;
}

/** A loopback port nobody listens on: the admin service is "down", for real. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

test("the app follows resizes, stays inside the terminal, and shows an unreachable admin service", async () => {
  const bind = `127.0.0.1:${await closedPort()}`;
  const stdout = new TerminalDouble(100, 30);
  const instance = render(
    <App
      admin={new AdminClient({ bind, timeoutMs: 500 })}
      intervalMs={200}
      timeoutMs={200}
      theme={noColorTheme}
      readOnly={null}
      context={{ bind, profileName: null, logFile: null }}
      logger={silentLogger()}
    />,
    {
      stdout: stdout as unknown as NodeJS.WriteStream,
      stdin: new StdinDouble() as unknown as NodeJS.ReadStream,
      debug: true,
      exitOnCtrlC: false,
      patchConsole: false,
    },
  );
  try {
    await waitUntil("the admin error", () => /unreachable: connection refused/.test(plain(stdout.last)));
    assert.match(plain(stdout.last), new RegExp(`admin service ${bind} unreachable: connection refused`));
    assert.equal(lines(stdout.last).length, 29, "a full frame is rows-1 lines");
    for (const [columns, rows] of [
      [45, 12],
      [120, 40],
      [60, 10],
    ]) {
      stdout.resize(columns, rows);
      await settle(30);
      assert.ok(widest(stdout.last) <= columns, `width at ${columns}x${rows}`);
      assert.equal(lines(stdout.last).length, rows - 1, `height at ${columns}x${rows}`);
    }
    stdout.resize(30, 8);
    await settle(30);
    assert.match(plain(stdout.last).replace(/\n/g, " "), /Terminal too small: 30x8, need at least 40x10/);
  } finally {
    instance.unmount();
  }
});
