// Runs the built `wschan` command (dist/cli/main.js) as a child process with piped stdio.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const MAIN = join(ROOT, "dist/cli/main.js");

/** Throws unless dist/ was built (npm test builds it before tap runs). */
export function requireBuild(): void {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" first (npm test does)`);
}

/** The environment of the child: ours without tap's variables or the CLI's own. */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^(TAP|_TAPJS|NODE_OPTIONS$|WSCHAN_)/.test(k)),
    ),
    ...extra,
  };
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  /** stdout as bytes, for --raw. */
  readonly bytes: Buffer;
  readonly stderr: string;
  readonly ms: number;
}

export interface RunningCli {
  readonly child: ChildProcessWithoutNullStreams;
  readonly result: Promise<CliResult>;
}

/**
 * Starts `node dist/cli/main.js ...args`; `input` is written to stdin and stdin ended (left open
 * when undefined). The child is killed after `limitMs` so that no test can hang.
 */
export function startCli(
  args: readonly string[],
  input?: string | Buffer,
  env: NodeJS.ProcessEnv = childEnv(),
  limitMs = 120_000,
): RunningCli {
  const began = Date.now();
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, env });
  const out: Buffer[] = [];
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    stderr += chunk;
  });
  child.stdin.on("error", () => {}); // the child may exit before reading everything
  if (input !== undefined) child.stdin.end(input);
  const limit = setTimeout(() => child.kill("SIGKILL"), limitMs);
  const result = new Promise<CliResult>((resolve) => {
    child.on("close", (code) => {
      clearTimeout(limit);
      const bytes = Buffer.concat(out);
      resolve({ code, stdout: bytes.toString("utf8"), bytes, stderr, ms: Date.now() - began });
    });
  });
  return { child, result };
}

export function runCli(
  args: readonly string[],
  input?: string | Buffer,
  env?: NodeJS.ProcessEnv,
): Promise<CliResult> {
  return startCli(args, input, env).result;
}
