// onceEvent, which every dial phase waits on: the event resolves it; an error or a close rejects it.
import { Duplex } from "node:stream";
import t from "tap";
import { onceEvent } from "../../src/client/tls.js";

const stream = (): Duplex => new Duplex({ read() {}, write: (_chunk, _encoding, callback) => callback() });

t.test("the event resolves it and leaves no listener", async (t) => {
  const s = stream();
  const waiting = onceEvent(s, "connect");
  s.emit("connect");
  await waiting;
  t.equal(s.listenerCount("connect") + s.listenerCount("error") + s.listenerCount("close"), 0);
});

t.test("an error rejects with that error", async (t) => {
  const s = stream();
  const waiting = onceEvent(s, "connect");
  s.destroy(new Error("refused"));
  await t.rejects(waiting, { message: "refused" });
});

t.test("a stream that closes, with or without a hadError argument, rejects it", async (t) => {
  // A stream.Duplex emits 'close' with no argument, where a net.Socket passes a boolean.
  const plain = stream();
  const waiting = onceEvent(plain, "connect");
  plain.destroy();
  await t.rejects(waiting, { message: "the connection was closed" });
  const s = stream();
  const again = onceEvent(s, "secureConnect");
  s.emit("close", false);
  await t.rejects(again, { message: "the connection was closed" });
});
