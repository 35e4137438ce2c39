// wschan/testing: the scriptable test server, driven against wschan's own client on 127.0.0.1.
import t from "tap";
import * as websocket from "../../src/index.js";
import { closePayload, delay, frame, TestServer } from "../../src/testing/index.js";

t.setTimeout(30_000);

/** Checks that `promise` rejects with a wschan error of `kind`. */
async function rejectsWith(
  t: { ok(value: unknown, message: string): void },
  promise: Promise<unknown>,
  kind: websocket.ErrorKind,
  message: string,
): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(websocket.errors.is(error, kind), `${message}: ${String(error)}`);
}

async function server(t: { teardown(fn: () => unknown): void }): Promise<TestServer> {
  const s = await TestServer.start();
  t.teardown(() => s.close());
  return s;
}

t.test("accept, expect, send: messages flow both ways; the request is visible", async (t) => {
  const s = await server(t);
  const dialing = websocket.connect(`${s.url}/chat?room=1`, {
    headers: { Authorization: "Bearer x" },
    protocols: ["v2", "v1"],
  });
  const conn = await s.accept({ protocol: "v1" });
  const client = await dialing;
  t.equal(conn.request.path, "/chat?room=1");
  t.equal(conn.request.headers.authorization, "Bearer x");
  t.same(conn.request.protocols, ["v2", "v1"]);
  t.equal(client.protocol, "v1");
  await client.send("hello");
  await client.send(Uint8Array.of(1, 2, 3));
  t.same(await conn.expect(), { type: "text", data: "hello" });
  const binary = await conn.expect();
  t.equal(binary.type, "binary");
  t.same([...(binary.data as Buffer)], [1, 2, 3]);
  await conn.send("from the server");
  await conn.send(Uint8Array.of(9));
  t.same(await client.channel().receive(), [{ type: "text", data: "from the server" }, true]);
  const [b] = await client.channel().receive();
  t.same([...(b!.data as Buffer)], [9]);
  await client.close(1000, "bye");
  t.same(await conn.closed, { code: 1000, reason: "bye", clean: true });
  t.same(await client.closed, { code: 1000, reason: "bye", clean: true });
});

t.test("expect rejects after its timeout, and at once when the connection ends", async (t) => {
  const s = await server(t);
  const dialing = websocket.connect(s.url);
  const conn = await s.accept();
  const client = await dialing;
  const started = Date.now();
  await t.rejects(conn.expect("50ms"), /no message from the client within 50 ms/);
  t.ok(Date.now() - started < 1000, "bounded by the timeout");
  const waiting = conn.expect("5s");
  await client.close();
  await t.rejects(waiting, /client closed the connection \(1000/);
});

t.test("refuse answers the handshake with a status, headers and body", async (t) => {
  const s = await server(t);
  const dialing = websocket.connect(s.url);
  const request = await s.refuse(503, { headers: { "Retry-After": "1" }, body: "busy" });
  t.equal(request.path, "/");
  const error = await dialing.then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(websocket.errors.is(error, websocket.errors.INTERNAL));
  t.equal((error as websocket.WebSocketError).status, 503);
  t.equal((error as websocket.WebSocketError).retryable, true, "a 503 is retryable");
  await rejectsWith(t, s.refuse(101), "INVALID", "101 is not a refusal");
});

t.test("refuse puts the status, the headers and the body on the wire", async (t) => {
  const s = await server(t);
  const { request } = await import("node:http");
  const response = new Promise<{ status: number; retry: string | undefined; body: string }>(
    (resolve, reject) => {
      const req = request(`${s.url.replace("ws:", "http:")}/x`, {
        headers: {
          Connection: "Upgrade",
          Upgrade: "websocket",
          "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
          "Sec-WebSocket-Version": "13",
        },
      });
      req.on("response", (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, retry: res.headers["retry-after"] as string, body }),
        );
      });
      req.on("error", reject);
      req.end();
    },
  );
  const seen = await s.refuse(429, { headers: { "Retry-After": "7" }, body: "slow down" });
  t.equal(seen.path, "/x");
  t.same(await response, { status: 429, retry: "7", body: "slow down" });
});

t.test("drop closes the connection before any answer", async (t) => {
  const s = await server(t);
  const dialing = websocket.connect(s.url);
  await s.drop();
  const error = await dialing.then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(websocket.errors.is(error, websocket.errors.INTERNAL), String(error));
  t.equal((error as websocket.WebSocketError).status, undefined, "no status: there was no answer");
});

t.test("a handshake the test never answers lets the client's dial_timeout fire", async (t) => {
  const s = await server(t);
  const started = Date.now();
  const error = await websocket.connect(s.url, { dial_timeout: "100ms" }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(websocket.errors.is(error, websocket.errors.TIMEOUT), String(error));
  t.ok(Date.now() - started < 2000);
  t.equal(s.handshakes, 1, "the handshake did arrive");
});

t.test("close sends the code and reason and completes the closing handshake", async (t) => {
  const s = await server(t);
  const dialing = websocket.connect(s.url);
  const conn = await s.accept();
  const client = await dialing;
  const info = await conn.close(4001, "go away");
  t.same(
    info,
    { code: 4001, reason: "", clean: true },
    "wschan's client echoes the code, without the reason",
  );
  t.same(await client.closed, { code: 4001, reason: "go away", clean: true });
  await rejectsWith(t, conn.close(1005), "INVALID", "1005 cannot be sent by close (send_raw can)");
});

t.test("destroy drops the connection: the client sees 1006, not clean", async (t) => {
  const s = await server(t);
  const dialing = websocket.connect(s.url);
  const conn = await s.accept();
  const client = await dialing;
  conn.destroy();
  const info = await client.closed;
  t.equal(info.code, 1006);
  t.equal(info.clean, false);
  t.same(await conn.closed, { code: 1006, reason: "", clean: false });
});

t.test("send_raw writes any bytes: a reserved opcode makes the client fail with 1002", async (t) => {
  const s = await server(t);
  const dialing = websocket.connect(s.url);
  const conn = await s.accept();
  const client = await dialing;
  await conn.send_raw(frame({ opcode: 0x3, payload: "?" }));
  t.same(await conn.expect_close(), { code: 1002, reason: "" });
  const info = await client.closed;
  t.equal(info.code, 1002);
  t.ok(websocket.errors.is(info.error, websocket.errors.INTERNAL));
});

t.test("send_raw: a message in fragments, with a ping between them, arrives whole", async (t) => {
  const s = await server(t);
  const dialing = websocket.connect(s.url);
  const conn = await s.accept();
  const client = await dialing;
  await conn.send_raw(
    Buffer.concat([
      frame({ opcode: 0x1, payload: "hel", fin: false }),
      frame({ opcode: 0x9, payload: "between" }),
      frame({ opcode: 0x0, payload: "lo", fin: true }),
    ]),
  );
  t.same(await client.channel().receive(), [{ type: "text", data: "hello" }, true]);
  await conn.send_raw(frame({ opcode: 0x8, payload: closePayload(1001, "restart") }));
  t.same(await conn.expect_close(), { code: 1001, reason: "" }, "the client echoes the Close's code");
  t.same(await client.closed, { code: 1001, reason: "restart", clean: true });
});

t.test("ping resolves on the client's pong; the client's pings are seen and answered", async (t) => {
  const s = await server(t);
  const dialing = websocket.connect(s.url);
  const conn = await s.accept();
  const client = await dialing;
  await conn.ping("are you there");
  t.pass("the client answered the server's ping");
  t.equal(await client.ping("and you?"), true, "the server answered the client's ping");
  t.same((await conn.expect_ping()).toString(), "and you?");
  await client.close();
});

t.test(
  "keep-alive: a server that stops answering pings makes the client fail with KEEPALIVE_TIMEOUT",
  async (t) => {
    const s = await server(t);
    const dialing = websocket.connect(s.url, { keepalive: "50ms", keepalive_timeout: "50ms" });
    const conn = await s.accept({ pong: false });
    const client = await dialing;
    const started = Date.now();
    await conn.expect_ping("1s");
    const info = await client.closed;
    t.ok(websocket.errors.is(info.error, websocket.errors.TIMEOUT), String(info.error));
    t.ok(Date.now() - started < 1000, `found within ${Date.now() - started} ms`);
  },
);

t.test("reconnection in milliseconds: drop, refuse, then accept again", async (t) => {
  const s = await server(t);
  const stop = new AbortController();
  const dialed: string[] = [];
  const loop = (async () => {
    try {
      for await (const client of websocket.reconnect(
        s.url,
        {},
        { min_delay: "5ms", max_delay: "20ms", signal: stop.signal },
      )) {
        dialed.push("open");
        await client.closed;
      }
    } catch (error) {
      if (!websocket.errors.is(error, websocket.errors.CANCELED)) throw error;
    }
  })();
  const first = await s.accept();
  first.destroy();
  await s.refuse(503);
  await s.drop();
  const second = await s.accept();
  await second.send("welcome back");
  await delay("20ms");
  t.same(dialed, ["open", "open"]);
  t.equal(s.handshakes, 4);
  stop.abort();
  await loop;
});

t.test("a message over the test server's read_limit fails the connection with 1009", async (t) => {
  const s = await server(t);
  const dialing = websocket.connect(s.url);
  const conn = await s.accept({ read_limit: 10 });
  const client = await dialing;
  client.send("x".repeat(11)).catch(() => {});
  const info = await client.closed;
  t.equal(info.code, 1009);
  t.ok(await conn.closed, "the test server's side ends too");
});

t.test("start refuses a non-loopback host; bad durations are INVALID", async (t) => {
  await rejectsWith(t, TestServer.start({ host: "0.0.0.0" as "127.0.0.1" }), "INVALID", "not loopback");
  await rejectsWith(t, delay("soon"), "INVALID", "not a duration");
  const s = await TestServer.start({ host: "::1" }).catch(() => undefined);
  if (s === undefined) {
    t.comment("no IPv6 loopback on this machine");
    return;
  }
  t.teardown(() => s.close());
  t.match(s.url, /^ws:\/\/\[::1\]:\d+$/);
});
