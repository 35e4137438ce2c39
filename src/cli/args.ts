// Command-line parsing for `wschan`: pure (argv in, options or a usage error out), so every rule is
// tested without spawning anything. Values that name files (--ca, --cert, --key) stay paths here;
// run.ts reads them.

import { isValidCloseCode, MAX_CLOSE_REASON_BYTES } from "../framing/close.js";
import { parseDuration } from "../options/duration.js";
import { COMPRESSION, type CompressionMode } from "../protocol/constants.js";
import { BOOLEAN_FLAGS, VALUE_FLAGS } from "./flags.js";

/** How binary messages are printed in line mode and in `--json`. */
export type BinaryFormat = "hex" | "base64";

/** The TLS flags, as given: file paths and names. */
export interface CliTls {
  /** --ca: PEM files of trusted CAs (repeatable), replacing Node's roots. */
  readonly ca: readonly string[];
  /** --cert: the client certificate chain (PEM file). */
  readonly cert: string | undefined;
  /** --key: the client private key (PEM file). */
  readonly key: string | undefined;
  /** --servername: the name for SNI and the certificate check. */
  readonly servername: string | undefined;
  /** --tls-min: the lowest TLS version accepted. */
  readonly minVersion: "TLSv1.2" | "TLSv1.3" | undefined;
}

/** Everything a run of the CLI needs, checked; durations in milliseconds. */
export interface CliOptions {
  readonly url: string;
  /** Handshake headers from `-H`, `--origin` and `--auth`; a repeated name gets its values joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly protocols: readonly string[];
  readonly compression: CompressionMode;
  /** --compression-threshold: messages smaller than this are sent uncompressed. */
  readonly compressionThreshold: number | undefined;
  readonly dialTimeout: number | undefined;
  readonly readTimeout: number | undefined;
  readonly writeTimeout: number | undefined;
  readonly readLimit: number | undefined;
  /** The library's keep-alive (`keepalive`): ping after this much silence; fails with 1006. */
  readonly keepalive: number | undefined;
  readonly keepaliveTimeout: number | undefined;
  /** The CLI's own ping interval; undefined: no pings. */
  readonly ping: number | undefined;
  /** How long a --ping ping waits for its pong; undefined: the read timeout, else the interval. */
  readonly pingTimeout: number | undefined;
  /** The Close sent when input ends (or on Ctrl-C). */
  readonly close: { readonly code: number; readonly reason: string };
  readonly json: boolean;
  /** Received payloads written byte for byte, nothing escaped or added. */
  readonly raw: boolean;
  readonly binary: BinaryFormat;
  readonly insecure: boolean;
  readonly tls: CliTls;
  /** --proxy: passed to the library as given; --no-proxy: false (no proxy, not even the environment's). */
  readonly proxy: string | false | undefined;
  /** --unix-socket: connect to this unix domain socket instead of the URL's host. */
  readonly unixSocket: string | undefined;
  /** --happy-eyeballs-delay, in milliseconds. */
  readonly happyEyeballsDelay: number | undefined;
  /** --http2: WebSockets over HTTP/2 (RFC 8441). */
  readonly http2: boolean | "auto" | undefined;
  /** --no-private-networks. */
  readonly privateNetworks: boolean;
  /** --allow / --deny URL patterns, for the connection's policy. */
  readonly allow: readonly string[];
  readonly deny: readonly string[];
  /** -x: text messages sent as soon as the connection is open, in order. */
  readonly execute: readonly string[];
  /** -w: how long to stay after input ends before closing; Infinity: until the server closes. */
  readonly wait: number | undefined;
  /** -1: close after the first message received. */
  readonly once: boolean;
  /** -b: lines of input are sent as binary messages. */
  readonly binaryStdin: boolean;
  readonly printPingRtts: boolean;
  readonly showPingPong: boolean;
  /** Whether stdin lines are sent; false with `--no-input`. */
  readonly input: boolean;
  /** Whether connection notes (connected, closed) are left off stderr. */
  readonly quiet: boolean;
  /** --no-color: never colour, even on a terminal. */
  readonly color: boolean;
  /** --no-history: keep no history file in interactive mode. */
  readonly history: boolean;
  /** --history-file PATH. */
  readonly historyFile: string | undefined;
}

export type ParseResult =
  | { readonly kind: "run"; readonly options: CliOptions }
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | { readonly kind: "error"; readonly message: string };

/** The largest read limit `connect` accepts. */
const MAX_READ_LIMIT = 128 * 1024 * 1024;

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

/** Adds one header, joining a repeated name's values (case-insensitively) with ", ". */
class Headers {
  readonly values: Record<string, string> = {};
  #names = new Map<string, string>(); // lower-case name → name as first given

  has(name: string): boolean {
    return this.#names.has(name.toLowerCase());
  }

  add(name: string, value: string): void {
    const key = name.toLowerCase();
    const existing = this.#names.get(key);
    if (existing === undefined) {
      this.#names.set(key, name);
      this.values[name] = value;
    } else {
      this.values[existing] = `${this.values[existing]}, ${value}`;
    }
  }
}

function parse(argv: readonly string[]): CliOptions {
  const positional: string[] = [];
  const headers = new Headers();
  const protocols: string[] = [];
  let compression: CompressionMode = COMPRESSION.DISABLED;
  let compressionThreshold: number | undefined;
  let dialTimeout: number | undefined;
  let readTimeout: number | undefined;
  let writeTimeout: number | undefined;
  let readLimit: number | undefined;
  let keepalive: number | undefined;
  let keepaliveTimeout: number | undefined;
  let ping: number | undefined;
  let pingTimeout: number | undefined;
  let close = { code: 1000, reason: "" };
  let binary: BinaryFormat = "hex";
  const ca: string[] = [];
  let cert: string | undefined;
  let key: string | undefined;
  let servername: string | undefined;
  let minVersion: CliTls["minVersion"];
  let proxy: string | undefined;
  let unixSocket: string | undefined;
  let happyEyeballsDelay: number | undefined;
  let http2: boolean | "auto" | undefined;
  let origin: string | undefined;
  let auth: string | undefined;
  const allow: string[] = [];
  const deny: string[] = [];
  const execute: string[] = [];
  let wait: number | undefined;
  let historyFile: string | undefined;
  const flags = new Set<string>();

  const apply = (name: string, value: string): void => {
    switch (name) {
      case "header": {
        const colon = value.indexOf(":");
        const headerName = colon < 0 ? "" : value.slice(0, colon).trim();
        if (headerName === "") fail(`-H: expected "Name: value", got "${value}"`);
        headers.add(headerName, value.slice(colon + 1).trim());
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
      case "compression-threshold": {
        const size = parseSize(value);
        if (size === undefined || size > 100 * 1024 * 1024) {
          fail(`--compression-threshold: expected a byte count up to 100MiB, got "${value}"`);
        }
        compressionThreshold = size;
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
      case "keepalive":
        keepalive = duration(name, value, false);
        break;
      case "keepalive-timeout":
        keepaliveTimeout = duration(name, value, false);
        break;
      case "ping":
        ping = duration(name, value, false);
        break;
      case "ping-timeout":
        pingTimeout = duration(name, value, false);
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
      case "ca":
        ca.push(value);
        break;
      case "cert":
        cert = value;
        break;
      case "key":
        key = value;
        break;
      case "servername":
        if (value === "") fail("--servername: the name is empty");
        servername = value;
        break;
      case "tls-min":
        if (value !== "1.2" && value !== "1.3") fail(`--tls-min: expected 1.2 or 1.3, got "${value}"`);
        minVersion = value === "1.2" ? "TLSv1.2" : "TLSv1.3";
        break;
      case "proxy":
        // Passed through as given: the library decides which proxy kinds it takes.
        proxy = value;
        break;
      case "unix-socket":
        if (value === "") fail("--unix-socket: the path is empty");
        unixSocket = value;
        break;
      case "happy-eyeballs-delay":
        happyEyeballsDelay = duration(name, value, false);
        break;
      case "http2":
        if (value !== "auto" && value !== "on" && value !== "off")
          fail(`--http2: expected auto, on or off, got "${value}"`);
        http2 = value === "auto" ? "auto" : value === "on";
        break;
      case "origin":
        origin = value;
        break;
      case "auth":
        if (!value.includes(":")) fail(`--auth: expected user:password, got "${value}"`);
        auth = value;
        break;
      case "allow":
        allow.push(value);
        break;
      case "deny":
        deny.push(value);
        break;
      case "execute":
        execute.push(value);
        break;
      case "wait":
        wait = value === "forever" ? Number.POSITIVE_INFINITY : duration(name, value, true);
        break;
      case "history-file":
        historyFile = value;
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
  if (!/^wss?:\/\//i.test(url) && !/^wss?\+unix:/i.test(url)) {
    // Shown without its credentials, as every URL wschan shows.
    const shown = url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1");
    fail(`the URL must start with ws://, wss://, ws+unix: or wss+unix:, got "${shown}"`);
  }

  if (origin !== undefined) {
    if (headers.has("origin")) fail("--origin and -H Origin: give the origin once");
    headers.add("Origin", origin);
  }
  if (auth !== undefined) {
    if (headers.has("authorization")) fail("--auth and -H Authorization: give the credentials once");
    headers.add("Authorization", `Basic ${Buffer.from(auth, "utf8").toString("base64")}`);
  }
  if (keepaliveTimeout !== undefined && keepalive === undefined) {
    fail("--keepalive-timeout has no effect without --keepalive");
  }
  if (pingTimeout !== undefined && ping === undefined) fail("--ping-timeout has no effect without --ping");
  if ((cert === undefined) !== (key === undefined)) fail("--cert and --key go together");
  if (flags.has("json") && flags.has("raw")) fail("--json and --raw cannot be used together");

  return {
    url,
    headers: headers.values,
    protocols,
    compression,
    compressionThreshold,
    dialTimeout,
    readTimeout,
    writeTimeout,
    readLimit,
    keepalive,
    keepaliveTimeout,
    ping,
    pingTimeout,
    close,
    json: flags.has("json"),
    raw: flags.has("raw"),
    binary,
    insecure: flags.has("insecure"),
    tls: { ca, cert, key, servername, minVersion },
    proxy: flags.has("no-proxy") ? false : proxy,
    unixSocket,
    happyEyeballsDelay,
    http2,
    privateNetworks: !flags.has("no-private-networks"),
    allow,
    deny,
    execute,
    wait,
    once: flags.has("once"),
    binaryStdin: flags.has("binary-stdin"),
    printPingRtts: flags.has("print-ping-rtts"),
    showPingPong: flags.has("show-ping-pong"),
    input: !flags.has("no-input"),
    quiet: flags.has("quiet"),
    color: !flags.has("no-color"),
    history: !flags.has("no-history"),
    historyFile,
  };
}
