import { invalid, type WebSocketError } from "../errors/errors.js";
import { checkProtocols, checkUserHeaders } from "../handshake/index.js";
import { type CompiledPolicy, compilePolicy, type Policy } from "../policy/policy.js";
import { COMPRESSION, type CompressionMode } from "../protocol/constants.js";
import { durationProblem, parseDuration } from "./duration.js";
import { bare, isRecord, ownArray, ownEntries } from "./own.js";
import { unknownField } from "./suggest.js";
import { snapshotTls, type TlsOptions } from "./tls.js";

export type { TlsOptions } from "./tls.js";

import { NETWORK_KNOWN, type NetworkOptions, type ResolvedNetwork, resolveNetwork } from "./network.js";

/** The `http2` option: see `ConnectOptions.http2`. */
export type Http2Mode = boolean | "auto";

/** A duration: milliseconds, or a Go duration string such as "300ms", "5s", "1m30s". */
export type Duration = number | string;

/** The options of `connect`; every field is optional. Network options: see `NetworkOptions` and docs/networks.md. */
export interface ConnectOptions extends NetworkOptions {
  /** Extra handshake headers, names sent as given. Default none. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Subprotocols offered, in order of preference. Default none. */
  readonly protocols?: readonly string[] | undefined;
  /** Bound on DNS, TCP, TLS and the handshake together. Default 30 s. */
  readonly dial_timeout?: Duration | undefined;
  /** Longest silence allowed between incoming frames once open. Default none. */
  readonly read_timeout?: Duration | undefined;
  /** Bound on one send, ping or close being handed to the socket. Default none. */
  readonly write_timeout?: Duration | undefined;
  /** permessage-deflate mode, one of `COMPRESSION`. Default `COMPRESSION.DISABLED`. */
  readonly compression?: CompressionMode | undefined;
  /** Messages smaller than this are sent uncompressed (0–100 MiB). Default 0: 128 B with context takeover, 512 B without. */
  readonly compression_threshold?: number | undefined;
  /** Largest incoming message in bytes, after decompression, inclusive (0–128 MiB). Default 0: 16 MiB. */
  readonly read_limit?: number | undefined;
  /** Messages buffered in the receive channel before the socket is paused (1–10000). Default 32. */
  readonly channel_capacity?: number | undefined;
  /** Ping after this long without receiving anything; fail the connection (TIMEOUT) when still nothing comes. Default none. */
  readonly keepalive?: Duration | undefined;
  /** How long to wait after a keep-alive ping before failing the connection. Default: equal to `keepalive`. */
  readonly keepalive_timeout?: Duration | undefined;
  /** TLS settings for `wss:`. */
  readonly tls?: TlsOptions | undefined;
  /** Cancels the dial (CANCELED) when aborted; once open, aborting closes the connection with 1001. Default none. */
  readonly signal?: AbortSignal | undefined;
  /** A policy for this connection, applied on top of `websocket.policy`: it can only narrow it. Default none. */
  readonly policy?: Policy | undefined;

  // ---- bounds and the closing handshake ----
  /**
   * Bytes of received messages left unread in the channel before the socket is paused (64 KiB –
   * 1 GiB), beside `channel_capacity`'s count. Default 16 MiB; once our Close is sent, twice that.
   */
  readonly channel_byte_limit?: number | undefined;
  /**
   * Bytes waiting to be written (queued messages and the write under way) before the connection
   * fails with OUTGOING_OVERFLOW (64 KiB – 1 GiB): the peer is not reading. A message larger than
   * this is still sent when nothing else waits. Default 64 MiB.
   */
  readonly write_limit?: number | undefined;
  /** How long to wait for the server's Close after sending ours, then fail with CLOSE_TIMEOUT (1006). Default 5 s. */
  readonly close_timeout?: Duration | undefined;
  /**
   * WebSockets over HTTP/2 (RFC 8441, docs/http2.md). `"auto"`: for `wss:`, offer `h2` in ALPN and
   * use HTTP/2 when the server allows the extended CONNECT, else HTTP/1.1 (remembered per origin);
   * `ws:` stays on HTTP/1.1. `true`: HTTP/2 only (prior knowledge for `ws:`), no fallback.
   * Default `false`: HTTP/1.1.
   */
  readonly http2?: Http2Mode | undefined;
}

export const MiB = 1024 * 1024;
export const DEFAULT_DIAL_TIMEOUT_MS = 30_000;
export const DEFAULT_READ_LIMIT = 16 * MiB;
export const MAX_READ_LIMIT = 128 * MiB;
export const MAX_COMPRESSION_THRESHOLD = 100 * MiB;
export const DEFAULT_CHANNEL_CAPACITY = 32;
export const MAX_CHANNEL_CAPACITY = 10_000;
export const DEFAULT_CHANNEL_BYTE_LIMIT = 16 * MiB;
export const DEFAULT_WRITE_LIMIT = 64 * MiB;
export const MIN_BYTE_LIMIT = 64 * 1024;
export const MAX_BYTE_LIMIT = 1024 * MiB;
export const DEFAULT_CLOSE_TIMEOUT_MS = 5000;

/**
 * Options checked and defaulted; durations in milliseconds, 0 meaning none. A frozen snapshot
 * with no prototype, taken once when `connect` is called: later changes to the caller's objects,
 * and anything added to `Object.prototype`, never reach it.
 */
export interface ResolvedOptions extends ResolvedNetwork {
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
  readonly signal: AbortSignal | undefined;
  /** `options.policy`, checked; the process-wide policy is read when connecting. */
  readonly policy: CompiledPolicy | undefined;
  readonly channelByteLimit: number;
  readonly writeLimit: number;
  readonly closeTimeout: number;
  readonly http2: Http2Mode;
}

const KNOWN: ReadonlySet<string> = new Set([
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
  "signal",
  "policy",
  "channel_byte_limit",
  "write_limit",
  "close_timeout",
  ...NETWORK_KNOWN,
  "http2",
]);

function optionError(message: string): WebSocketError {
  return invalid(`option ${message}`, "INVALID_OPTION");
}

function duration(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = parseDuration(value);
  if (ms === undefined) throw optionError(`${name}: ${durationProblem(value)}`);
  return ms;
}

function integer(name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw optionError(`${name}: expected an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

/** The `headers` option copied (own properties, each read once) and checked. */
function snapshotHeaders(input: unknown): Readonly<Record<string, string>> {
  if (input === undefined) return bare({});
  if (!isRecord(input)) throw optionError("headers: expected an object of header names to string values");
  const headers = ownEntries(input);
  for (const value of Object.values(headers)) {
    if (typeof value !== "string") throw optionError("headers: every value must be a string");
  }
  const problem = checkUserHeaders(headers as Record<string, string>);
  if (problem !== undefined) throw optionError(`headers: ${problem}`);
  return headers as Readonly<Record<string, string>>;
}

/** The `protocols` option copied and checked. */
function snapshotProtocols(input: unknown): readonly string[] {
  if (input === undefined) return Object.freeze([]);
  const protocols = ownArray(input);
  if (protocols === undefined || protocols.some((p) => typeof p !== "string")) {
    throw optionError("protocols: expected an array of strings");
  }
  const problem = checkProtocols(protocols as string[]);
  if (problem !== undefined) throw optionError(`protocols: ${problem}`);
  return protocols as readonly string[];
}

/**
 * Checks every option and fills in defaults, synchronously, reading own properties only; returns
 * the snapshot everything downstream reads (see `ResolvedOptions`). Throws an INVALID
 * WebSocketError (id INVALID_OPTION) naming the culprit.
 */
export function resolveOptions(options: unknown): ResolvedOptions {
  if (options === undefined || options === null) options = {};
  if (!isRecord(options)) throw invalid("options must be an object", "INVALID_OPTION");
  // Each option is read once, from the object itself: a getter cannot change its answer later.
  const o = ownEntries(options);
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key)) throw invalid(unknownField("option", key, KNOWN), "INVALID_OPTION");
  }
  const headers = snapshotHeaders(o.headers);
  const protocols = snapshotProtocols(o.protocols);
  const compression = o.compression ?? COMPRESSION.DISABLED;
  if (compression !== 0 && compression !== 1 && compression !== 2) {
    throw optionError(`compression: expected one of websocket.COMPRESSION, got ${String(compression)}`);
  }
  const tls = snapshotTls(o.tls);
  const signal = o.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw optionError("signal: expected an AbortSignal");
  }
  const policy = o.policy === undefined ? undefined : compilePolicy(o.policy, "options.policy");
  const keepalive = duration("keepalive", o.keepalive, 0);
  if (o.keepalive_timeout !== undefined && keepalive === 0) {
    throw optionError("keepalive_timeout: it has no effect without keepalive");
  }
  const readLimit = integer("read_limit", o.read_limit, 0, MAX_READ_LIMIT, 0);
  const resolved: ResolvedOptions = {
    headers,
    protocols,
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
    tls,
    ...resolveNetwork(o, (name, value) => snapshotTls(value, name)),
    signal,
    policy,
    channelByteLimit: integer(
      "channel_byte_limit",
      o.channel_byte_limit,
      MIN_BYTE_LIMIT,
      MAX_BYTE_LIMIT,
      DEFAULT_CHANNEL_BYTE_LIMIT,
    ),
    writeLimit: integer("write_limit", o.write_limit, MIN_BYTE_LIMIT, MAX_BYTE_LIMIT, DEFAULT_WRITE_LIMIT),
    closeTimeout: duration("close_timeout", o.close_timeout, 0) || DEFAULT_CLOSE_TIMEOUT_MS,
    // ---- HTTP/2 (RFC 8441): see src/client/http2 ----
    http2: http2Mode(o.http2),
  };
  return bare(resolved);
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
