import type { Socket } from "node:net";
import { invalid } from "../errors/errors.js";
import { isValidCloseCode } from "../framing/close.js";
import { type ClientFrame, closePayload, FrameReader, frame } from "./frames.js";
import { type Duration, toMs } from "./time.js";

/** A message the client sent. */
export type TestMessage =
  | { readonly type: "text"; readonly data: string }
  | { readonly type: "binary"; readonly data: Buffer };

/** The client's opening handshake, as the test server received it. */
export interface TestRequest {
  /** The request target: path and query. */
  readonly path: string;
  /** Header values by lower-case name (repeated headers joined with ", "). */
  readonly headers: Readonly<Record<string, string>>;
  /** The subprotocols the client offered, in order. */
  readonly protocols: readonly string[];
}

/** A Close frame: its code (1005 when it had none) and reason. */
export interface TestClose {
  readonly code: number;
  readonly reason: string;
}

/** How a test connection ended. */
export interface TestCloseInfo extends TestClose {
  /** Whether both Close frames were exchanged before TCP ended. `code` is 1006 when the client sent none. */
  readonly clean: boolean;
}

/** What a connection does on its own; set when accepting. */
export interface ConnectionBehaviour {
  /** Answers the client's pings with pongs. Default true; false lets a test check the client's keep-alive timeout. */
  readonly pong: boolean;
  /** Answers the client's Close and ends TCP. Default true; false lets a test check the client's close timeout. */
  readonly answer_close: boolean;
  /** Largest message accepted from the client, in bytes; a larger one fails the connection with 1009. */
  readonly read_limit: number;
}

const DEFAULT_TIMEOUT_MS = 2000;

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

/** A queue that test code takes from with a timeout; it fails every waiter once the connection has ended. */
class Inbox<T> {
  #items: T[] = [];
  #waiters: Waiter<T>[] = [];
  #ended: (() => Error) | undefined;

  put(item: T): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve(item);
    else this.#items.push(item);
  }

  end(reason: () => Error): void {
    this.#ended = reason;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(reason());
  }

  take(timeoutMs: number, what: string): Promise<T> {
    if (this.#items.length > 0) return Promise.resolve(this.#items.shift() as T);
    if (this.#ended) return Promise.reject(this.#ended());
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`no ${what} from the client within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }
}

/**
 * One accepted connection of a `TestServer`: the server's side, driven step by step by a test.
 * It answers pings and the closing handshake by itself unless told not to (see `accept`).
 */
export class TestConnection {
  readonly request: TestRequest;
  /** The subprotocol the server answered with, or "". */
  readonly protocol: string;
  /** Resolves once TCP has ended, with the client's Close if it sent one. Never rejects. */
  readonly closed: Promise<TestCloseInfo>;

  #socket: Socket;
  #reader: FrameReader;
  #behaviour: ConnectionBehaviour;
  #messages = new Inbox<TestMessage>();
  #pings = new Inbox<Buffer>();
  #closes = new Inbox<TestClose>();
  #pongWaiters: { payload: Buffer; resolve(): void }[] = [];
  #fragments: Buffer[] = [];
  #fragmentBytes = 0;
  #fragmentOpcode = 0;
  #closeSent = false;
  #closeReceived: TestClose | undefined;
  #resolveClosed!: (info: TestCloseInfo) => void;

  /** @internal Made by `TestServer.accept`. */
  constructor(
    socket: Socket,
    head: Buffer,
    request: TestRequest,
    protocol: string,
    behaviour: ConnectionBehaviour,
  ) {
    this.#socket = socket;
    this.request = request;
    this.protocol = protocol;
    this.#behaviour = behaviour;
    this.#reader = new FrameReader(behaviour.read_limit);
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("error", () => {});
    socket.on("close", () => this.#onClose());
    if (head.length > 0) this.#onData(head);
  }

  /** Waits for the client's next message. Rejects when none comes within `timeout` (default 2 s) or the connection ends first. */
  expect(timeout: Duration = DEFAULT_TIMEOUT_MS): Promise<TestMessage> {
    return this.#messages.take(toMs(timeout, "timeout"), "message");
  }

  /** Waits for the client's next ping and gives its payload. */
  expect_ping(timeout: Duration = DEFAULT_TIMEOUT_MS): Promise<Buffer> {
    return this.#pings.take(toMs(timeout, "timeout"), "ping");
  }

  /** Waits for the client's Close frame and gives its code and reason. */
  expect_close(timeout: Duration = DEFAULT_TIMEOUT_MS): Promise<TestClose> {
    if (this.#closeReceived !== undefined) return Promise.resolve(this.#closeReceived);
    return this.#closes.take(toMs(timeout, "timeout"), "Close");
  }

  /** Sends a text (string) or binary (bytes) message. Resolves once the socket has taken it. */
  send(data: string | Uint8Array): Promise<void> {
    if (typeof data !== "string" && !(data instanceof Uint8Array)) {
      return Promise.reject(invalid("send takes a string or a Uint8Array"));
    }
    return this.send_raw(frame({ opcode: typeof data === "string" ? 0x1 : 0x2, payload: data }));
  }

  /** Writes bytes as they are: frames built with `frame()`, or anything else a misbehaving server might send. */
  send_raw(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#socket.destroyed || !this.#socket.writable) {
        reject(new Error("the connection is closed"));
        return;
      }
      this.#socket.write(bytes, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Sends a ping and resolves when the client's matching pong arrives (rejects after `timeout`, default 2 s). */
  async ping(data: string | Uint8Array = "", timeout: Duration = DEFAULT_TIMEOUT_MS): Promise<void> {
    const payload = typeof data === "string" ? Buffer.from(data) : Buffer.from(data);
    if (payload.length > 125) throw invalid("a ping payload is at most 125 bytes");
    const ms = toMs(timeout, "timeout");
    let entry: { payload: Buffer; resolve(): void } | undefined;
    const pong = new Promise<void>((resolve) => {
      entry = { payload, resolve };
      this.#pongWaiters.push(entry);
    });
    await this.send_raw(frame({ opcode: 0x9, payload }));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no pong from the client within ${ms} ms`)), ms);
    });
    try {
      await Promise.race([pong, late]);
    } finally {
      clearTimeout(timer);
      const index = this.#pongWaiters.indexOf(entry!);
      if (index >= 0) this.#pongWaiters.splice(index, 1);
    }
  }

  /**
   * Starts the closing handshake: sends a Close with `code` and `reason` (no code: an empty Close),
   * waits for the client's Close (at most `timeout`, default 2 s), then ends TCP. Resolves with how
   * the connection ended.
   */
  async close(code?: number, reason = "", timeout: Duration = DEFAULT_TIMEOUT_MS): Promise<TestCloseInfo> {
    if (code !== undefined && !isValidCloseCode(code)) {
      throw invalid(`close code ${code} cannot be sent; send_raw(frame(...)) writes any bytes`);
    }
    if (Buffer.byteLength(reason) > 123) throw invalid("a close reason is at most 123 bytes");
    const ms = toMs(timeout, "timeout");
    if (!this.#closeSent) {
      this.#closeSent = true;
      await this.send_raw(frame({ opcode: 0x8, payload: closePayload(code, reason) })).catch(() => {});
    }
    await this.expect_close(ms).catch(() => {});
    this.#socket.end();
    const timer = setTimeout(() => this.#socket.destroy(), ms);
    const info = await this.closed;
    clearTimeout(timer);
    return info;
  }

  /** Ends TCP (a FIN) without any closing handshake. */
  end(): void {
    this.#socket.end();
  }

  /** Drops the connection at once, as a crashed server or a broken network would. */
  destroy(): void {
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#reader.push(chunk);
    for (;;) {
      if (this.#socket.destroyed) return;
      const next = this.#reader.next();
      if (next === undefined) return;
      if (next === "too big") {
        this.#fail(1009, "message too big");
        return;
      }
      this.#onFrame(next);
    }
  }

  #onFrame(f: ClientFrame): void {
    switch (f.opcode) {
      case 0x9:
        this.#pings.put(f.payload);
        if (this.#behaviour.pong && !this.#closeSent) {
          this.send_raw(frame({ opcode: 0xa, payload: f.payload })).catch(() => {});
        }
        return;
      case 0xa: {
        const index = this.#pongWaiters.findIndex((w) => w.payload.equals(f.payload));
        if (index >= 0) this.#pongWaiters.splice(index, 1)[0]!.resolve();
        return;
      }
      case 0x8:
        this.#onCloseFrame(f.payload);
        return;
      case 0x0:
      case 0x1:
      case 0x2:
        this.#onDataFrame(f);
        return;
      default:
        this.#fail(1002, `reserved opcode ${f.opcode}`);
    }
  }

  #onDataFrame(f: ClientFrame): void {
    if (f.opcode !== 0x0) {
      if (this.#fragmentOpcode !== 0) {
        this.#fail(1002, "a new message inside a fragmented one");
        return;
      }
      this.#fragmentOpcode = f.opcode;
    } else if (this.#fragmentOpcode === 0) {
      this.#fail(1002, "a continuation frame with no message to continue");
      return;
    }
    this.#fragmentBytes += f.payload.length;
    if (this.#fragmentBytes > this.#behaviour.read_limit) {
      this.#fail(1009, "message too big");
      return;
    }
    this.#fragments.push(f.payload);
    if (!f.fin) return;
    const data = this.#fragments.length === 1 ? this.#fragments[0]! : Buffer.concat(this.#fragments);
    const opcode = this.#fragmentOpcode;
    this.#fragments = [];
    this.#fragmentBytes = 0;
    this.#fragmentOpcode = 0;
    if (opcode === 0x2) {
      this.#messages.put({ type: "binary", data });
      return;
    }
    const text = new TextDecoder("utf-8", { fatal: true });
    try {
      this.#messages.put({ type: "text", data: text.decode(data) });
    } catch {
      this.#fail(1007, "text that is not UTF-8");
    }
  }

  #onCloseFrame(payload: Buffer): void {
    const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
    const reason = payload.length > 2 ? payload.subarray(2).toString("utf8") : "";
    this.#closeReceived = { code, reason };
    this.#closes.put(this.#closeReceived);
    if (!this.#closeSent && this.#behaviour.answer_close) {
      this.#closeSent = true;
      const echo = payload;
      this.send_raw(frame({ opcode: 0x8, payload: echo })).catch(() => {});
      // The server ends TCP first (RFC 6455 §7.1.1).
      this.#socket.end();
    }
  }

  /** The client broke the protocol: Close with `code`, then drop. */
  #fail(code: number, reason: string): void {
    if (!this.#closeSent) {
      this.#closeSent = true;
      this.#socket.write(frame({ opcode: 0x8, payload: closePayload(code, reason) }));
    }
    this.#socket.end();
    setTimeout(() => this.#socket.destroy(), 100).unref();
  }

  #onClose(): void {
    const received = this.#closeReceived;
    const info: TestCloseInfo =
      received !== undefined
        ? { ...received, clean: this.#closeSent }
        : { code: 1006, reason: "", clean: false };
    const ended = (): Error =>
      new Error(
        received === undefined
          ? "the connection ended without a Close from the client"
          : `the client closed the connection (${received.code}${received.reason ? ` ${received.reason}` : ""})`,
      );
    this.#messages.end(ended);
    this.#pings.end(ended);
    this.#closes.end(() => new Error("the connection ended without a Close from the client"));
    this.#resolveClosed(info);
  }
}
