// docs/errors.md is the reference users read: every identifier is in it, with the kind, retry
// rule and close code the one table in src/errors gives it.
import { readFileSync } from "node:fs";
import t from "tap";
import { ERROR_IDS, type ErrorId, failure } from "../../src/errors/errors.js";

const doc = readFileSync(new URL("../../docs/errors.md", import.meta.url), "utf8");
const rows = new Map<string, string[]>();
for (const line of doc.split("\n")) {
  const cells = line.split("|").map((c) => c.trim());
  const id = /^`([A-Z_0-9]+)`$/.exec(cells[1] ?? "")?.[1];
  if (id !== undefined) rows.set(id, cells.slice(2, 5));
}

t.test("every identifier is documented with its kind, retry rule and close code", async (t) => {
  for (const [id, entry] of Object.entries(ERROR_IDS) as [
    ErrorId,
    { kind: string; retryable: boolean; close?: number },
  ][]) {
    const row = rows.get(id);
    if (row === undefined) {
      t.fail(`${id} is missing from docs/errors.md`);
      continue;
    }
    const [kind, retryable, close] = row as [string, string, string];
    t.equal(kind, entry.kind, `${id}: kind`);
    t.match(retryable, entry.retryable ? /yes/ : /^no$|yes/, `${id}: retryable`);
    if (!entry.retryable && id !== "HANDSHAKE_STATUS") t.equal(retryable, "no", `${id}: not retryable`);
    t.equal(close, entry.close === undefined ? "" : String(entry.close), `${id}: close code`);
  }
  for (const id of rows.keys()) t.ok(id in ERROR_IDS, `docs/errors.md lists ${id}, which exists`);
});

t.test(
  "failure() takes kind, retry rule and close code from the table, and keeps what it is given",
  async (t) => {
    const e = failure("MESSAGE_TOO_LARGE", "too big");
    t.match(e, {
      name: "WebSocketError",
      id: "MESSAGE_TOO_LARGE",
      kind: "INTERNAL",
      retryable: false,
      code: 1009,
    });
    const status = failure("HANDSHAKE_STATUS", "503", { status: 503, retryable: true });
    t.match(status, { id: "HANDSHAKE_STATUS", retryable: true, status: 503, code: undefined });
    const cause = new Error("ECONNRESET");
    t.equal(failure("CONNECTION_RESET", "lost", { cause }).cause, cause);
  },
);
