/** What goes into the opening handshake request (RFC 6455 §4.1). */
export interface RequestInput {
  /** The ws: or wss: URL being dialled. Its fragment is never sent; its userinfo becomes Basic auth. */
  readonly url: URL;
  /** The Sec-WebSocket-Key, as made by `generateKey`. */
  readonly key: string;
  /** Extra headers, already checked by `checkUserHeaders`; names are sent exactly as given. Default none. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Subprotocols to offer, already checked by `checkProtocols`, in order of preference. Default none. */
  readonly protocols?: readonly string[];
  /** The Sec-WebSocket-Extensions offer, e.g. from the deflate module. Default: no header. */
  readonly extensions?: string;
}

/**
 * decodeUserinfo undoes the percent-encoding the URL parser keeps in usernames and passwords. A
 * stray "%" that does not start an escape is sent as it is rather than failing the dial, as
 * browsers do.
 */
function decodeUserinfo(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * basicCredentials is the `Basic` value (RFC 7617, UTF-8) for a URL's `user:pass@`, or undefined
 * when it has none: the Authorization of a ws: URL, the Proxy-Authorization of a proxy's.
 */
export function basicCredentials(url: URL): string | undefined {
  if (url.username === "" && url.password === "") return undefined;
  const credentials = `${decodeUserinfo(url.username)}:${decodeUserinfo(url.password)}`;
  return `Basic ${Buffer.from(credentials, "utf8").toString("base64")}`;
}

/**
 * buildRequest returns the bytes of the upgrade request: the request line, Host, the handshake's
 * own headers, Authorization from the URL's userinfo (unless the user gave one), then the user's
 * headers with their names untouched, each line ending in CRLF and the block in an empty line.
 * Values are written as Latin-1, the only characters `checkUserHeaders` lets through.
 */
export function buildRequest(input: RequestInput): Buffer {
  const { url, key } = input;
  const target = `${url.pathname || "/"}${url.search}`;
  // URL.hostname keeps the brackets of an IPv6 literal, and URL.port is "" for the scheme's
  // default port (80 for ws:, 443 for wss:), which is exactly when Host must omit it.
  const host = url.port === "" ? url.hostname : `${url.hostname}:${url.port}`;
  const lines = [
    `GET ${target} HTTP/1.1`,
    `Host: ${host}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${key}`,
    "Sec-WebSocket-Version: 13",
  ];
  const protocols = input.protocols ?? [];
  if (protocols.length > 0) lines.push(`Sec-WebSocket-Protocol: ${protocols.join(", ")}`);
  if (input.extensions !== undefined && input.extensions !== "") {
    lines.push(`Sec-WebSocket-Extensions: ${input.extensions}`);
  }
  const headers = input.headers ?? {};
  const names = Object.keys(headers);
  const userAuthorization = names.some((name) => name.toLowerCase() === "authorization");
  const authorization = basicCredentials(url);
  if (authorization !== undefined && !userAuthorization) lines.push(`Authorization: ${authorization}`);
  for (const name of names) lines.push(`${name}: ${headers[name]}`);
  lines.push("", "");
  return Buffer.from(lines.join("\r\n"), "latin1");
}
