// The JavaScript cost of receiving, without sockets or the kernel: wschan's client (its public
// Client over an in-memory stream that always has data) read four ways, against ws's Receiver fed
// the same frames (ws's own parser, as its WebSocket uses it, plus one event emitter hop). CPU
// nanoseconds per message, best of three runs after a warm-up; steadier than the socket
// benchmark on a loaded machine, since no other process's traffic shares the measurement.
//
//   npx tsx bench/receive-paths.ts [--size 16] [--messages 3000000] [--capacity 32] [--observed]
//
// --observed subscribes to every diagnostics channel (doing nothing with the events), to show
// what a subscriber costs; without it nobody listens, as in most programs.

import { subscribe } from "node:diagnostics_channel";
import { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Duplex } from "node:stream";
import { Client } from "../src/client/client.js";
import { DIAGNOSTICS_CHANNELS } from "../src/client/diagnostics.js";
import { resolveOptions } from "../src/options/options.js";

const require = createRequire(import.meta.url);

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

const size = arg("--size", 16);
const messages = arg("--messages", size > 1024 ? 300_000 : 3_000_000);
const capacity = arg("--capacity", 32);
if (process.argv.includes("--observed")) {
  for (const name of DIAGNOSTICS_CHANNELS) subscribe(name, () => {});
}

function frame(length: number): Buffer {
  const head = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const out = Buffer.alloc(head + length, 0x61);
  out[0] = 0x82;
  if (length < 126) out[1] = length;
  else if (length < 65536) {
    out[1] = 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(0, 2);
    out.writeUInt32BE(length, 6);
  }
  return out;
}

const one = frame(size);
const perChunk = Math.max(1, Math.floor(65536 / one.length));
const chunk = Buffer.concat(new Array<Buffer>(perChunk).fill(one));

type Mode = "receive" | "iter" | "batch" | "try";

async function wschan(mode: Mode, count: number): Promise<number> {
  const stream = new Duplex({
    read() {},
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
  let pushed = 0;
  // A socket that always has more: a fresh 64 KiB read whenever the stream asks.
  stream._read = () => {
    if (pushed < count) {
      pushed += perChunk;
      stream.push(Buffer.from(chunk));
    }
  };
  const client = Client.open({
    socket: stream,
    handshake: { status: 101, statusText: "Switching Protocols", headers: {} },
    head: Buffer.alloc(0),
    url: "ws://bench",
    protocol: "",
    extensions: "",
    options: resolveOptions({ channel_capacity: capacity }),
  });
  const ch = client.channel();
  let got = 0;
  let bytes = 0;
  const start = process.cpuUsage();
  if (mode === "receive") {
    while (got < count) {
      const [message] = await ch.receive();
      bytes += message!.data.length;
      got++;
    }
  } else if (mode === "iter") {
    for await (const message of ch) {
      bytes += message.data.length;
      if (++got === count) break;
    }
  } else {
    while (got < count) {
      const message = mode === "try" ? ch.tryReceive() : undefined;
      if (message !== undefined) {
        bytes += message.data.length;
        got++;
        continue;
      }
      const batch = await ch.receiveBatch();
      for (const m of batch) bytes += m.data.length;
      got += batch.length;
    }
  }
  const used = process.cpuUsage(start);
  if (bytes !== got * size) throw new Error("lost bytes");
  stream.destroy();
  return ((used.user + used.system) * 1000) / got;
}

function ws(count: number): number {
  process.env.WS_NO_BUFFER_UTIL = "1";
  process.env.WS_NO_UTF_8_VALIDATE = "1";
  // ws does not export its Receiver; it sits beside its entry point.
  const Receiver = require(join(dirname(require.resolve("ws")), "lib", "receiver.js")) as new (
    options: object,
  ) => EventEmitter & {
    write(chunk: Buffer): void;
  };
  const receiver = new Receiver({ isServer: false, binaryType: "nodebuffer" });
  const user = new EventEmitter();
  let got = 0;
  let bytes = 0;
  user.on("message", (data: Buffer) => {
    got++;
    bytes += data.length;
  });
  receiver.on("message", (data: Buffer, binary: boolean) => user.emit("message", data, binary));
  const start = process.cpuUsage();
  for (let sent = 0; sent < count; sent += perChunk) receiver.write(Buffer.from(chunk));
  const used = process.cpuUsage(start);
  if (bytes !== got * size) throw new Error("lost bytes");
  return ((used.user + used.system) * 1000) / got;
}

async function best(run: (count: number) => number | Promise<number>): Promise<number> {
  await run(Math.ceil(messages / 10));
  let least = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) least = Math.min(least, await run(messages));
  return least;
}

const wsNs = await best(ws);
console.log(`${size} B binary messages, channel_capacity ${capacity}, CPU ns per message (best of 3):`);
console.log(`  ws Receiver + event      ${wsNs.toFixed(0).padStart(5)}`);
for (const mode of ["receive", "iter", "batch", "try"] as const) {
  const ns = await best((count) => wschan(mode, count));
  const label = {
    receive: "wschan receive()",
    iter: "wschan for await",
    batch: "wschan receiveBatch()",
    try: "wschan tryReceive()+batch",
  }[mode];
  console.log(`  ${label.padEnd(24)} ${ns.toFixed(0).padStart(5)}   ${(wsNs / ns).toFixed(2)}× ws`);
}
