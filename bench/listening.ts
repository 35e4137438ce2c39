import type { ChildProcess } from "node:child_process";

/**
 * Resolves with the match once a peer server started as `child` has printed `pattern` on its
 * standard output (its "listening <port>" line). Rejects if the child exits first, or after
 * `timeoutMs`.
 */
export function listening(
  child: ChildProcess,
  pattern: RegExp,
  timeoutMs = 60_000,
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(
      () => reject(new Error(`the peer server did not start within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = pattern.exec(out);
      if (match === null) return;
      clearTimeout(timer);
      resolve(match);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the peer server exited (${code})`));
    });
  });
}
