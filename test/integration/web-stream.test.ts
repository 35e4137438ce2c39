// WebSocketStream (wschan/web) against ws's server on 127.0.0.1: the proposal's opened/closed/close
// and signal, and backpressure both ways.
import t from "tap";
import type { WebSocket as WsSocket } from "ws";
import { WebSocketError, WebSocketStream } from "../../src/web/index.js";
import { echo, startWsPeer } from "../helpers/ws-server.js";

t.setTimeout(30_000);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

t.test("opened gives a readable and a writable that echo text and binary", async (t) => {
  const peer = await startWsPeer({ handleProtocols: () => "v1" }, echo);
  t.teardown(() => peer.close());
  const stream = new WebSocketStream(peer.url, { protocols: ["v1", "v2"] });
  t.equal(stream.url, `${peer.url}/`);
  const { readable, writable, protocol, extensions } = await stream.opened;
  t.equal(protocol, "v1");
  t.equal(extensions, "");
  const writer = writable.getWriter();
  const reader = readable.getReader();
  await writer.write("héllo");
  await writer.write(Uint8Array.of(1, 2, 3));
  await writer.write(new Uint16Array([0x0102]).buffer);
  t.same(await reader.read(), { value: "héllo", done: false });
  const binary = await reader.read();
  t.ok(
    binary.value instanceof Uint8Array && !Buffer.isBuffer(binary.value),
    "binary arrives as a Uint8Array",
  );
  t.same([...(binary.value as Uint8Array)], [1, 2, 3]);
  t.same(
    [...((await reader.read()).value as Uint8Array)],
    [...new Uint8Array(new Uint16Array([0x0102]).buffer)],
  );
  await t.rejects(writer.write(42 as unknown as string), TypeError, "a number is not a chunk");
  stream.close({ closeCode: 4000, reason: "bye" });
  t.same(await stream.closed, { closeCode: 4000, reason: "bye" });
  t.same(await reader.read(), { value: undefined, done: true }, "the readable ends after a clean close");
});

t.test("close() checks closeCode and reason as the proposal says", async (t) => {
  const peer = await startWsPeer();
  t.teardown(() => peer.close());
  const stream = new WebSocketStream(peer.url);
  await stream.opened;
  t.throws(() => stream.close({ closeCode: 1001 }), { name: "InvalidAccessError" });
  t.throws(() => stream.close({ closeCode: 70000 }), TypeError, "[EnforceRange]");
  t.throws(() => stream.close({ reason: "x".repeat(124) }), { name: "SyntaxError" });
  stream.close({ reason: "reason alone" });
  t.same(await stream.closed, { closeCode: 1000, reason: "reason alone" }, "a reason alone closes with 1000");
});

t.test("the constructor refuses what WebSocket refuses", async (t) => {
  t.throws(() => new WebSocketStream("ws://127.0.0.1/#x"), { name: "SyntaxError" });
  t.throws(() => new WebSocketStream("ftp://127.0.0.1/"), { name: "SyntaxError" });
  t.throws(() => new WebSocketStream("ws://127.0.0.1/", { protocols: ["a", "a"] }), { name: "SyntaxError" });
});

t.test("an aborted signal rejects opened and closed with its reason; during the dial too", async (t) => {
  const already = new WebSocketStream("ws://127.0.0.1:1/", { signal: AbortSignal.abort(new Error("stop")) });
  await t.rejects(already.opened, { message: "stop" });
  await t.rejects(already.closed, { message: "stop" });

  // A server that accepts TCP and never answers the handshake keeps the dial waiting.
  const net = await import("node:net");
  const silent = net.createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  t.teardown(() => {
    silent.close();
  });
  const controller = new AbortController();
  const port = (silent.address() as import("node:net").AddressInfo).port;
  const stream = new WebSocketStream(`ws://127.0.0.1:${port}/`, { signal: controller.signal });
  setTimeout(() => controller.abort(), 50);
  await t.rejects(stream.opened, { name: "AbortError" });
  await t.rejects(stream.closed, { name: "AbortError" });
});

t.test("after open the signal does nothing", async (t) => {
  const peer = await startWsPeer({}, echo);
  t.teardown(() => peer.close());
  const controller = new AbortController();
  const stream = new WebSocketStream(peer.url, { signal: controller.signal });
  const { readable, writable } = await stream.opened;
  controller.abort();
  const writer = writable.getWriter();
  await writer.write("still open");
  t.same(await readable.getReader().read(), { value: "still open", done: false });
  stream.close();
  await stream.closed;
});

t.test("a lost connection rejects closed with a WebSocketError (1006) and errors the readable", async (t) => {
  const peer = await startWsPeer({}, (ws) => setTimeout(() => ws.terminate(), 20));
  t.teardown(() => peer.close());
  const stream = new WebSocketStream(peer.url);
  const { readable } = await stream.opened;
  const error = await stream.closed.then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(error instanceof WebSocketError, "a WebSocketError");
  t.ok(error instanceof DOMException, "which is a DOMException");
  t.equal((error as WebSocketError).closeCode, 1006);
  await t.rejects(readable.getReader().read(), WebSocketError);
});

t.test("a refused handshake rejects opened and closed", async (t) => {
  const peer = await startWsPeer({ verifyClient: (_info, done) => done(false, 401) });
  t.teardown(() => peer.close());
  const stream = new WebSocketStream(peer.url);
  await t.rejects(stream.opened, WebSocketError);
  await t.rejects(stream.closed, WebSocketError);
});

t.test("cancelling the readable with a WebSocketError closes with its code", async (t) => {
  const peer = await startWsPeer();
  t.teardown(() => peer.close());
  const stream = new WebSocketStream(peer.url);
  const { readable } = await stream.opened;
  await readable.cancel(new WebSocketError("done", { closeCode: 3001, reason: "cancelled" }));
  t.same(await stream.closed, { closeCode: 3001, reason: "cancelled" });
});

t.test("a reader that does not read pauses the socket; reading resumes it, nothing is lost", async (t) => {
  const size = 64 * 1024;
  const count = 2000; // 125 MiB in all, far beyond the socket buffers and the channel
  let server: WsSocket | undefined;
  const peer = await startWsPeer({}, (ws) => {
    server = ws;
  });
  t.teardown(() => peer.close());
  const stream = new WebSocketStream(peer.url, { channel_capacity: 4 });
  const { readable } = await stream.opened;
  while (server === undefined) await sleep(5);
  const payload = Buffer.alloc(size);
  for (let i = 0; i < count; i++) {
    payload.writeUInt32BE(i, 0);
    server.send(Buffer.from(payload));
  }
  await sleep(300);
  const before = server.bufferedAmount;
  await sleep(300);
  t.ok(before > 64 * 1024 * 1024, `the server still holds ${before} bytes: the client stopped reading`);
  t.equal(server.bufferedAmount, before, "and nothing more moves while nobody reads");
  const reader = readable.getReader();
  for (let i = 0; i < count; i++) {
    const { value } = await reader.read();
    if (
      !(value instanceof Uint8Array) ||
      Buffer.from(value.buffer, value.byteOffset, 4).readUInt32BE(0) !== i
    ) {
      t.fail(`message ${i} is missing or out of order`);
      break;
    }
  }
  t.equal(server.bufferedAmount, 0, "everything arrived once read");
  stream.close();
  await stream.closed;
});

t.test(
  "writes resolve when the client has sent them: a server that does not read stalls the writer",
  async (t) => {
    let server: WsSocket | undefined;
    const peer = await startWsPeer({ maxPayload: 0 }, (ws) => {
      server = ws;
    });
    t.teardown(() => peer.close());
    const stream = new WebSocketStream(peer.url);
    const { writable } = await stream.opened;
    while (server === undefined) await sleep(5);
    // ws has no pause on its API; its socket does.
    (server as unknown as { _socket: import("node:net").Socket })._socket.pause();
    const writer = writable.getWriter();
    const chunk = new Uint8Array(1024 * 1024);
    let written = 0;
    let stalled = false;
    for (let i = 0; i < 256; i++) {
      await writer.ready;
      const write = writer.write(chunk).then(() => {
        written++;
      });
      const settled = await Promise.race([write.then(() => true), sleep(500).then(() => false)]);
      if (!settled) {
        stalled = true;
        break;
      }
    }
    t.ok(stalled, `a write stayed pending after ${written} MiB had been handed to the socket`);
    t.ok(written < 256, "the writer did not run ahead of the socket");
    t.equal(writer.desiredSize, 0, "the writable reports backpressure");
    (server as unknown as { _socket: import("node:net").Socket })._socket.resume();
    await writer.ready;
    t.pass("the writer is ready again once the server reads");
    stream.close();
    await stream.closed;
  },
);
