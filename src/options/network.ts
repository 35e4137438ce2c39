import type { LookupAddress as NodeLookupAddress } from "node:dns";
import { Duplex } from "node:stream";
import { invalid } from "../errors/errors.js";
import { DEFAULT_ATTEMPT_DELAY_MS, MAX_ATTEMPT_DELAY_MS, MIN_ATTEMPT_DELAY_MS } from "../routes/eyeballs.js";
import { type ProxyTarget, parseProxy } from "../routes/proxy.js";
import { parseDuration } from "./duration.js";
import type { TlsOptions } from "./options.js";

/**
 * A resolver with the shape of Node's `dns.lookup` (as `net.connect` takes it): it is called
 * with `{ all: true }` and must call back with every address.
 */
export type LookupOption = (
  hostname: string,
  options: { readonly all: true },
  callback: (error: Error | null, addresses: readonly NodeLookupAddress[] | string, family?: number) => void,
) => void;

/** How `connect` reaches the server (see docs/networks.md). Every field is optional. */
export interface NetworkOptions {
  /**
   * The proxy: `"env"` (the default) takes it from the environment (`wss_proxy`, `https_proxy`,
   * `all_proxy`, … and `no_proxy`; see docs/networks.md), `false` connects directly, a URL names
   * one: `http://` or `https://` (HTTP CONNECT, in clear or over TLS), `socks5://` (the name is
   * resolved here) or `socks5h://` (the proxy resolves it), with optional `user:pass@`.
   */
  readonly proxy?: string | URL | false | undefined;
  /** TLS settings for an `https://` proxy (its certificate is verified with these, not `tls`). */
  readonly proxy_tls?: TlsOptions | undefined;
  /** Resolves names instead of the system resolver: Node's `dns.lookup` shape. Default `dns.lookup`. */
  readonly lookup?: LookupOption | undefined;
  /** An already connected duplex byte stream to run the handshake on (bring your own socket); no dialling then. */
  readonly socket?: Duplex | undefined;
  /** A unix domain socket path to connect to instead of the URL's host (the URL still names the host and path). */
  readonly unix_socket?: string | undefined;
  /** Happy Eyeballs: delay between connection attempts to a name's addresses (10ms–2s). Default 250ms. */
  readonly happy_eyeballs_delay?: number | string | undefined;
}

/** The network options, checked. */
export interface ResolvedNetwork {
  /** A proxy named by the options, "env" to read the environment at dial time, or false for none. */
  readonly proxy: ProxyTarget | "env" | false;
  readonly proxyTls: TlsOptions;
  readonly lookup: LookupOption | undefined;
  readonly socket: Duplex | undefined;
  readonly unixSocket: string | undefined;
  readonly happyEyeballsDelay: number;
}

export const NETWORK_KNOWN = [
  "proxy",
  "proxy_tls",
  "lookup",
  "socket",
  "unix_socket",
  "happy_eyeballs_delay",
];

/** Checks the network options of `o`; `tlsOptions` checks a TLS options object. Throws INVALID. */
export function resolveNetwork(
  o: Record<string, unknown>,
  tlsOptions: (name: string, value: unknown) => TlsOptions,
): ResolvedNetwork {
  const proxy =
    o.proxy === undefined || o.proxy === "env" ? "env" : o.proxy === false ? false : parseProxy(o.proxy);
  if (o.lookup !== undefined && typeof o.lookup !== "function") {
    throw invalid("option lookup: expected a function with the shape of dns.lookup", "INVALID_OPTION");
  }
  if (o.socket !== undefined && !(o.socket instanceof Duplex)) {
    throw invalid(
      "option socket: expected a connected duplex stream (net.Socket, tls.TLSSocket, stream.Duplex)",
      "INVALID_OPTION",
    );
  }
  const unix = o.unix_socket;
  if (unix !== undefined && (typeof unix !== "string" || unix === "" || unix.includes("\0"))) {
    throw invalid("option unix_socket: expected the path of a unix domain socket", "INVALID_OPTION");
  }
  if (o.socket !== undefined && (unix !== undefined || (o.proxy !== undefined && o.proxy !== false))) {
    throw invalid(
      "option socket: cannot be combined with unix_socket or proxy (the stream is already connected)",
      "INVALID_OPTION",
    );
  }
  if (unix !== undefined && o.proxy !== undefined && o.proxy !== false && o.proxy !== "env") {
    throw invalid("option unix_socket: cannot be combined with a proxy", "INVALID_OPTION");
  }
  let delay = DEFAULT_ATTEMPT_DELAY_MS;
  if (o.happy_eyeballs_delay !== undefined) {
    const ms = parseDuration(o.happy_eyeballs_delay);
    if (ms === undefined || ms < MIN_ATTEMPT_DELAY_MS || ms > MAX_ATTEMPT_DELAY_MS) {
      throw invalid(
        `option happy_eyeballs_delay: expected a duration from ${MIN_ATTEMPT_DELAY_MS}ms to ${MAX_ATTEMPT_DELAY_MS / 1000}s, got ${JSON.stringify(o.happy_eyeballs_delay)}`,
        "INVALID_OPTION",
      );
    }
    delay = ms;
  }
  return {
    proxy,
    proxyTls: tlsOptions("proxy_tls", o.proxy_tls),
    lookup: o.lookup as LookupOption | undefined,
    socket: o.socket as Duplex | undefined,
    unixSocket: unix as string | undefined,
    happyEyeballsDelay: delay,
  };
}
