import { invalid } from "../errors/errors.js";

/** A parsed `ws:`/`wss:` URL with the pieces dialling needs. */
export interface Target {
  readonly url: URL;
  readonly secure: boolean;
  /** Host name for DNS, without the brackets of an IPv6 literal. */
  readonly host: string;
  readonly port: number;
  /** For `ws+unix:`/`wss+unix:` URLs: the socket path; `url` is then the ws:/wss: URL of the request. */
  readonly unixPath?: string;
}

/** A copy of `input` as a URL, or undefined when it is neither a URL nor a string that parses as one. */
export function toUrl(input: unknown): URL | undefined {
  if (input instanceof URL) return new URL(input.href);
  if (typeof input !== "string") return undefined;
  try {
    return new URL(input);
  } catch {
    return undefined;
  }
}

/** The host to look up and connect to: the URL's host name, an IPv6 literal without its brackets. */
export function hostOf(url: URL): string {
  return url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
}

/** Parses and checks the URL given to `connect`; throws INVALID. */
export function parseTarget(input: unknown): Target {
  const url = toUrl(input);
  if (url === undefined) {
    throw invalid(
      typeof input === "string" ? `invalid URL ${JSON.stringify(input)}` : "url must be a string or a URL",
    );
  }
  if (url.protocol === "ws+unix:" || url.protocol === "wss+unix:") return unixTarget(url);
  if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    throw invalid(`URL scheme must be ws:, wss:, ws+unix: or wss+unix:, got ${url.protocol}`);
  }
  if (url.hash !== "") throw invalid("a WebSocket URL cannot have a fragment (RFC 6455 §3)");
  if (url.hostname === "") throw invalid("URL has no host");
  const secure = url.protocol === "wss:";
  const port = url.port === "" ? (secure ? 443 : 80) : Number(url.port);
  return { url, secure, host: hostOf(url), port };
}

/**
 * A `ws+unix:` URL as ws writes them: `ws+unix:/path/to/socket:/request/path?query`, the socket
 * path up to the first ":" (the whole path when there is none, requesting "/"). The request goes
 * to the host "localhost", as Node's HTTP client names a unix socket's host.
 */
function unixTarget(url: URL): Target {
  if (url.hash !== "") throw invalid("a WebSocket URL cannot have a fragment (RFC 6455 §3)", "INVALID_URL");
  if (url.host !== "")
    throw invalid("a ws+unix: URL has no host: ws+unix:/path/to/socket:/request/path", "INVALID_URL");
  let whole = url.pathname;
  try {
    whole = decodeURIComponent(whole);
  } catch {
    // A stray "%" stays as it is.
  }
  const colon = whole.indexOf(":");
  const unixPath = colon < 0 ? whole : whole.slice(0, colon);
  const requestPath = colon < 0 ? "/" : whole.slice(colon + 1) || "/";
  if (unixPath === "" || unixPath === "/")
    throw invalid("a ws+unix: URL must name the socket path", "INVALID_URL");
  const secure = url.protocol === "wss+unix:";
  const request = new URL(
    `${secure ? "wss" : "ws"}://localhost${requestPath.startsWith("/") ? "" : "/"}${requestPath}${url.search}`,
  );
  return { url: request, secure, host: "localhost", port: secure ? 443 : 80, unixPath };
}
