import * as net from "node:net";
import t from "tap";
import { connectWith } from "../../src/client/connect.js";
import type { LookupFunction } from "../../src/client/dial.js";
import type * as websocket from "../../src/index.js";
import { haveOpenssl, makeCerts } from "../helpers/certs.js";
import { type Daemon, dantedBinary, freePort, startDante } from "../helpers/daemons.js";
import { startSocksPeer } from "../helpers/socks-peer.js";
import { echo, startWsPeer } from "../helpers/ws-server.js";
import { startWss } from "../helpers/wss-server.js";

/**
 * SOCKS5 through a real dante (no authentication: dante's username method checks system
 * accounts, impractical in CI) and through a scripted SOCKS5 peer of ours for RFC 1929
 * authentication and chosen reply codes.
 */

t.setTimeout(60_000);
const dial_timeout = "10s";
/** DNS for these tests: ".test" names are 127.0.0.1; counted, to see who resolved a name. */
let lookups: string[] = [];
const lookup: LookupFunction = async (hostname) => {
  lookups.push(hostname);
  if (hostname.endsWith(".test")) return [{ address: "127.0.0.1", family: 4 }];
  throw new Error(`getaddrinfo ENOTFOUND ${hostname}`);
};
const io = { env: {}, lookup };
t.beforeEach(() => {
  lookups = [];
});

async function roundTrip(client: websocket.Client, text: string): Promise<string | undefined> {
  await client.send(text);
  const [message] = await client.channel().receive();
  return message?.data as string | undefined;
}

if (dantedBinary === undefined) {
  t.test("dante", { skip: "dante-server is not installed (.ci/run installs it)" }, async () => {});
} else {
  let dante: Daemon | undefined;
  t.before(async () => {
    const started = Date.now();
    dante = await startDante();
    t.comment(`dante started in ${Date.now() - started} ms`);
  });
  t.teardown(() => dante?.stop());

  t.test("socks5:// through dante: the name is resolved here and dante is given the address", async (t) => {
    const peer = await startWsPeer({}, echo);
    t.teardown(() => peer.close());
    const port = new URL(peer.url).port;
    let host: string | undefined;
    peer.server.once("headers", (_h, request) => {
      host = request.headers.host;
    });
    const client = await connectWith(
      `ws://chat.test:${port}/`,
      { proxy: `socks5://127.0.0.1:${dante!.port}`, dial_timeout },
      io,
    );
    t.equal(await roundTrip(client, "via dante"), "via dante");
    await client.close();
    t.same(lookups, ["chat.test"], "resolved locally");
    t.equal(host, `chat.test:${port}`, "the request still names the host");
  });

  t.test("socks5h:// through dante: dante resolves the name", async (t) => {
    const peer = await startWsPeer({}, echo);
    t.teardown(() => peer.close());
    const port = new URL(peer.url).port;
    const client = await connectWith(
      `ws://localhost:${port}/`,
      { proxy: `socks5h://127.0.0.1:${dante!.port}`, dial_timeout },
      io,
    );
    t.equal(await roundTrip(client, "dante resolved"), "dante resolved");
    await client.close();
    t.same(lookups, [], "no local lookup");
  });

  if (haveOpenssl()) {
    const certs = makeCerts();
    t.test("wss: through dante: TLS to the target inside the tunnel", async (t) => {
      const peer = await startWss(certs.server);
      t.teardown(() => peer.close());
      const client = await connectWith(
        `wss://ws.test:${peer.port}/`,
        { proxy: `socks5://127.0.0.1:${dante!.port}`, tls: { ca: certs.ca.cert }, dial_timeout },
        io,
      );
      t.equal(await roundTrip(client, "wss via dante"), "wss via dante");
      await client.close();
    });
  }

  t.test("dante refusing a closed port: PROXY_REFUSED with SOCKS reply 5, retryable", async (t) => {
    const port = await freePort();
    const error = await connectWith(
      `ws://127.0.0.1:${port}/`,
      { proxy: `socks5://127.0.0.1:${dante!.port}`, dial_timeout },
      io,
    ).catch((e: unknown) => e);
    t.match(error, {
      name: "WebSocketError",
      id: "PROXY_REFUSED",
      socksReply: 5,
      retryable: true,
      message: /connection refused \(SOCKS reply 5\)/,
    });
  });

  t.test("dante's ruleset refuses a target outside loopback: reply 2, not retryable", async (t) => {
    const error = await connectWith(
      "ws://192.0.2.1:80/",
      { proxy: `socks5://127.0.0.1:${dante!.port}`, dial_timeout },
      io,
    ).catch((e: unknown) => e);
    t.match(error, { id: "PROXY_REFUSED", socksReply: 2, retryable: false });
  });
}

t.test("RFC 1929 authentication against a scripted SOCKS5 peer", async (t) => {
  const peer = await startWsPeer({}, echo);
  t.teardown(() => peer.close());
  const socks = await startSocksPeer({ credentials: "bob:pa:ss" });
  t.teardown(() => socks.close());
  const port = new URL(peer.url).port;
  const client = await connectWith(
    `ws://chat.test:${port}/`,
    { proxy: `socks5h://bob:pa%3Ass@127.0.0.1:${socks.port}`, dial_timeout },
    io,
  );
  t.equal(await roundTrip(client, "authenticated"), "authenticated");
  await client.close();
  t.match(socks.records[0], {
    methods: [0, 2],
    username: "bob",
    password: "pa:ss",
    type: "domain",
    host: "chat.test",
  });
  const wrong = await connectWith(
    `ws://chat.test:${port}/`,
    { proxy: `socks5h://bob:nope@127.0.0.1:${socks.port}`, dial_timeout },
    io,
  ).catch((e: unknown) => e);
  t.match(wrong, { id: "PROXY_REFUSED", retryable: false, message: /refused the username and password/ });
  t.notMatch((wrong as Error).message, /bob|nope/, "no credentials in the message");
  const none = await connectWith(
    `ws://chat.test:${port}/`,
    { proxy: `socks5h://127.0.0.1:${socks.port}`, dial_timeout },
    io,
  ).catch((e: unknown) => e);
  t.match(none, { id: "PROXY_REFUSED", message: /requires authentication/ });
});

t.test("every reply code becomes PROXY_REFUSED with the code; retryable where a retry helps", async (t) => {
  for (const [reply, retryable] of [
    [1, true],
    [2, false],
    [3, true],
    [4, true],
    [6, true],
    [7, false],
    [8, false],
  ] as const) {
    const socks = await startSocksPeer({ reply });
    const error = await connectWith(
      "ws://chat.test:9/",
      { proxy: `socks5://127.0.0.1:${socks.port}`, dial_timeout },
      io,
    ).catch((e: unknown) => e);
    t.match(error, { id: "PROXY_REFUSED", socksReply: reply, retryable }, `reply ${reply}`);
    await socks.close();
  }
});

t.test("a SOCKS proxy that is not listening, or does not speak SOCKS5", async (t) => {
  const port = await freePort();
  await t.rejects(
    connectWith("ws://chat.test:9/", { proxy: `socks5://127.0.0.1:${port}`, dial_timeout }, io),
    {
      name: "WebSocketError",
      id: "CONNECT_FAILED",
      retryable: true,
    },
  );
  const http = await startWsPeer();
  t.teardown(() => http.close());
  const httpPort = new URL(http.url).port;
  await t.rejects(
    connectWith("ws://chat.test:9/", { proxy: `socks5://127.0.0.1:${httpPort}`, dial_timeout: "2s" }, io),
    { name: "WebSocketError", id: "PROXY_FAILED" },
    "an HTTP server answering the greeting",
  );
});

t.test("the policy at each hop of a SOCKS route", async (t) => {
  const socks = await startSocksPeer();
  t.teardown(() => socks.close());
  const policy = { private_networks: false };
  await t.rejects(
    connectWith(
      "ws://93.184.216.34/",
      { proxy: `socks5://127.0.0.1:${socks.port}`, policy, dial_timeout },
      io,
    ),
    { name: "WebSocketError", kind: "PERMISSION_DENIED", message: /127\.0\.0\.1 is not public/ },
    "the proxy's own address",
  );
  const publicProxy: LookupFunction = async (hostname) =>
    hostname === "proxy.test" ? [{ address: "93.184.216.40", family: 4 }] : lookup(hostname);
  await t.rejects(
    connectWith(
      "ws://chat.test/",
      { proxy: "socks5://proxy.test:1080", policy, dial_timeout },
      { env: {}, lookup: publicProxy, connect: () => t.fail("no socket may open") as never },
    ),
    { kind: "PERMISSION_DENIED", message: /chat\.test resolves to 127\.0\.0\.1/ },
    "socks5: the target is resolved here and checked before any socket",
  );
  await t.rejects(
    connectWith(
      "ws://chat.test/",
      { proxy: "socks5h://proxy.test:1080", policy, dial_timeout },
      { env: {}, lookup: publicProxy, connect: () => t.fail("no socket may open") as never },
    ),
    { kind: "PERMISSION_DENIED", id: "POLICY_PRIVATE_NETWORK", message: /would resolve chat\.test itself/ },
    "socks5h: a name the policy cannot check is refused under private_networks: false",
  );
  t.equal(socks.records.length, 0, "the scripted proxy was never reached");
});

t.test("one deadline covers the SOCKS5 negotiation: a silent proxy times out naming the phase", async (t) => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((s) => {
    sockets.add(s);
    s.resume();
    s.on("error", () => {});
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  t.teardown(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });
  const port = (silent.address() as net.AddressInfo).port;
  await t.rejects(
    connectWith("ws://chat.test/", { proxy: `socks5://127.0.0.1:${port}`, dial_timeout: "200ms" }, io),
    {
      name: "WebSocketError",
      id: "DIAL_TIMEOUT",
      message: /timed out after 200ms \(during the SOCKS5 negotiation\)/,
    },
  );
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  await t.rejects(
    connectWith("ws://chat.test/", { proxy: `socks5h://127.0.0.1:${port}`, signal: controller.signal }, io),
    { name: "WebSocketError", id: "CANCELED", message: /canceled during the SOCKS5 negotiation/ },
  );
  await new Promise((r) => setTimeout(r, 50));
  t.equal(
    [...sockets].filter((s) => !s.destroyed && s.readable).length,
    0,
    "the proxy saw every connection closed",
  );
});
