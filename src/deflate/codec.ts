import * as zlib from "node:zlib";
import { closeCodeOf, type ErrorId } from "../errors/errors.js";
import { zlibJobs } from "./limiter.js";
import { OutputLimitError, processSync, syncCapable } from "./zlib-sync.js";

/** RFC 7692 §7.2.1: the sender strips this empty stored block; the receiver appends it back. */
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const { Z_SYNC_FLUSH } = zlib.constants;

/**
 * Inputs up to this size are processed synchronously on the calling thread: a 64 KiB message
 * deflates in well under a millisecond, less than the thread-pool round trip the asynchronous
 * API costs for every message, however small. Larger ones go to the thread pool so that one
 * big message does not stall the event loop.
 */
export const SYNC_LIMIT = 64 * 1024;

/** Why decompression failed: `id` names it, and so the close code to fail the connection with. */
export class InflateError extends Error {
  override readonly name = "InflateError";
  constructor(
    readonly id: ErrorId,
    message: string,
  ) {
    super(message);
  }

  get closeCode(): number {
    return closeCodeOf(this.id);
  }
}

const noop = (): void => {};

let syncProbe: boolean | undefined;
/** Whether this Node exposes what the synchronous path needs (probed once, lazily). */
function syncAvailable(): boolean {
  if (syncProbe === undefined) {
    const probe = zlib.createInflateRaw();
    syncProbe = syncCapable(probe);
    probe.close();
  }
  return syncProbe;
}

type Stream = zlib.InflateRaw | zlib.DeflateRaw;

/**
 * Writes `inputs` to the stream and flushes it through the thread pool, collecting the output.
 * Rejects with OutputLimitError as soon as the output passes `limit` (zlib is paused there, so a
 * bomb allocates little past it), or with zlib's error. `ended` says the deflate stream ended
 * (a block with BFINAL) before the flush: zlib then ignores the rest of the input.
 */
function processAsync(
  stream: Stream,
  inputs: readonly Buffer[],
  limit: number,
): Promise<{ output: Buffer; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const finish = (error: unknown, ended: boolean): void => {
      if (settled) return;
      settled = true;
      stream.off("data", onData);
      stream.off("error", onError);
      stream.off("end", onEnd);
      if (error === undefined) resolve({ output: Buffer.concat(chunks, total), ended });
      else reject(error);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > limit) {
        stream.pause();
        finish(new OutputLimitError(`output passed ${limit} bytes`), false);
        return;
      }
      chunks.push(chunk);
    };
    const onError = (error: Error): void => finish(error, false);
    const onEnd = (): void => finish(undefined, true);
    stream.on("data", onData);
    stream.on("error", onError);
    stream.once("end", onEnd);
    for (const input of inputs) stream.write(input);
    stream.flush(Z_SYNC_FLUSH, () => finish(undefined, false));
  });
}

/**
 * Streams shared by every connection that keeps no context, by kind and window size. They are
 * only used synchronously and reset after each message, so no state passes between messages or
 * connections; a connection without context then holds no zlib memory of its own (a deflater
 * costs ~256 KiB), which is the point of asking for no context.
 */
const shared = new Map<string, Stream>();

function sharedStream<S extends Stream>(key: string, make: () => S): S {
  const existing = shared.get(key) as S | undefined;
  if (existing !== undefined && !existing.destroyed) return existing;
  const stream = make();
  shared.set(key, stream);
  return stream;
}

/**
 * One direction of one connection: runs messages in order, synchronously when nothing is queued
 * and the input is small; picks the zlib stream per message (its own, kept between messages for
 * context takeover; otherwise a shared one, or a fresh one for the thread pool).
 */
abstract class Codec<S extends Stream> {
  private tail: Promise<unknown> | undefined;
  private queued = 0;
  private own: S | undefined;

  constructor(
    protected readonly windowBits: number,
    private readonly noContext: boolean,
    /** Whether the synchronous path may be used; tests turn it off to cover the other path. */
    private readonly allowSync = true,
  ) {}

  protected abstract make(): S;
  protected abstract readonly kind: string;

  protected schedule(
    input: Buffer,
    sync: (input: Buffer) => Buffer,
    async: (input: Buffer) => Promise<Buffer>,
  ): Buffer | Promise<Buffer> {
    const small = this.allowSync && input.length <= SYNC_LIMIT && syncAvailable();
    if (this.queued === 0 && small) return sync(input);
    this.queued++;
    const run = (): Buffer | Promise<Buffer> => (small ? sync(input) : async(input));
    const result = (this.tail ?? Promise.resolve()).then(run);
    this.tail = result.catch(noop).finally(() => this.queued--);
    return result;
  }

  protected acquire(sync: boolean): S {
    if (!this.noContext) {
      this.own ??= this.make();
      return this.own;
    }
    return sync ? sharedStream(`${this.kind}${this.windowBits}`, () => this.make()) : this.make();
  }

  /** After a message: a stream without context starts afresh (shared) or is freed (thread-pool one). */
  protected release(stream: S, sync: boolean): void {
    if (!this.noContext) return;
    if (sync) stream.reset();
    else stream.close();
  }

  /** Drops a stream that cannot go on (its deflate stream ended); the next message gets a new one. */
  protected discard(stream: S): void {
    if (this.own === stream) this.own = undefined;
    stream.close();
  }

  /** Frees the connection's own stream. */
  close(): void {
    this.own?.close();
    this.own = undefined;
  }
}

/** Decompresses the messages of one connection, bounded by `limit` bytes of output per message. */
export class MessageInflater extends Codec<zlib.InflateRaw> {
  protected readonly kind = "inflate";
  private broken = false;

  constructor(
    windowBits: number,
    noContext: boolean,
    private readonly limit: number,
    allowSync = true,
  ) {
    super(windowBits, noContext, allowSync);
  }

  protected make(): zlib.InflateRaw {
    // A server window of 8 bits is read with 9: a larger window decodes a smaller one's output.
    const stream = zlib.createInflateRaw({ windowBits: Math.max(9, this.windowBits) });
    stream.on("error", noop);
    return stream;
  }

  /**
   * Decompresses one message (its frames' payloads joined). Synchronous when it can be; fails
   * with an InflateError carrying 1009 as soon as the output passes the limit, or 1007 when the
   * data is not valid deflate.
   */
  inflate(payload: Buffer): Buffer | Promise<Buffer> {
    if (this.broken) throw new InflateError("INTERNAL_ERROR", "the decompressor failed earlier");
    return this.schedule(
      payload,
      (input) => this.inflateSync(input),
      (input) => this.inflateAsync(input),
    );
  }

  private fail(stream: zlib.InflateRaw, error: unknown): InflateError {
    this.broken = true;
    // A stream that stopped mid-message holds state no other message may inherit.
    stream.close();
    this.close();
    if (error instanceof InflateError) return error;
    if (error instanceof OutputLimitError) {
      return new InflateError(
        "MESSAGE_TOO_LARGE",
        `decompressed message larger than the read limit of ${this.limit} bytes`,
      );
    }
    return new InflateError(
      "INVALID_COMPRESSED_DATA",
      `invalid compressed data: ${(error as Error).message}`,
    );
  }

  private inflateSync(input: Buffer): Buffer {
    if (this.broken) throw new InflateError("INTERNAL_ERROR", "the decompressor failed earlier");
    const stream = this.acquire(true);
    try {
      const head = processSync(stream, input, Z_SYNC_FLUSH, this.limit);
      const tail = processSync(stream, TAIL, Z_SYNC_FLUSH, this.limit - head.length);
      this.release(stream, true);
      return tail.length === 0 ? head : Buffer.concat([head, tail]);
    } catch (error) {
      throw this.fail(stream, error);
    }
  }

  private inflateAsync(input: Buffer): Promise<Buffer> {
    if (this.broken)
      return Promise.reject(new InflateError("INTERNAL_ERROR", "the decompressor failed earlier"));
    return zlibJobs.run(async () => {
      const stream = this.acquire(false);
      try {
        const { output, ended } = await processAsync(stream, [input, TAIL], this.limit);
        // A message ending in a block with BFINAL (RFC 7692 §7.2.3.4) ends the zlib stream: the
        // message is complete, and the next one starts a new stream.
        if (ended) this.discard(stream);
        else this.release(stream, false);
        return output;
      } catch (error) {
        throw this.fail(stream, error);
      }
    });
  }

  override close(): void {
    this.broken = true;
    super.close();
  }
}

/** Compresses the messages of one connection. */
export class MessageDeflater extends Codec<zlib.DeflateRaw> {
  protected readonly kind = "deflate";

  protected make(): zlib.DeflateRaw {
    // zlib refuses an 8-bit window for raw deflate. With 9 bits its matches never reach back
    // more than 250 bytes (the window less its 262-byte lookahead), so the output stays
    // readable with the 8-bit window the server asked for — what Node and other clients do.
    const stream = zlib.createDeflateRaw({ windowBits: Math.max(9, this.windowBits) });
    stream.on("error", noop);
    return stream;
  }

  /** Compresses one message; the result has the trailing 00 00 ff ff removed (RFC 7692 §7.2.1). */
  deflate(data: Buffer): Buffer | Promise<Buffer> {
    return this.schedule(
      data,
      (input) => this.deflateSync(input),
      (input) => this.deflateAsync(input),
    );
  }

  private static strip(output: Buffer): Buffer {
    const length = output.length;
    // Sync flush always ends in the empty stored block; an empty message becomes a lone 0x00 (§7.2.3.6).
    if (
      length >= 4 &&
      output[length - 4] === 0 &&
      output[length - 3] === 0 &&
      output[length - 2] === 0xff &&
      output[length - 1] === 0xff
    ) {
      return length === 4 ? Buffer.from([0x00]) : output.subarray(0, length - 4);
    }
    // After an earlier flush, zlib writes nothing at all for an empty message; it still needs
    // its empty block, or the receiver would read our tail as the start of one.
    return length === 0 ? Buffer.from([0x00]) : output;
  }

  private deflateSync(input: Buffer): Buffer {
    const stream = this.acquire(true);
    const output = processSync(stream, input, Z_SYNC_FLUSH, Number.POSITIVE_INFINITY);
    this.release(stream, true);
    return MessageDeflater.strip(output);
  }

  private deflateAsync(input: Buffer): Promise<Buffer> {
    return zlibJobs.run(async () => {
      const stream = this.acquire(false);
      const { output } = await processAsync(stream, [input], Number.POSITIVE_INFINITY);
      this.release(stream, false);
      return MessageDeflater.strip(output);
    });
  }
}
