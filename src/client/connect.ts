import type { Duplex } from "node:stream";
import { buildOffer, parseAgreement } from "../deflate/index.js";
import { failure } from "../errors/errors.js";
import { buildRequest, generateKey, type ParsedResponse, validateResponse } from "../handshake/index.js";
import { type ConnectOptions, type ResolvedOptions, resolveOptions } from "../options/options.js";
import { prototypeless } from "../options/own.js";
import { parseTarget, shownUrl, type Target } from "../options/url.js";
import { checkUrl, policyLayers } from "../policy/policy.js";
import { COMPRESSION } from "../protocol/constants.js";
import { Client } from "./client.js";
import { clock } from "./clock.js";
import { DialDeadline } from "./deadline.js";
import { diagnostics } from "./diagnostics.js";
import { type DialIO, dial } from "./dial.js";
import { exchange, readBody } from "./exchange.js";
import { dialHttp2 } from "./http2/dial.js";
import { errorText } from "./tls.js";

/**
 * Opens a WebSocket connection: checks the security policy, dials (DNS, TCP, proxy, TLS: see
 * dial.ts), performs the RFC 6455 opening handshake and resolves with an open `Client`, or
 * rejects with a `WebSocketError`.
 */
export function connect(url: string | URL, options?: ConnectOptions): Promise<Client> {
  return connectWith(url, options, {});
}

/** @internal `connect` with its outside world (DNS, TCP, the environment) passed in; for tests. */
export async function connectWith(
  url: string | URL,
  options: ConnectOptions | undefined,
  io: DialIO,
): Promise<Client> {
  const target = parseTarget(url);
  const resolved = resolveOptions(options);
  // The policy is decided before any DNS lookup or socket; dial checks the addresses it resolves.
  const layers = policyLayers(resolved.policy);
  // A ws+unix: URL names no host the URL patterns could judge: the policy's unix rule decides.
  if (target.unixPath === undefined) checkUrl(layers, target.url);
  const deadline = new DialDeadline(target.url, resolved.dialTimeout, resolved.signal);
  const started = clock();
  if (diagnostics.dialStart.hasSubscribers) diagnostics.dialStart.publish({ url: shownUrl(target.url) });
  let client: Client;
  try {
    // ---- HTTP/2 (RFC 8441), off by default: see src/client/http2 and docs/http2.md ----
    const h2 =
      resolved.http2 === false
        ? undefined
        : await dialHttp2({
            target,
            options: resolved,
            layers,
            deadline: clock() + deadline.remaining(),
            io,
          });
    if (h2 !== undefined) {
      client = Client.open({
        socket: h2.stream,
        head: Buffer.alloc(0),
        url: shownUrl(target.url),
        protocol: h2.protocol,
        extensions: h2.extensions,
        options: resolved,
        deflate: h2.deflate,
        handshake: h2.handshake,
        httpVersion: "2",
      });
      deadline.complete();
      opened(client, started);
      closeOnAbort(client, resolved.signal);
      return client;
    }
    // ---- end of HTTP/2 ----
    const stream = await dial({ target, options: resolved, layers, deadline, io });
    client = await handshake(stream, target, resolved, deadline);
    deadline.complete();
  } catch (error) {
    deadline.destroyAll();
    if (diagnostics.dialError.hasSubscribers) {
      diagnostics.dialError.publish({ url: shownUrl(target.url), error });
    }
    throw error;
  } finally {
    deadline.dispose();
  }
  opened(client, started);
  closeOnAbort(client, resolved.signal);
  return client;
}

/** Tells diagnostics subscribers a connection opened, and how long the whole dial took. */
function opened(client: Client, started: number): void {
  if (!diagnostics.open.hasSubscribers) return;
  const { url, protocol, extensions } = client;
  diagnostics.open.publish({ client, url, protocol, extensions, ms: clock() - started });
}

/** Runs the opening handshake on `stream`, which `dial` connected, within the dial's deadline. */
async function handshake(
  stream: Duplex,
  target: Target,
  options: ResolvedOptions,
  deadline: DialDeadline,
): Promise<Client> {
  const key = generateKey();
  const offer = compressionOffer(options.compression);
  // Without a prototype, a field planted on Object.prototype (extensions, say) cannot reach the request.
  const request = buildRequest(
    prototypeless({
      url: target.url,
      key,
      headers: options.headers,
      protocols: options.protocols,
      ...(offer === undefined ? {} : { extensions: offer }),
    }),
  );
  const response: ParsedResponse = await exchange(stream, request, deadline, "opening handshake", {
    malformed: (message, received) =>
      failure("HANDSHAKE_INVALID", `bad handshake response: ${message}${schemeHint(target, received)}`),
    closed: (received) =>
      failure(
        "HANDSHAKE_CLOSED",
        `the server closed the connection during the handshake${received.length === 0 && !target.secure ? " (a TLS server does this to plain HTTP: if it speaks TLS, use wss://)" : ""}`,
      ),
    failed: (error) =>
      failure("HANDSHAKE_CLOSED", `connection to ${target.url.host} failed: ${errorText(error)}`, {
        cause: error,
      }),
  });
  const outcome = validateResponse(response, {
    key,
    protocols: options.protocols,
    extensionsOffered: offer !== undefined,
  });
  if (!outcome.ok) {
    if (outcome.status === undefined)
      throw failure("HANDSHAKE_INVALID", `handshake refused: ${outcome.message}`);
    const refused = await readBody(stream, response, Math.min(1000, deadline.remaining()));
    throw failure("HANDSHAKE_STATUS", `handshake refused: ${outcome.message}`, {
      retryable: outcome.retryable,
      status: outcome.status,
      response: refused,
    });
  }
  const agreement = offer === undefined ? undefined : parseAgreement(outcome.extensions);
  if (agreement !== undefined && !agreement.ok) {
    throw failure("HANDSHAKE_INVALID", `handshake refused: ${agreement.message}`);
  }
  deadline.check();
  return Client.open({
    socket: stream,
    head: response.rest,
    url: shownUrl(target.url),
    protocol: outcome.protocol,
    extensions: outcome.extensions,
    options,
    deflate: agreement?.params,
    handshake: response.text,
  });
}

/** A TLS record (handshake 0x16 or alert 0x15, version 3.x) where an HTTP response was expected. */
function schemeHint(target: Target, received: Buffer): string {
  const tlsRecord =
    received.length >= 2 && (received[0] === 0x15 || received[0] === 0x16) && received[1] === 0x03;
  return tlsRecord && !target.secure ? " (the server speaks TLS: use wss://)" : "";
}

/** The permessage-deflate offer for a compression mode, or undefined for none. */
function compressionOffer(mode: number): string | undefined {
  if (mode === COMPRESSION.CONTEXT_TAKEOVER) return buildOffer("context-takeover");
  if (mode === COMPRESSION.NO_CONTEXT) return buildOffer("no-context");
  return undefined;
}

const noop = (): void => {};

/**
 * closeOnAbort closes an open client with 1001 (going away) when `signal` aborts; the listener is
 * removed once the connection has ended, so a long-lived signal does not keep closed clients alive.
 */
function closeOnAbort(
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
