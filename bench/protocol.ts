// What the benchmark's peer server and its client processes agree on: the scenarios, the payloads
// (generated deterministically on both sides, so nothing is sent to describe them), and the few
// RFC 6455 frame helpers the peer needs. No sockets here.

import { createHash } from "node:crypto";
import * as zlib from "node:zlib";

/** What a scenario measures. */
export type ScenarioKind = "recv" | "send" | "rtt" | "idle" | "fair" | "scale";
/** What its messages carry. */
export type PayloadKind = "binary" | "text" | "json";

export interface Scenario {
  /** Stable name, used on the command line (`--only`) and in the JSON results. */
  readonly id: string;
  readonly title: string;
  readonly kind: ScenarioKind;
  readonly payload: PayloadKind;
  /** Payload bytes per message (for json, the approximate size). */
  readonly size: number;
  /** Whether the scenario runs over permessage-deflate. */
  readonly deflate: boolean;
  /** Messages (round trips, connections) per measured run, for the full and the quick run. */
  readonly count: { readonly full: number; readonly quick: number };
}

const KiB = 1024;
const MiB = 1024 * KiB;

/** The scenarios of issue 4, in report order. Counts are sized so that a run of `ws` takes 0.2–1 s. */
export const SCENARIOS: readonly Scenario[] = [
  recv("recv-bin-16", "receive binary 16 B", "binary", 16, 600_000, 150_000),
  recv("recv-bin-1k", "receive binary 1 KiB", "binary", KiB, 300_000, 80_000),
  recv("recv-bin-64k", "receive binary 64 KiB", "binary", 64 * KiB, 12_000, 3_000),
  recv("recv-bin-1m", "receive binary 1 MiB", "binary", MiB, 600, 150),
  recv("recv-text-1k", "receive text 1 KiB", "text", KiB, 200_000, 50_000),
  send("send-bin-16", "send binary 16 B", "binary", 16, 300_000, 60_000),
  send("send-bin-1k", "send binary 1 KiB", "binary", KiB, 200_000, 40_000),
  send("send-bin-64k", "send binary 64 KiB", "binary", 64 * KiB, 6_000, 1_500),
  send("send-bin-1m", "send binary 1 MiB", "binary", MiB, 400, 100),
  {
    id: "rtt-32",
    title: "round trip 32 B",
    kind: "rtt",
    payload: "binary",
    size: 32,
    deflate: false,
    count: { full: 20_000, quick: 5_000 },
  },
  {
    id: "recv-deflate",
    title: "receive deflate JSON ~1.2 KiB",
    kind: "recv",
    payload: "json",
    size: 1200,
    deflate: true,
    count: { full: 30_000, quick: 6_000 },
  },
  {
    id: "send-deflate",
    title: "send deflate JSON ~1.2 KiB",
    kind: "send",
    payload: "json",
    size: 1200,
    deflate: true,
    count: { full: 20_000, quick: 4_000 },
  },
  {
    // Issue 17, fairness: one connection flooded with 16 B messages while a 1 ms timer runs again
    // and again and a second connection receives its own stream.
    id: "fair-flood-16",
    title: "flood of 16 B: timers and a 2nd connection",
    kind: "fair",
    payload: "binary",
    size: 16,
    deflate: false,
    count: { full: 2_000_000, quick: 600_000 },
  },
  {
    id: "idle-2000",
    title: "2,000 idle connections",
    kind: "idle",
    payload: "binary",
    size: 0,
    deflate: false,
    count: { full: 2_000, quick: 2_000 },
  },
  {
    // Issue 17, scale: many idle connections from one process over 127.0.0.x addresses. Not run
    // by default (it needs a raised file-descriptor limit and a minute): ask with --only scale-20k.
    id: "scale-20k",
    title: "20,000 idle connections",
    kind: "scale",
    payload: "binary",
    size: 0,
    deflate: false,
    count: { full: 20_000, quick: 20_000 },
  },
];

function recv(id: string, title: string, payload: PayloadKind, size: number, full: number, quick: number) {
  return { id, title, kind: "recv", payload, size, deflate: false, count: { full, quick } } as const;
}

function send(id: string, title: string, payload: PayloadKind, size: number, full: number, quick: number) {
  return { id, title, kind: "send", payload, size, deflate: false, count: { full, quick } } as const;
}

/** The largest count any deflate scenario asks for: the server prepares that many compressed frames once. */
export const MAX_DEFLATE_COUNT = Math.max(
  ...SCENARIOS.filter((s) => s.deflate && s.kind === "recv").map((s) => s.count.full),
);

/** Warm-up messages run on a separate connection before the measured one, so the JIT has settled. */
export function warmCount(count: number): number {
  return Math.max(1, Math.ceil(count / 10));
}

/** The request path the server reads the scenario from. */
export function scenarioPath(scenario: Scenario, count: number): string {
  const kind =
    scenario.kind === "rtt"
      ? "echo"
      : scenario.kind === "fair"
        ? "recv"
        : scenario.kind === "scale"
          ? "idle"
          : scenario.kind;
  return `/${kind}?payload=${scenario.payload}&size=${scenario.size}&count=${count}&deflate=${scenario.deflate ? 1 : 0}`;
}

/** Frames the client sends in one tick before it waits for the socket (send scenarios). */
export function sendBatch(size: number): number {
  return Math.max(1, Math.min(256, Math.floor((256 * KiB) / Math.max(size, 1))));
}

// ---- payloads ----

/** A deterministic xorshift32 generator, so the peer and the clients build the same payloads. */
export function random(seed: number): () => number {
  let x = (seed ^ 0x9e3779b9) >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

/** `size` pseudo-random bytes (a 4 KiB pattern, repeated: building 1 MiB byte by byte is slow). */
export function binaryPayload(size: number): Buffer {
  const next = random(size);
  const pattern = Buffer.allocUnsafe(Math.min(size, 4096));
  for (let i = 0; i < pattern.length; i++) pattern[i] = (next() * 256) | 0;
  return size === pattern.length ? pattern : Buffer.alloc(size, pattern);
}

const TEXT_PIECES = [
  "The quick brown fox jumps over the lazy dog. ",
  "Größe, café, naïve résumé — ",
  "Съешь же ещё этих мягких французских булок. ",
  "我能吞下玻璃而不伤身体。",
  "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία. ",
  "🚀 ✓ ",
  "order #12345 shipped to 221B Baker Street, London. ",
];

/**
 * A text message of exactly `size` bytes of UTF-8, mixing scripts the way chat or user-generated
 * content does (about half the bytes are ASCII), so decoding is not the pure-ASCII fast path.
 */
export function textPayload(size: number): string {
  let text = "";
  for (let i = 0; Buffer.byteLength(text) < size; i++) text += TEXT_PIECES[i % TEXT_PIECES.length];
  // Cut back whole characters until it fits, then pad with ASCII to the exact size.
  const chars = Array.from(text);
  while (Buffer.byteLength(chars.join("")) > size) chars.pop();
  text = chars.join("");
  return text + " ".repeat(size - Buffer.byteLength(text));
}

const NAMES = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov"];
const PRODUCTS = ["keyboard", "monitor", "usb-c cable", "laptop stand", "webcam", "headset", "dock"];
const TAGS = ["new", "sale", "eco", "bundle", "gift", "refurbished", "limited"];
const CITIES = ["Amsterdam", "Berlin", "Lisbon", "Oslo", "Prague", "Vienna", "Zürich"];

/** Distinct JSON documents cycled through by the deflate scenarios. */
export const JSON_POOL_SIZE = 512;

/**
 * The i-th JSON message of the deflate scenarios: an order update of ~1.2 KiB, compressible the
 * way real API traffic is (repeated keys and vocabulary, varying numbers and ids). Always above
 * 1 KiB so that `ws`, whose default threshold is 1024 bytes, compresses it too.
 */
export function jsonMessage(index: number): string {
  const i = index % JSON_POOL_SIZE;
  const next = random(i + 1);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const items = [];
  for (let k = 0; k < 5; k++) {
    items.push({
      sku: `SKU-${Math.floor(next() * 1e6)}`,
      product: pick(PRODUCTS),
      quantity: 1 + Math.floor(next() * 9),
      price: Math.round(next() * 50000) / 100,
      currency: "EUR",
      tags: [pick(TAGS), pick(TAGS)],
      in_stock: next() < 0.8,
    });
  }
  const doc = {
    type: "order.updated",
    seq: i,
    timestamp: new Date(1_700_000_000_000 + i * 37_000).toISOString(),
    customer: { id: `cus_${Math.floor(next() * 1e9).toString(36)}`, name: pick(NAMES), city: pick(CITIES) },
    status: pick(["pending", "paid", "shipped", "delivered"]),
    items,
    total: Math.round(next() * 200000) / 100,
    note: "",
  };
  let json = JSON.stringify(doc);
  if (json.length < 1100) {
    doc.note = "please leave the parcel with the neighbour if nobody answers".slice(0, 1100 - json.length);
    json = JSON.stringify(doc);
  }
  return json;
}

/**
 * The payloads of the first `count` JSON messages compressed as permessage-deflate would carry
 * them (RFC 7692 §7.2.1): one raw deflate stream flushed after each message (context takeover),
 * or a fresh stream per message (`noContext`), without the 00 00 ff ff tail.
 */
export async function compressJsonMessages(
  count: number,
  windowBits = 15,
  noContext = false,
): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let stream: zlib.DeflateRaw | undefined;
  for (let i = 0; i < count; i++) {
    if (stream === undefined || noContext) {
      stream?.close();
      stream = zlib.createDeflateRaw({ windowBits });
    }
    out.push(await deflateMessage(stream, Buffer.from(jsonMessage(i), "utf8")));
  }
  stream?.close();
  return out;
}

function deflateMessage(stream: zlib.DeflateRaw, message: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
    };
    stream.on("data", onData);
    stream.once("error", reject);
    stream.write(message);
    stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      stream.off("data", onData);
      stream.off("error", reject);
      const out = Buffer.concat(chunks);
      resolve(out.subarray(0, out.length - 4));
    });
  });
}

// ---- frames (RFC 6455 §5.2) ----

export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;

/** An unmasked frame, as the server sends it. */
export function serverFrame(opcode: number, payload: Uint8Array, rsv1 = false): Buffer {
  const length = payload.length;
  const head = length < 126 ? 2 : length < 0x10000 ? 4 : 10;
  const out = Buffer.allocUnsafe(head + length);
  out[0] = 0x80 | (rsv1 ? 0x40 : 0) | opcode;
  if (length < 126) {
    out[1] = length;
  } else if (length < 0x10000) {
    out[1] = 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(Math.floor(length / 0x100000000), 2);
    out.writeUInt32BE(length >>> 0, 6);
  }
  out.set(payload, head);
  return out;
}

/** A masked frame, as a client sends it (the raw ceiling prebuilds these). */
export function clientFrame(opcode: number, payload: Uint8Array, key: Uint8Array, rsv1 = false): Buffer {
  const plain = serverFrame(opcode, payload, rsv1);
  const head = plain.length - payload.length;
  const out = Buffer.allocUnsafe(plain.length + 4);
  plain.copy(out, 0, 0, head);
  out[1]! |= 0x80;
  out.set(key.subarray(0, 4), head);
  for (let i = 0; i < payload.length; i++) out[head + 4 + i] = payload[i]! ^ key[i & 3]!;
  return out;
}

/** The Sec-WebSocket-Accept value for a key (RFC 6455 §4.2.2). */
export function acceptKey(key: string): string {
  return createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
}

/** The text the peer sends when it has counted every message of a send scenario: `done <compressed frames>`. */
export const DONE_PREFIX = "done ";

/** The loopback addresses the server listens on (same port): the many-connections scenario spreads over them. */
export const LOOPBACK_HOSTS = ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"];

/** Milliseconds a child may take before the runner gives up on it. */
export const CHILD_TIMEOUT_MS = 90_000;
