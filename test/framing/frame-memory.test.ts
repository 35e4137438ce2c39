import t from "tap";
import { giveFrameMemory, takeFrameMemory } from "../../src/framing/frame-memory.js";

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
