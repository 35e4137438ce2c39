// Command-line parsing for `wschan`: pure (argv in, options or a usage error out), so every rule is
// tested without spawning anything.

import { isValidCloseCode, MAX_CLOSE_REASON_BYTES } from "../framing/close.js";
import { parseDuration } from "../options/duration.js";
import { COMPRESSION, type CompressionMode } from "../protocol/constants.js";

/** How binary messages are printed. */
export type BinaryFormat = "hex" | "base64";

/** Everything a run of the CLI needs, checked; durations in milliseconds. */
export interface CliOptions {
  readonly url: string;
  /** Handshake headers from `-H`; a repeated name gets its values joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly protocols: readonly string[];
  readonly compression: CompressionMode;
  readonly dialTimeout: number | undefined;
  readonly readTimeout: number | undefined;
  readonly writeTimeout: number | undefined;
  readonly readLimit: number | undefined;
  /** Keep-alive ping interval; undefined: no pings. */
  readonly ping: number | undefined;
  /** The Close sent when input ends (or on Ctrl-C). */
  readonly close: { readonly code: number; readonly reason: string };
  readonly json: boolean;
  readonly binary: BinaryFormat;
  readonly insecure: boolean;
  /** Whether stdin lines are sent; false with `--no-input`. */
  readonly input: boolean;
  /** Whether connection notes (connected, closed) are left off stderr. */
  readonly quiet: boolean;
}

export type ParseResult =
  | { readonly kind: "run"; readonly options: CliOptions }
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | { readonly kind: "error"; readonly message: string };

/** The largest read limit `connect` accepts. */
const MAX_READ_LIMIT = 128 * 1024 * 1024;

/** Flags that take a value, long name → short letter (if any). */
const VALUE_FLAGS: Readonly<Record<string, string | undefined>> = {
  header: "H",
  protocol: "p",
  compression: undefined,
  "dial-timeout": undefined,
  "read-timeout": undefined,
  "write-timeout": undefined,
  "read-limit": undefined,
  ping: undefined,
  close: undefined,
  binary: undefined,
};

const BOOLEAN_FLAGS: Readonly<Record<string, string | undefined>> = {
  json: undefined,
  insecure: "k",
  "no-input": "n",
  quiet: "q",
  help: "h",
  version: "V",
};

function longNameOf(short: string, table: Readonly<Record<string, string | undefined>>): string | undefined {
  for (const [long, letter] of Object.entries(table)) if (letter === short) return long;
  return undefined;
}

class UsageError extends Error {}

function fail(message: string): never {
  throw new UsageError(message);
}

function duration(flag: string, text: string, allowZero: boolean): number {
  // Bare numbers are refused: "5" could mean seconds or milliseconds.
  const ms = /^\d+(\.\d*)?$/.test(text) && Number(text) !== 0 ? undefined : parseDuration(text);
  if (ms === undefined) fail(`--${flag}: expected a duration such as 500ms, 5s or 1m30s, got "${text}"`);
  if (ms === 0 && !allowZero) fail(`--${flag}: the duration must be more than zero`);
  return ms;
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  "": 1,
  b: 1,
  k: 1024,
  kib: 1024,
  m: 1024 * 1024,
  mib: 1024 * 1024,
};

/** Parses a byte count: "65536", "64KiB", "16MiB" (k and m are binary too). */
export function parseSize(text: string): number | undefined {
  const match = /^(\d+)\s*([a-z]*)$/i.exec(text);
  if (match === null) return undefined;
  const unit = SIZE_UNITS[match[2]!.toLowerCase()];
  if (unit === undefined) return undefined;
  return Number(match[1]) * unit;
}

/** Parses `--close CODE[:REASON]`. */
export function parseClose(text: string): { code: number; reason: string } | undefined {
  const colon = text.indexOf(":");
  const codeText = colon < 0 ? text : text.slice(0, colon);
  const reason = colon < 0 ? "" : text.slice(colon + 1);
  if (!/^\d+$/.test(codeText)) return undefined;
  const code = Number(codeText);
  if (!isValidCloseCode(code) || Buffer.byteLength(reason) > MAX_CLOSE_REASON_BYTES) return undefined;
  return { code, reason };
}

const COMPRESSION_NAMES: Readonly<Record<string, CompressionMode>> = {
  none: COMPRESSION.DISABLED,
  context: COMPRESSION.CONTEXT_TAKEOVER,
  "no-context": COMPRESSION.NO_CONTEXT,
};

/** Parses the arguments after `wschan` (that is, `process.argv.slice(2)`). Never throws. */
export function parseArgs(argv: readonly string[]): ParseResult {
  const beforeDashes = argv.indexOf("--") < 0 ? argv : argv.slice(0, argv.indexOf("--"));
  if (beforeDashes.some((a) => a === "--help" || a === "-h")) return { kind: "help" };
  if (beforeDashes.some((a) => a === "--version" || a === "-V")) return { kind: "version" };
  try {
    return { kind: "run", options: parse(argv) };
  } catch (error) {
    if (error instanceof UsageError) return { kind: "error", message: error.message };
    throw error;
  }
}

function parse(argv: readonly string[]): CliOptions {
  const positional: string[] = [];
  const headers: Record<string, string> = {};
  const headerNames = new Map<string, string>(); // lower-case name → name as first given
  const protocols: string[] = [];
  let compression: CompressionMode = COMPRESSION.DISABLED;
  let dialTimeout: number | undefined;
  let readTimeout: number | undefined;
  let writeTimeout: number | undefined;
  let readLimit: number | undefined;
  let ping: number | undefined;
  let close = { code: 1000, reason: "" };
  let binary: BinaryFormat = "hex";
  const flags = new Set<string>();

  const apply = (name: string, value: string): void => {
    switch (name) {
      case "header": {
        const colon = value.indexOf(":");
        const headerName = colon < 0 ? "" : value.slice(0, colon).trim();
        if (headerName === "") fail(`-H: expected "Name: value", got "${value}"`);
        const headerValue = value.slice(colon + 1).trim();
        const key = headerName.toLowerCase();
        const existing = headerNames.get(key);
        if (existing === undefined) {
          headerNames.set(key, headerName);
          headers[headerName] = headerValue;
        } else {
          headers[existing] = `${headers[existing]}, ${headerValue}`;
        }
        break;
      }
      case "protocol":
        for (const p of value.split(",")) {
          const protocol = p.trim();
          if (protocol === "") fail(`--protocol: empty subprotocol name in "${value}"`);
          protocols.push(protocol);
        }
        break;
      case "compression": {
        const mode = COMPRESSION_NAMES[value];
        if (mode === undefined) fail(`--compression: expected none, context or no-context, got "${value}"`);
        compression = mode;
        break;
      }
      case "dial-timeout":
        dialTimeout = duration(name, value, true);
        break;
      case "read-timeout":
        readTimeout = duration(name, value, true);
        break;
      case "write-timeout":
        writeTimeout = duration(name, value, true);
        break;
      case "read-limit": {
        const size = parseSize(value);
        if (size === undefined || size > MAX_READ_LIMIT) {
          fail(`--read-limit: expected a byte count up to 128MiB (e.g. 65536, 64KiB, 16MiB), got "${value}"`);
        }
        readLimit = size;
        break;
      }
      case "ping":
        ping = duration(name, value, false);
        break;
      case "close": {
        const parsed = parseClose(value);
        if (parsed === undefined) {
          fail(
            `--close: expected CODE[:REASON] with CODE 1000-1003, 1007-1014 or 3000-4999 and REASON at most ${MAX_CLOSE_REASON_BYTES} bytes, got "${value}"`,
          );
        }
        close = parsed;
        break;
      }
      case "binary":
        if (value !== "hex" && value !== "base64") fail(`--binary: expected hex or base64, got "${value}"`);
        binary = value;
        break;
    }
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      if (name in VALUE_FLAGS) {
        let value: string;
        if (eq >= 0) value = arg.slice(eq + 1);
        else {
          if (i + 1 >= argv.length) fail(`--${name} needs a value`);
          value = argv[++i]!;
        }
        apply(name, value);
      } else if (name in BOOLEAN_FLAGS) {
        if (eq >= 0) fail(`--${name} takes no value`);
        flags.add(name);
      } else {
        fail(`unknown option --${name}`);
      }
    } else if (arg.startsWith("-") && arg.length > 1) {
      // Short options: booleans may be grouped (-nq); a value option takes the rest of the word or the next one (-H "X: 1", -pchat).
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j]!;
        const valueName = longNameOf(letter, VALUE_FLAGS);
        if (valueName !== undefined) {
          let value = arg.slice(j + 1);
          if (value === "") {
            if (i + 1 >= argv.length) fail(`-${letter} needs a value`);
            value = argv[++i]!;
          }
          apply(valueName, value);
          break;
        }
        const booleanName = longNameOf(letter, BOOLEAN_FLAGS);
        if (booleanName === undefined) fail(`unknown option -${letter}`);
        flags.add(booleanName);
      }
    } else {
      positional.push(arg);
    }
  }

  if (positional.length === 0) fail("missing URL (e.g. wschan ws://127.0.0.1:8080/)");
  if (positional.length > 1) fail(`expected one URL, got ${positional.length}: ${positional.join(" ")}`);
  const url = positional[0]!;
  if (!/^wss?:\/\//i.test(url)) fail(`the URL must start with ws:// or wss://, got "${url}"`);

  return {
    url,
    headers,
    protocols,
    compression,
    dialTimeout,
    readTimeout,
    writeTimeout,
    readLimit,
    ping,
    close,
    json: flags.has("json"),
    binary,
    insecure: flags.has("insecure"),
    input: !flags.has("no-input"),
    quiet: flags.has("quiet"),
  };
}
