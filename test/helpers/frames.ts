/**
 * Test helpers for the frame parser: a byte-exact builder of server→client frames (including
 * frames a server must never send), a sink that records what the parser reports as plain
 * objects, and `feed`, which runs a fresh parser over a byte stream cut at given positions.
 */
import { closeCodeOf, type ErrorId } from "../../src/errors/errors.js";
import { FrameParser, type FrameSink, type ParserOptions } from "../../src/framing/parser.js";

/** One frame to build. Everything a real server would leave alone has a sane default. */
export interface FrameSpec {
  /** The 4-bit opcode, written as given (reserved values allowed). */
  readonly opcode: number;
  /** The payload; a string is written as UTF-8. Default: empty. */
  readonly payload?: Uint8Array | string;
  /** FIN bit. Default: true. */
  readonly fin?: boolean;
  /** RSV1 bit (permessage-deflate's "compressed"). Default: false. */
  readonly rsv1?: boolean;
  /** RSV2 bit. Default: false. */
  readonly rsv2?: boolean;
  /** RSV3 bit. Default: false. */
  readonly rsv3?: boolean;
  /**
   * Forces the length encoding: 7 (in the second byte), 16 (126 + 2 bytes) or 64 (127 + 8 bytes),
   * even when a shorter one would do. Default: the minimal encoding of the announced length.
   */
  readonly lengthBits?: 7 | 16 | 64;
  /**
   * Announces this length instead of the payload's: the raw value of the length field, written
   * as is (a bigint reaches the whole 64-bit range, most significant bit included). With
   * `lengthBits: 7` any value up to 127 is written in the 7-bit field with no extended bytes.
   */
  readonly length?: number | bigint;
  /** Sets the MASK bit and masks the payload with this 4-byte key (forbidden from a server). */
  readonly maskKey?: Uint8Array;
}

function bytesOf(payload: Uint8Array | string | undefined): Buffer {
  if (payload === undefined) return Buffer.alloc(0);
  return typeof payload === "string" ? Buffer.from(payload, "utf8") : Buffer.from(payload);
}

function minimalBits(length: bigint): 7 | 16 | 64 {
  return length < 126n ? 7 : length < 0x10000n ? 16 : 64;
}

/** Builds one frame byte for byte. Throws only when the spec itself cannot be encoded. */
export function frame(spec: FrameSpec): Buffer {
  const payload = bytesOf(spec.payload);
  const announced = BigInt(spec.length ?? payload.length);
  const bits = spec.lengthBits ?? minimalBits(announced);
  const first =
    ((spec.fin ?? true) ? 0x80 : 0) |
    (spec.rsv1 ? 0x40 : 0) |
    (spec.rsv2 ? 0x20 : 0) |
    (spec.rsv3 ? 0x10 : 0) |
    (spec.opcode & 0x0f);
  const maskBit = spec.maskKey === undefined ? 0 : 0x80;
  let header: Buffer;
  if (bits === 7) {
    if (announced > 127n) throw new RangeError(`length ${announced} does not fit the 7-bit field`);
    header = Buffer.from([first, maskBit | Number(announced)]);
  } else if (bits === 16) {
    if (announced > 0xffffn) throw new RangeError(`length ${announced} does not fit 16 bits`);
    header = Buffer.alloc(4);
    header[0] = first;
    header[1] = maskBit | 126;
    header.writeUInt16BE(Number(announced), 2);
  } else {
    if (announced > 0xffff_ffff_ffff_ffffn) throw new RangeError(`length ${announced} does not fit 64 bits`);
    header = Buffer.alloc(10);
    header[0] = first;
    header[1] = maskBit | 127;
    header.writeBigUInt64BE(announced, 2);
  }
  if (spec.maskKey === undefined) return Buffer.concat([header, payload]);
  const key = spec.maskKey;
  if (key.length !== 4) throw new RangeError("a masking key has 4 bytes");
  const masked = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) masked[i] = payload[i]! ^ key[i & 3]!;
  return Buffer.concat([header, Buffer.from(key), masked]);
}

/** Frame options other than opcode and payload. */
export type FrameExtras = Omit<FrameSpec, "opcode" | "payload">;

export function text(payload: Uint8Array | string, extras: FrameExtras = {}): Buffer {
  return frame({ ...extras, opcode: 0x1, payload });
}

export function binary(payload: Uint8Array | string, extras: FrameExtras = {}): Buffer {
  return frame({ ...extras, opcode: 0x2, payload });
}

export function continuation(payload: Uint8Array | string, extras: FrameExtras = {}): Buffer {
  return frame({ ...extras, opcode: 0x0, payload });
}

export function ping(payload: Uint8Array | string = "", extras: FrameExtras = {}): Buffer {
  return frame({ ...extras, opcode: 0x9, payload });
}

export function pong(payload: Uint8Array | string = "", extras: FrameExtras = {}): Buffer {
  return frame({ ...extras, opcode: 0xa, payload });
}

/** The payload of a Close frame: nothing when `code` is undefined, else the code and the reason. */
export function closePayload(code?: number, reason: Uint8Array | string = ""): Buffer {
  if (code === undefined) return Buffer.alloc(0);
  const head = Buffer.alloc(2);
  head.writeUInt16BE(code, 0);
  return Buffer.concat([head, bytesOf(reason)]);
}

export function close(code?: number, reason: Uint8Array | string = "", extras: FrameExtras = {}): Buffer {
  return frame({ ...extras, opcode: 0x8, payload: closePayload(code, reason) });
}

/** What the parser reported, as plain comparable objects. Payloads are copies. */
export type FrameEvent =
  | { readonly type: "message"; readonly opcode: number; readonly data: Buffer; readonly compressed: boolean }
  | { readonly type: "ping"; readonly data: Buffer }
  | { readonly type: "pong"; readonly data: Buffer }
  | { readonly type: "close"; readonly code: number; readonly reason: string }
  | { readonly type: "error"; readonly code: number };

/**
 * RecordingSink keeps every report of the parser. Payloads are copied at once because the
 * parser may hand out views into pushed chunks. Error messages are kept apart from the events
 * so that event lists compare on close codes only.
 */
export class RecordingSink implements FrameSink {
  readonly events: FrameEvent[] = [];
  readonly errorMessages: string[] = [];

  onMessage(opcode: number, payload: Buffer, compressed: boolean): void {
    this.events.push({ type: "message", opcode, data: Buffer.from(payload), compressed });
  }

  onPing(payload: Buffer): void {
    this.events.push({ type: "ping", data: Buffer.from(payload) });
  }

  onPong(payload: Buffer): void {
    this.events.push({ type: "pong", data: Buffer.from(payload) });
  }

  onClose(code: number, reason: string): void {
    this.events.push({ type: "close", code, reason });
  }

  onError(id: ErrorId, message: string): void {
    this.events.push({ type: "error", code: closeCodeOf(id) });
    this.errorMessages.push(message);
  }
}

/** The options `feed` uses when none are given: a limit far above any test stream. */
export const DEFAULT_OPTIONS: ParserOptions = { maxMessageSize: 64 * 1024 * 1024 };

/** Cuts `bytes` at the given positions (ascending, each within 0..length) into views. */
export function cut(bytes: Uint8Array, splits: readonly number[]): Buffer[] {
  const whole = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const at of splits) {
    if (at < from || at > whole.length) throw new RangeError(`bad split ${at} after ${from}`);
    chunks.push(whole.subarray(from, at));
    from = at;
  }
  chunks.push(whole.subarray(from));
  return chunks;
}

/** Runs a fresh parser over `chunks` in order; returns the parser and what it reported. */
export function run(
  chunks: readonly Buffer[],
  options: ParserOptions = DEFAULT_OPTIONS,
): { parser: FrameParser; sink: RecordingSink } {
  const sink = new RecordingSink();
  const parser = new FrameParser(sink, options);
  for (const chunk of chunks) parser.push(chunk);
  return { parser, sink };
}

/** Runs a fresh parser over `bytes` cut at `splits` and returns the events. */
export function feed(
  bytes: Uint8Array,
  splits: readonly number[] = [],
  options: ParserOptions = DEFAULT_OPTIONS,
): FrameEvent[] {
  return run(cut(bytes, splits), options).sink.events;
}

/** Feeds `bytes` one byte at a time. */
export function feedBytewise(bytes: Uint8Array, options: ParserOptions = DEFAULT_OPTIONS): FrameEvent[] {
  const sink = new RecordingSink();
  const parser = new FrameParser(sink, options);
  const whole = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < whole.length; i++) parser.push(whole.subarray(i, i + 1));
  return sink.events;
}

/** Whether two event lists are equal; cheaper than a deep compare when run many thousand times. */
export function sameEvents(a: readonly FrameEvent[], b: readonly FrameEvent[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.type !== y.type) return false;
    switch (x.type) {
      case "message": {
        const other = y as typeof x;
        if (x.opcode !== other.opcode || x.compressed !== other.compressed || !x.data.equals(other.data)) {
          return false;
        }
        break;
      }
      case "ping":
      case "pong":
        if (!x.data.equals((y as typeof x).data)) return false;
        break;
      case "close": {
        const other = y as typeof x;
        if (x.code !== other.code || x.reason !== other.reason) return false;
        break;
      }
      case "error":
        if (x.code !== (y as typeof x).code) return false;
        break;
    }
  }
  return true;
}

/**
 * MatchingSink compares each report with the next expected event as it arrives, without copying
 * payloads (they are still valid inside the callback), for loops that parse a stream many
 * thousand times. `matches()` tells whether the reports were exactly the expected ones.
 */
class MatchingSink implements FrameSink {
  private next = 0;
  private ok = true;

  constructor(private readonly expected: readonly FrameEvent[]) {}

  private take(): FrameEvent | undefined {
    const event = this.expected[this.next++];
    if (event === undefined) this.ok = false;
    return event;
  }

  onMessage(opcode: number, payload: Buffer, compressed: boolean): void {
    const e = this.take();
    if (
      e?.type !== "message" ||
      e.opcode !== opcode ||
      e.compressed !== compressed ||
      !e.data.equals(payload)
    ) {
      this.ok = false;
    }
  }

  onPing(payload: Buffer): void {
    const e = this.take();
    if (e?.type !== "ping" || !e.data.equals(payload)) this.ok = false;
  }

  onPong(payload: Buffer): void {
    const e = this.take();
    if (e?.type !== "pong" || !e.data.equals(payload)) this.ok = false;
  }

  onClose(code: number, reason: string): void {
    const e = this.take();
    if (e?.type !== "close" || e.code !== code || e.reason !== reason) this.ok = false;
  }

  onError(id: ErrorId): void {
    const closeCode = closeCodeOf(id);
    const e = this.take();
    if (e?.type !== "error" || e.code !== closeCode) this.ok = false;
  }

  matches(): boolean {
    return this.ok && this.next === this.expected.length;
  }
}

/** Whether a fresh parser fed `chunks` reports exactly `expected` (cheaper than `run` + compare). */
export function reportsExactly(
  chunks: readonly Buffer[],
  expected: readonly FrameEvent[],
  options: ParserOptions = DEFAULT_OPTIONS,
): boolean {
  const sink = new MatchingSink(expected);
  const parser = new FrameParser(sink, options);
  for (const chunk of chunks) parser.push(chunk);
  return sink.matches();
}

/** A small seeded PRNG (mulberry32) so random splits and payloads are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` deterministic pseudo-random bytes. */
export function randomBytes(count: number, seed: number): Buffer {
  const next = prng(seed);
  const out = Buffer.alloc(count);
  for (let i = 0; i < count; i++) out[i] = (next() * 256) | 0;
  return out;
}

/** Up to `count` sorted random cut positions inside 1..length-1, drawn from `next`. */
export function randomSplits(length: number, count: number, next: () => number): number[] {
  if (length < 2) return [];
  const set = new Set<number>();
  for (let i = 0; i < count; i++) set.add(1 + Math.floor(next() * (length - 1)));
  return [...set].sort((x, y) => x - y);
}
