// What the engine holds for a peer is bounded (in messages and in bytes), and every failure
// has its identifier and close code, decided in one place.
import { deflateRawSync } from "node:zlib";
import t from "tap";
import { CLOSING_HEADROOM } from "../../src/protocol/engine.js";
import { codeOf, Harness } from "../helpers/engine-harness.js";
import { binary, frame, text } from "../helpers/frames.js";

const DEFLATE = {
  serverMaxWindowBits: 15,
  serverNoContextTakeover: false,
  clientMaxWindowBits: 15,
  clientNoContextTakeover: false,
};

/** A compressed server message: RFC 7692 §7.2.1, the empty-block tail removed. */
function compressed(opcode: number, payload: Buffer): Buffer {
  const deflated = deflateRawSync(payload, { finishFlush: 2 /* Z_SYNC_FLUSH */ });
  return frame({ opcode, payload: deflated.subarray(0, deflated.length - 4), rsv1: true });
}

t.test(
  "channel_capacity is a cap: 20,000 empty frames in one chunk leave exactly capacity messages delivered",
  async (t) => {
    const h = new Harness({ channelCapacity: 1 });
    const chunk = Buffer.concat(Array.from({ length: 20_000 }, () => binary("")));
    h.receive(chunk);
    t.equal(h.messages.length, 1, "one message delivered");
    t.equal(h.readingOn, false, "reading stopped");
    t.equal(h.engine.heldBytes, chunk.length - 2, "the rest is kept as bytes");
    for (let i = 2; i <= 5; i++) {
      h.take();
      t.equal(h.resumeRequests, i - 1);
      h.engine.resume(h.now);
      t.equal(h.messages.length, i, `taking one lets exactly one more in (${i})`);
    }
  },
);

t.test(
  "the byte bound: reading stops once channel_byte_limit bytes are unread, whatever the count",
  async (t) => {
    const h = new Harness({ channelCapacity: 1000, channelBytes: 64 * 1024 });
    const chunk = Buffer.concat(Array.from({ length: 10 }, () => binary(Buffer.alloc(16 * 1024))));
    h.receive(chunk);
    t.equal(h.messages.length, 4, "16 KiB × 4 reaches 64 KiB");
    t.same(h.engine.unread, { messages: 4, bytes: 64 * 1024 });
    t.equal(h.readingOn, false);
    h.take();
    t.equal(h.resumeRequests, 0, "taking one is not enough: reading starts again at half the bound");
    h.take();
    t.equal(h.resumeRequests, 1);
    h.engine.resume(h.now);
    t.equal(h.messages.length, 6, "and goes on until the bound again");
    t.ok(h.engine.unread.bytes <= 64 * 1024, "never more than the bound (plus one message)");
  },
);

t.test("messages a receiver takes at once do not count against the bounds", async (t) => {
  const h = new Harness({ channelCapacity: 1 });
  h.buffering = false;
  h.receive(Buffer.concat(Array.from({ length: 100 }, () => binary("x"))));
  t.equal(h.messages.length, 100);
  t.equal(h.readingOn, true);
});

t.test(
  "after our Close the bounds rise to 2 × capacity + headroom and 2 × bytes, and stop there",
  async (t) => {
    const h = new Harness({ channelCapacity: 2, channelBytes: 1024 * 1024 });
    h.receive(Buffer.concat(Array.from({ length: 500 }, () => binary("x"))));
    t.equal(h.messages.length, 2);
    h.engine.close(1000, "", h.now);
    t.equal(h.resumeRequests, 1, "our Close lets reading go on");
    h.engine.resume(h.now);
    t.equal(h.messages.length, 2 * 2 + CLOSING_HEADROOM);
    t.equal(h.readingOn, false, "and stops at the higher bound: the close then times out rather than buffer");

    const bytes = new Harness({ channelCapacity: 1000, channelBytes: 64 * 1024 });
    bytes.engine.close(1000, "", bytes.now);
    bytes.receive(Buffer.concat(Array.from({ length: 20 }, () => binary(Buffer.alloc(16 * 1024)))));
    t.equal(bytes.messages.length, 8, "128 KiB after our Close");
  },
);

t.test(
  "write_limit: with the transport taking nothing, sends past the bound fail the connection with OUTGOING_OVERFLOW",
  async (t) => {
    const h = new Harness({ writeLimit: 100 * 1024 });
    h.autoWrite = false;
    const chunk = Buffer.alloc(30 * 1024);
    for (let i = 0; i < 3; i++) h.engine.send(chunk, undefined, `s${i}`, h.now);
    t.throws(() => h.engine.send(chunk, undefined, "over", h.now), {
      name: "WebSocketError",
      id: "OUTGOING_OVERFLOW",
      code: 1008,
    });
    t.same(h.shutdowns, ["destroy"]);
    h.transportClosed();
    t.match(h.info, {
      code: 1008,
      clean: false,
      error: { name: "WebSocketError", id: "OUTGOING_OVERFLOW", retryable: true },
    });
    t.same(
      h.settled.map(([token, error]) => [token, error?.id]),
      [
        ["s0", "OUTGOING_OVERFLOW"],
        ["s1", "OUTGOING_OVERFLOW"],
        ["s2", "OUTGOING_OVERFLOW"],
      ],
    );
    const single = new Harness({ writeLimit: 64 * 1024 });
    single.autoWrite = false;
    single.engine.send(Buffer.alloc(1024 * 1024), undefined, "big", single.now);
    t.same(single.shutdowns, [], "a message larger than the bound is sent when nothing else waits");
  },
);

t.test(
  "our limit is ours: a message over read_limit fails MESSAGE_TOO_LARGE with 1009, not as the peer's protocol error",
  async (t) => {
    const h = new Harness({ readLimit: 1024 });
    h.receive(binary(Buffer.alloc(1025)));
    h.advance(0);
    t.equal(codeOf(h.written()[0]!), 1009);
    h.transportClosed();
    t.match(h.info, { code: 1009, error: { id: "MESSAGE_TOO_LARGE", kind: "INTERNAL", retryable: false } });
    t.notMatch(h.info?.error?.message, /protocol error/);
  },
);

t.test("a peer's protocol error fails PROTOCOL_ERROR 1002 after the messages before it", async (t) => {
  const h = new Harness();
  h.receive(Buffer.concat([text("ok"), frame({ opcode: 3, payload: "x" })]));
  t.same(
    h.messages.map((m) => m.data),
    ["ok"],
  );
  h.take();
  h.advance(0);
  t.equal(codeOf(h.written()[0]!), 1002);
  h.transportClosed();
  t.match(h.info, { code: 1002, clean: false, error: { id: "PROTOCOL_ERROR", code: 1002 } });
});

t.test(
  "nothing escapes the receive path: a throw inside it fails the connection with INTERNAL_ERROR 1011",
  async (t) => {
    const h = new Harness();
    h.message = () => {
      throw new RangeError("Array buffer allocation failed");
    };
    t.doesNotThrow(() => h.receive(text("boom")));
    t.equal(codeOf(h.written()[0]!), 1011);
    h.transportClosed();
    t.match(h.info, { code: 1011, error: { id: "INTERNAL_ERROR" } });
    t.equal((h.info!.error!.cause as Error).name, "RangeError");
  },
);

t.test(
  "RFC 7692: inflated text that is not UTF-8 fails INVALID_UTF8 1007; corrupt data INVALID_COMPRESSED_DATA 1007",
  async (t) => {
    const bad = new Harness({ deflate: DEFLATE });
    bad.receive(compressed(0x1, Buffer.from([0x68, 0xc3, 0x28])));
    bad.advance(0);
    t.equal(codeOf(bad.written()[0]!), 1007);
    bad.transportClosed();
    t.equal(bad.info?.error?.id, "INVALID_UTF8");

    const corrupt = new Harness({ deflate: DEFLATE });
    corrupt.receive(frame({ opcode: 0x2, payload: Buffer.from([0xff, 0xff, 0xff]), rsv1: true }));
    corrupt.advance(0);
    t.equal(codeOf(corrupt.written()[0]!), 1007);
    corrupt.transportClosed();
    t.equal(corrupt.info?.error?.id, "INVALID_COMPRESSED_DATA");

    const fine = new Harness({ deflate: DEFLATE });
    fine.receive(compressed(0x1, Buffer.from("héllo")));
    t.same(
      fine.messages.map((m) => m.data),
      ["héllo"],
    );
  },
);

t.test("RFC 7692: an inflated message over read_limit fails MESSAGE_TOO_LARGE 1009", async (t) => {
  const h = new Harness({ deflate: DEFLATE, readLimit: 1024 });
  h.receive(compressed(0x2, Buffer.alloc(4096)));
  h.advance(0);
  t.equal(codeOf(h.written()[0]!), 1009);
  h.transportClosed();
  t.equal(h.info?.error?.id, "MESSAGE_TOO_LARGE");
});

t.test(
  "every failure of send is a WebSocketError: a detached ArrayBuffer is INVALID, nothing is written",
  async (t) => {
    const h = new Harness();
    const buffer = new ArrayBuffer(8);
    structuredClone(buffer, { transfer: [buffer] });
    t.throws(() => h.engine.send(buffer, undefined, "d", h.now), { name: "WebSocketError", kind: "INVALID" });
    t.throws(() => h.engine.send(42 as unknown as string, undefined, "n", h.now), {
      name: "WebSocketError",
      kind: "INVALID",
    });
    t.throws(() => h.engine.send("x", 3, "t", h.now), { name: "WebSocketError", kind: "INVALID" });
    t.same(h.written(), []);
    t.equal(h.engine.state, "OPEN");
  },
);

t.test(
  "a compression job that fails fails the connection with INTERNAL_ERROR 1011, and the frames behind it",
  async (t) => {
    const h = new Harness({ deflate: DEFLATE, compressionThreshold: 1 });
    h.autoWrite = true;
    // 64 KiB and more are compressed in the thread pool: handed out as a job.
    h.engine.send(Buffer.alloc(128 * 1024, 7), undefined, "big", h.now);
    h.engine.send("behind", undefined, "behind", h.now);
    t.ok(h.jobs.length >= 1);
    h.engine.jobDone(h.jobs[0]!, new Error("zlib broke"), h.now);
    t.same(
      h.settled.map(([token, error]) => [token, error?.id]),
      [
        ["big", "INTERNAL_ERROR"],
        ["behind", "INTERNAL_ERROR"],
      ],
      "the send whose compression failed reports that failure, and the frame behind is not written",
    );
    const frames = h.written();
    t.same(
      frames.map((f) => f.opcode),
      [0x8],
    );
    t.equal(codeOf(frames[0]!), 1011);
    h.transportClosed();
    t.match(h.info, { code: 1011, error: { id: "INTERNAL_ERROR", message: /zlib broke/ } });
  },
);

t.test("compressed messages keep their order around a job in the thread pool", async (t) => {
  const h = new Harness({ deflate: DEFLATE, compressionThreshold: 1 });
  h.engine.send(Buffer.alloc(128 * 1024, 7), undefined, "big", h.now);
  h.engine.send("small", undefined, "small", h.now);
  t.same(h.written(), [], "the small one waits behind the big one");
  for (const job of h.jobs) h.engine.jobDone(job, await job.work, h.now);
  const frames = h.written();
  t.same(
    frames.map((f) => [f.opcode, f.rsv1]),
    [
      [0x2, true],
      [0x1, true],
    ],
  );
});
