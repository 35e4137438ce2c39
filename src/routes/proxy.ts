import { invalid } from "../errors/errors.js";
import { basicCredentials } from "../handshake/index.js";
import { hostOf, toUrl } from "../options/url.js";

/**
 * The proxy option, sans-I/O: parsing `http:`, `https:`, `socks5:` and `socks5h:` proxy URLs and
 * writing the HTTP CONNECT request (RFC 9110 §9.3.6). `client/dial.ts` does the talking.
 */

/** The kinds of proxy: HTTP CONNECT in clear or over TLS, SOCKS5 with local or remote name resolution. */
export type ProxyKind = "http" | "https" | "socks5" | "socks5h";

/** A checked proxy URL. */
export interface ProxyTarget {
  readonly kind: ProxyKind;
  /** Host name or IP address, without the brackets of an IPv6 literal. */
  readonly host: string;
  readonly port: number;
  /** The Proxy-Authorization value from the URL's userinfo (HTTP proxies), or undefined. */
  readonly authorization: string | undefined;
  /** The SOCKS5 username and password from the URL's userinfo (RFC 1929), or undefined. */
  readonly credentials: { readonly username: string; readonly password: string } | undefined;
  /** The proxy's URL for messages, without its credentials. */
  readonly shown: string;
}

const DEFAULT_PORTS: Readonly<Record<ProxyKind, number>> = {
  http: 80,
  https: 443,
  socks5: 1080,
  socks5h: 1080,
};

function kindOf(protocol: string): ProxyKind | undefined {
  const kind = protocol.slice(0, -1);
  return kind === "http" || kind === "https" || kind === "socks5" || kind === "socks5h" ? kind : undefined;
}

/** Parses a proxy URL (a string or URL); throws INVALID naming `name` and saying what is wrong. */
export function parseProxy(input: unknown, name = "option proxy"): ProxyTarget {
  const url = toUrl(input);
  if (url === undefined)
    throw invalid(`${name}: expected a URL such as http://proxy.example.com:3128`, "INVALID_OPTION");
  const kind = kindOf(url.protocol);
  if (kind === undefined) {
    throw invalid(
      `${name}: the scheme must be http:, https:, socks5: or socks5h:, got ${url.protocol}`,
      "INVALID_OPTION",
    );
  }
  if (url.hostname === "") throw invalid(`${name}: the URL has no host`, "INVALID_OPTION");
  if ((url.pathname !== "/" && url.pathname !== "") || url.search !== "" || url.hash !== "") {
    throw invalid(
      `${name}: the URL must be ${kind}://[user:pass@]host:port, without a path or query`,
      "INVALID_OPTION",
    );
  }
  const host = hostOf(url);
  const port = url.port === "" ? DEFAULT_PORTS[kind] : Number(url.port);
  const shown = `${kind}://${url.host}`;
  if (kind === "http" || kind === "https") {
    return { kind, host, port, authorization: basicCredentials(url), shown, credentials: undefined };
  }
  let credentials: ProxyTarget["credentials"];
  if (url.username !== "" || url.password !== "") {
    const username = decodeUserinfo(url.username);
    const password = decodeUserinfo(url.password);
    // RFC 1929 gives each a one-byte length.
    if (Buffer.byteLength(username) > 255 || Buffer.byteLength(password) > 255) {
      throw invalid(`${name}: a SOCKS5 username or password is at most 255 bytes`, "INVALID_OPTION");
    }
    credentials = { username, password };
  }
  return { kind, host, port, authorization: undefined, credentials, shown };
}

/** The userinfo's percent-escapes undone; a stray "%" is kept as it is, as for Basic credentials. */
function decodeUserinfo(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** `host:port` as a request target, IPv6 literals in brackets. */
export function authority(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The bytes of the CONNECT request that asks `proxy` for a tunnel to `host`:`port`. */
export function connectRequest(proxy: ProxyTarget, host: string, port: number): Buffer {
  const target = authority(host, port);
  const lines = [`CONNECT ${target} HTTP/1.1`, `Host: ${target}`];
  if (proxy.authorization !== undefined) lines.push(`Proxy-Authorization: ${proxy.authorization}`);
  return Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1");
}
