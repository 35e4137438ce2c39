/**
 * Checks on what the user asks us to put in the opening handshake. Each check returns a sentence
 * describing the first problem found, or undefined when the input is acceptable; the client turns
 * the sentence into an INVALID error before any socket is opened.
 */

/** RFC 7230 §3.2.6 token: one or more tchar. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Characters a header value may not contain: controls other than HTAB (CR, LF and NUL among them),
 * DEL, and anything above U+00FF, which has no single-byte encoding on the wire (Node's own
 * `http` refuses those too).
 */
const BAD_VALUE_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * Headers the handshake itself writes or that would change how the request is framed; letting the
 * user set them could break or smuggle the upgrade. Lower-case, compared case-insensitively.
 */
const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  "upgrade",
  "connection",
  "sec-websocket-key",
  "sec-websocket-version",
  "sec-websocket-accept",
  "sec-websocket-extensions",
  "sec-websocket-protocol",
  "host",
  "content-length",
  "transfer-encoding",
]);

/** isToken reports whether `s` is an RFC 7230 token (non-empty, tchar only). */
export function isToken(s: string): boolean {
  return TOKEN.test(s);
}

/** Renders a user-supplied string for an error message without letting control characters through. */
function show(s: string): string {
  return JSON.stringify(s);
}

/**
 * checkUserHeaders validates the extra handshake headers: names must be tokens, values may hold
 * only HTAB, visible ASCII, SP and Latin-1 (no CR, LF, NUL or other controls), the handshake's own
 * headers and the framing headers are refused, and two names that differ only by case are refused
 * because they would reach the server as one repeated header the user did not ask for.
 */
export function checkUserHeaders(headers: Record<string, string>): string | undefined {
  const seen = new Map<string, string>();
  for (const name of Object.keys(headers)) {
    const value: unknown = headers[name];
    if (!isToken(name)) {
      return `header name ${show(name)} is not a valid HTTP token`;
    }
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower)) {
      return `header ${show(name)} is set by the WebSocket handshake and cannot be overridden`;
    }
    const previous = seen.get(lower);
    if (previous !== undefined) {
      return `headers ${show(previous)} and ${show(name)} differ only by case; give each header once`;
    }
    seen.set(lower, name);
    if (typeof value !== "string") {
      return `the value of header ${show(name)} must be a string, not ${value === null ? "null" : typeof value}`;
    }
    if (BAD_VALUE_CHAR.test(value)) {
      return `the value of header ${show(name)} contains a control character or a character above U+00FF`;
    }
  }
  return undefined;
}

/**
 * checkProtocols validates the subprotocols to offer (RFC 6455 §4.1, client requirement 10): each
 * must be a non-empty token, and they must be unique. Subprotocol names are compared
 * case-sensitively, here and when the server's choice is checked: RFC 6455 only asks for "unique
 * strings" and defines no case folding for them, and the WHATWG WebSocket API and `ws` compare
 * them exactly, so "chat" and "Chat" are two different offers.
 */
export function checkProtocols(protocols: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const protocol of protocols) {
    if (typeof protocol !== "string") {
      return `every subprotocol must be a string, not ${protocol === null ? "null" : typeof protocol}`;
    }
    if (!isToken(protocol)) {
      return `subprotocol ${show(protocol)} is not a valid token (non-empty, no spaces, commas or other separators)`;
    }
    if (seen.has(protocol)) {
      return `subprotocol ${show(protocol)} is offered more than once`;
    }
    seen.add(protocol);
  }
  return undefined;
}
