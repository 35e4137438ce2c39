import { lookup as dnsLookup } from "node:dns";
import * as net from "node:net";
import type { Duplex } from "node:stream";
import * as tls from "node:tls";
import { type DialAttempt, failure, type WebSocketError } from "../errors/errors.js";
import type { LookupOption } from "../options/network.js";
import type { ResolvedOptions } from "../options/options.js";
import { prototypeless } from "../options/own.js";
import type { Target } from "../options/url.js";
import { type CompiledPolicy, checkAddress, checkUnix, privateRefusedBy } from "../policy/policy.js";
import { type Environment, proxyFromEnv } from "../routes/env-proxy.js";
import { interleave } from "../routes/eyeballs.js";
import { authority, type ProxyTarget, parseProxy } from "../routes/proxy.js";
import type { DialDeadline } from "./deadline.js";
import { connectDirect } from "./direct-read.js";
import { onceEvent, secure, secureContext } from "./tls.js";
import { httpTunnel, socksTunnel } from "./tunnel.js";

/**
 * Opening the byte stream a WebSocket handshake runs on, by one of its routes: a stream the
 * caller brought, a unix domain socket, TCP directly (Happy Eyeballs over every address), or a
 * tunnel through an HTTP, HTTPS or SOCKS5 proxy; then TLS for `wss:`. Everything runs under the
 * dial's one `DialDeadline`.
 *
 * Names are resolved here, once, and every address is checked against the policy's
 * `private_networks` before a socket is opened to it; the socket then goes to the address that
 * was checked, never to the name, so a second DNS answer cannot move the connection elsewhere
 * (DNS rebinding). A proxy's address is checked the same way. docs/networks.md has the table of
 * what the policy can check on each route.
 */

/** One address a name resolved to. */
export interface LookupAddress {
  readonly address: string;
  readonly family: number;
}

/** Resolves a host name to its addresses. */
export type LookupFunction = (hostname: string) => Promise<readonly LookupAddress[]>;

/**
 * The outside world of a dial, passed in (tests replace it): `lookup` stands in for DNS,
 * `connect` for opening a TCP socket to an address, `connectUnix` for a unix socket, `env` for
 * `process.env` (the proxy variables). Each defaults to the real thing.
 */
export interface DialIO {
  readonly lookup?: LookupFunction | undefined;
  readonly connect?: ((address: string, port: number) => net.Socket) | undefined;
  readonly connectUnix?: ((path: string) => net.Socket) | undefined;
  readonly env?: Environment | undefined;
}

/** What `dial` needs. */
export interface DialRequest {
  readonly target: Target;
  readonly options: ResolvedOptions;
  /** The policy layers in force: every address is checked against them. */
  readonly layers: readonly CompiledPolicy[];
  readonly deadline: DialDeadline;
  readonly io: DialIO;
}

/** How a connection reaches its server. */
export type Route =
  | { readonly kind: "socket"; readonly stream: Duplex }
  | { readonly kind: "unix"; readonly path: string }
  | { readonly kind: "direct" }
  | { readonly kind: "proxy"; readonly proxy: ProxyTarget };

/** The route for `target`: the options first, then the environment's proxy variables. */
export function chooseRoute(target: Target, options: ResolvedOptions, env: Environment): Route {
  if (options.socket !== undefined) return { kind: "socket", stream: options.socket };
  const path = target.unixPath ?? options.unixSocket;
  if (path !== undefined) return { kind: "unix", path };
  if (options.proxy === false) return { kind: "direct" };
  if (options.proxy !== "env") return { kind: "proxy", proxy: options.proxy };
  const named = proxyFromEnv(env, target.url.protocol, target.host, target.port);
  if (named === undefined) return { kind: "direct" };
  return { kind: "proxy", proxy: parseProxy(named.url, `environment variable ${named.variable}`) };
}

const systemLookup: LookupFunction = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });

/** A `LookupFunction` over a resolver with Node's `dns.lookup` shape (the `lookup` option). */
export function fromNodeLookup(lookup: LookupOption): LookupFunction {
  return (hostname) =>
    new Promise((resolve, reject) => {
      lookup(hostname, { all: true }, (error, addresses, family) => {
        if (error) reject(error);
        else if (typeof addresses === "string")
          resolve([{ address: addresses, family: family ?? net.isIP(addresses) }]);
        else if (Array.isArray(addresses)) resolve(addresses);
        else reject(new Error("the lookup option called back without addresses"));
      });
    });
}

/**
 * dial opens the stream for `request.target` (see the file comment) and resolves with it,
 * connected, tunnelled and secured as needed, with no listener of ours left on it. It rejects
 * with a WebSocketError (PERMISSION_DENIED, DNS_FAILED, CONNECT_FAILED, PROXY_FAILED,
 * PROXY_REFUSED, TLS_FAILED, DIAL_TIMEOUT, CANCELED); every stream it opened is destroyed then.
 */
export async function dial(request: DialRequest): Promise<Duplex> {
  const { target, options, deadline, io } = request;
  deadline.check();
  const route = chooseRoute(target, options, io.env ?? process.env);
  const context = target.secure ? secureContext(options.tls, "tls") : undefined;
  const proxyContext =
    route.kind === "proxy" && route.proxy.kind === "https"
      ? secureContext(options.proxyTls, "proxy_tls")
      : undefined;
  const stream = await open(request, route, proxyContext);
  // A stream brought already secured is used as it is; any other carries TLS for wss:.
  if (!target.secure || (route.kind === "socket" && stream instanceof tls.TLSSocket)) return stream;
  return secure(stream, target.host, target.port, options.tls, context!, deadline);
}

/** The stream of `route`, before TLS to the target. */
async function open(
  request: DialRequest,
  route: Route,
  proxyContext: tls.SecureContext | undefined,
): Promise<Duplex> {
  const { target, layers, deadline, io, options } = request;
  switch (route.kind) {
    case "socket": {
      const stream = deadline.track(route.stream);
      // A socket connected elsewhere still has an address the policy can judge.
      const remote = (stream as Partial<net.Socket>).remoteAddress;
      if (remote !== undefined) checkAddress(layers, remote, remote);
      if (stream.destroyed || !stream.writable) {
        throw failure("CONNECT_FAILED", "option socket: the stream is not open");
      }
      return stream;
    }
    case "unix": {
      checkUnix(layers, route.path);
      const socket = deadline.track(
        io.connectUnix?.(route.path) ?? net.connect(prototypeless({ path: route.path, allowHalfOpen: true })),
      );
      await deadline.guard("TCP connect", onceEvent(socket, "connect"), (error) =>
        failure("CONNECT_FAILED", `connection to the unix socket ${route.path} failed: ${error.message}`, {
          cause: error,
          attempts: [{ address: route.path, phase: "TCP connect", error: error.message }],
        }),
      );
      return socket;
    }
    case "direct": {
      const addresses = await resolve(target.host, request);
      // Issue 17: a plain ws: socket of our own reads large frames straight into their message.
      return connectAny(target.host, addresses, target.port, request, !target.secure);
    }
    case "proxy":
      return viaProxy(request, route.proxy, proxyContext, options);
  }
}

async function viaProxy(
  request: DialRequest,
  proxy: ProxyTarget,
  proxyContext: tls.SecureContext | undefined,
  options: ResolvedOptions,
): Promise<Duplex> {
  const { target, layers, deadline } = request;
  const proxyAddresses = await resolve(proxy.host, request);
  let tunnelHost = target.host;
  if (proxy.kind === "socks5") {
    // socks5: resolves here: the proxy is given the checked address.
    if (net.isIP(target.host) === 0) tunnelHost = (await resolve(target.host, request))[0]!.address;
  } else if (privateRefusedBy(layers) !== undefined && net.isIP(target.host) === 0) {
    if (proxy.kind === "socks5h") {
      throw failure(
        "POLICY_PRIVATE_NETWORK",
        `websocket.connect: ${proxy.shown} would resolve ${target.host} itself, which ${privateRefusedBy(layers)} (private_networks: false) cannot check; use socks5:// to resolve it here`,
      );
    }
    // The HTTP proxy resolves the target itself, unless the policy must see the address first.
    tunnelHost = (await resolve(target.host, request))[0]!.address;
  }
  let stream: Duplex = await connectAny(proxy.host, proxyAddresses, proxy.port, request);
  if (proxy.kind === "https") {
    stream = await secure(
      stream,
      proxy.host,
      proxy.port,
      options.proxyTls,
      proxyContext!,
      deadline,
      "the proxy ",
    );
  }
  const rest =
    proxy.kind === "socks5" || proxy.kind === "socks5h"
      ? await socksTunnel(stream, proxy, tunnelHost, target.port, deadline)
      : await httpTunnel(stream, proxy, tunnelHost, target.port, deadline);
  if (rest.length > 0) {
    if (target.secure)
      throw failure("PROXY_FAILED", `proxy ${proxy.shown} sent data before the TLS handshake`, {
        retryable: false,
      });
    stream.unshift(rest);
  }
  return stream;
}

/**
 * Resolves `host` and checks every address against the policy. An IP address stands for itself,
 * at once: no promise, no lookup.
 */
function resolve(
  host: string,
  request: DialRequest,
): readonly LookupAddress[] | Promise<readonly LookupAddress[]> {
  const family = net.isIP(host);
  if (family === 0) return lookUp(host, request);
  checkAddress(request.layers, host, host);
  return [{ address: host, family }];
}

/** `resolve` for a name. */
async function lookUp(host: string, request: DialRequest): Promise<readonly LookupAddress[]> {
  const { layers, deadline, io, options } = request;
  const lookup = io.lookup ?? (options.lookup === undefined ? systemLookup : fromNodeLookup(options.lookup));
  const answers = await deadline.guard(
    "DNS lookup",
    Promise.resolve().then(() => lookup(host)),
    (error) => failure("DNS_FAILED", `DNS lookup of ${host} failed: ${error.message}`, { cause: error }),
  );
  const valid = answers.filter((a) => typeof a?.address === "string" && net.isIP(a.address) !== 0);
  if (valid.length === 0) throw failure("DNS_FAILED", `DNS lookup of ${host} returned no address`);
  // Every answer is checked, not only the one used: a mixed answer is how rebinding attacks start.
  for (const { address } of valid) checkAddress(layers, host, address);
  return valid.map((a) => ({ address: a.address, family: net.isIP(a.address) }));
}

/**
 * Happy Eyeballs (RFC 8305): connects TCP to `addresses` (families interleaved), starting the
 * next attempt every `happyEyeballsDelay` or as soon as one fails; the first to connect wins and
 * the others are destroyed at once. Each address is checked by the policy before its socket opens.
 * When every attempt fails, the error lists them all.
 */
function connectAny(
  host: string,
  addresses: readonly LookupAddress[],
  port: number,
  request: DialRequest,
  direct = false,
): Promise<net.Socket> {
  if (addresses.length === 1) return connectOne(host, addresses[0]!.address, port, request, direct);
  const { layers, deadline, io, options } = request;
  const order = interleave(addresses);
  const attempts: DialAttempt[] = [];
  const live = new Set<net.Socket>();
  const work = new Promise<net.Socket>((resolve, reject) => {
    let next = 0;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let lastError: unknown;
    const finish = (error: WebSocketError | undefined, winner?: net.Socket): void => {
      settled = true;
      clearTimeout(timer);
      for (const socket of live) if (socket !== winner) socket.destroy();
      live.clear();
      if (error === undefined) resolve(winner!);
      else reject(error);
    };
    const startNext = (): void => {
      clearTimeout(timer);
      if (settled || deadline.interrupted) return;
      if (next >= order.length) {
        if (live.size === 0) finish(allFailed(host, port, attempts, lastError));
        return;
      }
      const { address } = order[next++]!;
      try {
        checkAddress(layers, host, address);
      } catch (error) {
        finish(error as WebSocketError);
        return;
      }
      const socket = deadline.track(openTcp(address, port, io, direct));
      live.add(socket);
      onceEvent(socket, "connect").then(
        () => {
          if (settled) socket.destroy();
          else finish(undefined, socket);
        },
        (error: Error) => {
          live.delete(socket);
          socket.destroy();
          if (settled) return;
          lastError = error;
          attempts.push({ address, port, phase: "TCP connect", error: error.message });
          startNext();
        },
      );
      if (next < order.length) timer = setTimeout(startNext, options.happyEyeballsDelay);
    };
    startNext();
  });
  return deadline.guard("TCP connect", work);
}

/**
 * `connectAny` with one address: nothing to stagger, so none of the bookkeeping of attempts
 * running side by side (most names, and every IP literal, come to one address).
 */
async function connectOne(
  host: string,
  address: string,
  port: number,
  request: DialRequest,
  direct: boolean,
): Promise<net.Socket> {
  const { layers, deadline, io } = request;
  deadline.check();
  checkAddress(layers, host, address);
  const socket = deadline.track(openTcp(address, port, io, direct));
  // A socket that failed to connect is destroyed already (by Node after its error, or by the
  // deadline with every stream of the dial).
  await deadline.guard("TCP connect", onceEvent(socket, "connect"), (error) =>
    allFailed(host, port, [{ address, port, phase: "TCP connect", error: error.message }], error),
  );
  return socket;
}

/** A TCP socket to `address` (not yet connected): the caller's `connect`, or our own. */
function openTcp(address: string, port: number, io: DialIO, direct: boolean): net.Socket {
  return (
    io.connect?.(address, port) ??
    (direct ? connectDirect : net.connect)(
      prototypeless({ host: address, port, noDelay: true, allowHalfOpen: true }),
    )
  );
}

function allFailed(
  host: string,
  port: number,
  attempts: readonly DialAttempt[],
  lastError: unknown,
): WebSocketError {
  const only = attempts.length === 1 ? attempts[0] : undefined;
  const where = authority(host, port);
  const message =
    only !== undefined
      ? `connection to ${where}${only.address === host ? "" : ` (${only.address})`} failed: ${only.error}`
      : `connection to ${where} failed on every address: ${attempts.map((a) => `${a.address}: ${a.error}`).join("; ")}`;
  return failure("CONNECT_FAILED", message, { cause: lastError, attempts });
}
