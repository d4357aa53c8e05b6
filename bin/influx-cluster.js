#!/usr/bin/env node
// Entry point of every bin name (influx-cluster, influxd, influxd-ctl, influxd_ctl).
// dist/ is built by `npm install` (the prepare script) or `npm run build`.
import { existsSync } from "node:fs";

// React (the TUI) reads this when it loads: its development build is several times slower and
// keeps performance entries it never frees.
process.env.NODE_ENV ??= "production";

const main = new URL("../dist/main.js", import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(
    "influx-cluster: dist/main.js is missing; run `npm install` or `npm run build` first\n",
  );
  process.exit(1);
}
const { run } = await import(main.href);
const code = await run(process.argv[1], process.argv.slice(2));
// Commands that keep serving (influxd, the TUI) resolve only when they are done.
process.exitCode = code;
