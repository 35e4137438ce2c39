// What `wschan` prints: messages, connection notes and errors, as plain lines or as one JSON
// object per event. Pure: each function returns the text, the caller writes it.
import type { CloseInfo, Message } from "../client/client.js";
import { WebSocketError } from "../errors/errors.js";
import type { BinaryFormat } from "./args.js";
import { escapeJson, escapeText } from "./escape.js";

/** One event of `--json` output. Every event carries `event` and an ISO 8601 `time`. */
export type CliEvent =
  | { readonly event: "open"; readonly url: string; readonly protocol: string; readonly extensions: string }
  | { readonly event: "message"; readonly message: Message }
  | { readonly event: "close"; readonly info: CloseInfo }
  | { readonly event: "error"; readonly error: unknown }
  | { readonly event: "ping"; readonly data: string }
  | { readonly event: "pong"; readonly rtt_ms: number };

/** Binary data as text, in the chosen encoding. */
export function encodeBinary(data: Uint8Array, format: BinaryFormat): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString(format);
}

/** How a binary message starts in line mode; a text message that starts the same way has its "[" escaped. */
export const BINARY_MARK = "[binary ";

/** A binary message in line mode: `[binary 3 bytes] 0102ff`, the marker first so it can never pass for text. */
export function formatBinary(data: Uint8Array, format: BinaryFormat): string {
  const head = `${BINARY_MARK}${data.length} byte${data.length === 1 ? "" : "s"}]`;
  return data.length === 0 ? head : `${head} ${encodeBinary(data, format)}`;
}

/**
 * A message as printed in line mode (no trailing newline): text with control characters escaped,
 * so it is one line and cannot drive the terminal; binary marked and encoded.
 */
export function formatMessage(message: Message, binary: BinaryFormat): string {
  if (message.type === "binary") return formatBinary(message.data, binary);
  const text = escapeText(message.data);
  return text.startsWith(BINARY_MARK) ? `\\x5b${text.slice(1)}` : text;
}

/** A message as written by `--raw`: its payload bytes, unchanged. */
export function rawMessage(message: Message): Buffer {
  return message.type === "text" ? Buffer.from(message.data, "utf8") : message.data;
}

/** The fields of an error worth showing. */
function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof WebSocketError) {
    return {
      kind: error.kind,
      message: error.message,
      retryable: error.retryable,
      id: error.id,
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

/** One `--json` line (no trailing newline), safe to show on a terminal. */
export function jsonEvent(event: CliEvent, time: Date, binary: BinaryFormat): string {
  return escapeJson(jsonText(event, time, binary));
}

function jsonText(event: CliEvent, time: Date, binary: BinaryFormat): string {
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
    case "ping":
      return JSON.stringify({ ...head, data: event.data });
    case "pong":
      return JSON.stringify({ ...head, rtt_ms: event.rtt_ms });
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
    return `wschan: ${KIND_WORDS[error.kind] ?? error.kind}: ${escapeText(error.message)}${retry}`;
  }
  return `wschan: unexpected error: ${escapeText(error instanceof Error ? (error.stack ?? error.message) : String(error))}`;
}

/** The note printed on stderr once connected. */
export function formatOpen(url: string, protocol: string, extensions: string): string {
  const extra = [
    protocol === "" ? "" : `protocol ${escapeText(protocol)}`,
    extensions === "" ? "" : `extensions ${escapeText(extensions)}`,
  ].filter((s) => s !== "");
  return `wschan: connected to ${escapeText(url)}${extra.length === 0 ? "" : ` (${extra.join(", ")})`}`;
}

/** The note printed on stderr once the connection has ended. */
export function formatClose(info: CloseInfo): string {
  const reason = info.reason === "" ? "" : ` "${escapeText(info.reason)}"`;
  return `wschan: closed with code ${info.code}${reason}${info.clean ? "" : " (not clean)"}`;
}

/** A round-trip time in milliseconds, to the microsecond. */
export function formatRtt(ms: number): string {
  return `${Math.round(ms * 1000) / 1000}ms`;
}
