/** The kinds of failure, each a string equal to its name so that it prints and compares plainly. */
export const errors = Object.freeze({
  PERMISSION_DENIED: "PERMISSION_DENIED",
  INVALID: "INVALID",
  INTERNAL: "INTERNAL",
  TIMEOUT: "TIMEOUT",
  CANCELED: "CANCELED",
  /** Whether `err` is a WebSocketError of the given kind. */
  is(err: unknown, kind: ErrorKind): boolean {
    return err instanceof WebSocketError && err.kind === kind;
  },
});

export type ErrorKind = "PERMISSION_DENIED" | "INVALID" | "INTERNAL" | "TIMEOUT" | "CANCELED";

export interface WebSocketErrorOptions {
  /** Whether trying the same operation again may succeed. Default false. */
  readonly retryable?: boolean;
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
  override readonly name = "WebSocketError";
  readonly kind: ErrorKind;
  readonly retryable: boolean;
  readonly code: number | undefined;
  readonly reason: string | undefined;
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
