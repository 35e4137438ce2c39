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
  /** Whether `err` is a WebSocketError of the given kind. */
  is(err: unknown, kind: ErrorKind): boolean {
    return err instanceof WebSocketError && err.kind === kind;
  },
});

/** The kind of a `WebSocketError`, one of the names in `errors`. */
export type ErrorKind = "PERMISSION_DENIED" | "INVALID" | "INTERNAL" | "TIMEOUT" | "CANCELED";

/** What a `WebSocketError` is made with, beside its kind and message. */
export interface WebSocketErrorOptions {
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
}

/** Every failure wschan reports. `retryable` says whether trying again can help. */
export class WebSocketError extends Error {
  /** Always "WebSocketError". */
  override readonly name = "WebSocketError";
  /** What failed, one of `errors`: compare with `errors.is(err, errors.TIMEOUT)`. */
  readonly kind: ErrorKind;
  /** Whether trying the same operation again may succeed (a dropped connection, a timeout, a 5xx/429). */
  readonly retryable: boolean;
  /** The close code, for errors about a closed connection (e.g. 1002 after a protocol error). */
  readonly code: number | undefined;
  /** The close reason, for errors about a closed connection. */
  readonly reason: string | undefined;
  /** The HTTP status of a refused opening handshake (e.g. 401, 503). */
  readonly status: number | undefined;

  constructor(kind: ErrorKind, message: string, options: WebSocketErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.retryable = options.retryable ?? false;
    this.code = options.code;
    this.reason = options.reason;
    this.status = options.status;
  }
}

export function invalid(message: string): WebSocketError {
  return new WebSocketError("INVALID", message);
}
