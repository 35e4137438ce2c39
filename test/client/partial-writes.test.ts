// The bookkeeping of a writev the kernel took part of: which writes to report taken, and when,
// and how many writes each callback then completes. Its reading of the kernel is tested on sockets in
// test/integration/unsent.test.ts.
import t from "tap";
import { PartialWrites } from "../../src/client/unsent.js";

t.test("writes are reported taken only once the kernel has every byte of them, oldest first", async (t) => {
  // Three writes of 10, 20 and 30 bytes; the kernel took 15 of the 60 at once.
  const partial = new PartialWrites([10, 20, 30], 60, 0);
  t.equal(partial.taken(45), 1, "the first write (10 bytes) is whole; the second is not");
  t.equal(partial.taken(45), 0, "asking again with no progress reports nothing more");
  t.equal(partial.taken(31), 0, "19 of the second write's 20 bytes: not yet");
  t.equal(partial.taken(30), 1, "its last byte: now it is whole");
  t.equal(partial.taken(0), 1, "and the third");
  t.equal(partial.taken(0), 0, "nothing is reported twice");
});

t.test(
  "callbacks: those of earlier writes report theirs; the writev's own reports what was not reported",
  async (t) => {
    // Two callbacks still owed for writes made before the writev (one of them a writev of four),
    // then the writev's own, for its three writes.
    const partial = new PartialWrites([10, 20, 30], 60, 2);
    t.equal(partial.taken(30), 2, "the kernel has the first two writes of the writev");
    t.equal(partial.callback(1), 1, "a write ahead completes");
    t.notOk(partial.done);
    t.equal(partial.callback(4), 4, "so do the four of a writev ahead");
    t.notOk(partial.done);
    t.equal(partial.callback(3), 1, "the writev's own callback completes the one write not yet reported");
    t.ok(partial.done, "every callback has come");
  },
);

t.test("a writev whose every write was reported early completes nothing more", async (t) => {
  const partial = new PartialWrites([10, 20, 30], 60, 0);
  t.equal(partial.taken(0), 3);
  t.equal(partial.callback(3), 0);
  t.ok(partial.done);
});

t.test("a writev reported nothing early completes all its writes with its callback", async (t) => {
  const partial = new PartialWrites([10, 20, 30], 60, 0);
  t.equal(partial.taken(60), 0, "the kernel has taken nothing yet");
  t.equal(partial.callback(3), 3);
  t.ok(partial.done);
});
