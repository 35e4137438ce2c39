import { createHash } from "node:crypto";
import { basicCredentials, checkSelection } from "../handshake/index.js";
import type { TlsOptions } from "../options/options.js";
import type { ProxyTarget } from "../routes/proxy.js";

/**
 * WebSockets over HTTP/2 (RFC 8441), sans-I/O: the extended CONNECT's headers, the judgement of
 * the server's response, the key under which sessions are shared, and the memory of origins that
 * answered "use HTTP/1.1". `src/client/http2` does the talking.
 */

/**
 * Headers that HTTP/2 forbids (RFC 9113 §8.2.2): they describe an HTTP/1.1 connection, and Node
 * refuses to send them. `checkUserHeaders` already refuses the others (Connection, Upgrade, Host,
 * Transfer-Encoding).
 */
const CONNECTION_SPECIFIC: ReadonlySet<string> = new Set(["keep-alive", "proxy-connection", "te"]);

/** A sentence naming the first user header HTTP/2 cannot carry, or undefined when all can. */
export function checkHttp2Headers(headers: Readonly<Record<string, string>>): string | undefined {
  for (const name of Object.keys(headers)) {
    if (CONNECTION_SPECIFIC.has(name.toLowerCase())) {
      return `header ${JSON.stringify(name)} is specific to HTTP/1.1 connections and cannot be sent over HTTP/2`;
    }
  }
  return undefined;
}

/** What the extended CONNECT carries. */
export interface ConnectInput {
  /** The ws: or wss: URL; its userinfo becomes Basic auth unless the user gave Authorization. */
  readonly url: URL;
  /** Extra headers, already checked by `checkUserHeaders` and `checkHttp2Headers`. */
  readonly headers: Readonly<Record<string, string>>;
  readonly protocols: readonly string[];
  /** The Sec-WebSocket-Extensions offer, or undefined for none. */
  readonly extensions: string | undefined;
}

/**
 * The header block of the extended CONNECT (RFC 8441 §4, §5): `:method` CONNECT, `:protocol`
 * websocket, `:scheme` http or https, `:path` with the query, `:authority` as Host would be, then
 * Sec-WebSocket-Version 13, the subprotocols and extensions offered, Authorization from the URL,
 * and the user's headers with their names in lower case (HTTP/2 requires it). No
 * Sec-WebSocket-Key: over HTTP/2 the stream itself proves the server speaks WebSocket.
 */
export function connectHeaders(input: ConnectInput): Record<string, string> {
  const { url } = input;
  const out: Record<string, string> = {
    ":method": "CONNECT",
    ":protocol": "websocket",
    ":scheme": url.protocol === "wss:" ? "https" : "http",
    ":path": `${url.pathname || "/"}${url.search}`,
    // As Host over HTTP/1.1: the default port is left out, an IPv6 literal keeps its brackets.
    ":authority": url.port === "" ? url.hostname : `${url.hostname}:${url.port}`,
    "sec-websocket-version": "13",
  };
  if (input.protocols.length > 0) out["sec-websocket-protocol"] = input.protocols.join(", ");
  if (input.extensions !== undefined && input.extensions !== "") {
    out["sec-websocket-extensions"] = input.extensions;
  }
  const names = Object.keys(input.headers);
  const authorization = basicCredentials(url);
  if (authorization !== undefined && !names.some((n) => n.toLowerCase() === "authorization")) {
    out.authorization = authorization;
  }
  for (const name of names) out[name.toLowerCase()] = input.headers[name]!;
  return out;
}

/** A response header block as Node gives it: names in lower case, repeated headers as arrays. */
export type ResponseHeaders = Readonly<Record<string, string | readonly string[] | number | undefined>>;

/** The server's answer to the extended CONNECT, judged. */
export type ConnectOutcome =
  | { readonly ok: true; readonly protocol: string; readonly extensions: string }
  | {
      readonly ok: false;
      readonly message: string;
      /** The :status, when the server refused with one. */
      readonly status?: number;
      /** True for 5xx and 429, as over HTTP/1.1. */
      readonly retryable: boolean;
      /** The refusal means "not over HTTP/2" (501 Not Implemented): HTTP/1.1 may work. */
      readonly fallback: boolean;
    };

function values(value: string | readonly string[] | number | undefined): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "number") return [String(value)];
  return typeof value === "string" ? [value] : value;
}

/**
 * judgeConnectResponse checks the response to the extended CONNECT against the offer (RFC 8441
 * §5): a 200 opens the WebSocket, and its Sec-WebSocket-Protocol and Sec-WebSocket-Extensions
 * must be among those offered, by the same rules as over HTTP/1.1. A Sec-WebSocket-Accept, which
 * some gateways copy from their HTTP/1.1 backend, is ignored. Any other status refuses: 501 means
 * the server does not do WebSockets over HTTP/2 (RFC 9220 §3 asks for it; RFC 8441 servers send
 * it too), so HTTP/1.1 may be tried; 5xx and 429 are retryable; redirects are not followed.
 */
export function judgeConnectResponse(
  headers: ResponseHeaders,
  offer: { readonly protocols: readonly string[]; readonly extensionsOffered: boolean },
): ConnectOutcome {
  const status = Number(headers[":status"]);
  if (status !== 200) {
    const what = status >= 300 && status < 400 ? "the redirect" : "status";
    return {
      ok: false,
      message: `the server refused the WebSocket extended CONNECT with ${what} ${status}${status >= 300 && status < 400 ? "; redirects are not followed" : ""}`,
      status,
      retryable: status === 429 || (status >= 500 && status < 600),
      fallback: status === 501,
    };
  }
  const selection = checkSelection(
    values(headers["sec-websocket-protocol"]),
    values(headers["sec-websocket-extensions"]),
    offer,
  );
  if (!selection.ok) return { ok: false, message: selection.message, retryable: false, fallback: false };
  return { ok: true, protocol: selection.protocol, extensions: selection.extensions };
}

/** The RST_STREAM code by which a server asks for HTTP/1.1 instead (RFC 9113 §7). */
export const HTTP_1_1_REQUIRED = 0xd;
/** The RST_STREAM code of a stream the server did not process: safe to try again (RFC 9113 §8.7). */
export const REFUSED_STREAM = 0x7;

/**
 * The `scheme://host:port` an HTTP/2 session serves. Sessions are shared only within one origin,
 * and the fallback memory is kept per origin.
 */
export function originOf(url: URL, port: number): string {
  return `${url.protocol}//${url.hostname}:${port}`;
}

/** What, beside the origin, must be equal for two connections to share an HTTP/2 session. */
export interface SessionTraits {
  readonly origin: string;
  readonly tls: TlsOptions;
  readonly proxy: ProxyTarget | undefined;
  /** Whether the policy refuses private networks: it changes how the proxy's tunnel is asked for. */
  readonly privateRefused: boolean;
}

/**
 * The key of the session pool: the origin, the proxy, the policy bit that changes the route, and
 * a digest of the TLS options (CA, certificate, key, passphrase, SNI, verification, minimum
 * version), so that a session verified one way is never reused by a connection that asked for
 * another. The digest keeps key material out of the map's keys.
 */
export function sessionKey(traits: SessionTraits): string {
  const hash = createHash("sha256");
  const t = traits.tls;
  const add = (name: string, value: unknown): void => {
    hash.update(`${name}\0`);
    const list = Array.isArray(value) ? value : [value];
    for (const item of list) {
      if (item === undefined) hash.update("\u0001");
      else if (item instanceof Uint8Array) hash.update(item);
      else hash.update(String(item));
      hash.update("\0");
    }
  };
  add("ca", t.ca);
  add("cert", t.cert);
  add("key", t.key);
  add("passphrase", t.passphrase);
  add("servername", t.servername);
  add("rejectUnauthorized", t.rejectUnauthorized);
  add("minVersion", t.minVersion);
  const proxy =
    traits.proxy === undefined ? "direct" : `${traits.proxy.shown}#${traits.proxy.authorization ?? ""}`;
  const route = `${proxy}|${traits.privateRefused ? "private-refused" : "private-allowed"}`;
  return `${traits.origin} ${createHash("sha256").update(route).digest("hex").slice(0, 16)} ${hash.digest("hex").slice(0, 32)}`;
}

/** How long an origin that answered "no HTTP/2 WebSockets" is sent HTTP/1.1 without asking again. */
export const FALLBACK_MEMORY_MS = 10 * 60_000;
/** Origins remembered at most; the oldest is forgotten first. */
export const FALLBACK_MEMORY_ENTRIES = 1024;

/**
 * FallbackMemory remembers, per origin, that HTTP/2 WebSockets were refused, until a deadline;
 * the clock is given, so that it is tested without waiting. Bounded: past
 * FALLBACK_MEMORY_ENTRIES the oldest entry goes.
 */
export class FallbackMemory {
  readonly #until = new Map<string, number>();
  readonly #ttl: number;
  readonly #max: number;

  constructor(ttl = FALLBACK_MEMORY_MS, max = FALLBACK_MEMORY_ENTRIES) {
    this.#ttl = ttl;
    this.#max = max;
  }

  /** Records that `origin` refused HTTP/2 at `now` (epoch ms). */
  remember(origin: string, now: number): void {
    this.#until.delete(origin);
    this.#until.set(origin, now + this.#ttl);
    if (this.#until.size > this.#max) {
      const oldest = this.#until.keys().next().value;
      if (oldest !== undefined) this.#until.delete(oldest);
    }
  }

  /** Whether `origin` is to be sent HTTP/1.1 at `now`; forgets it once its time is up. */
  refused(origin: string, now: number): boolean {
    const until = this.#until.get(origin);
    if (until === undefined) return false;
    if (now < until) return true;
    this.#until.delete(origin);
    return false;
  }

  /** Forgets every origin (tests, and a user who knows the server changed). */
  clear(): void {
    this.#until.clear();
  }
}
