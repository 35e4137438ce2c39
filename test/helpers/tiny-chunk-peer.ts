// A raw peer in its own process, so that a memory measurement in the test's process counts only
// the client: it accepts one connection, then writes a binary message of SIZE bytes as 1-byte
// fragments, in writes of 7 bytes (every frame straddles reads). Halfway it prints "half" and
// waits for a line on stdin before writing the rest; then it answers the client's Close.
import { once } from "node:events";
import { RawPeer, serverFrame } from "./raw-peer.js";

const size = Number(process.argv[2] ?? 512 * 1024);
const peer = await RawPeer.start();
process.stdout.write(`${peer.url}\n`);
const conn = await peer.connection(30_000);
conn.socket.setNoDelay(true);
const wire = Buffer.concat(
  Array.from({ length: size }, (_, i) =>
    serverFrame(i === 0 ? 0x2 : 0x0, Buffer.of(i & 0xff), { fin: i === size - 1 }),
  ),
);
const step = 7 * 4096;
const half = Math.floor(wire.length / 2 / step) * step;
for (let at = 0; at < wire.length; at += step) {
  if (at === half) {
    // Everything so far is in the kernel's hands before the test is told.
    await new Promise<void>((resolve) => conn.socket.write(Buffer.alloc(0), () => resolve()));
    process.stdout.write("half\n");
    await once(process.stdin, "data");
  }
  const piece = wire.subarray(at, at + step);
  for (let i = 0; i < piece.length; i += 7) conn.socket.write(piece.subarray(i, i + 7));
  await new Promise((r) => setImmediate(r));
}
await conn.answerClose();
await peer.close();
process.stdin.destroy();
