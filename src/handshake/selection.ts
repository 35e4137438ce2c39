/**
 * The server's choices in an opening handshake, judged against the client's offer: the same rules
 * for HTTP/1.1 (RFC 6455 §4.1) and for HTTP/2's extended CONNECT (RFC 8441 §5), whose responses
 * carry Sec-WebSocket-Protocol and Sec-WebSocket-Extensions with the same meaning.
 */

/** What the server chose, or why its choice is not acceptable. */
export type Selection =
  | {
      readonly ok: true;
      /** The subprotocol the server chose; "" when it chose none. */
      readonly protocol: string;
      /** The server's Sec-WebSocket-Extensions, repeated headers joined with ", "; "" when absent. */
      readonly extensions: string;
    }
  | { readonly ok: false; readonly message: string };

/** How a header's values read in a message: quoted, repeated lines joined with ", ". */
function quote(values: readonly string[]): string {
  return JSON.stringify(values.join(", "));
}

/**
 * checkSelection: a subprotocol, if the server names one, must be a single value among those
 * offered, compared case-sensitively; naming none is allowed (the server declined them all) and
 * yields "". Extensions are refused when none were offered; otherwise their raw value is returned
 * for the extension's own strict checks. `protocolValues` and `extensionValues` are the header's
 * lines (undefined when absent).
 */
export function checkSelection(
  protocolValues: readonly string[] | undefined,
  extensionValues: readonly string[] | undefined,
  offer: { readonly protocols: readonly string[]; readonly extensionsOffered: boolean },
): Selection {
  let protocol = "";
  if (protocolValues !== undefined) {
    if (protocolValues.length !== 1 || protocolValues[0]!.includes(",")) {
      return {
        ok: false,
        message: `the server's Sec-WebSocket-Protocol header is ${quote(protocolValues)}; it must name exactly one subprotocol`,
      };
    }
    protocol = protocolValues[0]!;
    if (offer.protocols.length === 0) {
      return {
        ok: false,
        message: `the server selected the subprotocol ${JSON.stringify(protocol)} in Sec-WebSocket-Protocol but none was offered`,
      };
    }
    if (!offer.protocols.includes(protocol)) {
      const offered = offer.protocols.map((p) => JSON.stringify(p)).join(", ");
      return {
        ok: false,
        message: `the server selected the subprotocol ${JSON.stringify(protocol)} in Sec-WebSocket-Protocol, which is not one of those offered (${offered})`,
      };
    }
  }

  const extensions = (extensionValues ?? []).filter((v) => v !== "").join(", ");
  if (extensions !== "" && !offer.extensionsOffered) {
    return {
      ok: false,
      message: `the server accepted an extension the client did not offer (Sec-WebSocket-Extensions: ${extensions})`,
    };
  }
  return { ok: true, protocol, extensions };
}
