import t from "tap";
import { isUtf8, Utf8Validator, utf8TailStart } from "../../src/framing/utf8.js";
import { prng } from "../helpers/frames.js";

// The reference works from RFC 3629's table, one character at a time, instead of from byte
// ranges: a lead byte fixes the length n, the continuation bits so far fix an interval of code
// points the character could still become, and the prefix is alive iff that interval meets the
// code points that n bytes may encode (the shortest form only, no surrogates, at most U+10FFFF).
const ALLOWED: Record<number, ReadonlyArray<readonly [number, number]>> = {
  1: [[0x0000, 0x007f]],
  2: [[0x0080, 0x07ff]],
  3: [
    [0x0800, 0xd7ff],
    [0xe000, 0xffff],
  ],
  4: [[0x10000, 0x10ffff]],
};

function sequenceLength(lead: number): number {
  if ((lead & 0x80) === 0x00) return 1;
  if ((lead & 0xe0) === 0xc0) return 2;
  if ((lead & 0xf0) === 0xe0) return 3;
  if ((lead & 0xf8) === 0xf0) return 4;
  return 0;
}

function canBecome(bits: number, have: number, length: number): boolean {
  const missingBits = 6 * (length - have);
  const low = bits * 2 ** missingBits;
  const high = low + 2 ** missingBits - 1;
  return ALLOWED[length]!.some(([from, to]) => low <= to && high >= from);
}

interface Verdict {
  /** Index of the first byte after which the prefix can no longer be valid, or -1. */
  readonly firstBad: number;
  /** The whole input is valid UTF-8. */
  readonly valid: boolean;
}

function reference(bytes: Uint8Array): Verdict {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    const length = sequenceLength(lead);
    if (length === 0) return { firstBad: i, valid: false };
    let bits = length === 1 ? lead : lead & (0xff >> (length + 1));
    for (let have = 1; ; have++) {
      if (!canBecome(bits, have, length)) return { firstBad: i + have - 1, valid: false };
      if (have === length) break;
      if (i + have >= bytes.length) return { firstBad: -1, valid: false };
      const next = bytes[i + have]!;
      if ((next & 0xc0) !== 0x80) return { firstBad: i + have, valid: false };
      bits = bits * 64 + (next & 0x3f);
    }
    i += length;
  }
  return { firstBad: -1, valid: true };
}

function encode(codePoint: number): number[] {
  if (codePoint < 0x80) return [codePoint];
  if (codePoint < 0x800) return [0xc0 | (codePoint >> 6), 0x80 | (codePoint & 0x3f)];
  if (codePoint < 0x10000) {
    return [0xe0 | (codePoint >> 12), 0x80 | ((codePoint >> 6) & 0x3f), 0x80 | (codePoint & 0x3f)];
  }
  return [
    0xf0 | (codePoint >> 18),
    0x80 | ((codePoint >> 12) & 0x3f),
    0x80 | ((codePoint >> 6) & 0x3f),
    0x80 | (codePoint & 0x3f),
  ];
}

/** Encodes with exactly `length` bytes, so overlongs and out-of-range values can be produced. */
function encodeAs(codePoint: number, length: number): number[] {
  if (length === 1) return [codePoint & 0x7f];
  const out: number[] = [];
  let rest = codePoint;
  for (let k = 1; k < length; k++) {
    out.unshift(0x80 | (rest & 0x3f));
    rest = Math.floor(rest / 64);
  }
  const leadMarker = (0xff << (8 - length)) & 0xff;
  out.unshift(leadMarker | (rest & (0xff >> (length + 1))));
  return out;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text.replace(/\s+/g, ""), "hex"));

const VALID_SAMPLES: Record<string, Uint8Array> = {
  empty: new Uint8Array(0),
  κόσμε: new Uint8Array(Buffer.from("κόσμε", "utf8")),
  "U+0000": fromHex("00"),
  "U+007F": fromHex("7f"),
  "U+0080": fromHex("c280"),
  "U+07FF": fromHex("dfbf"),
  "U+0800": fromHex("e0a080"),
  "U+D7FF": fromHex("ed9fbf"),
  "U+E000": fromHex("ee8080"),
  "U+FFFD": fromHex("efbfbd"),
  "U+FFFF": fromHex("efbfbf"),
  "U+10000": fromHex("f0908080"),
  "U+10FFFF": fromHex("f48fbfbf"),
  "U+FEFF noncharacters and BOM": fromHex("efbbbf efbfbe f48fbfbe"),
  "mixed scripts": new Uint8Array(Buffer.from("Hello-µ@ßöäüàá-UTF-8!! 日本語 😀 𝄞", "utf8")),
};

const INVALID_SAMPLES: Record<string, Uint8Array> = {
  "overlong C0 80": fromHex("c080"),
  "overlong C1 BF": fromHex("c1bf"),
  "lone C0": fromHex("c0"),
  "overlong E0 80 80": fromHex("e08080"),
  "overlong E0 9F BF": fromHex("e09fbf"),
  "overlong F0 80 80 80": fromHex("f0808080"),
  "overlong F0 8F BF BF": fromHex("f08fbfbf"),
  "surrogate ED A0 80": fromHex("eda080"),
  "surrogate ED BF BF": fromHex("edbfbf"),
  "surrogate pair ED A0 80 ED B0 80": fromHex("eda080edb080"),
  "above U+10FFFF F4 90 80 80": fromHex("f4908080"),
  "F5 lead": fromHex("f5808080"),
  "F7 BF BF BF": fromHex("f7bfbfbf"),
  "FE alone": fromHex("fe"),
  "FF alone": fromHex("ff"),
  "five-byte F8 88 80 80 80": fromHex("f888808080"),
  "lone continuation 80": fromHex("80"),
  "lone continuation BF": fromHex("bf"),
  "continuation after ASCII": fromHex("41bf42"),
  "one continuation too many": fromHex("c28080"),
  "truncated 2-byte at end": fromHex("41c2"),
  "truncated 3-byte at end": fromHex("41e282"),
  "truncated 4-byte at end (1 of 4)": fromHex("41f0"),
  "truncated 4-byte at end (3 of 4)": fromHex("41f09f98"),
  "lead then ASCII": fromHex("e241"),
  "two leads": fromHex("c2c2"),
  "Autobahn 6.3.1 κόσμε with a surrogate": fromHex("cebae1bdb9cf83cebcceb5 eda080 656469746564"),
  "Autobahn 6.4.1 fail fast F4 90": fromHex("cebae1bdb9cf83cebcceb5 f4908080 656469746564"),
  "Autobahn 6.4.3 F4 90 alone then valid": fromHex("cebae1bdb9cf83cebcceb5 f490 80 80 656469746564"),
};

const ALL_SAMPLES: Array<[string, Uint8Array]> = [
  ...Object.entries(VALID_SAMPLES),
  ...Object.entries(INVALID_SAMPLES),
];

// Long pieces take the native path; padding the samples with valid text on either side puts
// each tricky character at the start, middle and end of a piece of that size.
const PAD = new Uint8Array(Buffer.from("a".repeat(40) + "é€𝄞".repeat(8), "utf8"));
function padded(bytes: Uint8Array, before: boolean, after: boolean): Uint8Array {
  return new Uint8Array([...(before ? PAD : []), ...bytes, ...(after ? PAD : [])]);
}

/** Pushes `bytes` in the given pieces and reports the index of the first piece that failed. */
function feed(
  validator: Utf8Validator,
  bytes: Uint8Array,
  cuts: readonly number[],
  frame?: { buffer: Uint8Array; offset: number },
): { failedPiece: number; end: boolean } {
  let failedPiece = -1;
  let from = 0;
  const bounds = [...cuts, bytes.length];
  for (let piece = 0; piece < bounds.length; piece++) {
    const to = bounds[piece]!;
    const ok = frame
      ? validator.push(frame.buffer, frame.offset + from, frame.offset + to)
      : validator.push(bytes.subarray(from, to));
    if (!ok && failedPiece === -1) failedPiece = piece;
    if (ok && failedPiece !== -1) failedPiece = -2; // recovered: always wrong
    from = to;
  }
  return { failedPiece, end: validator.end() };
}

/** What feed() must report, from the reference. */
function expected(bytes: Uint8Array, cuts: readonly number[]): { failedPiece: number; end: boolean } {
  const verdict = reference(bytes);
  if (verdict.firstBad === -1) return { failedPiece: -1, end: verdict.valid };
  const bounds = [...cuts, bytes.length];
  return { failedPiece: bounds.findIndex((to) => verdict.firstBad < to), end: false };
}

function checkSplits(bytes: Uint8Array, cutsList: readonly (readonly number[])[], failures: string[]): void {
  const validator = new Utf8Validator();
  for (const cuts of cutsList) {
    validator.reset();
    const want = expected(bytes, cuts);
    const got = feed(validator, bytes, cuts);
    // The same pieces read through start/end on a larger buffer with junk around them.
    const buffer = new Uint8Array(bytes.length + 6).fill(0xff);
    buffer.set(bytes, 3);
    validator.reset();
    const gotInFrame = feed(validator, bytes, cuts, { buffer, offset: 3 });
    for (const [how, result] of [
      ["subarrays", got],
      ["start/end", gotInFrame],
    ] as const) {
      if (result.failedPiece !== want.failedPiece || result.end !== want.end) {
        failures.push(
          `${hex(bytes)} cut at [${cuts.join(",")}] via ${how}: got ${JSON.stringify(result)}, want ${JSON.stringify(want)}`,
        );
      }
    }
  }
}

function everySplit(length: number): number[][] {
  const cutsList: number[][] = [[]];
  for (let k = 0; k <= length; k++) cutsList.push([k]);
  cutsList.push(Array.from({ length: Math.max(0, length - 1) }, (_, k) => k + 1));
  return cutsList;
}

t.test("the reference agrees with the RFC 3629 table on every sample", async (t) => {
  for (const [name, bytes] of Object.entries(VALID_SAMPLES)) {
    t.same(reference(bytes), { firstBad: -1, valid: true }, name);
  }
  for (const [name, bytes] of Object.entries(INVALID_SAMPLES)) {
    t.equal(reference(bytes).valid, false, name);
  }
  t.equal(reference(fromHex("eda0")).firstBad, 1, "ED A0 is dead at the A0");
  t.equal(reference(fromHex("f490")).firstBad, 1, "F4 90 is dead at the 90");
  t.equal(reference(fromHex("e080")).firstBad, 1, "E0 80 is dead at the 80");
  t.equal(reference(fromHex("f08f")).firstBad, 1, "F0 8F is dead at the 8F");
  t.equal(reference(fromHex("c0")).firstBad, 0, "C0 is dead at once");
  t.equal(reference(fromHex("c1")).firstBad, 0, "C1 is dead at once");
  t.equal(reference(fromHex("f5")).firstBad, 0, "F5 is dead at once");
  t.equal(reference(fromHex("80")).firstBad, 0, "a lone continuation is dead at once");
  t.same(
    reference(fromHex("f09f98")),
    { firstBad: -1, valid: false },
    "a truncated emoji is alive but incomplete",
  );
  t.same(reference(new Uint8Array(Buffer.from("€"))), { firstBad: -1, valid: true }, "U+20AC is valid");
});

t.test("isUtf8 matches the reference on every sample", async (t) => {
  for (const [name, bytes] of ALL_SAMPLES) {
    t.equal(isUtf8(bytes), reference(bytes).valid, name);
    t.equal(isUtf8(padded(bytes, true, true)), reference(bytes).valid, `${name}, padded`);
  }
});

t.test("isUtf8 matches the reference on every code point encoded with every length", async (t) => {
  const failures: string[] = [];
  for (let codePoint = 0; codePoint <= 0x10ffff; codePoint += codePoint < 0x11000 ? 1 : 61) {
    for (let length = 1; length <= 4; length++) {
      if (length === 1 && codePoint > 0x7f) continue;
      if (length === 2 && codePoint > 0x7ff) continue;
      if (length === 3 && codePoint > 0xffff) continue;
      const bytes = new Uint8Array(encodeAs(codePoint, length));
      if (isUtf8(bytes) !== reference(bytes).valid) failures.push(hex(bytes));
    }
  }
  for (const codePoint of [0x110000, 0x13ffff, 0x1fffff]) {
    const bytes = new Uint8Array(encodeAs(codePoint, 4));
    if (isUtf8(bytes) || reference(bytes).valid) failures.push(hex(bytes));
  }
  t.same(failures, []);
});

t.test("the validator accepts or rejects each sample like the reference when pushed whole", async (t) => {
  for (const [name, bytes] of ALL_SAMPLES) {
    for (const variant of [
      bytes,
      padded(bytes, true, false),
      padded(bytes, false, true),
      padded(bytes, true, true),
    ]) {
      const validator = new Utf8Validator();
      const want = reference(variant);
      t.equal(validator.push(variant), want.firstBad === -1, `${name} (${variant.length} bytes): push`);
      t.equal(validator.end(), want.valid, `${name} (${variant.length} bytes): end`);
    }
  }
});

t.test("the validator fails at the very byte that makes the prefix impossible", async (t) => {
  const cases: Array<[string, string, number]> = [
    ["ED A0 fails at A0", "eda0", 1],
    ["F4 90 fails at 90", "f490", 1],
    ["E0 80 fails at 80", "e080", 1],
    ["F0 80 fails at the second byte", "f080", 1],
    ["C0 fails at once", "c0", 0],
    ["C1 fails at once", "c1", 0],
    ["F5 fails at once", "f5", 0],
    ["FF fails at once", "ff", 0],
    ["a lone continuation fails at once", "80", 0],
    ["a continuation after a complete character fails", "c3a9a9", 2],
  ];
  for (const [name, text, at] of cases) {
    const bytes = fromHex(text);
    const validator = new Utf8Validator();
    for (let i = 0; i < bytes.length; i++) {
      t.equal(validator.push(bytes, i, i + 1), i < at, `${name}: byte ${i}`);
    }
    t.equal(validator.end(), false, `${name}: end`);
    t.equal(validator.push(fromHex("41")), false, `${name}: stays failed`);
    validator.reset();
    t.equal(validator.push(fromHex("41")), true, `${name}: reset makes it usable again`);
    t.equal(validator.end(), true, `${name}: and a new message can end cleanly`);
  }
});

t.test("the validator treats an empty push as a no-op", async (t) => {
  const validator = new Utf8Validator();
  t.equal(validator.push(new Uint8Array(0)), true);
  t.equal(validator.end(), true);
  t.equal(validator.push(fromHex("e2")), true);
  t.equal(validator.push(new Uint8Array(0)), true);
  t.equal(validator.push(fromHex("82ac")), true);
  t.equal(validator.end(), true);
});

t.test(
  "every sample split at every byte and byte by byte fails exactly where the reference does",
  async (t) => {
    const failures: string[] = [];
    for (const [, bytes] of ALL_SAMPLES) {
      for (const variant of [
        bytes,
        padded(bytes, true, false),
        padded(bytes, false, true),
        padded(bytes, true, true),
      ]) {
        checkSplits(variant, everySplit(variant.length), failures);
      }
    }
    t.same(failures.slice(0, 10), []);
  },
);

t.test("every pair of short sequences split everywhere agrees with the reference", async (t) => {
  // Interesting single characters and fragments: pairs of them cover every transition of the
  // validator from every state, both inside one piece and across a piece boundary.
  const atoms = [
    "41",
    "c280",
    "dfbf",
    "e0a080",
    "e08080",
    "ed9fbf",
    "eda080",
    "efbfbf",
    "f0908080",
    "f08f8080",
    "f48fbfbf",
    "f4908080",
    "c0",
    "c1",
    "f5",
    "ff",
    "80",
    "bf",
    "e2",
    "f09f",
    "f09f98",
  ].map(fromHex);
  const failures: string[] = [];
  for (const a of atoms) {
    for (const b of atoms) {
      checkSplits(new Uint8Array([...a, ...b]), everySplit(a.length + b.length), failures);
    }
  }
  t.same(failures.slice(0, 10), []);
});

t.test("thousands of random inputs split at random points agree with the reference", async (t) => {
  const random = prng(0x5eed1234);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const int = (below: number): number => Math.floor(random() * below);
  const ranges: Array<[number, number]> = [
    [0x00, 0x7f],
    [0x80, 0x7ff],
    [0x800, 0xffff],
    [0xd700, 0xe100],
    [0xfff0, 0x1000f],
    [0x10000, 0x10ffff],
    [0x10fff0, 0x10ffff],
  ];
  const failures: string[] = [];
  let invalidCount = 0;
  const total = 6000;
  for (let n = 0; n < total; n++) {
    // Half the inputs are clean text so the valid path gets as much exercise as the invalid one.
    const dirty = random() < 0.5;
    const bytes: number[] = [];
    const characters = int(n % 4 === 0 ? 120 : 30);
    for (let c = 0; c < characters; c++) {
      const roll = random();
      if (roll < 0.3) bytes.push(0x20 + int(0x5f));
      else if (!dirty || roll < 0.97) {
        const [from, to] = pick(ranges);
        let codePoint = from + int(to - from + 1);
        // Dirty inputs keep their surrogates: they are one of the things to reject.
        if (!dirty && codePoint >= 0xd800 && codePoint <= 0xdfff) codePoint = 0xfffd;
        bytes.push(...encode(codePoint));
      } else if (roll < 0.985)
        bytes.push(...encodeAs(int(0x800), pick([2, 3, 4]))); // often overlong
      else bytes.push(int(256));
    }
    const mutation = dirty ? random() : 1;
    if (bytes.length > 0 && mutation < 0.2) bytes[int(bytes.length)] = int(256);
    else if (bytes.length > 0 && mutation < 0.4) bytes.splice(int(bytes.length), 1);
    else if (mutation < 0.6)
      bytes.splice(int(bytes.length + 1), 0, pick([0x80, 0xbf, 0xc0, 0xed, 0xf4, 0xf5, 0xff]));
    else if (bytes.length > 0 && mutation < 0.8) bytes.length = int(bytes.length);
    const input = new Uint8Array(bytes);
    if (!reference(input).valid) invalidCount++;

    if (isUtf8(input) !== reference(input).valid) failures.push(`isUtf8 on ${hex(input)}`);
    const cutsList: number[][] = [];
    for (let s = 0; s < 4; s++) {
      const cuts = Array.from({ length: int(6) }, () => int(input.length + 1)).sort((x, y) => x - y);
      cutsList.push(cuts);
    }
    checkSplits(input, cutsList, failures);
  }
  t.same(failures.slice(0, 10), []);
  t.ok(
    invalidCount > total / 5 && invalidCount < (total * 4) / 5,
    `a fair mix: ${invalidCount} of ${total} invalid`,
  );
});

t.test("utf8TailStart finds the start of a character cut short by the end of the range", async (t) => {
  const cases: Array<[string, number]> = [
    ["", 0],
    ["41", 1],
    ["c3a9", 2],
    ["41c3", 1],
    ["41e282", 1],
    ["41e2", 1],
    ["41f09f98", 1],
    ["41f09f", 1],
    ["41f0", 1],
    ["f09f98a0", 4],
    ["41808080", 4],
    ["e282ac", 3],
    ["41ff", 1],
  ];
  for (const [text, want] of cases) {
    const bytes = fromHex(text);
    t.equal(utf8TailStart(bytes, 0, bytes.length), want, `tail of "${text}"`);
  }
  const bytes = fromHex("41f09f98");
  t.equal(utf8TailStart(bytes, 2, 4), 4, "never looks before start");
  t.equal(utf8TailStart(bytes, 0, 3), 1, "honours end");
});
