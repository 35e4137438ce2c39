// Run by test/integration/deflate.test.ts in its own process so that RSS measures only this.
import { once } from "node:events";
import { constants, createDeflateRaw } from "node:zlib";
import * as websocket from "../../src/index.js";
import { closeCodeOf, RawPeer, serverFrame } from "./raw-peer.js";

const BOMB = 1024 * 1024 * 1024;

async function compressedZeros(size: number): Promise<Buffer> {
  const deflate = createDeflateRaw({ level: 9 });
  const chunks: Buffer[] = [];
  deflate.on("data", (c: Buffer) => chunks.push(c));
  const block = Buffer.alloc(1024 * 1024);
  for (let sent = 0; sent < size; sent += block.length) {
    if (!deflate.write(block)) await once(deflate, "drain");
  }
  await new Promise<void>((resolve) => deflate.flush(constants.Z_SYNC_FLUSH, () => resolve()));
  const all = Buffer.concat(chunks);
  return all.subarray(0, all.length - 4);
}

const bomb = await compressedZeros(BOMB);
const peer = await RawPeer.start({
  respond: (_req, accept) =>
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n`,
});
global.gc?.();
const before = process.memoryUsage().rss;
let peak = before;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 2);
const client = await websocket.connect(peer.url, {
  compression: websocket.COMPRESSION.CONTEXT_TAKEOVER,
  read_limit: 1024 * 1024,
});
const conn = await peer.connection();
await conn.write(serverFrame(0x2, bomb, { rsv: 4 }));
const frames = await conn.framesUntilClose(10_000);
peak = Math.max(peak, process.memoryUsage().rss);
clearInterval(sampler);
conn.end();
const info = await client.closed;
await peer.close();
process.stdout.write(
  JSON.stringify({
    closeCode: closeCodeOf(frames[frames.length - 1]!),
    clientClose: info.code,
    rssGrowthMiB: (peak - before) / 1024 / 1024,
    bombMiB: bomb.length / 1024 / 1024,
  }),
);
