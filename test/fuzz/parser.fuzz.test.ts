/**
 * Seeded, reproducible fuzzing of FrameParser. Every input must end in a documented outcome:
 * the parser never throws; it reports only message/ping/pong/close/error; nothing after a close
 * or an error; error codes only 1002, 1007 or 1009; every uncompressed text message is valid
 * UTF-8; no message is larger than its limit; and how the bytes are cut into pushes never
 * changes what is reported. Unmutated valid streams must give exactly the expected events.
 *
 * The seeds are fixed (and named in the test titles) so a failure replays. The normal run
 * tries about 100,000 inputs; WSCHAN_FUZZ_RUNS=n runs every property n times instead (and lifts
 * the per-file timeout), e.g. `WSCHAN_FUZZ_RUNS=300000 npx tap test/fuzz/parser.fuzz.test.ts`.
 */

import { isUtf8 } from "node:buffer";
import fc from "fast-check";
import t from "tap";
import { closeCodeOf, type ErrorId } from "../../src/errors/errors.js";
import { isValidCloseCode } from "../../src/framing/close.js";
import { FrameParser, type ParserOptions } from "../../src/framing/parser.js";
import {
  close,
  continuation,
  cut,
  type FrameEvent,
  frame,
  prng,
  RecordingSink,
  randomSplits,
  sameEvents,
} from "../helpers/frames.js";

const override =
  process.env.WSCHAN_FUZZ_RUNS === undefined ? undefined : Number(process.env.WSCHAN_FUZZ_RUNS);
if (override !== undefined && !(Number.isInteger(override) && override > 0)) {
  throw new Error(`WSCHAN_FUZZ_RUNS must be a positive integer, not ${process.env.WSCHAN_FUZZ_RUNS}`);
}
/** Runs for one property: its share of the ~100,000 of a normal run, or the override. */
const runs = (normal: number): number => override ?? normal;
// A long run may take far longer than the per-file timeout of .taprc; lift it for this file.
if (override !== undefined) t.setTimeout(0);

const ALLOWED_ERRORS = new Set([1002, 1007, 1009]);

/**
 * A recording sink that also checks, as each event arrives, what may be reported at all.
 * Violations are collected rather than thrown, so that a throw can only come from the parser.
 */
class CheckingSink extends RecordingSink {
  readonly violations: string[] = [];
  private ended = false;

  constructor(private readonly options: ParserOptions) {
    super();
  }

  private arrive(what: string): void {
    if (this.ended) this.violations.push(`${what} after the parser reported a close or an error`);
  }

  override onMessage(opcode: number, payload: Buffer, compressed: boolean): void {
    this.arrive("message");
    if (opcode !== 1 && opcode !== 2) this.violations.push(`message with opcode ${opcode}`);
    const limit = compressed
      ? (this.options.maxCompressedSize ?? this.options.maxMessageSize)
      : this.options.maxMessageSize;
    if (payload.length > limit) this.violations.push(`message of ${payload.length} bytes, limit ${limit}`);
    if (compressed && !this.options.compression)
      this.violations.push("compressed message without compression");
    if (opcode === 1 && !compressed && !isUtf8(payload))
      this.violations.push("text message that is not UTF-8");
    super.onMessage(opcode, payload, compressed);
  }

  override onPing(payload: Buffer): void {
    this.arrive("ping");
    if (payload.length > 125) this.violations.push(`ping of ${payload.length} bytes`);
    super.onPing(payload);
  }

  override onPong(payload: Buffer): void {
    this.arrive("pong");
    if (payload.length > 125) this.violations.push(`pong of ${payload.length} bytes`);
    super.onPong(payload);
  }

  override onClose(code: number, reason: string): void {
    this.arrive("close");
    if (code !== 1005 && !isValidCloseCode(code)) this.violations.push(`close with code ${code}`);
    if (code === 1005 && reason !== "") this.violations.push("close 1005 with a reason");
    if (Buffer.byteLength(reason) > 123) this.violations.push("close reason longer than 123 bytes");
    this.ended = true;
    super.onClose(code, reason);
  }

  override onError(id: ErrorId, message: string): void {
    const closeCode = closeCodeOf(id);
    this.arrive("error");
    if (!ALLOWED_ERRORS.has(closeCode)) this.violations.push(`error with close code ${closeCode}`);
    this.ended = true;
    super.onError(id, message);
  }
}

/** Outcome counts per property, printed at the end. */
class Tally {
  inputs = 0;
  private readonly counts = new Map<string, number>();

  add(events: readonly FrameEvent[]): void {
    this.inputs++;
    const last = events[events.length - 1];
    const outcome =
      last === undefined
        ? "nothing reported"
        : last.type === "error"
          ? `error ${last.code}`
          : last.type === "close"
            ? "close"
            : "still open after some events";
    this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + 1);
  }

  toString(): string {
    const parts = [...this.counts.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}: ${v}`);
    return `${this.inputs} inputs; ${parts.join(", ")}`;
  }
}

/**
 * Feeds `chunks` to a fresh parser and checks every documented rule. Returns the events and,
 * for each push, how many events had been reported once it returned; or throws an Error naming
 * the broken rule (fast-check then reports the input and the seed).
 */
function checkPushes(
  chunks: readonly Buffer[],
  options: ParserOptions,
): { events: FrameEvent[]; reportedAfter: number[] } {
  const sink = new CheckingSink(options);
  const parser = new FrameParser(sink, options);
  const reportedAfter: number[] = [];
  for (const chunk of chunks) {
    try {
      parser.push(chunk);
    } catch (error) {
      throw new Error(`push threw: ${(error as Error)?.stack ?? String(error)}`);
    }
    reportedAfter.push(sink.events.length);
  }
  if (sink.violations.length > 0) throw new Error(sink.violations.join("; "));
  const last = sink.events[sink.events.length - 1];
  const ended = last !== undefined && (last.type === "close" || last.type === "error");
  if (parser.stopped !== ended)
    throw new Error(`stopped is ${parser.stopped} after ${last?.type ?? "nothing"}`);
  return { events: sink.events, reportedAfter };
}

function check(chunks: readonly Buffer[], options: ParserOptions): FrameEvent[] {
  return checkPushes(chunks, options).events;
}

/**
 * A plain reference for fail-fast UTF-8 checking (RFC 3629 §4): the index of the first byte at
 * which `bytes` can no longer be the beginning of valid UTF-8 whatever follows, or -1 when it
 * still can (it may still end inside a character).
 */
function firstHopelessByte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    let more: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) more = 1;
    else if (lead >= 0xe0 && lead <= 0xef) {
      more = 2;
      if (lead === 0xe0) low = 0xa0; // no overlongs
      if (lead === 0xed) high = 0x9f; // no surrogates
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      more = 3;
      if (lead === 0xf0) low = 0x90; // no overlongs
      if (lead === 0xf4) high = 0x8f; // nothing above U+10FFFF
    } else return i;
    for (let k = 1; k <= more; k++) {
      if (i + k >= bytes.length) return -1;
      const next = bytes[i + k]!;
      const ok = k === 1 ? next >= low && next <= high : next >= 0x80 && next <= 0xbf;
      if (!ok) return i + k;
    }
    i += more + 1;
  }
  return -1;
}

/** Feeds `bytes` whole and cut at `splits`; both must pass `check` and agree. */
function checkSplitInvariant(bytes: Buffer, splits: number[], options: ParserOptions, tally: Tally): void {
  const whole = check([bytes], options);
  const split = check(cut(bytes, splits), options);
  if (!sameEvents(whole, split)) throw new Error(`events differ when split at ${splits.join(",")}`);
  tally.add(whole);
}

/** Random parser options: small limits reach 1009, compression sometimes on. */
const optionsArb: fc.Arbitrary<ParserOptions> = fc.record({
  maxMessageSize: fc.constantFrom(0, 1, 50, 125, 300, 70_000, 1 << 20),
  compression: fc.boolean(),
});

/** Split positions drawn from a seed, so the arbitrary stays independent of the input length. */
const splitSeedArb = fc.tuple(fc.integer(), fc.integer({ min: 0, max: 12 }));
function splitsFor(length: number, [seed, count]: [number, number]): number[] {
  return randomSplits(length, count === 12 ? length : count, prng(seed));
}

// ---------------------------------------------------------------------------------------------
// Valid streams, with the events they must produce.

interface Control {
  readonly opcode: 0x9 | 0xa;
  readonly payload: Uint8Array;
}

interface Message {
  readonly opcode: 1 | 2;
  readonly payload: Buffer;
  /** Fragment boundaries (any values; taken modulo the payload length + 1 and sorted). */
  readonly cuts: number[];
  /** Control frames between fragments: `between[i]` goes after fragment i. */
  readonly between: Control[][];
  /** A non-minimal length encoding for every fragment where it fits, or minimal. */
  readonly lengthBits: 16 | 64 | undefined;
  /** RSV1 on the first frame (only used when compression is on). */
  readonly compressed: boolean;
}

type Atom =
  | { readonly kind: "control"; readonly control: Control }
  | { readonly kind: "message"; readonly message: Message };

interface ValidStream {
  readonly atoms: Atom[];
  readonly close: { readonly code: number | undefined; readonly reason: string } | undefined;
}

const controlArb: fc.Arbitrary<Control> = fc.record({
  opcode: fc.constantFrom(0x9 as const, 0xa as const),
  payload: fc.oneof(
    { weight: 4, arbitrary: fc.uint8Array({ maxLength: 8 }) },
    fc.uint8Array({ maxLength: 125 }),
  ),
});

// Lengths that need the 16-bit encoding, and (rarely, they cost the most) the 64-bit one.
const largeLengthArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 126, max: 2000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 65_530, max: 66_000 }) },
);

const textPayloadArb = fc
  .oneof(
    { weight: 30, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.string({ unit: "binary", minLength: 1, maxLength: 8 }), largeLengthArb)
        .map(([piece, length]) => piece.repeat(Math.ceil(length / Buffer.byteLength(piece)))),
    },
  )
  .map((s) => Buffer.from(s, "utf8"));

const binaryPayloadArb = fc.oneof(
  { weight: 30, arbitrary: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.uint8Array({ minLength: 1, maxLength: 16 }), largeLengthArb)
      .map(([fill, length]) => Buffer.alloc(length, fill)),
  },
);

const messageArb: fc.Arbitrary<Message> = fc
  .tuple(
    fc.oneof(
      textPayloadArb.map((payload) => ({ opcode: 1 as const, payload })),
      binaryPayloadArb.map((payload) => ({ opcode: 2 as const, payload })),
    ),
    fc.array(fc.nat(), { maxLength: 5 }),
    fc.array(fc.array(controlArb, { maxLength: 2 }), { maxLength: 5 }),
    fc.constantFrom(undefined, undefined, undefined, 16 as const, 64 as const),
    fc.boolean(),
  )
  .map(([{ opcode, payload }, cuts, between, lengthBits, compressed]) => ({
    opcode,
    payload,
    cuts,
    between,
    lengthBits,
    compressed,
  }));

const validStreamArb: fc.Arbitrary<ValidStream> = fc.record({
  atoms: fc.array(
    fc.oneof(
      { weight: 3, arbitrary: messageArb.map((message) => ({ kind: "message" as const, message })) },
      { weight: 1, arbitrary: controlArb.map((control) => ({ kind: "control" as const, control })) },
    ),
    { maxLength: 6 },
  ),
  close: fc.option(
    fc.record({
      code: fc.option(
        fc.constantFrom(1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999),
        {
          nil: undefined,
        },
      ),
      reason: fc.string({ unit: "binary", maxLength: 30 }).filter((s) => Buffer.byteLength(s) <= 123),
    }),
    { nil: undefined, freq: 2 },
  ),
});

/** The frames of a valid stream (kept apart so mutations can work frame by frame) and its events. */
function buildStream(
  stream: ValidStream,
  compression: boolean,
): { frames: Buffer[]; expected: FrameEvent[] } {
  const frames: Buffer[] = [];
  const expected: FrameEvent[] = [];
  const addControl = (c: Control): void => {
    frames.push(frame({ opcode: c.opcode, payload: c.payload }));
    expected.push({ type: c.opcode === 0x9 ? "ping" : "pong", data: Buffer.from(c.payload) });
  };
  for (const atom of stream.atoms) {
    if (atom.kind === "control") {
      addControl(atom.control);
      continue;
    }
    const m = atom.message;
    const compressed = compression && m.compressed;
    const bounds = [
      0,
      ...m.cuts.map((c) => c % (m.payload.length + 1)).sort((a, b) => a - b),
      m.payload.length,
    ];
    for (let i = 0; i + 1 < bounds.length; i++) {
      const piece = m.payload.subarray(bounds[i], bounds[i + 1]);
      const fin = i + 2 === bounds.length;
      const lengthBits = m.lengthBits === 16 && piece.length > 0xffff ? undefined : m.lengthBits;
      frames.push(
        frame({
          opcode: i === 0 ? m.opcode : 0,
          payload: piece,
          fin,
          lengthBits,
          rsv1: i === 0 && compressed,
        }),
      );
      if (!fin) for (const c of m.between[i] ?? []) addControl(c);
    }
    expected.push({ type: "message", opcode: m.opcode, data: Buffer.from(m.payload), compressed });
  }
  if (stream.close !== undefined) {
    const { code, reason } = stream.close;
    frames.push(code === undefined ? close() : close(code, reason));
    expected.push({ type: "close", code: code ?? 1005, reason: code === undefined ? "" : reason });
  }
  return { frames, expected };
}

// ---------------------------------------------------------------------------------------------
// The hand-rolled mutator.

const MUTATIONS = [
  "flip a bit",
  "set a byte",
  "insert bytes",
  "delete bytes",
  "truncate",
  "change a length field",
  "change a header's first byte",
  "duplicate a frame",
  "drop a frame",
  "swap two frames",
] as const;

/** Applies 1 to 4 random mutations, structural ones on the frame list, the rest on the bytes. */
function mutate(frames: readonly Buffer[], seed: number): Buffer {
  const next = prng(seed);
  const int = (n: number): number => Math.floor(next() * n);
  const list = frames.map((f) => Buffer.from(f));
  const byteOps: number[] = [];
  const count = 1 + int(4);
  for (let m = 0; m < count; m++) {
    const op = int(MUTATIONS.length);
    const i = int(Math.max(list.length, 1));
    const f = list[i];
    switch (MUTATIONS[op]) {
      case "change a length field":
        if (f !== undefined) {
          const len7 = f[1]! & 0x7f;
          const choice = int(4);
          if (choice === 0 || len7 < 126) {
            // A new 7-bit length, including 126/127 which reinterpret the next bytes.
            const value = [0, 1, 125, 126, 127, len7 + 1, Math.max(len7 - 1, 0)][int(7)]!;
            f[1] = (f[1]! & 0x80) | (value & 0x7f);
          } else {
            const width = len7 === 126 ? 2 : 8;
            const at = 2 + int(width);
            f[at] = [0x00, 0xff, 0x80, 0x01, int(256)][int(5)]!;
          }
        }
        break;
      case "change a header's first byte":
        if (f !== undefined) f[0] = f[0]! ^ (1 << int(8));
        break;
      case "duplicate a frame":
        if (f !== undefined) list.splice(int(list.length + 1), 0, Buffer.from(f));
        break;
      case "drop a frame":
        if (f !== undefined) list.splice(i, 1);
        break;
      case "swap two frames": {
        const j = int(Math.max(list.length, 1));
        if (f !== undefined && list[j] !== undefined) {
          list[i] = list[j]!;
          list[j] = f;
        }
        break;
      }
      default:
        byteOps.push(op);
    }
  }
  let bytes = Buffer.concat(list);
  for (const op of byteOps) {
    const at = int(bytes.length + 1);
    switch (MUTATIONS[op]) {
      case "flip a bit":
        if (at < bytes.length) bytes[at] = bytes[at]! ^ (1 << int(8));
        break;
      case "set a byte":
        if (at < bytes.length) bytes[at] = [0x00, 0xff, 0x80, 0x7e, 0x7f, 0xc0, 0xed, int(256)][int(8)]!;
        break;
      case "insert bytes": {
        const extra = Buffer.alloc(1 + int(8));
        for (let k = 0; k < extra.length; k++) extra[k] = int(256);
        bytes = Buffer.concat([bytes.subarray(0, at), extra, bytes.subarray(at)]);
        break;
      }
      case "delete bytes":
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + int(8))]);
        break;
      case "truncate":
        bytes = bytes.subarray(0, at);
        break;
    }
  }
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Random frame soup: frames with random header fields but lengths that match their payloads,
// so that parsing goes deeper than into the first header of a uniform random stream.

const soupFrameArb = fc
  .record({
    fin: fc.boolean(),
    rsv: fc.constantFrom(0, 0, 0, 0, 0, 1, 2, 4),
    opcode: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(0, 1, 2, 8, 9, 10) },
      fc.integer({ min: 0, max: 15 }),
    ),
    payload: fc.oneof(
      { weight: 3, arbitrary: fc.uint8Array({ maxLength: 12 }) },
      fc.string({ unit: "binary", maxLength: 20 }).map((s) => Buffer.from(s)),
      fc.uint8Array({ maxLength: 140 }),
    ),
    masked: fc.constantFrom(false, false, false, false, false, false, false, true),
  })
  .map(({ fin, rsv, opcode, payload, masked }) =>
    frame({
      opcode,
      payload,
      fin,
      rsv1: (rsv & 4) !== 0,
      rsv2: (rsv & 2) !== 0,
      rsv3: (rsv & 1) !== 0,
      maskKey: masked ? Buffer.from([1, 2, 3, 4]) : undefined,
    }),
  );

// ---------------------------------------------------------------------------------------------
// The properties.

const tallies: Array<[string, Tally]> = [];
function tally(name: string): Tally {
  const result = new Tally();
  tallies.push([name, result]);
  return result;
}

t.test("(a) uniformly random byte streams end in a documented outcome, however split (seed 1)", async (t) => {
  const counts = tally("random bytes");
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), splitSeedArb, optionsArb, (bytes, splits, options) => {
      const buffer = Buffer.from(bytes);
      checkSplitInvariant(buffer, splitsFor(buffer.length, splits), options, counts);
    }),
    { seed: 1, numRuns: runs(20_000) },
  );
  t.comment(`random bytes: ${counts}`);
  t.pass(`${counts.inputs} inputs`);
});

t.test("(a) streams of frames with random header fields end in a documented outcome (seed 2)", async (t) => {
  const counts = tally("frame soup");
  fc.assert(
    fc.property(
      fc.array(soupFrameArb, { minLength: 1, maxLength: 8 }),
      splitSeedArb,
      optionsArb,
      (frames, splits, options) => {
        const bytes = Buffer.concat(frames);
        checkSplitInvariant(bytes, splitsFor(bytes.length, splits), options, counts);
      },
    ),
    { seed: 2, numRuns: runs(20_000) },
  );
  t.comment(`frame soup: ${counts}`);
  t.pass(`${counts.inputs} inputs`);
});

t.test("(b) valid streams with random mutations end in a documented outcome (seed 3)", async (t) => {
  const counts = tally("mutated");
  fc.assert(
    fc.property(
      validStreamArb,
      fc.integer(),
      splitSeedArb,
      optionsArb,
      (stream, mutationSeed, splits, options) => {
        const { frames } = buildStream(stream, options.compression ?? false);
        const bytes = mutate(frames, mutationSeed);
        checkSplitInvariant(bytes, splitsFor(bytes.length, splits), options, counts);
      },
    ),
    { seed: 3, numRuns: runs(30_000) },
  );
  t.comment(`mutated valid streams: ${counts}`);
  t.pass(`${counts.inputs} inputs`);
});

t.test("(c) unmutated valid streams give exactly the expected events, however split (seed 4)", async (t) => {
  const counts = tally("valid");
  let with16 = 0;
  let with64 = 0;
  fc.assert(
    fc.property(validStreamArb, fc.boolean(), splitSeedArb, (stream, compression, splits) => {
      const options: ParserOptions = { maxMessageSize: 1 << 20, compression };
      const { frames, expected } = buildStream(stream, compression);
      const bytes = Buffer.concat(frames);
      const whole = check([bytes], options);
      const split = check(cut(bytes, splitsFor(bytes.length, splits)), options);
      if (!sameEvents(whole, expected)) throw new Error("fed whole, the events differ from the expected");
      if (!sameEvents(split, expected)) throw new Error("fed in pieces, the events differ from the expected");
      counts.add(whole);
      if (frames.some((f) => (f[1]! & 0x7f) === 126)) with16++;
      if (frames.some((f) => (f[1]! & 0x7f) === 127)) with64++;
    }),
    { seed: 4, numRuns: runs(15_000) },
  );
  t.comment(`valid streams: ${counts}`);
  t.comment(`  ${with16} with a 16-bit length, ${with64} with a 64-bit length`);
  t.pass(`${counts.inputs} inputs`);
});

t.test(
  "(d) fragmented text is refused with 1007 exactly when isUtf8 refuses it, at the push with the bad byte (seed 5)",
  async (t) => {
    const counts = tally("text oracle");
    // Mostly valid text with a few bytes changed, so that both outcomes are common.
    const nearlyTextArb = fc
      .tuple(
        // Long pieces (64+ bytes) take the validator's native path, short ones its DFA.
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 60 }),
          fc.string({ unit: "grapheme", maxLength: 80 }),
          fc.string({ unit: "grapheme-ascii", maxLength: 300 }),
        ),
        fc.array(
          fc.tuple(
            fc.nat(),
            fc.constantFrom(0x80, 0xbf, 0xc0, 0xc2, 0xe0, 0xed, 0xf0, 0xf4, 0xf5, 0xff, 0x41),
          ),
          {
            maxLength: 2,
          },
        ),
      )
      .map(([s, edits]) => {
        const bytes = Buffer.from(s);
        for (const [at, value] of edits) if (bytes.length > 0) bytes[at % bytes.length] = value;
        return bytes;
      });
    fc.assert(
      fc.property(
        nearlyTextArb,
        fc.array(fc.nat(), { maxLength: 4 }),
        splitSeedArb,
        (payload, cuts, splits) => {
          const bounds = [
            0,
            ...cuts.map((c) => c % (payload.length + 1)).sort((a, b) => a - b),
            payload.length,
          ];
          const frames: Buffer[] = [];
          // Where each payload byte lands in the stream, to know which push carries it.
          const streamOffset: number[] = [];
          let at = 0;
          for (let i = 0; i + 1 < bounds.length; i++) {
            const piece = payload.subarray(bounds[i], bounds[i + 1]);
            const fin = i + 2 === bounds.length;
            const f = i === 0 ? frame({ opcode: 1, payload: piece, fin }) : continuation(piece, { fin });
            const payloadStart = at + f.length - piece.length;
            for (let j = 0; j < piece.length; j++) streamOffset.push(payloadStart + j);
            frames.push(f);
            at += f.length;
          }
          const bytes = Buffer.concat(frames);
          const options = { maxMessageSize: 1000 };
          const splitAt = splitsFor(bytes.length, splits);
          const { events, reportedAfter } = checkPushes(cut(bytes, splitAt), options);
          const want: FrameEvent[] = isUtf8(payload)
            ? [{ type: "message", opcode: 1, data: payload, compressed: false }]
            : [{ type: "error", code: 1007 }];
          if (!sameEvents(events, want)) throw new Error(`expected ${want[0]?.type}, got ${events[0]?.type}`);
          // Fail fast: the error comes with the push carrying the first hopeless byte, or, when
          // the text is only cut short, with the push that ends the message (the last one).
          const hopeless = firstHopelessByte(payload);
          const decisive = hopeless >= 0 ? streamOffset[hopeless]! : bytes.length - 1;
          const decisivePush = splitAt.filter((position) => position <= decisive).length;
          const reportedPush = reportedAfter.findIndex((n) => n > 0);
          if (reportedPush !== decisivePush) {
            throw new Error(
              `reported with push ${reportedPush}, the deciding byte came with push ${decisivePush}`,
            );
          }
          counts.add(events);
        },
      ),
      { seed: 5, numRuns: runs(15_000) },
    );
    t.comment(`text oracle: ${counts}`);
    t.pass(`${counts.inputs} inputs`);
  },
);

t.test("summary", async (t) => {
  const total = tallies.reduce((sum, [, c]) => sum + c.inputs, 0);
  t.comment(`${total} inputs in all${override === undefined ? "" : ` (WSCHAN_FUZZ_RUNS=${override})`}`);
  for (const [name, counts] of tallies) t.comment(`  ${name}: ${counts}`);
  t.ok(total > 0);
});
