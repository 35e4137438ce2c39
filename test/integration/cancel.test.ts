import { getEventListeners } from "node:events";
import * as net from "node:net";
import t, { type Test } from "tap";
import { connectWith } from "../../src/client/connect.js";
import type { DialIO, LookupFunction } from "../../src/client/dial.js";
import type * as websocket from "../../src/index.js";
import { startProxy } from "../helpers/connect-proxy.js";
import { startWsPeer } from "../helpers/ws-server.js";

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
t.afterEach(() => useDialIO(undefined));

const dial_timeout = "10s";

/** A TCP server on 127.0.0.1 that accepts and then says nothing; it records when each connection is closed. */
async function silentServer(): Promise<{ port: number; open: () => number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.resume();
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    open: () => sockets.size,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Aborts `controller` after `ms` and checks that `dialling` then rejects promptly with CANCELED naming `phase`. */
async function abortAfter(
  t: Test,
  controller: AbortController,
  ms: number,
  dialling: Promise<unknown>,
  phase: string,
): Promise<void> {
  const reason = new Error("user gave up");
  setTimeout(() => controller.abort(reason), ms);
  const started = Date.now();
  const error = await dialling.then(
    () => undefined,
    (e: unknown) => e,
  );
  const took = Date.now() - started;
  t.match(error, {
    name: "WebSocketError",
    kind: "CANCELED",
    retryable: false,
    message: new RegExp(`was canceled during the ${phase}`),
  });
  t.equal((error as Error).cause, reason, "the abort reason is the cause");
  t.ok(took < ms + 1000, `rejected promptly (${took} ms)`);
  t.equal(getEventListeners(controller.signal, "abort").length, 0, "no listener is left on the signal");
}

t.test("an already aborted signal rejects at once, before any lookup", async (t) => {
  let lookups = 0;
  useDialIO({
    lookup: async () => {
      lookups++;
      return [{ address: "127.0.0.1", family: 4 }];
    },
  });
  await t.rejects(dialWith("ws://ws.test/", { signal: AbortSignal.abort() }), {
    name: "WebSocketError",
    kind: "CANCELED",
    retryable: false,
  });
  t.equal(lookups, 0);
});

t.test("cancelled during the DNS lookup", async (t) => {
  let release!: () => void;
  const lookup: LookupFunction = () =>
    new Promise((resolve) => {
      release = () => resolve([{ address: "127.0.0.1", family: 4 }]);
    });
  useDialIO({ lookup });
  const controller = new AbortController();
  const dialling = dialWith("ws://slow-dns.test/", { signal: controller.signal, dial_timeout });
  await abortAfter(t, controller, 50, dialling, "DNS lookup");
  release(); // the late answer is ignored
});

t.test("cancelled during the TCP connect", async (t) => {
  const pending: net.Socket[] = [];
  // A socket that never connects stands in for a SYN nobody answers.
  useDialIO({
    connect: () => {
      const socket = new net.Socket();
      pending.push(socket);
      return socket;
    },
  });
  const controller = new AbortController();
  const dialling = dialWith("ws://127.0.0.1:9/", { signal: controller.signal, dial_timeout });
  await abortAfter(t, controller, 50, dialling, "TCP connect");
  t.equal(pending.length, 1);
  t.ok(pending[0]?.destroyed, "the socket was destroyed");
});

t.test("cancelled during the TLS handshake", async (t) => {
  const server = await silentServer();
  t.teardown(() => server.close());
  const controller = new AbortController();
  const dialling = dialWith(`wss://127.0.0.1:${server.port}/`, {
    signal: controller.signal,
    dial_timeout,
  });
  await abortAfter(t, controller, 100, dialling, "TLS handshake");
  await new Promise((r) => setTimeout(r, 50));
  t.equal(server.open(), 0, "the server saw the connection closed");
});

t.test("cancelled while the proxy has not answered CONNECT", async (t) => {
  const proxy = await startProxy({ silent: true });
  t.teardown(() => proxy.close());
  const controller = new AbortController();
  const dialling = dialWith("ws://127.0.0.1:9/", {
    proxy: proxy.url,
    signal: controller.signal,
    dial_timeout,
  });
  await abortAfter(t, controller, 100, dialling, "proxy CONNECT");
});

t.test("cancelled during the opening handshake", async (t) => {
  const server = await silentServer();
  t.teardown(() => server.close());
  const controller = new AbortController();
  const dialling = dialWith(`ws://127.0.0.1:${server.port}/`, {
    signal: controller.signal,
    dial_timeout,
  });
  await abortAfter(t, controller, 100, dialling, "opening handshake");
  await new Promise((r) => setTimeout(r, 50));
  t.equal(server.open(), 0, "the server saw the connection closed");
});

t.test("once open, aborting closes the connection with 1001", async (t) => {
  const peer = await startWsPeer();
  t.teardown(() => peer.close());
  const controller = new AbortController();
  const client = await dialWith(peer.url, { signal: controller.signal });
  const server = await peer.connection();
  const serverSaw = new Promise<number>((resolve) => server.once("close", (code) => resolve(code)));
  t.equal(getEventListeners(controller.signal, "abort").length, 1, "one listener while open");
  controller.abort();
  t.equal(await serverSaw, 1001, "the server received close code 1001");
  t.match(await client.closed, { code: 1001, clean: true });
  await new Promise((r) => setImmediate(r));
  t.equal(getEventListeners(controller.signal, "abort").length, 0, "the listener is gone once closed");
});

t.test("a client closed normally leaves nothing on its signal, and a later abort does nothing", async (t) => {
  const peer = await startWsPeer();
  t.teardown(() => peer.close());
  const controller = new AbortController();
  const client = await dialWith(peer.url, { signal: controller.signal });
  await client.close();
  await new Promise((r) => setImmediate(r));
  t.equal(getEventListeners(controller.signal, "abort").length, 0);
  controller.abort();
  t.same(await client.closed, { code: 1000, reason: "", clean: true });
});

t.test("the dial timeout still applies to every phase, naming it", async (t) => {
  useDialIO({ lookup: () => new Promise(() => {}) });
  await t.rejects(dialWith("ws://never.test/", { dial_timeout: "100ms" }), {
    name: "WebSocketError",
    kind: "TIMEOUT",
    retryable: true,
    message: "dial to ws://never.test/ timed out after 100ms (during the DNS lookup)",
  });
  useDialIO(undefined);
  const server = await silentServer();
  t.teardown(() => server.close());
  await t.rejects(dialWith(`ws://127.0.0.1:${server.port}/`, { dial_timeout: "100ms" }), {
    name: "WebSocketError",
    kind: "TIMEOUT",
    message: /timed out after 100ms \(during the opening handshake\)/,
  });
  await t.rejects(dialWith(`wss://127.0.0.1:${server.port}/`, { dial_timeout: "100ms" }), {
    name: "WebSocketError",
    kind: "TIMEOUT",
    message: /timed out after 100ms \(during the TLS handshake\)/,
  });
});

t.test("a signal that is not an AbortSignal is INVALID", async (t) => {
  for (const signal of [{}, true, "abort", { aborted: false, addEventListener() {} }]) {
    await t.rejects(dialWith("ws://127.0.0.1:9/", { signal } as never), {
      name: "WebSocketError",
      kind: "INVALID",
    });
  }
});
