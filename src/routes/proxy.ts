import { invalid } from "../errors/errors.js";
import { basicCredentials } from "../handshake/index.js";
import { hostOf, toUrl } from "../options/url.js";

/**
 * The HTTP proxy option, sans-I/O: parsing `http://[user:pass@]host:port` and writing the CONNECT
 * request (RFC 9110 §9.3.6). `dial.ts` does the talking.
 */

/** A checked `proxy` option. */
export interface ProxyTarget {
  /** Host name or IP address, without the brackets of an IPv6 literal. */
  readonly host: string;
  readonly port: number;
  /** The Proxy-Authorization value from the URL's userinfo, or undefined. */
  readonly authorization: string | undefined;
  /** The proxy's URL for messages, without its credentials. */
  readonly shown: string;
}

/** Parses the `proxy` option (a string or URL); throws INVALID saying what is wrong. */
export function parseProxy(input: unknown): ProxyTarget {
  const url = toUrl(input);
  if (url === undefined) throw invalid("option proxy: expected a URL such as http://proxy.example.com:3128");
  if (url.protocol !== "http:") {
    throw invalid(`option proxy: only http: proxies (HTTP CONNECT) are supported, got ${url.protocol}`);
  }
  if (url.hostname === "") throw invalid("option proxy: the URL has no host");
  if ((url.pathname !== "/" && url.pathname !== "") || url.search !== "" || url.hash !== "") {
    throw invalid("option proxy: the URL must be http://[user:pass@]host:port, without a path or query");
  }
  const host = hostOf(url);
  const port = url.port === "" ? 80 : Number(url.port);
  return { host, port, authorization: basicCredentials(url), shown: `http://${url.host}` };
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
