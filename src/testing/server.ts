import { createServer, type IncomingMessage, type Server, STATUS_CODES } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { invalid } from "../errors/errors.js";
import { acceptFor } from "../handshake/key.js";
import { type ConnectionBehaviour, TestConnection, type TestRequest } from "./connection.js";
import { type Duration, toMs } from "./time.js";

/** The options of `TestServer.start`. */
export interface TestServerOptions {
  /** The loopback address to listen on: "127.0.0.1" (default) or "::1". */
  readonly host?: "127.0.0.1" | "::1";
  /** The port; default 0, any free port. */
  readonly port?: number;
}

/** How `accept` answers the handshake and how the connection then behaves. */
export interface AcceptOptions {
  /** How long to wait for the client's handshake. Default 2 s. */
  readonly timeout?: Duration;
  /** The subprotocol to answer with (sent even when the client did not offer it). Default none. */
  readonly protocol?: string;
  /** A raw Sec-WebSocket-Extensions value to answer with. Default none. */
  readonly extensions?: string;
  /** Extra response headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Answer the client's pings. Default true. */
  readonly pong?: boolean;
  /** Answer the client's Close and end TCP. Default true. */
  readonly answer_close?: boolean;
  /** Largest message accepted from the client, in bytes. Default 16 MiB. */
  readonly read_limit?: number;
}

/** How `refuse` answers the handshake. */
export interface RefuseOptions {
  /** How long to wait for the client's handshake. Default 2 s. */
  readonly timeout?: Duration;
  /** Response headers (Content-Length is set from `body`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Response body. Default empty. */
  readonly body?: string | Uint8Array;
}

interface Upgrade {
  readonly request: IncomingMessage;
  readonly socket: Socket;
  readonly head: Buffer;
}

const DEFAULT_TIMEOUT_MS = 2000;
const DEFAULT_READ_LIMIT = 16 * 1024 * 1024;

function describe(request: IncomingMessage): TestRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  const offered = headers["sec-websocket-protocol"];
  const protocols = offered === undefined ? [] : offered.split(",").map((p) => p.trim());
  return { path: request.url ?? "/", headers, protocols };
}

function headerLines(headers: Readonly<Record<string, string>> | undefined): string {
  let lines = "";
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value))
      throw invalid(`header ${JSON.stringify(name)} holds CR or LF`);
    lines += `${name}: ${value}\r\n`;
  }
  return lines;
}

/**
 * A scriptable WebSocket server for tests, on a real loopback socket. Each opening handshake
 * waits until the test decides what to do with it: `accept`, `refuse` or `drop`, in the order the
 * handshakes arrive. Built on Node's http upgrade and wschan's own handshake and framing code.
 */
export class TestServer {
  /** `ws://127.0.0.1:PORT` (or `ws://[::1]:PORT`). */
  readonly url: string;
  readonly port: number;
  #server: Server;
  #pending: Upgrade[] = [];
  #takers: ((upgrade: Upgrade) => void)[] = [];
  #sockets = new Set<Socket>();
  /** How many opening handshakes have arrived so far. */
  handshakes = 0;

  private constructor(server: Server, host: string) {
    this.#server = server;
    this.port = (server.address() as AddressInfo).port;
    this.url = `ws://${host.includes(":") ? `[${host}]` : host}:${this.port}`;
    server.on("upgrade", (request: IncomingMessage, socket: Socket, head: Buffer) => {
      this.handshakes++;
      this.#track(socket);
      socket.on("error", () => {});
      const upgrade = { request, socket, head };
      const taker = this.#takers.shift();
      if (taker) taker(upgrade);
      else this.#pending.push(upgrade);
    });
  }

  /** Starts a server listening on loopback. */
  static async start(options: TestServerOptions = {}): Promise<TestServer> {
    const host = options.host ?? "127.0.0.1";
    if (host !== "127.0.0.1" && host !== "::1")
      throw invalid("the test server listens on 127.0.0.1 or ::1 only");
    const server = createServer((request, response) => {
      // Plain HTTP requests are not what this server is for.
      request.resume();
      response.writeHead(426, { Upgrade: "websocket", Connection: "close" }).end();
    });
    server.on("connection", (socket: Socket) => socket.on("error", () => {}));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, host, () => resolve());
    });
    const testServer = new TestServer(server, host);
    server.on("connection", (socket: Socket) => testServer.#track(socket));
    return testServer;
  }

  /**
   * Waits for the next opening handshake (at most `timeout`, default 2 s) and completes it with
   * a 101. Gives the connection, to be driven by the test.
   */
  async accept(options: AcceptOptions = {}): Promise<TestConnection> {
    const upgrade = await this.#next(options.timeout);
    const request = describe(upgrade.request);
    const key = request.headers["sec-websocket-key"] ?? "";
    const protocol = options.protocol ?? "";
    let response =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${acceptFor(key)}\r\n`;
    if (protocol !== "") response += `Sec-WebSocket-Protocol: ${protocol}\r\n`;
    if (options.extensions !== undefined) response += `Sec-WebSocket-Extensions: ${options.extensions}\r\n`;
    response += `${headerLines(options.headers)}\r\n`;
    upgrade.socket.setNoDelay(true);
    upgrade.socket.write(response);
    const behaviour: ConnectionBehaviour = {
      pong: options.pong ?? true,
      answer_close: options.answer_close ?? true,
      read_limit: options.read_limit ?? DEFAULT_READ_LIMIT,
    };
    return new TestConnection(upgrade.socket, upgrade.head, request, protocol, behaviour);
  }

  /** Waits for the next opening handshake and refuses it with `status` (and the headers and body given), then ends TCP. */
  async refuse(status: number, options: RefuseOptions = {}): Promise<TestRequest> {
    if (!Number.isInteger(status) || status < 200 || status > 599 || status === 101) {
      throw invalid(`refuse takes an HTTP status from 200 to 599, not ${status}`);
    }
    const lines = headerLines(options.headers);
    const upgrade = await this.#next(options.timeout);
    const body =
      typeof options.body === "string" ? Buffer.from(options.body) : Buffer.from(options.body ?? []);
    upgrade.socket.end(
      Buffer.concat([
        Buffer.from(
          `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Status"}\r\nConnection: close\r\n` +
            `Content-Length: ${body.length}\r\n${lines}\r\n`,
          "latin1",
        ),
        body,
      ]),
    );
    return describe(upgrade.request);
  }

  /** Waits for the next opening handshake and drops its connection without answering. */
  async drop(timeout?: Duration): Promise<TestRequest> {
    const upgrade = await this.#next(timeout);
    upgrade.socket.destroy();
    return describe(upgrade.request);
  }

  /** Stops listening and drops every connection. */
  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    this.#pending = [];
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once("close", () => this.#sockets.delete(socket));
  }

  /** The next handshake whose client is still there, waiting at most `timeout`. */
  #next(timeout: Duration | undefined): Promise<Upgrade> {
    const ms = timeout === undefined ? DEFAULT_TIMEOUT_MS : toMs(timeout, "timeout");
    for (;;) {
      const ready = this.#pending.shift();
      if (ready === undefined) break;
      if (!ready.socket.destroyed) return Promise.resolve(ready);
    }
    return new Promise<Upgrade>((resolve, reject) => {
      const taker = (upgrade: Upgrade): void => {
        clearTimeout(timer);
        resolve(upgrade);
      };
      const timer = setTimeout(() => {
        this.#takers.splice(this.#takers.indexOf(taker), 1);
        reject(new Error(`no opening handshake within ${ms} ms`));
      }, ms);
      this.#takers.push(taker);
    });
  }
}
