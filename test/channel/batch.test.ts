// Issue 17: receiving without a promise per message (tryReceive, receiveBatch).
import t from "tap";
import { ChannelCore } from "../../src/channel/channel.js";

t.test(
  "tryReceive takes buffered values in order without waiting, and undefined when none is buffered",
  (t) => {
    const core = new ChannelCore<number>();
    const ch = core.channel;
    t.equal(ch.tryReceive(), undefined, "empty and open");
    core.send(1);
    core.send(2);
    t.equal(ch.tryReceive(), 1);
    t.equal(ch.tryReceive(), 2);
    t.equal(ch.tryReceive(), undefined);
    core.send(3);
    core.close();
    t.equal(ch.tryReceive(), 3, "values buffered before the close are still taken");
    t.equal(ch.tryReceive(), undefined, "closed and drained");
    t.end();
  },
);

t.test("tryReceive tells the producer about every value taken, as receive does", async (t) => {
  const core = new ChannelCore<string>();
  let taken = 0;
  core.onTake = () => taken++;
  core.send("a");
  core.send("b");
  core.channel.tryReceive();
  t.equal(taken, 1);
  await core.channel.receive();
  t.equal(taken, 2);
  t.equal(core.channel.tryReceive(), undefined);
  t.equal(taken, 2, "nothing taken, nothing told");
});

t.test("receiveBatch returns every buffered value at once, or at most max", async (t) => {
  const core = new ChannelCore<number>();
  let taken = 0;
  core.onTake = () => taken++;
  for (let i = 0; i < 10; i++) core.send(i);
  t.same(await core.channel.receiveBatch(3), [0, 1, 2]);
  t.equal(taken, 3);
  t.same(await core.channel.receiveBatch(), [3, 4, 5, 6, 7, 8, 9]);
  t.equal(taken, 10);
  t.equal(core.length, 0);
  core.send(10);
  t.same(await core.channel.receiveBatch(), [10], "a batch after the buffer was emptied");
});

t.test("a waiting receiveBatch collects the values sent in the same turn as one batch", async (t) => {
  const core = new ChannelCore<number>();
  const pending = core.channel.receiveBatch();
  core.send(1);
  core.send(2);
  core.send(3);
  t.same(await pending, [1, 2, 3]);
  const later = core.channel.receiveBatch();
  setTimeout(() => core.send(4), 5);
  t.same(await later, [4], "waits across turns for the first value");
});

t.test("receiveBatch resolves [] once the channel is closed and drained", async (t) => {
  const core = new ChannelCore<number>();
  core.send(1);
  core.close();
  t.same(await core.channel.receiveBatch(), [1]);
  t.same(await core.channel.receiveBatch(), []);
  const other = new ChannelCore<number>();
  const waiting = other.channel.receiveBatch();
  other.close();
  t.same(await waiting, [], "a waiting batch ends with the close");
});

t.test(
  "a value taken by another receiver before the batch collects it leaves the batch waiting",
  async (t) => {
    const core = new ChannelCore<number>();
    const batch = core.channel.receiveBatch();
    core.send(1);
    t.equal(core.channel.tryReceive(), 1, "taken synchronously, before the batch's turn");
    let settled = false;
    void batch.then(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    t.notOk(settled, "still waiting: nothing was left for it");
    core.send(2);
    t.same(await batch, [2]);
  },
);

t.test("receiveBatch rejects a max below 1 with INVALID", async (t) => {
  const core = new ChannelCore<number>();
  await t.rejects(core.channel.receiveBatch(0), { name: "WebSocketError", kind: "INVALID" });
  await t.rejects(core.channel.receiveBatch(Number.NaN), { name: "WebSocketError", kind: "INVALID" });
});
