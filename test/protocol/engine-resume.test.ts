// Issue 17: once stopped for a full channel, reading goes on when the channel is down to half
// its capacity, not after every message taken; the bounds themselves are unchanged.
import t from "tap";
import { Harness } from "../helpers/engine-harness.js";
import { binary } from "../helpers/frames.js";

t.test("a reader taking one message at a time resumes reading once per half channel", async (t) => {
  const h = new Harness({ channelCapacity: 32 });
  h.receive(Buffer.concat(Array.from({ length: 200 }, () => binary("x"))));
  t.equal(h.messages.length, 32, "capacity messages delivered");
  t.equal(h.readingOn, false, "reading stopped");
  for (let i = 1; i < 16; i++) h.take();
  t.equal(h.resumeRequests, 0, "15 taken, 17 unread: still stopped");
  h.take();
  t.equal(h.resumeRequests, 1, "16 unread, half the capacity: reading goes on");
  h.engine.resume(h.now);
  t.equal(h.messages.length, 48, "the channel fills up to its capacity again, never past it");
  t.same(h.engine.unread.messages, 32);
});

t.test("capacity 1 still lets exactly one more in per message taken", async (t) => {
  const h = new Harness({ channelCapacity: 1 });
  h.receive(Buffer.concat(Array.from({ length: 10 }, () => binary("x"))));
  t.equal(h.messages.length, 1);
  h.take();
  t.equal(h.resumeRequests, 1);
  h.engine.resume(h.now);
  t.equal(h.messages.length, 2);
});
