/**
 * Runs influxd-ctl's main in a child process for the CLI fuzz test, many command lines per
 * process: the parent sends `{ id, argv }` over IPC and gets back the exit code and what main
 * wrote. Capturing process.stdout in the test process itself would swallow the test runner's
 * own reports.
 */
import { main } from "../../src/ctl/cli.ts";

interface Job {
  id: number;
  argv: string[];
}

let stdout = "";
let stderr = "";
process.stdout.write = ((chunk: string | Uint8Array) => (
  (stdout += String(chunk)),
  true
)) as typeof process.stdout.write;
process.stderr.write = ((chunk: string | Uint8Array) => (
  (stderr += String(chunk)),
  true
)) as typeof process.stderr.write;

// One job at a time: the parent awaits each answer before it sends the next.
process.on("message", (job: Job) => {
  stdout = "";
  stderr = "";
  main(job.argv).then(
    (code) => process.send!({ id: job.id, code, stdout, stderr }),
    (err: Error) => process.send!({ id: job.id, code: -1, stdout, stderr: stderr + String(err.stack) }),
  );
});
