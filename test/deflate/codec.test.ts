import * as zlib from "node:zlib";
import t, { type Test } from "tap";
import { InflateError, MessageDeflater, MessageInflater, SYNC_LIMIT } from "../../src/deflate/codec.js";
import { Limiter } from "../../src/deflate/limiter.js";
import { OutputLimitError, processSync, syncCapable } from "../../src/deflate/zlib-sync.js";

const { Z_SYNC_FLUSH, Z_RLE } = zlib.constants;
const KiB = 1024;
const MiB = 1024 * 1024;
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ""), "hex");

/** Calls f and turns a synchronous throw into a rejection: the codecs do both. */
async function call<T>(f: () => T | Promise<T>): Promise<T> {
  return f();
}

/** A small deterministic generator (xorshift32), so that every run sees the same bytes. */
function generator(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** Incompressible bytes. */
function randomData(size: number, seed: number): Buffer {
  const next = generator(seed);
  const data = Buffer.allocUnsafe(size);
  let i = 0;
  for (; i + 4 <= size; i += 4) data.writeUInt32LE(next(), i);
  for (; i < size; i++) data[i] = next() & 0xff;
  return data;
}

const WORDS = [
  "price",
  "symbol",
  "BTC-USD",
  "side",
  "buy",
  "sell",
  "ts",
  "qty",
  "{",
  "}",
  ":",
  ",",
  " ",
  "\n",
];
/** Text-like bytes that compress well but not trivially. */
function textData(size: number, seed: number): Buffer {
  const next = generator(seed);
  const parts: string[] = [];
  let length = 0;
  while (length < size) {
    const word = WORDS[next() % WORDS.length]!;
    const number = next() % 3 === 0 ? String(next() % 100_000) : "";
    parts.push(word, number);
    length += word.length + number.length;
  }
  return Buffer.from(parts.join("").slice(0, size), "latin1");
}

async function rejectsWithCode(t: Test, f: () => unknown, closeCode: number, what: string): Promise<void> {
  try {
    await call(f);
    t.fail(`${what}: expected an InflateError with ${closeCode}, got a result`);
  } catch (error) {
    t.type(error, InflateError, `${what}: an InflateError`);
    t.equal((error as InflateError).closeCode, closeCode, `${what}: close code ${closeCode}`);
  }
}

/**
 * `total` bytes of zeros deflated (raw, sync-flushed, tail removed like a permessage-deflate
 * message) by feeding a zlib stream 1 MiB at a time: the zeros are never held in memory at once.
 * Z_RLE encodes runs as fast as zlib can and with the same ~1030:1 ratio as the default strategy.
 */
async function zeroBomb(total: number): Promise<Buffer> {
  const stream = zlib.createDeflateRaw({ strategy: Z_RLE, chunkSize: 64 * KiB });
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  const zeros = Buffer.alloc(Math.min(MiB, total));
  for (let written = 0; written < total; written += zeros.length) {
    const piece = total - written >= zeros.length ? zeros : zeros.subarray(0, total - written);
    if (!stream.write(piece)) await new Promise((resolve) => stream.once("drain", resolve));
  }
  await new Promise<void>((resolve) => stream.flush(Z_SYNC_FLUSH, () => resolve()));
  stream.close();
  const out = Buffer.concat(chunks);
  return out.subarray(0, out.length - 4);
}

/** The peak of rss and arrayBuffers while `work` runs, sampled every millisecond and at the end. */
async function memoryGrowth(work: () => Promise<void>): Promise<{ rss: number; arrayBuffers: number }> {
  const before = process.memoryUsage();
  let rss = before.rss;
  let arrayBuffers = before.arrayBuffers;
  const sample = (): void => {
    const now = process.memoryUsage();
    rss = Math.max(rss, now.rss);
    arrayBuffers = Math.max(arrayBuffers, now.arrayBuffers);
  };
  const timer = setInterval(sample, 1);
  try {
    await work();
  } finally {
    clearInterval(timer);
    sample();
  }
  return { rss: rss - before.rss, arrayBuffers: arrayBuffers - before.arrayBuffers };
}

/** A raw zlib inflater with a true 8-bit window (which zlib allows for inflating), one message at a time. */
function eightBitInflater(): { inflate(payload: Buffer): Promise<Buffer>; close(): void } {
  const stream = zlib.createInflateRaw({ windowBits: 8 });
  let chunks: Buffer[] = [];
  let failed: ((error: Error) => void) | undefined;
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  // After an error zlib never calls the flush callback: the error settles the message instead.
  stream.on("error", (error) => failed?.(error));
  return {
    inflate: (payload) =>
      new Promise((resolve, reject) => {
        chunks = [];
        failed = reject;
        stream.write(Buffer.concat([payload, TAIL]));
        stream.flush(Z_SYNC_FLUSH, () => resolve(Buffer.concat(chunks)));
      }),
    close: () => stream.close(),
  };
}

t.test("zlib-sync works on this Node", async (t) => {
  t.test("syncCapable recognises the internals of raw deflate and inflate streams", async (t) => {
    const deflate = zlib.createDeflateRaw();
    const inflate = zlib.createInflateRaw();
    t.equal(syncCapable(deflate), true, "deflateRaw");
    t.equal(syncCapable(inflate), true, "inflateRaw");
    deflate.close();
    inflate.close();
  });

  t.test("processSync deflates and inflates on one stream that keeps its state", async (t) => {
    const deflate = zlib.createDeflateRaw();
    const inflate = zlib.createInflateRaw();
    const first = processSync(deflate, Buffer.from("Hello"), Z_SYNC_FLUSH, Number.POSITIVE_INFINITY);
    const second = processSync(deflate, Buffer.from("Hello"), Z_SYNC_FLUSH, Number.POSITIVE_INFINITY);
    t.equal(first.toString("hex"), "f248cdc9c90700" + "0000ffff");
    t.equal(second.toString("hex"), "f200110000" + "0000ffff", "the second refers to the first");
    t.equal(processSync(inflate, first, Z_SYNC_FLUSH, 100).toString(), "Hello");
    t.equal(processSync(inflate, second, Z_SYNC_FLUSH, 100).toString(), "Hello");
    deflate.close();
    inflate.close();
  });

  t.test("processSync returns output larger than its 16 KiB scratch buffer whole", async (t) => {
    const deflate = zlib.createDeflateRaw();
    const data = randomData(100 * KiB, 7);
    const compressed = processSync(deflate, data, Z_SYNC_FLUSH, Number.POSITIVE_INFINITY);
    t.ok(compressed.length > 100 * KiB, "incompressible data grows");
    t.same(zlib.inflateRawSync(compressed, { finishFlush: Z_SYNC_FLUSH }), data);
    deflate.close();
  });

  t.test("processSync throws OutputLimitError as soon as the output passes the limit", async (t) => {
    const inflate = zlib.createInflateRaw();
    const compressed = zlib.deflateRawSync(Buffer.alloc(10 * MiB), { finishFlush: Z_SYNC_FLUSH });
    t.throws(() => processSync(inflate, compressed, Z_SYNC_FLUSH, MiB), OutputLimitError);
    inflate.close();
  });

  t.test("processSync throws zlib's error on corrupt data", async (t) => {
    const inflate = zlib.createInflateRaw();
    // The error is also emitted on the stream, as for any zlib stream: the codecs listen for it.
    inflate.on("error", () => {});
    t.throws(() => processSync(inflate, hex("ff ff ff"), Z_SYNC_FLUSH, MiB), /invalid block type/);
    inflate.close();
  });
});

t.test("RFC 7692 §7.2.3 examples", async (t) => {
  for (const allowSync of [true, false]) {
    const path = allowSync ? "synchronous path" : "asynchronous path";

    t.test(`"Hello" compressed alone is f2 48 cd c9 c9 07 00 (§7.2.3.1, ${path})`, async (t) => {
      const deflater = new MessageDeflater(15, false, allowSync);
      t.equal((await deflater.deflate(Buffer.from("Hello"))).toString("hex"), "f248cdc9c90700");
      deflater.close();
    });

    t.test(`a second "Hello" with context takeover is f2 00 11 00 00 (§7.2.3.2, ${path})`, async (t) => {
      const deflater = new MessageDeflater(15, false, allowSync);
      await deflater.deflate(Buffer.from("Hello"));
      t.equal((await deflater.deflate(Buffer.from("Hello"))).toString("hex"), "f200110000");
      deflater.close();
    });

    t.test(`without context takeover every "Hello" is f2 48 cd c9 c9 07 00 (${path})`, async (t) => {
      const deflater = new MessageDeflater(15, true, allowSync);
      for (let i = 0; i < 3; i++) {
        t.equal(
          (await deflater.deflate(Buffer.from("Hello"))).toString("hex"),
          "f248cdc9c90700",
          `message ${i}`,
        );
      }
      deflater.close();
    });

    t.test(`both "Hello" messages decompress with context takeover (${path})`, async (t) => {
      const inflater = new MessageInflater(15, false, MiB, allowSync);
      t.equal((await inflater.inflate(hex("f2 48 cd c9 c9 07 00"))).toString(), "Hello");
      t.equal((await inflater.inflate(hex("f2 00 11 00 00"))).toString(), "Hello");
      inflater.close();
    });

    t.test(`the stored block example decompresses to "Hello" (§7.2.3.3, ${path})`, async (t) => {
      for (const reset of [false, true]) {
        const inflater = new MessageInflater(15, reset, MiB, allowSync);
        const out = await inflater.inflate(hex("00 05 00 fa ff 48 65 6c 6c 6f"));
        t.equal(out.toString(), "Hello", reset ? "resetting inflater" : "context-keeping inflater");
        inflater.close();
      }
    });

    t.test(
      `after the stored block example a resetting inflater reads the next message (${path})`,
      async (t) => {
        const inflater = new MessageInflater(15, true, MiB, allowSync);
        await inflater.inflate(hex("00 05 00 fa ff 48 65 6c 6c 6f"));
        t.equal((await inflater.inflate(hex("f2 48 cd c9 c9 07 00"))).toString(), "Hello");
        inflater.close();
      },
    );

    t.test(`the BFINAL example decompresses to "Hello" (§7.2.3.4, ${path})`, async (t) => {
      const inflater = new MessageInflater(15, false, MiB, allowSync);
      t.equal((await inflater.inflate(hex("f3 48 cd c9 c9 07 00 00"))).toString(), "Hello");
      inflater.close();
    });

    t.test(`two DEFLATE blocks in one message decompress to "Hello" (§7.2.3.5, ${path})`, async (t) => {
      const inflater = new MessageInflater(15, false, MiB, allowSync);
      t.equal((await inflater.inflate(hex("f2 48 05 00 00 00 ff ff ca c9 c9 07 00"))).toString(), "Hello");
      inflater.close();
    });

    t.test(
      `an empty message compresses to the single byte 00 and 00 inflates to empty (${path})`,
      async (t) => {
        for (const reset of [false, true]) {
          const deflater = new MessageDeflater(15, reset, allowSync);
          t.equal((await deflater.deflate(Buffer.alloc(0))).toString("hex"), "00", `reset ${reset}`);
          deflater.close();
          const inflater = new MessageInflater(15, reset, MiB, allowSync);
          t.equal((await inflater.inflate(hex("00"))).length, 0, `inflated, reset ${reset}`);
          t.equal((await inflater.inflate(hex("00"))).length, 0, `inflated again, reset ${reset}`);
          t.equal(
            (await inflater.inflate(hex("f2 48 cd c9 c9 07 00"))).toString(),
            "Hello",
            "then a message",
          );
          inflater.close();
        }
        const resetting = new MessageDeflater(15, true, allowSync);
        for (const message of ["", "Hello", "", ""]) {
          const expected = message === "" ? "00" : "f248cdc9c90700";
          t.equal(
            (await resetting.deflate(Buffer.from(message))).toString("hex"),
            expected,
            `resetting: "${message}"`,
          );
        }
        resetting.close();
      },
    );

    t.test(
      `an empty message after a non-empty one still compresses to 00 with context takeover (${path})`,
      async (t) => {
        // RFC 7692 §7.2.1: the compressed data must end in an empty stored block, stripped of its
        // last 4 bytes. zlib's deflate() writes nothing at all for a sync flush with no new input
        // right after another sync flush, and an empty payload makes the receiver read the
        // appended 00 00 ff ff as the start of a stored block, which swallows the next message.
        const deflater = new MessageDeflater(15, false, allowSync);
        await deflater.deflate(Buffer.from("Hello"));
        t.equal((await deflater.deflate(Buffer.alloc(0))).toString("hex"), "00", "after Hello");
        t.equal((await deflater.deflate(Buffer.alloc(0))).toString("hex"), "00", "after an empty message");
        deflater.close();
      },
    );

    t.test(
      `a message ending in a BFINAL block does not swallow the messages after it (§7.2.3.4, ${path})`,
      async (t) => {
        // The final 00 of the example exists so that, once the decompressor is reset at the end of
        // the BFINAL block (as Chromium, WebKit and libsoup do), the appended tail reads as an empty
        // stored block. A sender may end any message this way; the context is then lost, which the
        // sender knows, so the next message does not refer to it.
        const inflater = new MessageInflater(15, false, MiB, allowSync);
        t.equal((await call(() => inflater.inflate(hex("f3 48 cd c9 c9 07 00 00")))).toString(), "Hello");
        const next = await call(() => inflater.inflate(hex("f2 48 cd c9 c9 07 00"))).catch((e: Error) => e);
        t.equal(next instanceof Buffer ? next.toString() : String(next), "Hello", "the next message");
        inflater.close();
      },
    );
  }
});

t.test("round trips from MessageDeflater to MessageInflater", async (t) => {
  const sizes = [1, 5, 127, 128, 1000, 65536, 65537, MiB];
  const kinds: [string, (size: number, seed: number) => Buffer][] = [
    ["random", randomData],
    ["compressible", textData],
  ];
  const messages = sizes.flatMap((size) =>
    kinds.map(([kind, make]) => ({ kind, size, data: make(size, size) })),
  );
  for (const resetEachMessage of [false, true]) {
    const mode = resetEachMessage ? "without context takeover" : "with context takeover";
    for (const allowSync of [true, false]) {
      const path = allowSync ? "sync and async paths" : "async path only";
      for (let windowBits = 8; windowBits <= 15; windowBits++) {
        t.test(
          `${mode}, window ${windowBits}, ${path}: an empty message then every size of both kinds round-trip in sequence`,
          async (t) => {
            const deflater = new MessageDeflater(windowBits, resetEachMessage, allowSync);
            const inflater = new MessageInflater(windowBits, resetEachMessage, 2 * MiB, allowSync);
            const failures: string[] = [];
            // An empty message first: one after another message is a case of its own, tested below.
            const empty = await deflater.deflate(Buffer.alloc(0));
            if ((await inflater.inflate(empty)).length !== 0) failures.push("the empty message");
            // Above SYNC_LIMIT both settings take the asynchronous path: the largest is sent once.
            for (const { kind, size, data } of messages.filter((m) => allowSync || m.size < MiB)) {
              // Each message twice (but the largest), so the second may refer to the first when the
              // context is kept.
              for (let copy = 1; copy <= (size < MiB ? 2 : 1); copy++) {
                const compressed = await deflater.deflate(data);
                const out = await inflater.inflate(compressed);
                if (!out.equals(data)) failures.push(`${kind} ${size} bytes, copy ${copy}`);
              }
            }
            t.same(failures, [], "every message came back identical");
            deflater.close();
            inflater.close();
          },
        );
      }
    }
  }

  t.test("compressible data shrinks and random data grows by a few bytes at most", async (t) => {
    const deflater = new MessageDeflater(15, true);
    const text = textData(MiB, 1);
    const random = randomData(MiB, 2);
    const textCompressed = await deflater.deflate(text);
    const randomCompressed = await deflater.deflate(random);
    t.ok(textCompressed.length < text.length / 2, `text ${text.length} -> ${textCompressed.length}`);
    t.ok(
      randomCompressed.length < random.length * 1.001 + 64,
      `random ${random.length} -> ${randomCompressed.length}`,
    );
    deflater.close();
  });

  t.test("with context takeover a repeated message compresses to a few bytes", async (t) => {
    const deflater = new MessageDeflater(15, false);
    const data = randomData(1000, 3);
    const first = await deflater.deflate(data);
    const second = await deflater.deflate(data);
    t.ok(first.length > 1000, `first ${first.length}`);
    t.ok(second.length < 20, `second ${second.length}`);
    deflater.close();
  });

  t.test("a payload that is a view into a larger buffer is read from its own offset", async (t) => {
    const data = textData(5000, 4);
    const deflater = new MessageDeflater(15, false);
    const compressed = await deflater.deflate(Buffer.concat([randomData(33, 5), data]).subarray(33));
    const inflater = new MessageInflater(15, false, MiB);
    const framed = Buffer.concat([randomData(17, 6), compressed, randomData(9, 7)]);
    t.same(await inflater.inflate(framed.subarray(17, 17 + compressed.length)), data);
    deflater.close();
    inflater.close();
  });

  t.test("an inflater and a deflater on different paths agree", async (t) => {
    for (const [deflateSync, inflateSync] of [
      [true, false],
      [false, true],
    ]) {
      const deflater = new MessageDeflater(15, false, deflateSync);
      const inflater = new MessageInflater(15, false, 2 * MiB, inflateSync);
      for (const size of [10, 70_000, 300, MiB, 5]) {
        const data = textData(size, size);
        t.same(
          await inflater.inflate(await deflater.deflate(data)),
          data,
          `${size} bytes, sync deflate ${deflateSync}`,
        );
      }
      deflater.close();
      inflater.close();
    }
  });
});

t.test("the synchronous and asynchronous paths", async (t) => {
  t.test("messages up to SYNC_LIMIT are processed synchronously, larger ones asynchronously", async (t) => {
    t.equal(SYNC_LIMIT, 64 * KiB);
    const deflater = new MessageDeflater(15, false);
    const inflater = new MessageInflater(15, false, 4 * MiB);
    const atLimit = deflater.deflate(randomData(SYNC_LIMIT, 1));
    t.type(atLimit, Buffer, "deflating SYNC_LIMIT bytes returns a Buffer");
    const above = deflater.deflate(randomData(SYNC_LIMIT + 1, 2));
    t.type(above, Promise, "deflating SYNC_LIMIT + 1 bytes returns a Promise");
    const bigCompressed = await above;
    await new Promise((resolve) => setImmediate(resolve));
    t.type(deflater.deflate(Buffer.from("x")), Buffer, "synchronous again once the queue drained");
    t.type(
      inflater.inflate(atLimit as Buffer),
      Promise,
      "inflating more than SYNC_LIMIT compressed bytes is async",
    );
    t.type(inflater.inflate(bigCompressed), Promise, "and queued behind it, still a Promise");
    deflater.close();
    inflater.close();
  });

  t.test("with allowSync false every call returns a Promise", async (t) => {
    const deflater = new MessageDeflater(15, false, false);
    const inflater = new MessageInflater(15, false, MiB, false);
    const compressed = deflater.deflate(Buffer.from("Hello"));
    t.type(compressed, Promise);
    const inflated = inflater.inflate(await compressed);
    t.type(inflated, Promise);
    t.equal((await inflated).toString(), "Hello");
    deflater.close();
    inflater.close();
  });

  for (const allowSync of [true, false]) {
    t.test(
      `small, large and small messages issued without waiting come back in order (allowSync ${allowSync})`,
      async (t) => {
        const deflater = new MessageDeflater(15, false, allowSync);
        const inflater = new MessageInflater(15, false, 4 * MiB, allowSync);
        // Small messages that repeat one another, so each compresses to references to the one
        // before it: any reordering or a context not carried along corrupts them.
        const small = textData(300, 9);
        const messages = [
          small,
          randomData(200 * KiB, 10),
          small,
          textData(100, 11),
          small,
          randomData(70 * KiB, 12),
          textData(2 * MiB, 13),
          small,
          Buffer.alloc(1, 0x41),
          small,
        ];
        const deflated = messages.map((m) => deflater.deflate(m));
        if (allowSync) {
          t.type(deflated[0], Buffer, "the first small message was compressed at once");
          t.type(deflated[2], Promise, "a small message behind a large one waits its turn");
        }
        const compressed = await Promise.all(deflated);
        t.ok(compressed[4]!.length < 20, "a repeated small message refers to the previous one");
        const inflated = compressed.map((c) => inflater.inflate(c));
        const outputs = await Promise.all(inflated);
        t.equal(outputs.length, messages.length);
        for (const [i, m] of messages.entries())
          t.ok(outputs[i]!.equals(m), `message ${i} (${m.length} bytes)`);
        deflater.close();
        inflater.close();
      },
    );
  }

  t.test("results settle in the order the messages were issued", async (t) => {
    const deflater = new MessageDeflater(15, false);
    const order: number[] = [];
    const sizes = [10, 300 * KiB, 10, 10, 100 * KiB, 10];
    await Promise.all(
      sizes.map((size, i) => call(() => deflater.deflate(randomData(size, i))).then(() => order.push(i))),
    );
    t.same(order, [0, 1, 2, 3, 4, 5]);
    deflater.close();
  });
});

t.test("window sizes", async (t) => {
  t.test(
    "an inflater reads the output of a deflater with a larger window only within its own window",
    async (t) => {
      // Window 15 lets the second copy refer 1000 bytes back: a 1024-byte window holds that, a
      // 512-byte one does not.
      const data = randomData(1000, 21);
      const deflater = new MessageDeflater(15, false);
      const first = (await deflater.deflate(data)) as Buffer;
      const second = (await deflater.deflate(data)) as Buffer;
      deflater.close();
      const wide = new MessageInflater(10, false, MiB);
      await wide.inflate(first);
      t.same(await wide.inflate(second), data, "window 10 reads it");
      wide.close();
      const narrow = new MessageInflater(9, false, MiB);
      await narrow.inflate(first);
      await rejectsWithCode(t, () => narrow.inflate(second), 1007, "window 9");
    },
  );

  t.test("a deflater keeps its references within its window less zlib's 262-byte lookahead", async (t) => {
    const data = randomData(1000, 22);
    for (const [windowBits, refers] of [
      [9, false],
      [10, false],
      [11, true],
      [15, true],
    ] as const) {
      const deflater = new MessageDeflater(windowBits, false);
      await deflater.deflate(data);
      const second = (await deflater.deflate(data)) as Buffer;
      t.equal(second.length < 100, refers, `window ${windowBits}: second copy is ${second.length} bytes`);
      deflater.close();
    }
  });

  t.test("the output of a deflater asked for window 8 reads with a true 8-bit window", async (t) => {
    // The deflater uses 9 bits, since zlib refuses 8 for raw deflate; the claim is that its
    // matches stay within 250 bytes, so a peer with a 256-byte window reads them. Data that
    // repeats every 300 bytes, which a 15-bit deflater would refer to, proves the check bites.
    const unit = randomData(300, 23);
    const data = Buffer.concat(Array.from({ length: 200 }, () => unit));
    const wide = eightBitInflater();
    await t.rejects(wide.inflate(zlib.deflateRawSync(data)), /too far back/, "window 15 output fails");
    wide.close();
    for (const allowSync of [true, false]) {
      const deflater = new MessageDeflater(8, false, allowSync);
      const peer = eightBitInflater();
      for (const message of [data, textData(50_000, 24), data.subarray(0, 40_000), Buffer.from("Hello")]) {
        t.same(await peer.inflate(await deflater.deflate(message)), message, `${message.length} bytes`);
      }
      deflater.close();
      peer.close();
    }
  });

  t.test("an inflater for window 8 reads what a window-8 deflater writes, with context kept", async (t) => {
    const deflater = new MessageDeflater(8, false);
    const inflater = new MessageInflater(8, false, MiB);
    for (let i = 0; i < 5; i++) {
      const data = textData(3000, 30 + (i % 2));
      t.same(await inflater.inflate(await deflater.deflate(data)), data, `message ${i}`);
    }
    deflater.close();
    inflater.close();
  });
});

t.test("context takeover must match on both sides", async (t) => {
  t.test("a message referring to the previous one fails with an inflater that reset", async (t) => {
    const deflater = new MessageDeflater(15, false);
    const inflater = new MessageInflater(15, true, MiB);
    const first = await deflater.deflate(Buffer.from("Hello"));
    const second = await deflater.deflate(Buffer.from("Hello"));
    t.equal((await inflater.inflate(first)).toString(), "Hello");
    await rejectsWithCode(t, () => inflater.inflate(second), 1007, "the second Hello");
  });

  t.test("a message without references to the previous one still inflates after a reset", async (t) => {
    const deflater = new MessageDeflater(15, false);
    const inflater = new MessageInflater(15, true, MiB);
    const a = randomData(500, 40);
    const b = randomData(500, 41);
    t.same(await inflater.inflate(await deflater.deflate(a)), a);
    t.same(await inflater.inflate(await deflater.deflate(b)), b);
    deflater.close();
    inflater.close();
  });

  t.test("an empty message in the middle of a context-takeover sequence round-trips", async (t) => {
    for (const allowSync of [true, false]) {
      const deflater = new MessageDeflater(15, false, allowSync);
      const inflater = new MessageInflater(15, false, MiB, allowSync);
      const messages = ["Hello", "", "World", "", "", "Hello World"].map((s) => Buffer.from(s));
      const outputs: string[] = [];
      for (const message of messages) {
        try {
          outputs.push((await inflater.inflate(await deflater.deflate(message))).toString());
        } catch (error) {
          outputs.push(`error ${(error as InflateError).closeCode}`);
        }
      }
      t.same(outputs, ["Hello", "", "World", "", "", "Hello World"], `allowSync ${allowSync}`);
      deflater.close();
      inflater.close();
    }
  });
});

t.test("read limits", async (t) => {
  const bomb32 = await zeroBomb(32 * MiB);
  const bomb1G = await zeroBomb(1024 * MiB);

  t.test("the bombs are what they claim", async (t) => {
    t.ok(bomb32.length <= SYNC_LIMIT, `32 MiB of zeros in ${bomb32.length} bytes: the sync path`);
    t.ok(bomb1G.length > SYNC_LIMIT && bomb1G.length < 1.1 * MiB, `1 GiB of zeros in ${bomb1G.length} bytes`);
  });

  for (const allowSync of [true, false]) {
    const path = allowSync ? "synchronous path" : "asynchronous path";
    t.test(`a 32 MiB bomb fails with 1009 at a 1 MiB limit without growing memory (${path})`, async (t) => {
      const inflater = new MessageInflater(15, false, MiB, allowSync);
      const growth = await memoryGrowth(() =>
        rejectsWithCode(t, () => inflater.inflate(bomb32), 1009, "bomb"),
      );
      t.ok(growth.rss < 64 * MiB, `rss grew ${(growth.rss / MiB).toFixed(1)} MiB`);
      t.ok(growth.arrayBuffers < 8 * MiB, `arrayBuffers grew ${(growth.arrayBuffers / MiB).toFixed(1)} MiB`);
    });
  }

  for (const allowSync of [true, false]) {
    t.test(
      `a 1 GiB bomb fails with 1009 at a 1 MiB limit without growing memory (allowSync ${allowSync})`,
      async (t) => {
        const inflater = new MessageInflater(15, false, MiB, allowSync);
        const started = Date.now();
        const growth = await memoryGrowth(() =>
          rejectsWithCode(t, () => inflater.inflate(bomb1G), 1009, "bomb"),
        );
        t.ok(growth.rss < 64 * MiB, `rss grew ${(growth.rss / MiB).toFixed(1)} MiB`);
        t.ok(
          growth.arrayBuffers < 8 * MiB,
          `arrayBuffers grew ${(growth.arrayBuffers / MiB).toFixed(1)} MiB`,
        );
        t.ok(Date.now() - started < 2000, "stopped early rather than inflating the whole gigabyte");
      },
    );
  }

  for (const allowSync of [true, false]) {
    const path = allowSync ? "sync path where it can" : "async path";
    t.test(`exactly limit bytes of output are accepted and limit + 1 are not (${path})`, async (t) => {
      // Outputs of one, two and several of the 16 KiB chunks the synchronous path inflates into,
      // and inputs above SYNC_LIMIT.
      for (const [size, make] of [
        [1000, textData],
        [16 * KiB, textData],
        [32 * KiB, textData],
        [60 * KiB, textData],
        [200 * KiB, textData],
        [100 * KiB, randomData],
      ] as const) {
        const data = make(size, size);
        const compressed = (await new MessageDeflater(15, true).deflate(data)) as Buffer;
        const atLimit = new MessageInflater(15, true, size, allowSync);
        t.same(await atLimit.inflate(compressed), data, `${size} bytes with limit ${size}`);
        t.same(await atLimit.inflate(compressed), data, `${size} bytes with limit ${size}, again`);
        atLimit.close();
        const below = new MessageInflater(15, true, size - 1, allowSync);
        await rejectsWithCode(
          t,
          () => below.inflate(compressed),
          1009,
          `${size} bytes with limit ${size - 1}`,
        );
      }
      const empty = new MessageInflater(15, false, 0, allowSync);
      t.equal((await empty.inflate(hex("00"))).length, 0, "an empty message under a limit of 0");
      await rejectsWithCode(
        t,
        () => empty.inflate(hex("f2 48 cd c9 c9 07 00")),
        1009,
        "Hello under a limit of 0",
      );
    });
  }

  t.test(
    "the memory measurement (run after the bombs, not to raise their baseline) sees a 32 MiB message inflated in full",
    async (t) => {
      const inflater = new MessageInflater(15, false, 64 * MiB);
      let size = 0;
      const growth = await memoryGrowth(async () => {
        size = (await inflater.inflate(bomb32)).length;
      });
      t.equal(size, 32 * MiB);
      t.ok(
        growth.arrayBuffers >= 32 * MiB,
        `arrayBuffers grew ${(growth.arrayBuffers / MiB).toFixed(1)} MiB`,
      );
      inflater.close();
    },
  );

  t.test("the limit applies to each message, not to the connection", async (t) => {
    const data = textData(600 * KiB, 50);
    const deflater = new MessageDeflater(15, false);
    const inflater = new MessageInflater(15, false, 600 * KiB);
    for (let i = 0; i < 4; i++)
      t.same(await inflater.inflate(await deflater.deflate(data)), data, `message ${i}`);
    deflater.close();
    inflater.close();
  });
});

t.test("corrupt data and errors", async (t) => {
  const corrupt: [string, Buffer][] = [
    ["a reserved block type", hex("07")],
    ["bytes of all ones", hex("ff ff ff ff")],
    ["a stored block whose lengths disagree", hex("00 05 00 00 00 48 65 6c 6c 6f")],
    [
      "a truncated stored block, which makes the tail read as a reserved block type",
      hex("00 05 00 fa ff 48 65 6c"),
    ],
    ["a reserved block type after a valid block", hex("f2 48 cd c9 c9 07 00 00 00 ff ff 07")],
    ["a reference before the start of the data", hex("f2 00 11 00 00")],
    ["random bytes (seed 1)", randomData(1000, 1)],
    ["random bytes (seed 2)", randomData(1000, 2)],
    ["random bytes (seed 3)", randomData(100 * KiB, 3)],
  ];
  for (const allowSync of [true, false]) {
    const path = allowSync ? "synchronous path" : "asynchronous path";
    for (const [name, payload] of corrupt) {
      t.test(`${name} fails with 1007, then every use fails with 1011 (${path})`, async (t) => {
        const inflater = new MessageInflater(15, false, MiB, allowSync);
        await rejectsWithCode(t, () => inflater.inflate(payload), 1007, name);
        await rejectsWithCode(
          t,
          () => inflater.inflate(hex("f2 48 cd c9 c9 07 00")),
          1011,
          "a valid message after it",
        );
        await rejectsWithCode(t, () => inflater.inflate(hex("00")), 1011, "and another");
      });
    }

    t.test(`messages queued behind a failing one fail with 1011 (${path})`, async (t) => {
      const inflater = new MessageInflater(15, false, MiB, allowSync);
      const bad = call(() => inflater.inflate(randomData(100 * KiB, 60)));
      const good = call(() => inflater.inflate(hex("f2 48 cd c9 c9 07 00")));
      await rejectsWithCode(t, () => bad, 1007, "the corrupt message");
      await rejectsWithCode(t, () => good, 1011, "the valid message queued behind it");
    });

    t.test(`a closed inflater refuses further messages with 1011 (${path})`, async (t) => {
      const inflater = new MessageInflater(15, false, MiB, allowSync);
      t.equal((await inflater.inflate(hex("f2 48 cd c9 c9 07 00"))).toString(), "Hello");
      inflater.close();
      await rejectsWithCode(t, () => inflater.inflate(hex("f2 48 cd c9 c9 07 00")), 1011, "after close");
    });
  }

  t.test("a failure on a bomb after good messages is 1009 and later use 1011", async (t) => {
    const inflater = new MessageInflater(15, false, 64 * KiB);
    t.equal((await inflater.inflate(hex("f2 48 cd c9 c9 07 00"))).toString(), "Hello");
    const bomb = (await new MessageDeflater(15, false).deflate(Buffer.alloc(65 * KiB))) as Buffer;
    await rejectsWithCode(t, () => inflater.inflate(bomb), 1009, "65 KiB under a 64 KiB limit");
    await rejectsWithCode(t, () => inflater.inflate(hex("00")), 1011, "afterwards");
  });

  t.test("InflateError carries its identifier, its close code, its name and a message", async (t) => {
    const error = new InflateError("MESSAGE_TOO_LARGE", "too big");
    t.type(error, Error);
    t.equal(error.name, "InflateError");
    t.equal(error.id, "MESSAGE_TOO_LARGE");
    t.equal(error.closeCode, 1009);
    t.equal(error.message, "too big");
  });
});

t.test("Limiter", async (t) => {
  interface Deferred {
    promise: Promise<number>;
    resolve(value: number): void;
    reject(error: Error): void;
  }
  function deferred(): Deferred {
    let resolve!: (value: number) => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<number>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  }
  const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  t.test("never runs more than concurrency jobs at once, and starts them in FIFO order", async (t) => {
    const limiter = new Limiter(3);
    const gates = Array.from({ length: 10 }, deferred);
    const started: number[] = [];
    let running = 0;
    let peak = 0;
    const results = gates.map((gate, i) =>
      limiter.run(async () => {
        started.push(i);
        running++;
        peak = Math.max(peak, running);
        try {
          return await gate.promise;
        } finally {
          running--;
        }
      }),
    );
    await tick();
    t.same(started, [0, 1, 2], "the first three start at once");
    // Finish them out of order: a freed slot goes to the oldest waiting job.
    gates[1]!.resolve(1);
    await tick();
    t.same(started, [0, 1, 2, 3]);
    gates[2]!.resolve(2);
    gates[0]!.resolve(0);
    await tick();
    t.same(started, [0, 1, 2, 3, 4, 5]);
    for (const [i, gate] of gates.entries()) {
      gate.resolve(i);
      await tick();
    }
    t.same(await Promise.all(results), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "each result reaches its caller");
    t.same(started, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "FIFO start order");
    t.equal(peak, 3, "at most three at once");
  });

  t.test("many short jobs stay within the bound", async (t) => {
    const limiter = new Limiter(2);
    let running = 0;
    let peak = 0;
    const jobs = Array.from({ length: 50 }, (_, i) =>
      limiter.run(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, i % 3));
        running--;
        return i;
      }),
    );
    t.same(
      await Promise.all(jobs),
      Array.from({ length: 50 }, (_, i) => i),
    );
    t.equal(peak, 2);
  });

  t.test("a rejection reaches its caller and frees the slot", async (t) => {
    const limiter = new Limiter(1);
    const failure = new Error("job failed");
    const first = limiter.run(() => Promise.reject(failure));
    const second = limiter.run(async () => "second ran");
    await t.rejects(first, failure);
    t.equal(await second, "second ran");
    t.equal(await limiter.run(async () => "third ran"), "third ran");
  });

  t.test("a job that throws before returning its promise rejects and frees its slot", async (t) => {
    const limiter = new Limiter(1);
    const failure = new Error("thrown synchronously");
    const first = limiter.run((): Promise<string> => {
      throw failure;
    });
    await t.rejects(first, failure);
    const timeout = new Promise<string>((resolve) =>
      setTimeout(() => resolve("still waiting after 200 ms"), 200),
    );
    t.equal(await Promise.race([limiter.run(async () => "next ran"), timeout]), "next ran");
  });
});
