/**
 * The body of a refused handshake (or CONNECT) response, read to a bound, sans-I/O: framed by
 * Content-Length, by chunked transfer coding, or by the end of the connection (RFC 9112 §6.3).
 * Bytes past the bound are dropped, never buffered; `push` says when the body is complete.
 */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

export class BoundedBody {
  readonly #limit: number;
  readonly #parts: Buffer[] = [];
  #kept = 0;
  /** Bytes of the body still to come with Content-Length, or -1 when not framed by it. */
  #remaining: number;
  readonly #chunked: boolean;
  /** Chunked framing: the unparsed tail (a size line, a CRLF) and the data left in the current chunk. */
  #pending = "";
  #chunkLeft = 0;
  #afterChunk = false;
  #complete = false;

  constructor(headers: ReadonlyMap<string, readonly string[]>, limit = MAX_ERROR_BODY_BYTES) {
    this.#limit = limit;
    const encoding = headers.get("transfer-encoding")?.join(",").toLowerCase() ?? "";
    this.#chunked = /(^|,)\s*chunked\s*$/.test(encoding);
    const length = headers.get("content-length")?.[0];
    this.#remaining = !this.#chunked && length !== undefined && /^\d+$/.test(length) ? Number(length) : -1;
    if (this.#remaining === 0) this.#complete = true;
  }

  /** Whether the body has ended by its own framing (false for a body that ends with the connection). */
  get complete(): boolean {
    return this.#complete;
  }

  /** Takes the next bytes; returns `complete`. */
  push(chunk: Uint8Array): boolean {
    if (this.#complete) return true;
    if (this.#chunked) {
      this.#pushChunked(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    } else if (this.#remaining >= 0) {
      const take = Math.min(this.#remaining, chunk.length);
      this.#keep(chunk.subarray(0, take));
      this.#remaining -= take;
      if (this.#remaining === 0) this.#complete = true;
    } else {
      this.#keep(chunk);
    }
    // Once the bound is reached nothing more is kept, so there is no point waiting for the rest.
    if (this.#kept >= this.#limit) this.#complete = true;
    return this.#complete;
  }

  /** The body kept so far, at most `limit` bytes. */
  body(): Buffer {
    return Buffer.concat(this.#parts);
  }

  #keep(bytes: Uint8Array): void {
    const room = this.#limit - this.#kept;
    if (room <= 0 || bytes.length === 0) return;
    const part = Buffer.from(bytes.subarray(0, room));
    this.#parts.push(part);
    this.#kept += part.length;
  }

  #pushChunked(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length && !this.#complete) {
      if (this.#chunkLeft > 0) {
        const take = Math.min(this.#chunkLeft, chunk.length - i);
        this.#keep(chunk.subarray(i, i + take));
        this.#chunkLeft -= take;
        i += take;
        if (this.#chunkLeft === 0) this.#afterChunk = true;
        continue;
      }
      const lf = chunk.indexOf(0x0a, i);
      const end = lf < 0 ? chunk.length : lf + 1;
      this.#pending += chunk.toString("latin1", i, end);
      i = end;
      // A size line longer than this is not HTTP; stop reading rather than buffer it.
      if (this.#pending.length > 1024) this.#complete = true;
      if (lf < 0) continue;
      const line = this.#pending.trim();
      this.#pending = "";
      if (this.#afterChunk) {
        this.#afterChunk = false;
        continue;
      }
      const size = Number.parseInt(line.split(";")[0]!, 16);
      if (!Number.isFinite(size) || size <= 0) this.#complete = true;
      else this.#chunkLeft = size;
    }
  }
}
