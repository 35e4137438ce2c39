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
