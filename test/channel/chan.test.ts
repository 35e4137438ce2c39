import t from "tap";
import { type Channel, chan, select } from "../../src/channel/channel.js";
import { errors } from "../../src/errors/errors.js";

t.test(
  "a buffered chan takes sends up to its capacity at once, then an awaited send waits for a receive",
  async (t) => {
    const ch = chan<number>(2);
    await ch.send(1);
    await ch.send(2);
    let third = false;
    const sending = ch.send(3).then(() => {
      third = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    t.equal(third, false, "the third send waits while the buffer is full");
    t.equal(ch.length, 2);
    t.same(await ch.receive(), [1, true]);
    await sending;
    t.equal(third, true, "the receive made room");
    t.same(await ch.receive(), [2, true]);
    t.same(await ch.receive(), [3, true]);
  },
);

t.test("an unbuffered chan hands each value from a sender to a receiver", async (t) => {
  const ch = chan<string>();
  let delivered = false;
  const sending = ch.send("a").then(() => {
    delivered = true;
  });
  await new Promise((r) => setTimeout(r, 10));
  t.equal(delivered, false, "no receiver yet: the send waits");
  t.equal(ch.length, 0, "nothing is buffered");
  t.same(await ch.receive(), ["a", true]);
  await sending;
  t.equal(delivered, true);
  const receiving = ch.receive();
  await ch.send("b");
  t.same(await receiving, ["b", true], "a waiting receiver takes a send at once");
});

t.test(
  "close drains the buffer, then receivers see ok false; blocked and later sends reject with INVALID",
  async (t) => {
    const ch = chan<number>(1);
    await ch.send(1);
    const blocked = ch.send(2);
    t.equal(ch.close(), true);
    t.equal(ch.close(), false, "closing twice is harmless");
    const error = await blocked.then(
      () => undefined,
      (e: unknown) => e,
    );
    t.ok(errors.is(error, errors.INVALID), "the blocked send fails");
    t.same(await ch.receive(), [1, true]);
    t.same(await ch.receive(), [undefined, false]);
    const late = await ch.send(3).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.ok(errors.is(late, errors.INVALID), "a send after close fails");
    // An ignored send on a closed channel is no unhandled rejection (the test would fail if it were).
    void ch.send(4);
  },
);

t.test(
  "for await over a chan yields every value and ends at close; break leaves the chan open",
  async (t) => {
    const ch = chan<number>(4);
    const producing = (async () => {
      for (let i = 0; i < 10; i++) await ch.send(i);
      ch.close();
    })();
    const seen: number[] = [];
    for await (const v of ch) {
      seen.push(v);
      if (v === 3) break;
    }
    t.same(seen, [0, 1, 2, 3]);
    for await (const v of ch) seen.push(v);
    await producing;
    t.same(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "the second loop carried on where the first stopped");
  },
);

t.test("select mixes user chans: a stop channel and fan-in from two producers", async (t) => {
  const a = chan<string>();
  const b = chan<number>(1);
  const stop = chan<void>();
  void (async () => {
    for (const s of ["x", "y"]) await a.send(s);
  })();
  void (async () => {
    for (const n of [1, 2]) await b.send(n);
  })();
  setTimeout(() => stop.close(), 30);
  const strings: string[] = [];
  const numbers: number[] = [];
  for (;;) {
    const r = await select([a.case_receive(), b.case_receive(), stop.case_receive()]);
    if (r.index === 2) break;
    if (!r.ok) continue;
    if (r.index === 0) strings.push(r.value.toUpperCase());
    else numbers.push(r.value + 0);
  }
  t.same(strings, ["X", "Y"]);
  t.same(numbers, [1, 2]);
});

t.test("a chan given away as Channel<T> offers no send at the type level", async (t) => {
  const ch = chan<number>(1);
  const readOnly: Channel<number> = ch;
  // @ts-expect-error: a Channel is receive-only
  t.type(readOnly.send, "function", "at run time it is the same object");
  for (const bad of [-1, 1.5, Number.NaN]) {
    let caught: unknown;
    try {
      chan(bad);
    } catch (error) {
      caught = error;
    }
    t.ok(errors.is(caught, errors.INVALID), `chan(${bad}) is INVALID`);
  }
});

t.test("select with a blocked unbuffered sender takes its value and releases it", async (t) => {
  const ch = chan<number>();
  const sending = ch.send(7);
  const r = await select([ch.case_receive()]);
  t.same([r.index, r.ok, r.value], [0, true, 7]);
  await sending;
});
