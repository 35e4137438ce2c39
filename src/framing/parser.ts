import { Buffer } from "node:buffer";
import type { ErrorId } from "../errors/errors.js";
import { Accumulator } from "./accumulator.js";
import { decodeClosePayload } from "./close.js";
import {
  type DataOpcode,
  MAX_CONTROL_PAYLOAD,
  OP_BINARY,
  OP_CLOSE,
  OP_CONTINUATION,
  OP_PING,
  OP_PONG,
  OP_TEXT,
} from "./opcodes.js";
import { decodeUtf8, Utf8Validator } from "./utf8.js";

/** What the parser reports. Calls happen synchronously inside `push`, in wire order. */
export interface FrameSink {
  /**
   * A complete data message. `payload` may be a view into a pushed chunk. `compressed` is RSV1
   * of its first frame. For a text message that was not compressed, `text` is its content,
   * already checked to be UTF-8; compressed text can only be checked once inflated.
   */
  onMessage(opcode: DataOpcode, payload: Buffer, compressed: boolean, text?: string): void;
  onPing(payload: Buffer): void;
  onPong(payload: Buffer): void;
  /** A valid Close frame; `code` is 1005 when it carried none. The parser stops after it. */
  onClose(code: number, reason: string): void;
  /**
   * The peer broke the protocol (or a message passed the read limit); `id` names what, and so the
   * close code to send back (`closeCodeOf`). The parser stops after it.
   */
  onError(id: ErrorId, message: string): void;
}

export interface ParserOptions {
  /** Largest message accepted, in bytes, inclusive (counted before decompression here). */
  readonly maxMessageSize: number;
  /**
   * Largest compressed message accepted on the wire. The inflater enforces the real limit on
   * the output; this only bounds what is buffered before it. Default: `maxMessageSize`.
   */
  readonly maxCompressedSize?: number;
  /** Whether RSV1 may mark a compressed message (permessage-deflate was negotiated). */
  readonly compression?: boolean;
}

const HEADER = 0;
const PAYLOAD = 1;
const STOPPED = 2;

const EMPTY = Buffer.alloc(0);
// Lengths above 2^53 cannot be held exactly in a double; they exceed any limit we allow anyway.
const MAX_HIGH_WORD = 0x1fffff;

/**
 * The RFC 6455 §5 frame parser for the client side: a sans-I/O state machine fed the bytes of
 * the socket in chunks of any size. It never throws for bad input; it reports the close code.
 */
export class FrameParser {
  private readonly sink: FrameSink;
  private readonly maxMessageSize: number;
  private readonly maxCompressedSize: number;
  private readonly compression: boolean;

  private state = HEADER;
  // Scratch space made on first need: most connections never see a header or a control frame
  // split across reads, and idle connections should cost as little as possible.
  private header: Buffer | undefined;
  private headerHave = 0;

  private fin = false;
  private opcode = 0;
  private remaining = 0;
  /** Whether part of the current frame's payload was already taken (copied) from earlier chunks. */
  private partial = false;

  /** The opcode of the data message in progress, 0 when none. */
  private messageOpcode = 0;
  private compressed = false;
  /** Whether the message in progress is uncompressed text, validated piece by piece. */
  private streamText = false;
  private readonly assembly = new Accumulator();
  private utf8: Utf8Validator | undefined;

  private control: Buffer | undefined;
  private controlHave = 0;

  private paused = false;
  /** The memory handed out by `directTarget` for the next read, until `landed`. */
  private direct: Buffer | undefined;
  /** The chunk being parsed when `pause` took effect, and where in it parsing stopped. */
  private held: Buffer = EMPTY;
  private heldAt = 0;
  /**
   * Chunks pushed while bytes were held, in order, and their bytes: kept as they came rather
   * than joined to the held rest (a copy of each read, when a reader keeps stopping the parser).
   * Never non-empty while nothing is held.
   */
  private later: Buffer[] | undefined;
  private laterBytes = 0;

  constructor(sink: FrameSink, options: ParserOptions) {
    this.sink = sink;
    this.maxMessageSize = options.maxMessageSize;
    this.maxCompressedSize = options.maxCompressedSize ?? options.maxMessageSize;
    this.compression = options.compression ?? false;
  }

  /** Whether the parser has stopped (after a Close, an error or `stop()`); later bytes are ignored. */
  get stopped(): boolean {
    return this.state === STOPPED;
  }

  /** Ignores everything from now on. */
  stop(): void {
    this.state = STOPPED;
    this.assembly.clear();
    this.held = EMPTY;
    this.heldAt = 0;
    this.later = undefined;
    this.laterBytes = 0;
    this.paused = false;
  }

  /**
   * Stops delivering after the current message or control frame: the rest of the chunk being
   * pushed is kept, as bytes, until `resume`. This is how a full receive channel stops the
   * parser mid-chunk rather than after the whole chunk.
   */
  pause(): void {
    this.paused = true;
  }

  /** Whether `pause` is in force. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Bytes kept by `pause`, not yet parsed. */
  get heldBytes(): number {
    return this.held.length - this.heldAt + this.laterBytes;
  }

  /** Delivers what `pause` kept, then goes on with later pushes. It may pause again. */
  resume(): void {
    this.paused = false;
    for (;;) {
      const held = this.held;
      const at = this.heldAt;
      if (held.length === 0) return;
      this.held = EMPTY;
      this.heldAt = 0;
      // The chunk and an offset rather than a view: pausing and resuming allocate nothing.
      this.parse(held, at);
      // Paused again within the chunk (it is held again), or stopped.
      if (this.held.length > 0 || this.state === STOPPED) return;
      const next = this.later?.shift();
      if (next === undefined) return;
      this.laterBytes -= next.length;
      this.held = next;
      this.heldAt = 0;
      // Paused at the very end of the last chunk: the next one waits, held.
      if (this.paused) return;
    }
  }

  // ---- issue 17: reading large payloads straight into their message ----

  /**
   * Where the next bytes from the transport may be read directly: the memory of the message
   * being assembled, sized to at most the rest of the current data frame (so a read cannot
   * take bytes of the next frame). Undefined unless a data frame's payload is under way, at
   * least `minimum` bytes of it are still to come, and nothing is held or paused. The caller
   * must report what it read with `landed` before pushing anything else.
   */
  directTarget(minimum: number): Buffer | undefined {
    this.direct = undefined;
    if (this.state !== PAYLOAD || this.opcode >= 0x8 || this.paused || this.held.length > 0) return undefined;
    if (this.remaining < minimum) return undefined;
    const limit = this.compressed ? this.maxCompressedSize : this.maxMessageSize;
    const room = this.assembly.room(this.assembly.length + this.remaining, limit);
    if (room.length < minimum) return undefined;
    this.direct = room.length > this.remaining ? room.subarray(0, this.remaining) : room;
    return this.direct;
  }

  /** `count` bytes were read into the memory `directTarget` gave: they are the payload's next bytes. */
  landed(count: number): void {
    const view = this.direct;
    this.direct = undefined;
    if (this.state !== PAYLOAD || view === undefined || count > view.length) return;
    if (this.streamText) {
      this.utf8 ??= new Utf8Validator();
      if (!this.utf8.push(view, 0, count)) {
        this.fail("INVALID_UTF8", "text message is not valid UTF-8");
        return;
      }
    }
    this.assembly.commit(count);
    this.partial = true;
    this.remaining -= count;
    if (this.remaining === 0) {
      this.state = HEADER;
      if (this.fin) this.endMessage(this.assembly.take(), false);
    }
  }

  // ---- end of issue 17 block ----

  push(chunk: Buffer): void {
    if (this.paused || this.held.length > 0) {
      // Bytes that arrive while paused wait behind the ones already kept.
      if (this.held.length === 0) {
        this.held = chunk;
        this.heldAt = 0;
      } else {
        this.later ??= [];
        this.later.push(chunk);
        this.laterBytes += chunk.length;
      }
      return;
    }
    this.parse(chunk, 0);
  }

  private parse(chunk: Buffer, start: number): void {
    const length = chunk.length;
    let pos = start;
    while (pos < length) {
      if (this.paused) {
        if (this.state !== STOPPED) {
          this.held = chunk;
          this.heldAt = pos;
        }
        return;
      }
      if (this.state === HEADER && this.headerHave === 0 && this.messageOpcode === 0 && pos + 1 < length) {
        // The common case on one branch: a whole, unfragmented text or binary frame with a 7- or
        // 16-bit length, compressed (RSV1, when negotiated) or not. Everything else takes the
        // general path below. (This function is also kept too large for V8 to inline into its
        // callers: compiled on its own, it has the inlining budget for what it calls per message.)
        const first = chunk[pos]!;
        const second = chunk[pos + 1]!;
        // -1 when the frame is not for this path: masked (second ≥ 128), 64-bit length, or a
        // 16-bit length whose bytes are not here yet.
        let size = second < 126 ? second : -1;
        let start = pos + 2;
        if (second === 126 && pos + 3 < length) {
          size = (chunk[pos + 2]! << 8) | chunk[pos + 3]!;
          start = pos + 4;
        }
        const compressed = (first === 0xc1 || first === 0xc2) && this.compression;
        if (
          (first === 0x81 || first === 0x82 || compressed) &&
          size >= 0 &&
          start + size <= length &&
          size <= (compressed ? this.maxCompressedSize : this.maxMessageSize)
        ) {
          const payload = chunk.subarray(start, start + size);
          pos = start + size;
          if (compressed) {
            this.sink.onMessage(first === 0xc2 ? OP_BINARY : OP_TEXT, payload, true);
          } else if (first === 0x82) {
            this.sink.onMessage(OP_BINARY, payload, false);
          } else {
            const text = decodeUtf8(payload);
            if (text === undefined) {
              this.fail("INVALID_UTF8", "text message is not valid UTF-8");
              return;
            }
            this.sink.onMessage(OP_TEXT, payload, false, text);
          }
          if (this.stopped) return;
          continue;
        }
      }
      if (this.state === HEADER) {
        pos = this.readHeader(chunk, pos);
      } else if (this.state === PAYLOAD) {
        pos = this.readPayload(chunk, pos);
      } else {
        return;
      }
    }
  }

  private readHeader(chunk: Buffer, pos: number): number {
    const available = chunk.length - pos;
    if (this.headerHave === 0 && available >= 2) {
      const size = this.headerSize(chunk[pos + 1]!);
      if (available >= size) {
        this.beginFrame(chunk, pos);
        return pos + size;
      }
    }
    // The header straddles chunks: gather it in the scratch buffer.
    this.header ??= Buffer.allocUnsafeSlow(10);
    const header = this.header;
    let need = this.headerHave < 2 ? 2 : this.headerSize(header[1]!);
    while (this.headerHave < need && pos < chunk.length) {
      header[this.headerHave++] = chunk[pos++]!;
      if (this.headerHave === 2) {
        // Fail-fast on the first two bytes: a masked or oversized control frame needs nothing more.
        if (!this.checkFirstBytes(header[0]!, header[1]!)) return chunk.length;
        need = this.headerSize(header[1]!);
      }
    }
    if (this.headerHave < need) return pos;
    this.headerHave = 0;
    this.beginFrame(header, 0);
    return pos;
  }

  private headerSize(second: number): number {
    const len7 = second & 0x7f;
    return len7 === 126 ? 4 : len7 === 127 ? 10 : 2;
  }

  /** Checks what the first two header bytes alone decide; reports and stops on failure. */
  private checkFirstBytes(first: number, second: number): boolean {
    const opcode = first & 0x0f;
    if ((first & 0x30) !== 0) return this.fail("PROTOCOL_ERROR", "reserved bits RSV2/RSV3 set");
    if ((second & 0x80) !== 0) return this.fail("PROTOCOL_ERROR", "masked frame from the server");
    if (opcode >= 0x8) {
      if (opcode > OP_PONG) return this.fail("PROTOCOL_ERROR", `reserved control opcode ${opcode}`);
      if ((first & 0x80) === 0) return this.fail("PROTOCOL_ERROR", "fragmented control frame");
      if ((second & 0x7f) > MAX_CONTROL_PAYLOAD) {
        return this.fail("PROTOCOL_ERROR", "control frame payload longer than 125 bytes");
      }
      if ((first & 0x40) !== 0) return this.fail("PROTOCOL_ERROR", "RSV1 set on a control frame");
      return true;
    }
    if (opcode > OP_BINARY) return this.fail("PROTOCOL_ERROR", `reserved data opcode ${opcode}`);
    if (opcode === OP_CONTINUATION) {
      if (this.messageOpcode === 0)
        return this.fail("PROTOCOL_ERROR", "continuation frame without a message");
      if ((first & 0x40) !== 0) return this.fail("PROTOCOL_ERROR", "RSV1 set on a continuation frame");
      return true;
    }
    if (this.messageOpcode !== 0) {
      return this.fail("PROTOCOL_ERROR", "new data frame inside a fragmented message");
    }
    if ((first & 0x40) !== 0 && !this.compression) {
      return this.fail("PROTOCOL_ERROR", "RSV1 set but no extension was negotiated");
    }
    return true;
  }

  private beginFrame(source: Buffer, at: number): void {
    const first = source[at]!;
    const second = source[at + 1]!;
    // The scratch path has checked these already; the direct path has not.
    if (source !== this.header && !this.checkFirstBytes(first, second)) return;
    let length = second & 0x7f;
    if (length === 126) {
      length = (source[at + 2]! << 8) | source[at + 3]!;
    } else if (length === 127) {
      const high = source.readUInt32BE(at + 2);
      if (high >= 0x80000000) {
        this.fail("PROTOCOL_ERROR", "64-bit payload length with its most significant bit set");
        return;
      }
      if (high > MAX_HIGH_WORD) {
        this.fail("MESSAGE_TOO_LARGE", "frame larger than the read limit");
        return;
      }
      length = high * 0x100000000 + source.readUInt32BE(at + 6);
    }
    const fin = (first & 0x80) !== 0;
    const opcode = first & 0x0f;
    this.fin = fin;
    this.opcode = opcode;
    this.remaining = length;
    this.partial = false;
    if (opcode >= 0x8) {
      this.controlHave = 0;
      if (length === 0) this.endControl(EMPTY);
      else this.state = PAYLOAD;
      return;
    }
    if (opcode !== OP_CONTINUATION) {
      this.messageOpcode = opcode;
      this.compressed = (first & 0x40) !== 0;
      this.streamText = opcode === OP_TEXT && !this.compressed;
      this.utf8?.reset();
    }
    const limit = this.compressed ? this.maxCompressedSize : this.maxMessageSize;
    if (this.assembly.length + length > limit) {
      const what = this.compressed
        ? "compressed message larger than the limit of"
        : "message larger than the read limit of";
      this.fail("MESSAGE_TOO_LARGE", `${what} ${limit} bytes`);
      return;
    }
    if (length === 0) {
      if (fin) this.endMessage(opcode === OP_CONTINUATION ? this.assembly.take() : EMPTY, false);
      return;
    }
    this.state = PAYLOAD;
  }

  private readPayload(chunk: Buffer, pos: number): number {
    const available = chunk.length - pos;
    const remaining = this.remaining;
    if (this.opcode >= 0x8) {
      if (this.controlHave === 0 && available >= remaining) {
        this.endControl(chunk.subarray(pos, pos + remaining));
        return pos + remaining;
      }
      const take = Math.min(available, remaining);
      this.control ??= Buffer.allocUnsafeSlow(MAX_CONTROL_PAYLOAD);
      chunk.copy(this.control, this.controlHave, pos, pos + take);
      this.controlHave += take;
      this.remaining -= take;
      if (this.remaining === 0) this.endControl(Buffer.from(this.control.subarray(0, this.controlHave)));
      return pos + take;
    }
    if (!this.partial && available >= remaining && this.fin && this.opcode !== OP_CONTINUATION) {
      // The usual case: a whole unfragmented message inside one chunk. Hand out a view, no copy.
      this.endMessage(chunk.subarray(pos, pos + remaining), true);
      return pos + remaining;
    }
    const take = Math.min(available, remaining);
    const end = pos + take;
    if (this.streamText) this.utf8 ??= new Utf8Validator();
    if (this.streamText && !this.utf8!.push(chunk, pos, end)) {
      this.fail("INVALID_UTF8", "text message is not valid UTF-8");
      return chunk.length;
    }
    const limit = this.compressed ? this.maxCompressedSize : this.maxMessageSize;
    // A frame's header announces its size, but memory follows what has arrived (a bounded
    // multiple of it), or a peer could make us reserve read_limit for every 11 bytes it sends.
    this.assembly.appendTowards(chunk, pos, end, this.assembly.length + remaining, limit);
    this.partial = true;
    this.remaining -= take;
    if (this.remaining === 0) {
      this.state = HEADER;
      if (this.fin) this.endMessage(this.assembly.take(), false);
    }
    return end;
  }

  /** Delivers a finished message; `whole` means its text has not been validated piece by piece. */
  private endMessage(payload: Buffer, whole: boolean): void {
    const opcode = this.messageOpcode as DataOpcode;
    this.state = HEADER;
    this.messageOpcode = 0;
    if (this.streamText) {
      // Text validated piece by piece only needs its end checked; a whole one is checked as decoded.
      // (A message of empty fragments never needed the validator.)
      const text = whole
        ? decodeUtf8(payload)
        : (this.utf8?.end() ?? true)
          ? payload.toString("utf8")
          : undefined;
      if (text === undefined) {
        this.fail("INVALID_UTF8", "text message is not valid UTF-8");
        return;
      }
      this.sink.onMessage(opcode, payload, false, text);
      return;
    }
    this.sink.onMessage(opcode, payload, this.compressed);
  }

  private endControl(payload: Buffer): void {
    this.state = HEADER;
    if (this.opcode === OP_PING) {
      this.sink.onPing(payload);
    } else if (this.opcode === OP_PONG) {
      this.sink.onPong(payload);
    } else if (this.opcode === OP_CLOSE) {
      const close = decodeClosePayload(payload);
      if (!close.ok) {
        this.fail(close.id, close.message);
        return;
      }
      this.stop();
      this.sink.onClose(close.code, close.reason);
    }
  }

  private fail(id: ErrorId, message: string): false {
    this.stop();
    this.sink.onError(id, message);
    return false;
  }
}
