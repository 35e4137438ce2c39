/**
 * The server's side of RFC 6455 framing, for the test server: frames a server sends (unmasked, or
 * anything a test wants to send, however wrong) and a reader of the client's masked frames.
 */

/** One frame to build. Fields a test leaves out get the values a correct server would use. */
export interface FrameInit {
  /** The 4-bit opcode, written as given (reserved values allowed). */
  readonly opcode: number;
  /** The payload; a string is written as UTF-8. Default empty. */
  readonly payload?: string | Uint8Array;
  /** FIN. Default true. */
  readonly fin?: boolean;
  /** RSV1–3 as a 3-bit number: 4 is RSV1, 2 RSV2, 1 RSV3. Default 0. */
  readonly rsv?: number;
  /** Masks the payload with this 4-byte key (a server must never mask: for testing the client's check). */
  readonly mask?: Uint8Array;
}

/** Builds one frame, byte for byte as described. */
export function frame(init: FrameInit): Buffer {
  const payload =
    typeof init.payload === "string" ? Buffer.from(init.payload, "utf8") : Buffer.from(init.payload ?? []);
  const length = payload.length;
  const extra = length < 126 ? 0 : length < 0x10000 ? 2 : 8;
  const maskBytes = init.mask === undefined ? 0 : 4;
  const out = Buffer.allocUnsafe(2 + extra + maskBytes + length);
  out[0] = ((init.fin ?? true) ? 0x80 : 0) | (((init.rsv ?? 0) & 7) << 4) | (init.opcode & 0x0f);
  const maskBit = init.mask === undefined ? 0 : 0x80;
  if (extra === 0) out[1] = maskBit | length;
  else if (extra === 2) {
    out[1] = maskBit | 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = maskBit | 127;
    out.writeBigUInt64BE(BigInt(length), 2);
  }
  let at = 2 + extra;
  if (init.mask !== undefined) {
    for (let i = 0; i < 4; i++) out[at + i] = init.mask[i] ?? 0;
    at += 4;
    for (let i = 0; i < length; i++) out[at + i] = payload[i]! ^ (init.mask[i & 3] ?? 0);
  } else {
    payload.copy(out, at);
  }
  return out;
}

/** The payload of a Close frame: nothing when `code` is undefined, else the code and the reason. */
export function closePayload(code?: number, reason = ""): Buffer {
  if (code === undefined) return Buffer.alloc(0);
  const out = Buffer.alloc(2 + Buffer.byteLength(reason));
  out.writeUInt16BE(code, 0);
  out.write(reason, 2, "utf8");
  return out;
}

/** A frame the client sent, unmasked. */
export interface ClientFrame {
  readonly fin: boolean;
  /** RSV1–3 as a 3-bit number. */
  readonly rsv: number;
  readonly opcode: number;
  /** Whether the client masked it (a client must). */
  readonly masked: boolean;
  readonly payload: Buffer;
}

/**
 * Reads the client's frames from the bytes of the socket, in chunks of any size. `limit` bounds
 * one frame's payload: a frame announcing more is reported as too big before its bytes are kept.
 */
export class FrameReader {
  #chunks: Buffer[] = [];
  #have = 0;
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#have += chunk.length;
  }

  /** The next whole frame, "too big", or undefined when more bytes are needed. */
  next(): ClientFrame | "too big" | undefined {
    if (this.#have < 2) return undefined;
    const head = this.#peek(Math.min(this.#have, 14));
    const b1 = head[1]!;
    let length = b1 & 0x7f;
    let at = 2;
    if (length === 126) {
      if (head.length < 4) return undefined;
      length = head.readUInt16BE(2);
      at = 4;
    } else if (length === 127) {
      if (head.length < 10) return undefined;
      const big = head.readBigUInt64BE(2);
      if (big > BigInt(this.#limit)) return "too big";
      length = Number(big);
      at = 10;
    }
    if (length > this.#limit) return "too big";
    const masked = (b1 & 0x80) !== 0;
    const total = at + (masked ? 4 : 0) + length;
    if (this.#have < total) return undefined;
    const bytes = this.#take(total);
    const payload = Buffer.from(bytes.subarray(total - length));
    if (masked) {
      const key = bytes.subarray(at, at + 4);
      for (let i = 0; i < payload.length; i++) payload[i]! ^= key[i & 3]!;
    }
    const b0 = bytes[0]!;
    return { fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 7, opcode: b0 & 0x0f, masked, payload };
  }

  #peek(n: number): Buffer {
    const first = this.#chunks[0]!;
    if (first.length >= n) return first.subarray(0, n);
    const joined = Buffer.concat(this.#chunks);
    this.#chunks = [joined];
    return joined.subarray(0, n);
  }

  #take(n: number): Buffer {
    const joined = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    this.#chunks = joined.length > n ? [joined.subarray(n)] : [];
    this.#have -= n;
    return joined.subarray(0, n);
  }
}
