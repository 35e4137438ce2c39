import { Buffer } from "node:buffer";

const EMPTY = Buffer.alloc(0);
/** Room for a payload never passes this multiple of the bytes received… */
export const GROWTH_FACTOR = 4;
/** …except for this much, which any payload may have at once. */
export const GROWTH_FLOOR = 64 * 1024;

/**
 * A growable byte buffer for payloads that arrive in pieces (fragments, or one frame split over
 * many TCP reads). Pieces are copied in as they come, so a message sent as a million 1-byte
 * fragments costs its own size in memory rather than a million retained chunk objects, and
 * growing by at least doubling keeps the copying linear. Growth never passes `limit`.
 */
export class Accumulator {
  private buffer: Buffer = EMPTY;
  private used = 0;

  get length(): number {
    return this.used;
  }

  /**
   * Copies `source[start, end)` in, for a payload expected to reach `expected` bytes in all. Room
   * grows straight towards `expected` (so a large frame is copied into place once or twice, not
   * log(n) times), but never past GROWTH_FACTOR times what has been received (at least
   * GROWTH_FLOOR): what a header announces costs nothing until the bytes come.
   */
  appendTowards(source: Uint8Array, start: number, end: number, expected: number, limit: number): void {
    const needed = this.used + (end - start);
    if (needed > this.buffer.length) {
      // At least doubling keeps many small fragments linear; doubling stays within the factor.
      const towards = Math.min(expected, Math.max(needed * GROWTH_FACTOR, GROWTH_FLOOR));
      this.grow(Math.max(needed, Math.min(limit, Math.max(towards, this.buffer.length * 2))));
    }
    this.buffer.set(source.subarray(start, end), this.used);
    this.used = needed;
  }

  // ---- issue 17: reading straight into the message ----

  /**
   * The free memory after the bytes held, for a payload expected to reach `expected` bytes in
   * all, growing first under the same rule as `appendTowards` (at most GROWTH_FACTOR times what
   * has arrived, at least GROWTH_FLOOR, never past `limit`). The socket reads into it; `commit`
   * then counts what it read.
   */
  room(expected: number, limit: number): Buffer {
    const used = this.used;
    const allowed = Math.min(limit, expected, Math.max(used * GROWTH_FACTOR, GROWTH_FLOOR));
    if (allowed > this.buffer.length) this.grow(allowed);
    return this.buffer.subarray(used);
  }

  /** Counts `count` bytes written into the memory `room` returned. */
  commit(count: number): void {
    this.used += count;
  }

  // ---- end of issue 17 block ----

  /** Moves the bytes held into new memory of `capacity` bytes. */
  private grow(capacity: number): void {
    const grown = Buffer.allocUnsafe(capacity);
    this.buffer.copy(grown, 0, 0, this.used);
    this.buffer = grown;
  }

  /** Hands the bytes over; the accumulator starts afresh, so the result is never overwritten. */
  take(): Buffer {
    const out = this.used === this.buffer.length ? this.buffer : this.buffer.subarray(0, this.used);
    this.buffer = EMPTY;
    this.used = 0;
    return out;
  }

  clear(): void {
    this.buffer = EMPTY;
    this.used = 0;
  }
}
