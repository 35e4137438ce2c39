import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import t from "tap";
import { FrameParser } from "../../src/framing/parser.js";
import { binary, continuation } from "../helpers/frames.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
// The JS heap only: a Buffer object per fragment or per read would live there (~100 B each),
// while the message's bytes are external memory, whose accounting lags behind the collector.
const heap = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

t.test(
  "a message in 1-byte fragments, pushed 7 bytes at a time, costs memory in proportion to its size",
  async (t) => {
    const size = 512 * 1024;
    const wire = Buffer.concat(
      Array.from({ length: size }, (_, i) =>
        i === 0
          ? binary(Buffer.of(0), { fin: false })
          : continuation(Buffer.of(i & 0xff), { fin: i === size - 1 }),
      ),
    );
    let delivered: Buffer | undefined;
    const parser = new FrameParser(
      {
        onMessage: (_opcode, payload) => {
          delivered = payload;
        },
        onPing: () => {},
        onPong: () => {},
        onClose: () => {},
        onError: (code, message) => t.fail(`error ${code}: ${message}`),
      },
      { maxMessageSize: 16 * 1024 * 1024 },
    );
    const half = Math.floor(wire.length / 2 / 7) * 7;
    const before = heap();
    // Each read a fresh buffer, as a socket gives them; the parser must keep none of them.
    for (let at = 0; at < half; at += 7) parser.push(Buffer.from(wire.subarray(at, at + 7)));
    const held = heap() - before;
    t.comment(
      `JS heap held halfway through: ${(held / 1024).toFixed(0)} KiB after ${Math.round(half / 3 / 1024)} Ki fragments`,
    );
    // Keeping each fragment (or each read) as its own object would hold ~100 B per byte: ~25 MiB.
    t.ok(held < 1024 * 1024, "no object kept per fragment or per read (JS heap)");
    for (let at = half; at < wire.length; at += 7) parser.push(Buffer.from(wire.subarray(at, at + 7)));
    t.equal(delivered?.length, size);
    t.ok(
      delivered?.every((b, i) => b === (i & 0xff)),
      "the bytes are in order",
    );
  },
);

t.test(
  "a frame header announcing 16 MiB followed by one byte reserves memory for what came, not for what was announced",
  async (t) => {
    const sink = {
      onMessage: () => t.fail("no message is complete"),
      onPing: () => {},
      onPong: () => {},
      onClose: () => {},
      onError: (id: string, message: string) => t.fail(`error ${id}: ${message}`),
    };
    const announce = Buffer.alloc(10);
    announce[0] = 0x82;
    announce[1] = 127;
    announce.writeUInt32BE(0, 2);
    announce.writeUInt32BE(16 * 1024 * 1024, 6);
    const external = (): number => {
      gc();
      gc();
      return process.memoryUsage().arrayBuffers;
    };
    const before = external();
    const parsers: FrameParser[] = [];
    for (let i = 0; i < 100; i++) {
      const parser = new FrameParser(sink, { maxMessageSize: 128 * 1024 * 1024 });
      parser.push(Buffer.from(announce));
      // The payload's first byte in a later read: the frame is now split over reads.
      parser.push(Buffer.of(1));
      parsers.push(parser);
    }
    const held = external() - before;
    t.comment(
      `100 parsers each told of 16 MiB, each sent 11 bytes: ${(held / 1024 / 1024).toFixed(2)} MiB held`,
    );
    // Before the fix each reserved the announced 16 MiB: 1.6 GiB. Now 64 KiB at most each.
    t.ok(held < 100 * 80 * 1024, "at most 64 KiB each (plus noise)");
    t.equal(parsers.length, 100);
  },
);
