// The history file of interactive mode: read once at start, rewritten after each line entered.
// Failures to read or write it never stop a session: history is a convenience.
import { readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** Lines kept, in the file and in memory. */
export const HISTORY_SIZE = 500;

/** Where history is kept, or undefined when it is turned off (`--no-history`, `WSCHAN_NO_HISTORY`). */
export function historyPath(
  enabled: boolean,
  file: string | undefined,
  env: NodeJS.ProcessEnv,
): string | undefined {
  if (!enabled || (env.WSCHAN_NO_HISTORY ?? "") !== "") return undefined;
  return file ?? join(homedir(), ".wschan_history");
}

/** The lines of the file, newest first (readline's order); none when it cannot be read. */
export function loadHistory(path: string): string[] {
  try {
    const lines = readFileSync(path, "utf8")
      .split("\n")
      .filter((line) => line !== "");
    return lines.slice(-HISTORY_SIZE).reverse();
  } catch {
    return [];
  }
}

/** Writes `history` (newest first) to the file, oldest line first, readable by the user only. */
export function saveHistory(path: string, history: readonly string[]): void {
  try {
    const lines = history.slice(0, HISTORY_SIZE).reverse();
    writeFileSync(path, lines.length === 0 ? "" : `${lines.join("\n")}\n`, { mode: 0o600 });
  } catch {
    // A read-only home or a full disk: the session goes on without history.
  }
}
