import type { Socket } from "node:net";
import { type Channel, ChannelCore } from "../channel/channel.js";
import { type DeflateParams, InflateError, MessageDeflater, MessageInflater } from "../deflate/index.js";
import { invalid, WebSocketError } from "../errors/errors.js";
import { encodeClosePayload, isValidCloseCode, MAX_CLOSE_REASON_BYTES } from "../framing/close.js";
import { encodeFrame, encodeTextFrame } from "../framing/encoder.js";
import { giveFrameMemory, POOLED_FRAME_MIN, takeFrameMemory } from "../framing/frame-memory.js";
import { maskKeys } from "../framing/mask-keys.js";
import { OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT } from "../framing/opcodes.js";
import { FrameParser, type FrameSink } from "../framing/parser.js";
import { decodeUtf8, isUtf8 } from "../framing/utf8.js";
import { formatDuration } from "../options/duration.js";
import type { ResolvedOptions } from "../options/options.js";
import { BINARY, COMPRESSION, TEXT } from "../protocol/constants.js";

/** A received message: text as a string, binary as a Buffer. */
export type Message =
  | { readonly type: "text"; readonly data: string }
  | { readonly type: "binary"; readonly data: Buffer };

/** How a connection ended. */
export interface CloseInfo {
  /** The close code received from the peer (1005 when its Close had none), the code we failed with, or 1006 when the connection was lost. */
  readonly code: number;
  /** The close reason received from the peer (or the one we failed with), "" when none. */
  readonly reason: string;
  /** Whether the closing handshake completed: both Close frames exchanged. */
  readonly clean: boolean;
  /** What went wrong, when the connection did not end with a closing handshake the peer asked for or agreed to. */
  readonly error?: WebSocketError;
}

/** How long to wait for the peer's Close after sending ours (RFC 6455 §7.1.1). */
const CLOSE_TIMEOUT_MS = 5000;
/** How long to wait, after both Close frames, for the server to end TCP first (§7.1.1). */
const TCP_END_TIMEOUT_MS = 1000;
/** Extra room in the channel once our Close is sent (see #capacity). */
const CLOSING_HEADROOM = 64;
/** How long a protocol error or the peer's Close may wait behind messages delivered before it. */
const TERMINAL_GRACE_MS = 1000;
/** Below this total, frames written together are joined into one buffer rather than corked. */
const COALESCE_BYTES = 64 * 1024;
/** The payload of keep-alive pings, told apart from the application's own. */
const KEEPALIVE_PAYLOAD = Buffer.from("wschan keep-alive");
/** Ping timeout when no read_timeout is set. */
const DEFAULT_PING_TIMEOUT_MS = 30_000;

interface Pending {
  resolve(value: boolean): void;
  reject(error: Error): void;
}

interface PendingPing extends Pending {
  readonly payload: Buffer;
  readonly timer: NodeJS.Timeout;
}

const noop = (): void => {};

/** Returns `promise` after making sure that ignoring it never raises an unhandled rejection. */
function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(noop);
  return promise;
}

function deferred(): { promise: Promise<boolean>; pending: Pending } {
  let pending!: Pending;
  const promise = new Promise<boolean>((resolve, reject) => {
    pending = { resolve, reject };
  });
  return { promise: quiet(promise), pending };
}

function closedError(message = "the connection is closed"): WebSocketError {
  return new WebSocketError("INTERNAL", message);
}

/** Data a negotiated connection starts with. */
export interface ClientInit {
  readonly socket: Socket;
  /** Bytes that came after the handshake response: the first frames. */
  readonly head: Buffer;
  readonly url: string;
  readonly protocol: string;
  readonly extensions: string;
  readonly options: ResolvedOptions;
  /** The permessage-deflate parameters agreed, when compression was negotiated. */
  readonly deflate?: DeflateParams | undefined;
  /** The HTTP version that carries the connection. Default "1.1". */
  readonly httpVersion?: "1.1" | "2";
}

/** A message waiting for asynchronous (de)compression, kept in line so order is preserved. */
interface Slot<T> {
  ready: boolean;
  value: T | undefined;
}

interface OutSlot extends Slot<Buffer> {
  readonly pending: Pending | undefined;
}

/** An open WebSocket connection. Made by `connect`. */
export class Client {
  /** The URL that was dialled. */
  readonly url: string;
  /** The subprotocol the server chose, or "". */
  readonly protocol: string;
  /** The extensions the server agreed to, as its header gave them, or "". */
  readonly extensions: string;
  /** Resolves once the connection has ended, with how it ended. Never rejects. */
  readonly closed: Promise<CloseInfo>;
  /** The HTTP version that carries the connection: "1.1", or "2" for a stream of an HTTP/2 session (RFC 8441). */
  readonly httpVersion: "1.1" | "2";

  #socket: Socket;
  #options: ResolvedOptions;
  #parser: FrameParser;
  #inbox = new ChannelCore<Message>();

  #resolveClosed!: (info: CloseInfo) => void;
  #finished = false;
  #closeSent = false;
  #closeReceived: { code: number; reason: string } | undefined;
  #failure: { code: number; error: WebSocketError } | undefined;
  #closeWaiters: Pending[] = [];
  #closeTimer: NodeJS.Timeout | undefined;

  #outFrames: Buffer[] = [];
  #outWaiters: (Pending | undefined)[] = [];
  #outBytes = 0;
  #flushScheduled = false;
  #waitingDrain = false;
  /** Timers of sends under write_timeout; made only when that option is set. */
  #writeTimers: Set<NodeJS.Timeout> | undefined;

  #pings: PendingPing[] = [];
  #pingSequence = 0;

  #pausedByChannel = false;
  #terminal: (() => void) | undefined;
  #terminalTimer: NodeJS.Timeout | undefined;

  #lastRead = 0;
  #readTimer: NodeJS.Timeout | undefined;
  #keepaliveTimer: NodeJS.Timeout | undefined;

  #deflateParams: DeflateParams | undefined;
  #inflater: MessageInflater | undefined;
  #deflater: MessageDeflater | undefined;
  #compressionThreshold: number;
  /** Received messages behind one still being decompressed; empty when nothing is pending. */
  #inbound: Slot<Message>[] = [];
  /** Outgoing frames behind one still being compressed; empty when nothing is pending. */
  #outbound: OutSlot[] = [];

  /** @internal Clients are made by `connect`. */
  constructor(init: ClientInit) {
    this.url = init.url;
    this.protocol = init.protocol;
    this.extensions = init.extensions;
    this.httpVersion = init.httpVersion ?? "1.1";
    this.#socket = init.socket;
    this.#options = init.options;
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    const readLimit = init.options.readLimit;
    this.#deflateParams = init.deflate;
    this.#compressionThreshold =
      init.options.compressionThreshold > 0
        ? init.options.compressionThreshold
        : init.options.compression === COMPRESSION.NO_CONTEXT
          ? 512
          : 128;
    this.#parser = new FrameParser(this.#sink(), {
      maxMessageSize: readLimit,
      compression: init.deflate !== undefined,
      // Incompressible data grows a little when deflated (stored blocks: 5 bytes per block).
      maxCompressedSize: readLimit + Math.ceil(readLimit / 1024) + 1024,
    });
    this.#inbox.onTake = () => this.#onTake();

    const socket = init.socket;
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("end", () => this.#onEnd());
    socket.on("error", (error: Error) => this.#onSocketError(error));
    socket.on("close", () => this.#onSocketClose());
    if (init.options.readTimeout > 0 || init.options.keepalive > 0) this.#lastRead = Date.now();
    if (init.options.readTimeout > 0) this.#armReadTimer();
    if (init.options.keepalive > 0) this.#armKeepalive();
    if (init.head.length > 0) this.#onData(init.head);
  }

  /** The receive channel (the same object on every call). It closes once the connection has closed and every message received before has been taken. */
  channel(): Channel<Message> {
    return this.#inbox.channel;
  }

  /**
   * Sends a message: `TEXT` (the default for strings) or `BINARY` (the default for bytes).
   * Resolves `true` once the frame has been handed to the socket.
   */
  send(data: string | Uint8Array | ArrayBuffer, type?: number): Promise<boolean> {
    let frame: Buffer | Promise<Buffer>;
    try {
      if (this.#closeSent || this.#finished) throw this.#gone();
      frame = this.#encodeMessage(data, type);
    } catch (error) {
      return quiet(Promise.reject(error));
    }
    const { promise, pending } = deferred();
    this.#enqueueInOrder(frame, pending);
    return promise;
  }

  /** Sends a ping and resolves `true` when its pong arrives; rejects with TIMEOUT after `read_timeout` (30 s when unset). */
  ping(data?: string | Uint8Array): Promise<boolean> {
    let payload: Buffer;
    if (data === undefined) {
      payload = Buffer.allocUnsafe(8);
      payload.writeDoubleBE(++this.#pingSequence);
    } else if (typeof data === "string") {
      payload = Buffer.from(data, "utf8");
    } else if (data instanceof Uint8Array) {
      payload = Buffer.from(data);
    } else {
      return quiet(Promise.reject(invalid("ping data must be a string or a Uint8Array")));
    }
    if (payload.length > 125) return quiet(Promise.reject(invalid("ping data is longer than 125 bytes")));
    if (this.#closeSent || this.#finished) return quiet(Promise.reject(this.#gone()));
    const timeout = this.#options.readTimeout > 0 ? this.#options.readTimeout : DEFAULT_PING_TIMEOUT_MS;
    const promise = quiet(
      new Promise<boolean>((resolve, reject) => {
        const timer = setTimeout(() => {
          const index = this.#pings.indexOf(ping);
          if (index >= 0) this.#pings.splice(index, 1);
          reject(
            new WebSocketError("TIMEOUT", `no pong within ${formatDuration(timeout)}`, { retryable: true }),
          );
        }, timeout);
        timer.unref();
        const ping: PendingPing = { payload, timer, resolve, reject };
        this.#pings.push(ping);
      }),
    );
    this.#enqueue(this.#control(OP_PING, payload), undefined);
    return promise;
  }

  /**
   * Starts the closing handshake: every message already queued is written, then a Close with
   * `code` (default 1000) and `reason`; resolves once the connection has ended. Closing again
   * resolves `true`.
   */
  close(code = 1000, reason = ""): Promise<boolean> {
    if (typeof code !== "number" || !isValidCloseCode(code)) {
      return quiet(
        Promise.reject(
          invalid(`close code ${String(code)} cannot be sent (use 1000–4999, not 1004–1006 or 1015)`),
        ),
      );
    }
    if (typeof reason !== "string") return quiet(Promise.reject(invalid("close reason must be a string")));
    if (!reason.isWellFormed())
      return quiet(Promise.reject(invalid("close reason is not well-formed Unicode")));
    if (Buffer.byteLength(reason) > MAX_CLOSE_REASON_BYTES) {
      return quiet(
        Promise.reject(invalid(`close reason is longer than ${MAX_CLOSE_REASON_BYTES} bytes of UTF-8`)),
      );
    }
    if (this.#finished) return Promise.resolve(true);
    const { promise, pending } = deferred();
    this.#closeWaiters.push(pending);
    if (!this.#closeSent) this.#sendClose(code, reason);
    return promise;
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
      if (this.#deflateParams === undefined || length < this.#compressionThreshold) {
        return encodeTextFrame(data, length, maskKeys.bytes, maskKeys.next());
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
    if (this.#deflateParams === undefined || bytes.length < this.#compressionThreshold) {
      const memory = bytes.length < POOLED_FRAME_MIN ? undefined : takeFrameMemory(bytes.length + 14);
      return encodeFrame({ opcode }, bytes, maskKeys.bytes, maskKeys.next(), memory);
    }
    return this.#compressed(opcode, bytes);
  }

  /** Deflates a message into a frame with RSV1 set; asynchronous only for large messages. */
  #compressed(opcode: number, bytes: Uint8Array): Buffer | Promise<Buffer> {
    if (this.#deflater === undefined) {
      const params = this.#deflateParams!;
      this.#deflater = new MessageDeflater(
        params.clientMaxWindowBits,
        params.clientNoContextTakeover || this.#options.compression === COMPRESSION.NO_CONTEXT,
      );
    }
    const input = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const result = this.#deflater.deflate(input);
    const encode = (payload: Buffer): Buffer =>
      encodeFrame({ opcode, rsv1: true }, payload, maskKeys.bytes, maskKeys.next());
    return result instanceof Promise ? result.then(encode) : encode(result);
  }

  /**
   * Queues a frame behind any message still being compressed, so that messages (and the Close)
   * leave in the order they were sent.
   */
  #enqueueInOrder(frame: Buffer | Promise<Buffer>, pending: Pending | undefined): void {
    if (!(frame instanceof Promise)) {
      if (this.#outbound.length === 0) this.#enqueue(frame, pending);
      else this.#outbound.push({ ready: true, value: frame, pending });
      return;
    }
    const slot: OutSlot = { ready: false, value: undefined, pending };
    this.#outbound.push(slot);
    frame.then(
      (value) => {
        slot.value = value;
        slot.ready = true;
        this.#pumpOutbound();
      },
      (error: unknown) => {
        slot.ready = true;
        this.#pumpOutbound();
        const message = `compression failed: ${(error as Error).message}`;
        this.#abort(1006, new WebSocketError("INTERNAL", message, { cause: error }));
      },
    );
  }

  #pumpOutbound(): void {
    const queue = this.#outbound;
    while (queue.length > 0 && queue[0]!.ready) {
      const slot = queue.shift()!;
      if (slot.value !== undefined && !this.#finished) this.#enqueue(slot.value, slot.pending);
      else slot.pending?.reject(this.#unusable());
    }
  }

  #control(opcode: number, payload: Uint8Array): Buffer {
    return encodeFrame({ opcode }, payload, maskKeys.bytes, maskKeys.next());
  }

  #enqueue(frame: Buffer, waiter: Pending | undefined): void {
    if (this.#options.writeTimeout > 0) {
      // write_timeout bounds control frames (ping, pong, Close) too: they get a waiter of their own.
      waiter ??= { resolve: noop, reject: noop };
      this.#armWriteTimer(waiter);
    }
    this.#outFrames.push(frame);
    this.#outWaiters.push(waiter);
    this.#outBytes += frame.length;
    if (!this.#flushScheduled && !this.#waitingDrain) {
      this.#flushScheduled = true;
      // Frames queued in the same tick leave in one write.
      process.nextTick(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#waitingDrain || this.#finished || this.#outFrames.length === 0) return;
    const socket = this.#socket;
    const frames = this.#outFrames;
    const waiters = this.#outWaiters;
    const total = this.#outBytes;
    this.#outFrames = [];
    this.#outWaiters = [];
    this.#outBytes = 0;
    const done = (error?: Error | null): void => {
      // Node reports a write that libuv cancelled because the socket was reset with no error at
      // all; a socket already destroyed when the callback runs did not take the bytes.
      const failed = error || socket.destroyed;
      for (const waiter of waiters) {
        if (waiter === undefined) continue;
        if (failed) waiter.reject(this.#unusable(error ?? undefined));
        else waiter.resolve(true);
      }
      // The socket is done with these bytes. A large frame's memory is ours alone (never shown to
      // the application), so later large frames may reuse it.
      if (!failed) {
        for (const frame of frames) {
          if (frame.length >= POOLED_FRAME_MIN && frame.byteOffset === 0)
            giveFrameMemory(frame.buffer as ArrayBuffer);
        }
      }
    };
    let ok: boolean;
    if (frames.length === 1) {
      ok = socket.write(frames[0]!, done);
    } else if (total <= COALESCE_BYTES) {
      ok = socket.write(Buffer.concat(frames, total), done);
    } else {
      socket.cork();
      const last = frames.length - 1;
      for (let i = 0; i < last; i++) socket.write(frames[i]!);
      ok = socket.write(frames[last]!, done);
      socket.uncork();
    }
    if (!ok) {
      this.#waitingDrain = true;
      socket.once("drain", () => {
        this.#waitingDrain = false;
        this.#flush();
      });
    }
  }

  #armWriteTimer(waiter: Pending): void {
    const timeout = this.#options.writeTimeout;
    const timer = setTimeout(() => {
      this.#writeTimers?.delete(timer);
      const error = new WebSocketError(
        "TIMEOUT",
        `a write did not complete within ${formatDuration(timeout)}`,
        {
          retryable: true,
        },
      );
      waiter.reject(error);
      this.#abort(1006, error);
    }, timeout);
    timer.unref();
    this.#writeTimers ??= new Set();
    this.#writeTimers.add(timer);
    const resolve = waiter.resolve;
    const reject = waiter.reject;
    waiter.resolve = (value) => {
      clearTimeout(timer);
      this.#writeTimers?.delete(timer);
      resolve(value);
    };
    waiter.reject = (error) => {
      clearTimeout(timer);
      this.#writeTimers?.delete(timer);
      reject(error);
    };
  }

  #sendClose(code: number, reason: string): void {
    this.#closeSent = true;
    // The peer's Close must be read even though the application may have stopped reading: the
    // channel now holds more before the socket pauses (see #capacity), and nothing is dropped.
    if (this.#pausedByChannel && this.#inbox.length + this.#inbound.length < this.#capacity()) {
      this.#pausedByChannel = false;
      this.#socket.resume();
    }
    this.#enqueueInOrder(this.#control(OP_CLOSE, encodeClosePayload(code, reason)), undefined);
    if (this.#closeReceived !== undefined || this.#failure !== undefined) {
      // After a failure the parser reads nothing more, so there is no Close of theirs to wait for.
      this.#awaitTcpEnd();
    } else {
      this.#closeTimer = setTimeout(() => {
        this.#abort(
          1006,
          new WebSocketError("TIMEOUT", "the peer did not answer our Close", { retryable: true }),
        );
      }, CLOSE_TIMEOUT_MS);
    }
  }

  /** Both Close frames are exchanged: the server should end TCP first; give it a moment, then end it ourselves. */
  #awaitTcpEnd(): void {
    clearTimeout(this.#closeTimer);
    this.#closeTimer = setTimeout(() => this.#socket.destroy(), TCP_END_TIMEOUT_MS);
    this.#closeTimer.unref();
  }

  /**
   * What a send or ping on a closing or closed client rejects with: INTERNAL and not retryable
   * (API.md), whatever ended the connection; that stays reachable as `cause`.
   */
  #gone(): WebSocketError {
    const message =
      this.#closeSent && !this.#finished ? "the connection is closing" : "the connection is closed";
    const cause = this.#failure?.error;
    return new WebSocketError("INTERNAL", message, cause === undefined ? {} : { cause });
  }

  /** What an operation that was under way when the connection ended rejects with: why it ended. */
  #unusable(cause?: Error): WebSocketError {
    const failure = this.#failure;
    if (failure !== undefined) return failure.error;
    return new WebSocketError(
      "INTERNAL",
      this.#closeSent ? "the connection is closing" : "the connection is closed",
      cause === undefined ? {} : { cause },
    );
  }

  // ---- receiving ----

  #sink(): FrameSink {
    return {
      message: (opcode, payload, compressed, text) => {
        if (compressed) this.#inflate(opcode, payload);
        else
          this.#accept(text === undefined ? { type: "binary", data: payload } : { type: "text", data: text });
      },
      ping: (payload) => {
        if (!this.#closeSent) this.#enqueue(this.#control(OP_PONG, payload), undefined);
      },
      pong: (payload) => this.#onPong(payload),
      close: (code, reason) => {
        this.#closeReceived = { code, reason };
        if (this.#closeSent) {
          this.#awaitTcpEnd();
          return;
        }
        // Echo the code after the messages that came before it have been taken (see #defer).
        this.#defer(() => {
          if (!this.#closeSent) this.#sendClose(code, "");
        });
      },
      error: (code, message) => this.#failProtocol(code, message),
    };
  }

  /** Fails the connection for the peer's fault: our Close with `code` follows what came before. */
  #failProtocol(code: number, message: string): void {
    if (this.#failure !== undefined || this.#finished) return;
    this.#parser.stop();
    const error = new WebSocketError("INTERNAL", `protocol error from the peer (${code}): ${message}`, {
      code,
      reason: message,
    });
    this.#failure = { code, error };
    this.#defer(() => {
      if (!this.#closeSent) this.#sendClose(code, "");
    });
  }

  #inflate(opcode: number, payload: Buffer): void {
    if (this.#inflater === undefined) {
      const params = this.#deflateParams!;
      const limit = this.#options.readLimit;
      this.#inflater = new MessageInflater(params.serverMaxWindowBits, params.serverNoContextTakeover, limit);
    }
    const toMessage = (data: Buffer): Message | undefined => {
      if (opcode !== OP_TEXT) return { type: "binary", data };
      const text = decodeUtf8(data);
      if (text === undefined) {
        this.#failProtocol(1007, "text message is not valid UTF-8");
        return undefined;
      }
      return { type: "text", data: text };
    };
    const onError = (error: unknown): void => {
      const code = error instanceof InflateError ? error.closeCode : 1011;
      this.#failProtocol(code, (error as Error).message);
    };
    let result: Buffer | Promise<Buffer>;
    try {
      result = this.#inflater.inflate(payload);
    } catch (error) {
      onError(error);
      return;
    }
    if (!(result instanceof Promise)) {
      const message = toMessage(result);
      if (message !== undefined) this.#accept(message);
      return;
    }
    const slot: Slot<Message> = { ready: false, value: undefined };
    this.#inbound.push(slot);
    this.#checkBackpressure();
    // A message that fails drops the ones queued behind it: they came after the failure.
    const dropLater = (): void => {
      const index = this.#inbound.indexOf(slot);
      if (index >= 0) this.#inbound.length = index + 1;
    };
    result.then(
      (data) => {
        // Decoded even after a protocol error further on: this message came before it.
        slot.value = toMessage(data);
        if (slot.value === undefined) dropLater();
        slot.ready = true;
        this.#pumpInbound();
      },
      (error: unknown) => {
        dropLater();
        slot.ready = true;
        onError(error);
        this.#pumpInbound();
      },
    );
  }

  /** Takes a received message in order: behind any still being decompressed. */
  #accept(message: Message): void {
    if (this.#inbound.length === 0) this.#deliver(message);
    else this.#inbound.push({ ready: true, value: message });
  }

  #pumpInbound(): void {
    const queue = this.#inbound;
    while (queue.length > 0 && queue[0]!.ready) {
      const slot = queue.shift()!;
      if (slot.value !== undefined) this.#deliver(slot.value);
    }
    if (queue.length > 0) return;
    if (this.#finished) {
      // The connection ended while these were being decompressed: now the channel may close.
      this.#inbox.close();
      this.#inflater?.close();
    } else if (this.#terminal !== undefined && this.#inbox.length === 0) {
      setImmediate(() => this.#runTerminal());
    }
  }

  #deliver(message: Message): void {
    this.#inbox.send(message);
    this.#checkBackpressure();
  }

  /** Pauses the socket while the channel, with what is still being decompressed, is full. */
  #checkBackpressure(): void {
    if (
      !this.#pausedByChannel &&
      !this.#finished &&
      this.#inbox.length + this.#inbound.length >= this.#capacity()
    ) {
      this.#pausedByChannel = true;
      this.#socket.pause();
    }
  }

  /**
   * How many received messages may wait before the socket is paused: channel_capacity, and once
   * our Close is sent twice that plus CLOSING_HEADROOM, so that a server's last messages and its
   * Close reach us (a clean close) when the application stopped reading, while memory stays bounded.
   */
  #capacity(): number {
    const capacity = this.#options.channelCapacity;
    return this.#closeSent ? capacity * 2 + CLOSING_HEADROOM : capacity;
  }

  #onTake(): void {
    const inbox = this.#inbox;
    if (this.#pausedByChannel && inbox.length + this.#inbound.length < this.#capacity()) {
      this.#pausedByChannel = false;
      this.#lastRead = Date.now();
      if (!this.#finished) this.#socket.resume();
    }
    if (this.#terminal !== undefined && inbox.length === 0 && this.#inbound.length === 0) {
      setImmediate(() => this.#runTerminal());
    }
  }

  /**
   * Runs `action` (answering a Close, or failing the connection) only once the messages that
   * arrived before it have been taken and the application had a turn to react, so that a reply it
   * sends (an echo, say) goes out before our Close. Bounded by TERMINAL_GRACE_MS when nobody reads.
   */
  #defer(action: () => void): void {
    this.#terminal = action;
    clearTimeout(this.#terminalTimer);
    if (this.#inbox.length === 0 && this.#inbound.length === 0) {
      setImmediate(() => this.#runTerminal());
    } else {
      this.#terminalTimer = setTimeout(() => this.#runTerminal(), TERMINAL_GRACE_MS);
      this.#terminalTimer.unref();
    }
  }

  #runTerminal(): void {
    const action = this.#terminal;
    if (action === undefined) return;
    this.#terminal = undefined;
    clearTimeout(this.#terminalTimer);
    if (!this.#finished) action();
  }

  #onPong(payload: Buffer): void {
    const pings = this.#pings;
    const index = pings.findIndex((p) => p.payload.equals(payload));
    if (index < 0) return;
    // A pong may answer only the latest of several pings (RFC 6455 §5.5.3): it settles the earlier ones too.
    const settled = pings.splice(0, index + 1);
    for (const ping of settled) {
      clearTimeout(ping.timer);
      ping.resolve(true);
    }
  }

  #onData(chunk: Buffer): void {
    if (this.#options.readTimeout > 0 || this.#options.keepalive > 0) this.#lastRead = Date.now();
    this.#parser.push(chunk);
  }

  #armReadTimer(): void {
    const timeout = this.#options.readTimeout;
    this.#lastRead = Date.now();
    const check = (): void => {
      if (this.#finished) return;
      const idle = Date.now() - this.#lastRead;
      // Silence while we hold the socket paused for a full channel is ours, not the peer's.
      if (this.#pausedByChannel || idle < timeout) {
        this.#readTimer = setTimeout(check, this.#pausedByChannel ? timeout : timeout - idle);
        this.#readTimer.unref();
        return;
      }
      this.#abort(
        1006,
        new WebSocketError("TIMEOUT", `nothing received for ${formatDuration(timeout)}`, { retryable: true }),
      );
    };
    this.#readTimer = setTimeout(check, timeout);
    this.#readTimer.unref();
  }

  /**
   * Keep-alive: after `keepalive` without receiving anything, ping; if still nothing arrives
   * within `keepalive_timeout`, the peer is gone: fail with TIMEOUT and report 1006 (no Close
   * can be exchanged with a peer that does not answer). Any byte received counts, not only the
   * pong, so a large message arriving slowly keeps the connection alive. While the client holds
   * the socket paused for a full channel it cannot see a pong, so the clock stops then.
   */
  #armKeepalive(): void {
    const { keepalive, keepaliveTimeout } = this.#options;
    let pingedAt = 0;
    const check = (): void => {
      if (this.#finished) return;
      const now = Date.now();
      let wait: number;
      if (this.#pausedByChannel) {
        pingedAt = 0;
        wait = keepalive;
      } else if (pingedAt !== 0 && this.#lastRead < pingedAt) {
        if (now - pingedAt >= keepaliveTimeout) {
          const silence = formatDuration(now - this.#lastRead);
          const error = new WebSocketError(
            "TIMEOUT",
            `keep-alive: nothing received for ${silence}, not even a pong`,
            {
              retryable: true,
            },
          );
          this.#abort(1006, error);
          return;
        }
        wait = pingedAt + keepaliveTimeout - now;
      } else {
        pingedAt = 0;
        const idle = now - this.#lastRead;
        if (idle >= keepalive && !this.#closeSent) {
          pingedAt = now;
          this.#enqueue(this.#control(OP_PING, KEEPALIVE_PAYLOAD), undefined);
          wait = keepaliveTimeout;
        } else {
          wait = keepalive - idle;
        }
      }
      this.#keepaliveTimer = setTimeout(check, Math.max(1, wait));
      this.#keepaliveTimer.unref();
    };
    this.#keepaliveTimer = setTimeout(check, keepalive);
    this.#keepaliveTimer.unref();
  }

  // ---- ending ----

  #onEnd(): void {
    if (this.#closeSent) {
      // The server ended TCP after our Close, as §7.1.1 wants; end our side too.
      this.#socket.end();
      return;
    }
    if (this.#terminal !== undefined) {
      // Our Close is still waiting behind messages; it can still be written on the half-open socket.
      return;
    }
    this.#abort(1006, closedError("the server ended the connection without a closing handshake"));
  }

  #onSocketError(error: Error): void {
    // A reset after both Close frames were exchanged changes nothing about how the connection ended.
    if (
      this.#failure !== undefined ||
      this.#finished ||
      (this.#closeReceived !== undefined && this.#closeSent)
    )
      return;
    this.#failure = {
      code: 1006,
      error: new WebSocketError("INTERNAL", `connection lost: ${error.message}`, {
        retryable: true,
        cause: error,
      }),
    };
  }

  #onSocketClose(): void {
    const received = this.#closeReceived;
    const failure = this.#failure;
    if (failure !== undefined) {
      this.#finish({
        code: failure.code,
        reason: failure.error.reason ?? "",
        clean: false,
        error: failure.error,
      });
    } else if (received !== undefined && this.#closeSent) {
      this.#finish({ code: received.code, reason: received.reason, clean: true });
    } else {
      const error = closedError("the connection was lost without a closing handshake");
      this.#finish({ code: 1006, reason: "", clean: false, error });
    }
  }

  /** Fails the connection at once: no closing handshake. */
  #abort(code: number, error: WebSocketError): void {
    if (this.#finished) return;
    if (this.#failure === undefined) this.#failure = { code, error };
    this.#socket.destroy();
  }

  #finish(info: CloseInfo): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#parser.stop();
    clearTimeout(this.#closeTimer);
    clearTimeout(this.#readTimer);
    clearTimeout(this.#keepaliveTimer);
    clearTimeout(this.#terminalTimer);
    this.#terminal = undefined;
    for (const timer of this.#writeTimers ?? []) clearTimeout(timer);
    this.#writeTimers?.clear();
    const error = info.error ?? closedError();
    for (const waiter of this.#outWaiters) waiter?.reject(error);
    this.#outFrames = [];
    this.#outWaiters = [];
    this.#outBytes = 0;
    for (const ping of this.#pings.splice(0)) {
      clearTimeout(ping.timer);
      ping.reject(error);
    }
    for (const slot of this.#outbound.splice(0)) slot.pending?.reject(error);
    this.#deflater?.close();
    // Messages still being decompressed were received before the end: the channel closes after them.
    if (this.#inbound.length === 0) {
      this.#inbox.close();
      this.#inflater?.close();
    }
    for (const waiter of this.#closeWaiters.splice(0)) waiter.resolve(true);
    this.#resolveClosed(info);
  }
}
