import t from "tap";
import { after, ChannelCore, select } from "../../src/channel/channel.js";

t.test(
  "receive returns buffered values in order, then [undefined, false] once closed and drained",
  async (t) => {
    const core = new ChannelCore<number>();
    core.send(1);
    core.send(2);
    core.close();
    core.send(3);
    const ch = core.channel;
    t.same(await ch.receive(), [1, true]);
    t.same(await ch.receive(), [2, true]);
    t.same(await ch.receive(), [undefined, false]);
    t.same(await ch.receive(), [undefined, false], "stays closed");
  },
);

t.test("a waiting receiver gets the next value sent", async (t) => {
  const core = new ChannelCore<string>();
  const pending = core.channel.receive();
  core.send("x");
  t.same(await pending, ["x", true]);
  const closing = core.channel.receive();
  core.close();
  t.same(await closing, [undefined, false]);
});

t.test("async iteration yields every value and ends at close", async (t) => {
  const core = new ChannelCore<number>();
  setTimeout(() => {
    for (let i = 0; i < 5; i++) core.send(i);
    core.close();
  }, 5);
  const seen: number[] = [];
  for await (const v of core.channel) seen.push(v);
  t.same(seen, [0, 1, 2, 3, 4]);
});

t.test("select receives from exactly one ready channel and picks at random among ready ones", async (t) => {
  const a = new ChannelCore<string>();
  const b = new ChannelCore<string>();
  const counts = { a: 0, b: 0 };
  for (let i = 0; i < 400; i++) {
    a.send("a");
    b.send("b");
    const r = await select([a.channel.case_receive(), b.channel.case_receive()]);
    t.equal(a.length + b.length, 1, "one value consumed");
    counts[r.value as "a" | "b"]++;
    t.equal(r.channel, r.value === "a" ? a.channel : b.channel);
    // Drain the other so the next round starts equal.
    (r.value === "a" ? b : a).take();
  }
  t.ok(counts.a > 120 && counts.b > 120, `both cases are chosen (${counts.a}/${counts.b})`);
});

t.test("a waiting select takes the first value sent and leaves the other channels untouched", async (t) => {
  const a = new ChannelCore<number>();
  const b = new ChannelCore<number>();
  const pending = select([a.channel.case_receive(), b.channel.case_receive()]);
  b.send(7);
  a.send(8);
  const r = await pending;
  t.equal(r.channel, b.channel);
  t.equal(r.value, 7);
  t.equal(r.ok, true);
  t.equal(a.length, 1, "a's value is still there");
  t.same(await a.channel.receive(), [8, true]);
});

t.test("select reports a closed channel with ok false", async (t) => {
  const a = new ChannelCore<number>();
  const timer = after("1h");
  const pending = select([a.channel.case_receive(), timer.case_receive()]);
  a.close();
  const r = await pending;
  t.equal(r.channel, a.channel);
  t.equal(r.ok, false);
});

t.test("after yields a Date once, after the duration, and then never again", async (t) => {
  const started = Date.now();
  const ch = after("30ms");
  const [value, ok] = await ch.receive();
  t.ok(ok);
  t.ok(value instanceof Date);
  t.ok(Date.now() - started >= 25, "not before the duration");
  const r = await select([ch.case_receive(), after(30).case_receive()]);
  t.not(r.channel, ch, "the spent timer is not ready again");
});

t.test("after and select reject bad arguments", async (t) => {
  t.throws(() => after("soon"), { name: "WebSocketError", kind: "INVALID" });
  await t.rejects(select([]), { name: "WebSocketError", kind: "INVALID" });
  await t.rejects(select([{ channel: {} } as never]), { name: "WebSocketError", kind: "INVALID" });
});

t.test("the seed's heartbeat loop works with select and after", async (t) => {
  const messages = new ChannelCore<string>();
  let sent = 0;
  const timer = setInterval(() => {
    if (sent < 5) messages.send(`m${sent++}`);
    else {
      clearInterval(timer);
      messages.close();
    }
  }, 15);
  let heartbeat = after(20);
  let beats = 0;
  const seen: string[] = [];
  while (true) {
    const r = await select([messages.channel.case_receive(), heartbeat.case_receive()]);
    if (r.channel === heartbeat) {
      beats++;
      heartbeat = after(20);
    } else if (!r.ok) break;
    else seen.push(r.value as string);
  }
  t.same(seen, ["m0", "m1", "m2", "m3", "m4"]);
  t.ok(beats >= 1, `the heartbeat fired (${beats} times)`);
});
