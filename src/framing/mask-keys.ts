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

  /** Returns the offset in `this.bytes` of 4 fresh key bytes. */
  next(): number {
    if (this.offset === POOL_SIZE) {
      randomFillSync(this.pool);
      this.offset = 0;
    }
    const at = this.offset;
    this.offset += 4;
    return at;
  }

  get bytes(): Buffer {
    return this.pool;
  }
}

/** One pool for the process: keys are independent draws, so sharing leaks nothing between connections. */
export const maskKeys = new MaskKeys();
