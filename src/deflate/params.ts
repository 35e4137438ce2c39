/**
 * permessage-deflate negotiation (RFC 7692 §7.1): the offer the client sends and the strict
 * parsing of the server's answer.
 */

import { isToken } from "../handshake/headers.js";

/** What was agreed, from the client's point of view. */
export interface DeflateParams {
  /** The server resets its compressor after each message: our inflater may reset too. */
  readonly serverNoContextTakeover: boolean;
  /** We must reset our compressor after each message. */
  readonly clientNoContextTakeover: boolean;
  /** The server's LZ77 window (8–15): our inflater's window. */
  readonly serverMaxWindowBits: number;
  /** The window our compressor may use at most (8–15). */
  readonly clientMaxWindowBits: number;
}

/** The two ways of offering compression: context kept between messages, or each message alone. */
export type OfferMode = "context-takeover" | "no-context";

/**
 * The Sec-WebSocket-Extensions value we offer. `client_max_window_bits` (no value) tells the
 * server it may shrink our window, which lets memory-conscious servers ask for less.
 */
export function buildOffer(mode: OfferMode): string {
  return mode === "no-context"
    ? "permessage-deflate; client_no_context_takeover; server_no_context_takeover; client_max_window_bits"
    : "permessage-deflate; client_max_window_bits";
}

export type Agreement =
  | { readonly ok: true; readonly params: DeflateParams | undefined }
  | { readonly ok: false; readonly message: string };

const WINDOW_BITS = /^(?:8|9|1[0-5])$/;

interface Extension {
  readonly name: string;
  readonly params: readonly [string, string | undefined][];
}

/**
 * Splits a Sec-WebSocket-Extensions value into extensions and parameters (RFC 6455 §9.1),
 * accepting quoted-string values. Returns a message on a syntax error.
 */
export function parseExtensions(header: string): Extension[] | string {
  const extensions: Extension[] = [];
  let i = 0;
  const n = header.length;
  const skipSpace = (): void => {
    while (i < n && (header[i] === " " || header[i] === "\t")) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < n && !' \t,;="'.includes(header[i]!)) i++;
    return header.slice(start, i);
  };
  while (true) {
    skipSpace();
    const name = token();
    if (!isToken(name)) return `malformed extension name ${JSON.stringify(name)}`;
    const params: [string, string | undefined][] = [];
    skipSpace();
    while (header[i] === ";") {
      i++;
      skipSpace();
      const key = token();
      if (!isToken(key)) return `malformed parameter in extension ${name}`;
      skipSpace();
      let value: string | undefined;
      if (header[i] === "=") {
        i++;
        skipSpace();
        if (header[i] === '"') {
          i++;
          let quoted = "";
          while (i < n && header[i] !== '"') {
            if (header[i] === "\\") i++;
            if (i < n) quoted += header[i++];
          }
          if (header[i] !== '"') return `unterminated quoted value for ${key}`;
          i++;
          value = quoted;
        } else {
          value = token();
        }
        // RFC 6455 §9.1: a parameter value, quoted or not, must be a token.
        if (!isToken(value)) return `malformed value for ${key}`;
        skipSpace();
      }
      params.push([key.toLowerCase(), value]);
    }
    extensions.push({ name: name.toLowerCase(), params });
    skipSpace();
    if (i >= n) return extensions;
    if (header[i] !== ",") return `unexpected ${JSON.stringify(header[i])} in Sec-WebSocket-Extensions`;
    i++;
  }
}

/**
 * Checks the server's Sec-WebSocket-Extensions answer against our offer, strictly: exactly one
 * permessage-deflate, no unknown or repeated parameter, window bits 8–15 without leading zeros,
 * no value on a flag. An empty answer means the server declined compression (`params`
 * undefined), which is allowed.
 */
export function parseAgreement(header: string): Agreement {
  if (header.trim() === "") return { ok: true, params: undefined };
  const parsed = parseExtensions(header);
  if (typeof parsed === "string") return { ok: false, message: parsed };
  if (parsed.length !== 1) {
    const names = parsed.map((e) => e.name).join(", ");
    return { ok: false, message: `the server accepted extensions we offered once or not at all: ${names}` };
  }
  const extension = parsed[0]!;
  if (extension.name !== "permessage-deflate") {
    return { ok: false, message: `the server accepted an extension we did not offer: ${extension.name}` };
  }
  let serverNoContextTakeover = false;
  let clientNoContextTakeover = false;
  let serverMaxWindowBits = 15;
  let clientMaxWindowBits = 15;
  const seen = new Set<string>();
  for (const [key, value] of extension.params) {
    if (seen.has(key)) return { ok: false, message: `permessage-deflate parameter ${key} is repeated` };
    seen.add(key);
    switch (key) {
      case "server_no_context_takeover":
      case "client_no_context_takeover":
        if (value !== undefined)
          return { ok: false, message: `permessage-deflate parameter ${key} takes no value` };
        if (key === "server_no_context_takeover") serverNoContextTakeover = true;
        else clientNoContextTakeover = true;
        break;
      case "server_max_window_bits":
      case "client_max_window_bits":
        // In an answer both need a value (§7.1.2.1, §7.1.2.2).
        if (value === undefined || !WINDOW_BITS.test(value)) {
          return {
            ok: false,
            message: `permessage-deflate ${key} must be 8 to 15, got ${value ?? "no value"}`,
          };
        }
        if (key === "server_max_window_bits") serverMaxWindowBits = Number(value);
        else clientMaxWindowBits = Number(value);
        break;
      default:
        return { ok: false, message: `unknown permessage-deflate parameter ${key}` };
    }
  }
  return {
    ok: true,
    params: { serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits, clientMaxWindowBits },
  };
}
