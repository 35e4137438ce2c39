// Hostile servers on real sockets: what the client holds for them stays within its bounds.
import { once } from "node:events";
import * as net from "node:net";
import t from "tap";
import { writesTogether } from "../../src/client/unsent.js";
import * as websocket from "../../src/index.js";
import { MAX_OWED_PONGS } from "../../src/protocol/outbox.js";
import { RawPeer, serverFrame } from "../helpers/raw-peer.js";

t.setTimeout(60_000);

const BINARY = 0x2;
const PING = 0x9;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

t.test(
  "channel_capacity 1: 20,000 empty frames in one write never leave more than one message in the channel",
  async (t) => {
    const peer = await RawPeer.start();
    t.teardown(() => peer.close());
    const client = await websocket.connect(peer.url, { channel_capacity: 1 });
    const conn = await peer.connection();
    const count = 20_000;
    await conn.write(Buffer.concat(Array.from({ length: count }, () => serverFrame(BINARY, ""))));
    await sleep(100);
    const ch = client.channel();
    t.equal(ch.length, 1, "exactly channel_capacity messages wait");
    let received = 0;
    let most = 0;
    while (received < count) {
      const [, ok] = await ch.receive();
      if (!ok) break;
      received++;
      most = Math.max(most, ch.length);
    }
    t.equal(received, count, "nothing is lost: the rest waited as bytes");
    t.ok(most <= 1, `the channel never held more than 1 (most: ${most})`);
    await client.close();
  },
);

t.test(
  "an application that stops reading: the client reads the rest of one read and one more, then TCP backpressure",
  async (t) => {
    const peer = await RawPeer.start();
    t.teardown(() => peer.close());
    const client = await websocket.connect(peer.url);
    const conn = await peer.connection();
    // 16 MiB of 16 B messages, far more than the kernel's buffers hold.
    const count = 1024 * 1024;
    const one = serverFrame(BINARY, "0123456789abcdef");
    const frames = Buffer.alloc(one.length * count);
    for (let at = 0; at < frames.length; at += one.length) one.copy(frames, at);
    void conn.write(frames);
    await sleep(300);
    const read = client.stats().bytesIn;
    // A read is at most 64 KiB: the engine stopped inside the first (channel_capacity messages in),
    // kept its rest as bytes, and the stream was paused when the next one came.
    t.ok(read <= 2 * 64 * 1024, `the client read ${read} bytes and then stopped`);
    t.ok(conn.socket.writableLength > 0, "the rest waits on the server's side");
    const ch = client.channel();
    let received = 0;
    while (received < count) {
      const batch = await ch.receiveBatch();
      if (batch.length === 0) break;
      received += batch.length;
    }
    t.equal(received, count, "and every message arrives once the application reads");
    const closing = client.close();
    await conn.answerClose();
    await closing;
  },
);

t.test("channel_byte_limit: unread bytes stop reading whatever the message count", async (t) => {
  const peer = await RawPeer.start();
  t.teardown(() => peer.close());
  const client = await websocket.connect(peer.url, {
    channel_capacity: 1000,
    channel_byte_limit: 256 * 1024,
  });
  const conn = await peer.connection();
  const message = Buffer.alloc(64 * 1024, 1);
  void conn.write(Buffer.concat(Array.from({ length: 32 }, () => serverFrame(BINARY, message))));
  await sleep(200);
  const ch = client.channel();
  t.equal(ch.length, 4, "4 × 64 KiB reach the 256 KiB bound; the rest waits in the kernel and as bytes");
  let received = 0;
  while (received < 32) {
    const [value, ok] = await ch.receive();
    if (!ok) break;
    t.ok(ch.length <= 4, "never more than the bound");
    if (value.type === "binary" && value.data.length === message.length) received++;
  }
  t.equal(received, 32);
  await client.close();
});

t.test(
  "a ping flood from a server that never reads costs the client a few owed pongs, not a queue",
  async (t) => {
    const peer = await RawPeer.start();
    t.teardown(() => peer.close());
    const client = await websocket.connect(peer.url);
    const conn = await peer.connection();
    conn.socket.pause();
    // A message the server never reads fills the kernel's buffers: from then on nothing the client
    // writes leaves, and every pong it owes would have to wait.
    const big = 32 * 1024 * 1024;
    void client.send(Buffer.alloc(big)).catch(() => {});
    const burst = Buffer.concat(
      Array.from({ length: 200 }, (_, i) => serverFrame(PING, `${i}`.padEnd(125, "p"))),
    );
    let sent = 0;
    let most = 0;
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      // Pings in many small writes, so that they reach the client in many reads.
      if (conn.socket.writableLength < 1024 * 1024) {
        conn.socket.write(burst);
        sent += 200;
      }
      most = Math.max(most, client.bufferedAmount);
      await sleep(1);
    }
    t.comment(`${sent} pings sent; most bytes the client held to write: ${most}`);
    t.ok(sent >= 10_000, "the flood was a flood");
    t.ok(most >= big, "the big message was stuck");
    t.ok(most <= big + 14 + MAX_OWED_PONGS * 131, "beside it, a bounded number of owed pongs");
    const info = client.closed;
    conn.socket.destroy();
    t.equal((await info).code, 1006);
  },
);

t.test("write_timeout: sends coalesced in one tick each report their own frame", async (t) => {
  const peer = await RawPeer.start();
  t.teardown(() => peer.close());
  const client = await websocket.connect(peer.url, { write_timeout: "1s" });
  const conn = await peer.connection();
  conn.socket.pause();
  const MiB = Buffer.alloc(1024 * 1024, 7);
  const outcomes = await Promise.all(
    Array.from({ length: 16 }, () =>
      client.send(MiB).then(
        () => "ok",
        (error: websocket.WebSocketError) => error.id,
      ),
    ),
  );
  t.comment(outcomes.join(" "));
  const firstFailure = outcomes.findIndex((o) => o !== "ok");
  t.ok(firstFailure > 0, "the frames the kernel took resolve");
  t.equal(
    outcomes[firstFailure],
    "WRITE_TIMEOUT",
    "the first frame it did not take fails with WRITE_TIMEOUT",
  );
  t.ok(
    outcomes.slice(firstFailure).every((o) => o === "WRITE_TIMEOUT"),
    "and so does every frame behind it",
  );
  const info = await client.closed;
  t.equal(info.error?.id, "WRITE_TIMEOUT");
  conn.socket.destroy();
});

t.test(
  "write_timeout: 64 KiB sends written together still settle frame by frame, as far as the kernel took them",
  async (t) => {
    const peer = await RawPeer.start();
    t.teardown(() => peer.close());
    const client = await websocket.connect(peer.url, { write_timeout: "1s" });
    const conn = await peer.connection();
    conn.socket.pause();
    const before = { ...writesTogether };
    const size = 64 * 1024;
    const payload = Buffer.alloc(size, 7);
    const count = 512;
    const outcomes: string[] = new Array(count).fill("pending");
    const sends = Array.from({ length: count }, (_, i) =>
      client.send(payload).then(
        () => {
          outcomes[i] = "ok";
        },
        (error: websocket.WebSocketError) => {
          outcomes[i] = error.id ?? "?";
        },
      ),
    );
    // Once the kernel is full, the peer reads 512 KiB shortly before the deadline: the kernel takes
    // more, part of it from a writev already under way, and the client must know what it took
    // when the deadline decides what failed.
    await sleep(800);
    const stuck = outcomes.filter((o) => o === "ok").length;
    const read = conn.socket.bytesRead;
    const more = (): void => {
      if (conn.socket.bytesRead - read >= 512 * 1024) {
        conn.socket.pause();
        conn.socket.off("data", more);
      }
    };
    conn.socket.on("data", more);
    conn.socket.resume();
    await Promise.all(sends);
    const info = await client.closed;
    t.equal(info.error?.id, "WRITE_TIMEOUT");
    const ok = outcomes.filter((o) => o === "ok").length;
    t.comment(
      `${writesTogether.count - before.count} writevs, ${writesTogether.reportedEarly - before.reportedEarly} frames ` +
        `reported taken before their writev completed; ${stuck} sends resolved before the peer read, ${ok} in the end`,
    );
    t.ok(writesTogether.count > before.count, "the frames went out in writevs");
    t.ok(ok > 0 && ok < count, "some frames were taken, some not");
    t.ok(
      outcomes.slice(0, ok).every((o) => o === "ok") &&
        outcomes.slice(ok).every((o) => o === "WRITE_TIMEOUT"),
      "the taken ones resolved, in order, and every frame behind them failed with WRITE_TIMEOUT",
    );
    // The kernel still delivers what it took: exactly the frames that resolved, and a part of the next at most.
    conn.socket.resume();
    await conn.ended;
    let whole = 0;
    for (;;) {
      const frame = await conn.nextFrame(200).catch(() => undefined);
      if (frame === undefined) break;
      if (frame.opcode === BINARY && frame.payload.length === size) whole++;
    }
    t.equal(whole, ok, "the peer received one whole frame for each send that resolved, no more");
  },
);

t.test(
  "a socket brought with a write buffer larger than a writev: sending goes on after the kernel took part of one",
  async (t) => {
    const peer = await RawPeer.start();
    t.teardown(() => peer.close());
    // Node emits 'drain' only after the buffered writes went past the high-water mark; here they
    // never do, so the client must not wait for one.
    // Node reads the stream options, which @types/node leaves out of the socket's.
    const options: net.SocketConstructorOpts & { writableHighWaterMark: number } = {
      writableHighWaterMark: 64 * 1024 * 1024,
    };
    const socket = new net.Socket(options);
    t.equal(socket.writableHighWaterMark, 64 * 1024 * 1024);
    socket.connect(Number(new URL(peer.url).port), "127.0.0.1");
    await once(socket, "connect");
    t.teardown(() => socket.destroy());
    const client = await websocket.connect(peer.url, { socket });
    const conn = await peer.connection();
    conn.socket.pause();
    const before = { ...writesTogether };
    const payload = Buffer.alloc(1024 * 1024, 7);
    const sent = Array.from({ length: 16 }, () => client.send(payload));
    await sleep(300);
    t.ok(writesTogether.count > before.count, "frames went out in a writev");
    conn.socket.resume();
    const all = Promise.all(sent).then(() => "all sent");
    const late = sleep(5000).then(() => `stalled at ${client.bufferedAmount} bytes buffered`);
    t.equal(await Promise.race([all, late]), "all sent", "every send resolved once the peer read");
    t.equal(
      await Promise.race([client.send("after").then(() => "sent"), late]),
      "sent",
      "and so does a later one",
    );
    const closing = client.close();
    await conn.answerClose();
    await closing;
  },
);

t.test("close() waiting on a paused socket keeps the process alive until close_timeout", async (t) => {
  const { spawn } = await import("node:child_process");
  const peer = await RawPeer.start();
  t.teardown(() => peer.close());
  const child = spawn(
    process.execPath,
    ["--import", "tsx", new URL("../helpers/close-paused-child.ts", import.meta.url).pathname, peer.url],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  // A child process loading TypeScript can take a while on a loaded machine.
  const conn = await peer.connection(30_000);
  // Messages the client never reads, and no answer to its Close.
  void conn.write(
    Buffer.concat(Array.from({ length: 100 }, () => serverFrame(BINARY, Buffer.alloc(16 * 1024)))),
  );
  let out = "";
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  t.equal(code, 0, "the process ran until closed resolved (13 would mean it exited with close() pending)");
  t.same(JSON.parse(out || "{}"), { unread: 4, code: 1006, id: "CLOSE_TIMEOUT" });
});
