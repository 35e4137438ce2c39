import type { Duplex } from "node:stream";
import { type Channel, ChannelCore } from "../channel/channel.js";
import type { DeflateParams } from "../deflate/index.js";
import type { WebSocketError } from "../errors/errors.js";
import { headerRecord, parseHeaderBlock } from "../handshake/index.js";
import type { ResolvedOptions } from "../options/options.js";
import { type CloseCode, COMPRESSION, type SendType } from "../protocol/constants.js";
import { Engine } from "../protocol/engine.js";
import { NumberQueue } from "../protocol/number-queue.js";
import type {
  CloseInfo,
  CodecJob,
  EngineConfig,
  EngineHost,
  EngineStats,
  Message,
} from "../protocol/types.js";
import { clock } from "./clock.js";
import { diagnostics } from "./diagnostics.js";
import { type DirectSink, directReader } from "./direct-read.js";
import { PartialWrites, unsentBytes, writesTogether } from "./unsent.js";

export type { CloseInfo, Message } from "../protocol/types.js";

/** What `client.stats()` gives. */
export interface ClientStats extends EngineStats {
  /** Bytes on the wire per byte of payload received: below 1 when compression helps; 1 without it. */
  readonly compressionRatioIn: number;
  /** The same for what was sent. */
  readonly compressionRatioOut: number;
}

/** How long to wait, after both Close frames, for the server to end TCP first (§7.1.1). */
const TCP_END_TIMEOUT_MS = 1000;
/** How long the peer's Close or a protocol error may wait behind messages delivered before it. */
const TERMINAL_GRACE_MS = 1000;
/** Ping timeout when no read_timeout is set. */
const DEFAULT_PING_TIMEOUT_MS = 30_000;
/**
 * Fairness (issue 17): reading yields to the event loop (setImmediate) once this much work was
 * done since it last did, so that a flood on one connection leaves timers and other connections
 * their turn. Work is an estimate in bytes-equivalents: each byte read counts 1 and each message
 * delivered MESSAGE_WORK, since small messages cost far more per byte than large ones. About
 * 2,000 messages of 16 B, or 1 MiB of large ones, go by between turns (about 1 ms of work).
 */
const WORK_PER_TURN = 1024 * 1024;
const MESSAGE_WORK = 512;

/**
 * Writes handed to a socket together, in one system call (a writev), while nothing else is under
 * way: at most this many bytes, or this many writes.
 */
const VECTOR_BYTES = 1024 * 1024;
const VECTOR_WRITES = 64;

const RESOLVED = Promise.resolve();

/** @internal Data a negotiated connection starts with. */
export interface ClientInit {
  /** The byte stream the connection runs over: a TCP or TLS socket, a proxy tunnel, a unix socket, a stream the user brought. */
  readonly socket: Duplex;
  /**
   * The server's successful response: as it was read (the text of an HTTP/1.1 101 response's
   * header block, parsed when first asked for), or already made (HTTP/2).
   */
  readonly handshake: HandshakeResponse | string;
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
  /** Timing of the closing handshake, for tests; defaults otherwise. */
  readonly timing?: { readonly tcpEnd?: number; readonly terminalGrace?: number };
}

/** The server's answer to the opening handshake: its status line and headers. */
export interface HandshakeResponse {
  readonly status: number;
  readonly statusText: string;
  /** By lower-case name; a header sent several times keeps every value. */
  readonly headers: Readonly<Record<string, readonly string[]>>;
}

/** What a send or a ping waits on. */
interface Pending {
  resolve(value: boolean): void;
  reject(error: Error): void;
}

const noop = (): void => {};

/** Returns `promise` after making sure that ignoring it never raises an unhandled rejection. */
function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(noop);
  return promise;
}

function rejected(error: unknown): Promise<boolean> {
  return quiet(Promise.reject(error));
}

/** The public form of an HTTP/1.1 response's header block (see `ClientInit.handshake`). */
function handshakeFromText(text: string): HandshakeResponse {
  const parsed = parseHeaderBlock(text);
  return { status: parsed.status, statusText: parsed.statusText, headers: headerRecord(parsed.headers) };
}

/**
 * Configurations already made: connections made with the same options share one object rather
 * than holding a copy each (an idle connection is mostly small objects like it). Bounded: past
 * CONFIGS_KEPT different ones, the rest are not kept.
 */
const configs: EngineConfig[] = [];
const CONFIGS_KEPT = 64;

/** The engine's configuration from the connection's options: a shared one when it is the same. */
function engineConfig(init: ClientInit): EngineConfig {
  const config = makeEngineConfig(init);
  // Compared value by value, with nothing made per connection (a key string would be).
  for (let i = 0; i < configs.length; i++) if (sameValues(configs[i]!, config)) return configs[i]!;
  if (configs.length < CONFIGS_KEPT) configs.push(Object.freeze(config));
  return config;
}

/**
 * Whether two records made alike (the same fields) hold the same values, records among them
 * (the deflate parameters) compared the same way.
 */
function sameValues(a: object, b: object): boolean {
  for (const key in a) {
    const x: unknown = (a as Record<string, unknown>)[key];
    const y: unknown = (b as Record<string, unknown>)[key];
    if (x === y) continue;
    if (typeof x !== "object" || typeof y !== "object" || x === null || y === null || !sameValues(x, y))
      return false;
  }
  return true;
}

function makeEngineConfig(init: ClientInit): EngineConfig {
  const o = init.options;
  const noContext = o.compression === COMPRESSION.NO_CONTEXT;
  return {
    readLimit: o.readLimit,
    deflate: init.deflate,
    deflateNoContext: noContext,
    compressionThreshold: o.compressionThreshold > 0 ? o.compressionThreshold : noContext ? 512 : 128,
    channelCapacity: o.channelCapacity,
    channelBytes: o.channelByteLimit,
    writeLimit: o.writeLimit,
    readTimeout: o.readTimeout,
    writeTimeout: o.writeTimeout,
    keepalive: o.keepalive,
    keepaliveTimeout: o.keepaliveTimeout,
    pingTimeout: o.readTimeout > 0 ? o.readTimeout : DEFAULT_PING_TIMEOUT_MS,
    closeTimeout: o.closeTimeout,
    tcpEndTimeout: init.timing?.tcpEnd ?? TCP_END_TIMEOUT_MS,
    terminalGrace: init.timing?.terminalGrace ?? TERMINAL_GRACE_MS,
  };
}

/**
 * The I/O around one engine: pumps the stream's bytes in and the engine's writes out (while the
 * stream takes them without backing up), keeps the one real timer the engine asks for, runs compression jobs,
 * and turns outcomes into the public promises and channel. It decides nothing the RFC decides.
 */
class Wire implements EngineHost<Pending>, DirectSink {
  readonly engine: Engine<Pending>;
  readonly inbox = new ChannelCore<Message>();
  readonly #stream: Duplex;
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  /** When #timer fires; read only while there is one. */
  #timerAt = 0;
  #flushScheduled = false;
  /** Whether the stream is backed up: writing waits for 'drain'. */
  #writing = false;
  /** Whether the stream tells how much of a write the kernel took (see unsent.ts). */
  readonly #gauged: boolean;
  /** A writev the kernel has not wholly taken, until its callback has come (see #writeTogether). */
  #partial: PartialWrites | undefined;
  /** Made on the first close(): an idle connection holds no array for it. */
  #closeWaiters: Pending[] | undefined;
  #resolveClosed: (info: CloseInfo) => void;
  /** Whether the engine takes bytes (false while the application leaves its channel full). */
  #wanted = true;
  /** Whether the stream is paused by us: for the engine, or while the event loop takes a turn. */
  #streamPaused = false;
  #yielding = false;
  /** Work done since reading last yielded to the event loop (see WORK_PER_TURN). */
  #work = 0;

  /** The public object, for diagnostics subscribers to tell connections apart. */
  readonly client: Client;

  constructor(client: Client, init: ClientInit, resolveClosed: (info: CloseInfo) => void) {
    this.client = client;
    this.#stream = init.socket;
    this.#resolveClosed = resolveClosed;
    this.#gauged = unsentBytes(init.socket) !== undefined;
    const now = clock();
    this.engine = new Engine(this, engineConfig(init), now);
    // The inbox holds messages only.
    this.inbox.onTake = (message) => this.engine.taken(message as Message);
    const stream = init.socket;
    // One set of listeners for every stream, finding the wire by the stream they are called on,
    // rather than four closures per connection.
    wireOf.set(stream, this);
    stream.on("data", onData);
    const direct = directReader(stream);
    // The wire is the sink itself: methods, not two closures per connection.
    if (direct !== undefined) direct.sink = this;
    stream.on("end", onEnd);
    stream.on("error", onError);
    stream.on("close", onClose);
    this.engine.start(now);
    if (init.head.length > 0) this.engine.receiveData(init.head, now);
  }

  /** Resolves once the connection has ended; closing again resolves `true` too. */
  whenClosed(): Promise<boolean> {
    if (this.engine.state === "CLOSED") return Promise.resolve(true);
    return new Promise((resolve, reject) => {
      this.#closeWaiters ??= [];
      this.#closeWaiters.push({ resolve, reject });
    });
  }

  // ---- EngineHost ----

  message(message: Message, size: number, wireSize: number): boolean {
    // This runs per message: what is rare (a subscriber, a yield) is in functions of its own, so
    // that V8 inlines the rest into the parser's loop.
    if (diagnostics.messageIn.hasSubscribers) this.#publishIn(message, size, wireSize);
    this.#work += MESSAGE_WORK;
    // A flood: stop mid-chunk and let the event loop turn before going on.
    if (this.#work >= WORK_PER_TURN && !this.#yielding) this.#yield();
    return this.inbox.send(message);
  }

  #publishIn(message: Message, size: number, wireSize: number): void {
    diagnostics.messageIn.publish({
      client: this.client,
      type: message.type,
      size,
      compressedSize: wireSize,
    });
  }

  sent(type: "text" | "binary", size: number, wireSize: number): void {
    if (diagnostics.messageOut.hasSubscribers) {
      diagnostics.messageOut.publish({ client: this.client, type, size, compressedSize: wireSize });
    }
  }

  pong(rtt: number): void {
    if (diagnostics.pong.hasSubscribers) diagnostics.pong.publish({ client: this.client, rtt });
  }

  output(): void {
    if (this.#flushScheduled || this.#writing) return;
    this.#flushScheduled = true;
    // Frames queued in the same tick leave in one write. One function for the connection rather
    // than a closure per write.
    this.#flushSoon ??= () => this.#flush();
    process.nextTick(this.#flushSoon);
  }

  #flushSoon: (() => void) | undefined;

  settle(token: Pending, error: WebSocketError | undefined): void {
    if (error === undefined) token.resolve(true);
    else token.reject(error);
  }

  reading(on: boolean): void {
    if (this.engine.state === "CLOSED") return;
    this.#wanted = on;
    // Stopping is lazy: the engine keeps the rest of the read it stopped in, and the stream is
    // paused only if another read arrives before it goes on (see #afterRead). A reader that
    // keeps up makes the engine stop and go on several times per read; pausing and resuming the
    // stream each time (two system calls and a tick) would cost more than the messages.
    if (on) this.#flow();
  }

  resumeSoon(): void {
    // A promise reaction rather than queueMicrotask, which makes an async resource per call. This
    // runs once per half a channel of messages: one function for the connection, no clock unless
    // a deadline needs it.
    this.#resume ??= () => this.engine.resume(this.engine.clocked ? clock() : 0);
    RESOLVED.then(this.#resume);
  }

  #resume: (() => void) | undefined;

  job(job: CodecJob): void {
    job.work.then(
      (output) => this.engine.jobDone(job, output, clock()),
      (error: unknown) =>
        this.engine.jobDone(job, error instanceof Error ? error : new Error(String(error)), clock()),
    );
  }

  wake(at: number): void {
    const delay = at - clock();
    if (delay <= 0) {
      // Due now (the turn the application gets before our Close): the next turn of the loop,
      // after I/O, as setImmediate gives it, not a timer's millisecond.
      this.#immediate ??= setImmediate(() => {
        this.#immediate = undefined;
        this.#tick();
      });
      return;
    }
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#tick();
    }, delay);
    // While open, the stream keeps the process alive. Once closing, the deadline must, too: a
    // stream that is paused (a full channel) and not writing holds no active handle.
    if (this.engine.state === "OPEN") this.#timer.unref();
  }

  #tick(): void {
    // A write deadline must see the writes the kernel has taken since they were handed over.
    this.#progress();
    this.engine.tick(clock());
  }

  shutdown(how: "end" | "destroy"): void {
    if (how === "end") this.#stream.end();
    else this.#stream.destroy();
  }

  closed(info: CloseInfo): void {
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#immediate = undefined;
    if (diagnostics.close.hasSubscribers) {
      const { code, reason, clean, error } = info;
      diagnostics.close.publish({ client: this.client, code, reason, clean, error });
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const waiters = this.#closeWaiters;
    this.#closeWaiters = undefined;
    if (waiters !== undefined) for (const waiter of waiters) waiter.resolve(true);
    this.#resolveClosed(info);
  }

  ended(): void {
    this.inbox.close();
  }

  // ---- reading ----

  /** @internal For `onData`, and for direct-read.ts (DirectSink). Returns false once paused. */
  received(chunk: Buffer): boolean {
    const wanted = this.#wanted;
    this.#work += chunk.length;
    this.engine.receiveData(chunk, clock());
    return this.#afterRead(wanted);
  }

  // ---- DirectSink (direct-read.ts): large frames read straight into their message ----

  target(): Buffer | undefined {
    return this.engine.readTarget();
  }

  landed(count: number): boolean {
    const wanted = this.#wanted;
    this.#work += count;
    this.engine.receivedInto(count, clock());
    return this.#afterRead(wanted);
  }

  /**
   * After a read: yields when the turn's work is done, or pauses the stream when the engine
   * already held bytes before this read came (`wanted` false), so that it holds the rest of one
   * read and one more at most. Returns false when paused.
   */
  #afterRead(wanted: boolean): boolean {
    if (this.#work >= WORK_PER_TURN && !this.#yielding) this.#yield();
    else if (this.#yielding || !(this.#wanted || wanted)) this.#pauseStream();
    return !this.#streamPaused;
  }

  /** Lets timers and other connections run before reading on (issue 17, fairness). */
  #yield(): void {
    this.#yielding = true;
    this.engine.hold();
    this.#pauseStream();
    setImmediate(() => {
      this.#yielding = false;
      this.#work = 0;
      this.engine.release(clock());
      this.#flow();
    });
  }

  #pauseStream(): void {
    if (this.#streamPaused) return;
    this.#streamPaused = true;
    this.#stream.pause();
  }

  /** Lets the stream flow again unless the engine or a yield holds it. */
  #flow(): void {
    if (!this.#streamPaused || !this.#wanted || this.#yielding || this.engine.state === "CLOSED") return;
    this.#streamPaused = false;
    this.#stream.resume();
  }

  // ---- writing ----

  /**
   * Writes what the engine has while the stream takes it without backing up; once a write says
   * the stream is full, waits for 'drain'. Each write completes, in order, with its own callback,
   * so that each send learns its own frame's outcome (write_timeout fails only the frames the
   * kernel did not take). Where the stream tells how much the kernel took, several writes go in
   * one system call (#writeTogether); elsewhere each is its own, since a writev completes as a
   * whole and the frames the kernel took would wait on those it did not.
   */
  #flush(): void {
    this.#flushScheduled = false;
    const stream = this.#stream;
    // The callback and its queue are made on the first write: an idle connection holds neither.
    this.#onWritten ??= (error) => this.#written(error);
    this.#groups ??= new NumberQueue();
    while (!this.#writing) {
      const data = this.engine.takeOutput();
      if (data === undefined) return;
      const second = this.#gauged && stream.writableLength === 0 ? this.engine.takeOutput() : undefined;
      if (second !== undefined) this.#writeTogether(data, second);
      else {
        this.#groups.push(1);
        if (!stream.write(data, this.#onWritten)) this.#waitForDrain();
      }
    }
  }

  /**
   * Hands `first`, `second` and the writes after them (up to VECTOR_BYTES) to the stream corked,
   * so they leave in one writev, which completes as a whole: one callback, on the last, reports
   * them all. Nothing else is under way, so what the kernel did not take is exactly what libuv
   * still holds (unsentBytes): the writes it took whole are reported to the engine at once, and
   * those it did not wait for the callback, or for a deadline to look again (#progress).
   */
  #writeTogether(first: Buffer, second: Buffer): void {
    const stream = this.#stream;
    const sizes = [first.length, second.length];
    let total = first.length + second.length;
    stream.cork();
    let data = first;
    let next: Buffer | undefined = second;
    while (next !== undefined) {
      stream.write(data);
      data = next;
      next = total < VECTOR_BYTES && sizes.length < VECTOR_WRITES ? this.engine.takeOutput() : undefined;
      if (next !== undefined) {
        sizes.push(next.length);
        total += next.length;
      }
    }
    stream.write(data, this.#onWritten);
    stream.uncork();
    writesTogether.count++;
    const groups = this.#groups!;
    const whole = stream.writableLength === 0;
    if (!whole) this.#partial = new PartialWrites(sizes, total, groups.length);
    groups.push(sizes.length);
    // Taken whole, at once: the callback follows, as for any write.
    if (whole) return;
    // Node emits 'drain' only once what it buffered went past the stream's high-water mark (a
    // stream made with a larger one than a writev, say): otherwise the writev's callback writes on.
    if (stream.writableNeedDrain) this.#waitForDrain();
    this.#progress();
  }

  /** Reports to the engine the writes of the pending writev that the kernel has now taken whole. */
  #progress(): void {
    const partial = this.#partial;
    if (partial === undefined) return;
    const left = unsentBytes(this.#stream);
    if (left === undefined) return;
    const taken = partial.taken(left);
    if (taken > 0) this.engine.written(undefined, taken);
  }

  #waitForDrain(): void {
    this.#writing = true;
    this.#onDrain ??= () => this.#drained();
    this.#stream.once("drain", this.#onDrain);
  }

  #onDrain: (() => void) | undefined;
  #onWritten: ((error?: Error | null) => void) | undefined;
  /** How many of the engine's writes each write callback still to come completes, oldest first. */
  #groups: NumberQueue | undefined;

  #drained(): void {
    this.#writing = false;
    // 'drain' comes before the callbacks of the write that drained: write on once they have run,
    // so that a writev never starts while the last one's bookkeeping is still under way.
    this.output();
  }

  #written(error: Error | null | undefined): void {
    let writes = this.#groups!.shift();
    const partial = this.#partial;
    if (partial !== undefined) {
      // The engine already knows of the writev's writes that #progress told it of.
      writes = partial.callback(writes);
      if (partial.done) this.#partial = undefined;
    }
    if (writes === 0) return;
    // Node reports a write that libuv cancelled because the socket was reset with no error at
    // all; a stream already destroyed when the callback runs did not take the bytes.
    if (error == null && this.#stream.destroyed) error = new Error("the connection was reset during a write");
    this.engine.written(error ?? undefined, writes);
  }
}

const wireOf = new WeakMap<Duplex, Wire>();

// The stream's listeners, called with the stream as `this`.
function onData(this: Duplex, chunk: Buffer): void {
  wireOf.get(this)?.received(chunk);
}
function onEnd(this: Duplex): void {
  wireOf.get(this)?.engine.receiveEnd();
}
function onError(this: Duplex, error: Error): void {
  wireOf.get(this)?.engine.transportError(error);
}
function onClose(this: Duplex): void {
  wireOf.get(this)?.engine.transportClosed();
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
  readonly #wire: Wire;
  /** What `handshake` gives, or the text of the response to make it from when first asked. */
  #handshake: HandshakeResponse | string;
  /** The HTTP version that carries the connection: "1.1", or "2" for a stream of an HTTP/2 session (RFC 8441). */
  readonly httpVersion: "1.1" | "2";

  /** @internal Clients are made by `connect`; the constructor is private so the published types offer none. */
  static open(init: ClientInit): Client {
    return new Client(init);
  }

  private constructor(init: ClientInit) {
    this.url = init.url;
    this.protocol = init.protocol;
    this.extensions = init.extensions;
    this.#handshake = init.handshake;
    this.httpVersion = init.httpVersion ?? "1.1";
    let resolveClosed!: (info: CloseInfo) => void;
    this.closed = new Promise((resolve) => {
      resolveClosed = resolve;
    });
    this.#wire = new Wire(this, init, resolveClosed);
  }

  /** The server's successful handshake response: status (101, or 200 over HTTP/2), status text and headers. */
  get handshake(): HandshakeResponse {
    // Made on first access: most applications never look, and an open connection would
    // otherwise hold a record, an array per header and their strings for nothing.
    if (typeof this.#handshake === "string") this.#handshake = handshakeFromText(this.#handshake);
    return this.#handshake;
  }

  /**
   * What this connection has counted: messages and bytes in and out (on the wire and as payload,
   * so `wirePayloadBytesIn / payloadBytesIn` is the compression ratio), and the last ping's round
   * trip in milliseconds.
   */
  stats(): ClientStats {
    const stats = this.#wire.engine.stats;
    const ratio = (wire: number, payload: number): number => (payload === 0 ? 1 : wire / payload);
    return {
      ...stats,
      compressionRatioIn: ratio(stats.wirePayloadBytesIn, stats.payloadBytesIn),
      compressionRatioOut: ratio(stats.wirePayloadBytesOut, stats.payloadBytesOut),
    };
  }

  /** The receive channel (the same object on every call). It closes once the connection has closed and every message received before has been taken. */
  channel(): Channel<Message> {
    return this.#wire.inbox.channel;
  }

  /** Closes the client at the end of an `await using` scope; never rejects (how it ended is in `closed`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close().then(
      () => undefined,
      () => undefined,
    );
  }

  /** Bytes queued to be written and not yet taken by the socket, compressed messages included. */
  get bufferedAmount(): number {
    return this.#wire.engine.bufferedAmount;
  }

  /**
   * Sends a message: `TEXT` (the default for strings) or `BINARY` (the default for bytes).
   * Resolves `true` once the frame has been handed to the socket.
   */
  send(data: string | Uint8Array | ArrayBuffer, type?: SendType): Promise<boolean> {
    const engine = this.#wire.engine;
    let pending!: Pending;
    const promise = new Promise<boolean>((resolve, reject) => {
      pending = { resolve, reject };
    });
    try {
      engine.send(data, type, pending, engine.clocked ? clock() : 0);
    } catch (error) {
      return rejected(error);
    }
    return quiet(promise);
  }

  /** Sends a ping and resolves `true` when its pong arrives; rejects with TIMEOUT after `read_timeout` (30 s when unset). */
  ping(data?: string | Uint8Array): Promise<boolean> {
    const engine = this.#wire.engine;
    let pending!: Pending;
    const promise = new Promise<boolean>((resolve, reject) => {
      pending = { resolve, reject };
    });
    try {
      engine.ping(data, pending, clock());
    } catch (error) {
      return rejected(error);
    }
    return quiet(promise);
  }

  /**
   * Starts the closing handshake: every message already queued is written, then a Close with
   * `code` (default 1000) and `reason`; resolves once the connection has ended. Closing again
   * resolves `true`.
   */
  close<const C extends number>(code?: CloseCode<C>, reason?: string): Promise<boolean>;
  close(code: unknown = 1000, reason: unknown = ""): Promise<boolean> {
    const wire = this.#wire;
    try {
      wire.engine.close(code as number, reason as string, clock());
    } catch (error) {
      return rejected(error);
    }
    return quiet(wire.whenClosed());
  }
}
