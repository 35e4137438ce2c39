#!/usr/bin/env node
// The `wschan` command (the package's `bin`): see `wschan --help`.
import { run } from "./run.js";

/** Exits once what was written to stdout and stderr has been handed to the OS. */
function exitAfterFlush(code: number): void {
  process.stdout.on("error", () => {}); // a reader that went away must not turn into a crash here
  let waiting = 2;
  const done = (): void => {
    if (--waiting === 0) process.exit(code);
  };
  process.stdout.write("", done);
  process.stderr.write("", done);
}

const code = await run(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  exit: (code) => process.exit(code),
});
process.exitCode = code;
// Standard input may still hold the event loop (a terminal, or a pipe nobody closed): leave anyway.
exitAfterFlush(code);
