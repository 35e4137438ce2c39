import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import t from "tap";

// `npm run docs` generates the API reference from the doc comments with TypeDoc (typedoc.json:
// warnings are errors). Built here into a temporary directory, so a broken link, an exported
// type that refers to an unexported one, or a doc comment TypeDoc cannot read fails the tests.
const root = fileURLToPath(new URL("../../", import.meta.url));
t.setTimeout(120_000);

t.test("the TypeDoc API reference builds without warnings", async (t) => {
  const out = mkdtempSync(join(tmpdir(), "wschan-typedoc-"));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  let output = "";
  let status = 0;
  try {
    output = execFileSync(process.execPath, [join(root, "node_modules/typedoc/bin/typedoc"), "--out", out], {
      cwd: root,
      encoding: "utf8",
      timeout: 100_000,
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    const failed = error as { status: number; stdout: string; stderr: string };
    status = failed.status;
    output = `${failed.stdout}${failed.stderr}`;
  }
  t.equal(status, 0, "typedoc exits 0");
  t.notMatch(output, /warning|error/i, "and prints no warning or error");
  if (status !== 0) t.comment(output);
  t.ok(existsSync(join(out, "index.html")), "index.html was written");
  t.ok(existsSync(join(out, "functions/index.chan.html")), "the reference has a page for chan()");
  t.ok(existsSync(join(out, "classes/web.WebSocket.html")), "and for wschan/web's WebSocket");
  t.ok(existsSync(join(out, "classes/testing.TestServer.html")), "and for wschan/testing's TestServer");
});
