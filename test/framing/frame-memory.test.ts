import { Buffer } from "node:buffer";
import t from "tap";
import { Accumulator } from "../../src/framing/accumulator.js";
import { encodeFrame, encodeTextFrame } from "../../src/framing/encoder.js";
import { giveFrameMemory, takeFrameMemory } from "../../src/framing/frame-memory.js";
import { Outbox } from "../../src/protocol/outbox.js";

t.test("pooled frame memory is handed out only when it fits without waste, once", async (t) => {
  const mib = new ArrayBuffer(1024 * 1024);
  giveFrameMemory(mib);
  t.equal(takeFrameMemory(2 * 1024 * 1024), undefined, "too small for 2 MiB");
  t.equal(takeFrameMemory(100 * 1024), undefined, "too wasteful for 100 KiB");
  t.equal(takeFrameMemory(700 * 1024), mib, "fits 700 KiB");
  t.equal(takeFrameMemory(700 * 1024), undefined, "handed out once");
});

t.test("the pool keeps at most 16 buffers and 8 MiB", async (t) => {
  const many = Array.from({ length: 20 }, () => new ArrayBuffer(128 * 1024));
  for (const m of many) giveFrameMemory(m);
  let taken = 0;
  while (takeFrameMemory(128 * 1024) !== undefined) taken++;
  t.equal(taken, 16, "16 buffers kept");
  const big = Array.from({ length: 4 }, () => new ArrayBuffer(3 * 1024 * 1024));
  for (const m of big) giveFrameMemory(m);
  let bytes = 0;
  for (let m = takeFrameMemory(3 * 1024 * 1024); m !== undefined; m = takeFrameMemory(3 * 1024 * 1024))
    bytes += m.byteLength;
  t.equal(bytes, 6 * 1024 * 1024, "no more than 8 MiB kept");
});

t.test(
  "memory that may go to the pool is never a slice of Node's shared block, however large Buffer.poolSize is",
  async (t) => {
    const poolSize = Buffer.poolSize;
    t.teardown(() => {
      Buffer.poolSize = poolSize;
    });
    // An application's choice: Buffer.allocUnsafe now slices up to 512 KiB out of a shared block.
    Buffer.poolSize = 1024 * 1024;
    /** Whether `made` came out of the block that small allocations are sliced from right now. */
    const shared = (made: Buffer): boolean => made.buffer === Buffer.allocUnsafe(16).buffer;
    t.ok(
      shared(Buffer.allocUnsafe(70_000)),
      "the check itself: a plain allocUnsafe of 70,000 bytes is a slice",
    );
    const key = Buffer.from([1, 2, 3, 4]);
    t.notOk(shared(encodeFrame({ opcode: 2 }, Buffer.alloc(70_000), key)), "a large binary frame");
    t.notOk(shared(encodeTextFrame("a".repeat(70_000), 70_000, key)), "a large text frame");
    const outbox = new Outbox<string>();
    outbox.push(Buffer.alloc(20_000), "a", 0);
    outbox.push(Buffer.alloc(20_000), "b", 0);
    t.notOk(shared(outbox.take()!), "small frames joined into 40,000 bytes");
    const accumulator = new Accumulator();
    t.notOk(shared(accumulator.room(1024 * 1024, 16 * 1024 * 1024)), "a step of a large message arriving");
  },
);
