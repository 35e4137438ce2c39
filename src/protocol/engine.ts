import { Buffer } from "node:buffer";
import { InflateError, MessageDeflater, MessageInflater } from "../deflate/index.js";
import { closeCodeOf, type ErrorId, failure, invalid, WebSocketError } from "../errors/errors.js";
import { encodeClosePayload, isValidCloseCode, MAX_CLOSE_REASON_BYTES } from "../framing/close.js";
import { encodeFrame, encodeTextFrame, type FrameOptions } from "../framing/encoder.js";
import { POOLED_FRAME_MIN, takeFrameMemory } from "../framing/frame-memory.js";
import { maskKeys } from "../framing/mask-keys.js";
import { type DataOpcode, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT } from "../framing/opcodes.js";
import { FrameParser, type FrameSink } from "../framing/parser.js";
import { decodeUtf8, isUtf8 } from "../framing/utf8.js";
import { formatDuration } from "../options/duration.js";
import { BINARY, TEXT } from "./constants.js";
import { NONE } from "./empty.js";
import { NumberQueue } from "./number-queue.js";
import { Outbox } from "./outbox.js";
import type {
  CloseInfo,
  CodecJob,
  EngineConfig,
  EngineHost,
  EngineState,
  EngineStats,
  MaskSource,
  Message,
} from "./types.js";

/** Extra messages the receive side may hold once our Close is sent (see `#bounds`). */
export const CLOSING_HEADROOM = 64;
/** The payload of keep-alive pings, told apart from the application's own. */
export const KEEPALIVE_PAYLOAD = Buffer.from("wschan keep-alive");

/**
 * A deadline that is not set. Not Infinity: a field that ever holds a fraction or an infinity is
 * a boxed double in every engine, while times from a host's clock of whole milliseconds (see
 * src/client/clock.ts) stay small integers stored in the object.
 */
const NEVER = -1;

/** Whether `deadline` is set and due at `now`. */
function due(deadline: number, now: number): boolean {
  return deadline !== NEVER && deadline <= now;
}

/** The earlier of two deadlines, either of which may be NEVER. */
function earlier(a: number, b: number): number {
  if (a === NEVER) return b;
  return b === NEVER || a <= b ? a : b;
}

/** The options of an uncompressed data frame, made once rather than per frame sent. */
const BINARY_FRAME: FrameOptions = Object.freeze({ opcode: OP_BINARY });
const TEXT_FRAME: FrameOptions = Object.freeze({ opcode: OP_TEXT });

/** The payload length of a client frame we encoded: the frame less its header and 4-byte mask. */
function payloadLength(frame: Buffer): number {
  const length = frame.length;
  return length - (length - 6 < 126 ? 6 : length - 8 < 0x10000 ? 8 : 14);
}
/**
 * A frame with less than this still to come is read the ordinary way (see `readTarget`): a
 * direct read stops at the end of its frame, so for a short rest it would cost a system call
 * more than the copy it saves.
 */
const DIRECT_READ_MIN = 64 * 1024;

/** A message waiting for asynchronous (de)compression, kept in line so order is preserved. */
interface Slot<V> {
  ready: boolean;
  value: V | undefined;
  readonly job: CodecJob | undefined;
}

interface OutSlot<T> extends Slot<Buffer> {
  readonly token: T | undefined;
  /** Input bytes of a frame still being compressed, counted against the write limit. */
  readonly size: number;
}

interface InSlot extends Slot<Message> {
  readonly opcode: number;
  size: number;
  readonly wireSize: number;
}

interface PendingPing<T> {
  readonly payload: Buffer;
  readonly token: T;
  readonly sentAt: number;
  readonly deadline: number;
}

/** Counters of `EngineStats`, kept as plain fields: one addition per event. */
class Counters {
  messagesIn = 0;
  messagesOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  payloadBytesIn = 0;
  payloadBytesOut = 0;
  wirePayloadBytesIn = 0;
  wirePayloadBytesOut = 0;
  lastRtt: number | undefined = undefined;
}

/** What ended or is ending the connection, with the close code it causes. */
interface Failure {
  readonly code: number;
  readonly error: WebSocketError;
}

/**
 * One WebSocket connection's protocol, RFC 6455 and RFC 7692, without I/O: bytes, commands and
 * the current time go in; messages, outcomes, bytes to write and the times it needs to be woken
 * at come out through `EngineHost`. It answers pings, echoes the Close, runs the closing
 * handshake's deadlines, bounds what it holds for the peer in bytes, and decides every failure's
 * close code and error (through `ERROR_IDS`). It holds no socket, timer or promise of its own:
 * (de)compression that runs in the thread pool is handed out as a job and fed back. Times (every
 * `now`, and `EngineHost.wake`'s `at`) are milliseconds of one clock of the host's, never negative.
 */
export class Engine<T> implements FrameSink {
  readonly #host: EngineHost<T>;
  readonly #config: EngineConfig;
  readonly #masks: MaskSource;
  readonly #parser: FrameParser;
  readonly #outbox: Outbox<T>;
  /** Whether any deadline depends on the time of reads and writes (so inputs carry a real `now`). */
  readonly clocked: boolean;

  #state: EngineState = "OPEN";
  #closeSent = false;
  #closeReceived: { code: number; reason: string } | undefined;
  #failure: Failure | undefined;

  /** Messages handed to the application and not yet taken, and their bytes. */
  #unread = 0;
  #unreadBytes = 0;
  /**
   * The sizes in bytes of the unread text messages, oldest first: a string does not tell its
   * UTF-8 length without a pass over it. Binary messages' are their data's length.
   */
  readonly #unreadTextSizes = new NumberQueue();
  #paused = false;
  /** Whether the host was told to stop the transport's reading. */
  #readingOff = false;
  /** Reading is held by the host for a turn of its event loop (see `hold`). */
  #held = false;

  #inflater: MessageInflater | undefined;
  #deflater: MessageDeflater | undefined;
  /** Received messages behind one still being decompressed; empty when nothing is pending. */
  #inbound: InSlot[] = NONE;
  /** Outgoing frames behind one still being compressed; empty when nothing is pending. */
  #outbound: OutSlot<T>[] = NONE;
  #outboundBytes = 0;

  /** Opcodes of messages being compressed in the thread pool, by their job's promise. */
  #pendingOpcodes: WeakMap<Promise<Buffer>, number> | undefined;
  /** Whether messages being compressed there are text, and their size before compression. */
  #pendingSends: WeakMap<Promise<Buffer>, { text: boolean; size: number }> | undefined;

  #pings: PendingPing<T>[] = NONE;
  readonly #counters = new Counters();
  #pingSequence = 0;

  #lastRead = 0;
  #keepalivePingedAt = 0;
  #keepaliveAt = NEVER;
  #closeDeadline = NEVER;
  #tcpEndDeadline = NEVER;
  /** A Close to send once what came before it has been taken: the echo, or our failure's code. */
  #terminal: { code: number } | undefined;
  /** When the terminal Close is due; read only while there is one. */
  #terminalAt = 0;
  /** The transport's end came while the parser held bytes: it is handled once they are read. */
  #endPending = false;
  /** The transport closed with bytes held: they are read regardless of the bounds. */
  #draining = false;
  /** The peer ended TCP after our Close: end ours once the outbox is written. */
  #endWhenWritten = false;
  /** The earliest time the host was asked to wake us at. */
  #wakeAt = NEVER;

  constructor(host: EngineHost<T>, config: EngineConfig, now: number) {
    this.#host = host;
    this.#config = config;
    this.#masks = config.masks ?? maskKeys;
    this.#outbox = new Outbox(config.writeTimeout > 0);
    const readLimit = config.readLimit;
    this.#parser = new FrameParser(this, {
      maxMessageSize: readLimit,
      compression: config.deflate !== undefined,
      // Incompressible data grows a little when deflated (stored blocks: 5 bytes per block).
      maxCompressedSize: readLimit + Math.ceil(readLimit / 1024) + 1024,
    });
    this.clocked = config.readTimeout > 0 || config.keepalive > 0 || config.writeTimeout > 0;
    this.#lastRead = now;
    if (config.keepalive > 0) this.#keepaliveAt = now + config.keepalive;
  }

  /** Starts the clock: asks to be woken for the first deadline. Call once the host is ready. */
  start(now: number): void {
    this.tick(now);
  }

  get state(): EngineState {
    return this.#state;
  }

  /** Whether our Close has been queued. */
  get closeSent(): boolean {
    return this.#closeSent;
  }

  /** The peer's Close, once received. */
  get closeReceived(): { readonly code: number; readonly reason: string } | undefined {
    return this.#closeReceived;
  }

  /** Messages handed to the application and not taken yet, and their bytes. */
  get unread(): { readonly messages: number; readonly bytes: number } {
    return { messages: this.#unread, bytes: this.#unreadBytes };
  }

  /** Bytes waiting to be written, the write under way included. */
  get bufferedAmount(): number {
    return this.#outbox.bytes + this.#outboundBytes;
  }

  /** What has been counted since the connection opened. */
  get stats(): EngineStats {
    return { ...this.#counters };
  }

  /** Bytes received and not yet parsed (kept while reading is stopped). */
  get heldBytes(): number {
    return this.#parser.heldBytes;
  }

  // ---- inputs: the transport ----

  /** Bytes from the transport. */
  receiveData(chunk: Buffer, now: number): void {
    if (this.#state === "CLOSED") return;
    this.#lastRead = now;
    this.#counters.bytesIn += chunk.length;
    try {
      this.#parser.push(chunk);
    } catch (error) {
      // Nothing on the receive path may escape into the transport's handlers: an allocation
      // that fails, say, fails this connection, not the process.
      this.#failOurs("INTERNAL_ERROR", `receiving failed: ${(error as Error).message}`, error);
    }
  }

  /** The transport's reading side ended (TCP FIN). */
  receiveEnd(): void {
    if (this.#state === "CLOSED") return;
    if (this.#parser.heldBytes > 0) {
      // The stream has handed over everything, but the parser stopped short of the end of it
      // (a full channel): the end comes after those bytes, which may hold the peer's Close.
      this.#endPending = true;
      return;
    }
    if (this.#closeSent) {
      // The server ended TCP after our Close, as §7.1.1 wants; end our side too, once what we
      // queued (our Close among it) is written.
      if (this.#outbox.waiting || this.#outbox.busy) this.#endWhenWritten = true;
      else this.#host.shutdown("end");
      return;
    }
    // Our Close is still waiting behind messages; it can still be written on the half-open transport.
    if (this.#terminal !== undefined) return;
    this.#abort("CONNECTION_ENDED", "the server ended the connection without a closing handshake");
  }

  /** The transport failed (a reset, a broken pipe). */
  transportError(error: Error): void {
    // A reset after both Close frames were exchanged changes nothing about how the connection ended.
    if (this.#failure !== undefined || this.#state === "CLOSED") return;
    if (this.#closeReceived !== undefined && this.#closeSent) return;
    this.#failure = this.#make("CONNECTION_RESET", `connection lost: ${error.message}`, error);
  }

  /** The transport has closed: the connection is over. */
  transportClosed(): void {
    if (this.#state === "CLOSED") return;
    if (this.#parser.heldBytes > 0) {
      // What was received before the transport closed is read in full, past the bounds (it is in
      // memory already): it may end with the peer's Close.
      this.#draining = true;
      try {
        this.#parser.resume();
      } catch (error) {
        this.#failOurs("INTERNAL_ERROR", `receiving failed: ${(error as Error).message}`, error);
      }
    }
    const received = this.#closeReceived;
    const failed = this.#failure;
    let info: CloseInfo;
    if (failed !== undefined) {
      info = { code: failed.code, reason: failed.error.reason ?? "", clean: false, error: failed.error };
    } else if (received !== undefined && this.#closeSent) {
      info = { code: received.code, reason: received.reason, clean: true };
    } else {
      const error = failure("CONNECTION_ENDED", "the connection was lost without a closing handshake");
      info = { code: 1006, reason: "", clean: false, error };
    }
    this.#finish(info);
  }

  // ---- inputs: the application ----

  /**
   * Queues a message: `TEXT` (the default for strings) or `BINARY` (the default for bytes).
   * `token` is settled once its frame has been written. Throws INVALID for a bad argument and
   * CLIENT_CLOSED once closing, before anything is queued.
   */
  send(data: string | Uint8Array | ArrayBuffer, type: number | undefined, token: T, now: number): void {
    if (this.#closeSent || this.#state === "CLOSED") throw this.#gone();
    let frame: Buffer | Promise<Buffer>;
    try {
      frame = this.#encodeMessage(data, type);
    } catch (error) {
      throw this.#encodingFailed(error);
    }
    if (frame instanceof Promise) {
      this.#sendWhenCompressed(frame, data, type, token);
      return;
    }
    // What runs for every message sent stops here: the rest is in functions of their own, so that
    // V8 has less of it to compile.
    const wireSize = payloadLength(frame);
    // An uncompressed frame already says how large its payload is; only a compressed message
    // needs its input measured (a string's UTF-8 length is a pass over it).
    const size = (frame[0]! & 0x40) === 0 ? wireSize : this.#byteSize(data);
    if (!this.#fits(frame.length)) throw this.#overflow();
    const counters = this.#counters;
    counters.messagesOut++;
    counters.payloadBytesOut += size;
    this.#sent((frame[0]! & 0x0f) === OP_TEXT, size, wireSize);
    this.#queueInOrder(frame, token, now);
  }

  /** The error a send throws when its message could not be encoded. */
  #encodingFailed(error: unknown): WebSocketError {
    if (error instanceof WebSocketError) return error;
    if (error instanceof TypeError) {
      // A detached ArrayBuffer, say: the argument cannot be read.
      return failure("INVALID_ARGUMENT", `message data cannot be read: ${error.message}`, { cause: error });
    }
    // Our deflater failed: the connection cannot go on in order.
    this.#failOurs("INTERNAL_ERROR", `compression failed: ${(error as Error).message}`, error);
    return this.#failure!.error;
  }

  /** Fails the connection for a send past write_limit, and returns the error the send throws. */
  #overflow(): WebSocketError {
    const limit = this.#config.writeLimit;
    this.#abort(
      "OUTGOING_OVERFLOW",
      `more than write_limit (${limit} bytes) is waiting to be written: the peer is not reading`,
    );
    return this.#failure!.error;
  }

  /** A message being compressed in the background: queued in order, as a job for the host. */
  #sendWhenCompressed(
    work: Promise<Buffer>,
    data: string | Uint8Array | ArrayBuffer,
    type: number | undefined,
    token: T,
  ): void {
    const size = this.#byteSize(data);
    if (!this.#fits(size)) throw this.#overflow();
    const counters = this.#counters;
    counters.messagesOut++;
    counters.payloadBytesOut += size;
    const text = typeof data === "string" ? type !== BINARY : type === TEXT;
    this.#pendingSends ??= new WeakMap();
    this.#pendingSends.set(work, { text, size });
    // Behind the messages still being compressed before it, in order, like every frame.
    const job: CodecJob = { work };
    if (this.#outbound === NONE) this.#outbound = [];
    this.#outbound.push({ ready: false, value: undefined, job, token, size });
    this.#outboundBytes += size;
    this.#host.job(job);
  }

  /** Sends a ping; `token` settles when its pong arrives, or with PING_TIMEOUT. */
  ping(data: string | Uint8Array | undefined, token: T, now: number): void {
    let payload: Buffer;
    if (data === undefined) {
      payload = Buffer.allocUnsafe(8);
      payload.writeDoubleBE(++this.#pingSequence);
    } else if (typeof data === "string") {
      payload = Buffer.from(data, "utf8");
    } else if (data instanceof Uint8Array) {
      payload = Buffer.from(data);
    } else {
      throw invalid("ping data must be a string or a Uint8Array");
    }
    if (payload.length > 125) throw invalid("ping data is longer than 125 bytes");
    if (this.#closeSent || this.#state === "CLOSED") throw this.#gone();
    const deadline = now + this.#config.pingTimeout;
    if (this.#pings === NONE) this.#pings = [];
    this.#pings.push({ payload, token, sentAt: now, deadline });
    this.#arm(deadline);
    this.#queueControl(OP_PING, payload, now);
  }

  /**
   * Starts the closing handshake: what is queued is written, then our Close. Throws INVALID for a
   * code that cannot be sent or a reason that does not fit. Does nothing once a Close is sent.
   */
  close(code: number, reason: string, now: number): void {
    if (typeof code !== "number") {
      throw invalid(`close code must be a number such as 1000, got ${typeof code} ${JSON.stringify(code)}`);
    }
    if (!isValidCloseCode(code)) {
      throw invalid(
        `close code ${String(code)} cannot be sent: use 1000–1003, 1007–1014 or 3000–4999 (1004–1006, 1015 and the unassigned rest of 1000–2999 are reserved)`,
      );
    }
    if (typeof reason !== "string") throw invalid("close reason must be a string");
    if (!reason.isWellFormed()) throw invalid("close reason is not well-formed Unicode");
    if (Buffer.byteLength(reason) > MAX_CLOSE_REASON_BYTES) {
      throw invalid(`close reason is longer than ${MAX_CLOSE_REASON_BYTES} bytes of UTF-8`);
    }
    if (this.#closeSent || this.#state === "CLOSED") return;
    this.#sendClose(code, reason, now);
  }

  /** The application took `message`, the oldest of those left waiting. */
  taken(message: Message): void {
    if (this.#unread === 0) return;
    this.#unread--;
    this.#unreadBytes -= message.type === "binary" ? message.data.length : this.#unreadTextSizes.shift();
    if (this.#paused && this.#roomToResume()) {
      this.#paused = false;
      this.#host.resumeSoon();
    }
    if (this.#terminal !== undefined && this.#unread === 0 && this.#inbound.length === 0) {
      // Everything before the peer's Close (or the failure) has been taken: give the application
      // one turn to reply, then send our Close.
      this.#terminalAt = 0;
      this.#arm(0);
    }
  }

  // ---- issue 17: fairness ----

  /**
   * Stops delivering after the current message, keeping the rest of the chunk as bytes, until
   * `release`: the host lets its event loop turn in between (a flood must not hold it). Bounds and
   * deadlines are unaffected; only the pace changes.
   */
  hold(): void {
    if (this.#state === "CLOSED") return;
    this.#held = true;
    this.#parser.pause();
  }

  /** Ends a `hold`: goes on with what was kept, unless the application's channel is full. */
  release(now: number): void {
    if (!this.#held) return;
    this.#held = false;
    this.resume(now);
  }

  /**
   * Memory the transport may read the next bytes straight into (the rest of a large frame, in
   * its message's buffer), or undefined for an ordinary read. Report the read with `receivedInto`.
   */
  readTarget(): Buffer | undefined {
    if (this.#paused || this.#held || this.#state === "CLOSED") return undefined;
    return this.#parser.directTarget(DIRECT_READ_MIN);
  }

  /** `count` bytes were read into the memory `readTarget` gave. */
  receivedInto(count: number, now: number): void {
    if (this.#state === "CLOSED") return;
    this.#lastRead = now;
    this.#counters.bytesIn += count;
    try {
      this.#parser.landed(count);
    } catch (error) {
      this.#failOurs("INTERNAL_ERROR", `receiving failed: ${(error as Error).message}`, error);
    }
  }

  // ---- end of issue 17 block ----

  /**
   * Goes on reading after `taken` made room: parses what was held, then lets the transport flow.
   * `now` matters only to a `clocked` engine (the silence before a read timeout starts over).
   */
  resume(now: number): void {
    if (this.#paused || this.#held || this.#state === "CLOSED") return;
    if (this.clocked) this.#lastRead = now;
    try {
      this.#parser.resume();
    } catch (error) {
      this.#failOurs("INTERNAL_ERROR", `receiving failed: ${(error as Error).message}`, error);
    }
    if (this.#paused || this.#parser.isPaused) return;
    if (this.#endPending) {
      this.#endPending = false;
      this.receiveEnd();
    } else if (this.#readingOff) {
      this.#readingOff = false;
      this.#host.reading(true);
    }
  }

  // ---- inputs: writing and time ----

  /**
   * The next write for the transport, or undefined when nothing waits. The host takes writes while
   * its transport accepts them; each completes, in order, with `written`.
   */
  takeOutput(): Buffer | undefined {
    if (this.#state === "CLOSED") return undefined;
    return this.#outbox.take();
  }

  /** The oldest `writes` writes under way completed (error undefined), or the transport failed. */
  written(error: Error | undefined, writes = 1): void {
    if (error !== undefined) {
      this.transportError(error);
      return;
    }
    const outbox = this.#outbox;
    this.#counters.bytesOut += outbox.written(this.#host, writes);
    if (outbox.waiting) this.#host.output();
    else if (this.#endWhenWritten && !outbox.busy) {
      this.#endWhenWritten = false;
      this.#host.shutdown("end");
    }
  }

  /** A job handed out by `EngineHost.job` finished: `result` is its output, or the error it failed with. */
  jobDone(job: CodecJob, result: Buffer | Error, now: number): void {
    const outIndex = this.#outbound.findIndex((slot) => slot.job === job);
    if (outIndex >= 0) {
      const slot = this.#outbound[outIndex]!;
      slot.ready = true;
      if (result instanceof Error) {
        // This frame and those behind it (which would leave out of order, or against a broken
        // context) fail with the failure itself.
        this.#failOurs("INTERNAL_ERROR", `compression failed: ${result.message}`, result);
        return;
      }
      slot.value = this.#deflated(job, result);
      this.#pumpOutbound(now);
      return;
    }
    const slot = this.#inbound.find((s) => s.job === job);
    if (slot === undefined) return;
    slot.ready = true;
    if (result instanceof Error) {
      this.#dropAfter(slot);
      this.#failInflate(result);
    } else {
      // Decoded even after a protocol error further on: this message came before it.
      slot.value = this.#toMessage(slot.opcode, result);
      slot.size = result.length;
      if (slot.value === undefined) this.#dropAfter(slot);
    }
    this.#pumpInbound();
  }

  /** Time passes: runs whatever deadline is due and asks to be woken for the next. */
  tick(now: number): void {
    this.#wakeAt = NEVER;
    if (this.#state === "CLOSED") return;
    const config = this.#config;
    if (this.#terminal !== undefined && now >= this.#terminalAt) {
      const { code } = this.#terminal;
      this.#terminal = undefined;
      if (!this.#closeSent) this.#sendClose(code, "", now);
    }
    if (due(this.#tcpEndDeadline, now)) {
      this.#tcpEndDeadline = NEVER;
      this.#host.shutdown("destroy");
      return;
    }
    if (due(this.#closeDeadline, now)) {
      this.#closeDeadline = NEVER;
      this.#abort("CLOSE_TIMEOUT", "the peer did not answer our Close");
      return;
    }
    const oldest = this.#outbox.oldest;
    if (config.writeTimeout > 0 && oldest !== undefined && now - oldest >= config.writeTimeout) {
      this.#abort("WRITE_TIMEOUT", `a write did not complete within ${formatDuration(config.writeTimeout)}`);
      return;
    }
    if (config.readTimeout > 0) {
      // Silence while we hold reading stopped for a full channel is ours, not the peer's.
      if (this.#paused) this.#lastRead = now;
      else if (now - this.#lastRead >= config.readTimeout) {
        this.#abort("READ_TIMEOUT", `nothing received for ${formatDuration(config.readTimeout)}`);
        return;
      }
    }
    if (config.keepalive > 0 && this.#keepaliveAt <= now && !this.#keepalive(now)) return;
    while (this.#pings.length > 0 && this.#pings[0]!.deadline <= now) {
      const ping = this.#pings.shift()!;
      const error = failure("PING_TIMEOUT", `no pong within ${formatDuration(config.pingTimeout)}`);
      this.#host.settle(ping.token, error);
    }
    this.#arm(this.#nextDeadline());
  }

  // ---- receiving ----

  // The parser's reports (FrameSink). Methods of the engine itself rather than closures over
  // it: an idle connection's memory is mostly small objects like those. Not for the host.

  /** @internal */
  onMessage(opcode: DataOpcode, payload: Buffer, compressed: boolean, text?: string): void {
    if (compressed) this.#inflate(opcode, payload);
    else if (text === undefined)
      this.#accept({ type: "binary", data: payload }, payload.length, payload.length);
    else this.#accept({ type: "text", data: text }, payload.length, payload.length);
  }

  /** @internal */
  onPing(payload: Buffer): void {
    if (!this.#closeSent) this.#queuePong(payload);
  }

  /** @internal */
  onPong(payload: Buffer): void {
    if (this.#keepalivePingedAt !== 0 && payload.equals(KEEPALIVE_PAYLOAD)) {
      this.#rtt(this.#lastRead - this.#keepalivePingedAt);
    }
    const pings = this.#pings;
    const index = pings.findIndex((p) => p.payload.equals(payload));
    if (index < 0) return;
    // A pong may answer only the latest of several pings (RFC 6455 §5.5.3): it settles the earlier ones too.
    this.#rtt(this.#lastRead - pings[index]!.sentAt);
    for (const ping of pings.splice(0, index + 1)) this.#host.settle(ping.token, undefined);
  }

  /** @internal */
  onClose(code: number, reason: string): void {
    this.#closeReceived = { code, reason };
    this.#state = "CLOSING";
    if (this.#closeSent) {
      this.#closeDeadline = NEVER;
      this.#awaitTcpEnd(this.#lastRead);
      return;
    }
    // Echo the code once the messages that came before it have been taken.
    this.#defer(code, this.#lastRead);
  }

  /** @internal */
  onError(id: ErrorId, message: string): void {
    this.#failPeer(id, message);
  }

  /** Takes a received message in order: behind any still being decompressed. */
  #accept(message: Message, size: number, wireSize: number): void {
    if (this.#inbound.length === 0) this.#deliver(message, size, wireSize);
    else this.#queueBehind(message, size, wireSize);
  }

  #queueBehind(message: Message, size: number, wireSize: number): void {
    this.#inbound.push({ ready: true, value: message, job: undefined, opcode: 0, size, wireSize });
  }

  #deliver(message: Message, size: number, wireSize: number): void {
    const counters = this.#counters;
    counters.messagesIn++;
    counters.payloadBytesIn += size;
    counters.wirePayloadBytesIn += wireSize;
    if (!this.#host.message(message, size, wireSize)) return;
    this.#unread++;
    this.#unreadBytes += size;
    if (message.type === "text") this.#unreadTextSizes.push(size);
    this.#checkRoom();
  }

  /** Stops reading, mid-chunk, while the application has left as much unread as the bounds allow. */
  #checkRoom(): void {
    // Below the bounds of an open connection there is room whatever the state (those of a closing
    // one are higher): the common case, checked first, once per message.
    const config = this.#config;
    if (
      this.#unread < config.channelCapacity &&
      this.#unreadBytes < config.channelBytes &&
      this.#inbound.length === 0
    )
      return;
    this.#stopIfFull();
  }

  /** The rest of `#checkRoom`, apart so that what runs per message stays small (V8 inlines it). */
  #stopIfFull(): void {
    if (this.#paused || this.#draining || this.#state === "CLOSED" || this.#roomToRead(1)) return;
    this.#paused = true;
    this.#parser.pause();
    if (!this.#readingOff) {
      this.#readingOff = true;
      this.#host.reading(false);
    }
  }

  /**
   * Whether another message may be read: fewer than channel_capacity messages (counting those
   * still being decompressed) and fewer than channel_bytes bytes unread. Once our Close is sent
   * the bounds rise (twice the capacity plus CLOSING_HEADROOM, twice the bytes) so that a
   * server's last messages and its Close still reach us when the application stopped reading.
   */
  #roomToRead(share: 1 | 0.5): boolean {
    const { channelCapacity, channelBytes } = this.#config;
    const messages = this.#unread + this.#inbound.length;
    const capacity = this.#closeSent ? channelCapacity * 2 + CLOSING_HEADROOM : channelCapacity;
    const bytes = this.#closeSent ? channelBytes * 2 : channelBytes;
    if (share === 1) return messages < capacity && this.#unreadBytes < bytes;
    return messages <= Math.floor(capacity / 2) && this.#unreadBytes <= bytes / 2;
  }

  /**
   * Whether reading stopped by the bounds may start again: once the application has taken half
   * of what they allow, so that stopping and starting is paid once per half a channel, not once
   * per message.
   */
  #roomToResume(): boolean {
    return this.#roomToRead(0.5);
  }

  #inflate(opcode: number, payload: Buffer): void {
    if (this.#inflater === undefined) {
      const params = this.#config.deflate!;
      const limit = this.#config.readLimit;
      this.#inflater = new MessageInflater(params.serverMaxWindowBits, params.serverNoContextTakeover, limit);
    }
    let result: Buffer | Promise<Buffer>;
    try {
      result = this.#inflater.inflate(payload);
    } catch (error) {
      this.#failInflate(error);
      return;
    }
    if (!(result instanceof Promise)) {
      const message = this.#toMessage(opcode, result);
      if (message !== undefined) this.#accept(message, result.length, payload.length);
      return;
    }
    const job: CodecJob = { work: result };
    if (this.#inbound === NONE) this.#inbound = [];
    this.#inbound.push({
      ready: false,
      value: undefined,
      job,
      opcode,
      size: payload.length,
      wireSize: payload.length,
    });
    this.#checkRoom();
    this.#host.job(job);
  }

  #toMessage(opcode: number, data: Buffer): Message | undefined {
    if (opcode !== OP_TEXT) return { type: "binary", data };
    const text = decodeUtf8(data);
    if (text === undefined) {
      this.#failPeer("INVALID_UTF8", "text message is not valid UTF-8");
      return undefined;
    }
    return { type: "text", data: text };
  }

  #failInflate(error: unknown): void {
    if (error instanceof InflateError) {
      if (error.id === "INTERNAL_ERROR") this.#failOurs(error.id, error.message, error);
      else this.#failPeer(error.id, error.message);
    } else {
      this.#failOurs("INTERNAL_ERROR", `decompression failed: ${(error as Error).message}`, error);
    }
  }

  /** A message that fails drops the ones queued behind it: they came after the failure. */
  #dropAfter(slot: InSlot): void {
    const index = this.#inbound.indexOf(slot);
    if (index >= 0) this.#inbound.length = index + 1;
  }

  #pumpInbound(): void {
    const queue = this.#inbound;
    while (queue.length > 0 && queue[0]!.ready) {
      const slot = queue.shift()!;
      if (slot.value !== undefined) this.#deliver(slot.value, slot.size, slot.wireSize);
    }
    if (queue.length > 0) return;
    if (this.#state === "CLOSED") {
      // The connection ended while these were being decompressed: now the channel may close.
      this.#inflater?.close();
      this.#host.ended();
    } else if (this.#terminal !== undefined && this.#unread === 0) {
      this.#terminalAt = 0;
      this.#arm(0);
    } else if (this.#paused && this.#roomToResume()) {
      this.#paused = false;
      this.#host.resumeSoon();
    }
  }

  #rtt(rtt: number): void {
    this.#counters.lastRtt = rtt;
    this.#host.pong(rtt);
  }

  /** Keep-alive at `now`; false when it failed the connection. */
  #keepalive(now: number): boolean {
    const { keepalive, keepaliveTimeout } = this.#config;
    const pingedAt = this.#keepalivePingedAt;
    if (this.#paused) {
      // While we hold reading stopped we cannot see a pong: the clock stops.
      this.#keepalivePingedAt = 0;
      this.#keepaliveAt = now + keepalive;
    } else if (pingedAt !== 0 && this.#lastRead < pingedAt) {
      if (now - pingedAt >= keepaliveTimeout) {
        const silence = formatDuration(now - this.#lastRead);
        this.#abort("KEEPALIVE_TIMEOUT", `keep-alive: nothing received for ${silence}, not even a pong`);
        return false;
      }
      this.#keepaliveAt = pingedAt + keepaliveTimeout;
    } else {
      // Any byte received counts as life, not only the pong.
      this.#keepalivePingedAt = 0;
      const idle = now - this.#lastRead;
      if (idle >= keepalive && !this.#closeSent) {
        this.#keepalivePingedAt = now;
        this.#queueControl(OP_PING, KEEPALIVE_PAYLOAD, now);
        this.#keepaliveAt = now + keepaliveTimeout;
      } else {
        this.#keepaliveAt = this.#lastRead + keepalive;
      }
    }
    return true;
  }

  // ---- sending ----

  /** Checks a message and encodes it as a frame, compressed when negotiated and large enough. */
  #encodeMessage(
    data: string | Uint8Array | ArrayBuffer,
    type: number | undefined,
  ): Buffer | Promise<Buffer> {
    if (type !== undefined && type !== TEXT && type !== BINARY) {
      throw invalid(`message type must be websocket.TEXT (1) or websocket.BINARY (2), got ${String(type)}`);
    }
    if (typeof data === "string") {
      if (type === BINARY) return this.#frame(OP_BINARY, Buffer.from(data, "utf8"));
      if (!data.isWellFormed()) throw invalid("text contains a lone surrogate: it is not valid Unicode");
      const length = Buffer.byteLength(data);
      if (this.#config.deflate === undefined || length < this.#config.compressionThreshold) {
        return encodeTextFrame(data, length, this.#masks.bytes, this.#masks.next());
      }
      return this.#compressed(OP_TEXT, Buffer.from(data, "utf8"));
    }
    let bytes: Uint8Array;
    if (data instanceof Uint8Array) bytes = data;
    else if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
    else throw invalid("message data must be a string, a Uint8Array or an ArrayBuffer");
    if (type === TEXT) {
      if (!isUtf8(bytes)) throw invalid("TEXT message bytes are not valid UTF-8");
      return this.#frame(OP_TEXT, bytes);
    }
    return this.#frame(OP_BINARY, bytes);
  }

  #frame(opcode: number, bytes: Uint8Array): Buffer | Promise<Buffer> {
    if (this.#config.deflate === undefined || bytes.length < this.#config.compressionThreshold) {
      const memory = bytes.length < POOLED_FRAME_MIN ? undefined : takeFrameMemory(bytes.length + 14);
      return encodeFrame(
        opcode === OP_BINARY ? BINARY_FRAME : TEXT_FRAME,
        bytes,
        this.#masks.bytes,
        this.#masks.next(),
        memory,
      );
    }
    return this.#compressed(opcode, bytes);
  }

  /** Deflates a message into a frame with RSV1 set; asynchronous only for large messages. */
  #compressed(opcode: number, bytes: Uint8Array): Buffer | Promise<Buffer> {
    if (this.#deflater === undefined) {
      const params = this.#config.deflate!;
      this.#deflater = new MessageDeflater(
        params.clientMaxWindowBits,
        params.clientNoContextTakeover || this.#config.deflateNoContext,
      );
    }
    const input = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const result = this.#deflater.deflate(input);
    if (result instanceof Promise) {
      this.#pendingOpcodes ??= new WeakMap();
      this.#pendingOpcodes.set(result, opcode);
      return result;
    }
    return encodeFrame({ opcode, rsv1: true }, result, this.#masks.bytes, this.#masks.next());
  }

  #deflated(job: CodecJob, payload: Buffer): Buffer {
    const opcode = this.#pendingOpcodes?.get(job.work) ?? OP_BINARY;
    const frame = encodeFrame({ opcode, rsv1: true }, payload, this.#masks.bytes, this.#masks.next());
    const send = this.#pendingSends?.get(job.work);
    if (send !== undefined) this.#sent(send.text, send.size, payloadLength(frame));
    return frame;
  }

  /** Counts a data frame queued, of `wireSize` payload bytes on the wire, and tells the host. */
  #sent(text: boolean, size: number, wireSize: number): void {
    this.#counters.wirePayloadBytesOut += wireSize;
    this.#host.sent(text ? "text" : "binary", size, wireSize);
  }

  #byteSize(data: string | Uint8Array | ArrayBuffer): number {
    return typeof data === "string" ? Buffer.byteLength(data) : data.byteLength;
  }

  /** Whether `size` more bytes may wait to be written; a lone frame always may. */
  #fits(size: number): boolean {
    const queued = this.bufferedAmount;
    return queued === 0 || queued + size <= this.#config.writeLimit;
  }

  /**
   * Queues a frame behind any message still being compressed, so that messages (and the Close)
   * leave in the order they were sent.
   */
  #queueInOrder(frame: Buffer, token: T | undefined, now: number): void {
    if (this.#outbound.length === 0) this.#push(frame, token, now);
    else this.#outbound.push({ ready: true, value: frame, job: undefined, token, size: 0 });
  }

  #pumpOutbound(now: number): void {
    const queue = this.#outbound;
    while (queue.length > 0 && queue[0]!.ready) {
      const slot = queue.shift()!;
      this.#outboundBytes -= slot.size;
      if (slot.value !== undefined && this.#state !== "CLOSED") this.#push(slot.value, slot.token, now);
      else this.#dropOutbound(slot);
    }
  }

  #dropOutbound(slot: OutSlot<T>): void {
    this.#outboundBytes -= slot.ready ? 0 : slot.size;
    if (slot.token !== undefined) this.#host.settle(slot.token, this.#unusable());
  }

  #queueControl(opcode: number, payload: Uint8Array, now: number): void {
    this.#push(encodeFrame({ opcode }, payload, this.#masks.bytes, this.#masks.next()), undefined, now);
  }

  #queuePong(payload: Buffer): void {
    const frame = encodeFrame({ opcode: OP_PONG }, payload, this.#masks.bytes, this.#masks.next());
    const idle = this.#outbox.idle;
    this.#outbox.pushPong(frame, this.#lastRead);
    this.#wrote(idle, this.#lastRead);
  }

  #push(frame: Buffer, token: T | undefined, now: number): void {
    const idle = this.#outbox.idle;
    this.#outbox.push(frame, token, now);
    this.#wrote(idle, now);
  }

  /** A frame was queued: the host should write; from an idle outbox the write deadline starts. */
  #wrote(idle: boolean, now: number): void {
    const timeout = this.#config.writeTimeout;
    if (idle && timeout > 0) this.#arm(now + timeout);
    this.#host.output();
  }

  #sendClose(code: number, reason: string, now: number): void {
    this.#closeSent = true;
    this.#state = "CLOSING";
    // The peer's Close must be read even though the application may have stopped reading: the
    // bounds rise now (see #roomToRead), and nothing is dropped.
    if (this.#paused && this.#roomToResume()) {
      this.#paused = false;
      this.#host.resumeSoon();
    }
    const frame = encodeFrame(
      { opcode: OP_CLOSE },
      encodeClosePayload(code, reason),
      this.#masks.bytes,
      this.#masks.next(),
    );
    this.#queueInOrder(frame, undefined, now);
    if (this.#closeReceived !== undefined || this.#failure !== undefined) {
      // After a failure the parser reads nothing more, so there is no Close of theirs to wait for.
      this.#awaitTcpEnd(now);
    } else {
      this.#closeDeadline = now + this.#config.closeTimeout;
      this.#arm(this.#closeDeadline);
    }
  }

  /** Both Close frames are exchanged: the server should end TCP first; give it a moment, then end it ourselves. */
  #awaitTcpEnd(now: number): void {
    this.#closeDeadline = NEVER;
    this.#tcpEndDeadline = now + this.#config.tcpEndTimeout;
    this.#arm(this.#tcpEndDeadline);
  }

  // ---- failing ----

  #make(id: ErrorId, message: string, cause?: unknown): Failure {
    const code = closeCodeOf(id);
    // A reason goes with a failure we close with a code of ours; a lost connection (1006) has none.
    const reason = code === 1006 ? {} : { reason: message };
    const error = failure(id, message, cause === undefined ? reason : { ...reason, cause });
    return { code, error };
  }

  /**
   * The peer broke the protocol, or sent more than our limits take: our Close with the failure's
   * code follows the messages that came before it.
   */
  #failPeer(id: ErrorId, message: string): void {
    if (this.#failure !== undefined || this.#state === "CLOSED") return;
    this.#parser.stop();
    const prefix = id === "MESSAGE_TOO_LARGE" ? "" : "protocol error from the peer: ";
    this.#failure = this.#make(id, `${prefix}${message}`);
    this.#state = "CLOSING";
    this.#defer(this.#failure.code, this.#lastRead);
  }

  /** Something failed on our side: nothing more is read, our Close with 1011 goes out at once. */
  #failOurs(id: ErrorId, message: string, cause: unknown): void {
    if (this.#failure !== undefined || this.#state === "CLOSED") return;
    this.#parser.stop();
    this.#failure = this.#make(id, message, cause);
    this.#state = "CLOSING";
    const dropped = this.#outbound;
    this.#outbound = NONE;
    for (const slot of dropped) this.#dropOutbound(slot);
    if (!this.#closeSent) this.#sendClose(this.#failure.code, "", this.#lastRead);
    else this.#awaitTcpEnd(this.#lastRead);
  }

  /** Fails the connection at once, without a closing handshake. */
  #abort(id: ErrorId, message: string): void {
    if (this.#state === "CLOSED") return;
    if (this.#failure === undefined) this.#failure = this.#make(id, message);
    this.#state = "CLOSING";
    this.#host.shutdown("destroy");
  }

  /**
   * Sends a Close with `code` only once the messages that arrived before it have been taken and
   * the application had a turn to react, so that a reply it sends (an echo, say) goes out before
   * our Close. Bounded by terminalGrace when nobody reads.
   */
  #defer(code: number, now: number): void {
    this.#terminal = { code };
    this.#terminalAt =
      this.#unread === 0 && this.#inbound.length === 0 ? 0 : now + this.#config.terminalGrace;
    this.#arm(this.#terminalAt);
  }

  /**
   * What a send or ping on a closing or closed client throws: CLIENT_CLOSED, not retryable,
   * whatever ended the connection; that stays reachable as `cause`.
   */
  #gone(): WebSocketError {
    const message =
      this.#closeSent && this.#state !== "CLOSED" ? "the connection is closing" : "the connection is closed";
    const cause = this.#failure?.error;
    return failure("CLIENT_CLOSED", message, cause === undefined ? {} : { cause });
  }

  /** What an operation under way when the connection ended fails with: why it ended. */
  #unusable(): WebSocketError {
    return (
      this.#failure?.error ??
      failure("CLIENT_CLOSED", this.#closeSent ? "the connection is closing" : "the connection is closed")
    );
  }

  #finish(info: CloseInfo): void {
    this.#state = "CLOSED";
    this.#parser.stop();
    this.#terminal = undefined;
    const error = info.error ?? failure("CLIENT_CLOSED", "the connection is closed");
    for (const token of this.#outbox.drain()) if (token !== undefined) this.#host.settle(token, error);
    const pings = this.#pings;
    const outbound = this.#outbound;
    this.#pings = NONE;
    this.#outbound = NONE;
    for (const ping of pings) this.#host.settle(ping.token, error);
    for (const slot of outbound) if (slot.token !== undefined) this.#host.settle(slot.token, error);
    this.#outboundBytes = 0;
    this.#deflater?.close();
    this.#host.closed(info);
    // Messages still being decompressed were received before the end: the channel closes after them.
    if (this.#inbound.length === 0) {
      this.#inflater?.close();
      this.#host.ended();
    }
  }

  // ---- time ----

  #nextDeadline(): number {
    let at = earlier(this.#closeDeadline, this.#tcpEndDeadline);
    if (this.#terminal !== undefined) at = earlier(at, this.#terminalAt);
    const config = this.#config;
    const oldest = this.#outbox.oldest;
    if (config.writeTimeout > 0 && oldest !== undefined) at = earlier(at, oldest + config.writeTimeout);
    if (config.readTimeout > 0) at = earlier(at, this.#lastRead + config.readTimeout);
    if (config.keepalive > 0) at = earlier(at, this.#keepaliveAt);
    if (this.#pings.length > 0) at = earlier(at, this.#pings[0]!.deadline);
    return at;
  }

  /** Asks the host to wake us at `at` unless it already will sooner. */
  #arm(at: number): void {
    if (at === NEVER || due(this.#wakeAt, at)) return;
    this.#wakeAt = at;
    this.#host.wake(at);
  }
}
