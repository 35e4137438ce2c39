import type * as http2 from "node:http2";
import { buildOffer, type DeflateParams, parseAgreement } from "../../deflate/index.js";
import { failure, invalid, type WebSocketError } from "../../errors/errors.js";
import type { ResolvedOptions } from "../../options/options.js";
import type { Target } from "../../options/url.js";
import { type CompiledPolicy, privateRefusedBy } from "../../policy/policy.js";
import { COMPRESSION } from "../../protocol/constants.js";
import {
  checkHttp2Headers,
  connectHeaders,
  FallbackMemory,
  HTTP_1_1_REQUIRED,
  judgeConnectResponse,
  originOf,
  REFUSED_STREAM,
  type ResponseHeaders,
  sessionKey,
} from "../../routes/http2.js";
import type { HandshakeResponse } from "../client.js";
import type { DialIO } from "../dial.js";
import { type Bounds, bounded } from "./bounded.js";
import { HTTP2_CANCEL } from "./module.js";
import { SessionRefused, sessionPool } from "./pool.js";

/**
 * dialHttp2 opens a WebSocket as an extended CONNECT stream (RFC 8441) on a shared HTTP/2
 * session, or answers that HTTP/1.1 is to be used instead. What it hands back is what an
 * HTTP/1.1 dial hands to the Client: a duplex byte stream carrying frames, and what was
 * negotiated.
 */

/** An open WebSocket stream and what was negotiated on it. */
export interface Http2Dialed {
  /** The extended CONNECT's stream: WebSocket frames flow on it as on a socket. */
  readonly stream: http2.ClientHttp2Stream;
  readonly protocol: string;
  readonly extensions: string;
  readonly deflate: DeflateParams | undefined;
  readonly handshake: HandshakeResponse;
}

/** What dialHttp2 needs: what connect has checked and computed. */
export interface Http2DialRequest {
  readonly target: Target;
  readonly options: ResolvedOptions;
  readonly layers: readonly CompiledPolicy[];
  /** When the whole dial must be over (epoch milliseconds). */
  readonly deadline: number;
  readonly io: DialIO;
}

/** Origins that answered "not over HTTP/2", sent HTTP/1.1 for FALLBACK_MEMORY_MS (10 minutes). */
export const fallbackMemory = new FallbackMemory();

const noop = (): void => {};

/**
 * Opens the WebSocket over HTTP/2 when `options.http2` asks for it; resolves undefined when the
 * connection is to go over HTTP/1.1 instead: `http2: "auto"` on `ws:`, on an origin remembered
 * as refusing, or on a server that refuses now (no `h2` in ALPN, no
 * SETTINGS_ENABLE_CONNECT_PROTOCOL, a 501, or a stream reset with HTTP_1_1_REQUIRED). With
 * `http2: true` those refusals reject with HTTP2_UNSUPPORTED instead.
 */
export async function dialHttp2(request: Http2DialRequest): Promise<Http2Dialed | undefined> {
  const { target, options, layers, deadline } = request;
  const mode = options.http2;
  if (mode === false || (mode === "auto" && !target.secure)) return undefined;
  const headerProblem = checkHttp2Headers(options.headers);
  if (headerProblem !== undefined) {
    if (mode === "auto") return undefined;
    throw invalid(`option headers: ${headerProblem}`, "INVALID_OPTION");
  }
  const origin = originOf(target.url, target.port);
  if (mode === "auto" && fallbackMemory.refused(origin, Date.now())) return undefined;

  const refuse = (message: string): undefined => {
    if (mode !== "auto")
      throw failure("HTTP2_UNSUPPORTED", `${message}; http2 is true, so HTTP/1.1 is not tried`);
    fallbackMemory.remember(origin, Date.now());
    return undefined;
  };
  const bounds: Bounds = {
    url: target.url,
    deadline,
    dialTimeout: options.dialTimeout,
    signal: options.signal,
  };
  const key = sessionKey({
    origin,
    tls: options.tls,
    proxy: typeof options.proxy === "object" ? options.proxy : undefined,
    privateRefused: privateRefusedBy(layers) !== undefined,
  });

  let entry: Awaited<ReturnType<typeof sessionPool.acquire>>;
  try {
    entry = await sessionPool.acquire({ key, target, options, layers, bounds, io: request.io });
  } catch (error) {
    if (error instanceof SessionRefused) return refuse(error.message);
    throw error;
  }

  const offer = compressionOffer(options.compression);
  let stream: http2.ClientHttp2Stream;
  try {
    stream = entry.session!.request(
      connectHeaders({
        url: target.url,
        headers: options.headers,
        protocols: options.protocols,
        extensions: offer,
      }),
      { endStream: false },
    );
  } catch (error) {
    entry.release();
    throw failure(
      "HTTP2_SESSION_LOST",
      `the HTTP/2 session could not open a stream: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  entry.track(stream);
  // Errors after the Client took the stream are the Client's to report; this one keeps an error
  // in the moment between the two from being an uncaught exception.
  stream.on("error", noop);

  let response: ResponseHeaders;
  try {
    response = await bounded(awaitResponse(stream), bounds, "extended CONNECT", () =>
      stream.close(HTTP2_CANCEL),
    );
  } catch (error) {
    if (error instanceof StreamReset && error.code === HTTP_1_1_REQUIRED) {
      return refuse("the HTTP/2 server reset the extended CONNECT with HTTP_1_1_REQUIRED");
    }
    throw error;
  }
  const outcome = judgeConnectResponse(response, {
    protocols: options.protocols,
    extensionsOffered: offer !== undefined,
  });
  if (!outcome.ok) {
    stream.close(HTTP2_CANCEL);
    if (outcome.fallback) return refuse(outcome.message);
    throw failure(
      outcome.status === undefined ? "HANDSHAKE_INVALID" : "HANDSHAKE_STATUS",
      `handshake refused: ${outcome.message}`,
      {
        retryable: outcome.retryable,
        ...(outcome.status === undefined ? {} : { status: outcome.status }),
      },
    );
  }
  const agreement = offer === undefined ? undefined : parseAgreement(outcome.extensions);
  if (agreement !== undefined && !agreement.ok) {
    stream.close(HTTP2_CANCEL);
    throw failure("HANDSHAKE_INVALID", `handshake refused: ${agreement.message}`);
  }
  return {
    stream,
    protocol: outcome.protocol,
    extensions: outcome.extensions,
    deflate: agreement?.params,
    handshake: handshakeOf(response),
  };
}

/** The CONNECT's response as `client.handshake` shows it: status 200, headers by lower-case name. */
function handshakeOf(response: ResponseHeaders): HandshakeResponse {
  const headers: Record<string, readonly string[]> = Object.create(null);
  for (const [name, value] of Object.entries(response)) {
    if (name.startsWith(":") || value === undefined) continue;
    headers[name] = Array.isArray(value) ? value : [String(value)];
  }
  return { status: Number(response[":status"]), statusText: "", headers };
}

/** A stream the server reset before answering, with the RST_STREAM code. */
class StreamReset extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** The response headers of the extended CONNECT; rejects when the stream ends first. */
function awaitResponse(stream: http2.ClientHttp2Stream): Promise<ResponseHeaders> {
  return new Promise<ResponseHeaders>((resolve, reject) => {
    const done = (error: WebSocketError | StreamReset | undefined, headers?: ResponseHeaders): void => {
      stream.off("response", onResponse);
      stream.off("close", onClose);
      stream.off("error", onError);
      if (error === undefined) resolve(headers!);
      else reject(error);
    };
    const onResponse = (headers: http2.IncomingHttpHeaders): void => done(undefined, headers);
    const onError = (error: Error): void => {
      if (stream.rstCode === HTTP_1_1_REQUIRED) {
        done(new StreamReset(HTTP_1_1_REQUIRED, "the server asked for HTTP/1.1"));
        return;
      }
      if (error instanceof Error && (error as { id?: unknown }).id === "HTTP2_SESSION_LOST") {
        done(error as WebSocketError);
        return;
      }
      done(
        failure("HTTP2_SESSION_LOST", `the extended CONNECT failed: ${error.message}`, {
          cause: error,
        }),
      );
    };
    const onClose = (): void => {
      const code = stream.rstCode ?? 0;
      if (code === HTTP_1_1_REQUIRED) {
        done(new StreamReset(code, "the server asked for HTTP/1.1"));
        return;
      }
      const why =
        code === REFUSED_STREAM
          ? "the server refused the stream (REFUSED_STREAM): it was not processed"
          : `the stream closed before the server answered (RST_STREAM code ${code})`;
      done(failure("HTTP2_SESSION_LOST", `the extended CONNECT failed: ${why}`));
    };
    stream.once("response", onResponse);
    stream.on("close", onClose);
    stream.on("error", onError);
  });
}

/** The permessage-deflate offer for a compression mode, or undefined for none. */
function compressionOffer(mode: number): string | undefined {
  if (mode === COMPRESSION.CONTEXT_TAKEOVER) return buildOffer("context-takeover");
  if (mode === COMPRESSION.NO_CONTEXT) return buildOffer("no-context");
  return undefined;
}
