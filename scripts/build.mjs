// Bundles src/ into dist/ with esbuild: one small entry plus lazily loaded chunks per command,
// so `influxd-ctl` starts without parsing React, Ink or the daemon.
import { build } from "esbuild";
import { rmSync } from "node:fs";

rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { main: "src/main.ts" },
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  sourcemap: "linked",
  jsx: "automatic",
  logLevel: "warning",
});
