import { Buffer } from "node:buffer";

/**
 * Memory of large outgoing frames (and of joined small ones, and of the steps a large incoming
 * message grows through), kept for reuse once nothing refers to it. A fresh megabyte costs its
 * page faults on first write (about as much as masking it); reused memory does not. The pool is
 * process-wide and small, so an idle process keeps at most POOL_BYTES.
 */
const POOL_BYTES = 8 * 1024 * 1024;
// Room for the joined writes of small frames (up to 64 KiB each) beside large frames and the steps of
// large incoming messages.
const POOL_COUNT = 16;

const pool: ArrayBuffer[] = [];
let pooled = 0;

/** Frames from this size on take and give pooled memory. */
export const POOLED_FRAME_MIN = 64 * 1024;

/** The smallest memory that goes to the pool: small frames joined into this much (see outbox.ts). */
export const POOLED_JOIN_MIN = 32 * 1024;

/**
 * New memory for a buffer that may go to the pool once done with: from this size on, memory of
 * its own, never a slice of Node's shared allocation block. `Buffer.allocUnsafe` slices sizes
 * below half of `Buffer.poolSize` out of that block, and an application may raise it past 64 KiB:
 * a slice at offset 0 would then pass for memory of its own, and once given to the pool, a later
 * frame would overwrite the application's buffers in the rest of the block. With the default
 * `Buffer.poolSize` (8 KiB) both calls allocate alike at these sizes.
 */
export function ownMemory(size: number): Buffer {
  return size >= POOLED_JOIN_MIN ? Buffer.allocUnsafeSlow(size) : Buffer.allocUnsafe(size);
}

/** Memory for a frame of `size` bytes, if the pool has some that fits without much waste. */
export function takeFrameMemory(size: number): ArrayBuffer | undefined {
  for (let i = pool.length - 1; i >= 0; i--) {
    const memory = pool[i]!;
    if (memory.byteLength >= size && memory.byteLength <= 2 * size) {
      pool.splice(i, 1);
      pooled -= memory.byteLength;
      return memory;
    }
  }
  return undefined;
}

/** Returns a frame's memory once the socket is done with it; the caller must hold no other view of it. */
export function giveFrameMemory(memory: ArrayBuffer): void {
  if (pool.length >= POOL_COUNT || pooled + memory.byteLength > POOL_BYTES) return;
  pool.push(memory);
  pooled += memory.byteLength;
}
