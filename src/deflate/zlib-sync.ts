import type * as zlib from "node:zlib";

/**
 * Synchronous processing on a zlib stream that keeps its state between calls.
 *
 * Node's public synchronous zlib functions build and close a fresh stream on every call, which
 * loses the LZ77 window that context takeover needs, and the asynchronous stream API costs a
 * round trip through libuv's thread pool (~100 µs here) per message — far more than deflating a
 * 1 KiB message takes (~5 µs). So small messages are processed on the stream's native handle
 * directly, the way Node's own one-shot helper does internally but without closing the handle.
 * These are internals (`_handle.writeSync`, `_writeState`, `_chunkSize`), stable from Node 10 to
 * 24; `syncCapable` checks for them, and the codecs fall back to the stream API without them.
 */
interface ZlibInternals {
  _handle?: {
    writeSync(
      flush: number,
      input: Uint8Array,
      inOffset: number,
      inLength: number,
      output: Uint8Array,
      outOffset: number,
      outLength: number,
    ): void;
  } | null;
  _writeState?: Uint32Array;
  _chunkSize?: number;
}

export function syncCapable(stream: zlib.DeflateRaw | zlib.InflateRaw): boolean {
  const internals = stream as unknown as ZlibInternals;
  return (
    typeof internals._handle?.writeSync === "function" &&
    internals._writeState instanceof Uint32Array &&
    typeof internals._chunkSize === "number"
  );
}

/** Thrown when the output would pass the caller's limit; nothing more is produced. */
export class OutputLimitError extends Error {
  override readonly name = "OutputLimitError";
}

/**
 * Runs `input` through the stream with `flush` synchronously and returns the output, or throws:
 * zlib's own error (corrupt data), or OutputLimitError as soon as the output passes `limit`
 * (checked after every `_chunkSize` bytes, so a bomb never allocates much past the limit).
 */
/**
 * Scratch output shared by every stream: processing is synchronous, so one call never overlaps
 * another, and each result is copied out to its exact size (a small message must not pin a
 * 16 KiB chunk for as long as the application keeps it).
 */
let scratch = Buffer.allocUnsafeSlow(16 * 1024);

export function processSync(
  stream: zlib.DeflateRaw | zlib.InflateRaw,
  input: Uint8Array,
  flush: number,
  limit: number,
): Buffer {
  const internals = stream as unknown as Required<ZlibInternals>;
  const handle = internals._handle!;
  const state = internals._writeState;
  const size = internals._chunkSize;
  if (scratch.length < size) scratch = Buffer.allocUnsafeSlow(size);
  const out = scratch;
  let inOffset = 0;
  let inLength = input.length;
  let total = 0;
  let first: Buffer | undefined;
  let rest: Buffer[] | undefined;
  for (;;) {
    handle.writeSync(flush, input, inOffset, inLength, out, 0, size);
    // A zlib error is reported synchronously by destroying the stream with it.
    if (stream.errored) throw stream.errored;
    const availOut = state[0]!;
    const availIn = state[1]!;
    const produced = size - availOut;
    if (produced > 0) {
      total += produced;
      if (total > limit) throw new OutputLimitError(`output passed ${limit} bytes`);
      const piece = Buffer.from(out.subarray(0, produced));
      if (first === undefined) {
        first = piece;
      } else {
        rest ??= [first];
        rest.push(piece);
      }
    }
    inOffset += inLength - availIn;
    inLength = availIn;
    if (availOut !== 0) {
      if (inLength === 0) break;
      // Room left for output but input left over: the deflate stream ended (a block with BFINAL,
      // RFC 7692 §7.2.3.4). What follows starts a new stream, as browsers read it: reset, go on.
      stream.reset();
    }
  }
  if (rest !== undefined) return Buffer.concat(rest, total);
  return first ?? Buffer.alloc(0);
}
