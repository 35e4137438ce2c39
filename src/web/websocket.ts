import type { Client, CloseInfo, Message } from "../client/client.js";
import { connect } from "../client/connect.js";
import type { ConnectOptions } from "../options/options.js";
import { CloseEvent, ErrorEvent, MessageEvent } from "./events.js";
import { isInit, joinOptions, type WebSocketInit } from "./options.js";
import { checkClose, clampUnsignedShort, parseWebProtocols, parseWebUrl } from "./url.js";

/** How binary messages are given to `message` listeners: the standard's two, and Node's Buffer. */
export type BinaryType = "blob" | "arraybuffer" | "nodebuffer";

/** What `send` takes: the standard's (USV)string, ArrayBuffer, ArrayBufferView and Blob. */
export type WebSocketData = string | ArrayBufferLike | ArrayBufferView | Blob;

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/** Where a class made by `WebSocket.configure` keeps its options; not part of the public surface. */
const CONFIGURED: unique symbol = Symbol("wschan configured options");

/** An `on…` event handler property: a function, or null for none. */
export type Handler = ((this: WebSocket, event: Event) => unknown) | null;

/** One message given to `send`, kept in order until the client has it; a Blob is read first. */
interface Outgoing {
  data: string | Uint8Array | Promise<Uint8Array>;
  readonly size: number;
}

const noop = (): void => {};

function toBytes(data: ArrayBufferLike | ArrayBufferView): Uint8Array {
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

function isBufferLike(data: unknown): data is ArrayBufferLike | ArrayBufferView {
  return (
    ArrayBuffer.isView(data) ||
    data instanceof ArrayBuffer ||
    (typeof SharedArrayBuffer !== "undefined" && data instanceof SharedArrayBuffer)
  );
}

/**
 * The HTML standard's `WebSocket` interface on top of wschan's client: a drop-in for libraries
 * that take a WebSocket class, with wschan's options (headers, policy, proxy, compression,
 * keep-alive, limits) as an optional extra argument or bound with `WebSocket.configure`.
 */
export class WebSocket extends EventTarget {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = CLOSING;
  static readonly CLOSED = CLOSED;
  declare readonly CONNECTING: 0;
  declare readonly OPEN: 1;
  declare readonly CLOSING: 2;
  declare readonly CLOSED: 3;

  /**
   * A WebSocket class whose connections all use `options` (wschan's connect options), for
   * libraries that take a class and call `new WebSocket(url, protocols)` themselves. Options given
   * to the constructor are applied on top; protocols given as its argument replace `options.protocols`.
   */
  static configure(options: ConnectOptions): typeof WebSocket {
    // `this`, not WebSocket: configuring a configured class (or a user's subclass) builds on it.
    // biome-ignore lint/complexity/noThisInStatic: the class configure() is called on, on purpose
    return configureClass(this, options);
  }

  #url: URL;
  #readyState: number = CONNECTING;
  #binaryType: BinaryType = "blob";
  #protocol = "";
  #extensions = "";
  #bufferedAmount = 0;
  #client: Client | undefined;
  #dial = new AbortController();
  #queue: Outgoing[] = [];
  #readingBlob = false;
  /** A close asked for while Blobs were still being read: sent once they are. */
  #pendingClose: { code: number; reason: string } | undefined;
  #handlers = new Map<string, { handler: Handler; listener: (event: Event) => void }>();

  /**
   * Opens a connection. `protocols` is a subprotocol or a list of them, or wschan's connect options
   * (with `protocols` among them); `options` is wschan's connect options when `protocols` is a list.
   * Throws a "SyntaxError" DOMException for a bad URL or protocol list, as the standard does, and a
   * wschan `WebSocketError` (INVALID) for a bad option.
   */
  constructor(
    url: string | URL,
    protocols?: string | readonly string[] | WebSocketInit,
    options?: ConnectOptions,
  ) {
    super();
    const configured = configuredOptions(new.target);
    this.#url = parseWebUrl(url);
    let connectOptions: ConnectOptions;
    if (isInit(protocols)) {
      const init = protocols;
      const list = parseWebProtocols(init.protocols);
      connectOptions = joinOptions(configured, { ...options, ...init, protocols: undefined }, list);
    } else {
      const list = protocols === undefined ? undefined : parseWebProtocols(protocols);
      connectOptions = joinOptions(configured, options, list);
    }
    const signal =
      connectOptions.signal === undefined
        ? this.#dial.signal
        : AbortSignal.any([this.#dial.signal, connectOptions.signal]);
    connect(this.#url, { ...connectOptions, signal }).then(
      (client) => this.#opened(client),
      (error: unknown) => this.#failed(error),
    );
  }

  get url(): string {
    return this.#url.href;
  }
  get readyState(): number {
    return this.#readyState;
  }
  /** Bytes given to `send` that the client has not yet handed to the socket. It never goes down after a close. */
  get bufferedAmount(): number {
    return this.#bufferedAmount;
  }
  get extensions(): string {
    return this.#extensions;
  }
  get protocol(): string {
    return this.#protocol;
  }
  get binaryType(): BinaryType {
    return this.#binaryType;
  }
  set binaryType(value: BinaryType) {
    // An enumerated attribute ignores values outside its enumeration.
    if (value === "blob" || value === "arraybuffer" || value === "nodebuffer") this.#binaryType = value;
  }

  get onopen(): Handler {
    return this.#getHandler("open");
  }
  set onopen(handler: Handler) {
    this.#setHandler("open", handler);
  }
  get onmessage(): Handler {
    return this.#getHandler("message");
  }
  set onmessage(handler: Handler) {
    this.#setHandler("message", handler);
  }
  get onerror(): Handler {
    return this.#getHandler("error");
  }
  set onerror(handler: Handler) {
    this.#setHandler("error", handler);
  }
  get onclose(): Handler {
    return this.#getHandler("close");
  }
  set onclose(handler: Handler) {
    this.#setHandler("close", handler);
  }

  /**
   * Queues a message. Throws "InvalidStateError" while connecting. Once closing or closed the
   * data is dropped, but `bufferedAmount` still grows by its size, as the standard says.
   */
  send(data: WebSocketData): void {
    if (this.#readyState === CONNECTING) {
      throw new DOMException("the WebSocket is still connecting", "InvalidStateError");
    }
    let item: Outgoing;
    if (typeof data === "string") {
      const text = data.toWellFormed();
      item = { data: text, size: Buffer.byteLength(text) };
    } else if (isBufferLike(data)) {
      let bytes = toBytes(data);
      // The standard sends the bytes as they are now; deflate reads them later, so keep a copy.
      if (this.#extensions !== "" || data instanceof SharedArrayBuffer) bytes = Uint8Array.from(bytes);
      item = { data: bytes, size: bytes.byteLength };
    } else if (data instanceof Blob) {
      item = { data: data.arrayBuffer().then((buffer) => new Uint8Array(buffer)), size: data.size };
    } else {
      // WebIDL turns anything else into a USVString.
      const text = String(data).toWellFormed();
      item = { data: text, size: Buffer.byteLength(text) };
    }
    this.#bufferedAmount += item.size;
    if (this.#readyState !== OPEN) return;
    this.#queue.push(item);
    this.#pump();
  }

  /**
   * Starts the closing handshake. A code must be 1000 or 3000–4999 ("InvalidAccessError"), a
   * reason at most 123 bytes of UTF-8 ("SyntaxError"). While connecting, the dial is abandoned and
   * the connection fails (error, then close with 1006).
   */
  close(code?: number, reason?: string): void {
    const checked = checkClose(code === undefined ? undefined : clampUnsignedShort(code), reason);
    if (this.#readyState === CLOSING || this.#readyState === CLOSED) return;
    const connecting = this.#readyState === CONNECTING;
    this.#readyState = CLOSING;
    if (connecting) {
      this.#dial.abort(new DOMException("the WebSocket was closed while connecting", "AbortError"));
      return;
    }
    // The client always sends a code; without one the standard's choice for a reason-only close (1000) is used.
    const close = { code: checked.code ?? 1000, reason: checked.reason };
    if (this.#queue.length > 0) this.#pendingClose = close;
    else this.#client?.close(close.code, close.reason).catch(noop);
  }

  #getHandler(type: string): Handler {
    return this.#handlers.get(type)?.handler ?? null;
  }

  #setHandler(type: string, handler: Handler): void {
    const current = this.#handlers.get(type);
    if (typeof handler !== "function") {
      if (current !== undefined) {
        this.removeEventListener(type, current.listener);
        this.#handlers.delete(type);
      }
      return;
    }
    if (current !== undefined) {
      // Replacing a handler keeps its place among the listeners.
      current.handler = handler;
      return;
    }
    const entry = {
      handler,
      listener: (event: Event): void => {
        entry.handler?.call(this, event);
      },
    };
    this.#handlers.set(type, entry);
    this.addEventListener(type, entry.listener);
  }

  /** Hands queued messages to the client in order, waiting where a Blob is still being read. */
  #pump(): void {
    const client = this.#client;
    if (client === undefined) return;
    while (this.#queue.length > 0 && !this.#readingBlob) {
      const item = this.#queue[0]!;
      const data = item.data;
      if (data instanceof Promise) {
        this.#readingBlob = true;
        data
          .then(
            (bytes) => {
              item.data = bytes;
            },
            () => {
              // A Blob that cannot be read is dropped; its bytes never reach the network.
              this.#queue.shift();
            },
          )
          .finally(() => {
            this.#readingBlob = false;
            this.#pump();
          });
        return;
      }
      this.#queue.shift();
      client.send(data).then(() => {
        this.#bufferedAmount -= item.size;
      }, noop);
    }
    const close = this.#pendingClose;
    if (this.#queue.length === 0 && close !== undefined) {
      this.#pendingClose = undefined;
      client.close(close.code, close.reason).catch(noop);
    }
  }

  #opened(client: Client): void {
    this.#client = client;
    if (this.#readyState !== CONNECTING) {
      // close() came after the handshake had already completed: the connection still fails.
      client.close(1000).catch(noop);
      client.closed.then(() => this.#ended({ code: 1006, reason: "", clean: false }, undefined));
      return;
    }
    this.#protocol = client.protocol;
    this.#extensions = client.extensions;
    this.#readyState = OPEN;
    this.dispatchEvent(new Event("open"));
    void this.#receive(client);
  }

  #failed(error: unknown): void {
    this.#ended({ code: 1006, reason: "", clean: false }, error);
  }

  /** Delivers messages until the channel closes (after the connection ends), then reports the close. */
  async #receive(client: Client): Promise<void> {
    const channel = client.channel();
    const origin = this.#url.origin;
    for (;;) {
      const [message, ok] = await channel.receive();
      if (!ok) break;
      // Messages that arrive once a close has begun are not delivered (the standard's "if readyState is not OPEN, return").
      if (this.#readyState !== OPEN) continue;
      this.dispatchEvent(new MessageEvent("message", { data: this.#data(message), origin }));
    }
    const info: CloseInfo = await client.closed;
    this.#ended(info, info.error);
  }

  #data(message: Message): unknown {
    if (message.type === "text") return message.data;
    const bytes = message.data;
    switch (this.#binaryType) {
      case "nodebuffer":
        return bytes;
      case "arraybuffer":
        // A Buffer may be a view into a larger (pooled) ArrayBuffer: give out only its own bytes.
        return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
          ? bytes.buffer
          : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      default:
        return new Blob([bytes]);
    }
  }

  /** The standard's "the WebSocket connection is closed": CLOSED, an error event when it failed, then the close event. */
  #ended(info: CloseInfo, error: unknown): void {
    if (this.#readyState === CLOSED) return;
    this.#readyState = CLOSED;
    this.#queue = [];
    if (!info.clean) {
      const message = error instanceof Error ? error.message : "the connection failed";
      this.dispatchEvent(new ErrorEvent("error", { message, error }));
    }
    // Without the peer's Close the close code is 1006 (RFC 6455 §7.1.5), whatever code we failed with.
    this.dispatchEvent(
      new CloseEvent("close", {
        wasClean: info.clean,
        code: info.clean ? info.code : 1006,
        reason: info.clean ? info.reason : "",
      }),
    );
  }
}

function configureClass(base: typeof WebSocket, options: ConnectOptions): typeof WebSocket {
  const joined = { ...configuredOptions(base), ...options };
  joinOptions(joined, undefined, undefined);
  return class ConfiguredWebSocket extends base {
    static readonly [CONFIGURED] = joined;
  };
}

function configuredOptions(target: unknown): ConnectOptions | undefined {
  return (target as { [CONFIGURED]?: ConnectOptions })[CONFIGURED];
}

for (const [name, value] of [
  ["CONNECTING", CONNECTING],
  ["OPEN", OPEN],
  ["CLOSING", CLOSING],
  ["CLOSED", CLOSED],
] as const) {
  Object.defineProperty(WebSocket.prototype, name, { value, enumerable: true });
}
