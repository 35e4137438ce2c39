import { promises as dns } from "node:dns";
import * as net from "node:net";
import * as tls from "node:tls";
import { WebSocketError } from "../errors/errors.js";
import { ResponseParser } from "../handshake/index.js";
import { formatDuration } from "../options/duration.js";
import type { ResolvedOptions } from "../options/options.js";
import type { Target } from "../options/url.js";
import { type CompiledPolicy, checkAddress, describeUrl, privateRefusedBy } from "../policy/policy.js";
import { authority, connectRequest, type ProxyTarget } from "../routes/proxy.js";
import { connectDirect } from "./direct-read.js";

/**
 * Opening the socket a WebSocket handshake runs on: DNS lookup, TCP, an HTTP CONNECT tunnel when
 * a proxy is set, TLS for `wss:`, all within the dial deadline and cancellable by the signal.
 *
 * Names are resolved here, once, and every address is checked against the policy's
 * `private_networks` before a socket is opened; the socket then goes to the address that was
 * checked, never to the name, so a second DNS answer cannot move the connection elsewhere (DNS
 * rebinding). With a proxy the proxy's address is checked the same way; the target's name is
 * left to the proxy unless a policy refuses private networks, in which case it is resolved and
 * checked here and the CONNECT names the checked address.
 */

/** One address a name resolved to. */
export interface LookupAddress {
  readonly address: string;
  readonly family: number;
}

/** Resolves a host name to its addresses, in the order to try them. */
export type LookupFunction = (hostname: string) => Promise<readonly LookupAddress[]>;

/**
 * Replacements for the outside world, for tests only (not exported by the package): `lookup`
 * stands in for DNS, `connect` for opening the TCP socket to an address. Install with
 * `setDialHooks`, and remove with `setDialHooks(undefined)` when the test ends.
 */
export interface DialHooks {
  readonly lookup?: LookupFunction;
  readonly connect?: (address: string, port: number) => net.Socket;
}

let hooks: DialHooks = {};

/** Installs test hooks (see `DialHooks`); `undefined` restores DNS and TCP. */
export function setDialHooks(value: DialHooks | undefined): void {
  hooks = value ?? {};
}

const systemLookup: LookupFunction = (hostname) => dns.lookup(hostname, { all: true });

/** What `dial` needs. */
export interface DialRequest {
  readonly target: Target;
  readonly options: ResolvedOptions;
  /** The policy layers in force: every address is checked against them. */
  readonly layers: readonly CompiledPolicy[];
  /** When the whole dial, handshake included, must be over (epoch milliseconds). */
  readonly deadline: number;
}

type Phase = "DNS lookup" | "TCP connect" | "proxy CONNECT" | "TLS handshake" | "opening handshake";

const noop = (): void => {};

/** The error for a dial cancelled through `options.signal` during `phase`. */
export function canceledError(url: URL, phase: string, signal: AbortSignal): WebSocketError {
  return new WebSocketError(
    "CANCELED",
    `connecting to ${describeUrl(url)} was canceled during the ${phase}`,
    {
      cause: signal.reason,
    },
  );
}

/**
 * A promise that rejects when the deadline passes (TIMEOUT) or the signal aborts (CANCELED),
 * whichever comes first, naming the phase the dial was in.
 */
class Interrupt {
  readonly promise: Promise<never>;
  phase: Phase = "DNS lookup";
  #timer: NodeJS.Timeout | undefined;
  #signal: AbortSignal | undefined;
  #onAbort = noop;

  constructor(request: DialRequest) {
    const { target, options, deadline } = request;
    let reject!: (error: WebSocketError) => void;
    this.promise = new Promise<never>((_, r) => {
      reject = r;
    });
    this.promise.catch(noop);
    this.#timer = setTimeout(
      () => {
        reject(
          new WebSocketError(
            "TIMEOUT",
            `dial to ${describeUrl(target.url)} timed out after ${formatDuration(options.dialTimeout)} (during the ${this.phase})`,
            { retryable: true },
          ),
        );
      },
      Math.max(0, deadline - Date.now()),
    );
    const signal = options.signal;
    if (signal !== undefined) {
      this.#signal = signal;
      this.#onAbort = () => reject(canceledError(target.url, this.phase, signal));
      signal.addEventListener("abort", this.#onAbort, { once: true });
    }
  }

  /** Awaits `work` unless interrupted first. */
  guard<T>(phase: Phase, work: Promise<T>): Promise<T> {
    this.phase = phase;
    return Promise.race([work, this.promise]);
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#signal?.removeEventListener("abort", this.#onAbort);
  }
}

function connectionFailed(message: string, cause?: unknown): WebSocketError {
  return new WebSocketError("INTERNAL", message, {
    retryable: true,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Resolves `host` (an IP address stands for itself) and checks every address against the policy. */
async function resolve(
  host: string,
  layers: readonly CompiledPolicy[],
  interrupt: Interrupt,
): Promise<string[]> {
  if (net.isIP(host) !== 0) {
    checkAddress(layers, host, host);
    return [host];
  }
  const lookup = hooks.lookup ?? systemLookup;
  let answers: readonly LookupAddress[];
  try {
    answers = await interrupt.guard("DNS lookup", lookup(host));
  } catch (error) {
    if (error instanceof WebSocketError) throw error;
    throw connectionFailed(`DNS lookup of ${host} failed: ${(error as Error).message}`, error);
  }
  if (answers.length === 0) throw connectionFailed(`DNS lookup of ${host} returned no address`);
  // Every answer is checked, not only the one used: a mixed answer is how rebinding attacks start.
  for (const { address } of answers) checkAddress(layers, host, address);
  return answers.map((a) => a.address);
}

/** Resolves once `socket` emits `event`; rejects on error or close. Leaves no listener behind. */
function once(socket: net.Socket, event: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (error?: Error): void => {
      socket.off(event, onEvent);
      socket.off("error", onError);
      socket.off("close", onClose);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onEvent = (): void => done();
    const onError = (error: Error): void => done(error);
    const onClose = (): void => done(new Error("the connection was closed"));
    socket.once(event, onEvent);
    socket.on("error", onError);
    socket.on("close", onClose);
  });
}

/** Connects TCP to the first of `addresses` that answers, in order. */
async function connectTcp(
  host: string,
  addresses: readonly string[],
  port: number,
  sockets: Set<net.Socket>,
  interrupt: Interrupt,
  direct = false,
): Promise<net.Socket> {
  let lastError: unknown;
  for (const address of addresses) {
    const options = { host: address, port, noDelay: true, allowHalfOpen: true };
    // Issue 17 hook: plain ws: sockets read large frames straight into their messages (direct-read.ts).
    const socket = hooks.connect
      ? hooks.connect(address, port)
      : direct
        ? connectDirect(options)
        : net.connect(options);
    sockets.add(socket);
    try {
      await interrupt.guard("TCP connect", once(socket, "connect"));
      return socket;
    } catch (error) {
      if (error instanceof WebSocketError) throw error;
      lastError = error;
      socket.destroy();
      sockets.delete(socket);
    }
  }
  const tried = addresses.length === 1 && addresses[0] === host ? "" : ` (tried ${addresses.join(", ")})`;
  throw connectionFailed(
    `connection to ${authority(host, port)}${tried} failed: ${(lastError as Error).message}`,
    lastError,
  );
}

/** Asks the proxy for a tunnel to `host`:`port` over `socket`; returns bytes that came after its answer. */
async function tunnel(
  socket: net.Socket,
  proxy: ProxyTarget,
  host: string,
  port: number,
  interrupt: Interrupt,
): Promise<Buffer> {
  const parser = new ResponseParser();
  const answer = new Promise<Buffer>((resolve, reject) => {
    const done = (error: WebSocketError | undefined, rest?: Buffer): void => {
      socket.off("data", onData);
      socket.off("error", onError);
      socket.off("close", onClose);
      socket.off("end", onClose);
      if (error === undefined) resolve(rest!);
      else reject(error);
    };
    const target = authority(host, port);
    const onData = (chunk: Buffer): void => {
      const result = parser.push(chunk);
      if (result === undefined) return;
      if (result.kind === "error") {
        done(
          new WebSocketError("INTERNAL", `proxy ${proxy.shown} answered CONNECT wrongly: ${result.message}`),
        );
      } else if (result.status >= 200 && result.status < 300) {
        done(undefined, Buffer.from(result.rest));
      } else {
        const status = result.status;
        done(
          new WebSocketError(
            "INTERNAL",
            `proxy ${proxy.shown} refused CONNECT to ${target}: ${status} ${result.statusText}`.trimEnd(),
            { status, retryable: status >= 500 || status === 429 },
          ),
        );
      }
    };
    const onError = (error: Error): void =>
      done(connectionFailed(`proxy ${proxy.shown} failed during CONNECT: ${error.message}`, error));
    const onClose = (): void =>
      done(connectionFailed(`proxy ${proxy.shown} closed the connection before answering CONNECT`));
    socket.on("data", onData);
    socket.on("error", onError);
    socket.on("close", onClose);
    // The socket is half-open capable: a proxy's FIN is an "end" with no "close" to follow.
    socket.on("end", onClose);
    socket.write(connectRequest(proxy, host, port));
  });
  return interrupt.guard("proxy CONNECT", answer);
}

/** Certificate checks Node reports by code, and what each means. */
const CERTIFICATE_CHECKS: Readonly<Record<string, string>> = {
  CERT_HAS_EXPIRED: "the server's certificate has expired",
  CERT_NOT_YET_VALID: "the server's certificate is not valid yet",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the server's certificate is self-signed and not trusted",
  SELF_SIGNED_CERT_IN_CHAIN: "the server's certificate chain ends in a self-signed root that is not trusted",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the server's certificate is not signed by a trusted CA (unknown CA)",
  UNABLE_TO_GET_ISSUER_CERT: "the issuer of the server's certificate is unknown (unknown CA)",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the issuer of the server's certificate is unknown (unknown CA)",
  CERT_SIGNATURE_FAILURE: "the signature of the server's certificate is invalid",
  CERT_UNTRUSTED: "the server's certificate is not trusted",
  CERT_REJECTED: "the server's certificate is rejected",
  CERT_REVOKED: "the server's certificate is revoked",
  INVALID_CA: "a CA certificate in the server's chain is invalid",
  INVALID_PURPOSE: "the server's certificate may not be used for a TLS server",
  HOSTNAME_MISMATCH: "the server's certificate does not match the host name",
  ERR_TLS_CERT_ALTNAME_INVALID: "the server's certificate does not match the host name",
};

/** OpenSSL's reasons for failures reported by the peer's alerts, and what they mean. */
const TLS_REASONS: readonly [RegExp, string][] = [
  [/certificate required/, "the server requires a client certificate (tls.cert and tls.key)"],
  [
    /alert (bad certificate|unknown ca|certificate unknown|decrypt error|unsupported certificate)/,
    "the server rejected the client certificate",
  ],
  [/certificate expired|certificate revoked/, "the server rejected the client certificate"],
  [
    /protocol version|unsupported protocol|wrong version number/,
    "no TLS version acceptable to both sides (see tls.minVersion)",
  ],
  [
    /handshake failure|no shared cipher|no suitable/,
    "no cipher suite or parameters acceptable to both sides",
  ],
  [/unrecognized name/, "the server does not know the name sent in SNI"],
  [/no application protocol/, "the server does not speak http/1.1 (ALPN)"],
];

/**
 * errorText describes a socket error in a line: OpenSSL errors (which Node reports as several
 * lines of file names and numbers) become their reason, explained when it is a known alert,
 * and their code; other errors keep their message.
 */
export function errorText(error: Error): string {
  const e = error as Error & { reason?: unknown; code?: unknown };
  if (typeof e.reason !== "string" || typeof e.code !== "string" || !e.code.startsWith("ERR_SSL")) {
    return error.message;
  }
  const reason = e.reason;
  const known = TLS_REASONS.find(([pattern]) => pattern.test(reason));
  return `${known === undefined ? "" : `${known[1]}: `}${reason} (${e.code})`;
}

/** The error for a failed TLS handshake, saying which check failed. */
function tlsFailed(target: Target, servername: string, error: unknown): WebSocketError {
  const where = `TLS handshake with ${authority(target.host, target.port)}`;
  if (error instanceof WebSocketError) return error;
  const e = error as NodeJS.ErrnoException & { reason?: string };
  const check = e.code === undefined ? undefined : CERTIFICATE_CHECKS[e.code];
  if (check !== undefined) {
    const detail =
      e.code === "ERR_TLS_CERT_ALTNAME_INVALID" ? ` ${JSON.stringify(servername)}: ${e.reason}` : "";
    // Retryable, as API.md has every TLS failure: a server's certificate does get renewed or
    // fixed, and a reconnect loop backs off while it waits.
    return connectionFailed(`${where} failed: ${check}${detail} (${e.code})`, error);
  }
  return connectionFailed(`${where} failed: ${errorText(e)}`, error);
}

/**
 * The TLS settings of `options.tls`, built before any socket is opened so that a key, certificate
 * or passphrase Node cannot use is INVALID rather than a failure halfway through the dial.
 */
function secureContext(options: ResolvedOptions): tls.SecureContext {
  const t = options.tls;
  try {
    return tls.createSecureContext({
      ...(t.ca === undefined ? {} : { ca: t.ca }),
      ...(t.cert === undefined ? {} : { cert: t.cert }),
      ...(t.key === undefined ? {} : { key: t.key }),
      ...(t.passphrase === undefined ? {} : { passphrase: t.passphrase }),
      ...(t.minVersion === undefined ? {} : { minVersion: t.minVersion }),
    } as tls.SecureContextOptions);
  } catch (error) {
    throw new WebSocketError("INVALID", `option tls: ${(error as Error).message}`, { cause: error });
  }
}

/** Runs TLS over `socket` for `target`, verifying its certificate against the host name. */
async function secure(
  socket: net.Socket,
  target: Target,
  options: ResolvedOptions,
  context: tls.SecureContext,
  sockets: Set<net.Socket>,
  interrupt: Interrupt,
): Promise<tls.TLSSocket> {
  const t = options.tls;
  const servername = t.servername ?? (net.isIP(target.host) === 0 ? target.host : undefined);
  const secured = tls.connect({
    socket,
    // The name the certificate is checked against when there is no servername (an IP host):
    // without it Node would fall back to whatever the TCP socket was connected to.
    host: target.host,
    allowHalfOpen: true,
    ALPNProtocols: ["http/1.1"],
    secureContext: context,
    ...(servername === undefined ? {} : { servername }),
    rejectUnauthorized: t.rejectUnauthorized ?? true,
  } as tls.ConnectionOptions);
  sockets.add(secured);
  try {
    await interrupt.guard("TLS handshake", once(secured, "secureConnect"));
  } catch (error) {
    throw tlsFailed(target, servername ?? target.host, error);
  }
  return secured;
}

/**
 * dial opens the socket for `request.target` (see the file comment) and resolves with it,
 * connected, tunnelled and secured as needed, with no listener of ours left on it. It rejects
 * with a WebSocketError: PERMISSION_DENIED for an address the policy refuses, TIMEOUT past the
 * deadline, CANCELED when the signal aborts, INTERNAL when something fails; every socket it
 * opened is destroyed then.
 */
export async function dial(request: DialRequest): Promise<net.Socket> {
  const { target, options, layers } = request;
  const signal = options.signal;
  if (signal?.aborted) throw canceledError(target.url, "DNS lookup", signal);
  const context = target.secure ? secureContext(options) : undefined;
  const interrupt = new Interrupt(request);
  const sockets = new Set<net.Socket>();
  try {
    const proxy = options.proxy;
    if (proxy === undefined) {
      const addresses = await resolve(target.host, layers, interrupt);
      const socket = await connectTcp(
        target.host,
        addresses,
        target.port,
        sockets,
        interrupt,
        !target.secure,
      );
      return target.secure ? await secure(socket, target, options, context!, sockets, interrupt) : socket;
    }
    const proxyAddresses = await resolve(proxy.host, layers, interrupt);
    // The proxy resolves the target itself, unless the policy must see the address first.
    let tunnelHost = target.host;
    if (privateRefusedBy(layers) !== undefined) {
      tunnelHost = (await resolve(target.host, layers, interrupt))[0]!;
    }
    const socket = await connectTcp(proxy.host, proxyAddresses, proxy.port, sockets, interrupt);
    const rest = await tunnel(socket, proxy, tunnelHost, target.port, interrupt);
    if (target.secure) {
      if (rest.length > 0) {
        throw new WebSocketError("INTERNAL", `proxy ${proxy.shown} sent data before the TLS handshake`);
      }
      return await secure(socket, target, options, context!, sockets, interrupt);
    }
    if (rest.length > 0) socket.unshift(rest);
    return socket;
  } catch (error) {
    for (const socket of sockets) socket.destroy();
    throw error;
  } finally {
    interrupt.dispose();
  }
}

/**
 * cancellable lets `signal` cancel the opening handshake running on `socket`: on abort the socket
 * is destroyed and the promise rejects with CANCELED; a client that was nevertheless made is
 * closed with 1001.
 */
export function cancellable<T extends { close(code: number, reason: string): Promise<boolean> }>(
  handshake: Promise<T>,
  socket: net.Socket,
  url: URL,
  signal: AbortSignal | undefined,
): Promise<T> {
  if (signal === undefined) return handshake;
  return new Promise<T>((resolve, reject) => {
    let canceled = false;
    const onAbort = (): void => {
      canceled = true;
      socket.destroy();
      reject(canceledError(url, "opening handshake", signal));
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    handshake.then(
      (client) => {
        signal.removeEventListener("abort", onAbort);
        if (canceled) client.close(1001, "canceled").catch(noop);
        else resolve(client);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/**
 * closeOnAbort closes an open client with 1001 (going away) when `signal` aborts; the listener is
 * removed once the connection has ended, so a long-lived signal does not keep closed clients alive.
 */
export function closeOnAbort(
  client: { close(code: number, reason: string): Promise<boolean>; readonly closed: Promise<unknown> },
  signal: AbortSignal | undefined,
): void {
  if (signal === undefined) return;
  const onAbort = (): void => {
    client.close(1001, "canceled").catch(noop);
  };
  if (signal.aborted) {
    onAbort();
    return;
  }
  signal.addEventListener("abort", onAbort, { once: true });
  client.closed.then(() => signal.removeEventListener("abort", onAbort), noop);
}
