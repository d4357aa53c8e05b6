/**
 * A raw TCP HTTP client for what a well-behaved client never does: declare a body it does not
 * send, trickle headers, stall mid-body. It reports what the server did and when.
 */

import { connect, type Socket } from "node:net";

export interface RawOutcome {
  /** Status of the first response, or undefined when the server closed without answering. */
  status?: number;
  /** Everything the server sent. */
  text: string;
  /** Milliseconds from connect until the first response bytes, or until the close. */
  answeredAfterMs: number;
  /** Whether the server closed (or reset) the connection. */
  closed: boolean;
}

export interface RawClient {
  socket: Socket;
  write(data: string | Uint8Array): boolean;
  /** Resolves once the server answered or closed; fails the test after `deadlineMs`. */
  outcome(deadlineMs: number): Promise<RawOutcome>;
  destroy(): void;
}

export function rawConnect(addr: string): Promise<RawClient> {
  const [host, port] = [addr.slice(0, addr.lastIndexOf(":")), Number(addr.slice(addr.lastIndexOf(":") + 1))];
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const started = performance.now();
    let text = "";
    let firstByteMs: number | undefined;
    let closed = false;
    const waiters: (() => void)[] = [];
    const wake = () => waiters.splice(0).forEach((w) => w());
    socket.on("data", (chunk) => {
      firstByteMs ??= performance.now() - started;
      text += chunk.toString("latin1");
      wake();
    });
    // A reset after our stalled upload is one of the ways a server cuts a client off.
    socket.on("error", () => undefined);
    socket.on("close", () => {
      closed = true;
      firstByteMs ??= performance.now() - started;
      wake();
    });
    socket.once("connect", () =>
      resolve({
        socket,
        write: (data) => !socket.destroyed && socket.write(data),
        destroy: () => socket.destroy(),
        outcome: (deadlineMs) =>
          new Promise((done, fail) => {
            const timer = setTimeout(
              () => fail(new Error(`the server neither answered nor closed within ${deadlineMs}ms`)),
              deadlineMs,
            );
            const check = () => {
              // A complete response (headers and the body they announce) or a close is an outcome.
              if (closed || complete(text)) {
                clearTimeout(timer);
                const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
                done({
                  status: m ? Number(m[1]) : undefined,
                  text,
                  answeredAfterMs: firstByteMs ?? performance.now() - started,
                  closed,
                });
              } else waiters.push(check);
            };
            check();
          }),
      }),
    );
    socket.once("error", reject);
  });
}

function complete(text: string): boolean {
  const split = text.indexOf("\r\n\r\n");
  if (split === -1) return false;
  const length = Number(/content-length: (\d+)/i.exec(text.slice(0, split))?.[1] ?? 0);
  return text.length - split - 4 >= length;
}

/** The JSON body of a raw response with Content-Length (the tests' servers always send one). */
export function rawJsonBody(text: string): unknown {
  const split = text.indexOf("\r\n\r\n");
  const head = text.slice(0, split);
  const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? NaN);
  return JSON.parse(text.slice(split + 4, split + 4 + length));
}
