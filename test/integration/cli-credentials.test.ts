// The built `wschan` command given a URL with user:pass@: the server gets them as Authorization,
// the terminal and the --json open event never show them. `npm test` builds dist/ first.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import t from "tap";
import { startWsPeer } from "../helpers/ws-server.js";

t.setTimeout(30_000);

const root = fileURLToPath(new URL("../../", import.meta.url));
const MAIN = join(root, "dist/cli/main.js");
if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" first (npm test does)`);
const childEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(TAP|_TAPJS|NODE_OPTIONS$)/.test(k)),
);

/** Runs the CLI with empty stdin (it connects, then closes with 1000) and collects its output. */
function cli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: root, env: childEnv });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  child.stdin.on("error", () => {});
  child.stdin.end();
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

t.test("the connect line and the --json open event show the URL without credentials", async (t) => {
  const authorizations: (string | undefined)[] = [];
  const peer = await startWsPeer();
  peer.server.on("connection", (_ws, request) => {
    authorizations.push(request.headers.authorization);
  });
  t.teardown(() => peer.close());
  const port = new URL(peer.url).port;
  const url = `ws://alice:s3cret@127.0.0.1:${port}/room`;
  const plain = await cli([url]);
  t.equal(plain.code, 0);
  t.match(plain.stderr, `127.0.0.1:${port}/room`, "the connect line names the server");
  t.notMatch(plain.stderr + plain.stdout, /s3cret|alice/, "and not the credentials");
  const json = await cli(["--json", url]);
  t.equal(json.code, 0);
  const open = json.stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .find((e) => e.event === "open");
  t.equal(open?.url, `ws://127.0.0.1:${port}/room`);
  t.notMatch(json.stdout + json.stderr, /s3cret|alice/);
  const expected = `Basic ${Buffer.from("alice:s3cret").toString("base64")}`;
  t.same(authorizations, [expected, expected], "the server got them both times");
});
