// What `wschan` prints: messages, connection notes and errors, as plain lines or as one JSON
// object per event. Pure: each function returns the text, the caller writes it.
import type { CloseInfo, Message } from "../client/client.js";
import { WebSocketError } from "../errors/errors.js";
import type { BinaryFormat } from "./args.js";

/** One event of `--json` output. Every event carries `event` and an ISO 8601 `time`. */
export type CliEvent =
  | { readonly event: "open"; readonly url: string; readonly protocol: string; readonly extensions: string }
  | { readonly event: "message"; readonly message: Message }
  | { readonly event: "close"; readonly info: CloseInfo }
  | { readonly event: "error"; readonly error: unknown };

/** Binary data as text, in the chosen encoding. */
export function encodeBinary(data: Uint8Array, format: BinaryFormat): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString(format);
}

/** A message as printed without `--json`: text as it came, binary encoded (no trailing newline). */
export function formatMessage(message: Message, binary: BinaryFormat): string {
  return message.type === "text" ? message.data : encodeBinary(message.data, binary);
}

/** The fields of an error worth showing. */
function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof WebSocketError) {
    return {
      kind: error.kind,
      message: error.message,
      retryable: error.retryable,
      ...(error.code === undefined ? {} : { code: error.code }),
      ...(error.status === undefined ? {} : { status: error.status }),
    };
  }
  return {
    kind: "UNEXPECTED",
    message: error instanceof Error ? error.message : String(error),
    retryable: false,
  };
}

/** One `--json` line (no trailing newline). */
export function jsonEvent(event: CliEvent, time: Date, binary: BinaryFormat): string {
  const head = { event: event.event, time: time.toISOString() };
  switch (event.event) {
    case "open":
      return JSON.stringify({
        ...head,
        url: event.url,
        protocol: event.protocol,
        extensions: event.extensions,
      });
    case "message": {
      const m = event.message;
      if (m.type === "text") return JSON.stringify({ ...head, type: "text", data: m.data });
      return JSON.stringify({
        ...head,
        type: "binary",
        encoding: binary,
        length: m.data.length,
        data: encodeBinary(m.data, binary),
      });
    }
    case "close":
      return JSON.stringify({
        ...head,
        code: event.info.code,
        reason: event.info.reason,
        clean: event.info.clean,
      });
    case "error":
      return JSON.stringify({ ...head, ...errorFields(event.error) });
  }
}

/** What each kind of failure means, in words, before the library's own message. */
const KIND_WORDS: Readonly<Record<string, string>> = {
  INVALID: "invalid",
  INTERNAL: "error",
  TIMEOUT: "timeout",
  PERMISSION_DENIED: "permission denied",
  CANCELED: "canceled",
};

/** An error as a line for stderr (no trailing newline), e.g. "wschan: timeout: nothing received for 5s (retryable)". */
export function formatError(error: unknown): string {
  if (error instanceof WebSocketError) {
    const retry = error.retryable ? " (retryable)" : "";
    return `wschan: ${KIND_WORDS[error.kind] ?? error.kind}: ${error.message}${retry}`;
  }
  return `wschan: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
}

/** The note printed on stderr once connected. */
export function formatOpen(url: string, protocol: string, extensions: string): string {
  const extra = [
    protocol === "" ? "" : `protocol ${protocol}`,
    extensions === "" ? "" : `extensions ${extensions}`,
  ].filter((s) => s !== "");
  return `wschan: connected to ${url}${extra.length === 0 ? "" : ` (${extra.join(", ")})`}`;
}

/** The note printed on stderr once the connection has ended. */
export function formatClose(info: CloseInfo): string {
  const reason = info.reason === "" ? "" : ` "${info.reason}"`;
  return `wschan: closed with code ${info.code}${reason}${info.clean ? "" : " (not clean)"}`;
}

/** The text of `wschan --help`. */
export function helpText(version: string): string {
  return `wschan ${version}: a WebSocket client for the command line

Usage: wschan [options] ws[s]://host[:port][/path]

Connects, prints each message received (text as is, binary as hex or base64, one per line) and
sends each line read from standard input as a text message. When input ends (Ctrl-D, or the end
of a pipe) it sends a Close and waits for the closing handshake to complete.

Options:
  -H, --header "Name: value"   extra handshake header (repeatable)
  -p, --protocol NAME          subprotocol to offer (repeatable, or comma-separated)
      --compression MODE       permessage-deflate: none (default), context or no-context
      --dial-timeout DURATION  bound on connecting and the handshake (default 30s)
      --read-timeout DURATION  longest silence allowed from the server (default none)
      --write-timeout DURATION bound on handing one message to the socket (default none)
      --read-limit SIZE        largest message accepted, e.g. 65536, 64KiB, 16MiB (default 16MiB)
      --ping DURATION          send a keep-alive ping this often; no pong within the
                               read timeout (30s when unset): close with 1001, exit 4
      --close CODE[:REASON]    the Close sent when input ends (default 1000)
      --binary hex|base64      how binary messages are printed (default hex)
      --json                   print one JSON object per event (open, message, close, error)
                               with an ISO 8601 "time", all on standard output
  -n, --no-input               do not read standard input; stay until the server closes
  -k, --insecure               do not verify the server's TLS certificate (test servers only)
  -q, --quiet                  no "connected"/"closed" notes on standard error
  -h, --help                   this help
  -V, --version                the version

Durations: 500ms, 5s, 1m30s. Ctrl-C closes like the end of input; a second Ctrl-C quits at once.

Exit codes:
  0    the connection ended with a normal close (1000, 1001, no code, or the echo of --close)
  1    unexpected failure
  2    invalid usage: unknown flag, bad value, bad URL or header
  3    connection failed: refused, DNS, TLS, or the handshake was refused
  4    timed out: dial, read or write timeout, or a ping without a pong
  5    closed by the server with an error code, a protocol error, or connection lost
  6    permission denied by the security policy
  130  interrupted before the connection was open, or by a second Ctrl-C

Examples:
  printf 'hello\\nworld\\n' | wschan ws://127.0.0.1:8080/echo   # send two lines, print the echoes
  wschan -n --json --ping 30s wss://example.com/stream | jq .
  wschan -H "Authorization: Bearer $TOKEN" -p graphql-ws wss://api.example.com/graphql
`;
}
