import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import t from "tap";
import { WebSocketServer } from "ws";
import { connectWith } from "../../src/client/connect.js";
import * as websocket from "../../src/index.js";
import { startProxy } from "../helpers/connect-proxy.js";
import { freePort } from "../helpers/daemons.js";
import { echo, startWsPeer } from "../helpers/ws-server.js";

/**
 * The routes that need no daemon: unix domain sockets, Happy Eyeballs, the lookup option, a
 * stream brought by the caller, and proxies from the environment (in a child process, so that
 * no environment variable leaks into other tests).
 */

t.setTimeout(60_000);
const dial_timeout = "5s";
const io = { env: {} };
t.afterEach(() => websocket.policy.reset());

async function roundTrip(client: websocket.Client, text: string): Promise<string | undefined> {
  await client.send(text);
  const [message] = await client.channel().receive();
  return message?.data as string | undefined;
}

/** ws's server on a unix socket in a fresh temporary directory. */
async function unixServer(): Promise<{ path: string; paths: string[]; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "wschan-unix-"));
  const path = join(dir, "ws.sock");
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  const paths: string[] = [];
  wss.on("connection", (ws, request) => {
    paths.push(`${request.headers.host} ${request.url}`);
    echo(ws);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    path,
    paths,
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

t.test("unix sockets: ws+unix: URLs and the unix_socket option", async (t) => {
  const server = await unixServer();
  t.teardown(() => server.close());
  const byUrl = await connectWith(`ws+unix:${server.path}:/chat?room=1`, { dial_timeout }, io);
  t.equal(await roundTrip(byUrl, "over a unix socket"), "over a unix socket");
  await byUrl.close();
  const byOption = await connectWith(
    "ws://app.internal/feed",
    { unix_socket: server.path, dial_timeout },
    io,
  );
  t.equal(await roundTrip(byOption, "by option"), "by option");
  await byOption.close();
  t.same(server.paths, ["localhost /chat?room=1", "app.internal /feed"]);
  await t.rejects(connectWith(`ws+unix:${server.path}.missing:/`, { dial_timeout }, io), {
    name: "WebSocketError",
    id: "CONNECT_FAILED",
    message: /unix socket .*\.missing failed/,
  });
  await t.rejects(connectWith("ws+unix://host/x", {}, io), { name: "WebSocketError", kind: "INVALID" });
});

t.test(
  "unix sockets and the policy: refused under private_networks: false unless unix_sockets: true",
  async (t) => {
    const server = await unixServer();
    t.teardown(() => server.close());
    const url = `ws+unix:${server.path}:/`;
    websocket.policy.set({ private_networks: false });
    await t.rejects(connectWith(url, { dial_timeout }, io), {
      name: "WebSocketError",
      kind: "PERMISSION_DENIED",
      message: /unix socket .* is refused by websocket\.policy: private_networks: false/,
    });
    await t.rejects(
      connectWith("ws://93.184.216.34/", { unix_socket: server.path, dial_timeout }, io),
      { name: "WebSocketError", kind: "PERMISSION_DENIED" },
      "the option is refused the same way",
    );
    websocket.policy.set({ private_networks: false, unix_sockets: true });
    const client = await connectWith(url, { dial_timeout }, io);
    await client.close();
    await t.rejects(
      connectWith(url, { policy: { unix_sockets: false }, dial_timeout }, io),
      { kind: "PERMISSION_DENIED", message: /options\.policy: unix_sockets: false/ },
      "options.policy narrows it",
    );
    websocket.policy.set({ urls: { allow: ["wss://*:*"] } });
    await t.rejects(
      connectWith(url, { dial_timeout }, io),
      { kind: "PERMISSION_DENIED", message: /urls\.allow/ },
      "an allow list does not let a socket through",
    );
    t.equal(server.paths.length, 1, "only the allowed dial reached the server");
  },
);

t.test(
  "Happy Eyeballs: a first address that never answers loses to the second within the delay",
  async (t) => {
    const peer = await startWsPeer({}, echo);
    t.teardown(() => peer.close());
    const port = Number(new URL(peer.url).port);
    const attempts: { address: string; at: number; socket: net.Socket }[] = [];
    const started = Date.now();
    const client = await connectWith(
      `ws://dual.test:${port}/`,
      { happy_eyeballs_delay: "100ms", dial_timeout },
      {
        env: {},
        lookup: async () => [
          { address: "2001:db8::1", family: 6 },
          { address: "93.184.216.34", family: 4 },
        ],
        connect: (address, p) => {
          // 2001:db8::1 stands for an address whose SYN goes unanswered: a socket that never connects.
          const socket =
            address === "2001:db8::1" ? new net.Socket() : net.connect({ host: "127.0.0.1", port: p });
          attempts.push({ address, at: Date.now() - started, socket });
          return socket;
        },
      },
    );
    const took = Date.now() - started;
    t.equal(await roundTrip(client, "eyeballs"), "eyeballs");
    await client.close();
    t.same(
      attempts.map((a) => a.address),
      ["2001:db8::1", "93.184.216.34"],
      "IPv6 first, as the answer ordered it",
    );
    t.ok(attempts[1]!.at >= 90, `the second attempt waited for the delay (${attempts[1]!.at} ms)`);
    t.ok(took < 100 + 400, `open within the delay plus a margin (${took} ms), not at the dial timeout`);
    t.ok(attempts[0]!.socket.destroyed, "the losing attempt was destroyed at once");
  },
);

t.test(
  "Happy Eyeballs: a failed attempt starts the next at once; all failing lists every attempt",
  async (t) => {
    const closed = await freePort();
    const started = Date.now();
    const error = await connectWith(
      "ws://down.test/",
      { happy_eyeballs_delay: "2s", dial_timeout },
      {
        env: {},
        lookup: async () => [
          { address: "2001:db8::1", family: 6 },
          { address: "2001:db8::2", family: 6 },
          { address: "93.184.216.34", family: 4 },
        ],
        connect: () => net.connect({ host: "127.0.0.1", port: closed }),
      },
    ).catch((e: unknown) => e);
    t.ok(Date.now() - started < 1000, "no attempt waited for the 2 s delay after a failure");
    t.match(error, { name: "WebSocketError", id: "CONNECT_FAILED", retryable: true });
    const attempts = (error as websocket.WebSocketError).attempts;
    t.same(
      attempts?.map((a) => [a.address, a.phase]),
      [
        ["2001:db8::1", "TCP connect"],
        ["93.184.216.34", "TCP connect"],
        ["2001:db8::2", "TCP connect"],
      ],
      "families interleaved, each attempt listed",
    );
    t.ok(attempts?.every((a) => /ECONNREFUSED/.test(a.error)));
    t.match(
      (error as Error).message,
      /failed on every address: 2001:db8::1: .*; 93\.184\.216\.34: .*; 2001:db8::2: /,
    );
  },
);

t.test("one address: its failure is reported as one attempt, as with several", async (t) => {
  const closed = await freePort();
  const error = await connectWith(
    "ws://down.test/",
    { dial_timeout },
    {
      env: {},
      lookup: async () => [{ address: "93.184.216.34", family: 4 }],
      connect: () => net.connect({ host: "127.0.0.1", port: closed }),
    },
  ).catch((e: unknown) => e);
  t.match(error, { name: "WebSocketError", id: "CONNECT_FAILED", retryable: true });
  const failed = error as websocket.WebSocketError;
  t.same(
    failed.attempts?.map((a) => [a.address, a.port, a.phase]),
    [["93.184.216.34", 80, "TCP connect"]],
  );
  t.match(failed.attempts?.[0]?.error, /ECONNREFUSED/);
  t.match(failed.message, /^connection to down\.test:80 \(93\.184\.216\.34\) failed: .*ECONNREFUSED/);
  t.match(failed.cause, { code: "ECONNREFUSED" });
});

t.test("one address: the dial timeout during the TCP connect destroys the socket", async (t) => {
  let socket: net.Socket | undefined;
  // The connect passed in hands back a socket that never connects (and opens nothing).
  const error = await connectWith(
    "ws://slow.test/",
    { dial_timeout: 100 },
    {
      env: {},
      lookup: async () => [{ address: "93.184.216.34", family: 4 }],
      connect: () => {
        socket = new net.Socket();
        return socket;
      },
    },
  ).catch((e: unknown) => e);
  t.match(error, { name: "WebSocketError", id: "DIAL_TIMEOUT", message: /during the TCP connect/ });
  t.ok(socket?.destroyed, "the attempt was destroyed");
});

t.test("Happy Eyeballs checks each attempt with the policy before its socket opens", async (t) => {
  let sockets = 0;
  await t.rejects(
    connectWith(
      "ws://mixed.test/",
      { policy: { private_networks: false }, dial_timeout },
      {
        env: {},
        lookup: async () => [
          { address: "93.184.216.34", family: 4 },
          { address: "10.0.0.1", family: 4 },
        ],
        connect: () => {
          sockets++;
          return new net.Socket();
        },
      },
    ),
    {
      name: "WebSocketError",
      id: "POLICY_PRIVATE_NETWORK",
      kind: "PERMISSION_DENIED",
      message: /10\.0\.0\.1/,
    },
  );
  t.equal(sockets, 0, "no socket was opened");
  await t.rejects(connectWith("ws://x.test/", { happy_eyeballs_delay: "5ms" }, io), {
    name: "WebSocketError",
    kind: "INVALID",
  });
});

t.test(
  "the lookup option (Node's dns.lookup shape) replaces DNS, and its errors are DNS_FAILED",
  async (t) => {
    const peer = await startWsPeer({}, echo);
    t.teardown(() => peer.close());
    const port = new URL(peer.url).port;
    const asked: string[] = [];
    const lookup: websocket.ConnectOptions["lookup"] = (hostname, options, callback) => {
      asked.push(`${hostname} all=${options.all}`);
      if (hostname === "mine.test") callback(null, [{ address: "127.0.0.1", family: 4 }]);
      else callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" }), []);
    };
    const client = await connectWith(`ws://mine.test:${port}/`, { lookup, dial_timeout }, io);
    t.equal(await roundTrip(client, "own DNS"), "own DNS");
    await client.close();
    await t.rejects(connectWith(`ws://other.test:${port}/`, { lookup, dial_timeout }, io), {
      name: "WebSocketError",
      id: "DNS_FAILED",
      retryable: true,
    });
    t.same(asked, ["mine.test all=true", "other.test all=true"]);
    await t.rejects(
      connectWith("ws://x.test/", { lookup: "8.8.8.8" } as never, io),
      { name: "WebSocketError", kind: "INVALID" },
      "not a function",
    );
    websocket.policy.set({ private_networks: false });
    await t.rejects(
      connectWith(`ws://mine.test:${port}/`, { lookup, dial_timeout }, io),
      { kind: "PERMISSION_DENIED", message: /mine\.test resolves to 127\.0\.0\.1/ },
      "its answers are checked by the policy",
    );
  },
);

t.test("bring your own stream: the handshake runs on it; the policy checks its remote address", async (t) => {
  const peer = await startWsPeer({}, echo);
  t.teardown(() => peer.close());
  const port = Number(new URL(peer.url).port);
  const socket = net.connect({ host: "127.0.0.1", port });
  await new Promise((resolve) => socket.once("connect", resolve));
  const client = await connectWith("ws://anything.example/", { socket, dial_timeout }, io);
  t.equal(await roundTrip(client, "own socket"), "own socket");
  await client.close();
  const again = net.connect({ host: "127.0.0.1", port });
  await new Promise((resolve) => again.once("connect", resolve));
  await t.rejects(
    connectWith(
      "ws://anything.example/",
      { socket: again, policy: { private_networks: false }, dial_timeout },
      io,
    ),
    { kind: "PERMISSION_DENIED", message: /127\.0\.0\.1 is not public/ },
  );
  t.ok(again.destroyed, "a refused stream is destroyed");
  await t.rejects(
    connectWith("ws://anything.example/", { socket: again, proxy: "http://p.test:1" } as never, io),
    { name: "WebSocketError", kind: "INVALID" },
    "a stream cannot be combined with a proxy",
  );
});

t.test("proxies from the environment, read from process.env in a child process", async (t) => {
  const peer = await startWsPeer({}, echo);
  t.teardown(() => peer.close());
  const proxy = await startProxy({ route: () => "127.0.0.1" });
  t.teardown(() => proxy.close());
  const port = new URL(peer.url).port;
  const script = `
    import { connect } from "./src/index.ts";
    const results = [];
    for (const url of process.argv.slice(1)) {
      try {
        const client = await connect(url, { dial_timeout: "3s", lookup: (h, o, cb) => cb(null, [{ address: "127.0.0.1", family: 4 }]) });
        await client.close();
        results.push("open");
      } catch (e) {
        results.push(e.id ?? String(e));
      }
    }
    console.log(JSON.stringify(results));
  `;
  const run = async (env: Record<string, string>, ...urls: string[]): Promise<string[]> => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import=tsx", "--input-type=module", "-e", script, ...urls],
      { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 20_000 },
    );
    return JSON.parse(stdout) as string[];
  };
  const before = proxy.requests.length;
  t.same(
    await run(
      { ws_proxy: proxy.url, NO_PROXY: "direct.test" },
      `ws://via.test:${port}/`,
      `ws://direct.test:${port}/`,
      `ws://sub.direct.test:${port}/`,
    ),
    ["open", "open", "open"],
  );
  t.same(
    proxy.requests.slice(before).map((r) => r.authority),
    [`via.test:${port}`],
    "only the host outside NO_PROXY went through the proxy",
  );
  t.same(
    await run({ HTTP_PROXY: `http://127.0.0.1:${await freePort()}` }, `ws://via.test:${port}/`),
    ["CONNECT_FAILED"],
    "HTTP_PROXY is used for ws: (and fails here: nothing listens there)",
  );
  t.same(
    await run({ all_proxy: "ftp://x" }, `ws://via.test:${port}/`),
    ["INVALID_OPTION"],
    "a bad proxy URL in the environment is INVALID, naming the variable",
  );
  t.equal(process.env.ws_proxy, undefined, "this process's environment is untouched");
});

t.test("proxy: false ignores the environment; an explicit proxy overrides it", async (t) => {
  const peer = await startWsPeer({}, echo);
  t.teardown(() => peer.close());
  const env = { env: { all_proxy: `http://127.0.0.1:${await freePort()}` } };
  const direct = await connectWith(
    peer.url.replace("127.0.0.1", "10.0.0.1"),
    { proxy: false, dial_timeout },
    {
      ...env,
      connect: (_a, p) => net.connect({ host: "127.0.0.1", port: p }),
    },
  );
  await direct.close();
  await t.rejects(
    connectWith(peer.url.replace("127.0.0.1", "10.0.0.1"), { dial_timeout }, env),
    { name: "WebSocketError", id: "CONNECT_FAILED" },
    "by default the environment's proxy is used",
  );
});
