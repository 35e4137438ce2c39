import type { Duplex } from "node:stream";
import type { HttpResponse, WebSocketError } from "../errors/errors.js";
import { headerRecord, type ParsedResponse, ResponseParser } from "../handshake/index.js";
import { BoundedBody } from "../routes/http-body.js";
import type { DialDeadline, Phase } from "./deadline.js";

/**
 * One HTTP/1.1 request and the head of its response over a byte stream: the proxy CONNECT and the
 * WebSocket Upgrade both go through here. The head is bounded (`ResponseParser`'s 16 KiB); the
 * body of a refusal is read to 64 KiB by `readBody`. No listener of ours is left on the stream.
 */

/** What one chunk of the peer's answer settles: nothing yet (undefined), a value, or a failure. */
export type Reply<T> = { readonly value: T } | { readonly error: WebSocketError } | undefined;

/**
 * Listens to `stream` until `onChunk` settles what the peer answers, or the stream fails
 * (`failed`) or ends or closes (`closed`), then removes every listener it added. Listening starts
 * at once, so the caller may write its request right after.
 */
export function converse<T>(
  stream: Duplex,
  onChunk: (chunk: Buffer) => Reply<T>,
  failed: (error: Error) => WebSocketError,
  closed: () => WebSocketError,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const done = (reply: Exclude<Reply<T>, undefined>): void => {
      stream.off("data", onData);
      stream.off("error", onError);
      stream.off("close", onClose);
      stream.off("end", onClose);
      if ("error" in reply) reject(reply.error);
      else resolve(reply.value);
    };
    const onData = (chunk: Buffer): void => {
      const reply = onChunk(chunk);
      if (reply !== undefined) done(reply);
    };
    const onError = (error: Error): void => done({ error: failed(error) });
    const onClose = (): void => done({ error: closed() });
    stream.on("data", onData);
    stream.on("error", onError);
    stream.on("close", onClose);
    // Sockets are half-open capable: a peer's FIN is an "end" with no "close" to follow.
    stream.on("end", onClose);
  });
}

/** How a failed exchange is reported; each builds the error for the caller's phase. */
export interface ExchangeErrors {
  /** The response head is not HTTP/1.1, or too large. `received` is how many bytes came. */
  malformed(message: string, received: Buffer): WebSocketError;
  /** The stream ended (or closed) before the head was complete. `received` is how many bytes came. */
  closed(received: Buffer): WebSocketError;
  /** The stream failed. */
  failed(error: Error): WebSocketError;
}

const EMPTY = Buffer.alloc(0);

/** What came back: the parsed head, whose `rest` holds the bytes that followed it. */
export async function exchange(
  stream: Duplex,
  request: Uint8Array,
  deadline: DialDeadline,
  phase: Phase,
  errors: ExchangeErrors,
): Promise<ParsedResponse> {
  const parser = new ResponseParser();
  // The first bytes are kept (a little) so that a failure can tell what the peer spoke instead.
  // Usually the whole answer is one chunk: a view of it serves, with no copy.
  let first: Buffer = EMPTY;
  const answer = converse<ParsedResponse>(
    stream,
    (chunk) => {
      if (first.length === 0) first = chunk.subarray(0, 16);
      else if (first.length < 16) first = Buffer.concat([first, chunk.subarray(0, 16 - first.length)]);
      const result = parser.push(chunk);
      if (result === undefined) return undefined;
      return result.kind === "error" ? { error: errors.malformed(result.message, first) } : { value: result };
    },
    errors.failed,
    () => errors.closed(first),
  );
  stream.write(request);
  return deadline.guard(phase, answer);
}

/**
 * The response as a WebSocketError carries it: status line, headers, and the body, read to 64 KiB
 * from what followed the head and then from the stream, until its framing says it is complete,
 * the stream ends, or `waitMs` passes (a refusal without a body framing must not hold the error).
 */
export function readBody(stream: Duplex, response: ParsedResponse, waitMs: number): Promise<HttpResponse> {
  const body = new BoundedBody(response.headers);
  const headers = headerRecord(response.headers);
  const make = (): HttpResponse => ({
    status: response.status,
    statusText: response.statusText,
    headers,
    body: body.body(),
  });
  if (body.push(response.rest) || stream.destroyed || stream.readableEnded) {
    return Promise.resolve(make());
  }
  return new Promise<HttpResponse>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      stream.off("data", onData);
      stream.off("error", done);
      stream.off("close", done);
      stream.off("end", done);
      resolve(make());
    };
    const onData = (chunk: Buffer): void => {
      if (body.push(chunk)) done();
    };
    const timer = setTimeout(done, waitMs);
    stream.on("data", onData);
    stream.on("error", done);
    stream.on("close", done);
    stream.on("end", done);
  });
}
