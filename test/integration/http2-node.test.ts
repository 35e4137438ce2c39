import { randomBytes } from "node:crypto";
import * as http2 from "node:http2";
import * as net from "node:net";
import t, { type Test } from "tap";
import { WebSocketServer } from "ws";
import { fallbackMemory } from "../../src/client/http2/dial.js";
import { sessionPool } from "../../src/client/http2/pool.js";
import * as websocket from "../../src/index.js";
import { haveOpenssl, makeCerts } from "../helpers/certs.js";
import { startProxy } from "../helpers/connect-proxy.js";
import { type H2Peer, type H2PeerOptions, startH2Peer } from "../helpers/h2-ws-server.js";
import { startWss } from "../helpers/wss-server.js";

/**
 * WebSockets over HTTP/2 against Node's own http2 server (ws's WebSocket on each stream): an
 * RFC 8441 peer independent of haproxy, and one without SETTINGS_ENABLE_CONNECT_PROTOCOL for the
 * fallback.
 */

t.setTimeout(90_000);
const certs = haveOpenssl() ? makeCerts() : undefined;

function echoing(ws: import("ws").WebSocket): void {
  ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
}

async function peer(t: Test, options: H2PeerOptions = {}): Promise<H2Peer> {
  const p = await startH2Peer(options, echoing);
  t.teardown(() => p.close());
  return p;
}

/** The error `promise` rejects with (or a resolution, which fails the match). */
function failed(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => value,
    (error: unknown) => error,
  );
}

/** Waits until `check` holds, for at most 5 s. */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

t.beforeEach(() => fallbackMemory.clear());

t.test("text, binary, 4 MiB and compressed messages echo over one HTTP/2 stream", async (t) => {
  const p = await peer(t);
  const client = await websocket.connect(`ws://127.0.0.1:${p.port}/echo?x=1`, {
    http2: true,
    compression: websocket.COMPRESSION.CONTEXT_TAKEOVER,
    protocols: ["one", "two"],
  });
  t.equal(client.httpVersion, "2");
  t.equal(client.protocol, "one");
  t.match(client.extensions, /^permessage-deflate/);
  t.match(p.requests[0], {
    ":method": "CONNECT",
    ":protocol": "websocket",
    ":scheme": "http",
    ":path": "/echo?x=1",
    ":authority": `127.0.0.1:${p.port}`,
    "sec-websocket-version": "13",
    "sec-websocket-protocol": "one, two",
  });
  t.notOk("sec-websocket-key" in p.requests[0]!);
  const ch = client.channel();
  await client.send("héllo");
  t.same(await ch.receive(), [{ type: "text", data: "héllo" }, true]);
  const bytes = randomBytes(4 * 1024 * 1024);
  await client.send(bytes);
  const [big] = await ch.receive();
  t.equal(big?.type, "binary");
  t.ok(Buffer.compare(big!.data as Buffer, bytes) === 0, "4 MiB binary is intact");
  const text = "compressible ".repeat(20_000);
  await client.send(text);
  t.same(await ch.receive(), [{ type: "text", data: text }, true]);
  t.ok(await client.ping());
  await client.close(4000, "done");
  t.same(await client.closed, { code: 4000, reason: "done", clean: true });
  await until(() => sessionPool.size === 0, "the idle session to close");
});

t.test("the server's close code and reason reach the client", async (t) => {
  const p = await peer(t);
  const client = await websocket.connect(`ws://127.0.0.1:${p.port}/`, { http2: true });
  const server = await p.connection();
  server.close(4321, "server says bye");
  t.same(await client.closed, { code: 4321, reason: "server says bye", clean: true });
  const [, ok] = await client.channel().receive();
  t.notOk(ok, "the channel closes");
});

t.test("connections to one origin share one session; closing one ends its stream only", async (t) => {
  const p = await peer(t);
  const url = `ws://127.0.0.1:${p.port}/`;
  const clients = await Promise.all(
    Array.from({ length: 20 }, () => websocket.connect(url, { http2: true })),
  );
  t.equal(p.sessions(), 1, "one TCP connection for 20 WebSockets");
  await clients[0]!.close();
  const ch = clients[1]!.channel();
  await clients[1]!.send("still here");
  t.same(await ch.receive(), [{ type: "text", data: "still here" }, true]);
  await Promise.all(clients.slice(1).map((c) => c.close()));
  await until(() => sessionPool.size === 0, "the idle session to close");
  const again = await websocket.connect(url, { http2: true });
  t.equal(p.sessions(), 2, "a new session after the idle one closed");
  await again.close();
});

t.test("past the server's SETTINGS_MAX_CONCURRENT_STREAMS a second session is opened", async (t) => {
  const p = await peer(t, { maxConcurrentStreams: 3 });
  const url = `ws://127.0.0.1:${p.port}/`;
  const clients = await Promise.all(Array.from({ length: 7 }, () => websocket.connect(url, { http2: true })));
  t.equal(p.sessions(), 3, "7 streams at 3 a session take 3 sessions");
  for (const [i, c] of clients.entries()) {
    await c.send(`n${i}`);
    t.same(await c.channel().receive(), [{ type: "text", data: `n${i}` }, true]);
  }
  await Promise.all(clients.map((c) => c.close()));
});

t.test("GOAWAY with an error fails the open connections with a retryable error", async (t) => {
  const p = await peer(t);
  const url = `ws://127.0.0.1:${p.port}/`;
  const clients = await Promise.all([1, 2, 3].map(() => websocket.connect(url, { http2: true })));
  p.goaway(http2.constants.NGHTTP2_INTERNAL_ERROR);
  for (const client of clients) {
    const info = await client.closed;
    t.equal(info.code, 1006);
    t.equal(info.clean, false);
    t.equal(info.error?.retryable, true, "retryable");
  }
  await until(() => sessionPool.size === 0, "the session to leave the pool");
});

t.test("a graceful GOAWAY lets open streams finish and sends the next dial to a new session", async (t) => {
  const p = await peer(t);
  const url = `ws://127.0.0.1:${p.port}/`;
  const first = await websocket.connect(url, { http2: true });
  p.goaway(0);
  await until(() => sessionPool.size === 0, "the session to leave the pool");
  await first.send("after goaway");
  t.same(await first.channel().receive(), [{ type: "text", data: "after goaway" }, true]);
  const second = await websocket.connect(url, { http2: true });
  t.equal(p.sessions(), 2);
  await Promise.all([first.close(), second.close()]);
});

t.test("the server going away ends every open stream with 1006, none left hanging", async (t) => {
  const p = await peer(t);
  const url = `ws://127.0.0.1:${p.port}/`;
  const clients = await Promise.all([1, 2, 3].map(() => websocket.connect(url, { http2: true })));
  await p.close();
  // Streams the server ended first see an end of stream, as a FIN over HTTP/1.1 (the Client
  // reports it the same way); the others fail with the session: HTTP2_SESSION_LOST, retryable.
  for (const client of clients) {
    const info = await client.closed;
    t.equal(info.code, 1006);
    t.equal(info.clean, false);
    const cause = info.error?.cause as { id?: string } | undefined;
    if (cause?.id !== undefined) t.equal(cause.id, "HTTP2_SESSION_LOST");
  }
  await until(() => sessionPool.size === 0, "the session to leave the pool");
});

t.test("a refused stream and a 503 fail the dial retryably; a 403 does not", async (t) => {
  const refused = await peer(t, { reset: http2.constants.NGHTTP2_REFUSED_STREAM });
  const error = await websocket.connect(`ws://127.0.0.1:${refused.port}/`, { http2: true }).catch((e) => e);
  t.match(error, { id: "HTTP2_SESSION_LOST", retryable: true });
  const busy = await peer(t, { status: 503 });
  const busyError = await websocket.connect(`ws://127.0.0.1:${busy.port}/`, { http2: true }).catch((e) => e);
  t.match(busyError, { id: "HANDSHAKE_STATUS", status: 503, retryable: true });
  const forbidden = await peer(t, { status: 403 });
  const forbiddenError = await websocket
    .connect(`ws://127.0.0.1:${forbidden.port}/`, { http2: true })
    .catch((e) => e);
  t.match(forbiddenError, { id: "HANDSHAKE_STATUS", status: 403, retryable: false });
  await until(() => sessionPool.size === 0, "the sessions to close");
});

t.test("http2: true refuses a server without SETTINGS_ENABLE_CONNECT_PROTOCOL", async (t) => {
  const p = await peer(t, { enableConnectProtocol: false });
  t.match(await failed(websocket.connect(`ws://127.0.0.1:${p.port}/`, { http2: true })), {
    id: "HTTP2_UNSUPPORTED",
    kind: "INTERNAL",
    retryable: false,
  });
  t.equal(p.requests.length, 0, "no extended CONNECT was sent (RFC 8441 §3)");
  await until(() => sessionPool.size === 0, "the session to close");
});

t.test('http2: "auto" on ws: stays on HTTP/1.1 (no prior knowledge unless asked)', async (t) => {
  const p = await peer(t);
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as net.AddressInfo).port;
  const client = await websocket.connect(`ws://127.0.0.1:${port}/`, { http2: "auto" });
  t.equal(client.httpVersion, "1.1");
  await client.close();
  t.equal(p.sessions(), 0);
});

t.test(
  'options: http2 must be true, false or "auto"; HTTP/1.1-only headers are INVALID over HTTP/2',
  async (t) => {
    t.match(await failed(websocket.connect("ws://127.0.0.1:1/", { http2: "yes" as never })), {
      kind: "INVALID",
    });
    t.match(
      await failed(websocket.connect("ws://127.0.0.1:1/", { http2: true, headers: { "Keep-Alive": "5" } })),
      {
        kind: "INVALID",
      },
    );
  },
);

t.test("the policy is checked before the session's socket opens", async (t) => {
  const p = await peer(t);
  t.match(
    await failed(
      websocket.connect(`ws://127.0.0.1:${p.port}/`, { http2: true, policy: { private_networks: false } }),
    ),
    { kind: "PERMISSION_DENIED" },
  );
  t.match(
    await failed(
      websocket.connect(`ws://127.0.0.1:${p.port}/`, {
        http2: true,
        policy: { connect: false },
      }),
    ),
    { kind: "PERMISSION_DENIED" },
  );
  t.equal(p.sessions(), 0, "no TCP connection reached the server");
  // A session opened for a permissive dial is not handed to a stricter one.
  const open = await websocket.connect(`ws://127.0.0.1:${p.port}/`, { http2: true });
  t.match(
    await failed(
      websocket.connect(`ws://127.0.0.1:${p.port}/`, { http2: true, policy: { private_networks: false } }),
    ),
    { kind: "PERMISSION_DENIED" },
  );
  await open.close();
});

t.test("dial_timeout bounds a server that never sends its SETTINGS; the signal cancels", async (t) => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => silent.close(() => resolve()));
  });
  const port = (silent.address() as net.AddressInfo).port;
  const started = Date.now();
  t.match(await failed(websocket.connect(`ws://127.0.0.1:${port}/`, { http2: true, dial_timeout: 300 })), {
    kind: "TIMEOUT",
  });
  t.ok(Date.now() - started < 3000, "bounded by dial_timeout");
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  t.match(
    await failed(websocket.connect(`ws://127.0.0.1:${port}/`, { http2: true, signal: controller.signal })),
    {
      kind: "CANCELED",
    },
  );
  await until(() => sessionPool.size === 0, "the abandoned sessions to go");
});

t.test("an open HTTP/2 connection closes with 1001 when its signal aborts", async (t) => {
  const p = await peer(t);
  const controller = new AbortController();
  const client = await websocket.connect(`ws://127.0.0.1:${p.port}/`, {
    http2: true,
    signal: controller.signal,
  });
  controller.abort();
  const info = await client.closed;
  t.equal(info.code, 1001);
  t.equal(info.clean, true);
});

t.test("a full receive channel pauses the stream: HTTP/2 flow control holds the server back", async (t) => {
  const p = await peer(t);
  const client = await websocket.connect(`ws://127.0.0.1:${p.port}/`, { http2: true, channel_capacity: 1 });
  const server = await p.connection();
  const chunk = Buffer.alloc(64 * 1024, 1);
  for (let i = 0; i < 64; i++) server.send(chunk);
  // 4 MiB offered; the client takes one message and holds the stream paused behind a full channel.
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.ok(server.bufferedAmount > 2 * 1024 * 1024, `the server still holds ${server.bufferedAmount} bytes`);
  const ch = client.channel();
  for (let i = 0; i < 64; i++) {
    const [m] = await ch.receive();
    t.equal((m?.data as Buffer | undefined)?.length, chunk.length);
  }
  await client.close();
});

t.test(
  "wss: falls back to HTTP/1.1 when the server lacks the setting, and remembers",
  { skip: certs === undefined },
  async (t) => {
    const p = await peer(t, { enableConnectProtocol: false, tls: certs!.server, allowHTTP1: true });
    const wss = new WebSocketServer({ server: p.server as never });
    wss.on("connection", echoing);
    t.teardown(() => wss.close());
    const url = `wss://127.0.0.1:${p.port}/`;
    const tls = { ca: certs!.ca.cert };
    const first = await websocket.connect(url, { http2: "auto", tls });
    t.equal(first.httpVersion, "1.1");
    await first.send("over 1.1");
    t.same(await first.channel().receive(), [{ type: "text", data: "over 1.1" }, true]);
    t.equal(p.sessions(), 1, "one HTTP/2 session learnt that the server does not allow it");
    const second = await websocket.connect(url, { http2: "auto", tls });
    t.equal(second.httpVersion, "1.1");
    t.equal(p.sessions(), 1, "the next connection did not ask again");
    await Promise.all([first.close(), second.close()]);
  },
);

t.test(
  "wss: with ALPN h2 over TLS; a 501 falls back in auto mode",
  { skip: certs === undefined },
  async (t) => {
    const good = await peer(t, { tls: certs!.server });
    const tls = { ca: certs!.ca.cert };
    const client = await websocket.connect(`wss://127.0.0.1:${good.port}/`, { http2: "auto", tls });
    t.equal(client.httpVersion, "2");
    t.equal(good.requests[0]?.[":scheme"], "https");
    await client.send("secure");
    t.same(await client.channel().receive(), [{ type: "text", data: "secure" }, true]);
    await client.close();
    // Other TLS options mean another session, never the verified one.
    t.match(await failed(websocket.connect(`wss://127.0.0.1:${good.port}/`, { http2: true })), {
      id: "TLS_FAILED",
    });

    const notImplemented = await peer(t, { tls: certs!.server, allowHTTP1: true, status: 501 });
    const wss = new WebSocketServer({ server: notImplemented.server as never });
    wss.on("connection", echoing);
    t.teardown(() => wss.close());
    const fallback = await websocket.connect(`wss://127.0.0.1:${notImplemented.port}/`, {
      http2: "auto",
      tls,
    });
    t.equal(fallback.httpVersion, "1.1");
    t.equal(notImplemented.requests.length, 1);
    await fallback.close();
  },
);

t.test(
  "HTTP/2 inside a proxy's CONNECT tunnel: one tunnel carries every stream",
  { skip: certs === undefined },
  async (t) => {
    const p = await peer(t, { tls: certs!.server });
    const proxy = await startProxy();
    t.teardown(() => proxy.close());
    const url = `wss://127.0.0.1:${p.port}/`;
    const options = { http2: true, proxy: proxy.url, tls: { ca: certs!.ca.cert } } as const;
    const clients = await Promise.all([1, 2, 3].map(() => websocket.connect(url, options)));
    t.equal(proxy.requests.length, 1, "one CONNECT for three WebSockets");
    t.equal(proxy.requests[0]?.authority, `127.0.0.1:${p.port}`);
    for (const client of clients) {
      t.equal(client.httpVersion, "2");
      await client.send("tunnelled");
      t.same(await client.channel().receive(), [{ type: "text", data: "tunnelled" }, true]);
    }
    await Promise.all(clients.map((c) => c.close()));
    const direct = await websocket.connect(url, { http2: true, tls: { ca: certs!.ca.cert } });
    t.equal(p.sessions(), 2, "a direct dial does not reuse the proxied session");
    await direct.close();
  },
);

t.test(
  "wss: an HTTP/1.1-only server (no h2 in ALPN) gets HTTP/1.1 in auto mode",
  { skip: certs === undefined },
  async (t) => {
    const server = await startWss(certs!.server);
    t.teardown(() => server.close());
    const url = `wss://127.0.0.1:${server.port}/`;
    const tls = { ca: certs!.ca.cert };
    const client = await websocket.connect(url, { http2: "auto", tls });
    t.equal(client.httpVersion, "1.1");
    await client.send("plain");
    t.same(await client.channel().receive(), [{ type: "text", data: "plain" }, true]);
    await client.close();
    t.ok(fallbackMemory.refused(`wss://127.0.0.1:${server.port}`, Date.now()), "the origin is remembered");
    const again = await websocket.connect(url, { http2: "auto", tls });
    t.equal(again.httpVersion, "1.1");
    await again.close();
    t.match(await failed(websocket.connect(url, { http2: true, tls })), { id: "HTTP2_UNSUPPORTED" });
  },
);
