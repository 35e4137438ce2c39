// Memory per compressed connection: opens N connections (default 1000) to a local ws server with
// permessage-deflate, sends and receives one compressed message on each (so that both zlib
// streams exist), and reports RSS per connection for wschan and for ws in separate processes.
// Usage: npx tsx bench/compression-memory.ts [N]
import { spawn } from "node:child_process";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { WebSocket, WebSocketServer } from "ws";

const count = Number(process.argv[2] ?? 1000);
const role = process.env.WSCHAN_MEMORY_ROLE;
const message = JSON.stringify({ symbol: "BTC-USD", price: 97000.12, side: "buy", book: "x".repeat(600) });

async function measure(client: string, url: string, mode: number): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().rss;
  const closers: (() => Promise<unknown>)[] = [];
  for (let i = 0; i < count; i++) {
    if (client === "wschan") {
      const websocket = await import("../src/index.js");
      const c = await websocket.connect(url, { compression: mode as 1 | 2 });
      await c.send(message);
      await c.channel().receive();
      closers.push(() => c.close());
    } else {
      const ws = new WebSocket(url, {
        perMessageDeflate:
          mode === 2 ? { clientNoContextTakeover: true, serverNoContextTakeover: true } : true,
      });
      await new Promise((resolve, reject) => {
        ws.once("open", resolve);
        ws.once("error", reject);
      });
      await new Promise<void>((resolve) => {
        ws.once("message", () => resolve());
        ws.send(message);
      });
      closers.push(
        () =>
          new Promise((resolve) => {
            ws.once("close", resolve);
            ws.close();
          }),
      );
    }
  }
  gc?.();
  const after = process.memoryUsage().rss;
  process.stdout.write(
    JSON.stringify({ client, mode, count, kibPerConnection: (after - before) / 1024 / count }),
  );
  await Promise.all(closers.map((close) => close()));
}

if (role !== undefined) {
  const [client, url, mode] = role.split(" ");
  await measure(client!, url!, Number(mode));
} else {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: { threshold: 0 } });
  await new Promise((resolve) => server.once("listening", resolve));
  server.on("connection", (ws) => ws.on("message", (data, binary) => ws.send(data, { binary })));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const script = fileURLToPath(import.meta.url);
  console.log(`| client | mode | connections | RSS per connection |\n|---|---|---|---|`);
  for (const mode of [1, 2]) {
    for (const client of ["wschan", "ws"]) {
      const child = spawn(process.execPath, ["--expose-gc", "--import=tsx", script, String(count)], {
        env: { ...process.env, WSCHAN_MEMORY_ROLE: `${client} ${url} ${mode}`, WS_NO_BUFFER_UTIL: "1" },
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
      });
      await new Promise((resolve) => child.on("exit", resolve));
      const r = JSON.parse(out) as { kibPerConnection: number };
      const label = mode === 1 ? "context takeover" : "no context";
      console.log(`| ${client} | ${label} | ${count} | ${r.kibPerConnection.toFixed(1)} KiB |`);
    }
  }
  for (const ws of server.clients) ws.terminate();
  server.close();
}
