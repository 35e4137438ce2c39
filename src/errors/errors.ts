/** The kinds of failure, each a string equal to its name so that it prints and compares plainly. */
export const errors = Object.freeze({
  /** The security policy refused the connection or its URL. Not retryable. */
  PERMISSION_DENIED: "PERMISSION_DENIED",
  /** A bad URL, option or argument; nothing was sent. Not retryable. */
  INVALID: "INVALID",
  /** The connection failed or broke, or the client is already closed; see `retryable`. */
  INTERNAL: "INTERNAL",
  /** A dial, read, write or ping timeout. Retryable. */
  TIMEOUT: "TIMEOUT",
  /** Cancelled through an `AbortSignal`. Not retryable. */
  CANCELED: "CANCELED",
  /** Whether `err` is a WebSocketError of the given kind; narrows `err` to a `WebSocketError` of that kind. */
  is<K extends ErrorKind>(err: unknown, kind: K): err is WebSocketError & { readonly kind: K } {
    return err instanceof WebSocketError && err.kind === kind;
  },
});

/** The kind of a `WebSocketError`, one of the names in `errors`. */
export type ErrorKind = "PERMISSION_DENIED" | "INVALID" | "INTERNAL" | "TIMEOUT" | "CANCELED";

/**
 * Every stable identifier of what happened, with its kind, whether a retry can help by default,
 * and, for failures of an open connection, the close code it causes. This table is the one place
 * where a failure becomes a kind, a retry rule and a close code; the README lists it.
 */
export const ERROR_IDS = Object.freeze({
  // ---- bad arguments and policy: nothing was sent ----
  INVALID_URL: { kind: "INVALID", retryable: false },
  INVALID_OPTION: { kind: "INVALID", retryable: false },
  INVALID_ARGUMENT: { kind: "INVALID", retryable: false },
  POLICY_CONNECT_DISABLED: { kind: "PERMISSION_DENIED", retryable: false },
  POLICY_URL_DENIED: { kind: "PERMISSION_DENIED", retryable: false },
  POLICY_PRIVATE_NETWORK: { kind: "PERMISSION_DENIED", retryable: false },
  /** A unix domain socket refused by the policy's `unix_sockets` rule (or by `private_networks: false`). */
  POLICY_UNIX_SOCKET: { kind: "PERMISSION_DENIED", retryable: false },

  // ---- dialling: DNS, TCP, proxy, TLS, the opening handshake ----
  DNS_FAILED: { kind: "INTERNAL", retryable: true },
  CONNECT_FAILED: { kind: "INTERNAL", retryable: true },
  PROXY_FAILED: { kind: "INTERNAL", retryable: true },
  PROXY_REFUSED: { kind: "INTERNAL", retryable: false },
  TLS_FAILED: { kind: "INTERNAL", retryable: true },
  /** The server answered the Upgrade with another status than 101 (retryable for 5xx and 429). */
  HANDSHAKE_STATUS: { kind: "INTERNAL", retryable: false },
  /** The server's 101 was wrong: bad Accept, an unoffered subprotocol or extension, bad headers. */
  HANDSHAKE_INVALID: { kind: "INTERNAL", retryable: false },
  /** The server ended the connection before its handshake response was complete. */
  HANDSHAKE_CLOSED: { kind: "INTERNAL", retryable: true },
  /** `http2: true`, but the server offers no HTTP/2 or no extended CONNECT (RFC 8441), or asks for HTTP/1.1. */
  HTTP2_UNSUPPORTED: { kind: "INTERNAL", retryable: false },
  /** The HTTP/2 session carrying the connection went away (GOAWAY, a session error, a reset or refused stream). */
  HTTP2_SESSION_LOST: { kind: "INTERNAL", retryable: true },
  DIAL_TIMEOUT: { kind: "TIMEOUT", retryable: true },
  CANCELED: { kind: "CANCELED", retryable: false },

  // ---- the peer broke RFC 6455 / RFC 7692: our Close carries the code ----
  PROTOCOL_ERROR: { kind: "INTERNAL", retryable: false, close: 1002 },
  INVALID_UTF8: { kind: "INTERNAL", retryable: false, close: 1007 },
  INVALID_COMPRESSED_DATA: { kind: "INTERNAL", retryable: false, close: 1007 },

  // ---- our own limits and failures: never reported as the peer's protocol error ----
  /** A message (or its inflated size) passed `read_limit`. */
  MESSAGE_TOO_LARGE: { kind: "INTERNAL", retryable: false, close: 1009 },
  /** The peer made us owe more than the outgoing byte bound (a ping flood that never reads). */
  OUTGOING_OVERFLOW: { kind: "INTERNAL", retryable: true, close: 1008 },
  /** Compressing or decompressing failed on our side, or memory ran out on the receive path. */
  INTERNAL_ERROR: { kind: "INTERNAL", retryable: false, close: 1011 },

  // ---- an open connection ended badly ----
  /** The peer ended TCP (a FIN) without a closing handshake. */
  CONNECTION_ENDED: { kind: "INTERNAL", retryable: true, close: 1006 },
  /** The socket failed: a reset, a broken pipe. */
  CONNECTION_RESET: { kind: "INTERNAL", retryable: true, close: 1006 },
  READ_TIMEOUT: { kind: "TIMEOUT", retryable: true, close: 1006 },
  WRITE_TIMEOUT: { kind: "TIMEOUT", retryable: true, close: 1006 },
  KEEPALIVE_TIMEOUT: { kind: "TIMEOUT", retryable: true, close: 1006 },
  /** We sent a Close and the peer did not answer within the close timeout. */
  CLOSE_TIMEOUT: { kind: "TIMEOUT", retryable: true, close: 1006 },
  /** A `ping()` got no pong in time (the connection stays open). */
  PING_TIMEOUT: { kind: "TIMEOUT", retryable: true },

  // ---- use of a client that is closing or closed ----
  CLIENT_CLOSED: { kind: "INTERNAL", retryable: false },
} as const satisfies Record<string, { kind: ErrorKind; retryable: boolean; close?: number }>);

/** A stable, documented identifier of what failed: a key of `ERROR_IDS`. */
export type ErrorId = keyof typeof ERROR_IDS;

/** What a `WebSocketError` is made with, beside its kind and message. */
export interface WebSocketErrorOptions {
  /** The stable identifier of what happened. Default: a generic one for the kind. */
  readonly id?: ErrorId;
  /** Whether trying the same operation again may succeed. Default false. */
  readonly retryable?: boolean;
  /** The underlying error (a socket or TLS error, say), as `Error.cause`. */
  readonly cause?: unknown;
  /** The close code, for errors about a closed connection. */
  readonly code?: number;
  /** The close reason, for errors about a closed connection. */
  readonly reason?: string;
  /** The HTTP status, for a refused opening handshake. */
  readonly status?: number;
  /** The whole refused response (status line, headers, body up to 64 KiB): a refused handshake or CONNECT. */
  readonly response?: HttpResponse;
  /** The reply code (RFC 1928 §6) of a SOCKS5 proxy that refused the tunnel. */
  readonly socksReply?: number;
  /** Every connection attempt of a failed dial, in the order they started. */
  readonly attempts?: readonly DialAttempt[];
}

/** An HTTP response that refused a handshake or a proxy CONNECT. */
export interface HttpResponse {
  readonly status: number;
  readonly statusText: string;
  /** Header values by lower-case name, repeats kept in order. */
  readonly headers: Readonly<Record<string, readonly string[]>>;
  /** The body, at most 64 KiB (the rest is dropped). */
  readonly body: Uint8Array;
}

/** One connection attempt of a dial: where, in which phase it ended, and how. */
export interface DialAttempt {
  /** The address (or unix socket path) tried. */
  readonly address: string;
  readonly port?: number;
  /** The phase it failed in, such as "TCP connect". */
  readonly phase: string;
  /** What went wrong, one line. */
  readonly error: string;
}

const GENERIC_IDS: Record<ErrorKind, ErrorId> = {
  PERMISSION_DENIED: "POLICY_URL_DENIED",
  INVALID: "INVALID_ARGUMENT",
  INTERNAL: "INTERNAL_ERROR",
  TIMEOUT: "READ_TIMEOUT",
  CANCELED: "CANCELED",
};

/** Every failure wschan reports. `retryable` says whether trying again can help. */
export class WebSocketError extends Error {
  /** Always "WebSocketError". */
  override readonly name = "WebSocketError";
  /** What failed, one of `errors`: compare with `errors.is(err, errors.TIMEOUT)`. */
  readonly kind: ErrorKind;
  /** The stable identifier of what happened (`"MESSAGE_TOO_LARGE"`, `"HANDSHAKE_STATUS"`, …): see `ERROR_IDS`. */
  readonly id: ErrorId;
  /** Whether trying the same operation again may succeed (a dropped connection, a timeout, a 5xx/429). */
  readonly retryable: boolean;
  /** The close code, for errors about a closed connection (e.g. 1002 after a protocol error). */
  readonly code: number | undefined;
  /** The close reason, for errors about a closed connection. */
  readonly reason: string | undefined;
  /** The HTTP status of a refused opening handshake (e.g. 401, 503). */
  readonly status: number | undefined;
  /** The refused response of a handshake or proxy CONNECT: status line, headers, body (≤ 64 KiB). */
  readonly response: HttpResponse | undefined;
  /** The reply code (RFC 1928 §6) of a SOCKS5 proxy that refused the tunnel. */
  readonly socksReply: number | undefined;
  /** Every connection attempt of a failed dial (address, phase, error). */
  readonly attempts: readonly DialAttempt[] | undefined;

  constructor(kind: ErrorKind, message: string, options: WebSocketErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.id = options.id ?? GENERIC_IDS[kind];
    this.retryable = options.retryable ?? false;
    this.code = options.code;
    this.reason = options.reason;
    this.status = options.status;
    this.response = options.response;
    this.socksReply = options.socksReply;
    this.attempts = options.attempts;
  }
}

/** What `failure` takes beside the identifier and message; kind and the retry rule come from `ERROR_IDS`. */
export type FailureOptions = Omit<WebSocketErrorOptions, "id">;

/**
 * The one constructor of errors inside wschan: the identifier decides the kind, the default retry
 * rule and (for a failed connection) the close code.
 */
export function failure(id: ErrorId, message: string, options: FailureOptions = {}): WebSocketError {
  const entry: { kind: ErrorKind; retryable: boolean; close?: number } = ERROR_IDS[id];
  return new WebSocketError(entry.kind, message, {
    ...options,
    id,
    retryable: options.retryable ?? entry.retryable,
    ...(options.code === undefined && entry.close !== undefined ? { code: entry.close } : {}),
  });
}

/** The close code a failure of an open connection causes (1006 where the table names none). */
export function closeCodeOf(id: ErrorId): number {
  const entry: { kind: ErrorKind; close?: number } = ERROR_IDS[id];
  return entry.close ?? 1006;
}

export function invalid(message: string, id: ErrorId = "INVALID_ARGUMENT"): WebSocketError {
  return failure(id, message);
}
