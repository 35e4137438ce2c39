// Exit codes of `wschan`, and how an error or a close maps to one. Pure.
import type { CloseInfo } from "../client/client.js";
import { WebSocketError } from "../errors/errors.js";

/** The process exit codes, documented in `--help` and the README. */
export const EXIT = Object.freeze({
  /** The connection ended with a normal close. */
  OK: 0,
  /** Something unexpected (a bug): the message says what. */
  FAILURE: 1,
  /** Invalid usage: an unknown flag, a bad value, a bad URL or header. */
  USAGE: 2,
  /** The connection could not be made: refused, DNS, TLS, or the handshake was refused or wrong. */
  CONNECT: 3,
  /** A dial, read or write timeout, or a keep-alive ping without a pong. */
  TIMEOUT: 4,
  /** The peer closed with an error code, broke the protocol, or the connection was lost. */
  CLOSED: 5,
  /** The security policy refused the connection. */
  PERMISSION: 6,
  /** Interrupted (Ctrl-C) before the connection was open, or twice. */
  INTERRUPTED: 130,
} as const);

/** Close codes from the peer that count as a normal end: normal, going away, and no status. */
const NORMAL_CLOSE_CODES = new Set([1000, 1001, 1005]);

/** The exit code for an error thrown by `connect`, `send`, `ping` or `close`. */
export function exitCodeForError(error: unknown): number {
  if (!(error instanceof WebSocketError)) return EXIT.FAILURE;
  switch (error.kind) {
    case "INVALID":
      return EXIT.USAGE;
    case "INTERNAL":
      return EXIT.CONNECT;
    case "TIMEOUT":
      return EXIT.TIMEOUT;
    case "PERMISSION_DENIED":
      return EXIT.PERMISSION;
    case "CANCELED":
      return EXIT.INTERRUPTED;
    default:
      return EXIT.FAILURE;
  }
}

/**
 * The exit code once an open connection has ended. `sentCode` is the code of the Close we sent
 * first (end of input, Ctrl-C), if we started the closing handshake. A clean end is normal when
 * the peer's code is 1000, 1001, none (1005), or the echo of the code we chose.
 */
export function exitCodeForClose(info: CloseInfo, sentCode?: number): number {
  if (info.error?.kind === "TIMEOUT") return EXIT.TIMEOUT;
  if (!info.clean) return EXIT.CLOSED;
  return NORMAL_CLOSE_CODES.has(info.code) || info.code === sentCode ? EXIT.OK : EXIT.CLOSED;
}
