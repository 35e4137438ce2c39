// One adapter per WebSocket client under test, each used the way its documentation shows: wschan
// through connect / send / channel().receive() / close, `ws` through its events and send
// callbacks, undici through the WHATWG WebSocket. The adapters only count; they never copy.

import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import type * as Wschan from "../src/index.js";

/** What a message carries: bytes or text. */
export type Payload = Buffer | string;

/** The clients this harness knows; "raw" is the TCP ceiling, handled apart (it has no framing). */
export const CLIENT_NAMES = [
  "wschan",
  "wschan-base",
  "wschan-batch",
  "wschan-iter",
  "ws",
  "ws-native",
  "undici",
  "raw",
] as const;
export type ClientName = (typeof CLIENT_NAMES)[number];

/**
 * How the wschan adapter receives: `receive()` per message ("wschan"), `receiveBatch()` plus
 * `tryReceive()` ("wschan-batch", the path without a promise per message), or `for await`
 * ("wschan-iter"). The variants differ only when receiving, so they run the receive scenarios only.
 */
export type WschanMode = "receive" | "batch" | "iter";
export const WSCHAN_MODES: Readonly<Record<string, WschanMode>> = {
  wschan: "receive",
  "wschan-base": "receive",
  "wschan-batch": "batch",
  "wschan-iter": "iter",
};

/** One open connection, reduced to what the scenarios need. */
export interface Connection {
  /** The negotiated extensions ("" when none). */
  readonly extensions: string;
  /** Sum of the lengths (bytes, or UTF-16 units for text) of every message received so far. */
  readonly received: number;
  /** Sends one message and does not wait for anything. */
  send(item: Payload): void;
  /**
   * Sends `items[(from + i) % items.length]` for i < count, all in this tick, and resolves once
   * the socket has taken them (or, for undici, which tells nothing more, once little is buffered).
   */
  sendMany(items: readonly Payload[], from: number, count: number): Promise<void>;
  /** Resolves once `n` more messages have arrived, with the last one if it was text. */
  receive(n: number): Promise<string | undefined>;
  /** Sends a ping and resolves when its pong arrives. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface ClientLibrary {
  connect(url: string, deflate: boolean): Promise<Connection>;
  /** What was loaded: versions, and whether native addons are in use. */
  readonly info: Readonly<Record<string, string | boolean>>;
}

const noop = (): void => {};
const require = createRequire(import.meta.url);

function version(name: string): string {
  return (require(`${name}/package.json`) as { version: string }).version;
}

/** Loads a client library in this process (each child process loads exactly one). */
export async function loadClient(
  name: Exclude<ClientName, "raw">,
  wschanPath: string,
): Promise<ClientLibrary> {
  switch (name) {
    case "wschan":
    case "wschan-base":
    case "wschan-batch":
    case "wschan-iter":
      return loadWschan(wschanPath, WSCHAN_MODES[name]!);
    case "ws":
    case "ws-native":
      return loadWs(name === "ws-native");
    case "undici":
      return loadUndici();
  }
}

// ---- wschan ----

async function loadWschan(path: string, mode: WschanMode): Promise<ClientLibrary> {
  const wschan = (await import(pathToFileURL(path).href)) as typeof Wschan;
  return {
    info: { module: path, receive: mode },
    async connect(url, deflate) {
      const client = await wschan.connect(
        url,
        deflate ? { compression: wschan.COMPRESSION.CONTEXT_TAKEOVER } : undefined,
      );
      return new WschanConnection(client, mode);
    },
  };
}

class WschanConnection implements Connection {
  readonly extensions: string;
  received = 0;
  readonly #client: Wschan.Client;
  readonly #channel: Wschan.Channel<Wschan.Message>;
  readonly #mode: WschanMode;

  constructor(client: Wschan.Client, mode: WschanMode) {
    this.#client = client;
    this.#channel = client.channel();
    this.extensions = client.extensions;
    this.#mode = mode;
  }

  send(item: Payload): void {
    // send()'s promise never raises an unhandled rejection; a failure shows in what follows.
    void this.#client.send(item);
  }

  sendMany(items: readonly Payload[], from: number, count: number): Promise<void> {
    const client = this.#client;
    const n = items.length;
    let last: Promise<boolean> | undefined;
    for (let i = 0; i < count; i++) last = client.send(items[(from + i) % n]!);
    // Sends settle in order, so the last one settling means the socket took them all.
    return (last ?? Promise.resolve(true)).then(noop);
  }

  async receive(n: number): Promise<string | undefined> {
    if (this.#mode === "batch") return this.#receiveBatches(n);
    if (this.#mode === "iter") return this.#receiveIterating(n);
    const channel = this.#channel;
    let last: Wschan.Message | undefined;
    for (let i = 0; i < n; i++) {
      const [message, ok] = await channel.receive();
      if (!ok) throw new Error("the connection closed before every message arrived");
      this.received += message.data.length;
      last = message;
    }
    return last?.type === "text" ? last.data : undefined;
  }

  /** The documented fast path: what is buffered without waiting, else one await for a batch. */
  async #receiveBatches(n: number): Promise<string | undefined> {
    const channel = this.#channel;
    let last: Wschan.Message | undefined;
    let left = n;
    while (left > 0) {
      const message = channel.tryReceive();
      if (message !== undefined) {
        this.received += message.data.length;
        last = message;
        left--;
        continue;
      }
      const batch = await channel.receiveBatch(left);
      if (batch.length === 0) throw new Error("the connection closed before every message arrived");
      for (const m of batch) this.received += m.data.length;
      left -= batch.length;
      last = batch[batch.length - 1];
    }
    return last?.type === "text" ? last.data : undefined;
  }

  /** `for await` over the channel, as an application loop would be written. */
  async #receiveIterating(n: number): Promise<string | undefined> {
    let last: Wschan.Message | undefined;
    let i = 0;
    if (n > 0) {
      for await (const message of this.#channel) {
        this.received += message.data.length;
        last = message;
        if (++i === n) break;
      }
    }
    if (i < n) throw new Error("the connection closed before every message arrived");
    return last?.type === "text" ? last.data : undefined;
  }

  ping(): Promise<void> {
    return this.#client.ping().then(noop);
  }

  async close(): Promise<void> {
    await this.#client.close();
  }
}

// ---- ws ----

type WsModule = typeof import("ws");
type WsSocket = InstanceType<WsModule["WebSocket"]>;

async function loadWs(native: boolean): Promise<ClientLibrary> {
  const fallback = require("bufferutil/fallback.js") as { mask: unknown };
  const addon = require("bufferutil") as { mask: unknown };
  const nativeLoaded = addon.mask !== fallback.mask;
  if (native && !nativeLoaded) throw new Error("bufferutil's native addon did not load");
  if (!native && (process.env.WS_NO_BUFFER_UTIL !== "1" || process.env.WS_NO_UTF_8_VALIDATE !== "1")) {
    throw new Error("pure-JavaScript ws needs WS_NO_BUFFER_UTIL=1 and WS_NO_UTF_8_VALIDATE=1");
  }
  const { WebSocket } = (await import("ws")) as WsModule;
  return {
    info: {
      version: version("ws"),
      bufferutil: native ? `native ${version("bufferutil")}` : "disabled",
      // ws 8 validates with buffer.isUtf8 whenever Node has it (18.14+), so this addon is unused on Node 20.
      utf8Validate: native
        ? `installed ${version("utf-8-validate")} (unused: Node has buffer.isUtf8)`
        : "disabled",
    },
    connect(url, deflate) {
      return new Promise((resolve, reject) => {
        const socket = new WebSocket(url, { perMessageDeflate: deflate });
        socket.once("open", () => {
          socket.off("error", reject);
          resolve(new WsConnection(socket));
        });
        socket.once("error", reject);
      });
    },
  };
}

/**
 * Counts the messages of an event-driven client (ws, undici) and settles `receive(n)` when the
 * n-th arrives, with its text when it was text.
 */
class MessageCounter {
  received = 0;
  #count = 0;
  #target = 0;
  #resolve: ((last: string | undefined) => void) | undefined;
  #reject: ((error: Error) => void) | undefined;

  /** Records one message of `length` units (bytes, or UTF-16 units for text). */
  add(length: number, text: string | undefined): void {
    this.received += length;
    if (++this.#count !== this.#target) return;
    const resolve = this.#resolve;
    this.#resolve = undefined;
    this.#reject = undefined;
    resolve?.(text);
  }

  wait(n: number): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      this.#target = this.#count + n;
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  lost(): void {
    this.#reject?.(new Error("the connection closed before every message arrived"));
  }
}

class WsConnection implements Connection {
  readonly #socket: WsSocket;
  readonly #counter = new MessageCounter();

  constructor(socket: WsSocket) {
    this.#socket = socket;
    socket.on("message", (data: Buffer, isBinary: boolean) => {
      // Text arrives as a Buffer (validated); an application wants the string.
      if (isBinary) {
        this.#counter.add(data.length, undefined);
      } else {
        const text = data.toString();
        this.#counter.add(text.length, text);
      }
    });
    socket.on("error", noop);
    socket.on("close", () => this.#counter.lost());
  }

  get received(): number {
    return this.#counter.received;
  }

  get extensions(): string {
    return this.#socket.extensions;
  }

  send(item: Payload): void {
    this.#socket.send(item);
  }

  sendMany(items: readonly Payload[], from: number, count: number): Promise<void> {
    const socket = this.#socket;
    const n = items.length;
    return new Promise((resolve, reject) => {
      const last = count - 1;
      for (let i = 0; i < last; i++) socket.send(items[(from + i) % n]!);
      socket.send(items[(from + last) % n]!, (error) => (error ? reject(error) : resolve()));
    });
  }

  receive(n: number): Promise<string | undefined> {
    return this.#counter.wait(n);
  }

  ping(): Promise<void> {
    return new Promise((resolve) => {
      this.#socket.once("pong", () => resolve());
      this.#socket.ping();
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#socket.once("close", () => resolve());
      this.#socket.close(1000);
    });
  }
}

// ---- undici ----

type UndiciModule = typeof import("undici");
type UndiciSocket = InstanceType<UndiciModule["WebSocket"]>;

/** undici reports nothing per send; past this many buffered bytes the sender waits. */
const UNDICI_HIGH_WATER = 1024 * 1024;

async function loadUndici(): Promise<ClientLibrary> {
  const { WebSocket } = (await import("undici")) as UndiciModule;
  return {
    info: { version: version("undici") },
    connect(url) {
      // undici always offers permessage-deflate (and decompresses, but never compresses what it sends).
      return new Promise((resolve, reject) => {
        const socket = new WebSocket(url);
        socket.binaryType = "arraybuffer";
        const onError = (): void => reject(new Error(`undici could not connect to ${url}`));
        socket.addEventListener("error", onError, { once: true });
        socket.addEventListener(
          "open",
          () => {
            socket.removeEventListener("error", onError);
            resolve(new UndiciConnection(socket));
          },
          { once: true },
        );
      });
    },
  };
}

class UndiciConnection implements Connection {
  readonly #socket: UndiciSocket;
  readonly #counter = new MessageCounter();

  constructor(socket: UndiciSocket) {
    this.#socket = socket;
    socket.addEventListener("message", (event) => {
      const data = event.data as string | ArrayBuffer;
      if (typeof data === "string") this.#counter.add(data.length, data);
      else this.#counter.add(data.byteLength, undefined);
    });
    socket.addEventListener("close", () => this.#counter.lost());
  }

  get received(): number {
    return this.#counter.received;
  }

  get extensions(): string {
    return this.#socket.extensions;
  }

  send(item: Payload): void {
    this.#socket.send(item);
  }

  ping(): Promise<void> {
    return Promise.reject(new Error("undici's WebSocket has no ping"));
  }

  async sendMany(items: readonly Payload[], from: number, count: number): Promise<void> {
    const socket = this.#socket;
    const n = items.length;
    for (let i = 0; i < count; i++) socket.send(items[(from + i) % n]!);
    // A timer rather than setImmediate, so that waiting does not spin the CPU being measured.
    for (let polls = 0; socket.bufferedAmount > UNDICI_HIGH_WATER && polls < 60_000; polls++) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  receive(n: number): Promise<string | undefined> {
    return this.#counter.wait(n);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#socket.addEventListener("close", () => resolve(), { once: true });
      this.#socket.close(1000);
    });
  }
}
