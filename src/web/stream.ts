import type { Client, CloseInfo } from "../client/client.js";
import { connect } from "../client/connect.js";
import type { ConnectOptions } from "../options/options.js";
import { joinOptions } from "./options.js";
import { checkClose, parseWebProtocols, parseWebUrl } from "./url.js";

/** The options of `new WebSocketStream(url, options)`: the proposal's two, and wschan's connect options. */
export interface WebSocketStreamOptions extends Omit<ConnectOptions, "signal" | "protocols"> {
  /** Subprotocols offered. */
  readonly protocols?: readonly string[];
  /** Abandons the opening handshake when aborted; once open it has no effect (as the proposal says). */
  readonly signal?: AbortSignal;
}

/** What the writable takes: text as a string, binary as an ArrayBuffer or a view. */
export type WebSocketChunk = string | ArrayBuffer | ArrayBufferView;

/** What `opened` resolves with. */
export interface WebSocketOpenInfo {
  /** Messages received: a string for text, a Uint8Array for binary. Not reading it pauses the socket. */
  readonly readable: ReadableStream<string | Uint8Array>;
  /** Messages to send: a string is sent as text, an ArrayBuffer or a view as binary. A write resolves once the client has sent it. */
  readonly writable: WritableStream<WebSocketChunk>;
  readonly extensions: string;
  readonly protocol: string;
}

/** A close code and reason, as `close()` takes and `closed` gives them. */
export interface WebSocketCloseInfo {
  readonly closeCode?: number;
  readonly reason?: string;
}

/**
 * The proposal's `WebSocketError`: a DOMException with a close code and reason. `closed` rejects
 * with one when the connection did not close cleanly; its `cause` is wschan's own error when there is one.
 */
export class WebSocketError extends DOMException {
  readonly closeCode: number | null;
  readonly reason: string;

  constructor(message = "", init: WebSocketCloseInfo = {}) {
    const checked = checkClose(init.closeCode, init.reason);
    super(message, "WebSocketError");
    // A reason without a code stands for 1000, as in close().
    this.closeCode = checked.code ?? (checked.reason !== "" ? 1000 : null);
    this.reason = checked.reason;
  }
}

const noop = (): void => {};

/** WebIDL's [EnforceRange] unsigned short conversion. */
function enforceUnsignedShort(value: unknown): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new TypeError(`closeCode ${String(value)} is not a finite number`);
  const whole = Math.trunc(n);
  if (whole < 0 || whole > 65535) throw new TypeError(`closeCode ${String(value)} is out of range`);
  return whole;
}

function checkCloseInfo(info: WebSocketCloseInfo | undefined): { code: number | undefined; reason: string } {
  const code = info?.closeCode === undefined ? undefined : enforceUnsignedShort(info.closeCode);
  return checkClose(code, info?.reason);
}

/** The close code and reason to use when a stream is cancelled or aborted with `reason`. */
function closeFrom(reason: unknown): { code: number; reason: string } {
  if (reason instanceof WebSocketError && reason.closeCode !== null) {
    return { code: reason.closeCode, reason: reason.reason };
  }
  return { code: 1000, reason: "" };
}

/**
 * The WHATWG `WebSocketStream` proposal on wschan's client: the readable reads the client's
 * channel only when the reader asks, so a reader that stops leaves the channel full and the socket
 * paused; the writable's writes resolve when the client's `send` does.
 */
export class WebSocketStream {
  readonly url: string;
  readonly opened: Promise<WebSocketOpenInfo>;
  readonly closed: Promise<WebSocketCloseInfo>;

  #client: Client | undefined;
  #dial = new AbortController();
  #closing: { code: number; reason: string } | undefined;

  constructor(url: string | URL, options: WebSocketStreamOptions = {}) {
    const parsed = parseWebUrl(url);
    this.url = parsed.href;
    const protocols = options.protocols === undefined ? undefined : parseWebProtocols(options.protocols);
    const { signal, protocols: _, ...rest } = options;
    const connectOptions = joinOptions(undefined, rest, protocols);

    let resolveClosed!: (info: WebSocketCloseInfo) => void;
    let rejectClosed!: (error: unknown) => void;
    this.closed = new Promise((resolve, reject) => {
      resolveClosed = resolve;
      rejectClosed = reject;
    });
    this.closed.catch(noop);

    if (signal?.aborted) {
      this.opened = Promise.reject(signal.reason);
      this.opened.catch(noop);
      rejectClosed(signal.reason);
      return;
    }
    const onAbort = (): void => this.#dial.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });

    this.opened = connect(parsed, { ...connectOptions, signal: this.#dial.signal }).then(
      (client) => {
        signal?.removeEventListener("abort", onAbort);
        this.#client = client;
        void client.closed.then((info) => {
          if (info.clean) resolveClosed({ closeCode: info.code, reason: info.reason });
          else rejectClosed(this.#error(info));
        });
        if (this.#closing !== undefined) client.close(this.#closing.code, this.#closing.reason).catch(noop);
        return {
          readable: this.#readable(client),
          writable: this.#writable(client),
          extensions: client.extensions,
          protocol: client.protocol,
        };
      },
      (error: unknown) => {
        signal?.removeEventListener("abort", onAbort);
        // An abort rejects with the signal's reason, as the proposal says; other failures with a WebSocketError.
        const reason =
          this.#dial.signal.aborted && this.#dial.signal.reason !== undefined
            ? this.#dial.signal.reason
            : new WebSocketError(error instanceof Error ? error.message : "the connection failed", {});
        if (reason instanceof WebSocketError && error instanceof Error)
          Object.assign(reason, { cause: error });
        rejectClosed(reason);
        throw reason;
      },
    );
    this.opened.catch(noop);
  }

  /**
   * Starts the closing handshake with `closeCode` (1000 or 3000–4999, else "InvalidAccessError")
   * and `reason` (at most 123 bytes of UTF-8, else "SyntaxError"). While connecting, it abandons the dial.
   */
  close(info?: WebSocketCloseInfo): void {
    const checked = checkCloseInfo(info);
    if (this.#closing !== undefined) return;
    this.#closing = { code: checked.code ?? 1000, reason: checked.reason };
    if (this.#client === undefined) {
      this.#dial.abort(new WebSocketError("the WebSocketStream was closed while connecting", {}));
      return;
    }
    this.#client.close(this.#closing.code, this.#closing.reason).catch(noop);
  }

  #error(info: CloseInfo): WebSocketError {
    const error = new WebSocketError(info.error?.message ?? "the connection was not closed cleanly", {});
    Object.assign(error, { closeCode: 1006, ...(info.error === undefined ? {} : { cause: info.error }) });
    return error;
  }

  #readable(client: Client): ReadableStream<string | Uint8Array> {
    const channel = client.channel();
    return new ReadableStream<string | Uint8Array>(
      {
        // Called only when the queue below is empty: the channel, and behind it the socket, hold the rest.
        pull: async (controller) => {
          const [message, ok] = await channel.receive();
          if (ok) {
            const data = message.data;
            controller.enqueue(
              typeof data === "string" ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
            );
            return;
          }
          const info = await client.closed;
          if (info.clean) controller.close();
          else controller.error(this.#error(info));
        },
        cancel: (reason) => {
          const close = closeFrom(reason);
          this.close({ closeCode: close.code, reason: close.reason });
        },
      },
      { highWaterMark: 1 },
    );
  }

  #writable(client: Client): WritableStream<WebSocketChunk> {
    return new WritableStream<WebSocketChunk>(
      {
        write: async (chunk) => {
          if (typeof chunk === "string") {
            await client.send(chunk.toWellFormed());
          } else if (ArrayBuffer.isView(chunk)) {
            // Copied: the caller may reuse its buffer as soon as write() is called again.
            await client.send(
              Uint8Array.from(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)),
            );
          } else if (chunk instanceof ArrayBuffer) {
            await client.send(Uint8Array.from(new Uint8Array(chunk)));
          } else {
            throw new TypeError(
              "a WebSocketStream chunk must be a string, an ArrayBuffer or an ArrayBufferView",
            );
          }
        },
        close: () => {
          this.close();
        },
        abort: (reason) => {
          const close = closeFrom(reason);
          this.close({ closeCode: close.code, reason: close.reason });
        },
      },
      { highWaterMark: 1 },
    );
  }
}
