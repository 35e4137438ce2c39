// One measured run of the HTTP/2 benchmark (bench/http2.ts) in its own process: opens <n>
// connections to one origin over HTTP/1.1 or HTTP/2, measures the time to open them all and the
// memory they hold, then has every connection receive <count> small messages at once and measures
// the receive throughput. Prints one JSON line.
//
// Run: node --expose-gc --import tsx bench/http2-client.ts <h1|h2> <port> <n> <count> <size>

import { performance } from "node:perf_hooks";
import { type Client, connect } from "../src/index.js";

const [transport, portText, nText, countText, sizeText] = process.argv.slice(2);
const port = Number(portText);
const n = Number(nText);
const count = Number(countText);
const size = Number(sizeText);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --expose-gc");

function memory(): { rss: number; heap: number; external: number } {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, external: m.external + m.arrayBuffers };
}

const url = `ws://127.0.0.1:${port}/bench`;
const options = { http2: transport === "h2", channel_capacity: 256 };

// Warm-up: one connection opened, used and closed, so that code is compiled before the clock.
const warm = await connect(url, options);
await warm.send(`go 100 ${size}`);
for await (const m of warm.channel()) if (m.type === "text") break;
await warm.close();

const before = memory();
const started = performance.now();
const clients: Client[] = [];
// Opened in waves of 100 at once, as an application starting up would, without overrunning the
// server's accept backlog over HTTP/1.1.
for (let i = 0; i < n; i += 100) {
  const wave = await Promise.all(Array.from({ length: Math.min(100, n - i) }, () => connect(url, options)));
  clients.push(...wave);
}
const openMs = performance.now() - started;
const after = memory();

const receiveStart = performance.now();
let received = 0;
await Promise.all(
  clients.map(async (client) => {
    await client.send(`go ${count} ${size}`);
    for await (const m of client.channel()) {
      if (m.type === "text") break;
      received++;
    }
  }),
);
const receiveMs = performance.now() - receiveStart;
if (received !== n * count) throw new Error(`received ${received} of ${n * count} messages`);
await Promise.all(clients.map((c) => c.close()));

console.log(
  JSON.stringify({
    transport,
    n,
    openMs,
    rssPerConnection: (after.rss - before.rss) / n,
    heapPerConnection: (after.heap - before.heap) / n,
    externalPerConnection: (after.external - before.external) / n,
    messages: received,
    receiveMs,
    messagesPerSecond: received / (receiveMs / 1000),
    mbPerSecond: (received * size) / (receiveMs / 1000) / 1e6,
  }),
);
