import { Buffer } from "node:buffer";
import * as net from "node:net";
import { prototypeless } from "../options/own.js";

/** Size of a read while data flows. */
const READ_SIZE = 64 * 1024;
/** Reads smaller than this are copied out, so a whole read buffer is not kept for a few bytes. */
const COPY_BELOW = 4 * 1024;
/**
 * One buffer shared by every idle or lightly used socket: reads are made one at a time on this
 * thread and whatever lands here is copied out at once, so an idle connection holds no read
 * buffer of its own. A read of COPY_BELOW bytes or more moves its socket to buffers of its own.
 */
const SHARED = Buffer.allocUnsafeSlow(16 * 1024);

/** Reads made straight into messages, and their bytes, in this process (for tests and benchmarks). */
export const directReads = { count: 0, bytes: 0 };

/** Where a socket made by `connectDirect` may read straight into, and what it read there. */
export interface DirectSink {
  /** Memory the next read may fill (the rest of a large frame), or undefined for an ordinary read. */
  target(): Buffer | undefined;
  /** `count` bytes were read into the memory `target` gave. Returns false to stop reading. */
  landed(count: number): boolean;
  /** An ordinary read. Returns false to stop reading. */
  received(chunk: Buffer): boolean;
}

/**
 * Reads a TCP socket through `net.connect`'s `onread` (a buffer we supply) instead of Node's
 * allocation per read, so that the payload of a large frame is read by the kernel straight
 * into its message's memory, with no copy in between. Until a sink is set, and whenever the
 * sink has no target, bytes go through the socket's readable side as usual ('data' events),
 * so the handshake and everything else see an ordinary socket.
 */
class DirectReader {
  readonly socket: net.Socket;
  sink: DirectSink | undefined;
  /** The memory of the next ordinary read: SHARED, or this socket's own while data flows. */
  buffer: Buffer = SHARED;
  /** Whether the next ordinary read gets a buffer of its own (the last one filled its buffer). */
  flowing = false;
  /** Whether the memory handed out for the next read is the sink's. */
  direct = false;

  constructor(socket: net.Socket) {
    this.socket = socket;
  }

  next(): Uint8Array {
    const sink = this.sink;
    // Bytes waiting in the readable side come first: the parser has not seen them yet.
    if (sink !== undefined && this.socket.readableLength === 0) {
      const target = sink.target();
      if (target !== undefined) {
        this.direct = true;
        return target;
      }
    }
    this.direct = false;
    // A buffer of our own is handed on with what was read into it: take a fresh one each time.
    this.buffer = this.flowing ? Buffer.allocUnsafeSlow(READ_SIZE) : SHARED;
    return this.buffer;
  }

  read(count: number): boolean {
    if (this.direct) {
      this.direct = false;
      directReads.count++;
      directReads.bytes += count;
      return this.sink!.landed(count);
    }
    const buffer = this.buffer;
    // Data is flowing while reads bring more than a few bytes: read into buffers of our own then
    // (64 KiB, handed on whole); go back to the shared one once reads are small again.
    this.flowing = count >= COPY_BELOW;
    let chunk: Buffer;
    if (buffer === SHARED || count < COPY_BELOW) {
      chunk = Buffer.allocUnsafe(count);
      buffer.copy(chunk, 0, 0, count);
    } else {
      chunk = buffer.subarray(0, count);
    }
    // Once the connection has its sink, reads go to it straight rather than through the socket's
    // readable side: no push, 'data' event and tick per read, and no tick after which Node would
    // start reading again although the sink has just asked to stop (Readable's maybeReadMore).
    // Bytes still waiting in the readable side go first.
    const sink = this.sink;
    if (sink !== undefined && this.socket.readableLength === 0) return sink.received(chunk);
    return this.socket.push(chunk);
  }
}

const readers = new WeakMap<net.Socket, DirectReader>();

/**
 * The reader whose read just completed. Node asks for the next read's memory right after the
 * callback of the last one returns, on the same socket, but calls that function without the
 * socket; the callback gets it as `this`. Reads run one at a time on this thread, so the pair
 * cannot interleave with another socket's.
 */
let lastRead: DirectReader | undefined;

/**
 * The `onread` of every direct socket: one pair of functions shared by all of them, not two
 * closures per connection (an idle connection's memory is mostly such small objects).
 */
const ONREAD = {
  buffer(): Uint8Array {
    const reader = lastRead;
    lastRead = undefined;
    // The first call comes from inside net.connect, before any read: an ordinary read then.
    return reader === undefined ? SHARED : reader.next();
  },
  callback(this: net.Socket, count: number): boolean {
    const reader = readers.get(this)!;
    const more = reader.read(count);
    lastRead = reader;
    return more;
  },
};

/** `net.connect(options)`, reading through a `DirectReader` (see `directReader`). */
export function connectDirect(options: net.TcpNetConnectOpts): net.Socket {
  // Copied onto an object with no prototype, as dial.ts gives every socket's options: a field
  // planted on Object.prototype (a unix socket path, say) cannot reach net.connect.
  const socket = net.connect(prototypeless({ ...options, onread: ONREAD }));
  readers.set(socket, new DirectReader(socket));
  return socket;
}

/** The reader of a socket made by `connectDirect`, to set its sink; undefined for any other stream. */
export function directReader(stream: object): { sink: DirectSink | undefined } | undefined {
  return readers.get(stream as net.Socket);
}
