import { randomBytes } from "node:crypto";
import t from "tap";
import { fallbackMemory } from "../../src/client/http2/dial.js";
import { sessionPool } from "../../src/client/http2/pool.js";
import * as websocket from "../../src/index.js";
import { haveOpenssl, makeCerts } from "../helpers/certs.js";
import { type Haproxy, haveHaproxy, startHaproxy } from "../helpers/haproxy.js";
import { echo, startWsPeer, type WsPeer } from "../helpers/ws-server.js";

/**
 * haproxy as the HTTP/2 front end that turns each extended CONNECT into an HTTP/1.1 Upgrade to
 * `ws`'s server: the setup a production deployment has. CI installs haproxy (.ci/run); on a
 * machine without it (or older than 2.4) these tests are skipped, saying why.
 */

t.setTimeout(120_000);
const skip = haveHaproxy() ? false : "haproxy 2.4+ is not installed (apt-get install haproxy)";

let backend: WsPeer | undefined;
let front: Haproxy | undefined;
let secureFront: Haproxy | undefined;
const certs = !skip && haveOpenssl() ? makeCerts() : undefined;

t.before(async () => {
  if (skip) return;
  backend = await startWsPeer({ perMessageDeflate: true, maxPayload: 64 * 1024 * 1024 }, echo);
  const backendPort = Number(new URL(backend.url).port);
  front = await startHaproxy({ backendPort });
  if (certs !== undefined) secureFront = await startHaproxy({ backendPort, tls: certs.server });
});

t.teardown(async () => {
  await front?.close();
  await secureFront?.close();
  await backend?.close();
});

t.beforeEach(() => fallbackMemory.clear());

/** Waits until `check` holds, for at most 5 s. */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

t.test("text, binary and 8 MiB messages echo through haproxy over h2", { skip }, async (t) => {
  const client = await websocket.connect(`${front!.url}/echo`, { http2: true, read_limit: 32 * 1024 * 1024 });
  t.equal(client.httpVersion, "2");
  const ch = client.channel();
  await client.send("héllo 🎉");
  t.same(await ch.receive(), [{ type: "text", data: "héllo 🎉" }, true]);
  const small = randomBytes(1000);
  await client.send(small);
  const [binary] = await ch.receive();
  t.equal(binary?.type, "binary");
  t.same(binary?.data, small);
  const large = randomBytes(8 * 1024 * 1024);
  await client.send(large);
  const [echoed] = await ch.receive();
  t.ok(Buffer.compare(echoed!.data as Buffer, large) === 0, "8 MiB binary is intact");
  const text = "x".repeat(3 * 1024 * 1024);
  await client.send(text);
  t.same(await ch.receive(), [{ type: "text", data: text }, true]);
  await client.close();
  t.same(await client.closed, { code: 1000, reason: "", clean: true });
});

t.test("permessage-deflate is negotiated end to end and messages echo compressed", { skip }, async (t) => {
  for (const compression of [websocket.COMPRESSION.CONTEXT_TAKEOVER, websocket.COMPRESSION.NO_CONTEXT]) {
    const client = await websocket.connect(front!.url, { http2: true, compression });
    t.match(client.extensions, /^permessage-deflate/);
    const ch = client.channel();
    for (const size of [10, 1000, 200_000, 2 * 1024 * 1024]) {
      const text = "compress me, ".repeat(Math.ceil(size / 13)).slice(0, size);
      await client.send(text);
      t.same(await ch.receive(), [{ type: "text", data: text }, true], `${size} bytes, mode ${compression}`);
    }
    await client.close();
  }
});

t.test("close codes and reasons travel both ways through haproxy", { skip }, async (t) => {
  const client = await websocket.connect(front!.url, { http2: true });
  const server = await backend!.connection();
  const closed = new Promise<[number, string]>((resolve) =>
    server.once("close", (code, reason) => resolve([code, reason.toString()])),
  );
  await client.close(4001, "client done");
  t.same(await closed, [4001, "client done"]);
  t.same(await client.closed, { code: 4001, reason: "client done", clean: true });

  const second = await websocket.connect(front!.url, { http2: true });
  const server2 = await backend!.connection();
  server2.close(1001, "server going away");
  t.same(await second.closed, { code: 1001, reason: "server going away", clean: true });
});

t.test("200 concurrent connections share one HTTP/2 session to haproxy", { skip }, async (t) => {
  // haproxy advertises SETTINGS_MAX_CONCURRENT_STREAMS 100: 200 streams take two sessions.
  const clients = await Promise.all(
    Array.from({ length: 200 }, () => websocket.connect(front!.url, { http2: true })),
  );
  t.equal(sessionPool.size, 2, "200 WebSockets on 2 TCP connections");
  const received = await Promise.all(
    clients.map(async (client, i) => {
      await client.send(`message ${i}`);
      const [m] = await client.channel().receive();
      return m?.data;
    }),
  );
  t.same(
    received,
    clients.map((_, i) => `message ${i}`),
    "every connection got its own echo",
  );
  await clients[7]!.close();
  await clients[8]!.send("unaffected");
  t.same(await clients[8]!.channel().receive(), [{ type: "text", data: "unaffected" }, true]);
  await Promise.all(clients.map((c) => c.close()));
  await until(() => sessionPool.size === 0, "the idle sessions to close");
});

t.test(
  "wss: through haproxy with ALPN h2, in auto mode",
  { skip: skip || (certs === undefined && "no openssl") },
  async (t) => {
    const client = await websocket.connect(`${secureFront!.url}/x`, {
      http2: "auto",
      tls: { ca: certs!.ca.cert },
    });
    t.equal(client.httpVersion, "2");
    await client.send("over TLS and h2");
    t.same(await client.channel().receive(), [{ type: "text", data: "over TLS and h2" }, true]);
    await client.close();
    const plain = await websocket.connect(`${secureFront!.url}/x`, { tls: { ca: certs!.ca.cert } });
    t.equal(plain.httpVersion, "1.1", "without the option the same front end is used over HTTP/1.1");
    await plain.close();
  },
);
