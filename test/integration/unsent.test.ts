// unsentBytes on real sockets: what it says the kernel has not taken is what a peer never gets.
import * as net from "node:net";
import { Duplex } from "node:stream";
import * as tls from "node:tls";
import t from "tap";
import { unsentBytes } from "../../src/client/unsent.js";

t.setTimeout(30_000);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Pair {
  readonly client: net.Socket;
  /** The server's side, paused: it reads nothing until resumed. */
  readonly peer: net.Socket;
  /** Bytes the peer has read so far. */
  received(): number;
  /** Resolves with every byte count the peer read once the client's side is gone. */
  readonly ended: Promise<number>;
  close(): void;
}

async function pair(): Promise<Pair> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const accepted = new Promise<net.Socket>((resolve) => server.once("connection", resolve));
  const client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
  client.on("error", () => {});
  await new Promise<void>((resolve) => client.once("connect", () => resolve()));
  const peer = await accepted;
  peer.pause();
  let received = 0;
  peer.on("data", (chunk: Buffer) => {
    received += chunk.length;
  });
  peer.on("error", () => {});
  const ended = new Promise<number>((resolve) => peer.once("close", () => resolve(received)));
  return {
    client,
    peer,
    received: () => received,
    ended,
    close() {
      client.destroy();
      peer.destroy();
      server.close();
    },
  };
}

/** Writes `count` chunks of 64 KiB corked, so that they go in one writev. */
function writeTogether(socket: net.Socket, count: number): number {
  const chunk = Buffer.alloc(64 * 1024, 7);
  socket.cork();
  for (let i = 0; i < count; i++) socket.write(chunk);
  socket.uncork();
  return count * chunk.length;
}

t.test("a peer that never reads gets exactly what unsentBytes says the kernel took", async (t) => {
  const p = await pair();
  t.teardown(() => p.close());
  const total = writeTogether(p.client, 256);
  const unsent = unsentBytes(p.client);
  t.type(unsent, "number", "a plain TCP socket can tell");
  t.ok(unsent! > 0 && unsent! < total, `the kernel took part of 16 MiB (${total - unsent!} bytes)`);
  // Destroying the socket drops what libuv holds; the kernel still delivers what it took.
  p.client.destroy();
  p.peer.resume();
  t.equal(await p.ended, total - unsent!, "the peer received total − unsent bytes");
});

t.test("as the peer reads, the kernel takes more and unsentBytes falls by as much", async (t) => {
  const p = await pair();
  t.teardown(() => p.close());
  const total = writeTogether(p.client, 256);
  const before = unsentBytes(p.client)!;
  // The kernel moves in bursts once the peer has read enough: read until the client's side
  // sees one, then stop reading and let things settle.
  p.peer.resume();
  const until = Date.now() + 5000;
  while (unsentBytes(p.client)! >= before && Date.now() < until) await sleep(1);
  p.peer.pause();
  await sleep(50);
  const after = unsentBytes(p.client)!;
  t.ok(after < before, `unsent went from ${before} to ${after} bytes`);
  p.client.destroy();
  p.peer.resume();
  t.equal(await p.ended, total - after, "and what the peer got in the end is total − unsent again");
});

t.test("nothing to tell for TLS sockets and other streams", async (t) => {
  const p = await pair();
  t.teardown(() => p.close());
  // The TLS layer's handle is not the kernel socket's: its queue says nothing about what was sent.
  const secure = tls.connect({ socket: p.client, rejectUnauthorized: false });
  secure.on("error", () => {});
  t.teardown(() => secure.destroy());
  t.equal(unsentBytes(secure), undefined, "TLS");
  t.equal(unsentBytes(new Duplex({ read() {}, write: (_c, _e, cb) => cb() })), undefined, "a Duplex");
  t.type(unsentBytes(p.peer), "number", "the plain socket beside them can");
});
