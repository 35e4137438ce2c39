/** An empty ring, shared until the first push: an idle connection holds no ring of its own. */
const NONE = new Float64Array(0);

/**
 * A FIFO of numbers on a growable ring: no allocation per item in a steady stream. The ring's
 * size is a power of two, so positions wrap with a mask rather than a division (this runs once
 * per message received).
 */
export class NumberQueue {
  private ring = NONE;
  private head = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(value: number): void {
    // Growing is apart: what runs per message stays small enough for V8 to inline into its caller.
    const ring = this.count === this.ring.length ? this.grow() : this.ring;
    ring[(this.head + this.count) & (ring.length - 1)] = value;
    this.count++;
  }

  private grow(): Float64Array {
    const ring = this.ring;
    const grown = new Float64Array(Math.max(16, ring.length * 2));
    for (let i = 0; i < this.count; i++) grown[i] = ring[(this.head + i) & (ring.length - 1)]!;
    this.ring = grown;
    this.head = 0;
    return grown;
  }

  /** The oldest value, removed; 0 when empty. */
  shift(): number {
    if (this.count === 0) return 0;
    const value = this.ring[this.head]!;
    this.head = (this.head + 1) & (this.ring.length - 1);
    this.count--;
    return value;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }
}
