import { Buffer } from "node:buffer";
import { giveFrameMemory, ownMemory, POOLED_FRAME_MIN, takeFrameMemory } from "./frame-memory.js";

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
  /**
   * Whether `buffer` is pooled memory (see `grow`): it may be larger than asked for and hold
   * bytes of earlier frames past its end, so it is never handed to the application as it is.
   */
  private pooled = false;

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
      const capacity = Math.max(needed, Math.min(limit, Math.max(towards, this.buffer.length * 2)));
      this.grow(capacity, capacity >= expected);
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
    if (allowed > this.buffer.length) this.grow(allowed, allowed >= expected);
    return this.buffer.subarray(used);
  }

  /** Counts `count` bytes written into the memory `room` returned. */
  commit(count: number): void {
    this.used += count;
  }

  // ---- end of issue 17 block ----

  /**
   * Moves the bytes held into new memory of `capacity` bytes. A step on the way to a large
   * payload (not `final`: the payload will need more) takes memory from the pool of large
   * frames, and the memory it leaves goes back there: it was never shown to anyone, and fresh
   * memory costs a page fault every 4 KiB. The last step gets memory of its own, exactly sized,
   * since the application keeps it.
   */
  private grow(capacity: number, final: boolean): void {
    const memory = final || capacity < POOLED_FRAME_MIN ? undefined : takeFrameMemory(capacity);
    const grown = memory === undefined ? ownMemory(capacity) : Buffer.from(memory, 0, capacity);
    this.buffer.copy(grown, 0, 0, this.used);
    this.release();
    this.buffer = grown;
    this.pooled = memory !== undefined;
  }

  /** Gives the current memory to the pool when it is a whole allocation of its own. */
  private release(): void {
    const old = this.buffer;
    if (old.length >= POOLED_FRAME_MIN && old.byteOffset === 0) giveFrameMemory(old.buffer as ArrayBuffer);
  }

  /** Hands the bytes over; the accumulator starts afresh, so the result is never overwritten. */
  take(): Buffer {
    let out = this.used === this.buffer.length ? this.buffer : this.buffer.subarray(0, this.used);
    if (this.pooled) {
      // A payload that ended before the memory meant for it was filled: copied out, exactly.
      out = Buffer.from(out);
      this.release();
    }
    this.buffer = EMPTY;
    this.used = 0;
    this.pooled = false;
    return out;
  }

  clear(): void {
    this.buffer = EMPTY;
    this.used = 0;
    this.pooled = false;
  }
}
