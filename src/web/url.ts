import { isToken } from "../handshake/headers.js";

/**
 * The HTML standard's URL and protocol rules for `new WebSocket(url, protocols)` and
 * `new WebSocketStream(url)`: every failure is a "SyntaxError" DOMException, thrown before anything
 * is dialled. Node has no document, so there is no base URL and a relative URL is an error.
 */
export function parseWebUrl(input: string | URL): URL {
  let url: URL;
  try {
    url = new URL(String(input));
  } catch {
    throw new DOMException(`${JSON.stringify(String(input))} is not a valid URL`, "SyntaxError");
  }
  // The standard maps http(s) to ws(s) so that a page can give its own origin's URL.
  if (url.protocol === "http:") url.protocol = "ws:";
  else if (url.protocol === "https:") url.protocol = "wss:";
  if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    throw new DOMException(`the URL's scheme must be ws: or wss:, not ${url.protocol}`, "SyntaxError");
  }
  // `hash` is "" both for no fragment and for a bare "#", which is still a fragment.
  if (url.hash !== "" || url.href.endsWith("#")) {
    throw new DOMException("a WebSocket URL cannot have a fragment", "SyntaxError");
  }
  return url;
}

/** The protocols argument as a list, checked: tokens only, no duplicates (compared exactly, as the standard does). */
export function parseWebProtocols(protocols: string | readonly string[] | undefined): string[] {
  if (protocols === undefined) return [];
  // WebIDL's (DOMString or sequence<DOMString>): anything that is not iterable becomes a string (null is "null").
  const iterable = typeof protocols === "object" && protocols !== null && Symbol.iterator in protocols;
  const list = iterable ? Array.from(protocols, String) : [String(protocols)];
  const seen = new Set<string>();
  for (const protocol of list) {
    if (!isToken(protocol)) {
      throw new DOMException(`${JSON.stringify(protocol)} is not a valid subprotocol name`, "SyntaxError");
    }
    if (seen.has(protocol)) {
      throw new DOMException(`the subprotocol ${JSON.stringify(protocol)} is given twice`, "SyntaxError");
    }
    seen.add(protocol);
  }
  return list;
}

/** The largest close reason the standard allows, in bytes of UTF-8. */
const MAX_REASON_BYTES = 123;

/** A close code and reason checked by the standard's rules, ready for the client's `close`. */
export interface CheckedClose {
  readonly code: number | undefined;
  readonly reason: string;
}

/**
 * The checks of `close(code, reason)`: a code must be 1000 or 3000–4999 ("InvalidAccessError"),
 * a reason at most 123 bytes of UTF-8 ("SyntaxError"). `code` has already been through WebIDL's
 * [Clamp] conversion when it comes from `WebSocket.close`.
 */
export function checkClose(code: number | undefined, reason: string | undefined): CheckedClose {
  if (code !== undefined && code !== 1000 && !(code >= 3000 && code <= 4999)) {
    throw new DOMException(
      `close code ${code} is neither 1000 nor in the range 3000–4999`,
      "InvalidAccessError",
    );
  }
  // USVString: lone surrogates become U+FFFD before the length is measured.
  const text = reason === undefined ? "" : String(reason).toWellFormed();
  if (Buffer.byteLength(text) > MAX_REASON_BYTES) {
    throw new DOMException(
      `the close reason is longer than ${MAX_REASON_BYTES} bytes of UTF-8`,
      "SyntaxError",
    );
  }
  return { code, reason: text };
}

/** WebIDL's [Clamp] unsigned short conversion. */
export function clampUnsignedShort(value: unknown): number {
  const n = Number(value);
  if (Number.isNaN(n)) return 0;
  const clamped = Math.min(Math.max(n, 0), 65535);
  // Round half to even, as WebIDL's [Clamp] does.
  const floor = Math.floor(clamped);
  const diff = clamped - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
