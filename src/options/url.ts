import { isIP } from "node:net";
import { invalid } from "../errors/errors.js";

/** A parsed `ws:`/`wss:` URL with the pieces dialling needs. */
export interface Target {
  /** The URL dialled, credentials included: only the request builder may read its userinfo. */
  readonly url: URL;
  readonly secure: boolean;
  /** Host name for DNS, without the brackets of an IPv6 literal. */
  readonly host: string;
  readonly port: number;
  /**
   * The name for TLS SNI: the host name without its trailing dots (RFC 6066 §3 forbids them), or
   * undefined for an IP address, which SNI never carries.
   */
  readonly servername: string | undefined;
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

/**
 * The URL as it may be shown (`client.url`, the CLI, logs): everything but the `user:pass@`,
 * which still goes to the server as its Authorization header. The one place credentials are
 * taken out of a URL for display.
 */
export function shownUrl(url: URL): string {
  if (url.username === "" && url.password === "") return url.href;
  const copy = new URL(url.href);
  copy.username = "";
  copy.password = "";
  return copy.href;
}

/** The URL for messages: `shownUrl` without the query or fragment, which often carry tokens. */
export function describeUrl(url: URL): string {
  const shown = new URL(shownUrl(url));
  return `${shown.protocol}//${shown.host}${shown.pathname}`;
}

/** The server name TLS sends: no IP address, no trailing dot. */
export function sniName(host: string): string | undefined {
  if (isIP(host) !== 0) return undefined;
  const name = host.replace(/\.+$/, "");
  return name === "" ? undefined : name;
}

/** Parses and checks the URL given to `connect`; throws INVALID (INVALID_URL). */
export function parseTarget(input: unknown): Target {
  const url = toUrl(input);
  if (url === undefined) {
    if (typeof input !== "string") throw invalid("url must be a string or a URL", "INVALID_URL");
    // A string that failed to parse is shown only when it cannot hold credentials.
    const shown = input.includes("@") ? "" : ` ${JSON.stringify(input)}`;
    throw invalid(`invalid URL${shown}: expected ws://host[:port]/path or wss://…`, "INVALID_URL");
  }
  if (url.protocol === "ws+unix:" || url.protocol === "wss+unix:") return unixTarget(url);
  if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    const hint =
      url.protocol === "http:" || url.protocol === "https:"
        ? ` (for ${url.protocol}// use ${url.protocol === "https:" ? "wss:" : "ws:"}//)`
        : "";
    throw invalid(
      `URL scheme must be ws:, wss:, ws+unix: or wss+unix:, got ${url.protocol}${hint}`,
      "INVALID_URL",
    );
  }
  if (url.hash !== "") throw invalid("a WebSocket URL cannot have a fragment (RFC 6455 §3)", "INVALID_URL");
  if (url.hostname === "") throw invalid("URL has no host", "INVALID_URL");
  const secure = url.protocol === "wss:";
  const port = url.port === "" ? (secure ? 443 : 80) : Number(url.port);
  const host = hostOf(url);
  return { url, secure, host, port, servername: sniName(host) };
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
  return {
    url: request,
    secure,
    host: "localhost",
    port: secure ? 443 : 80,
    servername: undefined,
    unixPath,
  };
}
