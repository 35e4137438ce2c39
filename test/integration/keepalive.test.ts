import t from "tap";
import * as websocket from "../../src/index.js";
import { RawPeer, serverFrame } from "../helpers/raw-peer.js";
import { startWsPeer } from "../helpers/ws-server.js";

t.setTimeout(30_000);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

t.test("a peer that stops answering pings is detected within keepalive + keepalive_timeout", async (t) => {
  const peer = await RawPeer.start();
  t.teardown(() => peer.close());
  const started = Date.now();
  const client = await websocket.connect(peer.url, { keepalive: "100ms", keepalive_timeout: "150ms" });
  const conn = await peer.connection();
  const ping = await conn.nextFrame();
  t.equal(ping.opcode, 0x9, "the client pinged when idle");
  const info = await client.closed;
  const elapsed = Date.now() - started;
  t.equal(info.code, 1006);
  t.equal(info.clean, false);
  t.equal(info.error?.kind, "TIMEOUT");
  t.equal(info.error?.id, "KEEPALIVE_TIMEOUT");
  t.equal(info.error?.retryable, true);
  t.ok(elapsed >= 250 && elapsed < 1500, `failed after ${elapsed} ms (bound 250 ms)`);
  const late = await client.send("x").then(
    () => undefined,
    (e: websocket.WebSocketError) => e,
  );
  t.equal(late?.kind, "INTERNAL", "a send after the failure: the client is closed (API.md)");
  t.equal(late?.id, "CLIENT_CLOSED");
  t.equal(
    (late?.cause as websocket.WebSocketError | undefined)?.kind,
    "TIMEOUT",
    "why it closed is the cause",
  );
});

t.test("a healthy peer keeps the connection open, answering every keep-alive ping", async (t) => {
  const peer = await startWsPeer();
  t.teardown(() => peer.close());
  const client = await websocket.connect(peer.url, { keepalive: 40 });
  const server = await peer.connection();
  let pings = 0;
  server.on("ping", () => pings++);
  await sleep(400);
  t.ok(pings >= 4, `the server saw ${pings} pings`);
  await client.close();
  t.equal((await client.closed).code, 1000);
});

t.test(
  "a 16 MiB message streamed slowly does not trip the keep-alive, though its pings go unanswered",
  async (t) => {
    const peer = await RawPeer.start();
    t.teardown(() => peer.close());
    const client = await websocket.connect(peer.url, { keepalive: 60, read_limit: 16 * 1024 * 1024 });
    const conn = await peer.connection();
    const payload = Buffer.alloc(16 * 1024 * 1024, 0x61);
    const frame = serverFrame(0x2, payload);
    // ~1 s in 40 pieces: longer than keepalive + timeout many times over, with bytes every 25 ms.
    const piece = Math.ceil(frame.length / 40);
    for (let at = 0; at < frame.length; at += piece) {
      await conn.write(frame.subarray(at, at + piece));
      await sleep(25);
    }
    const [m, ok] = await client.channel().receive();
    t.ok(ok && m.type === "binary" && m.data.length === payload.length, "the message arrived whole");
    let settled = false;
    void client.closed.then(() => {
      settled = true;
    });
    t.equal(settled, false, "the connection is still open");
    const closing = client.close();
    await conn.answerClose();
    await closing;
  },
);

t.test(
  "a full channel does not make the keep-alive fail: the clock stops while the client holds the socket",
  async (t) => {
    const peer = await startWsPeer();
    t.teardown(() => peer.close());
    const client = await websocket.connect(peer.url, {
      keepalive: 50,
      keepalive_timeout: 50,
      channel_capacity: 2,
    });
    const server = await peer.connection();
    for (let i = 0; i < 2000; i++) server.send(Buffer.alloc(1024, i & 0xff));
    await sleep(600);
    let settled = false;
    void client.closed.then(() => {
      settled = true;
    });
    await sleep(0);
    t.equal(settled, false, "still open after 12 keep-alive periods without reading");
    let count = 0;
    const ch = client.channel();
    while (count < 2000) {
      const [, ok] = await ch.receive();
      if (!ok) break;
      count++;
    }
    t.equal(count, 2000, "every message is then received");
    await client.close();
  },
);

t.test("the seed's manual keep-alive with select and after keeps working", async (t) => {
  const peer = await startWsPeer();
  t.teardown(() => peer.close());
  const client = await websocket.connect(peer.url);
  const server = await peer.connection();
  let pings = 0;
  server.on("ping", () => pings++);
  setTimeout(() => server.close(1000, "done"), 250);
  const ch = client.channel();
  let heartbeat = websocket.after(50);
  while (true) {
    const r = await websocket.select([ch.case_receive(), heartbeat.case_receive()]);
    if (r.channel === heartbeat) {
      client.ping();
      heartbeat = websocket.after(50);
    } else if (!r.ok) break;
  }
  t.ok(pings >= 3, `${pings} manual pings reached the server`);
  t.equal((await client.closed).code, 1000);
});

t.test("keepalive options are validated", async (t) => {
  await t.rejects(websocket.connect("ws://127.0.0.1:1", { keepalive: "often" }), {
    name: "WebSocketError",
    kind: "INVALID",
  });
  await t.rejects(websocket.connect("ws://127.0.0.1:1", { keepalive: "1s", keepalive_timeout: -5 }), {
    name: "WebSocketError",
    kind: "INVALID",
  });
  await t.rejects(websocket.connect("ws://127.0.0.1:1", { keepalive_timeout: "5s" }), {
    name: "WebSocketError",
    kind: "INVALID",
  });
});
