/**
 * Command-line parsing for the Autobahn|Testsuite client runner (`autobahn/run.ts`). Pure: no I/O,
 * so that it can be unit-tested.
 */
import { parseArgs as parseCommandLine } from "node:util";

export const DEFAULT_URL = "ws://127.0.0.1:9001";
export const DEFAULT_AGENT = "wschan";

export const USAGE = `Usage: npx tsx autobahn/run.ts [options]
       npm run autobahn -- [options]

Runs every case of an Autobahn|Testsuite fuzzingserver against the wschan client, echoing each
message back, then asks the server to write its reports.

Options:
  --url URL        the fuzzingserver, ws:// or wss:// (default ${DEFAULT_URL})
  --agent NAME     the agent name the results are filed under (default ${DEFAULT_AGENT})
  --cases LIST     only run the cases whose id matches one of these comma-separated patterns,
                   e.g. 1.1.1,2.*,9.1.* ("*" matches any run of characters)
  --compression M  permessage-deflate offered in every case: context (default), no-context
                   or none; cases 12.* and 13.* need it
  --http2 MODE     carry every connection over HTTP/2 (RFC 8441): on (prior knowledge for ws://,
                   ALPN h2 for wss://; no fallback), auto (h2 when a wss:// server allows it)
                   or off (default). The fuzzingserver speaks HTTP/1.1 only: point --url at an
                   HTTP/2 front end such as haproxy (see autobahn/README.md)
  --reports DIR    after the run, read DIR/index.json (the server's outdir as seen from here,
                   e.g. autobahn/reports/clients) and print a summary
  -h, --help       show this help

Exit status: 0 when every case ran and none FAILED, 1 otherwise, 2 for a usage error.`;

/** What the runner is asked to do. */
export interface RunOptions {
  /** The fuzzingserver's base URL, without a trailing slash, query or fragment. */
  readonly url: string;
  readonly agent: string;
  /** Case id patterns from `--cases`, or undefined to run every case. */
  readonly cases: readonly string[] | undefined;
  /** Directory holding the server's index.json, or undefined for no summary. */
  readonly reports: string | undefined;
  /** The compression mode offered: 0 none, 1 context takeover, 2 no context. */
  readonly compression: 0 | 1 | 2;
  /** The client's `http2` option for every connection. */
  readonly http2: boolean | "auto";
}

export type ParsedArgs =
  | { readonly kind: "run"; readonly options: RunOptions }
  | { readonly kind: "help" }
  | { readonly kind: "error"; readonly message: string };

/** A case id pattern: dot-separated parts made of digits and `*`. */
const CASE_PATTERN = /^[0-9*]+(?:\.[0-9*]+)*$/;

/** Parses the runner's arguments (without the node and script paths). Never throws. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  let values: {
    url?: string;
    agent?: string;
    cases?: string;
    reports?: string;
    compression?: string;
    http2?: string;
    help?: boolean;
  };
  let positionals: string[];
  try {
    ({ values, positionals } = parseCommandLine({
      args: [...argv],
      options: {
        url: { type: "string" },
        agent: { type: "string" },
        cases: { type: "string" },
        reports: { type: "string" },
        compression: { type: "string" },
        http2: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: true,
    }));
  } catch (error) {
    return { kind: "error", message: error instanceof Error ? error.message : String(error) };
  }
  if (values.help === true) return { kind: "help" };
  if (positionals.length > 0) return { kind: "error", message: `unexpected argument: ${positionals[0]}` };

  const url = normalizeUrl(values.url ?? DEFAULT_URL);
  if (typeof url !== "string") return { kind: "error", message: url.error };

  const agent = values.agent ?? DEFAULT_AGENT;
  if (agent.trim() === "") return { kind: "error", message: "--agent must not be empty" };
  if (/[\u0000-\u001f\u007f]/.test(agent))
    return { kind: "error", message: "--agent must not contain control characters" };

  let cases: string[] | undefined;
  if (values.cases !== undefined) {
    cases = values.cases
      .split(",")
      .map((pattern) => pattern.trim())
      .filter((pattern) => pattern !== "");
    if (cases.length === 0) return { kind: "error", message: "--cases needs at least one case id pattern" };
    const bad = cases.find((pattern) => !CASE_PATTERN.test(pattern));
    if (bad !== undefined) {
      return {
        kind: "error",
        message: `--cases: "${bad}" is not a case id pattern (like 1.1.1, 2.* or 9.*.1)`,
      };
    }
  }

  let reports: string | undefined;
  if (values.reports !== undefined) {
    if (values.reports.trim() === "") return { kind: "error", message: "--reports needs a directory" };
    reports = values.reports;
  }

  const modes: Record<string, 0 | 1 | 2> = { none: 0, context: 1, "no-context": 2 };
  const compression = modes[values.compression ?? "context"];
  if (compression === undefined) {
    return { kind: "error", message: "--compression must be context, no-context or none" };
  }

  const http2Modes: Record<string, boolean | "auto"> = { on: true, auto: "auto", off: false };
  const http2 = http2Modes[values.http2 ?? "off"];
  if (http2 === undefined) return { kind: "error", message: "--http2 must be on, auto or off" };

  return { kind: "run", options: { url, agent, cases, reports, compression, http2 } };
}

/** Checks a fuzzingserver URL and returns it without trailing slashes, or an error. */
function normalizeUrl(value: string): string | { error: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { error: `--url: "${value}" is not a URL` };
  }
  if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    return { error: `--url: "${value}" must use ws:// or wss://` };
  }
  if (url.search !== "" || url.hash !== "") {
    return { error: `--url: "${value}" must not have a query or fragment` };
  }
  if (url.username !== "" || url.password !== "") {
    return { error: `--url: "${value}" must not contain credentials` };
  }
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
}

/**
 * Turns `--cases` patterns into a predicate on case ids. As in the testsuite's own spec files,
 * `*` matches any run of characters and a pattern must match the whole id: `2.*` matches 2.1 and
 * 2.10 but not 12.1, and `1.1.1` matches only 1.1.1.
 */
export function caseMatcher(patterns: readonly string[]): (id: string) => boolean {
  const regexps = patterns.map(
    (pattern) => new RegExp(`^${pattern.split("*").map(escapeRegExp).join(".*")}$`),
  );
  return (id) => regexps.some((regexp) => regexp.test(id));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The URL of one of the fuzzingserver's endpoints (`/getCaseCount`, `/runCase`, ...). */
export function endpoint(
  base: string,
  path: string,
  query: Readonly<Record<string, string | number>> = {},
): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) params.set(name, String(value));
  const search = params.toString();
  return `${base}/${path}${search === "" ? "" : `?${search}`}`;
}
