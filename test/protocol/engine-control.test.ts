// Control frames, RFC 6455 §5.5.2 and §5.5.3, and the engine's timers, with bytes and a fake clock.
import t from "tap";
import { KEEPALIVE_PAYLOAD } from "../../src/protocol/engine.js";
import { MAX_OWED_PONGS } from "../../src/protocol/outbox.js";
import { Harness } from "../helpers/engine-harness.js";
import { binary, close, continuation, ping, pong, text } from "../helpers/frames.js";

const PING = 0x9;
const PONG = 0xa;

t.test("§5.5.2 a ping gets a pong with the same payload", async (t) => {
  const h = new Harness();
  h.receive(ping("are you there"));
  const [reply] = h.written();
  t.equal(reply?.opcode, PONG);
  t.equal(reply?.payload.toString(), "are you there");
  t.equal(reply?.fin, true);
});

t.test(
  "§5.4 a ping between the fragments of a message is answered at once, and the message still arrives whole",
  async (t) => {
    const h = new Harness();
    h.receive(Buffer.concat([text("he", { fin: false }), ping("mid"), continuation("llo")]));
    t.equal(h.written()[0]?.payload.toString(), "mid");
    t.same(
      h.messages.map((m) => m.data),
      ["hello"],
    );
  },
);

t.test(
  "§5.5.2 pings are answered while the application leaves messages unread and while the peer's Close is awaited",
  async (t) => {
    const h = new Harness({ channelCapacity: 10 });
    h.receive(Buffer.concat([text("a"), text("b"), ping("1")]));
    t.equal(h.written()[0]?.payload.toString(), "1");
    h.advance(100);
    h.receive(ping("2"));
    t.equal(h.written()[0]?.payload.toString(), "2");
  },
);

t.test("§5.5.2 ten pings in one read get ten pongs, in order (Autobahn 2.10)", async (t) => {
  const h = new Harness();
  h.autoWrite = false;
  h.receive(Buffer.concat(Array.from({ length: 10 }, (_, i) => ping(`payload-${i}`))));
  h.flush();
  t.same(
    h.written().map((f) => [f.opcode, f.payload.toString()]),
    Array.from({ length: 10 }, (_, i) => [PONG, `payload-${i}`]),
  );
});

t.test(
  "§5.5.3 a ping flood owes at most MAX_OWED_PONGS pongs: a newer one replaces the newest waiting",
  async (t) => {
    const h = new Harness();
    h.autoWrite = false;
    const flood = Buffer.concat(Array.from({ length: 10_000 }, (_, i) => ping(`ping ${i}`.padEnd(125, "."))));
    h.receive(flood);
    t.ok(h.engine.bufferedAmount <= MAX_OWED_PONGS * (125 + 6), `${h.engine.bufferedAmount} bytes wait`);
    h.flush();
    const frames = h.written();
    t.equal(frames.length, MAX_OWED_PONGS);
    t.match(frames[0]!.payload.toString(), /^ping 0\./, "the first pongs answer their own pings");
    t.match(
      frames[MAX_OWED_PONGS - 1]!.payload.toString(),
      /^ping 9999\./,
      "the last answers the latest ping",
    );
  },
);

t.test("§5.5.3 pongs owed while a write is under way wait behind it, bounded the same way", async (t) => {
  const h = new Harness();
  h.autoWrite = false;
  h.engine.send("first", undefined, "s", h.now);
  t.ok(h.engine.takeOutput(), "the send is being written");
  h.receive(Buffer.concat(Array.from({ length: 100 }, (_, i) => ping(`${i}`))));
  h.engine.written(undefined);
  h.flush();
  const pongs = h.written().map((f) => f.payload.toString());
  t.equal(pongs.length, MAX_OWED_PONGS);
  t.equal(pongs[pongs.length - 1], "99");
});

t.test(
  "§5.5.3 ping(): its pong settles it; a pong for a later ping settles the earlier ones; stray pongs are ignored",
  async (t) => {
    const h = new Harness();
    h.engine.ping("one", "p1", h.now);
    h.engine.ping("two", "p2", h.now);
    h.engine.ping("three", "p3", h.now);
    t.same(
      h.written().map((f) => [f.opcode, f.payload.toString()]),
      [
        [PING, "one"],
        [PING, "two"],
        [PING, "three"],
      ],
    );
    h.receive(pong("unsolicited"));
    t.same(h.settled, []);
    h.receive(pong("two"));
    t.same(h.settled, [
      ["p1", undefined],
      ["p2", undefined],
    ]);
    h.receive(pong("three"));
    t.equal(h.settled.length, 3);
  },
);

t.test(
  "ping(): no pong within pingTimeout settles it with PING_TIMEOUT; the connection stays open",
  async (t) => {
    const h = new Harness({ pingTimeout: 300 });
    h.engine.ping(undefined, "p", h.now);
    h.advance(299);
    t.same(h.settled, []);
    h.advance(1);
    t.equal(h.settled[0]?.[1]?.id, "PING_TIMEOUT");
    t.equal(h.settled[0]?.[1]?.kind, "TIMEOUT");
    t.equal(h.engine.state, "OPEN");
    t.same(h.shutdowns, []);
  },
);

t.test("ping(): arguments are checked before anything is written", async (t) => {
  const h = new Harness();
  t.throws(() => h.engine.ping("x".repeat(126), "p", h.now), { name: "WebSocketError", kind: "INVALID" });
  t.throws(() => h.engine.ping(42 as unknown as string, "p", h.now), {
    name: "WebSocketError",
    kind: "INVALID",
  });
  t.same(h.written(), []);
});

t.test(
  "read timeout: silence fails with READ_TIMEOUT 1006; bytes push it back; a full channel stops the clock",
  async (t) => {
    const h = new Harness({ readTimeout: 100, channelCapacity: 1 });
    h.advance(90);
    h.receive(binary("x"));
    t.equal(h.readingOn, false, "the channel is full");
    h.advance(500);
    t.same(h.shutdowns, [], "silence we caused is not the peer's");
    h.take();
    h.engine.resume(h.now);
    h.advance(99);
    t.same(h.shutdowns, []);
    h.advance(1);
    t.same(h.shutdowns, ["destroy"]);
    h.transportClosed();
    t.match(h.info, { code: 1006, error: { id: "READ_TIMEOUT", kind: "TIMEOUT", retryable: true } });
  },
);

t.test(
  "keep-alive: pings after `keepalive` of silence; any byte counts as life; no answer fails with KEEPALIVE_TIMEOUT",
  async (t) => {
    const h = new Harness({ keepalive: 100, keepaliveTimeout: 50 });
    h.advance(99);
    t.same(h.written(), []);
    h.advance(1);
    const [probe] = h.written();
    t.equal(probe?.opcode, PING);
    t.same(probe?.payload, KEEPALIVE_PAYLOAD);
    h.advance(30);
    h.receive(text("alive"));
    h.advance(40);
    t.same(h.shutdowns, [], "a message is as good as a pong");
    h.advance(100);
    t.equal(h.written()[0]?.opcode, PING, "pinged again after silence");
    h.advance(50);
    t.same(h.shutdowns, ["destroy"]);
    h.transportClosed();
    t.match(h.info, { code: 1006, error: { id: "KEEPALIVE_TIMEOUT", retryable: true } });
  },
);

t.test(
  "write timeout: each send settles with its own frame; the one the transport did not take fails WRITE_TIMEOUT",
  async (t) => {
    const h = new Harness({ writeTimeout: 1000, writeLimit: 64 * 1024 * 1024 });
    h.autoWrite = false;
    const MiB = Buffer.alloc(1024 * 1024, 1);
    for (const token of ["1", "2", "3", "4"]) h.engine.send(MiB, undefined, token, h.now);
    // The transport takes three frames, then the peer stops reading.
    for (let i = 0; i < 3; i++) {
      t.ok(h.engine.takeOutput(), `write ${i + 1}`);
      h.engine.written(undefined);
    }
    t.ok(h.engine.takeOutput(), "the fourth is under way");
    h.advance(1000);
    t.same(h.shutdowns, ["destroy"]);
    h.transportClosed();
    t.same(
      h.settled.map(([token, error]) => [token, error?.id]),
      [
        ["1", undefined],
        ["2", undefined],
        ["3", undefined],
        ["4", "WRITE_TIMEOUT"],
      ],
    );
  },
);

t.test("the peer's Close during a keep-alive wait ends the connection clean, not as a timeout", async (t) => {
  const h = new Harness({ keepalive: 100, keepaliveTimeout: 50 });
  h.advance(100);
  h.receive(close(1001));
  h.advance(0);
  h.engine.receiveEnd();
  h.transportClosed();
  t.same(h.info, { code: 1001, reason: "", clean: true });
});
