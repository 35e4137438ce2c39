/**
 * RFC 6455 §5.3 masking: every payload byte a client sends is XORed with a 4-byte key.
 *
 * Every outgoing byte passes through here, so the strategy was chosen by measurement
 * (Node 20.20, x64, this project's machine; GB/s at 16 B / 1 KiB / 64 KiB / 1 MiB; "aligned"
 * means source and target addresses are equal modulo the word size):
 *
 *   byte loop, unrolled by 4                    0.69 / 0.98 / 0.98 / 0.99
 *   Uint32Array words, aligned                  0.18 / 2.11 / 2.66 / 2.70
 *   DataView 32-bit words, any alignment        0.10 / 1.78 / 2.41 / 2.42
 *   BigUint64Array words, aligned               0.05 / 2.21 / 5.26 / 5.32
 *   WebAssembly SIMD v128.xor, copies included  0.16 / 9.7  / 16.2 / 15.3
 *   (the wasm XOR alone, in its own memory:     2.7  / 39   / 44   / 44)
 *   mask() as shipped, any alignment            0.88 / 9.7  / 16.2 / 15.3
 *
 * So: a byte loop below WASM_MIN_LENGTH, where creating views or calling out costs more than it
 * saves, and above it a tiny hand-written WebAssembly module that XORs 16 bytes per instruction
 * in a 64 KiB window the payload is copied through. The copies are native memcpy and
 * alignment-blind, which is also why this beats the typed-array words: a frame's payload sits
 * 6, 8 or 14 bytes after its start, so source and target alignment often differ and the
 * aligned word loops would not apply. Where WebAssembly is unavailable (--jitless), 32-bit
 * words take over (DataView when alignments differ). BigUint64Array is not used even there: it
 * wins only on identically aligned buffers, and its BigInt key and views cost ~250 ns more
 * per call than the 32-bit setup.
 */

/**
 * mask writes `source[i] ^ key[i & 3]` to `target[targetOffset + i]` for every byte of source.
 * `key` is the 4-byte masking key (only key[0..3] are read). Masking in place is allowed when
 * the target range is exactly the source range (same buffer, `targetOffset` pointing at the
 * source's own first byte); any other overlap between source and target gives wrong bytes.
 * Throws a RangeError if the target range does not fit in `target` or the key is short.
 */
export function mask(source: Uint8Array, key: Uint8Array, target: Uint8Array, targetOffset: number): void {
  const length = source.length;
  checkArguments(length, key, target, targetOffset);
  if (length >= WASM_MIN_LENGTH) {
    const simd = wasm === undefined ? loadWasm() : wasm;
    if (simd !== null) {
      maskSimd(simd, source, key, target, targetOffset);
      return;
    }
  }
  maskJs(source, key, target, targetOffset);
}

/** unmask undoes (or applies) the mask in place; XOR is its own inverse. */
export function unmask(buffer: Uint8Array, key: Uint8Array): void {
  mask(buffer, key, buffer, 0);
}

/**
 * simdMaskAvailable reports whether mask() uses WebAssembly SIMD here (Node 20+ does, unless
 * run with --jitless), so tests and benchmarks can tell which path they measured.
 */
export function simdMaskAvailable(): boolean {
  return (wasm === undefined ? loadWasm() : wasm) !== null;
}

/**
 * maskPortable is mask() without WebAssembly: bytes below a size, 32-bit words above it.
 * It is what mask() falls back to, exported so tests exercise it on machines that do have
 * WebAssembly.
 */
export function maskPortable(
  source: Uint8Array,
  key: Uint8Array,
  target: Uint8Array,
  targetOffset: number,
): void {
  checkArguments(source.length, key, target, targetOffset);
  maskJs(source, key, target, targetOffset);
}

// The byte loop wins below these lengths: at 64 B the wasm call with its two copies costs about
// as much as 64 byte XORs (~65 ns), and creating two typed-array views or DataViews costs about
// as much as 256 (measured, crossovers rounded to powers of two).
const WASM_MIN_LENGTH = 64;
const WORDS_MIN_LENGTH = 256;

function checkArguments(length: number, key: Uint8Array, target: Uint8Array, targetOffset: number): void {
  // Typed arrays drop out-of-range writes silently; a truncated frame on the wire would be far
  // harder to trace than this exception.
  if (!(targetOffset >= 0 && targetOffset + length <= target.length)) {
    throw new RangeError(`mask target range ${targetOffset}+${length} exceeds ${target.length} bytes`);
  }
  if (key.length < 4) throw new RangeError(`masking key has ${key.length} bytes, needs 4`);
}

function maskJs(source: Uint8Array, key: Uint8Array, target: Uint8Array, targetOffset: number): void {
  if (source.length < WORDS_MIN_LENGTH) maskBytes(source, key, target, targetOffset, 0, source.length);
  else maskWords(source, key, target, targetOffset);
}

/** Masks source[from..to) with the key phase of `from`, four bytes per iteration. */
function maskBytes(
  source: Uint8Array,
  key: Uint8Array,
  target: Uint8Array,
  targetOffset: number,
  from: number,
  to: number,
): void {
  const k0 = key[from & 3]!;
  const k1 = key[(from + 1) & 3]!;
  const k2 = key[(from + 2) & 3]!;
  const k3 = key[(from + 3) & 3]!;
  let i = from;
  for (; i + 4 <= to; i += 4) {
    const o = targetOffset + i;
    target[o] = source[i]! ^ k0;
    target[o + 1] = source[i + 1]! ^ k1;
    target[o + 2] = source[i + 2]! ^ k2;
    target[o + 3] = source[i + 3]! ^ k3;
  }
  for (; i < to; i++) target[targetOffset + i] = source[i]! ^ key[i & 3]!;
}

// Lets the rotated key be read back as one native-endian word without a DataView.
const keyBytes = new Uint8Array(4);
const keyWord = new Uint32Array(keyBytes.buffer);

function maskWords(source: Uint8Array, key: Uint8Array, target: Uint8Array, targetOffset: number): void {
  const length = source.length;
  const sourceAddress = source.byteOffset;
  const targetAddress = target.byteOffset + targetOffset;
  if (((sourceAddress ^ targetAddress) & 3) !== 0) {
    maskDataView(source, key, target, targetOffset);
    return;
  }
  // Uint32Array views must start on a multiple of 4, so the bytes before that go one by one,
  // and the word loop starts `head` bytes into the key.
  const head = Math.min(length, (4 - (sourceAddress & 3)) & 3);
  maskBytes(source, key, target, targetOffset, 0, head);
  const words = (length - head) >>> 2;
  for (let j = 0; j < 4; j++) keyBytes[j] = key[(head + j) & 3]!;
  const k = keyWord[0]!;
  const from = new Uint32Array(source.buffer, sourceAddress + head, words);
  const to = new Uint32Array(target.buffer, targetAddress + head, words);
  for (let j = 0; j < words; j++) to[j] = from[j]! ^ k;
  maskBytes(source, key, target, targetOffset, head + words * 4, length);
}

function maskDataView(source: Uint8Array, key: Uint8Array, target: Uint8Array, targetOffset: number): void {
  const length = source.length;
  const from = new DataView(source.buffer, source.byteOffset, length);
  const to = new DataView(target.buffer, target.byteOffset + targetOffset, length);
  const k = (key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) >>> 0;
  const end = length & ~3;
  for (let i = 0; i < end; i += 4) to.setUint32(i, from.getUint32(i, true) ^ k, true);
  maskBytes(source, key, target, targetOffset, end, length);
}

// The WebAssembly module, assembled by hand (it is small enough that a toolchain would be the
// bigger dependency). Its text form:
//
//   (module
//     (memory (export "memory") 1)
//     (func (export "xor") (param $at i32) (param $end i32) (param $key i32)
//       (local $k v128)
//       (local.set $k (i32x4.splat (local.get $key)))
//       (block $done
//         (loop $next
//           (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
//           (v128.store (local.get $at) (v128.xor (v128.load (local.get $at)) (local.get $k)))
//           (local.set $at (i32.add (local.get $at) (i32.const 16)))
//           (br $next)))))
//
// It works in whole 16-byte blocks, so it may XOR up to 15 bytes past `end`. Blocks start at
// multiples of 16 below `end` <= 65536, so they stay inside the one page, and the extra bytes
// are never copied out.
const WASM_CODE = [
  [0x01, 0x01, 0x7b], // one local of type v128
  [0x20, 0x02, 0xfd, 0x11, 0x21, 0x03], // $k = i32x4.splat($key)
  [0x02, 0x40, 0x03, 0x40], // block, loop
  [0x20, 0x00, 0x20, 0x01, 0x4f, 0x0d, 0x01], // br_if $done ($at >= $end)
  [0x20, 0x00, 0x20, 0x00, 0xfd, 0x00, 0x04, 0x00], // address, v128.load align=16
  [0x20, 0x03, 0xfd, 0x51, 0xfd, 0x0b, 0x04, 0x00], // v128.xor, v128.store align=16
  [0x20, 0x00, 0x41, 0x10, 0x6a, 0x21, 0x00], // $at += 16
  [0x0c, 0x00, 0x0b, 0x0b, 0x0b], // br $next, end loop, end block, end func
].flat();
const WASM_MODULE = [
  [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
  [0x01, 0x07, 0x01, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x00], // type: (i32 i32 i32) -> ()
  [0x03, 0x02, 0x01, 0x00], // function 0 has type 0
  [0x05, 0x03, 0x01, 0x00, 0x01], // one memory, 1 page, no maximum
  [0x07, 0x10, 0x02], // two exports:
  [0x06, ...asciiBytes("memory"), 0x02, 0x00], // memory 0
  [0x03, ...asciiBytes("xor"), 0x00, 0x00], // function 0
  [0x0a, WASM_CODE.length + 2, 0x01, WASM_CODE.length, ...WASM_CODE], // code
].flat();

function asciiBytes(text: string): number[] {
  return Array.from(text, (c) => c.charCodeAt(0));
}

const WASM_WINDOW = 65536;

// lib "ES2022" has no WebAssembly types and @types/node adds none, so the little used here is
// described locally instead of being declared globally for the whole project.
interface WebAssemblyApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object) => { readonly exports: unknown };
}
interface SimdExports {
  readonly xor: (at: number, end: number, key: number) => void;
  readonly memory: { readonly buffer: ArrayBuffer };
}

interface SimdMasker {
  readonly xor: (at: number, end: number, key: number) => void;
  readonly window: Uint8Array;
}

// undefined until first needed, so importing this file compiles nothing; null if unavailable.
let wasm: SimdMasker | null | undefined;

function loadWasm(): SimdMasker | null {
  try {
    const api = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
    if (api === undefined) throw new Error("no WebAssembly");
    const instance = new api.Instance(new api.Module(new Uint8Array(WASM_MODULE)));
    const { xor, memory } = instance.exports as SimdExports;
    // The memory never grows, so this view stays attached.
    wasm = { xor, window: new Uint8Array(memory.buffer, 0, WASM_WINDOW) };
  } catch {
    wasm = null;
  }
  return wasm;
}

function maskSimd(
  simd: SimdMasker,
  source: Uint8Array,
  key: Uint8Array,
  target: Uint8Array,
  targetOffset: number,
): void {
  const { xor, window } = simd;
  const length = source.length;
  // WebAssembly memory is little-endian on every host, so key[0] goes in the low byte.
  const k = key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24);
  // Every chunk but the last is a multiple of 4 bytes long, so the key never needs rotating.
  for (let at = 0; at < length; at += WASM_WINDOW) {
    const size = Math.min(WASM_WINDOW, length - at);
    window.set(size === length ? source : source.subarray(at, at + size));
    xor(0, size, k);
    target.set(size === WASM_WINDOW ? window : window.subarray(0, size), targetOffset + at);
  }
}
