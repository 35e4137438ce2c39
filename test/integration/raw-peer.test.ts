import t from "tap";
import * as websocket from "../../src/index.js";
import { closeCodeOf, closePayload, RawPeer, serverFrame } from "../helpers/raw-peer.js";

t.setTimeout(60_000);

const TEXT = 0x1;
const BINARY = 0x2;
const CONT = 0x0;
const CLOSE = 0x8;
const PING = 0x9;
const PONG = 0xa;

/** Connects, has the peer write `bytes`, and returns the close code of the client's Close frame. */
async function closeCodeFor(bytes: Buffer, options: websocket.ConnectOptions = {}): Promise<number> {
  const peer = await RawPeer.start();
  try {
    const client = await websocket.connect(peer.url, options);
    const conn = await peer.connection();
    await conn.write(bytes);
    const frames = await conn.framesUntilClose();
    const close = frames[frames.length - 1]!;
    conn.end();
    const info = await client.closed;
    if (info.clean) throw new Error("a failed connection must not be reported as clean");
    const code = closeCodeOf(close);
    // The error names what failed, and its identifier is the one behind the code sent.
    const expected = { 1002: "PROTOCOL_ERROR", 1007: "INVALID_UTF8", 1009: "MESSAGE_TOO_LARGE" }[code];
    if (info.error?.id !== expected) throw new Error(`close ${code} reported as ${info.error?.id}`);
    if (info.code !== code || info.error?.code !== code)
      throw new Error(`close ${code} reported as ${info.code}`);
    return code;
  } finally {
    await peer.close();
  }
}

const cases: [string, Buffer, number][] = [
  ["a masked frame from the server", serverFrame(TEXT, "hi", { mask: true }), 1002],
  ["RSV1 without a negotiated extension", serverFrame(TEXT, "hi", { rsv: 4 }), 1002],
  ["RSV2", serverFrame(TEXT, "hi", { rsv: 2 }), 1002],
  ["RSV3", serverFrame(BINARY, "hi", { rsv: 1 }), 1002],
  ["reserved data opcode 3", serverFrame(3, "x"), 1002],
  ["reserved data opcode 7", serverFrame(7, "x"), 1002],
  ["reserved control opcode 11", serverFrame(11, "x"), 1002],
  ["reserved control opcode 15", serverFrame(15, ""), 1002],
  ["a ping longer than 125 bytes", serverFrame(PING, Buffer.alloc(126)), 1002],
  ["a fragmented ping", serverFrame(PING, "a", { fin: false }), 1002],
  ["a continuation without a message", serverFrame(CONT, "x"), 1002],
  [
    "a new text frame inside a fragmented message",
    Buffer.concat([serverFrame(TEXT, "a", { fin: false }), serverFrame(TEXT, "b")]),
    1002,
  ],
  ["a Close with a 1-byte payload", serverFrame(CLOSE, Buffer.from([3])), 1002],
  ["a Close with code 999", serverFrame(CLOSE, closePayload(999)), 1002],
  ["a Close with code 1005", serverFrame(CLOSE, closePayload(1005)), 1002],
  ["a Close with code 1016", serverFrame(CLOSE, closePayload(1016)), 1002],
  ["a Close with code 5000", serverFrame(CLOSE, closePayload(5000)), 1002],
  [
    "a Close whose reason is not UTF-8",
    serverFrame(CLOSE, Buffer.concat([closePayload(1000), Buffer.from([0xce, 0xba, 0xff])])),
    1007,
  ],
  ["invalid UTF-8 in a text frame", serverFrame(TEXT, Buffer.from([0x61, 0xed, 0xa0, 0x80])), 1007],
  [
    "invalid UTF-8 in the second fragment",
    Buffer.concat([serverFrame(TEXT, "ok", { fin: false }), serverFrame(CONT, Buffer.from([0xc0, 0x80]))]),
    1007,
  ],
  ["a 64-bit length with its top bit set", Buffer.from([0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1]), 1002],
];

for (const [name, bytes, code] of cases) {
  t.test(`the client closes with ${code} on ${name}`, async (t) => {
    t.equal(await closeCodeFor(bytes), code);
  });
}

t.test(
  "a frame header announcing more than read_limit closes with 1009 before the payload arrives",
  async (t) => {
    const header = Buffer.from([0x82, 126, 0x04, 0x01]); // 1025 bytes announced, none sent
    t.equal(await closeCodeFor(header, { read_limit: 1024 }), 1009);
  },
);

t.test("fragments whose sum passes read_limit close with 1009", async (t) => {
  const bytes = Buffer.concat([
    serverFrame(BINARY, Buffer.alloc(600), { fin: false }),
    serverFrame(CONT, Buffer.alloc(600)),
  ]);
  t.equal(await closeCodeFor(bytes, { read_limit: 1024 }), 1009);
});

t.test(
  "messages before a protocol error are delivered and their echo goes out before the Close",
  async (t) => {
    const peer = await RawPeer.start();
    t.teardown(() => peer.close());
    const client = await websocket.connect(peer.url);
    const conn = await peer.connection();
    await conn.write(
      Buffer.concat([serverFrame(TEXT, "first"), serverFrame(BINARY, "second"), serverFrame(3, "bad")]),
    );
    const echoing = (async () => {
      for await (const message of client.channel()) await client.send(message.data);
    })();
    const frames = await conn.framesUntilClose();
    t.same(
      frames.map((f) => [f.opcode, f.opcode === CLOSE ? closeCodeOf(f) : f.payload.toString()]),
      [
        [TEXT, "first"],
        [BINARY, "second"],
        [CLOSE, 1002],
      ],
    );
    t.ok(
      frames.every((f) => f.masked),
      "every client frame is masked",
    );
    conn.end();
    await echoing;
    const info = await client.closed;
    t.equal(info.code, 1002);
    t.equal(info.clean, false);
    t.equal(info.error?.code, 1002);
  },
);

t.test(
  "fragmented messages are reassembled, with control frames between fragments answered in place",
  async (t) => {
    const peer = await RawPeer.start();
    t.teardown(() => peer.close());
    const client = await websocket.connect(peer.url);
    const conn = await peer.connection();
    await conn.write(
      Buffer.concat([
        serverFrame(TEXT, "frag", { fin: false }),
        serverFrame(PING, "p1"),
        serverFrame(CONT, "men", { fin: false }),
        serverFrame(PONG, "unsolicited"),
        serverFrame(CONT, "ted ✓"),
      ]),
    );
    t.same(await client.channel().receive(), [{ type: "text", data: "fragmented ✓" }, true]);
    const pong = await conn.nextFrame();
    t.same([pong.opcode, pong.payload.toString()], [PONG, "p1"]);
    const closing = client.close();
    await conn.answerClose();
    t.equal(await closing, true);
  },
);

t.test(
  "a server Close is echoed with its code, then the client waits for the server to end TCP",
  async (t) => {
    const peer = await RawPeer.start();
    t.teardown(() => peer.close());
    const client = await websocket.connect(peer.url);
    const conn = await peer.connection();
    await conn.write(serverFrame(CLOSE, closePayload(4321, "bye")));
    const reply = await conn.nextFrame();
    t.equal(reply.opcode, CLOSE);
    t.equal(closeCodeOf(reply), 4321);
    let settled = false;
    void client.closed.then(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 100));
    t.equal(settled, false, "the client leaves ending TCP to the server");
    conn.end();
    t.same(await client.closed, { code: 4321, reason: "bye", clean: true });
    await conn.ended;
  },
);

t.test("a server that never ends TCP after the closing handshake is cut off after a bound", async (t) => {
  const peer = await RawPeer.start();
  t.teardown(() => peer.close());
  const client = await websocket.connect(peer.url);
  const conn = await peer.connection();
  await conn.write(serverFrame(CLOSE, closePayload(1000)));
  await conn.nextFrame();
  const started = Date.now();
  t.same(await client.closed, { code: 1000, reason: "", clean: true });
  t.ok(Date.now() - started < 3000, "the wait is bounded");
});

t.test("a TCP end without a Close reports 1006 and keeps the messages received before it", async (t) => {
  const peer = await RawPeer.start();
  t.teardown(() => peer.close());
  const client = await websocket.connect(peer.url);
  const conn = await peer.connection();
  await conn.write(serverFrame(TEXT, "last words"));
  conn.end();
  const info = await client.closed;
  t.equal(info.code, 1006);
  t.equal(info.clean, false);
  t.same(await client.channel().receive(), [{ type: "text", data: "last words" }, true]);
  t.same(await client.channel().receive(), [undefined, false]);
});

t.test("sends queued before close() are written before the Close frame", async (t) => {
  const peer = await RawPeer.start();
  t.teardown(() => peer.close());
  const client = await websocket.connect(peer.url);
  const conn = await peer.connection();
  const sends = [client.send("one"), client.send("two"), client.send(Buffer.from("three"))];
  const closing = client.close(1000, "done");
  await Promise.all(sends);
  const frames = await conn.framesUntilClose();
  t.same(
    frames.map((f) =>
      f.opcode === CLOSE ? [closeCodeOf(f), f.payload.subarray(2).toString()] : f.payload.toString(),
    ),
    ["one", "two", "three", [1000, "done"]],
  );
  await conn.write(serverFrame(CLOSE, closePayload(1000)));
  conn.end();
  t.equal(await closing, true);
  t.same(await client.closed, { code: 1000, reason: "", clean: true });
});

t.test("sends still queued when the connection is lost reject; none is left hanging", async (t) => {
  const peer = await RawPeer.start();
  t.teardown(() => peer.close());
  const client = await websocket.connect(peer.url);
  const conn = await peer.connection();
  conn.socket.pause();
  const big = Buffer.alloc(4 * 1024 * 1024);
  const sends = Array.from({ length: 8 }, () => client.send(big));
  await new Promise((r) => setTimeout(r, 50));
  conn.destroy();
  const results = await Promise.allSettled(sends);
  t.ok(
    results.every(
      (r) => r.status === "fulfilled" || (r.reason as websocket.WebSocketError).kind === "INTERNAL",
    ),
    "each send either went out or rejected with INTERNAL",
  );
  t.ok(
    results.some((r) => r.status === "rejected"),
    "the ones the socket never took rejected",
  );
  t.equal((await client.closed).code, 1006);
});

t.test("the handshake response may arrive one byte at a time, with frames right behind it", async (t) => {
  const net = await import("node:net");
  const { createHash } = await import("node:crypto");
  const server = net.createServer((socket) => {
    socket.once("data", async (chunk) => {
      const key = /sec-websocket-key: (.*)\r\n/i.exec(chunk.toString())?.[1] ?? "";
      const accept = createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
      const bytes = Buffer.concat([
        Buffer.from(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
        ),
        serverFrame(TEXT, "right behind"),
      ]);
      socket.setNoDelay(true);
      for (const byte of bytes) {
        socket.write(Buffer.from([byte]));
        await new Promise((r) => setImmediate(r));
      }
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as import("node:net").AddressInfo).port;
  const client = await websocket.connect(`ws://127.0.0.1:${port}`, { close_timeout: "100ms" });
  t.same(await client.channel().receive(), [{ type: "text", data: "right behind" }, true]);
  const started = Date.now();
  client.close();
  const info = await client.closed;
  t.equal(info.code, 1006, "this server never answers the Close: the wait is bounded by close_timeout");
  t.equal(info.error?.id, "CLOSE_TIMEOUT");
  t.ok(Date.now() - started < 2000, `gave up after ${Date.now() - started} ms`);
});

t.test(
  "deadlines run on the monotonic clock: the wall clock set back an hour delays no close_timeout",
  async (t) => {
    t.setTimeout(10_000);
    const peer = await RawPeer.start();
    t.teardown(() => peer.close());
    const client = await websocket.connect(peer.url, { close_timeout: "200ms" });
    await peer.connection();
    const wallClock = Date.now;
    t.teardown(() => {
      Date.now = wallClock;
    });
    const started = performance.now();
    client.close();
    // As an NTP step or a user setting the clock would: every later Date.now() is an hour earlier.
    Date.now = () => wallClock() - 3_600_000;
    const info = await client.closed;
    const took = performance.now() - started;
    t.equal(info.error?.id, "CLOSE_TIMEOUT", "the peer never answered our Close");
    t.ok(took >= 150 && took < 2000, `gave up after ${Math.round(took)} ms, not an hour`);
  },
);

t.test("wrong handshake answers reject, not retryable, and name the problem", async (t) => {
  const answers: [string, (accept: string) => string, RegExp, boolean][] = [
    [
      "a bad Sec-WebSocket-Accept",
      () =>
        "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAA\r\n\r\n",
      /Accept/i,
      false,
    ],
    [
      "an unoffered protocol",
      (a) =>
        `HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${a}\r\nSec-WebSocket-Protocol: chat\r\n\r\n`,
      /protocol/i,
      false,
    ],
    [
      "an unoffered extension",
      (a) =>
        `HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${a}\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n`,
      /extension/i,
      false,
    ],
    [
      "a redirect",
      () => "HTTP/1.1 302 Found\r\nLocation: ws://elsewhere.example/\r\n\r\n",
      /elsewhere\.example/,
      false,
    ],
    ["a 429", () => "HTTP/1.1 429 Too Many Requests\r\n\r\n", /429/, true],
    ["an oversize header block", () => `HTTP/1.1 101 OK\r\nX-Big: ${"a".repeat(20000)}\r\n\r\n`, /./, false],
  ];
  for (const [name, respond, pattern, retryable] of answers) {
    const peer = await RawPeer.start({ respond: (_r, accept) => respond(accept) });
    const error = await websocket.connect(peer.url).then(
      () => undefined,
      (e: websocket.WebSocketError) => e,
    );
    t.ok(error instanceof websocket.WebSocketError, `${name} rejects`);
    t.equal(error?.kind, "INTERNAL", `${name} is INTERNAL`);
    t.equal(error?.retryable, retryable, `${name} retryable is ${retryable}`);
    t.match(error?.message, pattern, `${name}: ${error?.message}`);
    await peer.close();
  }
});

t.test("the opening handshake request follows RFC 6455 §4.1", async (t) => {
  const peer = await RawPeer.start();
  t.teardown(() => peer.close());
  const client = await websocket.connect(`${peer.url}/chat?room=1`, { protocols: ["a", "b"] });
  const conn = await peer.connection();
  const r = conn.request;
  t.equal(r.requestLine, "GET /chat?room=1 HTTP/1.1");
  t.equal(r.headers.host, peer.url.slice("ws://".length));
  t.match(r.headers.upgrade, /^websocket$/i);
  t.match(r.headers.connection, /upgrade/i);
  t.equal(r.headers["sec-websocket-version"], "13");
  t.equal(Buffer.from(r.headers["sec-websocket-key"] ?? "", "base64").length, 16);
  t.equal(r.headers["sec-websocket-protocol"], "a, b");
  const closing = client.close();
  await conn.answerClose();
  await closing;
});

t.test("a dial that gets no handshake answer times out as TIMEOUT, retryable", async (t) => {
  const net = await import("node:net");
  const server = net.createServer((s) => s.on("error", () => {}));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => {
    server.close();
  });
  const port = (server.address() as import("node:net").AddressInfo).port;
  const started = Date.now();
  await t.rejects(websocket.connect(`ws://127.0.0.1:${port}`, { dial_timeout: "200ms" }), {
    name: "WebSocketError",
    kind: "TIMEOUT",
    retryable: true,
  });
  t.ok(Date.now() - started < 2000);
  server.unref();
});

t.test("a 4 MiB message in 64-byte fragments is accepted (Autobahn 9.3-like)", async (t) => {
  const peer = await RawPeer.start();
  t.teardown(() => peer.close());
  const client = await websocket.connect(peer.url);
  const conn = await peer.connection();
  const message = Buffer.alloc(4 * 1024 * 1024);
  for (let i = 0; i < message.length; i++) message[i] = i & 0xff;
  const frames: Buffer[] = [];
  for (let at = 0; at < message.length; at += 64) {
    const last = at + 64 >= message.length;
    frames.push(serverFrame(at === 0 ? BINARY : CONT, message.subarray(at, at + 64), { fin: last }));
  }
  await conn.write(Buffer.concat(frames));
  const [m] = await client.channel().receive();
  t.ok(m?.type === "binary" && m.data.equals(message), "the message is intact");
  const closing = client.close();
  await conn.answerClose();
  await closing;
});

t.test(
  "a message in 1-byte fragments, written in 7-byte TCP chunks from another process, arrives intact",
  async (t) => {
    const { spawn } = await import("node:child_process");
    const { fileURLToPath } = await import("node:url");
    const size = 512 * 1024;
    const script = fileURLToPath(new URL("../helpers/tiny-chunk-peer.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import=tsx", script, String(size)], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    t.teardown(() => {
      child.kill();
    });
    const lines = child.stdout.setEncoding("utf8");
    const nextLine = (): Promise<string> =>
      new Promise((resolve) => lines.once("data", (d: string) => resolve(d.trim())));
    const url = await nextLine();
    const client = await websocket.connect(url);
    const received = client.channel().receive();
    t.equal(await nextLine(), "half");
    child.stdin.write("go\n");
    const [m] = await received;
    t.equal(m?.type === "binary" ? m.data.length : -1, size);
    t.ok(m?.type === "binary" && m.data.every((b, i) => b === (i & 0xff)), "the bytes are in order");
    await client.close();
    await new Promise((resolve) => child.on("exit", resolve));
  },
);

t.test(
  "a server that ends TCP during the handshake fails the dial at once, not at dial_timeout",
  async (t) => {
    const net = await import("node:net");
    for (const answer of ["", "HTTP/1.1 101 Switching"]) {
      const server = net.createServer({ allowHalfOpen: true }, (socket) => {
        socket.on("error", () => {});
        socket.once("data", () => socket.end(answer));
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const port = (server.address() as import("node:net").AddressInfo).port;
      const started = Date.now();
      await t.rejects(websocket.connect(`ws://127.0.0.1:${port}`, { dial_timeout: "10s" }), {
        name: "WebSocketError",
        kind: "INTERNAL",
        retryable: true,
      });
      t.ok(
        Date.now() - started < 2000,
        `failed in ${Date.now() - started} ms after ${JSON.stringify(answer)}`,
      );
      await new Promise<void>((r) => server.close(() => r()));
    }
  },
);
