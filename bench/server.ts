// The benchmark's peer: a WebSocket server on plain `net` that does the least work it can, so that
// the client is the bottleneck. Receive scenarios get prebuilt unmasked frames written in large
// blocks; send scenarios have only their frame headers read, payloads skipped unread. The same
// server speaks "raw" to the TCP ceiling: no handshake, the same bytes.
//
// Protocol: a WebSocket upgrade `GET /<mode>?payload=..&size=..&count=..&deflate=..`, or a raw
// line `RAW /<mode>?...\n`. Modes:
//   recv  after the client's first message ("go"; raw: at once, behind an 8-byte length) write
//         `count` frames
//   send  count the client's messages; after `count` of them send "done <compressed messages>"
//   echo  answer every message with a 32-byte binary frame
//   idle  nothing (the raw ceiling upgrades for real here, to be a bare socket after the upgrade)
// A Close from the client is answered with a Close and the end of TCP.
//
// Run: node server.js [--deflate-count N]; prints "listening <port>" once ready.

import * as net from "node:net";
import {
  acceptKey,
  binaryPayload,
  compressJsonMessages,
  DONE_PREFIX,
  JSON_POOL_SIZE,
  LOOPBACK_HOSTS,
  OP_BINARY,
  OP_CLOSE,
  OP_TEXT,
  serverFrame,
  textPayload,
} from "./protocol.js";

/** Bytes per write when blasting: large enough that the server's own cost is negligible. */
const BLOCK_BYTES = 256 * 1024;
const MAX_HEAD_BYTES = 16 * 1024;

const noop = (): void => {};
const OP_PING = 0x9;
const OP_PONG = 0xa;

// ---- frames the server sends ----

const blocks = new Map<string, { frame: Buffer; block: Buffer; perBlock: number }>();

function frameBlock(payload: string, size: number): { frame: Buffer; block: Buffer; perBlock: number } {
  const key = `${payload}:${size}`;
  let entry = blocks.get(key);
  if (entry === undefined) {
    const frame =
      payload === "text"
        ? serverFrame(OP_TEXT, Buffer.from(textPayload(size), "utf8"))
        : serverFrame(OP_BINARY, binaryPayload(size));
    const perBlock = Math.max(1, Math.floor(BLOCK_BYTES / frame.length));
    entry = { frame, block: Buffer.concat(new Array<Buffer>(perBlock).fill(frame)), perBlock };
    blocks.set(key, entry);
  }
  return entry;
}

function* repeatedFrames(payload: string, size: number, count: number): Generator<Buffer> {
  const { block, frame, perBlock } = frameBlock(payload, size);
  if (frame.length > BLOCK_BYTES) {
    // Large frames go out in block-sized writes too, so every scenario is written the same way.
    for (let i = 0; i < count; i++) yield* slices(frame);
    return;
  }
  let left = count;
  for (; left >= perBlock; left -= perBlock) yield block;
  if (left > 0) yield block.subarray(0, left * frame.length);
}

/** A run of compressed frames from one deflate stream: message i ends at `ends[i]`. */
interface DeflateRun {
  readonly bytes: Buffer;
  readonly ends: readonly number[];
}

const deflateRuns = new Map<string, Promise<DeflateRun>>();
let deflateCount = 0;

/**
 * Compresses `count` JSON messages as permessage-deflate frames from one stream (context
 * takeover), or each on its own (`noContext`), the way a server would send them.
 */
function deflateRun(windowBits: number, noContext: boolean): Promise<DeflateRun> {
  const key = `${windowBits}:${noContext}`;
  let run = deflateRuns.get(key);
  if (run === undefined) {
    run = buildDeflateRun(deflateCount, windowBits, noContext);
    deflateRuns.set(key, run);
  }
  return run;
}

async function buildDeflateRun(count: number, windowBits: number, noContext: boolean): Promise<DeflateRun> {
  const payloads = await compressJsonMessages(count, windowBits, noContext);
  const frames = payloads.map((payload) => serverFrame(OP_TEXT, payload, true));
  const ends: number[] = [];
  let total = 0;
  for (const frame of frames) {
    total += frame.length;
    ends.push(total);
  }
  return { bytes: Buffer.concat(frames, total), ends };
}

function* slices(bytes: Buffer): Generator<Buffer> {
  for (let at = 0; at < bytes.length; at += BLOCK_BYTES) yield bytes.subarray(at, at + BLOCK_BYTES);
}

// ---- frames the server reads ----

/**
 * Reads masked client frames by their headers alone and skips the payloads unread. Calls
 * `onFrame` once each frame has fully arrived.
 */
class FrameReader {
  private skip = 0;
  private readonly head = Buffer.allocUnsafe(14);
  private have = 0;
  private fin = false;
  private opcode = 0;
  private rsv1 = false;

  /** A control frame's payload (at most 125 bytes), unmasked, and the frame's masking key. */
  private control: number[] = [];
  private readonly key = Buffer.alloc(4);
  /** The payload of the last control frame, for onFrame to read (pings are answered with it). */
  lastControl: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (fin: boolean, opcode: number, rsv1: boolean) => void) {}

  push(chunk: Buffer): void {
    const length = chunk.length;
    let pos = 0;
    while (pos < length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, length - pos);
        if (this.opcode >= 0x8) {
          for (let i = 0; i < n; i++) this.control.push(chunk[pos + i]! ^ this.key[this.control.length & 3]!);
          if (this.skip === n) this.lastControl = Buffer.from(this.control);
        }
        this.skip -= n;
        pos += n;
        if (this.skip === 0) this.onFrame(this.fin, this.opcode, this.rsv1);
        continue;
      }
      if (this.have === 0 && length - pos >= 2) {
        const size = headerLength(chunk[pos + 1]!);
        if (length - pos >= size) {
          this.begin(chunk, pos);
          pos += size;
          continue;
        }
      }
      this.head[this.have++] = chunk[pos++]!;
      if (this.have >= 2 && this.have === headerLength(this.head[1]!)) {
        this.have = 0;
        this.begin(this.head, 0);
      }
    }
  }

  private begin(bytes: Buffer, at: number): void {
    const first = bytes[at]!;
    let length = bytes[at + 1]! & 0x7f;
    if (length === 126) length = bytes.readUInt16BE(at + 2);
    else if (length === 127) length = bytes.readUInt32BE(at + 2) * 0x100000000 + bytes.readUInt32BE(at + 6);
    this.fin = (first & 0x80) !== 0;
    this.opcode = first & 0x0f;
    this.rsv1 = (first & 0x40) !== 0;
    this.skip = length;
    this.control = [];
    const head = headerLength(bytes[at + 1]!);
    if ((bytes[at + 1]! & 0x80) !== 0) bytes.copy(this.key, 0, at + head - 4, at + head);
    if (length === 0) {
      this.lastControl = Buffer.alloc(0);
      this.onFrame(this.fin, this.opcode, this.rsv1);
    }
  }
}

function headerLength(second: number): number {
  const len7 = second & 0x7f;
  return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + ((second & 0x80) !== 0 ? 4 : 0);
}

// ---- connections ----

interface Request {
  readonly raw: boolean;
  readonly url: URL;
  readonly headers: ReadonlyMap<string, string>;
}

/** Parses the request head, or returns undefined while it is incomplete. */
function parseHead(bytes: Buffer): { request: Request; rest: Buffer } | undefined {
  if (bytes.length >= 4 && bytes.toString("latin1", 0, 4) === "RAW ") {
    const end = bytes.indexOf(10);
    if (end < 0) return undefined;
    const path = bytes.toString("latin1", 4, end).trim();
    const request = { raw: true, url: new URL(path, "http://bench"), headers: new Map<string, string>() };
    return { request, rest: bytes.subarray(end + 1) };
  }
  const end = bytes.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const lines = bytes.toString("latin1", 0, end).split("\r\n");
  const path = lines[0]!.split(" ")[1] ?? "/";
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  return {
    request: { raw: false, url: new URL(path, "http://bench"), headers },
    rest: bytes.subarray(end + 4),
  };
}

/** What the peer agreed to for permessage-deflate: the window it compresses with, and whether it resets. */
interface DeflateAgreement {
  readonly response: string;
  readonly windowBits: number;
  readonly noContext: boolean;
}

/** Accepts the client's first usable permessage-deflate offer (RFC 7692 §7.1), if any. */
function negotiateDeflate(header: string | undefined): DeflateAgreement | undefined {
  if (header === undefined) return undefined;
  for (const offer of header.split(",")) {
    const [name, ...params] = offer.split(";").map((part) => part.trim());
    if (name !== "permessage-deflate") continue;
    let windowBits = 15;
    let noContext = false;
    const response = ["permessage-deflate"];
    let usable = true;
    for (const param of params) {
      const [key, rawValue] = param.split("=").map((part) => part.trim());
      const value = rawValue?.replace(/^"|"$/g, "");
      if (key === "server_no_context_takeover") {
        noContext = true;
        response.push("server_no_context_takeover");
      } else if (key === "server_max_window_bits") {
        const bits = Number(value);
        // zlib cannot make a raw deflate stream with an 8-bit window; decline such an offer.
        if (!(bits >= 9 && bits <= 15)) usable = false;
        windowBits = bits;
        response.push(`server_max_window_bits=${bits}`);
      } else if (key === "client_no_context_takeover") {
        response.push("client_no_context_takeover");
      } else if (key !== "client_max_window_bits") {
        usable = false;
      }
    }
    if (usable) return { response: response.join("; "), windowBits, noContext };
  }
  return undefined;
}

function onConnection(socket: net.Socket): void {
  socket.setNoDelay(true);
  socket.on("error", noop);
  let head: Buffer = Buffer.alloc(0);
  const onHead = (chunk: Buffer): void => {
    head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    const parsed = parseHead(head);
    if (parsed === undefined) {
      if (head.length > MAX_HEAD_BYTES) socket.destroy();
      return;
    }
    socket.off("data", onHead);
    start(socket, parsed.request, parsed.rest);
  };
  socket.on("data", onHead);
}

function start(socket: net.Socket, request: Request, rest: Buffer): void {
  const { url, raw } = request;
  const mode = url.pathname.slice(1);
  const payload = url.searchParams.get("payload") ?? "binary";
  const size = Number(url.searchParams.get("size") ?? 0);
  const count = Number(url.searchParams.get("count") ?? 0);
  let deflate: DeflateAgreement | undefined;

  if (!raw) {
    const key = request.headers.get("sec-websocket-key");
    if (key === undefined) {
      socket.end("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    if (url.searchParams.get("deflate") === "1") {
      deflate = negotiateDeflate(request.headers.get("sec-websocket-extensions"));
    }
    socket.write(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n` +
        (deflate === undefined ? "" : `Sec-WebSocket-Extensions: ${deflate.response}\r\n`) +
        "\r\n",
    );
  }

  let started = false;
  const blastFrames = (): void => {
    if (started) return;
    started = true;
    void blastFor(socket, raw, payload, size, count, url.searchParams.get("deflate") === "1", deflate);
  };

  let messages = 0;
  let compressed = 0;
  let messageCompressed = false;
  const echo = serverFrame(OP_BINARY, binaryPayload(32));
  const reader = new FrameReader((fin, opcode, rsv1) => {
    if (opcode === OP_CLOSE) {
      // Answer with 1000 whatever the code: the clients here always close normally.
      socket.end(serverFrame(OP_CLOSE, Buffer.from([0x03, 0xe8])));
      return;
    }
    if (opcode === OP_PING) {
      socket.write(serverFrame(OP_PONG, reader.lastControl));
      return;
    }
    if (opcode > 0x7) return;
    if (opcode !== 0) messageCompressed = rsv1;
    if (!fin) return;
    messages++;
    if (messageCompressed) compressed++;
    if (mode === "recv") {
      blastFrames();
    } else if (mode === "echo") {
      socket.write(echo);
    } else if (mode === "send" && messages === count) {
      socket.write(serverFrame(OP_TEXT, Buffer.from(`${DONE_PREFIX}${compressed}`)));
    }
  });
  socket.on("data", (chunk: Buffer) => reader.push(chunk));
  socket.on("end", () => socket.end());
  if (raw && mode === "recv") blastFrames();
  if (rest.length > 0) reader.push(rest);
}

async function blastFor(
  socket: net.Socket,
  raw: boolean,
  payload: string,
  size: number,
  count: number,
  wantDeflate: boolean,
  deflate: DeflateAgreement | undefined,
): Promise<void> {
  let pieces: Iterable<Buffer>;
  let total: number;
  if (wantDeflate) {
    // The raw ceiling reads the bytes a context-takeover connection would carry.
    const run = await deflateRun(deflate?.windowBits ?? 15, deflate?.noContext ?? false);
    if (count > run.ends.length) {
      socket.destroy();
      return;
    }
    total = run.ends[count - 1]!;
    pieces = slices(run.bytes.subarray(0, total));
  } else {
    const { frame } = frameBlock(payload, size);
    total = frame.length * count;
    pieces = repeatedFrames(payload, size, count);
  }
  if (raw) {
    const length = Buffer.allocUnsafe(8);
    length.writeBigUInt64BE(BigInt(total));
    socket.write(length);
  }
  for (const piece of pieces) {
    if (socket.destroyed) return;
    if (!socket.write(piece)) await drained(socket);
  }
}

function drained(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off("drain", done);
      socket.off("close", done);
      resolve();
    };
    socket.on("drain", done);
    socket.on("close", done);
  });
}

async function main(): Promise<void> {
  const at = process.argv.indexOf("--deflate-count");
  deflateCount = at > 0 ? Number(process.argv[at + 1]) : 0;
  if (deflateCount > 0) {
    if (deflateCount < JSON_POOL_SIZE) deflateCount = JSON_POOL_SIZE;
    await deflateRun(15, false);
  }
  const server = net.createServer({ noDelay: true }, onConnection);
  server.on("error", (error) => {
    console.error(`bench server: ${error.message}`);
    process.exit(1);
  });
  server.listen({ host: "127.0.0.1", port: 0, backlog: 4096 }, async () => {
    const address = server.address() as net.AddressInfo;
    // The same port on a few more loopback addresses: each destination address has its own range
    // of source ports, so many connections do not exhaust one.
    for (const host of LOOPBACK_HOSTS.slice(1)) {
      const extra = net.createServer({ noDelay: true }, onConnection);
      await new Promise<void>((resolve) => {
        extra.once("error", () => resolve());
        extra.listen({ host, port: address.port, backlog: 4096 }, () => resolve());
      });
    }
    process.stdout.write(`listening ${address.port}\n`);
  });
  // The runner closes stdin when it is done (or dies): stop then, never outlive it.
  process.stdin.on("end", () => process.exit(0));
  process.stdin.on("error", () => process.exit(0));
  process.stdin.resume();
}

void main();
