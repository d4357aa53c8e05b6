// Loaded into each influxd by the meta benchmark only (node --import): prints every garbage
// collection as `gc <epoch ms at start> <pause ms> <kind>` on stdout, the node's log file, so
// the benchmark can tell which slow requests met a collection. A PerformanceObserver costs one
// entry per collection; influxd itself never loads this.
import { PerformanceObserver, performance } from "node:perf_hooks";

new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const start = (performance.timeOrigin + e.startTime).toFixed(3);
    process.stdout.write(`gc ${start} ${e.duration.toFixed(3)} ${e.detail?.kind ?? 0}\n`);
  }
}).observe({ entryTypes: ["gc"] });
