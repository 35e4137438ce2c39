/**
 * Autobahn|Testsuite client runner: the testee side of `wstest -m fuzzingserver`.
 *
 *   npx tsx autobahn/run.ts --url ws://127.0.0.1:9001 --agent wschan [--cases 1.1.1,2.*] [--reports DIR]
 *
 * Asks the server how many cases it has, runs each one by echoing every message back with its
 * type until the server closes, then asks the server to write its reports. See README.md.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { BINARY, type Client, type CloseInfo, connect, TEXT, WebSocketError } from "../src/index.js";
import { caseMatcher, endpoint, parseArgs, type RunOptions, USAGE } from "./args.js";
import { summarize } from "./summary.js";

/** The largest read_limit the client allows; Autobahn 9.x sends messages of up to 16 MiB. */
const READ_LIMIT = 128 * 1024 * 1024;
/** How often to say that a case is still running. */
const STILL_RUNNING_MS = 30_000;

/** How one case went, as seen from the client. */
interface CaseOutcome {
  readonly echoed: number;
  readonly sendErrors: number;
  readonly info: CloseInfo;
  readonly ms: number;
}

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(argv);
  if (parsed.kind === "help") {
    console.log(USAGE);
    return 0;
  }
  if (parsed.kind === "error") {
    console.error(`autobahn: ${parsed.message}\n\n${USAGE}`);
    return 2;
  }
  return run(parsed.options);
}

async function run(options: RunOptions): Promise<number> {
  transport = { http2: options.http2 };
  const { url, agent } = options;

  let count: number;
  try {
    const text = await fetchText(endpoint(url, "getCaseCount"));
    count = Number(text.trim());
    if (!Number.isSafeInteger(count) || count < 0)
      throw new Error(`getCaseCount answered ${JSON.stringify(text)}`);
  } catch (error) {
    console.error(`autobahn: cannot get the case count from ${url}: ${describe(error)}`);
    return 1;
  }
  console.log(
    `${url}: ${count} cases; agent "${agent}"${options.cases ? `; cases ${options.cases.join(",")}` : ""}`,
  );

  const matches = options.cases === undefined ? undefined : caseMatcher(options.cases);
  /** Ids of the cases run, known only when filtering. */
  const ranIds: string[] = [];
  const unrunnable: string[] = [];
  let ran = 0;

  for (let i = 1; i <= count; i++) {
    let id: string | undefined;
    if (matches !== undefined) {
      try {
        id = await fetchCaseId(url, i);
      } catch (error) {
        console.log(`case ${i} of ${count} … cannot get its id: ${describe(error)}`);
        unrunnable.push(String(i));
        continue;
      }
      if (!matches(id)) continue;
      ranIds.push(id);
    }
    const label = `case ${i} of ${count}${id === undefined ? "" : ` (${id})`}`;
    const watchdog = stillRunning(label);
    try {
      const outcome = await runCase(endpoint(url, "runCase", { case: i, agent }), options.compression);
      console.log(`${label} … ${describeOutcome(outcome)}`);
      ran++;
    } catch (error) {
      console.log(`${label} … connect failed: ${describe(error)}`);
      unrunnable.push(id ?? String(i));
    } finally {
      clearInterval(watchdog);
    }
  }

  if (matches !== undefined && ranIds.length === 0 && unrunnable.length === 0) {
    console.error(`autobahn: no case matches --cases ${options.cases!.join(",")}`);
    return 1;
  }
  console.log(
    `ran ${ran} case${ran === 1 ? "" : "s"}${unrunnable.length > 0 ? `; could not run ${unrunnable.length}` : ""}`,
  );

  try {
    await drain(endpoint(url, "updateReports", { agent }));
  } catch (error) {
    console.error(`autobahn: updateReports failed: ${describe(error)}`);
    return 1;
  }
  console.log("reports updated");

  let failed = unrunnable.length > 0;
  if (unrunnable.length > 0) console.log(`could not run: ${unrunnable.join(", ")}`);

  if (options.reports !== undefined) {
    const file = join(options.reports, "index.json");
    let index: unknown;
    try {
      index = JSON.parse(await readFile(file, "utf8"));
    } catch (error) {
      console.error(`autobahn: cannot read ${file}: ${describe(error)}`);
      return 1;
    }
    try {
      const summary = summarize(index, agent, matches === undefined ? {} : { cases: ranIds });
      console.log(`\n${summary.text}`);
      console.log(`\nHTML report: ${join(options.reports, "index.html")}`);
      if (!summary.ok) failed = true;
    } catch (error) {
      console.error(`autobahn: ${file}: ${describe(error)}`);
      return 1;
    }
  }
  return failed ? 1 : 0;
}

/** What every connection of the run is carried by (`--http2`). */
let transport: { readonly http2: boolean | "auto" } = { http2: false };

/** Runs one case: echoes every message back with its type until the channel closes. */
async function runCase(caseUrl: string, compression: 0 | 1 | 2): Promise<CaseOutcome> {
  const started = performance.now();
  const client = await connect(caseUrl, { read_limit: READ_LIMIT, compression, ...transport });
  let echoed = 0;
  let sendErrors = 0;
  for await (const message of client.channel()) {
    try {
      await client.send(message.data, message.type === "text" ? TEXT : BINARY);
      echoed++;
    } catch {
      // The connection is failing or closing; the channel closes next, which ends the loop.
      sendErrors++;
    }
  }
  const info = await client.closed;
  return { echoed, sendErrors, info, ms: Math.round(performance.now() - started) };
}

/** Connects, takes the first text message, waits for the close and returns the message. */
async function fetchText(url: string): Promise<string> {
  const client = await connect(url, transport);
  let text: string | undefined;
  for await (const message of client.channel()) {
    if (text === undefined && message.type === "text") text = message.data;
  }
  const info = await client.closed;
  if (text === undefined) throw new Error(`no text message before the close (${describeClose(info)})`);
  return text;
}

async function fetchCaseId(url: string, i: number): Promise<string> {
  const text = await fetchText(endpoint(url, "getCaseInfo", { case: i }));
  let info: unknown;
  try {
    info = JSON.parse(text);
  } catch {
    throw new Error(`getCaseInfo answered ${JSON.stringify(text.slice(0, 200))}, not JSON`);
  }
  const id = typeof info === "object" && info !== null ? (info as { id?: unknown }).id : undefined;
  if (typeof id !== "string")
    throw new Error(`getCaseInfo answered ${JSON.stringify(text.slice(0, 200))}: no "id"`);
  return id;
}

/** Connects, ignores whatever arrives and waits for the server to close. */
async function drain(url: string): Promise<CloseInfo> {
  const client: Client = await connect(url, transport);
  for await (const _ of client.channel()) {
    // nothing to do: the server only closes
  }
  return client.closed;
}

function stillRunning(label: string): NodeJS.Timeout {
  const started = performance.now();
  const timer = setInterval(() => {
    console.log(`${label} … still running after ${Math.round((performance.now() - started) / 1000)} s`);
  }, STILL_RUNNING_MS);
  timer.unref();
  return timer;
}

function describeOutcome(outcome: CaseOutcome): string {
  const parts = [`echoed ${outcome.echoed} message${outcome.echoed === 1 ? "" : "s"}`];
  if (outcome.sendErrors > 0) parts.push(`${outcome.sendErrors} not sent`);
  parts.push(describeClose(outcome.info), `${outcome.ms} ms`);
  return parts.join(", ");
}

function describeClose(info: CloseInfo): string {
  const reason = info.reason === "" ? "" : ` "${info.reason}"`;
  const error = info.error === undefined ? "" : `: ${info.error.message}`;
  return `closed ${info.code}${reason} ${info.clean ? "clean" : `not clean${error}`}`;
}

function describe(error: unknown): string {
  if (error instanceof WebSocketError) return `${error.kind}: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}

process.exitCode = await main(process.argv.slice(2));
