import type { Socket } from "node:net";
import { buildOffer, parseAgreement } from "../deflate/index.js";
import { invalid, WebSocketError } from "../errors/errors.js";
import {
  buildRequest,
  checkProtocols,
  checkUserHeaders,
  generateKey,
  ResponseParser,
  validateResponse,
} from "../handshake/index.js";
import { formatDuration } from "../options/duration.js";
import { type ConnectOptions, type ResolvedOptions, resolveOptions } from "../options/options.js";
import { parseTarget, type Target } from "../options/url.js";
import { checkUrl, describeUrl, policyLayers } from "../policy/policy.js";
import { COMPRESSION } from "../protocol/constants.js";
import { Client } from "./client.js";
import { cancellable, closeOnAbort, dial, errorText } from "./dial.js";
import { dialHttp2 } from "./http2/dial.js";

/**
 * Opens a WebSocket connection: checks the security policy, dials (DNS, TCP, proxy, TLS: see
 * dial.ts), performs the RFC 6455 opening handshake and resolves with an open `Client`, or
 * rejects with a `WebSocketError`.
 */
export async function connect(url: string | URL, options?: ConnectOptions): Promise<Client> {
  const target = parseTarget(url);
  const resolved = resolveOptions(options);
  const headerProblem = checkUserHeaders(resolved.headers as Record<string, string>);
  if (headerProblem !== undefined) throw invalid(`option headers: ${headerProblem}`);
  const protocolProblem = checkProtocols(resolved.protocols);
  if (protocolProblem !== undefined) throw invalid(`option protocols: ${protocolProblem}`);
  // The policy is decided before any DNS lookup or socket; dial checks the addresses it resolves.
  const layers = policyLayers(resolved.policy);
  checkUrl(layers, target.url);
  const deadline = Date.now() + resolved.dialTimeout;
  // ---- HTTP/2 (RFC 8441), off by default: see src/client/http2 and docs/http2.md ----
  if (resolved.http2 !== false) {
    const h2 = await dialHttp2({ target, options: resolved, layers, deadline });
    if (h2 !== undefined) {
      const client = new Client({
        // The Client uses only Duplex methods and events, which an HTTP/2 stream has: it stands in for the socket.
        socket: h2.stream as unknown as Socket,
        head: Buffer.alloc(0),
        url: target.url.href,
        protocol: h2.protocol,
        extensions: h2.extensions,
        options: resolved,
        deflate: h2.deflate,
        httpVersion: "2",
      });
      closeOnAbort(client, resolved.signal);
      return client;
    }
  }
  // ---- end of HTTP/2 ----
  const socket = await dial({ target, options: resolved, layers, deadline });
  const client = await cancellable(
    handshake(socket, target, resolved, deadline),
    socket,
    target.url,
    resolved.signal,
  );
  closeOnAbort(client, resolved.signal);
  return client;
}

/** Runs the opening handshake on `socket`, which `dial` connected; bounded by `deadline` (epoch ms). */
function handshake(
  socket: Socket,
  target: Target,
  options: ResolvedOptions,
  deadline: number,
): Promise<Client> {
  return new Promise<Client>((resolve, reject) => {
    const key = generateKey();
    const offer = compressionOffer(options.compression);
    const parser = new ResponseParser();
    let settled = false;

    const fail = (error: WebSocketError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () => {
        fail(
          new WebSocketError(
            "TIMEOUT",
            `dial to ${describeUrl(target.url)} timed out after ${formatDuration(options.dialTimeout)} (during the opening handshake)`,
            {
              retryable: true,
            },
          ),
        );
      },
      Math.max(0, deadline - Date.now()),
    );

    const onError = (error: Error): void => {
      fail(
        new WebSocketError("INTERNAL", `connection to ${target.url.host} failed: ${errorText(error)}`, {
          retryable: true,
          cause: error,
        }),
      );
    };
    const onClose = (): void => {
      fail(
        new WebSocketError("INTERNAL", "the server closed the connection during the handshake", {
          retryable: true,
        }),
      );
    };
    const onData = (chunk: Buffer): void => {
      const result = parser.push(chunk);
      if (result === undefined) return;
      if (result.kind === "error") {
        fail(new WebSocketError("INTERNAL", `bad handshake response: ${result.message}`));
        return;
      }
      const outcome = validateResponse(result, {
        key,
        protocols: options.protocols,
        extensionsOffered: offer !== undefined,
      });
      if (!outcome.ok) {
        fail(
          new WebSocketError("INTERNAL", `handshake refused: ${outcome.message}`, {
            retryable: outcome.retryable,
            ...(outcome.status === undefined ? {} : { status: outcome.status }),
          }),
        );
        return;
      }
      const agreement = offer === undefined ? undefined : parseAgreement(outcome.extensions);
      if (agreement !== undefined && !agreement.ok) {
        fail(new WebSocketError("INTERNAL", `handshake refused: ${agreement.message}`));
        return;
      }
      settled = true;
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("error", onError);
      socket.off("close", onClose);
      socket.off("end", onClose);
      resolve(
        new Client({
          socket,
          head: result.rest,
          url: target.url.href,
          protocol: outcome.protocol,
          extensions: outcome.extensions,
          options,
          deflate: agreement?.params,
        }),
      );
    };

    socket.on("error", onError);
    socket.on("close", onClose);
    // Sockets are half-open capable, so a server's FIN is an "end" with no "close" to follow.
    socket.on("end", onClose);
    socket.on("data", onData);
    socket.write(
      buildRequest({
        url: target.url,
        key,
        headers: options.headers,
        protocols: options.protocols,
        ...(offer === undefined ? {} : { extensions: offer }),
      }),
    );
  });
}

/** The permessage-deflate offer for a compression mode, or undefined for none. */
function compressionOffer(mode: number): string | undefined {
  if (mode === COMPRESSION.CONTEXT_TAKEOVER) return buildOffer("context-takeover");
  if (mode === COMPRESSION.NO_CONTEXT) return buildOffer("no-context");
  return undefined;
}
