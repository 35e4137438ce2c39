import t from "tap";
import { FrameParser, type FrameSink, type ParserOptions } from "../../src/framing/parser.js";
import {
  binary,
  close,
  closePayload,
  continuation,
  cut,
  type FrameEvent,
  feed,
  frame,
  ping,
  pong,
  RecordingSink,
  randomBytes,
  run,
  text,
} from "../helpers/frames.js";

const KiB = 1024;
const MiB = 1024 * 1024;

/** The events of one text or binary message, as the recording sink reports them. */
function msg(opcode: 1 | 2, data: Uint8Array | string, compressed = false): FrameEvent {
  return { type: "message", opcode, data: Buffer.from(data), compressed };
}
const textMsg = (data: Uint8Array | string): FrameEvent => msg(1, data);
const binMsg = (data: Uint8Array | string): FrameEvent => msg(2, data);
const err = (code: number): FrameEvent => ({ type: "error", code });

/** A fresh parser and its sink, for tests that push frame by frame and look in between. */
function open(options: ParserOptions = { maxMessageSize: 64 * MiB }): {
  parser: FrameParser;
  sink: RecordingSink;
} {
  const sink = new RecordingSink();
  return { parser: new FrameParser(sink, options), sink };
}

/** A text payload of exactly `n` bytes, ASCII with a few multi-byte characters when it fits. */
function textOf(n: number): Buffer {
  const out = Buffer.alloc(n, "a");
  // "é" (2 bytes) and "€" (3 bytes) near the start, "𝄞" (4 bytes) at the very end.
  if (n >= 9) out.write("é€", 0, "utf8");
  if (n >= 13) out.write("𝄞", n - 4, "utf8");
  return out;
}

const SIZES = [0, 1, 125, 126, 65535, 65536, MiB];

t.test("RFC 6455 §5.2 base framing", async (t) => {
  for (const size of SIZES) {
    t.test(`an unfragmented text frame of ${size} bytes is delivered as one message`, async (t) => {
      const payload = textOf(size);
      t.same(feed(text(payload)), [textMsg(payload)]);
    });
    t.test(`an unfragmented binary frame of ${size} bytes is delivered as one message`, async (t) => {
      const payload = randomBytes(size, size + 1);
      t.same(feed(binary(payload)), [binMsg(payload)]);
    });
  }

  t.test("a 7-bit length up to 125 is read from the second byte", async (t) => {
    const bytes = binary(randomBytes(125, 1));
    t.equal(bytes[1], 125);
    t.equal(bytes.length, 2 + 125);
    t.same(feed(bytes), [binMsg(bytes.subarray(2))]);
  });

  t.test("a 16-bit length (126) is read big-endian from bytes 2-3", async (t) => {
    const payload = randomBytes(0x1234, 2);
    const bytes = binary(payload);
    t.same([...bytes.subarray(0, 4)], [0x82, 126, 0x12, 0x34]);
    t.same(feed(bytes), [binMsg(payload)]);
  });

  t.test("a 64-bit length (127) is read big-endian from bytes 2-9", async (t) => {
    const payload = randomBytes(0x10203, 3);
    const bytes = binary(payload);
    t.same([...bytes.subarray(0, 10)], [0x82, 127, 0, 0, 0, 0, 0, 0x01, 0x02, 0x03]);
    t.same(feed(bytes), [binMsg(payload)]);
  });

  // Deliberate leniency: RFC 6455 §5.2 says "the minimal number of bytes MUST be used to encode
  // the length", but it names no close code for a violation and browsers and `ws` accept such
  // frames, so the parser accepts them rather than failing a connection over a harmless quirk.
  t.test("non-minimal length encodings are accepted (a deliberate leniency)", async (t) => {
    t.same(feed(text("hi", { lengthBits: 16 })), [textMsg("hi")], "16-bit length for 2 bytes");
    t.same(feed(text("hi", { lengthBits: 64 })), [textMsg("hi")], "64-bit length for 2 bytes");
    t.same(feed(text("", { lengthBits: 64 })), [textMsg("")], "64-bit length for 0 bytes");
    const payload = randomBytes(300, 4);
    t.same(feed(binary(payload, { lengthBits: 64 })), [binMsg(payload)], "64-bit length for 300 bytes");
    t.same(feed(ping("p", { lengthBits: 7 })), [{ type: "ping", data: Buffer.from("p") }]);
  });

  t.test("a 64-bit length with its most significant bit set fails with 1002", async (t) => {
    t.same(feed(frame({ opcode: 2, lengthBits: 64, length: 0x8000_0000_0000_0000n })), [err(1002)]);
    t.same(feed(frame({ opcode: 2, lengthBits: 64, length: 0xffff_ffff_ffff_ffffn })), [err(1002)]);
    t.same(feed(frame({ opcode: 2, lengthBits: 64, length: 0x8000_0000_0000_0001n })), [err(1002)]);
  });

  t.test("a frame with RSV1 set fails with 1002 when no extension was negotiated", async (t) => {
    t.same(feed(text("x", { rsv1: true })), [err(1002)]);
    t.same(feed(binary("x", { rsv1: true })), [err(1002)]);
    t.same(feed(ping("x", { rsv1: true })), [err(1002)]);
  });

  t.test("a frame with RSV2 or RSV3 set fails with 1002, compression or not", async (t) => {
    for (const compression of [false, true]) {
      const options = { maxMessageSize: 1000, compression };
      for (const bits of [{ rsv2: true }, { rsv3: true }, { rsv2: true, rsv3: true }]) {
        const name = `${JSON.stringify(bits)} compression=${compression}`;
        t.same(feed(text("x", bits), [], options), [err(1002)], `text ${name}`);
        t.same(feed(binary("", bits), [], options), [err(1002)], `binary ${name}`);
        t.same(feed(ping("", bits), [], options), [err(1002)], `ping ${name}`);
        t.same(feed(close(1000, "", bits), [], options), [err(1002)], `close ${name}`);
        const fragmented = Buffer.concat([text("a", { fin: false }), continuation("b", bits)]);
        t.same(feed(fragmented, [], options), [err(1002)], `continuation ${name}`);
      }
    }
  });

  for (const opcode of [3, 4, 5, 6, 7]) {
    t.test(`the reserved non-control opcode ${opcode} fails with 1002`, async (t) => {
      t.same(feed(frame({ opcode, payload: "x" })), [err(1002)]);
      t.same(feed(frame({ opcode })), [err(1002)], "also when empty");
      t.same(feed(frame({ opcode, fin: false })), [err(1002)], "also without FIN");
    });
  }
  for (const opcode of [11, 12, 13, 14, 15]) {
    t.test(`the reserved control opcode ${opcode} fails with 1002`, async (t) => {
      t.same(feed(frame({ opcode, payload: "x" })), [err(1002)]);
      t.same(feed(frame({ opcode })), [err(1002)], "also when empty");
    });
  }

  t.test("a reserved opcode after a valid message fails after delivering that message", async (t) => {
    t.same(feed(Buffer.concat([text("ok"), frame({ opcode: 3 })])), [textMsg("ok"), err(1002)]);
  });
});

t.test("RFC 6455 §5.1 and §5.3 masking", async (t) => {
  const key = Buffer.from([1, 2, 3, 4]);
  t.test("a masked frame from the server fails with 1002", async (t) => {
    t.same(feed(text("Hello", { maskKey: key })), [err(1002)]);
    t.same(feed(binary("", { maskKey: key })), [err(1002)], "even an empty one");
    t.same(feed(ping("x", { maskKey: key })), [err(1002)], "even a control frame");
    t.same(feed(text("a".repeat(300), { maskKey: key })), [err(1002)], "with a 16-bit length");
  });

  t.test("a masked frame is refused from its first two bytes, before the key arrives", async (t) => {
    const { parser, sink } = open();
    parser.push(text("Hello", { maskKey: key }).subarray(0, 2));
    t.same(sink.events, [err(1002)]);
    t.ok(parser.stopped);
  });
});

t.test("RFC 6455 §5.4 fragmentation", async (t) => {
  t.test("a text message in 2 fragments is reassembled", async (t) => {
    const bytes = Buffer.concat([text("Hello, ", { fin: false }), continuation("world")]);
    t.same(feed(bytes), [textMsg("Hello, world")]);
  });

  t.test("a binary message in 3 fragments is reassembled", async (t) => {
    const parts = [randomBytes(10, 1), randomBytes(300, 2), randomBytes(70000, 3)];
    const bytes = Buffer.concat([
      binary(parts[0]!, { fin: false }),
      continuation(parts[1]!, { fin: false }),
      continuation(parts[2]!),
    ]);
    t.same(feed(bytes), [binMsg(Buffer.concat(parts))]);
  });

  t.test("a message in 1000 fragments of varied sizes is reassembled", async (t) => {
    const whole = randomBytes(50_000, 9);
    const frames: Buffer[] = [];
    let at = 0;
    for (let i = 0; i < 1000; i++) {
      const end = i === 999 ? whole.length : Math.min(whole.length, at + ((i * 37) % 101));
      const piece = whole.subarray(at, end);
      frames.push(i === 0 ? binary(piece, { fin: false }) : continuation(piece, { fin: i === 999 }));
      at = end;
    }
    t.same(feed(Buffer.concat(frames)), [binMsg(whole)]);
  });

  t.test("empty fragments anywhere in a message are accepted", async (t) => {
    const bytes = Buffer.concat([
      text("", { fin: false }),
      continuation("", { fin: false }),
      continuation("ab", { fin: false }),
      continuation("", { fin: false }),
      continuation("c", { fin: false }),
      continuation(""),
    ]);
    t.same(feed(bytes), [textMsg("abc")]);
  });

  t.test("an empty first frame followed by the data is reassembled", async (t) => {
    t.same(feed(Buffer.concat([binary("", { fin: false }), continuation("data")])), [binMsg("data")]);
  });

  t.test("a message made only of empty fragments is an empty message", async (t) => {
    const bytes = Buffer.concat([
      text("", { fin: false }),
      continuation("", { fin: false }),
      continuation(""),
    ]);
    t.same(feed(bytes), [textMsg("")]);
  });

  t.test("the opcode of the first frame gives the message type", async (t) => {
    const bytes = Buffer.concat([
      binary("a", { fin: false }),
      continuation("b"),
      text("c", { fin: false }),
      continuation("d"),
    ]);
    t.same(feed(bytes), [binMsg("ab"), textMsg("cd")]);
  });

  t.test("ping, pong and close between fragments are delivered in place", async (t) => {
    const bytes = Buffer.concat([
      ping("p1"),
      text("one ", { fin: false }),
      ping("p2"),
      continuation("two ", { fin: false }),
      pong("q1"),
      ping(""),
      continuation("three"),
      pong("q2"),
      binary("b", { fin: false }),
      pong("q3"),
      continuation("c"),
    ]);
    t.same(feed(bytes), [
      { type: "ping", data: Buffer.from("p1") },
      { type: "ping", data: Buffer.from("p2") },
      { type: "pong", data: Buffer.from("q1") },
      { type: "ping", data: Buffer.alloc(0) },
      textMsg("one two three"),
      { type: "pong", data: Buffer.from("q2") },
      { type: "pong", data: Buffer.from("q3") },
      binMsg("bc"),
    ]);
  });

  t.test("a close between fragments is delivered and the unfinished message never is", async (t) => {
    const bytes = Buffer.concat([text("part", { fin: false }), close(1001, "away"), continuation("rest")]);
    const { parser, sink } = run([bytes]);
    t.same(sink.events, [{ type: "close", code: 1001, reason: "away" }]);
    t.ok(parser.stopped);
  });

  t.test("a continuation frame with no message started fails with 1002", async (t) => {
    t.same(feed(continuation("x")), [err(1002)]);
    t.same(feed(continuation("x", { fin: false })), [err(1002)]);
    t.same(feed(continuation("")), [err(1002)], "even an empty one");
    t.same(
      feed(Buffer.concat([text("done"), continuation("x")])),
      [textMsg("done"), err(1002)],
      "after a message",
    );
    t.same(
      feed(Buffer.concat([text("a", { fin: false }), continuation("b"), continuation("c")])),
      [textMsg("ab"), err(1002)],
      "after a fragmented message ended",
    );
  });

  t.test("a new text or binary frame inside a fragmented message fails with 1002", async (t) => {
    for (const next of [text("x"), binary("x"), text("x", { fin: false }), binary("", { fin: false })]) {
      t.same(feed(Buffer.concat([binary("a", { fin: false }), next])), [err(1002)]);
      t.same(feed(Buffer.concat([text("a", { fin: false }), ping("p"), next])), [
        { type: "ping", data: Buffer.from("p") },
        err(1002),
      ]);
    }
  });

  t.test("message payloads handed out stay intact while later frames are parsed", async (t) => {
    const kept: Buffer[] = [];
    const sink: FrameSink = {
      onMessage: (_opcode, payload) => kept.push(payload),
      onPing: (payload) => kept.push(payload),
      onPong: () => {},
      onClose: () => {},
      onError: () => {},
    };
    const parser = new FrameParser(sink, { maxMessageSize: MiB });
    const first = Buffer.concat([binary("AAAA", { fin: false }), continuation("BBBB")]);
    const second = Buffer.concat([binary("CCCC", { fin: false }), continuation("DDDD")]);
    const pings = Buffer.concat([ping("p-one"), ping("p-two")]);
    for (const stream of [first, second, pings]) {
      for (let i = 0; i < stream.length; i++) parser.push(stream.subarray(i, i + 1));
    }
    t.same(
      kept.map((b) => b.toString()),
      ["AAAABBBB", "CCCCDDDD", "p-one", "p-two"],
    );
  });
});

t.test("RFC 6455 §5.5 control frames", async (t) => {
  t.test("pings and pongs of 0, 1 and 125 bytes are delivered with their payload", async (t) => {
    for (const size of [0, 1, 125]) {
      const payload = randomBytes(size, size);
      t.same(feed(ping(payload)), [{ type: "ping", data: payload }]);
      t.same(feed(pong(payload)), [{ type: "pong", data: payload }]);
    }
  });

  t.test("a control frame with a payload of 126 bytes fails with 1002", async (t) => {
    t.same(feed(ping(Buffer.alloc(126))), [err(1002)]);
    t.same(feed(pong(Buffer.alloc(126))), [err(1002)]);
    t.same(feed(close(1000, "x".repeat(124))), [err(1002)]);
    t.same(feed(ping(Buffer.alloc(126), { lengthBits: 64 })), [err(1002)], "64-bit length");
  });

  t.test("a control frame announcing 126+ is refused from its first two bytes", async (t) => {
    const { parser, sink } = open();
    parser.push(ping(Buffer.alloc(200)).subarray(0, 2));
    t.same(sink.events, [err(1002)]);
  });

  t.test(
    "a control frame using a 16- or 64-bit length fails with 1002, even for a short payload",
    async (t) => {
      // Unlike data frames (lenient above), the 7-bit field of a control frame must hold the length
      // itself: 126 and 127 already announce more than 125 bytes, as `ws` also reads it.
      t.same(feed(ping("abc", { lengthBits: 16 })), [err(1002)]);
      t.same(feed(pong("", { lengthBits: 64 })), [err(1002)]);
      t.same(feed(close(1000, "", { lengthBits: 16 })), [err(1002)]);
    },
  );

  t.test("a fragmented control frame (FIN=0) fails with 1002", async (t) => {
    t.same(feed(ping("x", { fin: false })), [err(1002)]);
    t.same(feed(pong("", { fin: false })), [err(1002)]);
    t.same(feed(close(1000, "", { fin: false })), [err(1002)]);
    t.same(feed(Buffer.concat([text("a", { fin: false }), ping("x", { fin: false })])), [err(1002)]);
  });

  t.test("a control frame is not bounded by the read limit, only by its 125 bytes", async (t) => {
    const payload = randomBytes(125, 7);
    t.same(feed(ping(payload), [], { maxMessageSize: 10 }), [{ type: "ping", data: payload }]);
  });
});

const VALID_CODES = [
  1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999,
];
const INVALID_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];

t.test("RFC 6455 §5.5.1 and §7.4 close frames", async (t) => {
  t.test("a close frame without payload reports code 1005 and an empty reason", async (t) => {
    const { parser, sink } = run([close()]);
    t.same(sink.events, [{ type: "close", code: 1005, reason: "" }]);
    t.ok(parser.stopped);
  });

  t.test("a close frame with a 1-byte payload fails with 1002", async (t) => {
    t.same(feed(frame({ opcode: 8, payload: Buffer.from([0x03]) })), [err(1002)]);
  });

  for (const code of INVALID_CODES) {
    t.test(`a close frame with the invalid code ${code} fails with 1002`, async (t) => {
      t.same(feed(close(code)), [err(1002)]);
      t.same(feed(close(code, "reason")), [err(1002)], "also with a reason");
    });
  }

  t.test("a close frame with each valid code is accepted", async (t) => {
    for (const code of VALID_CODES) {
      t.same(feed(close(code)), [{ type: "close", code, reason: "" }], `code ${code}`);
    }
  });

  t.test("a close reason that is valid UTF-8 is decoded", async (t) => {
    const reason = "tschüß — 再见 🎉";
    t.same(feed(close(4001, reason)), [{ type: "close", code: 4001, reason }]);
  });

  t.test("a close reason of 123 bytes, the most that fits, is accepted", async (t) => {
    const reason = "€".repeat(41);
    t.equal(Buffer.byteLength(reason), 123);
    t.same(feed(close(1000, reason)), [{ type: "close", code: 1000, reason }]);
  });

  t.test("a close reason that is not valid UTF-8 fails with 1007", async (t) => {
    for (const bad of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x61, 0x80, 0x62]]) {
      t.same(feed(close(1000, Buffer.from(bad))), [err(1007)], `reason ${Buffer.from(bad).toString("hex")}`);
    }
  });

  t.test("an invalid code is reported before an invalid reason", async (t) => {
    t.same(feed(close(1005, Buffer.from([0xff]))), [err(1002)]);
  });

  t.test("a close frame split over pushes is decoded the same", async (t) => {
    const bytes = close(1000, "good bye");
    t.same(feed(bytes, [1, 2, 3, 5, 8]), [{ type: "close", code: 1000, reason: "good bye" }]);
  });
});

t.test("the parser stops after a close, an error or stop()", async (t) => {
  t.test("bytes after a close frame are ignored", async (t) => {
    const { parser, sink } = run([Buffer.concat([text("a"), close(1000, "bye")]), text("after"), ping()]);
    t.same(sink.events, [textMsg("a"), { type: "close", code: 1000, reason: "bye" }]);
    t.ok(parser.stopped);
  });

  t.test("bytes after a close frame in the same chunk are ignored", async (t) => {
    t.same(feed(Buffer.concat([close(1000), text("after"), Buffer.from([0xff, 0xff])])), [
      { type: "close", code: 1000, reason: "" },
    ]);
  });

  t.test("bytes after an error are ignored", async (t) => {
    const { parser, sink } = run([Buffer.concat([frame({ opcode: 3 }), text("after")]), text("later")]);
    t.same(sink.events, [err(1002)]);
    t.ok(parser.stopped);
  });

  t.test("stop() makes the parser ignore everything, even mid-frame", async (t) => {
    const { parser, sink } = open();
    const bytes = text("Hello");
    parser.push(bytes.subarray(0, 4));
    t.notOk(parser.stopped);
    parser.stop();
    t.ok(parser.stopped);
    parser.push(bytes.subarray(4));
    parser.push(text("more"));
    t.same(sink.events, []);
  });

  t.test("stop() called from inside a sink callback ends parsing of the same chunk", async (t) => {
    const seen: string[] = [];
    const holder: { parser?: FrameParser } = {};
    const sink: FrameSink = {
      onMessage: (_opcode, payload) => {
        seen.push(payload.toString());
        holder.parser!.stop();
      },
      onPing: () => seen.push("ping"),
      onPong: () => seen.push("pong"),
      onClose: () => seen.push("close"),
      onError: () => seen.push("error"),
    };
    holder.parser = new FrameParser(sink, { maxMessageSize: 100 });
    holder.parser.push(Buffer.concat([text("first"), ping(), text("second")]));
    t.same(seen, ["first"]);
  });

  t.test("an empty push changes nothing", async (t) => {
    const { parser, sink } = open();
    parser.push(Buffer.alloc(0));
    parser.push(text("x"));
    parser.push(Buffer.alloc(0));
    t.same(sink.events, [textMsg("x")]);
    t.notOk(parser.stopped);
  });
});

t.test("RFC 7692 §6 RSV1 marks a compressed message when permessage-deflate is on", async (t) => {
  const options = { maxMessageSize: 1000, compression: true };
  t.test("RSV1 on a first data frame gives a message with compressed=true", async (t) => {
    // The payload is not inflated here, and compressed text is not UTF-8-checked by the parser.
    const deflated = Buffer.from([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
    t.same(feed(text(deflated, { rsv1: true }), [], options), [msg(1, deflated, true)]);
    t.same(feed(binary(deflated, { rsv1: true }), [], options), [msg(2, deflated, true)]);
    t.same(feed(text("plain"), [], options), [msg(1, "plain", false)], "without RSV1 it is not compressed");
  });

  t.test("a fragmented compressed message has RSV1 on its first frame only", async (t) => {
    const bytes = Buffer.concat([
      text(Buffer.from([0xff, 0xfe]), { rsv1: true, fin: false }),
      ping("p"),
      continuation(Buffer.from([0x80])),
    ]);
    t.same(feed(bytes, [], options), [
      { type: "ping", data: Buffer.from("p") },
      msg(1, Buffer.from([0xff, 0xfe, 0x80]), true),
    ]);
  });

  t.test("RSV1 on a continuation frame fails with 1002", async (t) => {
    const bytes = Buffer.concat([binary("a", { rsv1: true, fin: false }), continuation("b", { rsv1: true })]);
    t.same(feed(bytes, [], options), [err(1002)]);
    const plain = Buffer.concat([binary("a", { fin: false }), continuation("b", { rsv1: true })]);
    t.same(feed(plain, [], options), [err(1002)], "also when the first frame had no RSV1");
  });

  t.test("RSV1 on a control frame fails with 1002", async (t) => {
    t.same(feed(ping("x", { rsv1: true }), [], options), [err(1002)]);
    t.same(feed(pong("", { rsv1: true }), [], options), [err(1002)]);
    t.same(feed(close(1000, "", { rsv1: true }), [], options), [err(1002)]);
  });

  t.test("a compressed message is bounded by maxCompressedSize, a plain one by maxMessageSize", async (t) => {
    const limits = { maxMessageSize: 100, maxCompressedSize: 50, compression: true };
    t.same(feed(binary(Buffer.alloc(50), { rsv1: true }), [], limits), [msg(2, Buffer.alloc(50), true)]);
    t.same(feed(binary(Buffer.alloc(51), { rsv1: true }), [], limits), [err(1009)]);
    t.same(feed(binary(Buffer.alloc(100)), [], limits), [binMsg(Buffer.alloc(100))]);
    t.same(feed(binary(Buffer.alloc(101)), [], limits), [err(1009)]);
  });

  t.test("maxCompressedSize defaults to maxMessageSize", async (t) => {
    const limits = { maxMessageSize: 100, compression: true };
    t.same(feed(binary(Buffer.alloc(100), { rsv1: true }), [], limits), [msg(2, Buffer.alloc(100), true)]);
    t.same(feed(binary(Buffer.alloc(101), { rsv1: true }), [], limits), [err(1009)]);
  });
});

t.test("RFC 6455 §10.4 the read limit (maxMessageSize) fails with 1009", async (t) => {
  const cases: Array<[string, number, Buffer]> = [
    ["a 7-bit", 100, frame({ opcode: 2, length: 101 })],
    ["a 16-bit", 1000, frame({ opcode: 2, length: 1001 })],
    ["a 64-bit", 100_000, frame({ opcode: 2, length: 100_001 })],
    ["a 64-bit (2^53)", 100_000, frame({ opcode: 2, length: 2n ** 53n })],
    ["a 64-bit (2^63-1)", 100_000, frame({ opcode: 1, length: 2n ** 63n - 1n })],
    ["a non-minimal 64-bit", 100, frame({ opcode: 1, length: 101, lengthBits: 64 })],
  ];
  for (const [name, limit, header] of cases) {
    t.test(`${name} header announcing more than the limit fails with 1009 before any payload`, async (t) => {
      const { parser, sink } = open({ maxMessageSize: limit });
      parser.push(header);
      t.same(sink.events, [err(1009)]);
      t.ok(parser.stopped);
    });
  }

  t.test("a header announcing the limit + 1 fails even when pushed one byte at a time", async (t) => {
    const header = frame({ opcode: 2, length: 70_001 });
    const { sink } = run(
      [...header].map((b) => Buffer.from([b])),
      { maxMessageSize: 70_000 },
    );
    t.same(sink.events, [err(1009)]);
  });

  t.test("a message of exactly the limit is accepted (the limit is inclusive)", async (t) => {
    for (const limit of [0, 1, 125, 126, 65536]) {
      const payload = randomBytes(limit, limit);
      t.same(feed(binary(payload), [], { maxMessageSize: limit }), [binMsg(payload)], `limit ${limit}`);
      t.same(
        feed(binary(Buffer.alloc(limit + 1)), [], { maxMessageSize: limit }),
        [err(1009)],
        `limit ${limit}+1`,
      );
    }
  });

  t.test("fragments adding up to exactly the limit are accepted", async (t) => {
    const bytes = Buffer.concat([
      text("a".repeat(40), { fin: false }),
      continuation("b".repeat(40), { fin: false }),
      continuation("c".repeat(20)),
    ]);
    t.same(feed(bytes, [], { maxMessageSize: 100 }), [
      textMsg(`${"a".repeat(40)}${"b".repeat(40)}${"c".repeat(20)}`),
    ]);
  });

  t.test(
    "fragments whose sum passes the limit fail with 1009 at the header of the one that passes it",
    async (t) => {
      const { parser, sink } = open({ maxMessageSize: 100 });
      parser.push(text("a".repeat(40), { fin: false }));
      parser.push(ping("between"));
      parser.push(continuation("b".repeat(40), { fin: false }));
      t.same(sink.events, [{ type: "ping", data: Buffer.from("between") }]);
      // Only the header of the third fragment, which announces 21 bytes: 40 + 40 + 21 > 100.
      parser.push(continuation("c".repeat(21)).subarray(0, 2));
      t.same(sink.events, [{ type: "ping", data: Buffer.from("between") }, err(1009)]);
      t.ok(parser.stopped);
    },
  );

  t.test("the limit applies per message: the count restarts after each one", async (t) => {
    const frames = [];
    for (let i = 0; i < 5; i++)
      frames.push(binary(Buffer.alloc(60), { fin: false }), continuation(Buffer.alloc(40)));
    const events = feed(Buffer.concat(frames), [], { maxMessageSize: 100 });
    t.equal(events.length, 5);
    t.ok(events.every((e) => e.type === "message" && e.data.length === 100));
  });

  t.test("a 4 MiB message in 64-byte fragments is accepted (like Autobahn 9.3)", async (t) => {
    const total = 4 * MiB;
    const whole = randomBytes(total, 93);
    const frames: Buffer[] = [];
    for (let at = 0; at < total; at += 64) {
      const piece = whole.subarray(at, at + 64);
      const last = at + 64 >= total;
      frames.push(at === 0 ? binary(piece, { fin: false }) : continuation(piece, { fin: last }));
    }
    const stream = Buffer.concat(frames);
    const started = performance.now();
    // Pushed in 64 KiB reads, as a socket would deliver it.
    const chunks: Buffer[] = [];
    for (let at = 0; at < stream.length; at += 64 * KiB) chunks.push(stream.subarray(at, at + 64 * KiB));
    const { sink } = run(chunks, { maxMessageSize: total });
    const elapsed = performance.now() - started;
    t.equal(sink.events.length, 1);
    const event = sink.events[0];
    t.ok(
      event?.type === "message" && event.data.equals(whole),
      "the reassembled message equals the original",
    );
    // Informational only: a quadratic reassembly would take seconds here, a linear one milliseconds.
    t.comment(`4 MiB in ${frames.length} fragments parsed in ${elapsed.toFixed(1)} ms`);
  });
});

t.test("RFC 6455 §8.1 text must be UTF-8 (1007)", async (t) => {
  const invalid: Array<[string, number[]]> = [
    ["a lone continuation byte", [0x61, 0x80, 0x62]],
    ["an overlong 2-byte NUL", [0xc0, 0x80]],
    ["an overlong 3-byte slash", [0xe0, 0x80, 0xaf]],
    ["a UTF-16 surrogate", [0xed, 0xa0, 0x80]],
    ["a code point above U+10FFFF", [0xf4, 0x90, 0x80, 0x80]],
    ["the byte 0xFF", [0xff]],
    ["a lead byte followed by ASCII", [0xe2, 0x41, 0x41]],
  ];
  for (const [name, bytes] of invalid) {
    t.test(`a single text frame containing ${name} fails with 1007`, async (t) => {
      t.same(feed(text(Buffer.from(bytes))), [err(1007)]);
      const padded = Buffer.concat([
        Buffer.from("x".repeat(100)),
        Buffer.from(bytes),
        Buffer.from("y".repeat(100)),
      ]);
      t.same(feed(text(padded)), [err(1007)], "also inside a longer text");
    });
  }

  t.test("binary messages are not checked for UTF-8", async (t) => {
    t.same(feed(binary(Buffer.from([0xff, 0xc0, 0x80]))), [binMsg(Buffer.from([0xff, 0xc0, 0x80]))]);
  });

  for (const size of [3, 200]) {
    t.test(
      `invalid UTF-8 in the 2nd of 3 fragments (${size} bytes each) fails when the 2nd arrives`,
      async (t) => {
        const { parser, sink } = open();
        const bad = Buffer.alloc(size, "b");
        bad[Math.floor(size / 2)] = 0xff;
        parser.push(text("a".repeat(size), { fin: false }));
        t.same(sink.events, []);
        parser.push(continuation(bad, { fin: false }));
        t.same(sink.events, [err(1007)], "reported before the last fragment");
        t.ok(parser.stopped);
        parser.push(continuation("c".repeat(size)));
        t.same(sink.events, [err(1007)]);
      },
    );

    t.test(
      `invalid UTF-8 in the 2nd of 3 chunks of one frame (${size} bytes each) fails at once`,
      async (t) => {
        const payload = Buffer.alloc(size * 3, "z");
        payload[size + 1] = 0xc0;
        const bytes = text(payload);
        const headerLength = bytes.length - payload.length;
        const { parser, sink } = open();
        parser.push(bytes.subarray(0, headerLength + size));
        t.same(sink.events, []);
        parser.push(bytes.subarray(headerLength + size, headerLength + 2 * size));
        t.same(sink.events, [err(1007)], "reported before the last chunk");
      },
    );
  }

  t.test(
    "a fragment ending in a lead byte fails when the next one starts with a non-continuation",
    async (t) => {
      const { parser, sink } = open();
      parser.push(text(Buffer.from([0x61, 0xe2]), { fin: false }));
      t.same(sink.events, [], "a lead byte at the end may still be completed");
      parser.push(continuation("A", { fin: false }));
      t.same(sink.events, [err(1007)]);
    },
  );

  t.test("a valid multi-byte character split across fragments at any byte is accepted", async (t) => {
    for (const ch of ["é", "€", "𝄞", "\u{10FFFF}", "\u{D7FF}", "\u{E000}"]) {
      const bytes = Buffer.from(`<${ch}>`);
      for (let cut = 1; cut < bytes.length; cut++) {
        const stream = Buffer.concat([
          text(bytes.subarray(0, cut), { fin: false }),
          continuation(bytes.subarray(cut)),
        ]);
        t.same(feed(stream), [textMsg(bytes)], `${JSON.stringify(ch)} cut at ${cut}`);
      }
      const bytewise = [...bytes].map((b, i) =>
        i === 0
          ? text(Buffer.from([b]), { fin: false })
          : continuation(Buffer.from([b]), { fin: i === bytes.length - 1 }),
      );
      t.same(feed(Buffer.concat(bytewise)), [textMsg(bytes)], `${JSON.stringify(ch)} one byte per fragment`);
    }
  });

  t.test("a valid long text split across fragments and chunks is accepted", async (t) => {
    const body = Buffer.from("Ünïcödé ✓ 𝄞 ".repeat(200));
    const frames = [
      text(body.subarray(0, 1001), { fin: false }),
      continuation(body.subarray(1001, 2002), { fin: false }),
      continuation(body.subarray(2002)),
    ];
    const stream = Buffer.concat(frames);
    const splits = [];
    for (let at = 7; at < stream.length; at += 97) splits.push(at);
    t.same(feed(stream, splits), [textMsg(body)]);
  });

  t.test("a text message ending in a truncated sequence fails with 1007", async (t) => {
    for (const tail of [[0xc3], [0xe2, 0x82], [0xf0, 0x9d, 0x84]]) {
      const payload = Buffer.concat([Buffer.from("abc"), Buffer.from(tail)]);
      const name = Buffer.from(tail).toString("hex");
      t.same(feed(text(payload)), [err(1007)], `single frame ending in ${name}`);
      t.same(feed(text(payload), [4]), [err(1007)], `single frame in two chunks ending in ${name}`);
      t.same(
        feed(Buffer.concat([text("abc", { fin: false }), continuation(Buffer.from(tail))])),
        [err(1007)],
        `fragmented, ending in ${name}`,
      );
      t.same(
        feed(Buffer.concat([text(payload, { fin: false }), continuation("")])),
        [err(1007)],
        `fragmented with an empty last fragment, ending in ${name}`,
      );
    }
  });

  t.test("after an invalid text message, nothing more is delivered", async (t) => {
    t.same(feed(Buffer.concat([text("ok"), text(Buffer.from([0xff])), text("never")])), [
      textMsg("ok"),
      err(1007),
    ]);
  });
});

t.test("frames survive being split across pushes", async (t) => {
  t.test("a 64-bit header split at every byte is read the same", async (t) => {
    const payload = randomBytes(70_000, 5);
    const bytes = binary(payload);
    for (let cut = 1; cut <= 10; cut++) {
      t.same(feed(bytes, [cut]), [binMsg(payload)], `cut at ${cut}`);
    }
  });

  t.test("a stream pushed one byte at a time gives the same events as whole", async (t) => {
    const bytes = Buffer.concat([
      text("héllo"),
      ping("p"),
      binary(randomBytes(300, 1), { fin: false }),
      pong("q"),
      continuation(randomBytes(5, 2)),
      close(1000, "done"),
    ]);
    const positions = [];
    for (let i = 1; i < bytes.length; i++) positions.push(i);
    t.same(feed(bytes, positions), feed(bytes));
    t.equal(feed(bytes).length, 5);
  });

  t.test("a frame header may end exactly where a push ends", async (t) => {
    const bytes = Buffer.concat([text("a".repeat(200)), text("b")]);
    t.same(feed(bytes, [4, 204, 206]), [textMsg("a".repeat(200)), textMsg("b")]);
  });

  t.test("closePayload builds what close() frames", async (t) => {
    t.same([...close(1000, "x")], [0x88, 3, 0x03, 0xe8, 0x78]);
    t.same([...closePayload()], []);
  });
});

t.test("pause keeps the rest of a chunk and every chunk pushed after it, in order, uncopied", async (t) => {
  // A reader that stops the parser after every message, as a full channel does.
  class Stopping extends RecordingSink {
    parser: FrameParser | undefined;
    override onMessage(opcode: number, payload: Buffer, compressed: boolean): void {
      super.onMessage(opcode, payload, compressed);
      this.parser?.pause();
    }
  }
  const sink = new Stopping();
  const parser = new FrameParser(sink, { maxMessageSize: MiB });
  sink.parser = parser;
  const frames = [binary("one"), text("two"), binary(Buffer.alloc(300, 3)), text("four"), binary("five")];
  const stream = Buffer.concat(frames);
  // The third frame straddles the first and second chunk, the fourth the second and third.
  const chunks = cut(stream, [frames[0]!.length + frames[1]!.length + 100, stream.length - 8]);
  for (const chunk of chunks) parser.push(chunk);
  t.equal(sink.events.length, 1, "the first message, then the parser stops");
  t.equal(
    parser.heldBytes,
    stream.length - frames[0]!.length,
    "the rest of the first chunk and both later ones are held",
  );
  for (let expected = 2; expected <= frames.length; expected++) {
    parser.resume();
    t.equal(sink.events.length, expected, `resume ${expected - 1} delivers one more message`);
  }
  t.equal(parser.heldBytes, 0, "nothing is held at the end");
  t.same(sink.events, feed(stream), "the same messages, in order, as the stream pushed whole");
  parser.resume();
  t.equal(sink.events.length, frames.length, "a resume with nothing held delivers nothing");
  parser.push(binary("six"));
  t.same(sink.events.at(-1), binMsg("six"), "later pushes are parsed at once again");
});
