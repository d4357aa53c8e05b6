// A flooding client in its own process, so that its work does not slow the benchmark's own
// measurements (the /ping latency it records). Bounded: it runs for `durationMs`, on the given
// loopback URLs only, with `concurrency` requests in flight, then prints the answers it got by
// status as JSON on stdout.
//   node flood-client.mjs '{"urls":[...],"method":"POST","bodyFile":"...","concurrency":8,"durationMs":15000}'
// A URL may hold "{n}", replaced by a counter (a different wrong password each time).
import http from "node:http";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

const spec = JSON.parse(process.argv[2]);
for (const url of spec.urls) {
  const host = new URL(url.replace("{n}", "0")).hostname;
  if (!/^127\.|^localhost$|^\[::1\]$/.test(host)) throw new Error(`not a loopback address: ${host}`);
}
const body = spec.bodyFile ? readFileSync(spec.bodyFile) : undefined;
const agent = new http.Agent({ keepAlive: true, maxSockets: spec.concurrency });
const until = performance.now() + spec.durationMs;
const answers = {};
let n = 0;

function once(url) {
  return new Promise((resolve) => {
    const req = http.request(
      url.replace("{n}", String(n++)),
      {
        method: spec.method ?? "GET",
        agent,
        headers: body ? { "content-type": "application/json", "content-length": body.length } : {},
        timeout: 30_000,
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(String(res.statusCode)));
        res.on("error", () => resolve("error"));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve("error"));
    req.end(body);
  });
}

await Promise.all(
  Array.from({ length: spec.concurrency }, async (_, w) => {
    for (let k = w; performance.now() < until; k++) {
      const status = await once(spec.urls[k % spec.urls.length]);
      answers[status] = (answers[status] ?? 0) + 1;
    }
  }),
);
agent.destroy();
process.stdout.write(JSON.stringify(answers) + "\n");
