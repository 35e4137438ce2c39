import type { Duplex } from "node:stream";

/**
 * Writes handed to a socket together in one system call, and writes reported taken before their
 * callback because the kernel had taken them whole, in this process (for tests and benchmarks).
 */
export const writesTogether = { count: 0, reportedEarly: 0 };

/** The parts of a Node socket this reads: its native handle and whether TLS wraps it. */
interface SocketInternals {
  readonly encrypted?: unknown;
  readonly _handle?: { readonly writeQueueSize?: unknown } | null;
}

/**
 * How many bytes written to `stream` the kernel has not taken yet, or undefined when Node cannot
 * tell. For a plain TCP or Unix socket this is libuv's write queue, which Node keeps on the
 * socket's handle as `writeQueueSize` (an internal that Node's own socket timeouts read; present
 * from Node 10 to 24, and checked here rather than assumed). Over TLS the handle is the TLS
 * layer's, not the kernel socket's, and other streams (HTTP/2, users' own) have none: for those a
 * write is known taken only when it completes.
 */
export function unsentBytes(stream: Duplex): number | undefined {
  const socket = stream as Duplex & SocketInternals;
  if (socket.encrypted === true) return undefined;
  const size = socket._handle?.writeQueueSize;
  return typeof size === "number" ? size : undefined;
}

/**
 * The writes of one writev that the kernel had not wholly taken when it was made, from then until
 * its callback: which of them it has taken whole since (to report them before the writev
 * completes), and how many each write callback still completes.
 */
export class PartialWrites {
  /** Sizes of the writes not yet reported, oldest first, and their total. */
  readonly #sizes: number[];
  #bytes: number;
  /** Write callbacks still to come for writes made before the writev. */
  #ahead: number;
  /** Writes reported taken already. */
  #reported = 0;
  /** Whether the writev's own callback has come. */
  done = false;

  /** `ahead`: write callbacks still to come, when the writev was made, for the writes before it. */
  constructor(sizes: number[], bytes: number, ahead: number) {
    this.#sizes = sizes;
    this.#bytes = bytes;
    this.#ahead = ahead;
  }

  /** How many more of its writes, oldest first, the kernel has taken whole, now that libuv holds `left` bytes. */
  taken(left: number): number {
    const sizes = this.#sizes;
    let taken = this.#bytes - left;
    let count = 0;
    while (sizes.length > 0 && sizes[0]! <= taken) {
      const size = sizes.shift()!;
      taken -= size;
      this.#bytes -= size;
      count++;
    }
    this.#reported += count;
    writesTogether.reportedEarly += count;
    return count;
  }

  /**
   * A write callback came that completes `writes` writes: how many of them are still to be
   * reported (the writev's writes reported already are not). Sets `done` at the writev's own.
   */
  callback(writes: number): number {
    if (this.#ahead > 0) {
      this.#ahead--;
      return writes;
    }
    this.done = true;
    return writes - this.#reported;
  }
}
