// The closing handshake, RFC 6455 §5.5.1 and §7, run against the engine with bytes and a fake clock.
import t from "tap";
import { codeOf, Harness } from "../helpers/engine-harness.js";
import { binary, close, closePayload, text } from "../helpers/frames.js";

const CLOSE = 0x8;

t.test(
  "§5.5.1 the peer's Close is echoed with its code, and the connection ends clean once TCP ends",
  async (t) => {
    const h = new Harness();
    h.receive(close(4001, "bye"));
    t.equal(h.engine.state, "CLOSING");
    t.same(h.written(), [], "the echo waits one turn for the application to reply");
    h.advance(0);
    const [echo] = h.written();
    t.equal(echo?.opcode, CLOSE);
    t.equal(codeOf(echo!), 4001, "the echo carries the peer's code");
    t.equal(echo!.payload.length, 2, "and no reason");
    t.same(h.shutdowns, [], "the server should end TCP first");
    h.engine.receiveEnd();
    t.same(h.shutdowns, ["end"], "its FIN is answered with ours");
    h.transportClosed();
    t.same(h.info, { code: 4001, reason: "bye", clean: true });
    t.ok(h.isEnded, "the channel ends");
  },
);

t.test("§7.1.5 a Close without a code reports 1005 and is echoed without a payload", async (t) => {
  const h = new Harness();
  h.receive(close());
  h.advance(0);
  const [echo] = h.written();
  t.equal(echo?.payload.length, 0);
  h.transportClosed();
  t.equal(h.info?.code, 1005);
  t.equal(h.info?.clean, true);
});

t.test(
  "§7 messages before the peer's Close are delivered before the echo, which waits until they are taken",
  async (t) => {
    const h = new Harness();
    h.receive(Buffer.concat([text("one"), text("two"), close(1000)]));
    t.same(
      h.messages.map((m) => m.data),
      ["one", "two"],
    );
    h.advance(10);
    t.same(h.written(), [], "nothing is sent while they wait unread");
    h.take(1);
    h.advance(0);
    t.same(h.written(), [], "one still unread");
    h.take(1);
    // The application replies to the last message in its turn: the reply leaves before our Close.
    h.engine.send("reply", undefined, "reply", h.now);
    h.advance(0);
    const frames = h.written();
    t.same(
      frames.map((f) => f.opcode),
      [0x1, CLOSE],
    );
    t.equal(frames[0]!.payload.toString(), "reply");
  },
);

t.test(
  "§7 the echo goes out after terminalGrace when the application never takes what came before",
  async (t) => {
    const h = new Harness({ terminalGrace: 30 });
    h.receive(Buffer.concat([text("unread"), close(1000)]));
    h.advance(29);
    t.same(h.written(), []);
    h.advance(1);
    t.equal(h.written()[0]?.opcode, CLOSE);
  },
);

t.test(
  "§5.5.1 after both Close frames the client waits tcpEndTimeout for the server's FIN, then ends TCP itself",
  async (t) => {
    const h = new Harness({ tcpEndTimeout: 20 });
    h.receive(close(1000));
    h.advance(0);
    h.advance(19);
    t.same(h.shutdowns, []);
    h.advance(1);
    t.same(h.shutdowns, ["destroy"]);
    h.transportClosed();
    t.equal(h.info?.clean, true, "still a clean close: both Close frames were exchanged");
  },
);

t.test(
  "§7.1.2 our close(): the Close follows queued messages; the peer's answer ends it clean with its code",
  async (t) => {
    const h = new Harness();
    h.autoWrite = false;
    h.engine.send("last", undefined, "m", h.now);
    h.engine.close(1000, "done", h.now);
    h.flush();
    const frames = h.written();
    t.same(
      frames.map((f) => f.opcode),
      [0x1, CLOSE],
    );
    t.equal(codeOf(frames[1]!), 1000);
    t.equal(frames[1]!.payload.subarray(2).toString(), "done");
    t.equal(h.engine.state, "CLOSING");
    h.receive(close(1001, "theirs"));
    h.engine.receiveEnd();
    t.same(h.shutdowns, ["end"]);
    h.transportClosed();
    t.same(h.info, { code: 1001, reason: "theirs", clean: true });
    t.same(h.settled, [["m", undefined]]);
  },
);

t.test(
  "§7.1.1 a peer that never answers our Close: CLOSE_TIMEOUT after closeTimeout, reported 1006",
  async (t) => {
    const h = new Harness({ closeTimeout: 50 });
    h.engine.close(1000, "", h.now);
    h.advance(49);
    t.same(h.shutdowns, []);
    h.advance(1);
    t.same(h.shutdowns, ["destroy"]);
    h.transportClosed();
    t.equal(h.info?.code, 1006);
    t.equal(h.info?.clean, false);
    t.equal(h.info?.error?.id, "CLOSE_TIMEOUT");
    t.equal(h.info?.error?.kind, "TIMEOUT");
    t.equal(h.info?.error?.retryable, true);
  },
);

t.test("§5.5.1 messages after our Close are still delivered until the peer's Close", async (t) => {
  const h = new Harness();
  h.engine.close(1000, "", h.now);
  h.receive(Buffer.concat([binary("late"), close(1000)]));
  t.same(
    h.messages.map((m) => String(m.data)),
    ["late"],
  );
});

t.test("§5.5.1 nothing after the peer's Close is read: data and a second Close are ignored", async (t) => {
  const h = new Harness();
  h.receive(Buffer.concat([close(1000), text("after"), close(4000)]));
  t.same(h.messages, []);
  h.advance(0);
  const frames = h.written();
  t.equal(frames.length, 1, "one echo");
  t.equal(codeOf(frames[0]!), 1000);
});

t.test("§5.5.1 close() twice sends one Close; send and ping after close() throw CLIENT_CLOSED", async (t) => {
  const h = new Harness();
  h.engine.close(1000, "", h.now);
  h.engine.close(4000, "again", h.now);
  t.equal(h.written().length, 1);
  for (const attempt of [
    () => h.engine.send("x", undefined, "s", h.now),
    () => h.engine.ping(undefined, "p", h.now),
  ]) {
    try {
      attempt();
      t.fail("should throw");
    } catch (error) {
      t.match(error, { id: "CLIENT_CLOSED", kind: "INTERNAL", retryable: false });
    }
  }
});

t.test(
  "§7.4 close() refuses codes and reasons that cannot be sent, with INVALID, before anything is written",
  async (t) => {
    const h = new Harness();
    for (const code of [999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 1000.5]) {
      t.throws(
        () => h.engine.close(code, "", h.now),
        { name: "WebSocketError", id: "INVALID_ARGUMENT", kind: "INVALID" },
        `code ${code}`,
      );
    }
    t.throws(
      () => h.engine.close("1000" as unknown as number, "", h.now),
      { name: "WebSocketError", kind: "INVALID", message: /must be a number/ },
      "a string code is told to be a number",
    );
    t.throws(
      () => h.engine.close(1000, "x".repeat(124), h.now),
      { name: "WebSocketError", kind: "INVALID" },
      "124-byte reason",
    );
    t.throws(
      () => h.engine.close(1000, "\ud800", h.now),
      { name: "WebSocketError", kind: "INVALID" },
      "lone surrogate",
    );
    t.same(h.written(), []);
    t.equal(h.engine.state, "OPEN");
    for (const code of [1000, 1001, 1003, 1007, 1014, 3000, 4999]) {
      const other = new Harness();
      other.engine.close(code, "é".repeat(61), other.now);
      t.equal(codeOf(other.written()[0]!), code, `code ${code} is sent`);
    }
  },
);

t.test(
  "§7.1.5 the peer's Close payload is checked: 1 byte or a bad code fails 1002, bad UTF-8 fails 1007",
  async (t) => {
    const cases: [string, Buffer, number, string][] = [
      ["1-byte payload", Buffer.from([0x88, 0x01, 0x03]), 1002, "PROTOCOL_ERROR"],
      ["code 1005", close(1005), 1002, "PROTOCOL_ERROR"],
      ["code 999", Buffer.from([0x88, 0x02, 0x03, 0xe7]), 1002, "PROTOCOL_ERROR"],
      [
        "bad UTF-8 reason",
        Buffer.concat([Buffer.from([0x88, 0x04]), closePayload(1000, Buffer.from([0xc3, 0x28]))]),
        1007,
        "INVALID_UTF8",
      ],
    ];
    for (const [name, bytes, code, id] of cases) {
      const h = new Harness();
      h.receive(bytes);
      h.advance(0);
      t.equal(codeOf(h.written()[0]!), code, name);
      h.transportClosed();
      t.equal(h.info?.error?.id, id, `${name}: ${id}`);
      t.equal(h.info?.code, code);
    }
  },
);

t.test(
  "§7.1.7 a FIN without a Close is CONNECTION_ENDED, a transport error CONNECTION_RESET: both retryable 1006",
  async (t) => {
    const ended = new Harness();
    ended.engine.receiveEnd();
    t.same(ended.shutdowns, ["destroy"]);
    ended.transportClosed();
    t.match(ended.info, { code: 1006, clean: false, error: { id: "CONNECTION_ENDED", retryable: true } });

    const reset = new Harness();
    reset.engine.transportError(new Error("read ECONNRESET"));
    reset.transportClosed();
    t.match(reset.info, { code: 1006, clean: false, error: { id: "CONNECTION_RESET", retryable: true } });
    t.equal((reset.info!.error!.cause as Error).message, "read ECONNRESET");
  },
);

t.test("§7 a reset after both Close frames changes nothing: the close stays clean", async (t) => {
  const h = new Harness();
  h.engine.close(1000, "", h.now);
  h.receive(close(1000));
  h.engine.transportError(new Error("ECONNRESET"));
  h.transportClosed();
  t.same(h.info, { code: 1000, reason: "", clean: true });
});

t.test("§7 sends still queued when the connection ends are rejected with why it ended", async (t) => {
  const h = new Harness();
  h.autoWrite = false;
  h.engine.send("a", undefined, "a", h.now);
  h.engine.send("b", undefined, "b", h.now);
  h.engine.ping("p", "ping", h.now);
  h.engine.transportError(new Error("EPIPE"));
  h.transportClosed();
  t.same(
    h.settled.map(([token, error]) => [token, error?.id]),
    [
      ["a", "CONNECTION_RESET"],
      ["b", "CONNECTION_RESET"],
      ["ping", "CONNECTION_RESET"],
    ],
  );
});

t.test(
  "§7.1.1 the server's FIN after our Close ends our side only once our queued frames are written",
  async (t) => {
    const h = new Harness();
    h.autoWrite = false;
    h.engine.send(Buffer.alloc(100 * 1024), undefined, "big", h.now);
    h.engine.close(1000, "", h.now);
    const batch = h.engine.takeOutput();
    t.ok(batch, "the big frame is being written; our Close waits behind it");
    h.wire.push(batch!);
    h.receive(close(1000));
    h.engine.receiveEnd();
    t.same(h.shutdowns, [], "not while our Close is unwritten");
    h.engine.written(undefined);
    h.flush();
    t.same(
      h.written().map((f) => f.opcode),
      [0x2, CLOSE],
    );
    t.same(h.shutdowns, ["end"]);
    h.transportClosed();
    t.same(h.info, { code: 1000, reason: "", clean: true });
  },
);

t.test(
  "§7.1.4 a Close the parser held behind a full channel is still read when the transport ends or closes",
  async (t) => {
    const ending = new Harness({ channelCapacity: 1 });
    ending.engine.close(1000, "", ending.now);
    // Our Close raises the bound to 2 × 1 + 64 messages: 70 messages fill it with the Close behind.
    ending.receive(Buffer.concat([...Array.from({ length: 70 }, () => text("x")), close(1000)]));
    t.ok(ending.engine.heldBytes > 0, "the Close waits behind a full channel");
    ending.engine.receiveEnd();
    t.same(ending.shutdowns, [], "the end waits behind the held bytes");
    ending.take(70);
    ending.engine.resume(ending.now);
    t.same(ending.shutdowns, ["end"], "once they are read, the server's FIN is answered");
    ending.transportClosed();
    t.same(ending.info, { code: 1000, reason: "", clean: true });

    const closing = new Harness({ channelCapacity: 1 });
    closing.engine.close(1000, "", closing.now);
    closing.receive(Buffer.concat([...Array.from({ length: 70 }, () => text("x")), close(4000, "bye")]));
    closing.transportClosed();
    t.same(
      closing.info,
      { code: 4000, reason: "bye", clean: true },
      "read in full when the transport closes",
    );
    t.equal(closing.messages.length, 70, "and every message before it delivered");
  },
);
