import type { ConnectionOptions as NodeTlsOptions } from "node:tls";
import { invalid } from "../errors/errors.js";
import { type CompiledPolicy, compilePolicy, type Policy } from "../policy/policy.js";
import { COMPRESSION, type CompressionMode } from "../protocol/constants.js";
import { type ProxyTarget, parseProxy } from "../routes/proxy.js";
import { parseDuration } from "./duration.js";

/** The `http2` option: see `ConnectOptions.http2`. */
export type Http2Mode = boolean | "auto";

/** A duration: milliseconds, or a Go duration string such as "300ms", "5s", "1m30s". */
export type Duration = number | string;

/** TLS settings for `wss:` URLs. Certificates and host names are verified unless told otherwise. */
export interface TlsOptions {
  /** Trusted CA certificates, replacing Node's bundled roots. Default: Node's roots. */
  readonly ca?: NodeTlsOptions["ca"];
  /** Client certificate chain (PEM), for servers that ask for one. */
  readonly cert?: NodeTlsOptions["cert"];
  /** Client private key (PEM). */
  readonly key?: NodeTlsOptions["key"];
  /** Passphrase of `key`. */
  readonly passphrase?: string;
  /** Server name for SNI and certificate checking. Default: the URL's host name. */
  readonly servername?: string;
  /** Whether to verify the server's certificate. Default true; turn off only for tests. */
  readonly rejectUnauthorized?: boolean;
  /** Lowest TLS version accepted. Default: Node's ("TLSv1.2"). */
  readonly minVersion?: NodeTlsOptions["minVersion"];
}

/** The options of `connect`; every field is optional. */
export interface ConnectOptions {
  /** Extra handshake headers, names sent as given. Default none. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Subprotocols offered, in order of preference. Default none. */
  readonly protocols?: readonly string[];
  /** Bound on DNS, TCP, TLS and the handshake together. Default 30 s. */
  readonly dial_timeout?: Duration;
  /** Longest silence allowed between incoming frames once open. Default none. */
  readonly read_timeout?: Duration;
  /** Bound on one send, ping or close being handed to the socket. Default none. */
  readonly write_timeout?: Duration;
  /** permessage-deflate mode, one of `COMPRESSION`. Default `COMPRESSION.DISABLED`. */
  readonly compression?: CompressionMode;
  /** Messages smaller than this are sent uncompressed (0–100 MiB). Default 0: 128 B with context takeover, 512 B without. */
  readonly compression_threshold?: number;
  /** Largest incoming message in bytes, after decompression, inclusive (0–128 MiB). Default 0: 16 MiB. */
  readonly read_limit?: number;
  /** Messages buffered in the receive channel before the socket is paused (1–10000). Default 32. */
  readonly channel_capacity?: number;
  /** Ping after this long without receiving anything; fail the connection (TIMEOUT) when still nothing comes. Default none. */
  readonly keepalive?: Duration;
  /** How long to wait after a keep-alive ping before failing the connection. Default: equal to `keepalive`. */
  readonly keepalive_timeout?: Duration;
  /** TLS settings for `wss:`. */
  readonly tls?: TlsOptions;
  /**
   * An HTTP proxy, `http://[user:pass@]host:port` (port 80 when omitted), reached with CONNECT;
   * TLS for `wss:` runs inside the tunnel. Default none: connect directly.
   */
  readonly proxy?: string | URL;
  /** Cancels the dial (CANCELED) when aborted; once open, aborting closes the connection with 1001. Default none. */
  readonly signal?: AbortSignal;
  /** A policy for this connection, applied on top of `websocket.policy`: it can only narrow it. Default none. */
  readonly policy?: Policy;
  /**
   * WebSockets over HTTP/2 (RFC 8441, docs/http2.md). `"auto"`: for `wss:`, offer `h2` in ALPN and
   * use HTTP/2 when the server allows the extended CONNECT, else HTTP/1.1 (remembered per origin);
   * `ws:` stays on HTTP/1.1. `true`: HTTP/2 only (prior knowledge for `ws:`), no fallback.
   * Default `false`: HTTP/1.1.
   */
  readonly http2?: Http2Mode;
}

export const MiB = 1024 * 1024;
export const DEFAULT_DIAL_TIMEOUT_MS = 30_000;
export const DEFAULT_READ_LIMIT = 16 * MiB;
export const MAX_READ_LIMIT = 128 * MiB;
export const MAX_COMPRESSION_THRESHOLD = 100 * MiB;
export const DEFAULT_CHANNEL_CAPACITY = 32;
export const MAX_CHANNEL_CAPACITY = 10_000;

/** Options checked and defaulted; durations in milliseconds, 0 meaning none. */
export interface ResolvedOptions {
  readonly headers: Readonly<Record<string, string>>;
  readonly protocols: readonly string[];
  readonly dialTimeout: number;
  readonly readTimeout: number;
  readonly writeTimeout: number;
  readonly compression: CompressionMode;
  readonly compressionThreshold: number;
  readonly readLimit: number;
  readonly channelCapacity: number;
  readonly keepalive: number;
  readonly keepaliveTimeout: number;
  readonly tls: TlsOptions;
  readonly proxy: ProxyTarget | undefined;
  readonly signal: AbortSignal | undefined;
  /** `options.policy`, checked; the process-wide policy is read when connecting. */
  readonly policy: CompiledPolicy | undefined;
  readonly http2: Http2Mode;
}

const KNOWN = new Set([
  "headers",
  "protocols",
  "dial_timeout",
  "read_timeout",
  "write_timeout",
  "compression",
  "compression_threshold",
  "read_limit",
  "channel_capacity",
  "keepalive",
  "keepalive_timeout",
  "tls",
  "proxy",
  "signal",
  "policy",
  "http2",
]);
const TLS_KNOWN = new Set([
  "ca",
  "cert",
  "key",
  "passphrase",
  "servername",
  "rejectUnauthorized",
  "minVersion",
]);

function duration(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = parseDuration(value);
  if (ms === undefined) {
    throw invalid(
      `option ${name}: expected milliseconds or a duration such as "5s", got ${JSON.stringify(value)}`,
    );
  }
  return ms;
}

function integer(name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`option ${name}: expected an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

/** Checks every option and fills in defaults; throws an INVALID WebSocketError naming the culprit. */
export function resolveOptions(options: unknown): ResolvedOptions {
  if (options === undefined || options === null) options = {};
  if (typeof options !== "object" || Array.isArray(options)) throw invalid("options must be an object");
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key)) throw invalid(`unknown option ${JSON.stringify(key)}`);
  }
  const headers = o.headers ?? {};
  if (typeof headers !== "object" || headers === null || Array.isArray(headers)) {
    throw invalid("option headers: expected an object of header names to string values");
  }
  for (const value of Object.values(headers)) {
    if (typeof value !== "string") throw invalid("option headers: every value must be a string");
  }
  const protocols = o.protocols ?? [];
  if (!Array.isArray(protocols) || protocols.some((p) => typeof p !== "string")) {
    throw invalid("option protocols: expected an array of strings");
  }
  const compression = o.compression ?? COMPRESSION.DISABLED;
  if (compression !== 0 && compression !== 1 && compression !== 2) {
    throw invalid(`option compression: expected one of websocket.COMPRESSION, got ${String(compression)}`);
  }
  const tls = o.tls ?? {};
  if (typeof tls !== "object" || tls === null || Array.isArray(tls))
    throw invalid("option tls: expected an object");
  for (const key of Object.keys(tls)) {
    if (!TLS_KNOWN.has(key)) throw invalid(`unknown tls option ${JSON.stringify(key)}`);
  }
  checkTls(tls as Record<string, unknown>);
  const signal = o.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw invalid("option signal: expected an AbortSignal");
  }
  const proxy = o.proxy === undefined ? undefined : parseProxy(o.proxy);
  const policy = o.policy === undefined ? undefined : compilePolicy(o.policy, "options.policy");
  const keepalive = duration("keepalive", o.keepalive, 0);
  if (o.keepalive_timeout !== undefined && keepalive === 0) {
    throw invalid("option keepalive_timeout: it has no effect without keepalive");
  }
  const readLimit = integer("read_limit", o.read_limit, 0, MAX_READ_LIMIT, 0);
  return {
    headers: headers as Record<string, string>,
    protocols: protocols as string[],
    dialTimeout: duration("dial_timeout", o.dial_timeout, DEFAULT_DIAL_TIMEOUT_MS) || DEFAULT_DIAL_TIMEOUT_MS,
    readTimeout: duration("read_timeout", o.read_timeout, 0),
    writeTimeout: duration("write_timeout", o.write_timeout, 0),
    compression,
    compressionThreshold: integer(
      "compression_threshold",
      o.compression_threshold,
      0,
      MAX_COMPRESSION_THRESHOLD,
      0,
    ),
    readLimit: readLimit === 0 ? DEFAULT_READ_LIMIT : readLimit,
    channelCapacity: integer(
      "channel_capacity",
      o.channel_capacity,
      1,
      MAX_CHANNEL_CAPACITY,
      DEFAULT_CHANNEL_CAPACITY,
    ),
    keepalive,
    keepaliveTimeout: duration("keepalive_timeout", o.keepalive_timeout, 0) || keepalive,
    tls: tls as TlsOptions,
    proxy,
    signal,
    policy,
    // ---- HTTP/2 (RFC 8441): see src/client/http2 ----
    http2: http2Mode(o.http2),
  };
}

/** Checks the `http2` option: true, false or "auto"; throws INVALID. */
function http2Mode(value: unknown): Http2Mode {
  if (value === undefined) return false;
  if (value === true || value === false || value === "auto") return value;
  throw invalid(
    `option http2: expected true, false or "auto", got ${JSON.stringify(value)}`,
    "INVALID_OPTION",
  );
}

const TLS_VERSIONS = new Set(["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]);

/** Checks the types of the `tls` option's fields; throws INVALID naming the field. */
function checkTls(tls: Record<string, unknown>): void {
  const isPem = (v: unknown): boolean => typeof v === "string" || v instanceof Uint8Array;
  for (const name of ["ca", "cert", "key"]) {
    const value = tls[name];
    if (value !== undefined && !isPem(value) && !(Array.isArray(value) && value.every(isPem))) {
      throw invalid(`option tls.${name}: expected PEM as a string or Buffer, or an array of them`);
    }
  }
  for (const name of ["passphrase", "servername"]) {
    if (tls[name] !== undefined && typeof tls[name] !== "string") {
      throw invalid(`option tls.${name}: expected a string`);
    }
  }
  if (tls.rejectUnauthorized !== undefined && typeof tls.rejectUnauthorized !== "boolean") {
    throw invalid("option tls.rejectUnauthorized: expected a boolean");
  }
  if (tls.minVersion !== undefined && !TLS_VERSIONS.has(tls.minVersion as string)) {
    throw invalid(`option tls.minVersion: expected one of ${[...TLS_VERSIONS].join(", ")}`);
  }
}
