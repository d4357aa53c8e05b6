import { pino, type Logger } from "pino";

/** Structured JSON lines on stdout (the daemon's log); `level` from [logging] level. */
export function createLogger(level: string, name = "influxd"): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination({ dest: 1, sync: true }));
}

export type { Logger };
