import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import t from "tap";

// Every TypeScript snippet of README.md and docs/*.md, and every file of examples/, is compiled as
// a user would compile it: against the built package (its exports map and .d.ts), under `strict`
// with `exactOptionalPropertyTypes` and `noUncheckedIndexedAccess`, without casts.
const root = fileURLToPath(new URL("../../", import.meta.url));
t.setTimeout(120_000);

/** Names the snippets use without defining them, as a reader's surrounding program would. */
const GLOBALS = `declare const token: string;
declare const url: string;
declare const bytes: Uint8Array;
declare let client: import("wschan").Client;
declare const fs: typeof import("node:fs");
declare function handle(value: unknown): void;
declare function updatePrice(symbol: string, value: number): void;
declare const server: import("wschan/testing").TestServer;
declare const conn: import("wschan/testing").TestConnection;
declare const frame: typeof import("wschan/testing").frame;
`;

function snippets(file: string): string[] {
  const text = readFileSync(join(root, file), "utf8");
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

/** A cast, a non-null assertion or an `any`, outside comments: what the types should make unnecessary. */
function escapes(code: string): string[] {
  const found: string[] = [];
  for (const line of code.split("\n")) {
    const bare = line.replace(/(^|\s)\/\/.*$/, "");
    if (/^\s*import\b/.test(bare)) continue; // `import * as x` renames, it does not cast
    if (/\bas\s+(?!const\b)[\w{[(]/.test(bare)) found.push(line.trim());
    else if (/[\w)\]]!(\.|\)|;|,)/.test(bare)) found.push(line.trim());
    else if (/:\s*any\b|<any>/.test(bare)) found.push(line.trim());
  }
  return found;
}

t.test(
  "README, docs and examples compile under --strict with exactOptionalPropertyTypes, without casts, and the types refuse what they should",
  async (t) => {
    if (!existsSync(join(root, "dist/index.d.ts"))) {
      t.fail("dist/index.d.ts is missing: run npm run build first");
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), "wschan-snippets-"));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, "node_modules/@types"), { recursive: true });
    symlinkSync(root, join(dir, "node_modules/wschan"), "dir");
    for (const dep of ["ws", "@types/node", "@types/ws", "@opentelemetry/api", "graphql-ws", "graphql"]) {
      mkdirSync(join(dir, "node_modules", dep, ".."), { recursive: true });
      symlinkSync(join(root, "node_modules", dep), join(dir, "node_modules", dep), "dir");
    }
    writeFileSync(join(dir, "package.json"), '{ "type": "module", "private": true }\n');
    writeFileSync(join(dir, "globals.d.ts"), GLOBALS);

    const files: string[] = ["globals.d.ts"];
    const docs = [
      "README.md",
      ...readdirSync(join(root, "docs"))
        .filter((f) => f.endsWith(".md"))
        .map((f) => `docs/${f}`),
    ];
    let count = 0;
    for (const doc of docs) {
      snippets(doc).forEach((code, i) => {
        // A whole test file shown in the docs is compiled and run as such: docs/testing.md's
        // example is test/examples/chat-testing.test.ts, which checks the copy word for word.
        if (/^import t from "tap";$/m.test(code)) return;
        count++;
        for (const line of escapes(code))
          t.fail(`${doc} snippet ${i + 1} needs a cast or assertion: ${line}`);
        const name = `${doc.replace(/[/.]/g, "_")}_${i + 1}.ts`;
        const source = /from "wschan"/.test(code) ? code : `import * as websocket from "wschan";\n${code}`;
        writeFileSync(join(dir, name), `${source}\nexport {};\n`);
        files.push(name);
      });
    }
    t.ok(count >= 10, `${count} snippets found in ${docs.length} pages`);

    mkdirSync(join(dir, "examples"));
    for (const file of readdirSync(join(root, "examples")).filter((f) => f.endsWith(".ts"))) {
      const code = readFileSync(join(root, "examples", file), "utf8");
      for (const line of escapes(code)) t.fail(`examples/${file} needs a cast or assertion: ${line}`);
      writeFileSync(join(dir, "examples", file), code.replaceAll('"../src/index.js"', '"wschan"'));
      files.push(`examples/${file}`);
    }

    writeFileSync(
      join(dir, "type-checks.ts"),
      readFileSync(join(root, "test/docs/type-checks.ts.txt"), "utf8"),
    );
    files.push("type-checks.ts");

    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          lib: ["ES2022"],
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          skipLibCheck: false,
          noEmit: true,
          types: ["node"],
        },
        files,
      }),
    );
    let output = "";
    let status = 0;
    try {
      execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", dir], {
        encoding: "utf8",
        timeout: 100_000,
      });
    } catch (error) {
      const failed = error as { status: number; stdout: string };
      status = failed.status;
      output = failed.stdout;
    }
    t.equal(status, 0, "tsc accepts every snippet and example");
    if (output) t.comment(output);
  },
);

t.test("the published .d.ts files expose no internals", async (t) => {
  const declarations: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".d.ts")) declarations.push(path);
    }
  };
  walk(join(root, "dist"));
  t.ok(declarations.length > 10, `${declarations.length} declaration files`);
  for (const file of declarations) {
    const text = readFileSync(file, "utf8");
    const name = file.slice(root.length);
    t.notMatch(text, /ChannelCore/, `${name}: no ChannelCore`);
    t.notMatch(
      text,
      /static core|static open|ClientInit/,
      `${name}: no way to reach a channel's core or make a Client`,
    );
    t.notMatch(text, /^\s*constructor\((init|core)/m, `${name}: no public Client or Channel constructor`);
  }
});
