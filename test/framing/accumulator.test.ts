import { randomBytes } from "node:crypto";
import t from "tap";
import { Accumulator } from "../../src/framing/accumulator.js";
import { giveFrameMemory, takeFrameMemory } from "../../src/framing/frame-memory.js";

const KiB = 1024;
const MiB = 1024 * KiB;

/** Empties the process-wide pool so that each test starts from the same state. */
function drainPool(): void {
  for (const size of [64 * KiB, 256 * KiB, MiB, 4 * MiB]) while (takeFrameMemory(size) !== undefined);
}

t.test("a large payload assembled in steps comes out intact, in memory of its own size", async (t) => {
  drainPool();
  const payload = randomBytes(MiB);
  const acc = new Accumulator();
  // As a frame read in 64 KiB pieces: the memory grows 256 KiB, then 1 MiB (the 4x rule).
  for (let at = 0; at < payload.length; at += 64 * KiB)
    acc.appendTowards(payload, at, at + 64 * KiB, payload.length, 16 * MiB);
  const out = acc.take();
  t.ok(out.equals(payload), "the bytes are the payload's");
  t.equal(out.buffer.byteLength, MiB, "the application's memory is exactly the payload");
  t.not(takeFrameMemory(256 * KiB), undefined, "the 256 KiB step went back to the pool");
});

t.test("a step taken from the pool is reused, and copied out if the payload ends inside it", async (t) => {
  drainPool();
  const stale = new ArrayBuffer(512 * KiB);
  new Uint8Array(stale).fill(0xee);
  giveFrameMemory(stale);
  const acc = new Accumulator();
  const first = randomBytes(100 * KiB);
  // Expected 4 MiB, 100 KiB received: the step is 400 KiB, from the pool (512 KiB fits it).
  acc.appendTowards(first, 0, first.length, 4 * MiB, 16 * MiB);
  t.equal(takeFrameMemory(400 * KiB), undefined, "the pooled memory is in use");
  // A fragmented message that ends early: what is handed over must not be the pooled memory.
  const out = acc.take();
  t.ok(out.equals(first), "the bytes are the payload's");
  t.not(out.buffer, stale, "the application never gets pooled memory");
  t.equal(out.buffer.byteLength, out.length, "copied out into memory of exactly its size");
  t.equal(takeFrameMemory(400 * KiB), stale, "the pooled memory went back once the payload was copied out");
});

t.test("the room for a direct read grows under the same rule and comes out exact", async (t) => {
  drainPool();
  const acc = new Accumulator();
  const payload = randomBytes(MiB);
  let at = 0;
  while (at < payload.length) {
    const room = acc.room(payload.length, 16 * MiB);
    const count = Math.min(room.length, payload.length - at, 200 * KiB);
    t.ok(count > 0, "there is room");
    payload.copy(room, 0, at, at + count);
    acc.commit(count);
    at += count;
    if (count === 0) break;
  }
  const out = acc.take();
  t.ok(out.equals(payload));
  t.equal(out.buffer.byteLength, MiB);
});
