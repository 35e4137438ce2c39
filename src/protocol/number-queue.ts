/** An empty ring, shared until the first push: an idle connection holds no ring of its own. */
const NONE = new Float64Array(0);

/** A FIFO of numbers on a growable ring: no allocation per item in a steady stream. */
export class NumberQueue {
  private ring = NONE;
  private head = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(value: number): void {
    if (this.count === this.ring.length) {
      const grown = new Float64Array(Math.max(16, this.ring.length * 2));
      for (let i = 0; i < this.count; i++) grown[i] = this.ring[(this.head + i) % this.ring.length]!;
      this.ring = grown;
      this.head = 0;
    }
    this.ring[(this.head + this.count) % this.ring.length] = value;
    this.count++;
  }

  /** The oldest value, removed; 0 when empty. */
  shift(): number {
    if (this.count === 0) return 0;
    const value = this.ring[this.head]!;
    this.head = (this.head + 1) % this.ring.length;
    this.count--;
    return value;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }
}
