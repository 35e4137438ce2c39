import { randomBytes } from "node:crypto";
import t from "tap";
import * as websocket from "../../src/index.js";
import { echo, startWsPeer } from "../helpers/ws-server.js";

t.setTimeout(60_000);

t.test("text and binary messages from 0 bytes to 16 MiB echo back identically", async (t) => {
  const peer = await startWsPeer({ maxPayload: 64 * 1024 * 1024 }, echo);
  t.teardown(() => peer.close());
  const client = await websocket.connect(peer.url, { read_limit: 32 * 1024 * 1024 });
  const ch = client.channel();
  for (const size of [0, 1, 125, 126, 127, 65535, 65536, 65537, 1024 * 1024, 16 * 1024 * 1024]) {
    const bytes = randomBytes(size);
    await client.send(bytes);
    const [binary, ok1] = await ch.receive();
    t.ok(ok1);
    t.equal(binary?.type, "binary", `binary of ${size} bytes keeps its type`);
    t.ok(Buffer.compare(binary!.data as Buffer, bytes) === 0, `binary of ${size} bytes is intact`);
    const text = "é🎉a".repeat(Math.ceil(size / 7)).slice(0, size);
    await client.send(text);
    const [message, ok2] = await ch.receive();
    t.ok(ok2);
    t.equal(message?.type, "text");
    t.ok(message?.data === text, `text of ${text.length} code units is intact`);
  }
  await client.close();
  t.same(await client.closed, { code: 1000, reason: "", clean: true });
});

t.test("client.handshake gives the 101's status line and headers, the same object each time", async (t) => {
  const peer = await startWsPeer({}, echo);
  t.teardown(() => peer.close());
  peer.server.on("headers", (headers) => {
    headers.push("X-Trace:  abc def ", "Set-Cookie: a=1", "set-cookie: b=2");
  });
  const client = await websocket.connect(peer.url);
  const { handshake } = client;
  t.equal(handshake.status, 101);
  t.equal(handshake.statusText, "Switching Protocols");
  t.same(handshake.headers.upgrade, ["websocket"]);
  t.same(handshake.headers["x-trace"], ["abc def"]);
  t.same(handshake.headers["set-cookie"], ["a=1", "b=2"]);
  t.equal(
    Object.getPrototypeOf(handshake.headers),
    null,
    "a header named __proto__ could not reach a prototype",
  );
  t.equal(client.handshake, handshake, "parsed once, then kept");
  await client.close();
});

t.test("bytes sent as TEXT arrive as text, and a string sent as BINARY arrives as bytes", async (t) => {
  const peer = await startWsPeer({}, echo);
  t.teardown(() => peer.close());
  const client = await websocket.connect(peer.url);
  const ch = client.channel();
  await client.send(Buffer.from("héllo"), websocket.TEXT);
  t.same(await ch.receive(), [{ type: "text", data: "héllo" }, true]);
  await client.send("héllo", websocket.BINARY);
  const [m] = await ch.receive();
  t.equal(m?.type, "binary");
  t.same(m?.data, Buffer.from("héllo"));
  await client.close();
});

t.test("invalid send arguments reject with INVALID and send nothing", async (t) => {
  const peer = await startWsPeer();
  t.teardown(() => peer.close());
  const received: unknown[] = [];
  const client = await websocket.connect(peer.url);
  const server = await peer.connection();
  server.on("message", (d) => received.push(d));
  await t.rejects(client.send(Buffer.from([0xff, 0xfe]), websocket.TEXT), {
    name: "WebSocketError",
    kind: "INVALID",
  });
  await t.rejects(client.send("a\ud800b"), { name: "WebSocketError", kind: "INVALID" });
  // @ts-expect-error: the types refuse it too; at run time it is INVALID
  await t.rejects(client.send("x", 3), { name: "WebSocketError", kind: "INVALID" });
  await t.rejects(client.send(42 as unknown as string), { name: "WebSocketError", kind: "INVALID" });
  await t.rejects(client.ping("x".repeat(126)), { name: "WebSocketError", kind: "INVALID" });
  // @ts-expect-error: the types refuse it too; at run time it is INVALID
  await t.rejects(client.close(1005), { name: "WebSocketError", kind: "INVALID" });
  // @ts-expect-error: the types refuse it too; at run time it is INVALID
  await t.rejects(client.close(999), { name: "WebSocketError", kind: "INVALID" });
  await t.rejects(client.close(1000, "x".repeat(124)), { name: "WebSocketError", kind: "INVALID" });
  await client.send("after");
  await new Promise((r) => setTimeout(r, 50));
  t.same(
    received.map((d) => String(d)),
    ["after"],
    "only the valid message reached the server",
  );
  await client.close();
});

t.test("ping resolves when the server's pong arrives, and a server ping is answered", async (t) => {
  const peer = await startWsPeer();
  t.teardown(() => peer.close());
  const client = await websocket.connect(peer.url);
  const server = await peer.connection();
  t.equal(await client.ping(), true);
  t.equal(await client.ping("with data"), true);
  const pong = new Promise<Buffer>((resolve) => server.once("pong", resolve));
  server.ping(Buffer.from("are you there"));
  t.same(await pong, Buffer.from("are you there"));
  await client.close();
});

t.test("close codes and reasons travel both ways", async (t) => {
  const peer = await startWsPeer();
  t.teardown(() => peer.close());

  const a = await websocket.connect(peer.url);
  const sa = await peer.connection();
  const seen = new Promise<[number, string]>((resolve) =>
    sa.once("close", (c, r) => resolve([c, r.toString()])),
  );
  t.equal(await a.close(websocket.CLOSE_CODES.INTERNAL_ERROR, "Processing failed"), true);
  t.same(await seen, [1011, "Processing failed"], "the server saw our code and reason");
  t.same(await a.closed, { code: 1011, reason: "Processing failed", clean: true }, "ws echoes the code");
  t.equal(await a.close(), true, "closing twice resolves true");
  await t.rejects(a.send("late"), {
    name: "WebSocketError",
    kind: "INTERNAL",
    id: "CLIENT_CLOSED",
    retryable: false,
  });

  const b = await websocket.connect(peer.url);
  const sb = await peer.connection();
  sb.close(4001, "custom reason ✓");
  t.same(await b.closed, { code: 4001, reason: "custom reason ✓", clean: true });
  const [, ok] = await b.channel().receive();
  t.equal(ok, false, "the channel is closed after the close");

  const c = await websocket.connect(peer.url);
  const sc = await peer.connection();
  sc.close();
  t.same(await c.closed, { code: 1005, reason: "", clean: true }, "a Close without code reports 1005");
});

t.test("the server picks one of the offered subprotocols", async (t) => {
  const peer = await startWsPeer({ handleProtocols: (offered) => (offered.has("b") ? "b" : false) });
  t.teardown(() => peer.close());
  const client = await websocket.connect(peer.url, { protocols: ["a", "b"] });
  t.equal(client.protocol, "b");
  await client.close();
  const none = await websocket.connect(peer.url, { protocols: ["x"] });
  t.equal(none.protocol, "", "a server that picks none leaves protocol empty");
  await none.close();
});

t.test("custom headers reach the server with their names as given", async (t) => {
  const peer = await startWsPeer();
  t.teardown(() => peer.close());
  const seen = new Promise<string[]>((resolve) =>
    peer.server.once("connection", (_ws, request) => resolve(request.rawHeaders)),
  );
  const client = await websocket.connect(`${peer.url}/path?q=1`, {
    headers: { Authorization: "Bearer token", "X-CamelCase-Header": "v" },
  });
  const raw = await seen;
  t.ok(raw.includes("Authorization") && raw.includes("Bearer token"));
  t.ok(raw.includes("X-CamelCase-Header"), "the name's case is kept");
  await client.close();
  await t.rejects(websocket.connect(peer.url, { headers: { Upgrade: "h2c" } }), {
    name: "WebSocketError",
    kind: "INVALID",
  });
  await t.rejects(websocket.connect(peer.url, { headers: { "Bad Name": "v" } }), {
    name: "WebSocketError",
    kind: "INVALID",
  });
  await t.rejects(websocket.connect(peer.url, { headers: { X: "a\r\nInjected: 1" } }), {
    name: "WebSocketError",
    kind: "INVALID",
  });
});

t.test(
  "a message over read_limit closes the connection with 1009; one of exactly the limit passes",
  async (t) => {
    const peer = await startWsPeer();
    t.teardown(() => peer.close());
    const client = await websocket.connect(peer.url, { read_limit: 1000 });
    const server = await peer.connection();
    const serverClose = new Promise<number>((resolve) => server.once("close", (code) => resolve(code)));
    server.send(Buffer.alloc(1000));
    server.send(Buffer.alloc(1001));
    const [m] = await client.channel().receive();
    t.equal((m!.data as Buffer).length, 1000, "exactly read_limit bytes are accepted");
    t.equal(await serverClose, 1009, "the server received 1009");
    const info = await client.closed;
    t.equal(info.code, 1009);
    t.equal(info.clean, false);
  },
);

t.test("a server flood read late keeps memory bounded and delivers every message in order", async (t) => {
  const count = 20_000;
  const payload = Buffer.alloc(1024, 7);
  const peer = await startWsPeer();
  t.teardown(() => peer.close());
  const client = await websocket.connect(peer.url, { channel_capacity: 16 });
  const server = await peer.connection();
  for (let i = 0; i < count; i++) {
    payload.writeUInt32BE(i);
    server.send(Buffer.from(payload));
  }
  await new Promise((r) => setTimeout(r, 300));
  const ch = client.channel();
  t.ok(ch.length <= 16 + 64, `the channel holds at most about its capacity while unread (${ch.length})`);
  t.ok(
    server.bufferedAmount > 1024 * 1024,
    `the rest waits in the server's buffer (${server.bufferedAmount} bytes)`,
  );
  let next = 0;
  let inOrder = true;
  while (next < count) {
    const [m, ok] = await ch.receive();
    if (!ok) break;
    if ((m.data as Buffer).readUInt32BE(0) !== next) inOrder = false;
    next++;
  }
  t.equal(next, count, "every message arrived");
  t.ok(inOrder, "in order");
  await client.close();
});

t.test("an abrupt disconnect closes the channel and reports 1006", async (t) => {
  const peer = await startWsPeer();
  t.teardown(() => peer.close());
  const client = await websocket.connect(peer.url);
  const server = await peer.connection();
  server.send("before");
  await new Promise((r) => setTimeout(r, 30));
  server.terminate();
  const info = await client.closed;
  t.equal(info.code, 1006);
  t.equal(info.clean, false);
  const ch = client.channel();
  t.same(
    await ch.receive(),
    [{ type: "text", data: "before" }, true],
    "what arrived first is still received",
  );
  t.same(await ch.receive(), [undefined, false]);
  await t.rejects(client.send("x"), { name: "WebSocketError", kind: "INTERNAL", id: "CLIENT_CLOSED" });
  await t.rejects(client.ping(), { name: "WebSocketError", kind: "INTERNAL", id: "CLIENT_CLOSED" });
});

t.test(
  "connection failures are INTERNAL and retryable; a refused handshake carries its status",
  async (t) => {
    const peer = await startWsPeer({ verifyClient: (_info, cb) => cb(false, 503) });
    t.teardown(() => peer.close());
    await t.rejects(websocket.connect(peer.url), {
      name: "WebSocketError",
      kind: "INTERNAL",
      retryable: true,
      status: 503,
    });
    const forbidden = await startWsPeer({ verifyClient: (_info, cb) => cb(false, 403) });
    t.teardown(() => forbidden.close());
    await t.rejects(websocket.connect(forbidden.url), {
      name: "WebSocketError",
      kind: "INTERNAL",
      retryable: false,
      status: 403,
    });
    await t.rejects(websocket.connect("ws://127.0.0.1:1"), {
      name: "WebSocketError",
      kind: "INTERNAL",
      retryable: true,
    });
    await t.rejects(websocket.connect("http://127.0.0.1:1"), {
      name: "WebSocketError",
      kind: "INVALID",
      retryable: false,
    });
    await t.rejects(websocket.connect(peer.url, { read_limit: -1 }), {
      name: "WebSocketError",
      kind: "INVALID",
    });
    await t.rejects(websocket.connect(peer.url, { channel_capacity: 0 }), {
      name: "WebSocketError",
      kind: "INVALID",
    });
    await t.rejects(websocket.connect(peer.url, { dial_timeout: "5 parsecs" }), {
      name: "WebSocketError",
      kind: "INVALID",
    });
    await t.rejects(websocket.connect(peer.url, { typo_option: 1 } as never), {
      name: "WebSocketError",
      kind: "INVALID",
    });
  },
);

t.test(
  "close() completes the handshake at once, cleanly, while the channel is full and unread",
  async (t) => {
    const peer = await startWsPeer();
    t.teardown(() => peer.close());
    const client = await websocket.connect(peer.url, { channel_capacity: 2 });
    const server = await peer.connection();
    for (let i = 0; i < 50; i++) server.send(`m${i}`);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    t.equal(await client.close(), true);
    t.ok(Date.now() - started < 1500, `closed in ${Date.now() - started} ms`);
    t.same(await client.closed, { code: 1000, reason: "", clean: true });
    const ch = client.channel();
    t.same(
      await ch.receive(),
      [{ type: "text", data: "m0" }, true],
      "what was buffered is still received, in order",
    );
  },
);

t.test(
  "using a client after it failed rejects with INTERNAL, not retryable, with the failure as cause",
  async (t) => {
    const peer = await startWsPeer();
    t.teardown(() => peer.close());
    const client = await websocket.connect(peer.url, { read_timeout: 100 });
    await peer.connection();
    const info = await client.closed;
    t.equal(info.error?.kind, "TIMEOUT");
    const error = await client.send("late").then(
      () => undefined,
      (e: websocket.WebSocketError) => e,
    );
    t.equal(error?.kind, "INTERNAL");
    t.equal(error?.retryable, false);
    t.equal((error?.cause as websocket.WebSocketError | undefined)?.kind, "TIMEOUT");
    await t.rejects(client.ping(), { name: "WebSocketError", kind: "INTERNAL", retryable: false });
  },
);

t.test("large frames encoded into reused memory arrive intact, sent one by one or all at once", async (t) => {
  const peer = await startWsPeer({}, echo);
  t.teardown(() => peer.close());
  const client = await websocket.connect(peer.url);
  const ch = client.channel();
  const messages = Array.from({ length: 12 }, (_, i) => randomBytes(150_000 + (i % 3) * 40_000));
  for (const m of messages) {
    await client.send(m);
    const [echoed] = await ch.receive();
    t.ok(echoed?.type === "binary" && echoed.data.equals(m), `sequential ${m.length}`);
  }
  await Promise.all(messages.map((m) => client.send(m)));
  for (const m of messages) {
    const [echoed] = await ch.receive();
    t.ok(echoed?.type === "binary" && echoed.data.equals(m), `pipelined ${m.length}`);
  }
  await client.close();
});
