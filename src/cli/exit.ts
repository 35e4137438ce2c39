// Exit codes of `wschan`, and how an error or a close maps to one. Pure.
import type { CloseInfo } from "../client/client.js";
import { type ErrorId, WebSocketError } from "../errors/errors.js";

/** The process exit codes, documented in `--help` and docs/cli.md. */
export const EXIT = Object.freeze({
  /** The connection ended with a normal close. */
  OK: 0,
  /** Something unexpected (a bug): the message says what. */
  FAILURE: 1,
  /** Invalid usage: an unknown flag, a bad value, a bad URL, header or file. */
  USAGE: 2,
  /** The connection could not be made: refused, DNS, proxy, TLS, or the handshake was refused or wrong. */
  CONNECT: 3,
  /** A dial, read or write timeout, a keep-alive or a ping without a pong. */
  TIMEOUT: 4,
  /** The peer closed with an error code, broke the protocol, or the connection was lost. */
  CLOSED: 5,
  /** The security policy refused the connection. */
  PERMISSION: 6,
  /** Interrupted (Ctrl-C) before the connection was open, or twice. */
  INTERRUPTED: 130,
} as const);

/** Exit codes decided by the error's stable id alone, whenever the connection ended. */
const BY_ID: Partial<Record<ErrorId, number>> = {
  INVALID_URL: EXIT.USAGE,
  INVALID_OPTION: EXIT.USAGE,
  INVALID_ARGUMENT: EXIT.USAGE,
  POLICY_CONNECT_DISABLED: EXIT.PERMISSION,
  POLICY_URL_DENIED: EXIT.PERMISSION,
  POLICY_PRIVATE_NETWORK: EXIT.PERMISSION,
  DNS_FAILED: EXIT.CONNECT,
  CONNECT_FAILED: EXIT.CONNECT,
  PROXY_FAILED: EXIT.CONNECT,
  PROXY_REFUSED: EXIT.CONNECT,
  TLS_FAILED: EXIT.CONNECT,
  HANDSHAKE_STATUS: EXIT.CONNECT,
  HANDSHAKE_INVALID: EXIT.CONNECT,
  HANDSHAKE_CLOSED: EXIT.CONNECT,
  CANCELED: EXIT.INTERRUPTED,
  PROTOCOL_ERROR: EXIT.CLOSED,
  INVALID_UTF8: EXIT.CLOSED,
  INVALID_COMPRESSED_DATA: EXIT.CLOSED,
  MESSAGE_TOO_LARGE: EXIT.CLOSED,
  OUTGOING_OVERFLOW: EXIT.CLOSED,
  CONNECTION_ENDED: EXIT.CLOSED,
  CONNECTION_RESET: EXIT.CLOSED,
};

/**
 * The exit code for an error. `phase` says whether it came from `connect` (an INTERNAL failure
 * there means the connection could not be made) or from an open connection (the peer or the
 * network ended it). The stable `id` decides where it is specific; the `kind` otherwise, since
 * errors made without an id carry the generic one of their kind.
 */
export function exitCodeForError(error: unknown, phase: "connect" | "open" = "connect"): number {
  if (!(error instanceof WebSocketError)) return EXIT.FAILURE;
  switch (error.kind) {
    case "INVALID":
      return EXIT.USAGE;
    case "PERMISSION_DENIED":
      return EXIT.PERMISSION;
    case "TIMEOUT":
      return EXIT.TIMEOUT;
    case "CANCELED":
      return EXIT.INTERRUPTED;
    case "INTERNAL":
      if (error.id !== "INTERNAL_ERROR" && error.id !== "CLIENT_CLOSED") {
        const byId = BY_ID[error.id];
        if (byId !== undefined) return byId;
      }
      return phase === "connect" ? EXIT.CONNECT : EXIT.CLOSED;
    default:
      return EXIT.FAILURE;
  }
}

/** Close codes from the peer that count as a normal end: normal, going away, and no status. */
const NORMAL_CLOSE_CODES = new Set([1000, 1001, 1005]);

/**
 * The exit code once an open connection has ended. `sentCode` is the code of the Close we sent
 * first (end of input, Ctrl-C), if we started the closing handshake. A clean end is normal when
 * the peer's code is 1000, 1001, none (1005), or the echo of the code we chose.
 */
export function exitCodeForClose(info: CloseInfo, sentCode?: number): number {
  if (info.error !== undefined && info.error.kind === "TIMEOUT") return EXIT.TIMEOUT;
  if (!info.clean) return info.error === undefined ? EXIT.CLOSED : exitCodeForError(info.error, "open");
  return NORMAL_CLOSE_CODES.has(info.code) || info.code === sentCode ? EXIT.OK : EXIT.CLOSED;
}
