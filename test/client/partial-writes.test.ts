// The bookkeeping of a writev the kernel took part of: which writes to report taken, and when,
// and which callbacks to pass on. Its reading of the kernel is tested on sockets in
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
  "callbacks: those of earlier writes pass, those of reported writes are swallowed, the rest pass",
  async (t) => {
    // Two callbacks still owed for writes made before the writev, then three writes in it.
    const partial = new PartialWrites([10, 20, 30], 60, 2);
    t.equal(partial.taken(30), 2, "the kernel has the first two writes of the writev");
    const passed = [
      partial.callback(),
      partial.callback(),
      partial.callback(),
      partial.callback(),
      partial.callback(),
    ];
    t.same(passed, [true, true, false, false, true], "ahead, ahead, reported, reported, the last write");
    t.ok(partial.done, "every callback has come");
  },
);

t.test("a write completing through its callback is no longer counted as unsent", async (t) => {
  const partial = new PartialWrites([10, 20, 30], 60, 0);
  t.equal(partial.callback(), true, "the first write completes the usual way");
  t.notOk(partial.done);
  // 50 bytes of the last two remain to be reported; libuv holds 30: the second is whole.
  t.equal(partial.taken(30), 1);
  t.equal(partial.callback(), false, "its callback was reported already");
  t.equal(partial.callback(), true);
  t.ok(partial.done);
});
