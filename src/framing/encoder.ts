import { Buffer } from "node:buffer";
import { ownMemory } from "./frame-memory.js";
import { mask } from "./mask.js";

/**
 * The masking key of the frame being encoded, copied out of its header: a view of those 4 bytes
 * would be one more object per frame. Read by `mask` before it returns, so one serves every frame.
 */
const KEY = new Uint8Array(4);

function keyAt(out: Buffer, at: number): Uint8Array {
  KEY[0] = out[at]!;
  KEY[1] = out[at + 1]!;
  KEY[2] = out[at + 2]!;
  KEY[3] = out[at + 3]!;
  return KEY;
}

/** Size of a client frame header for a payload of `length` bytes (masking key included). */
export function headerSize(length: number): number {
  return length < 126 ? 6 : length < 0x10000 ? 8 : 14;
}

/**
 * Writes a masked client frame header at `offset` and returns where the payload begins.
 * `key` supplies the 4 masking bytes from `keyOffset`.
 */
export function writeHeader(
  target: Buffer,
  offset: number,
  opcode: number,
  fin: boolean,
  rsv1: boolean,
  length: number,
  key: Uint8Array,
  keyOffset: number,
): number {
  target[offset] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  let at = offset + 2;
  if (length < 126) {
    target[offset + 1] = 0x80 | length;
  } else if (length < 0x10000) {
    target[offset + 1] = 0x80 | 126;
    target[offset + 2] = length >>> 8;
    target[offset + 3] = length & 0xff;
    at += 2;
  } else {
    target[offset + 1] = 0x80 | 127;
    target.writeUInt32BE(Math.floor(length / 0x100000000), offset + 2);
    target.writeUInt32BE(length >>> 0, offset + 6);
    at += 8;
  }
  target[at] = key[keyOffset]!;
  target[at + 1] = key[keyOffset + 1]!;
  target[at + 2] = key[keyOffset + 2]!;
  target[at + 3] = key[keyOffset + 3]!;
  return at + 4;
}

/** The options of one outgoing frame. */
export interface FrameOptions {
  readonly opcode: number;
  readonly fin?: boolean;
  readonly rsv1?: boolean;
}

/**
 * Encodes a whole masked frame into one new buffer (or into `memory`, when it is large enough):
 * header then payload masked with the 4 bytes of `key` at `keyOffset`. The caller's payload is
 * never modified.
 */
export function encodeFrame(
  frame: FrameOptions,
  payload: Uint8Array,
  key: Uint8Array,
  keyOffset = 0,
  memory?: ArrayBuffer,
): Buffer {
  const length = payload.length;
  const size = headerSize(length) + length;
  // `memory`, when given and large enough, is reused instead of allocating (see the client's spare).
  const out =
    memory !== undefined && memory.byteLength >= size ? Buffer.from(memory, 0, size) : ownMemory(size);
  const start = writeHeader(
    out,
    0,
    frame.opcode,
    frame.fin ?? true,
    frame.rsv1 ?? false,
    length,
    key,
    keyOffset,
  );
  mask(payload, keyAt(out, start - 4), out, start);
  return out;
}

/**
 * Encodes a text frame straight from a string: the UTF-8 bytes are written into the frame and
 * masked in place, so no intermediate buffer is made. `byteLength` is `Buffer.byteLength(text)`.
 */
export function encodeTextFrame(text: string, byteLength: number, key: Uint8Array, keyOffset = 0): Buffer {
  const out = ownMemory(headerSize(byteLength) + byteLength);
  const start = writeHeader(out, 0, 0x1, true, false, byteLength, key, keyOffset);
  out.write(text, start, byteLength, "utf8");
  mask(out.subarray(start), keyAt(out, start - 4), out, start);
  return out;
}
