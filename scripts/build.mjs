// Builds dist/ from src/: the ES module build (the library and the CLI) and a CommonJS build of
// the library in dist/cjs, for require() on Node versions that cannot require an ES module.
import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
// Stale files (a module since removed, old source maps) must not ship.
rmSync("dist", { recursive: true, force: true });
for (const project of ["tsconfig.build.json", "tsconfig.cjs.json"]) {
  execFileSync(process.execPath, [tsc, "-p", project], { stdio: "inherit" });
}
// The package is "type": "module"; this marks the .js files under dist/cjs as CommonJS.
writeFileSync("dist/cjs/package.json", '{ "type": "commonjs" }\n');
