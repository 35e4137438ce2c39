import { Buffer } from "node:buffer";
import {
  giveFrameMemory,
  ownMemory,
  POOLED_FRAME_MIN,
  POOLED_JOIN_MIN,
  takeFrameMemory,
} from "../framing/frame-memory.js";
import { NONE } from "./empty.js";
import { NumberQueue } from "./number-queue.js";

/** Below this total, frames written together are joined into one buffer. */
export const COALESCE_BYTES = 64 * 1024;
/**
 * Pongs that may wait unwritten, each for its own ping (Autobahn 2.10 sends ten pings in a row
 * and expects ten pongs). Past this, a newer pong replaces the newest waiting one.
 */
export const MAX_OWED_PONGS = 32;

/** Written slots at the front of the queues past which they are cut off (when half the queues). */
const COMPACT_AFTER = 1024;
/** What a written slot holds instead of its frame, so that the frame's memory can go. */
const GONE = Buffer.alloc(0);

/**
 * Small frames `frames[start..end)` copied into one buffer for one write. Large enough joins take
 * their memory from the pool that large frames use, and give it back once written
 * (`Outbox.written`): a busy sender then joins its frames into the same few buffers instead of
 * new memory each time.
 */
function joined(frames: readonly Buffer[], start: number, end: number, total: number): Buffer {
  const memory = total >= POOLED_JOIN_MIN ? takeFrameMemory(total) : undefined;
  const out = memory === undefined ? ownMemory(total) : Buffer.from(memory, 0, total);
  let at = 0;
  for (let i = start; i < end; i++) {
    const frame = frames[i]!;
    out.set(frame, at);
    at += frame.length;
  }
  return out;
}

/** Who learns that a written frame's send is done: the engine's host. */
export interface WrittenSink<T> {
  settle(token: T, error: undefined): void;
}

/**
 * The frames waiting to be written, in order, and the writes under way. At most
 * MAX_OWED_PONGS pongs wait unwritten; past that a newer pong replaces the newest waiting one
 * (RFC 6455 §5.5.3 lets a pong answer only the latest ping), so a peer flooding pings and never
 * reading owes us a few pongs, not millions. Frames of 64 KiB or more go out one per write, so
 * each send's outcome is its own frame's.
 *
 * One set of queues holds every frame from queued to written: `[done, head)` are in writes under
 * way, `[head, length)` wait. Handing out a write and completing one move an index; nothing is
 * made per frame but the frame (this runs once per message sent).
 */
export class Outbox<T> {
  // The queues start as NONE and get arrays of their own on the first push: most of a
  // connection's life nothing waits, and an idle connection should not hold three empty arrays.
  private frames: Buffer[] = NONE;
  private tokens: (T | undefined)[] = NONE;
  private times: number[] = NONE;
  /** The first frame not yet written, and the first not yet handed out. */
  private done = 0;
  private head = 0;
  /** Bytes queued, not counting the writes under way. */
  private queuedBytes = 0;
  private flightBytes = 0;
  /** Indexes (into `frames`) of the pongs not yet handed out, oldest first. */
  private pongs: number[] = NONE;
  /** The writes under way, oldest first: how many frames each holds. */
  private readonly writes = new NumberQueue();
  /** The buffers that writes of several frames joined them into, oldest first. */
  private joins: Buffer[] = NONE;
  /** Whether to keep when each frame was queued (for a write deadline: see `oldest`). */
  private readonly timed: boolean;

  constructor(timed = true) {
    this.timed = timed;
  }

  /** Bytes queued and under way. */
  get bytes(): number {
    return this.queuedBytes + this.flightBytes;
  }

  /** Whether frames wait to be handed out. */
  get waiting(): boolean {
    return this.head < this.frames.length;
  }

  /** Whether writes are under way. */
  get busy(): boolean {
    return this.done < this.head;
  }

  /** Whether nothing waits and nothing is under way. */
  get idle(): boolean {
    return this.done === this.frames.length;
  }

  /** When the oldest frame not yet written was queued; undefined when none, or when not timed. */
  get oldest(): number | undefined {
    return this.done < this.times.length ? this.times[this.done] : undefined;
  }

  push(frame: Buffer, token: T | undefined, now: number): void {
    if (this.frames === NONE) {
      this.frames = [];
      this.tokens = [];
      if (this.timed) this.times = [];
    }
    this.frames.push(frame);
    this.tokens.push(token);
    if (this.timed) this.times.push(now);
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
  take(): Buffer | undefined {
    const frames = this.frames;
    const start = this.head;
    if (start >= frames.length) return undefined;
    let end = start + 1;
    let total = frames[start]!.length;
    if (total < COALESCE_BYTES) {
      while (end < frames.length && total + frames[end]!.length <= COALESCE_BYTES)
        total += frames[end++]!.length;
    }
    this.head = end;
    this.queuedBytes -= total;
    this.flightBytes += total;
    this.writes.push(end - start);
    const pongs = this.pongs;
    while (pongs.length > 0 && pongs[0]! < end) pongs.shift();
    if (end === start + 1) return frames[start]!;
    const data = joined(frames, start, end, total);
    if (this.joins === NONE) this.joins = [];
    this.joins.push(data);
    return data;
  }

  /**
   * The oldest `writes` writes under way completed: settles their frames' tokens with `sink` and
   * returns their size in bytes (0 when none was under way).
   */
  written(sink: WrittenSink<T>, writes: number): number {
    const start = this.done;
    let end = start;
    for (let n = 0; n < writes && this.writes.length > 0; n++) {
      const count = this.writes.shift();
      if (count > 1) this.joinWritten();
      end += count;
    }
    if (end === start) return 0;
    const frames = this.frames;
    const tokens = this.tokens;
    let bytes = 0;
    // Indexed rather than for-of: this runs per write, and V8 compiles an index loop into less code.
    for (let i = start; i < end; i++) {
      const frame = frames[i]!;
      bytes += frame.length;
      // The transport is done with these bytes. A large frame's memory is ours alone (never shown
      // to the application), so later large frames may reuse it.
      if (frame.length >= POOLED_FRAME_MIN && frame.byteOffset === 0)
        giveFrameMemory(frame.buffer as ArrayBuffer);
      frames[i] = GONE;
    }
    this.flightBytes -= bytes;
    this.done = end;
    if (end === frames.length) this.clear();
    else if (end >= COMPACT_AFTER && end * 2 >= frames.length) this.compact();
    // Last, with the queues in order: settling may queue more.
    for (let i = start; i < end; i++) {
      const token = tokens[i];
      if (token !== undefined) {
        tokens[i] = undefined;
        sink.settle(token, undefined);
      }
    }
    return bytes;
  }

  /** The oldest write of joined frames completed: the memory they were joined in is free (see `joined`). */
  private joinWritten(): void {
    const data = this.joins.shift()!;
    if (data.byteOffset === 0 && data.buffer.byteLength >= POOLED_JOIN_MIN)
      giveFrameMemory(data.buffer as ArrayBuffer);
  }

  /** Empties the outbox: the tokens of everything unwritten, the writes under way first. */
  drain(): (T | undefined)[] {
    const tokens = this.tokens.slice(this.done);
    this.flightBytes = 0;
    this.queuedBytes = 0;
    this.writes.clear();
    this.joins = NONE;
    this.clear();
    return tokens;
  }

  private clear(): void {
    this.frames = NONE;
    this.tokens = NONE;
    this.times = NONE;
    this.done = 0;
    this.head = 0;
    this.pongs = NONE;
  }

  /** Cuts the written slots off the front of the queues, so that a sender that never lets them empty does not grow them. */
  private compact(): void {
    const cut = this.done;
    this.frames = this.frames.slice(cut);
    this.tokens = this.tokens.slice(cut);
    if (this.timed) this.times = this.times.slice(cut);
    this.done = 0;
    this.head -= cut;
    const pongs = this.pongs;
    for (let i = 0; i < pongs.length; i++) pongs[i] = pongs[i]! - cut;
  }
}
