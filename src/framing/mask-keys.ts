import { randomFillSync } from "node:crypto";

const POOL_SIZE = 8192;

/**
 * Masking keys from the CSPRNG, drawn in blocks: one `randomFillSync` per 2048 frames instead of
 * one per frame (a system call each). RFC 6455 §10.3 asks for unpredictable keys, which a
 * CSPRNG block gives as well as single draws do.
 */
export class MaskKeys {
  private readonly pool = Buffer.allocUnsafeSlow(POOL_SIZE);
  private offset = POOL_SIZE;
  private refilled = false;

  /** Returns the offset in `this.bytes` of 4 fresh key bytes. */
  next(): number {
    if (this.offset === POOL_SIZE) this.refill();
    const at = this.offset;
    this.offset += 4;
    return at;
  }

  private refill(): void {
    randomFillSync(this.pool);
    // The first block serves 64 keys only. V8 compiles the code that sends a frame (this is
    // inlined into it) once it is hot, and leaves out a path it has never seen run; the second
    // refill then comes before that, so the path is compiled in. Otherwise the compiled code is
    // thrown away at the first refill after it, 2,048 frames later, and compiled again.
    this.offset = this.refilled ? 0 : POOL_SIZE - 256;
    this.refilled = true;
  }

  get bytes(): Buffer {
    return this.pool;
  }
}

/** One pool for the process: keys are independent draws, so sharing leaks nothing between connections. */
export const maskKeys = new MaskKeys();
