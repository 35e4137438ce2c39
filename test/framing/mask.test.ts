import t from "tap";
import { mask, maskPortable, simdMaskAvailable, unmask } from "../../src/framing/mask.js";
import { prng } from "../helpers/frames.js";

type Masker = typeof mask;

function referenceMask(source: Uint8Array, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(source.length);
  for (let i = 0; i < source.length; i++) out[i] = source[i]! ^ key[i % 4]!;
  return out;
}

function randomBytes(random: () => number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

/** Index of the first difference, or -1. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

const MASKERS: Array<[string, Masker]> = [
  ["mask", mask],
  ["maskPortable", maskPortable],
];

// Lengths around every threshold and window edge the implementations have.
const EDGE_LENGTHS = [
  0,
  1,
  2,
  3,
  4,
  5,
  7,
  8,
  9,
  15,
  16,
  17,
  31,
  32,
  33,
  63,
  64,
  65,
  127,
  128,
  129,
  255,
  256,
  257,
  65535,
  65536,
  65536 + 3,
  131072,
  131072 + 5,
  1048576 + 1,
];

function lengthsFor(random: () => number): number[] {
  const lengths = [...EDGE_LENGTHS];
  for (let n = 0; n < 1500; n++) lengths.push(Math.floor(random() * 2001));
  return lengths;
}

for (const [name, masker] of MASKERS) {
  t.test(`${name} matches a byte-by-byte reference for random lengths, keys and alignments`, async (t) => {
    const random = prng(name === "mask" ? 0x6d61736b : 0x706f7274);
    const failures: string[] = [];
    for (const length of lengthsFor(random)) {
      const key = randomBytes(random, 4);
      // Source and target are views at unrelated offsets into larger buffers, so every
      // combination of source and target alignment turns up.
      const sourceOffset = Math.floor(random() * 16);
      const backing = randomBytes(random, length + sourceOffset + 16);
      const source = backing.subarray(sourceOffset, sourceOffset + length);
      const targetStart = Math.floor(random() * 16);
      const targetOffset = Math.floor(random() * 16);
      const targetBuffer = new ArrayBuffer(targetStart + targetOffset + length + 16);
      const target = new Uint8Array(targetBuffer, targetStart, targetOffset + length + 8);
      target.fill(0xa5);
      const before = backing.slice();

      masker(source, key, target, targetOffset);

      const want = referenceMask(source, key);
      const at = firstDifference(target.subarray(targetOffset, targetOffset + length), want);
      const context = `length ${length}, source at ${sourceOffset}, target at ${targetStart}+${targetOffset}`;
      if (at !== -1) failures.push(`${context}: first wrong byte ${at}`);
      const outsideView = [
        ...new Uint8Array(targetBuffer, 0, targetStart),
        ...new Uint8Array(targetBuffer, targetStart + target.length),
      ];
      if (
        target.subarray(0, targetOffset).some((b) => b !== 0xa5) ||
        target.subarray(targetOffset + length).some((b) => b !== 0xa5) ||
        outsideView.some((b) => b !== 0)
      ) {
        failures.push(`${context}: wrote outside the target range`);
      }
      if (firstDifference(backing, before) !== -1) failures.push(`${context}: changed the source`);
    }
    t.same(failures.slice(0, 10), []);
  });

  t.test(`${name} masks in place and unmask restores the original`, async (t) => {
    const random = prng(name === "mask" ? 0x1a2b3c4d : 0x4d3c2b1a);
    const failures: string[] = [];
    for (const length of lengthsFor(random).filter((_, i) => i % 3 === 0)) {
      const key = randomBytes(random, 4);
      const offset = Math.floor(random() * 16);
      const backing = randomBytes(random, length + offset + 8);
      const original = backing.slice();
      const payload = backing.subarray(offset, offset + length);

      masker(payload, key, payload, 0);
      const masked = referenceMask(original.subarray(offset, offset + length), key);
      if (firstDifference(payload, masked) !== -1)
        failures.push(`in place, length ${length}, offset ${offset}`);
      // In place through the parent buffer: targetOffset is the payload's own position.
      masker(payload, key, backing, offset);
      if (firstDifference(backing, original) !== -1) failures.push(`twice via parent, length ${length}`);
      masker(payload, key, payload, 0);
      unmask(payload, key);
      if (firstDifference(backing, original) !== -1)
        failures.push(`unmask, length ${length}, offset ${offset}`);
    }
    t.same(failures.slice(0, 10), []);
  });
}

t.test("mask uses WebAssembly SIMD on this Node, so the tests above covered that path", async (t) => {
  t.equal(simdMaskAvailable(), true);
});

t.test("mask and maskPortable agree with each other on the same inputs", async (t) => {
  const random = prng(42);
  const failures: number[] = [];
  for (let n = 0; n < 300; n++) {
    const length = Math.floor(random() * 5000);
    const key = randomBytes(random, 4);
    const source = randomBytes(random, length + 3).subarray(3);
    const a = new Uint8Array(length + 5);
    const b = new Uint8Array(length + 5);
    mask(source, key, a, 5 - (n % 6 === 0 ? 5 : 1));
    maskPortable(source, key, b, 5 - (n % 6 === 0 ? 5 : 1));
    if (firstDifference(a, b) !== -1) failures.push(length);
  }
  t.same(failures, []);
});

t.test("mask reads only the first four bytes of the key", async (t) => {
  const source = new Uint8Array(300).fill(0xff);
  const longKey = new Uint8Array([1, 2, 3, 4, 99, 99, 99, 99]);
  for (const [name, masker] of MASKERS) {
    const target = new Uint8Array(300);
    masker(source, longKey, target, 0);
    t.same([...target.subarray(0, 8)], [0xfe, 0xfd, 0xfc, 0xfb, 0xfe, 0xfd, 0xfc, 0xfb], name);
    t.equal(target[299], 0xfb, `${name}: last byte`);
  }
});

t.test("mask refuses a target range that does not fit and a short key", async (t) => {
  const key = new Uint8Array([1, 2, 3, 4]);
  for (const [name, masker] of MASKERS) {
    t.throws(
      () => masker(new Uint8Array(10), key, new Uint8Array(10), 1),
      RangeError,
      `${name}: past the end`,
    );
    t.throws(() => masker(new Uint8Array(100), key, new Uint8Array(99), 0), RangeError, `${name}: too small`);
    t.throws(() => masker(new Uint8Array(1), key, new Uint8Array(10), -1), RangeError, `${name}: negative`);
    t.throws(
      () => masker(new Uint8Array(1), key, new Uint8Array(10), Number.NaN),
      RangeError,
      `${name}: NaN`,
    );
    t.throws(
      () => masker(new Uint8Array(1), key.subarray(0, 3), new Uint8Array(10), 0),
      RangeError,
      `${name}: key`,
    );
    t.doesNotThrow(() => masker(new Uint8Array(0), key, new Uint8Array(0), 0), `${name}: empty is fine`);
  }
});
