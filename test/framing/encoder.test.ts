import fc from "fast-check";
import t from "tap";
import { encodeFrame, encodeTextFrame, headerSize, writeHeader } from "../../src/framing/encoder.js";
import { feed, randomBytes } from "../helpers/frames.js";

const KEY = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);

/** A client frame taken apart by hand, independently of the encoder's own arithmetic. */
interface Decoded {
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  opcode: number;
  masked: boolean;
  length: number;
  key: Buffer;
  payloadStart: number;
}

function decodeHeader(bytes: Buffer): Decoded {
  const first = bytes[0]!;
  const second = bytes[1]!;
  let length = second & 0x7f;
  let at = 2;
  if (length === 126) {
    length = bytes.readUInt16BE(2);
    at = 4;
  } else if (length === 127) {
    length = Number(bytes.readBigUInt64BE(2));
    at = 10;
  }
  return {
    fin: (first & 0x80) !== 0,
    rsv1: (first & 0x40) !== 0,
    rsv2: (first & 0x20) !== 0,
    rsv3: (first & 0x10) !== 0,
    opcode: first & 0x0f,
    masked: (second & 0x80) !== 0,
    length,
    key: bytes.subarray(at, at + 4),
    payloadStart: at + 4,
  };
}

/** The payload of an encoded client frame, unmasked with the key found in its header. */
function unmaskedPayload(bytes: Buffer): Buffer {
  const h = decodeHeader(bytes);
  const out = Buffer.from(bytes.subarray(h.payloadStart));
  for (let i = 0; i < out.length; i++) out[i] = out[i]! ^ h.key[i & 3]!;
  return out;
}

/** The same frame as a server would send it: mask bit cleared, key removed, payload unmasked. */
function asServerFrame(bytes: Buffer): Buffer {
  const h = decodeHeader(bytes);
  const header = Buffer.from(bytes.subarray(0, h.payloadStart - 4));
  header[1] = header[1]! & 0x7f;
  return Buffer.concat([header, unmaskedPayload(bytes)]);
}

t.test("RFC 6455 §5.2 headerSize", async (t) => {
  t.test("counts the 4-byte masking key with the 2, 4 or 10 header bytes", async (t) => {
    const cases: Array<[number, number]> = [
      [0, 6],
      [125, 6],
      [126, 8],
      [65535, 8],
      [65536, 14],
      [2 ** 32 + 1, 14],
    ];
    for (const [length, size] of cases) t.equal(headerSize(length), size, `length ${length}`);
  });
});

t.test("RFC 6455 §5.2 writeHeader", async (t) => {
  const cases: Array<[number, number[]]> = [
    [0, [0x82, 0x80]],
    [125, [0x82, 0x80 | 125]],
    [126, [0x82, 0x80 | 126, 0x00, 126]],
    [65535, [0x82, 0x80 | 126, 0xff, 0xff]],
    [65536, [0x82, 0x80 | 127, 0, 0, 0, 0, 0, 1, 0, 0]],
    [2 ** 32 + 1, [0x82, 0x80 | 127, 0, 0, 0, 1, 0, 0, 0, 1]],
    [2 ** 53 - 1, [0x82, 0x80 | 127, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
  ];
  for (const [length, head] of cases) {
    t.test(`writes the minimal length encoding, the mask bit and the key for length ${length}`, async (t) => {
      const target = Buffer.alloc(20, 0xee);
      const end = writeHeader(target, 3, 0x2, true, false, length, KEY, 0);
      const expected = [...head, ...KEY];
      t.equal(end, 3 + expected.length, "returns where the payload begins");
      t.same([...target.subarray(3, end)], expected);
      t.same([...target.subarray(0, 3)], [0xee, 0xee, 0xee], "bytes before the offset untouched");
      t.ok(
        target.subarray(end).every((b) => b === 0xee),
        "bytes after the header untouched",
      );
      t.equal(end - 3, headerSize(length), "agrees with headerSize");
    });
  }

  t.test("sets FIN and RSV1 as asked, and never RSV2 or RSV3", async (t) => {
    for (const fin of [false, true]) {
      for (const rsv1 of [false, true]) {
        for (const opcode of [0x0, 0x1, 0x2, 0x8, 0x9, 0xa]) {
          const target = Buffer.alloc(6);
          writeHeader(target, 0, opcode, fin, rsv1, 5, KEY, 0);
          const h = decodeHeader(target);
          t.same(
            [h.fin, h.rsv1, h.rsv2, h.rsv3, h.opcode, h.masked, h.length],
            [fin, rsv1, false, false, opcode, true, 5],
            `fin=${fin} rsv1=${rsv1} opcode=${opcode}`,
          );
        }
      }
    }
  });

  t.test("takes the 4 key bytes from keyOffset in a larger pool", async (t) => {
    const pool = Buffer.from([9, 9, 1, 2, 3, 4, 9, 9]);
    const target = Buffer.alloc(6);
    writeHeader(target, 0, 0x1, true, false, 0, pool, 2);
    t.same([...target.subarray(2)], [1, 2, 3, 4]);
  });
});

t.test("RFC 6455 §5.3 encodeFrame", async (t) => {
  for (const length of [0, 1, 3, 4, 5, 63, 64, 65, 125, 126, 127, 128, 1000, 65535, 65536, 1024 * 1024 + 3]) {
    t.test(`a ${length}-byte payload is masked with the header's key and unmasks back`, async (t) => {
      const payload = randomBytes(length, length);
      const before = Buffer.from(payload);
      const key = randomBytes(4, length + 1000);
      const bytes = encodeFrame({ opcode: 0x2 }, payload, key);
      const h = decodeHeader(bytes);
      t.same([h.fin, h.rsv1, h.opcode, h.masked, h.length], [true, false, 2, true, length]);
      t.same([...h.key], [...key], "the header carries the key");
      t.equal(bytes.length, headerSize(length) + length);
      t.ok(unmaskedPayload(bytes).equals(payload), "unmasks to the payload");
      t.ok(payload.equals(before), "the caller's payload is not modified");
    });
  }

  t.test("masking really changes the bytes (the key is not ignored)", async (t) => {
    const payload = Buffer.alloc(200);
    const bytes = encodeFrame({ opcode: 0x2 }, payload, KEY);
    const h = decodeHeader(bytes);
    const body = bytes.subarray(h.payloadStart);
    for (let i = 0; i < body.length; i++) {
      if (body[i] !== KEY[i & 3]) {
        t.fail(`byte ${i} is ${body[i]}, expected ${KEY[i & 3]}`);
        return;
      }
    }
    t.pass("every byte of a zero payload equals the key byte for its position");
  });

  t.test("uses FIN, RSV1 and the opcode from the options", async (t) => {
    const bytes = encodeFrame({ opcode: 0x0, fin: false, rsv1: true }, Buffer.from("abc"), KEY);
    const h = decodeHeader(bytes);
    t.same([h.fin, h.rsv1, h.opcode], [false, true, 0]);
  });

  t.test("takes the key from keyOffset", async (t) => {
    const pool = Buffer.from([0, 0, 0, 0, 0, 0xaa, 0xbb, 0xcc, 0xdd, 0]);
    const payload = Buffer.from("hello, key offset");
    const bytes = encodeFrame({ opcode: 0x1 }, payload, pool, 5);
    t.same([...decodeHeader(bytes).key], [0xaa, 0xbb, 0xcc, 0xdd]);
    t.ok(unmaskedPayload(bytes).equals(payload));
  });

  t.test("never modifies a payload that is a view at any offset into a shared buffer", async (t) => {
    const backing = randomBytes(4096, 77);
    const copy = Buffer.from(backing);
    for (const [start, end] of [
      [0, 4096],
      [1, 4001],
      [3, 70],
      [5, 5],
      [2, 200],
    ] as const) {
      const view = backing.subarray(start, end);
      const bytes = encodeFrame({ opcode: 0x2 }, view, KEY);
      t.ok(unmaskedPayload(bytes).equals(view), `view ${start}..${end} round-trips`);
    }
    t.ok(backing.equals(copy), "the shared buffer is unchanged");
  });

  t.test("a plain Uint8Array payload is accepted", async (t) => {
    const payload = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const bytes = encodeFrame({ opcode: 0x2 }, payload, KEY);
    t.ok(unmaskedPayload(bytes).equals(payload));
  });

  t.test("agrees with a byte-by-byte reference for random payloads, keys and options", async (t) => {
    const seed = 6455;
    let runs = 0;
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom(0x0, 0x1, 0x2, 0x8, 0x9, 0xa),
        (payload, key, fin, rsv1, opcode) => {
          runs++;
          const bytes = encodeFrame({ opcode, fin, rsv1 }, payload, key);
          const h = decodeHeader(bytes);
          const reference = Buffer.from(payload.map((b, i) => b ^ key[i & 3]!));
          return (
            h.fin === fin &&
            h.rsv1 === rsv1 &&
            h.opcode === opcode &&
            h.masked &&
            h.length === payload.length &&
            Buffer.from(key).equals(h.key) &&
            bytes.subarray(h.payloadStart).equals(reference)
          );
        },
      ),
      { seed, numRuns: 2000 },
    );
    t.pass(`${runs} random frames (seed ${seed})`);
  });
});

t.test("encodeTextFrame", async (t) => {
  t.test(
    "equals encodeFrame of the UTF-8 bytes for random strings with astral characters (seed 7692)",
    async (t) => {
      let runs = 0;
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string({ unit: "binary", maxLength: 200 }),
            fc.string({ unit: "grapheme", maxLength: 40 }),
            // Long texts (16- and 64-bit lengths, the masker's wide paths) from a repeated piece.
            fc
              .tuple(
                fc.string({ unit: "binary", minLength: 1, maxLength: 40 }),
                fc.integer({ min: 1, max: 3000 }),
              )
              .map(([piece, times]) => piece.repeat(times)),
          ),
          fc.uint8Array({ minLength: 4, maxLength: 4 }),
          (text, key) => {
            runs++;
            const bytes = Buffer.from(text, "utf8");
            const a = encodeTextFrame(text, Buffer.byteLength(text), key);
            const b = encodeFrame({ opcode: 0x1 }, bytes, key);
            return a.equals(b);
          },
        ),
        { seed: 7692, numRuns: 1500 },
      );
      t.pass(`${runs} random strings`);
    },
  );

  t.test("handles the length boundaries with multi-byte characters", async (t) => {
    for (const text of [
      "",
      `${"é".repeat(62)}a`,
      "€".repeat(42),
      "𝄞".repeat(16384),
      `${"𝄞".repeat(16384)}x`,
    ]) {
      const a = encodeTextFrame(text, Buffer.byteLength(text), KEY);
      const b = encodeFrame({ opcode: 0x1 }, Buffer.from(text), KEY);
      t.ok(a.equals(b), `${Buffer.byteLength(text)} bytes`);
      t.equal(unmaskedPayload(a).toString(), text);
    }
  });

  t.test("writes a lone surrogate as U+FFFD, as Buffer.byteLength counted it", async (t) => {
    const text = "a\ud800b";
    const frame = encodeTextFrame(text, Buffer.byteLength(text), KEY);
    t.same([...unmaskedPayload(frame)], [0x61, 0xef, 0xbf, 0xbd, 0x62]);
  });

  t.test("takes the key from keyOffset", async (t) => {
    const pool = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const frame = encodeTextFrame("key", 3, pool, 4);
    t.same([...decodeHeader(frame).key], [5, 6, 7, 8]);
    t.equal(unmaskedPayload(frame).toString(), "key");
  });
});

t.test("the parser reads back what the encoder writes, once unmasked", async (t) => {
  t.test("a masked client frame is refused by the client-side parser (1002)", async (t) => {
    t.same(feed(encodeFrame({ opcode: 0x1 }, Buffer.from("hi"), KEY)), [{ type: "error", code: 1002 }]);
  });

  t.test("text, binary, control and fragmented frames round-trip", async (t) => {
    const big = randomBytes(70_000, 3);
    const frames = [
      encodeTextFrame("héllo 𝄞", Buffer.byteLength("héllo 𝄞"), KEY),
      encodeFrame({ opcode: 0x2 }, big, KEY),
      encodeFrame({ opcode: 0x9 }, Buffer.from("ping"), KEY),
      encodeFrame({ opcode: 0x1, fin: false }, Buffer.from("frag"), KEY),
      encodeFrame({ opcode: 0xa }, Buffer.alloc(0), KEY),
      encodeFrame({ opcode: 0x0 }, Buffer.from("ment"), KEY),
      encodeFrame({ opcode: 0x8 }, Buffer.from([0x03, 0xe8, 0x6f, 0x6b]), KEY),
    ];
    t.same(feed(Buffer.concat(frames.map(asServerFrame))), [
      { type: "message", opcode: 1, data: Buffer.from("héllo 𝄞"), compressed: false },
      { type: "message", opcode: 2, data: big, compressed: false },
      { type: "ping", data: Buffer.from("ping") },
      { type: "pong", data: Buffer.alloc(0) },
      { type: "message", opcode: 1, data: Buffer.from("fragment"), compressed: false },
      { type: "close", code: 1000, reason: "ok" },
    ]);
  });

  t.test("a compressed frame keeps its RSV1 through the round trip", async (t) => {
    const frame = encodeFrame({ opcode: 0x2, rsv1: true }, Buffer.from([1, 2, 3]), KEY);
    t.same(feed(asServerFrame(frame), [], { maxMessageSize: 100, compression: true }), [
      { type: "message", opcode: 2, data: Buffer.from([1, 2, 3]), compressed: true },
    ]);
  });
});
