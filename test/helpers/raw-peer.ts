import { createHash } from "node:crypto";
import * as net from "node:net";
import { type ClientFrame, FrameReader } from "../../src/testing/frames.js";
import { closePayload, frame } from "./frames.js";

export type { ClientFrame };

export interface HandshakeRequest {
  readonly requestLine: string;
  readonly path: string;
  /** Header lines as sent, in order, names with their case. */
  readonly rawHeaders: readonly [string, string][];
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
}

export interface RawPeerOptions {
  /**
   * The whole HTTP response to send, given the request; default: a correct 101. May return
   * extra bytes after the header block (frames the client must not lose).
   */
  readonly respond?: (request: HandshakeRequest, accept: string) => Buffer | string;
}

/** The scripted server side of one connection: reads the client's frames, writes whatever bytes a test wants. */
export class RawConnection {
  readonly socket: net.Socket;
  readonly request: HandshakeRequest;
  /** The client's bytes, read into frames (no limit: tests decide what is too much). */
  private readonly reader = new FrameReader(Number.MAX_SAFE_INTEGER);
  private waiters: (() => void)[] = [];
  private isEnded = false;
  /** Resolves when the client ends or drops TCP. */
  readonly ended: Promise<void>;

  constructor(socket: net.Socket, request: HandshakeRequest, rest: Buffer) {
    this.socket = socket;
    this.request = request;
    this.reader.push(rest);
    this.ended = new Promise((resolve) => {
      const done = (): void => {
        this.isEnded = true;
        resolve();
        this.wake();
      };
      socket.once("end", done);
      socket.once("close", done);
    });
    socket.on("data", (chunk: Buffer) => {
      this.reader.push(chunk);
      this.wake();
    });
    socket.on("error", () => {});
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  write(bytes: Buffer | string): Promise<void> {
    return new Promise((resolve) => this.socket.write(bytes, () => resolve()));
  }

  /** Reads the client's next frame; rejects if none arrives within `timeoutMs` or TCP ends first. */
  async nextFrame(timeoutMs = 3000): Promise<ClientFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = this.take();
      if (frame !== undefined) return frame;
      if (this.isEnded) throw new Error("the client ended TCP before sending a frame");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame from the client within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Reads frames until a Close, returning every frame read (the Close last). */
  async framesUntilClose(timeoutMs = 3000): Promise<ClientFrame[]> {
    const frames: ClientFrame[] = [];
    for (;;) {
      const frame = await this.nextFrame(timeoutMs);
      frames.push(frame);
      if (frame.opcode === 0x8) return frames;
    }
  }

  private take(): ClientFrame | undefined {
    const next = this.reader.next();
    // A frame announcing more than 2^53 bytes can never arrive whole: nextFrame times out on it.
    return next === "too big" ? undefined : next;
  }

  /** Plays the server's part of a client-initiated closing handshake: reads up to the client's Close, echoes its code, ends TCP. */
  async answerClose(): Promise<ClientFrame[]> {
    const frames = await this.framesUntilClose();
    const close = frames[frames.length - 1]!;
    await this.write(serverFrame(0x8, close.payload.subarray(0, 2)));
    this.end();
    return frames;
  }

  /** Ends TCP from the server side (what a server does after the closing handshake). */
  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A tiny WebSocket server of our own that does the handshake and then does only what the test says. */
export class RawPeer {
  readonly server: net.Server;
  readonly url: string;
  private readonly pending: RawConnection[] = [];
  private readonly waiters: ((c: RawConnection) => void)[] = [];
  private readonly sockets = new Set<net.Socket>();

  private constructor(server: net.Server, port: number) {
    this.server = server;
    this.url = `ws://127.0.0.1:${port}`;
  }

  static async start(options: RawPeerOptions = {}): Promise<RawPeer> {
    const server = net.createServer({ allowHalfOpen: true });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const peer = new RawPeer(server, (server.address() as net.AddressInfo).port);
    server.on("connection", (socket) => peer.accept(socket, options));
    return peer;
  }

  private accept(socket: net.Socket, options: RawPeerOptions): void {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => {});
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      socket.off("data", onData);
      const lines = head.subarray(0, end).toString("latin1").split("\r\n");
      const rawHeaders: [string, string][] = [];
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(":");
        const name = line.slice(0, colon);
        const value = line.slice(colon + 1).trim();
        rawHeaders.push([name, value]);
        headers[name.toLowerCase()] = value;
      }
      const requestLine = lines[0] ?? "";
      const request: HandshakeRequest = {
        requestLine,
        path: requestLine.split(" ")[1] ?? "",
        rawHeaders,
        headers,
      };
      const accept = createHash("sha1")
        .update(`${headers["sec-websocket-key"] ?? ""}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
        .digest("base64");
      const response =
        options.respond?.(request, accept) ??
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`;
      socket.write(response);
      const connection = new RawConnection(socket, request, head.subarray(end + 4));
      const waiter = this.waiters.shift();
      if (waiter) waiter(connection);
      else this.pending.push(connection);
    };
    socket.on("data", onData);
  }

  /** The next connection that completed the handshake. */
  connection(timeoutMs = 3000): Promise<RawConnection> {
    const ready = this.pending.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no connection")), timeoutMs);
      this.waiters.push((c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export interface ServerFrameOptions {
  readonly fin?: boolean;
  /** RSV1–3 as a 3-bit number: 4 is RSV1, 2 RSV2, 1 RSV3. */
  readonly rsv?: number;
  /** Masks the frame (which a server must never do). */
  readonly mask?: boolean;
}

/** Builds a server-to-client frame with the parser tests' byte-exact builder. */
export function serverFrame(
  opcode: number,
  payload: Buffer | string = "",
  options: ServerFrameOptions = {},
): Buffer {
  const rsv = options.rsv ?? 0;
  return frame({
    opcode,
    payload,
    fin: options.fin ?? true,
    rsv1: (rsv & 4) !== 0,
    rsv2: (rsv & 2) !== 0,
    rsv3: (rsv & 1) !== 0,
    ...(options.mask ? { maskKey: Uint8Array.of(1, 2, 3, 4) } : {}),
  });
}

export { closePayload };

/** The close code of a Close frame the client sent (1005 when empty). */
export function closeCodeOf(frame: ClientFrame): number {
  return frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
}
