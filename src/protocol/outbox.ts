import { Buffer } from "node:buffer";
import { giveFrameMemory, POOLED_FRAME_MIN, takeFrameMemory } from "../framing/frame-memory.js";
import { NONE } from "./empty.js";

/** Below this total, frames written together are joined into one buffer. */
export const COALESCE_BYTES = 64 * 1024;
/**
 * Pongs that may wait unwritten, each for its own ping (Autobahn 2.10 sends ten pings in a row
 * and expects ten pongs). Past this, a newer pong replaces the newest waiting one.
 */
export const MAX_OWED_PONGS = 32;

/** Small frames joined into this much or more share memory with the pool of large frames. */
const JOINED_POOL_MIN = 32 * 1024;

/**
 * Small frames copied into one buffer for one write. Large enough joins take their memory from
 * the pool that large frames use, and give it back once written (`Outbox.written`): a busy
 * sender then joins its frames into the same few buffers instead of new memory each time.
 */
function joined(frames: readonly Buffer[], total: number): Buffer {
  const memory = total >= JOINED_POOL_MIN ? takeFrameMemory(total) : undefined;
  if (memory === undefined) return Buffer.concat(frames, total);
  const out = Buffer.from(memory, 0, total);
  let at = 0;
  for (const frame of frames) {
    out.set(frame, at);
    at += frame.length;
  }
  return out;
}

/** Frames handed to the transport in one write, with the tokens to settle when it completes. */
export interface Batch<T> {
  readonly data: Buffer;
  readonly frames: readonly Buffer[];
  readonly tokens: readonly (T | undefined)[];
  /** When the oldest frame of the batch was queued. */
  readonly since: number;
}

/**
 * The frames waiting to be written, in order, and the writes under way. At most
 * MAX_OWED_PONGS pongs wait unwritten; past that a newer pong replaces the newest waiting one
 * (RFC 6455 §5.5.3 lets a pong answer only the latest ping), so a peer flooding pings and never
 * reading owes us a few pongs, not millions. Frames of 64 KiB or more go out one per write, so
 * each send's outcome is its own frame's.
 */
export class Outbox<T> {
  // The queues start as NONE and get arrays of their own on the first push: most of a
  // connection's life nothing waits, and an idle connection should not hold four empty arrays.
  private frames: Buffer[] = NONE;
  private tokens: (T | undefined)[] = NONE;
  private times: number[] = NONE;
  private head = 0;
  /** Bytes queued, not counting the writes under way. */
  private queuedBytes = 0;
  /** Indexes (into `frames`) of the pongs not yet handed out, oldest first. */
  private pongs: number[] = NONE;
  /** The oldest write handed to the transport and not yet completed, and those after it. */
  private first: Batch<T> | undefined;
  private rest: Batch<T>[] = NONE;
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
    return this.first;
  }

  /** When the oldest frame not yet written was queued; undefined when none. */
  get oldest(): number | undefined {
    return this.first?.since ?? (this.waiting ? this.times[this.head] : undefined);
  }

  push(frame: Buffer, token: T | undefined, now: number): void {
    if (this.frames === NONE) {
      this.frames = [];
      this.tokens = [];
      this.times = [];
    }
    this.frames.push(frame);
    this.tokens.push(token);
    this.times.push(now);
    this.queuedBytes += frame.length;
  }

  /** Queues a pong, or, with MAX_OWED_PONGS already waiting, replaces the newest of them. */
  pushPong(frame: Buffer, now: number): void {
    let pongs = this.pongs;
    if (pongs.length >= MAX_OWED_PONGS) {
      const at = pongs[pongs.length - 1]!;
      this.queuedBytes += frame.length - this.frames[at]!.length;
      this.frames[at] = frame;
      return;
    }
    if (pongs === NONE) pongs = this.pongs = [];
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
    const all = start === 0 && end === frames.length;
    const taken = all ? frames : frames.slice(start, end);
    const tokens = all ? this.tokens : this.tokens.slice(start, end);
    const since = this.times[start]!;
    if (end === frames.length) {
      this.frames = NONE;
      this.tokens = NONE;
      this.times = NONE;
      this.head = 0;
      this.pongs = NONE;
    } else {
      this.head = end;
      while (this.pongs.length > 0 && this.pongs[0]! < end) this.pongs.shift();
    }
    this.queuedBytes -= total;
    const data = taken.length === 1 ? taken[0]! : joined(taken, total);
    const flight = { data, frames: taken, tokens, since };
    if (this.first === undefined) this.first = flight;
    else {
      if (this.rest === NONE) this.rest = [];
      this.rest.push(flight);
    }
    this.flightBytes += data.length;
    return flight;
  }

  /** The oldest write under way completed: its tokens, for the caller to settle. */
  written(): readonly (T | undefined)[] {
    const flight = this.first;
    if (flight === undefined) return NONE;
    this.first = this.rest.length > 0 ? this.rest.shift() : undefined;
    this.flightBytes -= flight.data.length;
    // The transport is done with these bytes. A large frame's memory is ours alone (never shown
    // to the application), so later large frames may reuse it.
    const frames = flight.frames;
    // Indexed rather than for-of: this runs per write, and V8 compiles an index loop into less code.
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i]!;
      if (frame.length >= POOLED_FRAME_MIN && frame.byteOffset === 0)
        giveFrameMemory(frame.buffer as ArrayBuffer);
    }
    // So is the memory small frames were joined in (see `joined`).
    const data = flight.data;
    if (flight.frames.length > 1 && data.byteOffset === 0 && data.buffer.byteLength >= JOINED_POOL_MIN)
      giveFrameMemory(data.buffer as ArrayBuffer);
    return flight.tokens;
  }

  /** Empties the outbox: the tokens of everything unwritten, the writes under way first. */
  drain(): (T | undefined)[] {
    const flights = this.first === undefined ? [] : [this.first, ...this.rest];
    const tokens = [...flights.flatMap((f) => f.tokens), ...this.tokens.slice(this.head)];
    this.first = undefined;
    this.rest = NONE;
    this.flightBytes = 0;
    this.frames = NONE;
    this.tokens = NONE;
    this.times = NONE;
    this.head = 0;
    this.pongs = NONE;
    this.queuedBytes = 0;
    return tokens;
  }
}
