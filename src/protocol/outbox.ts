import { giveFrameMemory, POOLED_FRAME_MIN } from "../framing/frame-memory.js";

/** Below this total, frames written together are joined into one buffer. */
export const COALESCE_BYTES = 64 * 1024;
/**
 * Pongs that may wait unwritten, each for its own ping (Autobahn 2.10 sends ten pings in a row
 * and expects ten pongs). Past this, a newer pong replaces the newest waiting one.
 */
export const MAX_OWED_PONGS = 32;

/** Frames handed to the transport in one write, with the tokens to settle when it completes. */
export interface Batch<T> {
  readonly data: Buffer;
  readonly frames: readonly Buffer[];
  readonly tokens: readonly (T | undefined)[];
  /** When the oldest frame of the batch was queued. */
  readonly since: number;
}

/**
 * The frames waiting to be written, in order, with one write under way at most. At most
 * MAX_OWED_PONGS pongs wait unwritten; past that a newer pong replaces the newest waiting one
 * (RFC 6455 §5.5.3 lets a pong answer only the latest ping), so a peer flooding pings and never
 * reading owes us a few pongs, not millions. Frames of 64 KiB or more go out one per write, so
 * each send's outcome is its own frame's.
 */
export class Outbox<T> {
  private frames: Buffer[] = [];
  private tokens: (T | undefined)[] = [];
  private times: number[] = [];
  private head = 0;
  /** Bytes queued, not counting the write under way. */
  private queuedBytes = 0;
  /** Indexes (into `frames`) of the pongs not yet handed out, oldest first. */
  private pongs: number[] = [];
  /** Writes handed to the transport and not yet completed, oldest first. */
  private flights: Batch<T>[] = [];
  private flightBytes = 0;

  /** Bytes queued and under way. */
  get bytes(): number {
    return this.queuedBytes + this.flightBytes;
  }

  /** Whether frames wait to be handed out. */
  get waiting(): boolean {
    return this.head < this.frames.length;
  }

  /** The oldest write under way, if any. */
  get inFlight(): Batch<T> | undefined {
    return this.flights[0];
  }

  /** When the oldest frame not yet written was queued; undefined when none. */
  get oldest(): number | undefined {
    return this.flights[0]?.since ?? (this.waiting ? this.times[this.head] : undefined);
  }

  push(frame: Buffer, token: T | undefined, now: number): void {
    this.frames.push(frame);
    this.tokens.push(token);
    this.times.push(now);
    this.queuedBytes += frame.length;
  }

  /** Queues a pong, or, with MAX_OWED_PONGS already waiting, replaces the newest of them. */
  pushPong(frame: Buffer, now: number): void {
    const pongs = this.pongs;
    if (pongs.length >= MAX_OWED_PONGS) {
      const at = pongs[pongs.length - 1]!;
      this.queuedBytes += frame.length - this.frames[at]!.length;
      this.frames[at] = frame;
      return;
    }
    pongs.push(this.frames.length);
    this.push(frame, undefined, now);
  }

  /** Pongs waiting to be handed out. */
  get owedPongs(): number {
    return this.pongs.length;
  }

  /**
   * Hands out the next write: small frames joined up to COALESCE_BYTES, or one large frame. Several
   * may be under way (the transport says when it has taken enough); they complete in order.
   */
  take(): Batch<T> | undefined {
    if (!this.waiting) return undefined;
    const frames = this.frames;
    const start = this.head;
    let end = start + 1;
    let total = frames[start]!.length;
    if (total < COALESCE_BYTES) {
      while (end < frames.length && total + frames[end]!.length <= COALESCE_BYTES)
        total += frames[end++]!.length;
    }
    const taken = start === 0 && end === frames.length ? frames : frames.slice(start, end);
    const tokens = start === 0 && end === frames.length ? this.tokens : this.tokens.slice(start, end);
    const since = this.times[start]!;
    if (end === frames.length) {
      this.frames = [];
      this.tokens = [];
      this.times = [];
      this.head = 0;
      this.pongs = [];
    } else {
      this.head = end;
      while (this.pongs.length > 0 && this.pongs[0]! < end) this.pongs.shift();
    }
    this.queuedBytes -= total;
    const data = taken.length === 1 ? taken[0]! : Buffer.concat(taken, total);
    const flight = { data, frames: taken, tokens, since };
    this.flights.push(flight);
    this.flightBytes += data.length;
    return flight;
  }

  /** The oldest write under way completed: its tokens, for the caller to settle. */
  written(): readonly (T | undefined)[] {
    const flight = this.flights.shift();
    if (flight === undefined) return [];
    this.flightBytes -= flight.data.length;
    // The transport is done with these bytes. A large frame's memory is ours alone (never shown
    // to the application), so later large frames may reuse it.
    for (const frame of flight.frames) {
      if (frame.length >= POOLED_FRAME_MIN && frame.byteOffset === 0)
        giveFrameMemory(frame.buffer as ArrayBuffer);
    }
    return flight.tokens;
  }

  /** Empties the outbox: the tokens of everything unwritten, the write under way first. */
  drain(): (T | undefined)[] {
    const tokens = [...this.flights.flatMap((f) => f.tokens), ...this.tokens.slice(this.head)];
    this.flights = [];
    this.flightBytes = 0;
    this.frames = [];
    this.tokens = [];
    this.times = [];
    this.head = 0;
    this.pongs = [];
    this.queuedBytes = 0;
    return tokens;
  }
}
