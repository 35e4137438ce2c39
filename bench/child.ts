// One measured run: a single client library (or the raw-TCP ceiling) in its own process, one
// scenario, a warm-up on its own connection first. Prints one JSON line (a ChildResult) on stdout.
//
// Run by bench/run.ts as: node child.js '<ChildSpec as JSON>'

import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import * as net from "node:net";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { type ClientLibrary, type ClientName, type Connection, loadClient, type Payload } from "./clients.js";
import {
  binaryPayload,
  clientFrame,
  compressJsonMessages,
  DONE_PREFIX,
  JSON_POOL_SIZE,
  jsonMessage,
  LOOPBACK_HOSTS,
  OP_BINARY,
  OP_TEXT,
  SCENARIOS,
  type Scenario,
  scenarioPath,
  sendBatch,
  textPayload,
  warmCount,
} from "./protocol.js";

export interface ChildSpec {
  readonly client: ClientName;
  readonly scenario: string;
  readonly count: number;
  readonly port: number;
  /** The wschan module to load (dist/index.js, or another build). */
  readonly wschan: string;
}

/** What one run measured. Times in milliseconds, memory in KiB. */
export interface ChildResult {
  readonly ok: boolean;
  readonly error?: string;
  /** Set when the scenario does not apply to this client (e.g. no compression negotiated). */
  readonly na?: string;
  readonly elapsedMs?: number;
  readonly cpuUserMs?: number;
  readonly cpuSystemMs?: number;
  readonly count?: number;
  /** Payload bytes carried by the measured messages (before compression). */
  readonly payloadBytes?: number;
  readonly latency?: { readonly p50Us: number; readonly p99Us: number; readonly meanUs: number };
  readonly idle?: {
    readonly rssPerConnKiB: number;
    readonly heapPerConnKiB: number;
    readonly connections: number;
  };
  /**
   * The fairness scenario: how late a repeated 1 ms timer fired during the flood, the event loop's
   * delay (perf_hooks), and how the second connection fared (messages per second while flooded).
   */
  readonly fairness?: {
    readonly timerP50Ms: number;
    readonly timerP99Ms: number;
    readonly timerMaxMs: number;
    readonly timers: number;
    readonly loopDelayP99Ms: number;
    readonly loopDelayMaxMs: number;
    /** The second connection's rate during the flood, over the flooded connection's. */
    readonly secondShare: number;
  };
  /** The many-connections scenario (see scale.ts). */
  readonly scale?: Readonly<Record<string, number>>;
  /** For deflate scenarios: messages the peer saw with RSV1 set, and the extensions negotiated. */
  readonly compressed?: number;
  readonly extensions?: string;
  readonly maxRssKiB: number;
  readonly info?: Readonly<Record<string, string | boolean>>;
}

interface Measured {
  elapsedMs: number;
  cpuUserMs: number;
  cpuSystemMs: number;
}

type Outcome = Omit<ChildResult, "ok" | "maxRssKiB" | "info">;

function stopwatch(): () => Measured {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  return () => {
    const elapsed = process.hrtime.bigint() - start;
    const used = process.cpuUsage(cpu);
    return { elapsedMs: Number(elapsed) / 1e6, cpuUserMs: used.user / 1000, cpuSystemMs: used.system / 1000 };
  };
}

/**
 * This process's peak resident set in KiB. On Linux from VmHWM: getrusage's maxrss survives
 * exec, so it would report the size of the runner this child was forked from.
 */
function peakRssKiB(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (match !== null) return Number(match[1]);
  } catch {
    // Not Linux: fall through.
  }
  return process.resourceUsage().maxRSS;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The messages a scenario sends, cycled through. */
function payloads(scenario: Scenario): readonly Payload[] {
  if (scenario.payload === "json") return Array.from({ length: JSON_POOL_SIZE }, (_, i) => jsonMessage(i));
  if (scenario.payload === "text") return [textPayload(scenario.size)];
  return [binaryPayload(scenario.size)];
}

/**
 * The sizes of those messages, as a receiver counts them (`units`: bytes of binary, UTF-16 units
 * of text) and on the wire before compression (`bytes`), without building large payloads.
 */
function messageSizes(scenario: Scenario): { units: number[]; bytes: number[] } {
  if (scenario.payload === "binary") return { units: [scenario.size], bytes: [scenario.size] };
  const items = payloads(scenario) as string[];
  return { units: items.map((item) => item.length), bytes: items.map((item) => Buffer.byteLength(item)) };
}

/** Sum of `sizes[i % sizes.length]` for i < count. */
function cycledSum(sizes: readonly number[], count: number): number {
  const whole = Math.floor(count / sizes.length);
  let total = whole * sizes.reduce((a, b) => a + b, 0);
  for (let i = 0; i < count % sizes.length; i++) total += sizes[i]!;
  return total;
}

function expectedLength(scenario: Scenario, count: number): number {
  return cycledSum(messageSizes(scenario).units, count);
}

function payloadBytes(scenario: Scenario, count: number): number {
  return cycledSum(messageSizes(scenario).bytes, count);
}

// ---- WebSocket clients ----

async function receiveRun(lib: ClientLibrary, scenario: Scenario, count: number, port: number) {
  const conn = await lib.connect(`ws://127.0.0.1:${port}${scenarioPath(scenario, count)}`, scenario.deflate);
  if (scenario.deflate && conn.extensions === "") {
    await conn.close();
    return { na: "permessage-deflate not negotiated" };
  }
  const stop = stopwatch();
  conn.send("go");
  await conn.receive(count);
  const measured = stop();
  const expected = expectedLength(scenario, count);
  if (conn.received !== expected)
    throw new Error(`received ${conn.received} units of data, expected ${expected}`);
  await conn.close();
  return { ...measured, extensions: conn.extensions };
}

async function sendRun(lib: ClientLibrary, scenario: Scenario, count: number, port: number) {
  const items = payloads(scenario);
  const conn = await lib.connect(`ws://127.0.0.1:${port}${scenarioPath(scenario, count)}`, scenario.deflate);
  if (scenario.deflate && conn.extensions === "") {
    await conn.close();
    return { na: "permessage-deflate not negotiated" };
  }
  const batch = sendBatch(scenario.size);
  const stop = stopwatch();
  const done = conn.receive(1);
  done.catch(() => {});
  // Two batches in flight: the next is queued before waiting for the previous to be taken.
  let previous: Promise<void> | undefined;
  for (let sent = 0; sent < count; ) {
    const n = Math.min(batch, count - sent);
    const current = conn.sendMany(items, sent, n);
    sent += n;
    if (previous !== undefined) await previous;
    previous = current;
  }
  await previous;
  const reply = await done;
  const measured = stop();
  const compressed = Number(reply?.slice(DONE_PREFIX.length) ?? Number.NaN);
  await conn.close();
  if (scenario.deflate && compressed === 0) return { na: "negotiated but sent nothing compressed" };
  return { ...measured, compressed, extensions: conn.extensions };
}

async function roundTrips(lib: ClientLibrary, scenario: Scenario, count: number, port: number) {
  const conn = await lib.connect(`ws://127.0.0.1:${port}${scenarioPath(scenario, count)}`, false);
  const ping = binaryPayload(scenario.size);
  for (let i = 0; i < warmCount(count); i++) {
    conn.send(ping);
    await conn.receive(1);
  }
  const latencies = new Float64Array(count);
  const stop = stopwatch();
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    conn.send(ping);
    await conn.receive(1);
    latencies[i] = Number(process.hrtime.bigint() - start) / 1000;
  }
  const measured = stop();
  await conn.close();
  return { ...measured, latency: summarize(latencies) };
}

function summarize(latencies: Float64Array): { p50Us: number; p99Us: number; meanUs: number } {
  const sorted = Float64Array.from(latencies).sort();
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  let sum = 0;
  for (const value of sorted) sum += value;
  return { p50Us: at(0.5), p99Us: at(0.99), meanUs: sum / sorted.length };
}

// ---- fairness: a flood on one connection, a timer and a second connection beside it ----

async function fairRun(
  lib: ClientLibrary,
  scenario: Scenario,
  count: number,
  port: number,
): Promise<Outcome> {
  const url = (n: number): string => `ws://127.0.0.1:${port}${scenarioPath(scenario, n)}`;
  const flooded = await lib.connect(url(count), false);
  // The second connection asks for as much; only what it receives while the first floods counts.
  const second = await lib.connect(url(count), false);
  const lateness: number[] = [];
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const stop = stopwatch();
  flooded.send("go");
  second.send("go");
  let floodDone = false;
  const done = flooded.receive(count).then(() => {
    floodDone = true;
  });
  const secondDone = second.receive(count);
  secondDone.catch(() => {});
  delay.enable();
  while (!floodDone) {
    const before = performance.now();
    await sleep(1);
    lateness.push(performance.now() - before - 1);
  }
  delay.disable();
  await done;
  const measured = stop();
  const floodRate = flooded.received / measured.elapsedMs;
  const secondRate = second.received / measured.elapsedMs;
  await flooded.close();
  await second.close();
  lateness.sort((a, b) => a - b);
  const at = (q: number): number =>
    lateness[Math.min(lateness.length - 1, Math.floor(q * lateness.length))] ?? 0;
  return {
    ...measured,
    fairness: {
      timerP50Ms: at(0.5),
      timerP99Ms: at(0.99),
      timerMaxMs: lateness[lateness.length - 1] ?? 0,
      timers: lateness.length,
      loopDelayP99Ms: delay.percentile(99) / 1e6,
      loopDelayMaxMs: delay.max / 1e6,
      secondShare: floodRate === 0 ? 0 : secondRate / floodRate,
    },
  };
}

// ---- many idle connections (issue 17, scale) ----

async function scaleRun(
  lib: ClientLibrary | undefined,
  scenario: Scenario,
  wanted: number,
  port: number,
): Promise<Outcome> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("the scale scenario needs node --expose-gc");
  // The runner raised the soft limit to the hard one; leave room for the process's own files.
  const limit = Number(process.env.BENCH_FD_LIMIT ?? 1024);
  const count = Math.max(0, Math.min(wanted, limit - 256));
  const path = scenarioPath(scenario, count);
  const open = (i: number): Promise<Connection | net.Socket> => {
    const host = LOOPBACK_HOSTS[i % LOOPBACK_HOSTS.length]!;
    return lib === undefined
      ? rawUpgrade(port, path, host)
      : lib.connect(`ws://${host}:${port}${path}`, false);
  };
  await open(0);
  const settle = async (): Promise<NodeJS.MemoryUsage> => {
    await sleep(300);
    gc();
    await sleep(100);
    gc();
    return process.memoryUsage();
  };
  const before = await settle();
  const held: (Connection | net.Socket)[] = [];
  const GROUP = 500;
  const started = process.hrtime.bigint();
  for (let opened = 0; opened < count; opened += GROUP) {
    const group = Math.min(GROUP, count - opened);
    held.push(...(await Promise.all(Array.from({ length: group }, (_, i) => open(opened + i)))));
  }
  const openMs = Number(process.hrtime.bigint() - started) / 1e6;
  const after = await settle();
  const result: Record<string, number> = {
    connections: held.length,
    fdLimit: limit,
    openMs,
    openPerSec: held.length / (openMs / 1000),
    rssPerConnKiB: (after.rss - before.rss) / held.length / 1024,
    heapPerConnKiB:
      (after.heapUsed + after.external - before.heapUsed - before.external) / held.length / 1024,
    rssMiB: after.rss / 2 ** 20,
  };
  if (lib !== undefined) {
    // One ping on every connection at once, then the pongs: the cost of a keep-alive sweep.
    const stop = stopwatch();
    await Promise.all(held.map((c) => (c as Connection).ping()));
    const sweep = stop();
    result.sweepMs = sweep.elapsedMs;
    result.sweepCpuMs = sweep.cpuUserMs + sweep.cpuSystemMs;
    result.sweepCpuUsPerConn = (result.sweepCpuMs * 1000) / held.length;
  }
  return { scale: result };
}

// ---- idle connections (every client, the ceiling included) ----

type Opener = () => Promise<unknown>;

async function idleRun(open: Opener, count: number): Promise<Outcome> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("the idle scenario needs node --expose-gc");
  const GROUP = 100;
  // A first group, held open and not counted: the code the opening path compiles on its first
  // few hundred calls (V8's optimizing compiler; about 0.4 KiB per connection for 2,000 if it
  // fell in the measured part) and lazily made tables are not memory per connection.
  const held: unknown[] = await Promise.all(Array.from({ length: GROUP }, open));
  const settle = async (): Promise<NodeJS.MemoryUsage> => {
    await sleep(200);
    gc();
    await sleep(100);
    gc();
    return process.memoryUsage();
  };
  const before = await settle();
  for (let opened = 0; opened < count; opened += GROUP) {
    const group = Math.min(GROUP, count - opened);
    held.push(...(await Promise.all(Array.from({ length: group }, open))));
  }
  const after = await settle();
  const perConn = (bytes: number): number => bytes / count / 1024;
  return {
    idle: {
      connections: held.length - GROUP,
      rssPerConnKiB: perConn(after.rss - before.rss),
      heapPerConnKiB: perConn(after.heapUsed + after.external - before.heapUsed - before.external),
    },
  };
}

// ---- the raw-TCP ceiling: the same bytes, no framing ----

function rawConnect(port: number, host = "127.0.0.1"): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true });
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

/** Counts the bytes a socket receives; `until(total)` resolves once that many have arrived. */
class ByteCounter {
  received = 0;
  #target = Number.POSITIVE_INFINITY;
  #resolve: (() => void) | undefined;

  constructor(socket: net.Socket, onChunk?: (chunk: Buffer) => void) {
    socket.on("data", (chunk: Buffer) => {
      this.received += chunk.length;
      onChunk?.(chunk);
      if (this.received >= this.#target) this.#settle();
    });
  }

  until(total: number): Promise<void> {
    this.#target = total;
    return new Promise((resolve) => {
      this.#resolve = resolve;
      if (this.received >= total) this.#settle();
    });
  }

  #settle(): void {
    const resolve = this.#resolve;
    this.#resolve = undefined;
    resolve?.();
  }
}

async function rawReceive(scenario: Scenario, count: number, port: number) {
  const socket = await rawConnect(port);
  const arrived = new Promise<void>((resolve) => {
    let total = Number.POSITIVE_INFINITY;
    let received = 0;
    socket.on("data", (chunk: Buffer) => {
      // The peer writes the 8-byte total on its own before any frame, so the first read holds it.
      if (received === 0) total = Number(chunk.readBigUInt64BE(0)) + 8;
      received += chunk.length;
      if (received >= total) resolve();
    });
  });
  const stop = stopwatch();
  socket.write(`RAW ${scenarioPath(scenario, count)}\n`);
  await arrived;
  const measured = stop();
  socket.destroy();
  return measured;
}

async function rawSend(scenario: Scenario, count: number, port: number) {
  const key = randomBytes(4);
  // The bytes a client would write, framed and masked in advance: only the writing is measured.
  const pieces: Buffer[] = [];
  if (scenario.deflate) {
    const frames = (await compressJsonMessages(count)).map((p) => clientFrame(OP_TEXT, p, key, true));
    const batch = sendBatch(scenario.size);
    for (let i = 0; i < count; i += batch) pieces.push(Buffer.concat(frames.slice(i, i + batch)));
  } else {
    const frame = clientFrame(OP_BINARY, binaryPayload(scenario.size), key);
    const batch = sendBatch(scenario.size);
    const block = Buffer.concat(new Array<Buffer>(batch).fill(frame));
    for (let left = count; left > 0; left -= batch) {
      pieces.push(left >= batch ? block : block.subarray(0, left * frame.length));
    }
  }
  const socket = await rawConnect(port);
  let reply = Buffer.alloc(0);
  const counter = new ByteCounter(socket, (chunk) => {
    reply = Buffer.concat([reply, chunk]);
  });
  socket.write(`RAW ${scenarioPath(scenario, count)}\n`);
  const stop = stopwatch();
  for (const piece of pieces) {
    if (!socket.write(piece)) await new Promise((resolve) => socket.once("drain", resolve));
  }
  // The peer's "done" frame: a 2-byte header then its text.
  await counter.until(2);
  await counter.until(2 + (reply[1]! & 0x7f));
  const measured = stop();
  const compressed = Number(reply.toString("latin1", 2 + DONE_PREFIX.length));
  socket.destroy();
  return { ...measured, compressed };
}

async function rawRoundTrips(scenario: Scenario, count: number, port: number) {
  const socket = await rawConnect(port);
  const frame = clientFrame(OP_BINARY, binaryPayload(scenario.size), randomBytes(4));
  const replySize = 2 + 32;
  const counter = new ByteCounter(socket);
  socket.write(`RAW ${scenarioPath(scenario, count)}\n`);
  let expected = 0;
  for (let i = 0; i < warmCount(count); i++) {
    socket.write(frame);
    expected += replySize;
    await counter.until(expected);
  }
  const latencies = new Float64Array(count);
  const stop = stopwatch();
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    socket.write(frame);
    expected += replySize;
    await counter.until(expected);
    latencies[i] = Number(process.hrtime.bigint() - start) / 1000;
  }
  const measured = stop();
  socket.destroy();
  return { ...measured, latency: summarize(latencies) };
}

/** A bare socket after a real upgrade: what any client costs at the least. */
async function rawUpgrade(port: number, path: string, host = "127.0.0.1"): Promise<net.Socket> {
  const socket = await rawConnect(port, host);
  const key = randomBytes(16).toString("base64");
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  await new Promise<void>((resolve) => {
    let head = "";
    const onData = (chunk: Buffer): void => {
      head += chunk.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      socket.off("data", onData);
      socket.on("data", () => {});
      resolve();
    };
    socket.on("data", onData);
  });
  return socket;
}

// ---- main ----

async function run(spec: ChildSpec): Promise<ChildResult> {
  const scenario = SCENARIOS.find((s) => s.id === spec.scenario);
  if (scenario === undefined) throw new Error(`unknown scenario ${spec.scenario}`);
  const { count, port } = spec;
  let lib: ClientLibrary | undefined;
  if (spec.client !== "raw") lib = await loadClient(spec.client, spec.wschan);

  let outcome: Outcome;
  if (scenario.kind === "scale") {
    outcome = await scaleRun(lib, scenario, count, port);
  } else if (scenario.kind === "idle") {
    const path = scenarioPath(scenario, count);
    const open: Opener =
      lib === undefined
        ? () => rawUpgrade(port, path)
        : () => lib.connect(`ws://127.0.0.1:${port}${path}`, false);
    outcome = await idleRun(open, count);
  } else if (scenario.kind === "fair") {
    if (lib === undefined) return { ok: true, na: "no framing to be fair with", maxRssKiB: peakRssKiB() };
    await receiveRun(lib, { ...scenario, kind: "recv" }, warmCount(count), port);
    outcome = await fairRun(lib, scenario, count, port);
  } else if (lib === undefined) {
    const warm = warmCount(count);
    if (scenario.kind === "recv") {
      await rawReceive(scenario, warm, port);
      outcome = await rawReceive(scenario, count, port);
    } else if (scenario.kind === "send") {
      await rawSend(scenario, warm, port);
      outcome = await rawSend(scenario, count, port);
    } else {
      outcome = await rawRoundTrips(scenario, count, port);
    }
  } else if (scenario.kind === "recv") {
    await receiveRun(lib, scenario, warmCount(count), port);
    outcome = await receiveRun(lib, scenario, count, port);
  } else if (scenario.kind === "send") {
    await sendRun(lib, scenario, warmCount(count), port);
    outcome = await sendRun(lib, scenario, count, port);
  } else {
    outcome = await roundTrips(lib, scenario, count, port);
  }
  const measured = outcome.na === undefined && outcome.idle === undefined && outcome.scale === undefined;
  return {
    ok: true,
    ...outcome,
    ...(measured ? { count, payloadBytes: payloadBytes(scenario, count) } : {}),
    maxRssKiB: peakRssKiB(),
    ...(lib === undefined ? {} : { info: lib.info }),
  };
}

const spec = JSON.parse(process.argv[2] ?? "{}") as ChildSpec;
run(spec).then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (error: unknown) => {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    const result: ChildResult = { ok: false, error: message, maxRssKiB: peakRssKiB() };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(1);
  },
);
