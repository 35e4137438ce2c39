import { invalid } from "./errors.js";

/** A parsed `ws:`/`wss:` URL with the pieces dialling needs. */
export interface Target {
  readonly url: URL;
  readonly secure: boolean;
  /** Host name for DNS, without the brackets of an IPv6 literal. */
  readonly host: string;
  readonly port: number;
}

/** Parses and checks the URL given to `connect`; throws INVALID. */
export function parseTarget(input: unknown): Target {
  let url: URL;
  if (input instanceof URL) {
    url = new URL(input.href);
  } else if (typeof input === "string") {
    try {
      url = new URL(input);
    } catch {
      throw invalid(`invalid URL ${JSON.stringify(input)}`);
    }
  } else {
    throw invalid("url must be a string or a URL");
  }
  if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    throw invalid(`URL scheme must be ws: or wss:, got ${url.protocol}`);
  }
  if (url.hash !== "") throw invalid("a WebSocket URL cannot have a fragment (RFC 6455 §3)");
  if (url.hostname === "") throw invalid("URL has no host");
  const secure = url.protocol === "wss:";
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port === "" ? (secure ? 443 : 80) : Number(url.port);
  return { url, secure, host, port };
}
