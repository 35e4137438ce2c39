import * as net from "node:net";
import t from "tap";
import { connectWith } from "../../src/client/connect.js";
import type { DialIO, LookupAddress } from "../../src/client/dial.js";
import * as websocket from "../../src/index.js";
import { startProxy } from "../helpers/connect-proxy.js";
import { echo, startWsPeer } from "../helpers/ws-server.js";

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
t.afterEach(() => {
  websocket.policy.reset();
  useDialIO(undefined);
});

const dial_timeout = "5s";
/** Public addresses that the tests only ever hand to the `connect` hook, which sends them to 127.0.0.1. */
const PUBLIC_A = "93.184.216.34";
const PUBLIC_B = "93.184.216.35";

/** Counts the TCP connections a server on 127.0.0.1 receives (to prove none was opened). */
async function countingServer(): Promise<{ port: number; count: () => number; close: () => Promise<void> }> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    count: () => count,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A lookup stub that answers from a table and records every question. */
function stubLookup(table: Record<string, string[]>): { questions: string[] } {
  const questions: string[] = [];
  useDialIO({
    lookup: async (hostname) => {
      questions.push(hostname);
      const entry = table[hostname];
      if (entry === undefined) throw new Error(`getaddrinfo ENOTFOUND ${hostname}`);
      return entry.map((address): LookupAddress => ({ address, family: net.isIP(address) }));
    },
  });
  return { questions };
}

t.test("connect: false refuses before any DNS lookup or socket", async (t) => {
  const server = await countingServer();
  t.teardown(() => server.close());
  const { questions } = stubLookup({ "ws.test": ["127.0.0.1"] });
  websocket.policy.set({ connect: false });
  for (const url of [`ws://127.0.0.1:${server.port}/`, `ws://ws.test:${server.port}/`]) {
    await t.rejects(dialWith(url, { dial_timeout }), {
      name: "WebSocketError",
      kind: "PERMISSION_DENIED",
      retryable: false,
      message: /websocket\.connect: connections are disabled by websocket\.policy/,
    });
  }
  t.same(questions, [], "no lookup");
  t.equal(server.count(), 0, "no socket");
});

t.test("URL rules: deny wins, the allow list admits, options.policy narrows and cannot widen", async (t) => {
  const peer = await startWsPeer({}, echo);
  t.teardown(() => peer.close());
  const port = Number(new URL(peer.url).port);
  websocket.policy.set({ urls: { allow: ["ws://127.0.0.1:*"], deny: [`ws://127.0.0.1:${port + 1}`] } });
  const client = await dialWith(`ws://127.0.0.1:${port}/any`, { dial_timeout });
  await client.close();
  t.pass("an allowed URL connects");
  await t.rejects(dialWith(`ws://127.0.0.1:${port + 1}/`), {
    name: "WebSocketError",
    kind: "PERMISSION_DENIED",
    message: `websocket.connect.url: ws://127.0.0.1:${port + 1}/ matches the urls.deny pattern "ws://127.0.0.1:${port + 1}" of websocket.policy`,
  });
  await t.rejects(dialWith(`ws://[::1]:${port}/`), {
    name: "WebSocketError",
    kind: "PERMISSION_DENIED",
    message: /matches none of the 1 urls\.allow pattern of websocket\.policy/,
  });
  await t.rejects(
    dialWith(`ws://127.0.0.1:${port}/admin`, {
      policy: { urls: { deny: ["ws://127.0.0.1:*/admin"] } },
    }),
    {
      kind: "PERMISSION_DENIED",
      message: /urls\.deny pattern "ws:\/\/127\.0\.0\.1:\*\/admin" of options\.policy/,
    },
  );
  await t.rejects(
    dialWith(`ws://127.0.0.1:${port + 1}/`, {
      policy: { urls: { allow: [`ws://127.0.0.1:${port + 1}`] } },
    }),
    { name: "WebSocketError", kind: "PERMISSION_DENIED", message: /of websocket\.policy/ },
    "options.policy cannot lift a process-wide deny",
  );
  websocket.policy.set({ connect: false });
  await t.rejects(dialWith(peer.url, { policy: { connect: true } }), {
    name: "WebSocketError",
    kind: "PERMISSION_DENIED",
    message: /disabled by websocket\.policy/,
  });
  await t.rejects(dialWith(peer.url, { policy: { urls: { allow: "ws://*" } } } as never), {
    name: "WebSocketError",
    kind: "INVALID",
  });
});

t.test(
  "private_networks: false refuses a host name that resolves to 127.0.0.1, without opening a socket",
  async (t) => {
    const server = await countingServer();
    t.teardown(() => server.close());
    const { questions } = stubLookup({
      "innocent.test": ["127.0.0.1"],
      "v6.test": ["::1"],
      "mapped.test": ["::ffff:10.1.2.3"],
      "metadata.test": ["169.254.169.254"],
      "mixed.test": [PUBLIC_A, "127.0.0.1"],
    });
    websocket.policy.set({ private_networks: false });
    await t.rejects(dialWith(`ws://innocent.test:${server.port}/`, { dial_timeout }), {
      name: "WebSocketError",
      kind: "PERMISSION_DENIED",
      retryable: false,
      message:
        "websocket.connect: innocent.test resolves to 127.0.0.1, which is not public: loopback (127.0.0.0/8); websocket.policy has private_networks: false",
    });
    await t.rejects(dialWith(`ws://v6.test:${server.port}/`), {
      message: /resolves to ::1, which is not public: loopback/,
    });
    await t.rejects(dialWith(`ws://mapped.test:${server.port}/`), {
      message: /resolves to ::ffff:10\.1\.2\.3, which is not public: IPv4-mapped private/,
    });
    await t.rejects(dialWith(`ws://metadata.test:${server.port}/`), { message: /link-local/ });
    await t.rejects(
      dialWith(`ws://mixed.test:${server.port}/`),
      { message: /mixed\.test resolves to 127\.0\.0\.1/ },
      "one private address in the answer refuses the name",
    );
    t.same(
      questions,
      ["innocent.test", "v6.test", "mapped.test", "metadata.test", "mixed.test"],
      "one lookup each",
    );
    t.equal(server.count(), 0, "no socket was opened");
  },
);

t.test(
  "private_networks: false refuses IP literals of every family, and options.policy can ask for it",
  async (t) => {
    const server = await countingServer();
    t.teardown(() => server.close());
    const urls = [
      `ws://127.0.0.1:${server.port}/`,
      `ws://127.1:${server.port}/`,
      `ws://2130706433:${server.port}/`,
      `ws://[::1]:${server.port}/`,
      `ws://[::ffff:127.0.0.1]:${server.port}/`,
      `ws://0.0.0.0:${server.port}/`,
      `ws://[::]:${server.port}/`,
    ];
    for (const url of urls) {
      await t.rejects(
        dialWith(url, { policy: { private_networks: false }, dial_timeout }),
        {
          name: "WebSocketError",
          kind: "PERMISSION_DENIED",
          message: /options\.policy has private_networks: false/,
        },
        url,
      );
    }
    websocket.policy.set({ private_networks: false });
    await t.rejects(
      dialWith(`ws://127.0.0.1:${server.port}/`, { policy: { private_networks: true } }),
      { message: /websocket\.policy has private_networks: false/ },
      "options.policy cannot allow private networks again",
    );
    t.equal(server.count(), 0, "no socket was opened");
  },
);

t.test(
  "the connection goes to the address that was checked; a second DNS answer is never asked for",
  async (t) => {
    const peer = await startWsPeer({}, echo);
    t.teardown(() => peer.close());
    const port = Number(new URL(peer.url).port);
    // A rebinding resolver: a public address the first time, loopback afterwards.
    let answers = 0;
    const questions: string[] = [];
    const connected: string[] = [];
    useDialIO({
      lookup: async (hostname) => {
        questions.push(hostname);
        return (answers++ === 0 ? [PUBLIC_A] : ["127.0.0.1"]).map((address) => ({ address, family: 4 }));
      },
      // Stands in for the network: records where the client connects, and takes it to the local peer.
      connect: (address, p) => {
        connected.push(`${address}:${p}`);
        return net.connect({ host: "127.0.0.1", port });
      },
    });
    websocket.policy.set({ private_networks: false });
    let host: string | undefined;
    peer.server.once("headers", (_h, request) => {
      host = request.headers.host;
    });
    const client = await dialWith(`ws://rebind.test:${port}/`, { dial_timeout });
    await client.send("pinned");
    t.same(await client.channel().receive(), [{ type: "text", data: "pinned" }, true]);
    await client.close();
    t.same(questions, ["rebind.test"], "one lookup");
    t.same(connected, [`${PUBLIC_A}:${port}`], "the socket went to the checked address");
    t.equal(host, `rebind.test:${port}`, "the request still names the host");
  },
);

t.test(
  "with the default policy a name is looked up once and its address is dialled, falling back in order",
  async (t) => {
    const peer = await startWsPeer({}, echo);
    t.teardown(() => peer.close());
    const closed = await countingServer();
    await closed.close(); // a port where nothing listens
    const port = Number(new URL(peer.url).port);
    const connected: string[] = [];
    useDialIO({
      lookup: async () => [
        { address: "::1", family: 6 },
        { address: "127.0.0.1", family: 4 },
      ],
      connect: (address, p) => {
        connected.push(address);
        // ::1 stands for an address that refuses; 127.0.0.1 for one that answers.
        return net.connect({ host: "127.0.0.1", port: address === "::1" ? closed.port : p });
      },
    });
    const client = await dialWith(`ws://localhost.test:${port}/`, { dial_timeout });
    await client.close();
    t.same(connected, ["::1", "127.0.0.1"]);
  },
);

t.test(
  "with a proxy, the proxy's address is checked, and the target is resolved, checked and pinned in CONNECT",
  async (t) => {
    const peer = await startWsPeer({}, echo);
    t.teardown(() => peer.close());
    const peerPort = Number(new URL(peer.url).port);
    const proxy = await startProxy({ route: () => "127.0.0.1" });
    t.teardown(() => proxy.close());
    websocket.policy.set({ private_networks: false });
    await t.rejects(dialWith(`ws://${PUBLIC_A}:${peerPort}/`, { proxy: proxy.url, dial_timeout }), {
      name: "WebSocketError",
      kind: "PERMISSION_DENIED",
      message: /127\.0\.0\.1 is not public: loopback/,
    });
    t.equal(proxy.requests.length, 0, "a proxy on a private address is refused too");

    const connected: string[] = [];
    useDialIO({
      lookup: async (hostname) => {
        if (hostname === "proxy.test") return [{ address: PUBLIC_B, family: 4 }];
        if (hostname === "app.test") return [{ address: PUBLIC_A, family: 4 }];
        if (hostname === "internal.test") return [{ address: "10.0.0.7", family: 4 }];
        throw new Error("ENOTFOUND");
      },
      connect: (address, p) => {
        connected.push(`${address}:${p}`);
        return net.connect({ host: "127.0.0.1", port: proxy.port });
      },
    });
    const client = await dialWith(`ws://app.test:${peerPort}/`, {
      proxy: "http://proxy.test:3128",
      dial_timeout,
    });
    await client.close();
    t.same(connected, [`${PUBLIC_B}:3128`], "the socket went to the proxy's checked address");
    t.equal(
      proxy.requests[0]?.authority,
      `${PUBLIC_A}:${peerPort}`,
      "CONNECT names the checked target address",
    );
    await t.rejects(
      dialWith(`ws://internal.test:${peerPort}/`, { proxy: "http://proxy.test:3128", dial_timeout }),
      {
        name: "WebSocketError",
        kind: "PERMISSION_DENIED",
        message: /internal\.test resolves to 10\.0\.0\.7/,
      },
      "a target that resolves privately is refused even though the proxy would reach it",
    );
    t.equal(proxy.requests.length, 1);
    websocket.policy.reset();
    const plain = await dialWith(`ws://app.test:${peerPort}/`, {
      proxy: "http://proxy.test:3128",
      dial_timeout,
    });
    await plain.close();
    t.equal(proxy.requests[1]?.authority, `app.test:${peerPort}`, "by default the proxy resolves the name");
  },
);
