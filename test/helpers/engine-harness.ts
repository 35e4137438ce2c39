import type { WebSocketError } from "../../src/errors/errors.js";
import { Engine } from "../../src/protocol/engine.js";
import type { CloseInfo, CodecJob, EngineConfig, EngineHost, Message } from "../../src/protocol/types.js";

/** A frame the engine wrote, unmasked. */
export interface WrittenFrame {
  readonly fin: boolean;
  readonly rsv1: boolean;
  readonly opcode: number;
  readonly masked: boolean;
  readonly payload: Buffer;
}

/** The close code of a Close frame the engine wrote (1005 when it had none). */
export function codeOf(frame: WrittenFrame): number {
  return frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
}

/** Decodes the masked client frames in `bytes`; throws on a partial or unmasked frame. */
export function decodeClientFrames(bytes: Buffer): WrittenFrame[] {
  const frames: WrittenFrame[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const first = bytes[pos]!;
    const second = bytes[pos + 1]!;
    let length = second & 0x7f;
    let at = pos + 2;
    if (length === 126) {
      length = bytes.readUInt16BE(at);
      at += 2;
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(at));
      at += 8;
    }
    const masked = (second & 0x80) !== 0;
    if (!masked) throw new Error("the client wrote an unmasked frame");
    const key = bytes.subarray(at, at + 4);
    at += 4;
    if (at + length > bytes.length) throw new Error("partial frame");
    const payload = Buffer.from(bytes.subarray(at, at + length));
    for (let i = 0; i < payload.length; i++) payload[i]! ^= key[i & 3]!;
    frames.push({
      fin: (first & 0x80) !== 0,
      rsv1: (first & 0x40) !== 0,
      opcode: first & 0x0f,
      masked,
      payload,
    });
    pos = at + length;
  }
  return frames;
}

/** A config with every bound and deadline a test can reach quickly; override what a test is about. */
export function testConfig(overrides: Partial<EngineConfig> = {}): EngineConfig {
  return {
    readLimit: 1024 * 1024,
    deflate: undefined,
    deflateNoContext: false,
    compressionThreshold: 128,
    channelCapacity: 4,
    channelBytes: 1024 * 1024,
    writeLimit: 1024 * 1024,
    readTimeout: 0,
    writeTimeout: 0,
    keepalive: 0,
    keepaliveTimeout: 0,
    pingTimeout: 300,
    closeTimeout: 50,
    tcpEndTimeout: 20,
    terminalGrace: 30,
    // A fixed, non-zero key: masking is exercised, and the bytes are reproducible.
    masks: { bytes: Uint8Array.of(0x37, 0xfa, 0x21, 0x3d), next: () => 0 },
    ...overrides,
  };
}

/**
 * An engine with a host that records everything it is told, a clock the test moves, and a
 * transport that takes writes only when the test says so (or at once with `autoWrite`).
 */
export class Harness implements EngineHost<string> {
  readonly engine: Engine<string>;
  now = 1_000_000;
  /** Whether the application leaves messages unread (buffered); false: a receiver takes each at once. */
  buffering = true;
  /** Whether writes complete as soon as the engine has output. */
  autoWrite = true;

  readonly messages: Message[] = [];
  /** Each message's payload size and size on the wire. */
  readonly sizes: [size: number, wireSize: number][] = [];
  readonly sends: [type: string, size: number, wireSize: number][] = [];
  readonly rtts: number[] = [];
  readonly settled: [token: string, error: WebSocketError | undefined][] = [];
  readonly jobs: CodecJob[] = [];
  readonly shutdowns: ("end" | "destroy")[] = [];
  /** The bytes written to the transport so far. */
  wire: Buffer[] = [];
  readingOn = true;
  resumeRequests = 0;
  wakeAt = Number.POSITIVE_INFINITY;
  info: CloseInfo | undefined;
  isEnded = false;

  constructor(overrides: Partial<EngineConfig> = {}) {
    this.engine = new Engine(this, testConfig(overrides), this.now);
    this.engine.start(this.now);
  }

  message(message: Message, size: number, wireSize: number): boolean {
    this.messages.push(message);
    this.sizes.push([size, wireSize]);
    if (this.buffering) this.#unread.push(message);
    return this.buffering;
  }

  /** The messages left waiting (buffered), oldest first. */
  readonly #unread: Message[] = [];

  sent(type: "text" | "binary", size: number, wireSize: number): void {
    this.sends.push([type, size, wireSize]);
  }

  pong(rtt: number): void {
    this.rtts.push(rtt);
  }

  output(): void {
    if (this.autoWrite) this.flush();
  }

  settle(token: string, error: WebSocketError | undefined): void {
    this.settled.push([token, error]);
  }

  reading(on: boolean): void {
    this.readingOn = on;
  }

  resumeSoon(): void {
    this.resumeRequests++;
  }

  job(job: CodecJob): void {
    this.jobs.push(job);
  }

  wake(at: number): void {
    this.wakeAt = Math.min(this.wakeAt, at);
  }

  shutdown(how: "end" | "destroy"): void {
    this.shutdowns.push(how);
  }

  closed(info: CloseInfo): void {
    this.info = info;
  }

  ended(): void {
    this.isEnded = true;
  }

  // ---- driving ----

  /** Writes everything the engine has, completing each write at once. */
  flush(): void {
    for (let batch = this.engine.takeOutput(); batch !== undefined; batch = this.engine.takeOutput()) {
      this.wire.push(batch);
      this.engine.written(undefined);
    }
  }

  receive(bytes: Buffer): void {
    this.engine.receiveData(bytes, this.now);
  }

  /** Moves the clock by `ms`, running every deadline that falls due on the way, in order. */
  advance(ms: number): void {
    const end = this.now + ms;
    while (this.wakeAt <= end) {
      this.now = Math.max(this.now, this.wakeAt);
      this.wakeAt = Number.POSITIVE_INFINITY;
      this.engine.tick(this.now);
    }
    this.now = end;
  }

  /** Frames written since the last call. */
  written(): WrittenFrame[] {
    const frames = decodeClientFrames(Buffer.concat(this.wire));
    this.wire = [];
    return frames;
  }

  /** The application takes `count` buffered messages, or as many as are waiting. */
  take(count = 1): void {
    for (let i = 0; i < count; i++) {
      const message = this.#unread.shift();
      if (message === undefined) return;
      this.engine.taken(message);
    }
  }

  /** The transport closes (after a shutdown, or on its own). */
  transportClosed(): void {
    this.engine.transportClosed();
  }
}
