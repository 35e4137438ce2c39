import { acceptFor } from "./key.js";
import type { ParsedResponse } from "./response.js";
import { checkSelection } from "./selection.js";

/** What the client offered in its request, against which the response is judged. */
export interface HandshakeOffer {
  /** The Sec-WebSocket-Key that was sent. */
  readonly key: string;
  /** The subprotocols that were offered (empty: none). */
  readonly protocols: readonly string[];
  /** Whether a Sec-WebSocket-Extensions offer was sent. */
  readonly extensionsOffered: boolean;
}

/** The result of checking the response: the negotiated values, or why the connection must fail. */
export type HandshakeOutcome =
  | {
      readonly ok: true;
      /** The subprotocol the server chose; "" when it chose none. */
      readonly protocol: string;
      /** The server's Sec-WebSocket-Extensions, repeated headers joined with ", "; "" when absent. */
      readonly extensions: string;
    }
  | {
      readonly ok: false;
      readonly message: string;
      /** True only for a refusal with a 5xx or 429 status, where trying again later may succeed. */
      readonly retryable: boolean;
      /** The status of a response that was not 101. */
      readonly status?: number;
      /** The Location of a 3xx response, which is reported and never followed. */
      readonly location?: string;
    };

/** The elements of a comma-separated header list over all lines of the header, lower-cased, empty ones dropped. */
function tokenList(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const value of values) {
    for (const element of value.split(",")) {
      const token = element.trim().toLowerCase();
      if (token !== "") out.push(token);
    }
  }
  return out;
}

function fail(message: string): HandshakeOutcome {
  return { ok: false, message, retryable: false };
}

/** How a header's values read in a message: quoted, repeated lines joined with ", ". */
function quote(values: readonly string[]): string {
  return JSON.stringify(values.join(", "));
}

/**
 * validateResponse checks the server's final response against the offer (RFC 6455 §4.1, the
 * client's checks of the server's handshake). Anything other than 101 is a refusal, retryable
 * only for 5xx and 429; redirects are reported with their Location but not followed, because
 * following one silently would hand the user's headers to another origin. A 101 must upgrade to
 * "websocket", with "upgrade" in Connection (both compared case-insensitively, as elements of
 * comma-separated lists that may span several header lines), and carry exactly one
 * Sec-WebSocket-Accept equal to `acceptFor(key)`. A subprotocol, if the server names one, must be
 * a single value among those offered, compared case-sensitively; naming none is allowed (the
 * server declined them all) and yields "". Extensions are refused when none were offered;
 * otherwise their raw value is returned for the extension's own strict checks.
 */
export function validateResponse(res: ParsedResponse, offer: HandshakeOffer): HandshakeOutcome {
  const { status, headers } = res;
  if (status !== 101) {
    const described = res.statusText === "" ? `${status}` : `${status} ${res.statusText}`;
    if (status >= 300 && status < 400) {
      const location = headers.get("location")?.[0];
      if (location === undefined) {
        return {
          ok: false,
          message: `the server answered the WebSocket upgrade with the redirect ${described} but no Location header; redirects are not followed`,
          retryable: false,
          status,
        };
      }
      return {
        ok: false,
        message: `the server answered the WebSocket upgrade with the redirect ${described} to ${JSON.stringify(location)}; redirects are not followed`,
        retryable: false,
        status,
        location,
      };
    }
    return {
      ok: false,
      message: `the server refused the WebSocket upgrade with status ${described}`,
      retryable: status === 429 || (status >= 500 && status < 600),
      status,
    };
  }

  const upgrade = headers.get("upgrade");
  if (upgrade === undefined) return fail("the server's 101 response has no Upgrade header");
  if (!tokenList(upgrade).includes("websocket")) {
    return fail(`the server's Upgrade header is ${quote(upgrade)}, which does not name "websocket"`);
  }

  const connection = headers.get("connection");
  if (connection === undefined) return fail("the server's 101 response has no Connection header");
  if (!tokenList(connection).includes("upgrade")) {
    return fail(`the server's Connection header is ${quote(connection)}, which does not contain "Upgrade"`);
  }

  const accept = headers.get("sec-websocket-accept");
  if (accept === undefined) return fail("the server's 101 response has no Sec-WebSocket-Accept header");
  if (accept.length !== 1) {
    return fail(
      `the server sent the Sec-WebSocket-Accept header ${accept.length} times; it must appear once`,
    );
  }
  const expected = acceptFor(offer.key);
  if (accept[0] !== expected) {
    return fail(
      `the server's Sec-WebSocket-Accept header is ${quote(accept)} but the key sent requires ${JSON.stringify(expected)}`,
    );
  }

  const selection = checkSelection(
    headers.get("sec-websocket-protocol"),
    headers.get("sec-websocket-extensions"),
    offer,
  );
  if (!selection.ok) return fail(selection.message);
  return { ok: true, protocol: selection.protocol, extensions: selection.extensions };
}
