import * as net from "node:net";
import t from "tap";
import { connectWith } from "../../src/client/connect.js";
import type { DialIO } from "../../src/client/dial.js";
import type * as websocket from "../../src/index.js";
import { haveOpenssl, makeCerts } from "../helpers/certs.js";
import { startProxy } from "../helpers/connect-proxy.js";
import { echo, startWsPeer } from "../helpers/ws-server.js";
import { startWss, testLookup } from "../helpers/wss-server.js";

t.setTimeout(30_000);

/**
 * The dial's outside world for these tests (DNS, TCP), passed to every connect; an empty
 * environment, so that a machine's own proxy variables cannot reroute the tests.
 */
let io: DialIO = { env: {} };
function useDialIO(value: DialIO | undefined): void {
  io = { env: {}, ...value };
}
const dialWith = (url: string | URL, options?: websocket.ConnectOptions): Promise<websocket.Client> =>
  connectWith(url, options, io);
useDialIO({ lookup: testLookup });
t.teardown(() => useDialIO(undefined));

const dial_timeout = "5s";
/** The proxy's view of the world: the tests' ".test" names are 127.0.0.1. */
const route = (host: string): string => (host.endsWith(".test") ? "127.0.0.1" : host);

async function roundTrip(client: websocket.Client, text: string): Promise<string | undefined> {
  await client.send(text);
  const [message] = await client.channel().receive();
  return message?.data as string | undefined;
}

t.test("ws: through a CONNECT proxy, which is asked for the target and resolves its name", async (t) => {
  const peer = await startWsPeer({}, echo);
  t.teardown(() => peer.close());
  const proxy = await startProxy({ route });
  t.teardown(() => proxy.close());
  const port = new URL(peer.url).port;
  let host: string | undefined;
  peer.server.once("headers", (_headers, request) => {
    host = request.headers.host;
  });
  const client = await dialWith(`ws://chat.test:${port}/room`, { proxy: proxy.url, dial_timeout });
  t.equal(await roundTrip(client, "via proxy"), "via proxy");
  await client.close();
  t.same(await client.closed, { code: 1000, reason: "", clean: true });
  t.equal(proxy.requests.length, 1);
  t.equal(proxy.requests[0]?.authority, `chat.test:${port}`, "CONNECT names the target, not an address");
  t.equal(proxy.requests[0]?.headers.host, `chat.test:${port}`);
  t.equal(proxy.requests[0]?.headers["proxy-authorization"], undefined, "no credentials were given");
  t.equal(host, `chat.test:${port}`, "the upgrade request inside the tunnel names the target");
});

t.test("credentials in the proxy URL become Proxy-Authorization (percent-escapes decoded)", async (t) => {
  const peer = await startWsPeer({}, echo);
  t.teardown(() => peer.close());
  const proxy = await startProxy({ credentials: "us@er:p:ss wörd", route });
  t.teardown(() => proxy.close());
  const client = await dialWith(peer.url, {
    proxy: new URL(`http://us%40er:p%3Ass%20w%C3%B6rd@127.0.0.1:${proxy.port}`),
    dial_timeout,
  });
  t.equal(await roundTrip(client, "authorised"), "authorised");
  await client.close();
  t.equal(
    proxy.requests[0]?.headers["proxy-authorization"],
    `Basic ${Buffer.from("us@er:p:ss wörd").toString("base64")}`,
  );
});

t.test(
  "a 407 from the proxy rejects with its status, not retryable, and without credentials in the message",
  async (t) => {
    const proxy = await startProxy({ credentials: "user:pass" });
    t.teardown(() => proxy.close());
    await t.rejects(dialWith("ws://chat.test:1/", { proxy: proxy.url, dial_timeout }), {
      name: "WebSocketError",
      kind: "INTERNAL",
      status: 407,
      retryable: false,
      message: `proxy http://127.0.0.1:${proxy.port} refused CONNECT to chat.test:1: 407 Proxy Authentication Required`,
    });
    const error = await dialWith("ws://chat.test:1/", {
      proxy: `http://user:wrong@127.0.0.1:${proxy.port}`,
      dial_timeout,
    }).catch((e: unknown) => e);
    t.match(error, { status: 407, retryable: false });
    t.notMatch((error as Error).message, /wrong|user/, "the proxy's credentials are not in the message");
  },
);

t.test("a 502 or 503 from the proxy is retryable", async (t) => {
  for (const status of [502, 503]) {
    const proxy = await startProxy({ status });
    t.teardown(() => proxy.close());
    await t.rejects(dialWith("ws://chat.test:1/", { proxy: proxy.url, dial_timeout }), {
      name: "WebSocketError",
      kind: "INTERNAL",
      status,
      retryable: true,
    });
  }
});

t.test("a proxy that is not listening fails as a retryable connection failure", async (t) => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await t.rejects(dialWith("ws://chat.test:1/", { proxy: `http://127.0.0.1:${port}`, dial_timeout }), {
    kind: "INTERNAL",
    retryable: true,
    message: /connection to 127\.0\.0\.1:\d+ failed: .*ECONNREFUSED/,
  });
});

t.test("a proxy that does not speak HTTP is an error", async (t) => {
  const server = net.createServer((socket) => {
    socket.on("error", () => {});
    socket.resume();
    socket.end("SSH-2.0-OpenSSH\r\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as net.AddressInfo).port;
  await t.rejects(dialWith("ws://chat.test:1/", { proxy: `http://127.0.0.1:${port}`, dial_timeout }), {
    kind: "INTERNAL",
    message: /answered CONNECT wrongly/,
  });
});

t.test("a proxy that ends TCP before answering CONNECT fails at once, retryable", async (t) => {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.on("error", () => {});
    socket.once("data", () => socket.end());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as net.AddressInfo).port;
  const started = Date.now();
  await t.rejects(dialWith("ws://chat.test:1/", { proxy: `http://127.0.0.1:${port}`, dial_timeout: "10s" }), {
    kind: "INTERNAL",
    retryable: true,
    message: /closed the connection before answering CONNECT/,
  });
  t.ok(Date.now() - started < 2000, `failed in ${Date.now() - started} ms, not at dial_timeout`);
});

t.test("invalid proxy options are INVALID before any socket", async (t) => {
  for (const proxy of [
    "ftp://127.0.0.1:3128",
    "socks4://127.0.0.1:1080",
    "socks5://127.0.0.1:1080/path",
    `socks5://${"u".repeat(256)}:p@127.0.0.1:1080`,
    true,
    "http://127.0.0.1:3128/path",
    "http://127.0.0.1:3128/?q",
    "not a url",
    3128,
    {},
  ]) {
    await t.rejects(
      dialWith("ws://chat.test:1/", { proxy } as never),
      { name: "WebSocketError", kind: "INVALID" },
      JSON.stringify(proxy),
    );
  }
});

if (haveOpenssl()) {
  const certs = makeCerts();

  t.test(
    "wss: through the proxy: TLS runs inside the tunnel and checks the target's certificate",
    async (t) => {
      const peer = await startWss(certs.server);
      t.teardown(() => peer.close());
      const proxy = await startProxy({ credentials: "user:pass", route });
      t.teardown(() => proxy.close());
      const client = await dialWith(`wss://ws.test:${peer.port}/`, {
        proxy: `http://user:pass@127.0.0.1:${proxy.port}`,
        tls: { ca: certs.ca.cert },
        dial_timeout,
      });
      t.equal(await roundTrip(client, "secret"), "secret");
      await client.close();
      t.equal(proxy.requests[0]?.authority, `ws.test:${peer.port}`);
      t.equal(peer.sessions[0]?.servername, "ws.test", "SNI names the target, not the proxy");
      const wrongName = await startWss(certs.nameOnly);
      t.teardown(() => wrongName.close());
      await t.rejects(
        dialWith(`wss://127.0.0.1:${wrongName.port}/`, {
          proxy: `http://user:pass@127.0.0.1:${proxy.port}`,
          tls: { ca: certs.ca.cert },
          dial_timeout,
        }),
        { name: "WebSocketError", kind: "INTERNAL", message: /does not match the host name "127\.0\.0\.1"/ },
        "the certificate is checked against the target, never the proxy",
      );
    },
  );

  t.test("connections through the proxy, ws and wss, leave no socket open once closed", async (t) => {
    const peer = await startWss(certs.server);
    t.teardown(() => peer.close());
    const plain = await startWsPeer({}, echo);
    t.teardown(() => plain.close());
    const proxy = await startProxy({ route });
    t.teardown(() => proxy.close());
    const handles = (): number => process.getActiveResourcesInfo().filter((r) => r !== "Timeout").length;
    const before = handles();
    for (let i = 0; i < 20; i++) {
      const secure = await dialWith(`wss://ws.test:${peer.port}/`, {
        proxy: proxy.url,
        tls: { ca: certs.ca.cert },
        dial_timeout,
      });
      t.equal(await roundTrip(secure, `wss ${i}`), `wss ${i}`);
      await secure.close();
      const client = await dialWith(plain.url, { proxy: proxy.url, dial_timeout });
      t.equal(await roundTrip(client, `ws ${i}`), `ws ${i}`);
      await client.close();
    }
    for (let i = 0; i < 50 && handles() > before; i++) await new Promise((r) => setTimeout(r, 20));
    t.ok(handles() <= before, "no handle is left open");
  });

  t.test("wss: through the proxy without credentials gets the 407", async (t) => {
    const proxy = await startProxy({ credentials: "user:pass", route });
    t.teardown(() => proxy.close());
    await t.rejects(
      dialWith("wss://ws.test:1/", { proxy: proxy.url, tls: { ca: certs.ca.cert }, dial_timeout }),
      { name: "WebSocketError", status: 407 },
    );
  });
}
