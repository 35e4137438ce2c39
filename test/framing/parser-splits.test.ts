/**
 * Every stream of a corpus of valid and invalid server traffic is fed to a fresh parser whole,
 * split in two at every byte position, one byte at a time, and at random positions. The parser
 * must report exactly the same events however the bytes are cut: a chunk boundary is not
 * something a peer controls, so it must never change a message, a close or an error.
 */
import t from "tap";
import type { ParserOptions } from "../../src/framing/parser.js";
import {
  binary,
  close,
  continuation,
  cut,
  DEFAULT_OPTIONS,
  type FrameEvent,
  feed,
  feedBytewise,
  frame,
  ping,
  pong,
  prng,
  randomBytes,
  randomSplits,
  reportsExactly,
  sameEvents,
  text,
} from "../helpers/frames.js";

interface Stream {
  readonly name: string;
  readonly bytes: Buffer;
  readonly options?: ParserOptions;
  /** What feeding it whole must report: the event types, in order, and the error code if any. */
  readonly expect: string;
}

const cat = (...frames: Buffer[]): Buffer => Buffer.concat(frames);

/** Multi-byte text whose fragment boundaries fall inside characters. */
const MIXED = Buffer.from("aé€𝄞b—ü🎉z");

function fragmentsAt(opcode: 1 | 2, bytes: Buffer, cuts: number[]): Buffer[] {
  const bounds = [0, ...cuts, bytes.length];
  const out: Buffer[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const piece = bytes.subarray(bounds[i], bounds[i + 1]);
    const fin = i + 2 === bounds.length;
    out.push(i === 0 ? frame({ opcode, payload: piece, fin }) : continuation(piece, { fin }));
  }
  return out;
}

const [m0, m1, m2, m3] = fragmentsAt(1, MIXED, [2, 4, 8]);

const CORPUS: Stream[] = [
  // Valid streams.
  { name: "one short text", bytes: text("Hello"), expect: "message" },
  {
    name: "empty text, empty binary, empty ping",
    bytes: cat(text(""), binary(""), ping()),
    expect: "message message ping",
  },
  {
    name: "ping, pong, text, binary, close with reason",
    bytes: cat(ping("p"), pong("q"), text("txt"), binary(randomBytes(40, 1)), close(1000, "bye")),
    expect: "ping pong message message close",
  },
  {
    name: "two fragments with a ping between",
    bytes: cat(text("Hello, ", { fin: false }), ping("mid"), continuation("world")),
    expect: "ping message",
  },
  {
    name: "multi-byte text cut inside characters, controls between fragments",
    bytes: cat(m0!, ping("1"), m1!, pong("2"), m2!, ping(""), m3!),
    expect: "ping pong ping message",
  },
  {
    name: "multi-byte text with one byte per fragment",
    bytes: cat(
      ...fragmentsAt(
        1,
        MIXED,
        Array.from({ length: MIXED.length - 1 }, (_, i) => i + 1),
      ),
    ),
    expect: "message",
  },
  {
    name: "binary in three 16-bit-length fragments with a pong between",
    bytes: cat(
      binary(randomBytes(300, 2), { fin: false }),
      continuation(randomBytes(301, 3), { fin: false }),
      pong(randomBytes(125, 4)),
      continuation(randomBytes(302, 5)),
    ),
    expect: "pong message",
  },
  {
    name: "a 16-bit text of 200 bytes and a ping",
    bytes: cat(text(`${"€".repeat(66)}ab`), ping("x")),
    expect: "message ping",
  },
  { name: "a binary of 65535 bytes", bytes: binary(randomBytes(65535, 6)), expect: "message" },
  {
    name: "a 64-bit binary of 65536 bytes then a text",
    bytes: cat(binary(randomBytes(65536, 7)), text("after")),
    expect: "message message",
  },
  {
    name: "non-minimal 16- and 64-bit lengths",
    bytes: cat(
      text("five!", { lengthBits: 16 }),
      binary("abc", { lengthBits: 64 }),
      text("", { lengthBits: 64 }),
    ),
    expect: "message message message",
  },
  {
    name: "empty first and last fragments",
    bytes: cat(text("", { fin: false }), continuation("mid", { fin: false }), continuation("")),
    expect: "message",
  },
  { name: "a close without payload", bytes: close(), expect: "close" },
  { name: "a close with a UTF-8 reason", bytes: close(4000, "tschüß 🎉"), expect: "close" },
  {
    name: "bytes after a close are ignored",
    bytes: cat(close(1001), text("ignored"), Buffer.from([0xff])),
    expect: "close",
  },
  {
    name: "a close in the middle of a fragmented message",
    bytes: cat(binary("part", { fin: false }), close(1000, "stop"), continuation("rest")),
    expect: "close",
  },
  {
    name: "a compressed fragmented message with a ping between",
    bytes: cat(
      text(Buffer.from([0xf2, 0x48]), { rsv1: true, fin: false }),
      ping("p"),
      continuation(Buffer.from([0xcd, 0x00])),
    ),
    options: { maxMessageSize: 1000, compression: true },
    expect: "ping message",
  },
  {
    name: "a message of exactly the limit, in fragments",
    bytes: cat(
      binary(Buffer.alloc(60, 1), { fin: false }),
      continuation(Buffer.alloc(40, 2)),
      text("x".repeat(100)),
    ),
    options: { maxMessageSize: 100 },
    expect: "message message",
  },
  {
    name: "a stream that ends in the middle of a frame",
    bytes: cat(text("complete"), binary(randomBytes(200, 8)).subarray(0, 50)),
    expect: "message",
  },

  // Invalid streams.
  {
    name: "a masked frame after a valid text",
    bytes: cat(text("ok"), text("m", { maskKey: Buffer.from([9, 8, 7, 6]) })),
    expect: "message error:1002",
  },
  {
    name: "RSV2 on a binary frame",
    bytes: cat(ping("p"), binary("x", { rsv2: true })),
    expect: "ping error:1002",
  },
  {
    name: "RSV1 without compression",
    bytes: cat(text("ok"), text("x", { rsv1: true }), text("never")),
    expect: "message error:1002",
  },
  {
    name: "RSV1 on a continuation with compression",
    bytes: cat(binary("a", { rsv1: true, fin: false }), continuation("b", { rsv1: true })),
    options: { maxMessageSize: 100, compression: true },
    expect: "error:1002",
  },
  {
    name: "a reserved data opcode",
    bytes: cat(pong("p"), frame({ opcode: 5, payload: "x" })),
    expect: "pong error:1002",
  },
  {
    name: "a reserved control opcode",
    bytes: cat(text("a"), frame({ opcode: 0xb })),
    expect: "message error:1002",
  },
  {
    name: "a 64-bit length with its MSB set",
    bytes: cat(text("a"), frame({ opcode: 2, length: 2n ** 63n + 5n, lengthBits: 64 })),
    expect: "message error:1002",
  },
  { name: "a ping of 126 bytes", bytes: cat(ping("ok"), ping(Buffer.alloc(126))), expect: "ping error:1002" },
  {
    name: "a fragmented ping",
    bytes: cat(text("a", { fin: false }), ping("x", { fin: false }), continuation("b")),
    expect: "error:1002",
  },
  {
    name: "a continuation without a message",
    bytes: cat(text("done"), continuation("stray")),
    expect: "message error:1002",
  },
  {
    name: "a new text frame inside a fragmented message",
    bytes: cat(binary("a", { fin: false }), ping("p"), text("b")),
    expect: "ping error:1002",
  },
  {
    name: "a close with a 1-byte payload",
    bytes: cat(text("a"), frame({ opcode: 8, payload: Buffer.from([3]) })),
    expect: "message error:1002",
  },
  { name: "a close with the code 1005", bytes: close(1005, "no"), expect: "error:1002" },
  {
    name: "a close with an invalid UTF-8 reason",
    bytes: cat(ping(), close(1000, Buffer.from([0x61, 0xed, 0xa0, 0x80]))),
    expect: "ping error:1007",
  },
  {
    name: "invalid UTF-8 in the middle fragment",
    bytes: cat(
      ping("a"),
      text("abc", { fin: false }),
      continuation(Buffer.from([0x78, 0xc0, 0x80]), { fin: false }),
      continuation("end"),
    ),
    expect: "ping error:1007",
  },
  {
    name: "a surrogate split across fragments",
    bytes: cat(text(Buffer.from([0x61, 0xed]), { fin: false }), continuation(Buffer.from([0xa0, 0x80]))),
    expect: "error:1007",
  },
  {
    name: "text ending in a truncated 4-byte sequence",
    bytes: cat(text("ok"), text(Buffer.from([0x61, 0xf0, 0x9f, 0x8e]), { fin: false }), continuation("")),
    expect: "message error:1007",
  },
  {
    name: "a long text with a bad byte deep inside",
    bytes: cat(
      text(Buffer.concat([Buffer.from("é".repeat(500)), Buffer.from([0xff]), Buffer.from("z".repeat(500))])),
    ),
    expect: "error:1007",
  },
  {
    name: "a single frame over the limit",
    bytes: cat(ping("p"), binary(Buffer.alloc(1001)), text("never")),
    options: { maxMessageSize: 1000 },
    expect: "ping error:1009",
  },
  {
    name: "fragments adding up past the limit",
    bytes: cat(binary(Buffer.alloc(60), { fin: false }), pong("q"), continuation(Buffer.alloc(41))),
    options: { maxMessageSize: 100 },
    expect: "pong error:1009",
  },
  {
    name: "a 64-bit length announcing 2^62",
    bytes: cat(text("a"), frame({ opcode: 2, length: 2n ** 62n })),
    options: { maxMessageSize: 1000 },
    expect: "message error:1009",
  },
];

/** A compact description of events, for checking the corpus against its `expect`. */
function shape(events: readonly FrameEvent[]): string {
  return events.map((e) => (e.type === "error" ? `error:${e.code}` : e.type)).join(" ");
}

/** For a failure report: the events with payloads shortened to a hex prefix. */
function printable(events: readonly FrameEvent[]): unknown[] {
  return events.map((e) =>
    "data" in e ? { ...e, data: `${e.data.length} bytes ${e.data.subarray(0, 16).toString("hex")}` } : e,
  );
}

t.test("the corpus of streams is well formed", async (t) => {
  t.ok(CORPUS.length >= 30, `${CORPUS.length} streams`);
  t.equal(new Set(CORPUS.map((s) => s.name)).size, CORPUS.length, "names are unique");
});

const SEED = 0x5eed_6455;

for (const [index, stream] of CORPUS.entries()) {
  t.test(`${stream.name}: the same events however the bytes are split`, async (t) => {
    const options = stream.options ?? DEFAULT_OPTIONS;
    const expected = feed(stream.bytes, [], options);
    t.equal(shape(expected), stream.expect, "fed whole, it reports what the corpus expects");

    // (b) Two pieces, cut at every position (0 and the end give an empty piece, also legal).
    let firstBad = -1;
    let bad = 0;
    for (let at = 0; at <= stream.bytes.length; at++) {
      if (!reportsExactly(cut(stream.bytes, [at]), expected, options)) {
        bad++;
        if (firstBad < 0) firstBad = at;
      }
    }
    if (firstBad >= 0) {
      t.same(printable(feed(stream.bytes, [firstBad], options)), printable(expected), `split at ${firstBad}`);
    }
    t.equal(bad, 0, `split in two at each of ${stream.bytes.length + 1} positions`);

    // (c) One byte at a time.
    const bytewise = feedBytewise(stream.bytes, options);
    if (sameEvents(bytewise, expected)) t.pass("one byte at a time");
    else t.same(printable(bytewise), printable(expected), "one byte at a time");

    // (d) Random cuts, reproducible from the seed.
    const next = prng(SEED + index);
    const trials = 200;
    let randomBad = 0;
    for (let i = 0; i < trials; i++) {
      const count = 1 + Math.floor(next() * Math.min(40, stream.bytes.length));
      const splits = randomSplits(stream.bytes.length, count, next);
      if (!reportsExactly(cut(stream.bytes, splits), expected, options)) {
        randomBad++;
        if (randomBad === 1) {
          const events = feed(stream.bytes, splits, options);
          t.same(printable(events), printable(expected), `random splits ${splits.join(",")}`);
        }
      }
    }
    t.equal(randomBad, 0, `${trials} random splittings (seed ${SEED + index})`);
  });
}
