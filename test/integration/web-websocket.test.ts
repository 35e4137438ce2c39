// The HTML standard's WebSocket interface (wschan/web) against ws's server on 127.0.0.1, checked
// against the expectations of the web-platform-tests "websockets" directory that can be reproduced
// without a browser: constructor errors, readyState, close() validation, event order, binaryType,
// bufferedAmount.
import t, { type Test } from "tap";
import { errors } from "../../src/index.js";
import { CloseEvent, type MessageEvent, WebSocket } from "../../src/web/index.js";
import { echo, startWsPeer } from "../helpers/ws-server.js";

t.setTimeout(30_000);

/** Waits for one event of `type`, bounded. */
function next<E extends Event>(ws: WebSocket, type: string, ms = 5000): Promise<E> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} event within ${ms} ms`)), ms);
    ws.addEventListener(
      type,
      (event) => {
        clearTimeout(timer);
        resolve(event as E);
      },
      { once: true },
    );
  });
}

/** Records the type of every event, with the readyState seen inside the listener. */
function record(ws: WebSocket): string[] {
  const seen: string[] = [];
  for (const type of ["open", "message", "error", "close"]) {
    ws.addEventListener(type, () => seen.push(`${type}:${ws.readyState}`));
  }
  return seen;
}

function syntaxError(t: Test, fn: () => unknown, what: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  t.ok(
    caught instanceof DOMException && caught.name === "SyntaxError",
    `${what}: a SyntaxError DOMException`,
  );
}

t.test("the constructor throws SyntaxError for the URLs and protocols the standard refuses", async (t) => {
  syntaxError(t, () => new WebSocket("/relative"), "a relative URL (no base in Node)");
  syntaxError(t, () => new WebSocket("ws://foo bar.com/"), "a URL that does not parse");
  syntaxError(t, () => new WebSocket("ws://127.0.0.1:65536/"), "a port out of range");
  syntaxError(t, () => new WebSocket("ftp://127.0.0.1/"), "a scheme other than ws/wss/http/https");
  syntaxError(t, () => new WebSocket("ws://127.0.0.1/#frag"), "a fragment");
  syntaxError(t, () => new WebSocket("ws://127.0.0.1/#"), "an empty fragment");
  syntaxError(t, () => new WebSocket("ws://127.0.0.1/", ""), "an empty protocol");
  syntaxError(t, () => new WebSocket("ws://127.0.0.1/", "a b"), "a protocol with a space");
  syntaxError(t, () => new WebSocket("ws://127.0.0.1/", "é"), "a non-ASCII protocol");
  syntaxError(t, () => new WebSocket("ws://127.0.0.1/", ["chat", "chat"]), "a duplicated protocol");
  syntaxError(t, () => new WebSocket("ws://127.0.0.1/", "a,b"), "a protocol with a comma");
  // WebIDL turns a protocols argument that is not a sequence into a string: null offers "null".
  const nullPeer = await startWsPeer({ handleProtocols: (set) => [...set][0] ?? false });
  t.teardown(() => nullPeer.close());
  const offeredNull = new WebSocket(nullPeer.url, null as unknown as string);
  await next(offeredNull, "open");
  t.equal(offeredNull.protocol, "null");
  offeredNull.close();
  await next(offeredNull, "close");
  // Protocols differing only by case are different to the standard (it compares them exactly).
  const peer = await startWsPeer({ handleProtocols: (set) => [...set][0] ?? false });
  t.teardown(() => peer.close());
  const ws = new WebSocket(peer.url, ["Chat", "chat"]);
  await next(ws, "open");
  t.equal(ws.protocol, "Chat", "the server's choice is exposed in protocol");
  ws.close();
  await next(ws, "close");
});

t.test("a bad wschan option throws INVALID from the constructor, before anything is dialled", async (t) => {
  let caught: unknown;
  try {
    new WebSocket("ws://127.0.0.1:1/", { read_limit: -1 });
  } catch (error) {
    caught = error;
  }
  t.ok(errors.is(caught, errors.INVALID), "INVALID");
  caught = undefined;
  try {
    new WebSocket("ws://127.0.0.1:1/", ["a"], { protocols: ["b"] });
  } catch (error) {
    caught = error;
  }
  t.ok(errors.is(caught, errors.INVALID), "protocols given twice in one call: INVALID");
});

t.test("http: and https: become ws: and wss:; url is the serialized URL", async (t) => {
  const peer = await startWsPeer();
  t.teardown(() => peer.close());
  const port = new URL(peer.url).port;
  const ws = new WebSocket(`http://127.0.0.1:${port}/path?q=1`);
  t.equal(ws.url, `ws://127.0.0.1:${port}/path?q=1`);
  t.equal(ws.readyState, WebSocket.CONNECTING);
  await next(ws, "open");
  ws.close();
  await next(ws, "close");
  const secure = new WebSocket("https://127.0.0.1:1/x", { dial_timeout: "2s" });
  t.equal(secure.url, "wss://127.0.0.1:1/x");
  await next(secure, "close");
});

t.test("constants are on the class and on instances", async (t) => {
  t.same([WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED], [0, 1, 2, 3]);
  const peer = await startWsPeer();
  t.teardown(() => peer.close());
  const ws = new WebSocket(peer.url);
  t.same([ws.CONNECTING, ws.OPEN, ws.CLOSING, ws.CLOSED], [0, 1, 2, 3]);
  t.equal(ws.binaryType, "blob", "binaryType defaults to blob");
  t.equal(ws.bufferedAmount, 0);
  t.equal(ws.protocol, "");
  t.equal(ws.extensions, "");
  await next(ws, "open");
  ws.close();
  await next(ws, "close");
});

t.test("send() while connecting throws InvalidStateError", async (t) => {
  const peer = await startWsPeer();
  t.teardown(() => peer.close());
  const ws = new WebSocket(peer.url);
  t.throws(() => ws.send("x"), { name: "InvalidStateError" });
  await next(ws, "open");
  ws.close();
  await next(ws, "close");
});

t.test("close() validates code and reason before anything else, whatever the state", async (t) => {
  const peer = await startWsPeer();
  t.teardown(() => peer.close());
  const ws = new WebSocket(peer.url);
  for (const code of [0, 999, 1001, 1005, 1006, 2999, 5000, 65535, 70000, -1, Number.NaN]) {
    t.throws(() => ws.close(code), { name: "InvalidAccessError" }, `code ${code}`);
  }
  t.throws(() => ws.close(1000, "x".repeat(124)), { name: "SyntaxError" }, "124-byte reason");
  t.throws(() => ws.close(1000, "é".repeat(62)), { name: "SyntaxError" }, "124 bytes of two-byte characters");
  t.equal(ws.readyState, WebSocket.CONNECTING, "a refused close changes nothing");
  await next(ws, "open");
  t.throws(
    () => ws.close(3000, "\u{1F600}".repeat(31)),
    { name: "SyntaxError" },
    "124 bytes of four-byte characters",
  );
  const closing = next<CloseEvent>(ws, "close");
  ws.close(4999, "x".repeat(123));
  t.equal(ws.readyState, WebSocket.CLOSING, "CLOSING at once");
  const event = await closing;
  t.equal(event.code, 4999, "ws echoes the code");
  t.equal(event.reason, "x".repeat(123));
  t.equal(event.wasClean, true);
  t.throws(() => ws.close(1001), { name: "InvalidAccessError" }, "still checked once closed");
  ws.close(1000);
  t.equal(ws.readyState, WebSocket.CLOSED, "closing again does nothing");
});

t.test("close(1000.6) is clamped and rounded to 1001 (refused); close(3000.4) to 3000", async (t) => {
  const peer = await startWsPeer();
  t.teardown(() => peer.close());
  const ws = new WebSocket(peer.url);
  await next(ws, "open");
  t.throws(() => ws.close(1000.6), { name: "InvalidAccessError" });
  const closing = next<CloseEvent>(ws, "close");
  ws.close(3000.4);
  t.equal((await closing).code, 3000);
});

t.test("event order of a normal connection: open, messages, close; readyState in each", async (t) => {
  const peer = await startWsPeer({}, (ws) => {
    ws.send("one");
    ws.send("two");
    ws.close(1000, "done");
  });
  t.teardown(() => peer.close());
  const ws = new WebSocket(peer.url);
  const seen = record(ws);
  const data: unknown[] = [];
  ws.onmessage = (event) => {
    data.push((event as MessageEvent).data);
  };
  const closed = await next<CloseEvent>(ws, "close");
  t.same(seen, ["open:1", "message:1", "message:1", "close:3"]);
  t.same(data, ["one", "two"]);
  t.ok(closed instanceof CloseEvent);
  t.same([closed.code, closed.reason, closed.wasClean], [1000, "done", true]);
});

t.test(
  "a failed dial fires error then close(1006, wasClean false); readyState is CLOSED in both",
  async (t) => {
    const peer = await startWsPeer({ verifyClient: (_info, done) => done(false, 403) });
    t.teardown(() => peer.close());
    const ws = new WebSocket(peer.url);
    const seen = record(ws);
    const errorEvent = next<Event & { error?: unknown }>(ws, "error");
    const closed = await next<CloseEvent>(ws, "close");
    t.same(seen, ["error:3", "close:3"]);
    t.same([closed.code, closed.reason, closed.wasClean], [1006, "", false]);
    t.ok((await errorEvent).error instanceof Error, "the error event carries wschan's error");
  },
);

t.test("close() while connecting fails the connection: CLOSING, then error and close 1006", async (t) => {
  const peer = await startWsPeer();
  t.teardown(() => peer.close());
  const ws = new WebSocket(peer.url);
  const seen = record(ws);
  ws.close();
  t.equal(ws.readyState, WebSocket.CLOSING);
  const closed = await next<CloseEvent>(ws, "close");
  t.same(seen, ["error:3", "close:3"]);
  t.same([closed.code, closed.wasClean], [1006, false]);
});

t.test("a connection lost without a closing handshake: error, then close 1006 not clean", async (t) => {
  const peer = await startWsPeer({}, (ws) => ws.terminate());
  t.teardown(() => peer.close());
  const ws = new WebSocket(peer.url);
  const seen = record(ws);
  const closed = await next<CloseEvent>(ws, "close");
  t.same(seen, ["open:1", "error:3", "close:3"]);
  t.same([closed.code, closed.wasClean], [1006, false]);
});

t.test("messages after close() are not delivered", async (t) => {
  const peer = await startWsPeer({}, (ws) => {
    for (let i = 0; i < 5; i++) ws.send(`m${i}`);
  });
  t.teardown(() => peer.close());
  const ws = new WebSocket(peer.url);
  const got: unknown[] = [];
  ws.onmessage = (event) => {
    got.push((event as MessageEvent).data);
    ws.close();
  };
  await next(ws, "close");
  t.same(got, ["m0"]);
});

t.test("binaryType: blob by default, arraybuffer, nodebuffer; other values are ignored", async (t) => {
  const peer = await startWsPeer({}, echo);
  t.teardown(() => peer.close());
  const ws = new WebSocket(peer.url);
  await next(ws, "open");
  const bytes = Uint8Array.of(1, 2, 3, 250);

  ws.send(bytes);
  const asBlob = (await next<MessageEvent>(ws, "message")).data;
  t.ok(asBlob instanceof Blob, "a Blob");
  t.same(new Uint8Array(await (asBlob as Blob).arrayBuffer()), bytes);

  ws.binaryType = "arraybuffer";
  ws.send(bytes.buffer);
  const asArrayBuffer = (await next<MessageEvent>(ws, "message")).data;
  t.ok(asArrayBuffer instanceof ArrayBuffer, "an ArrayBuffer");
  t.same(new Uint8Array(asArrayBuffer as ArrayBuffer), bytes);
  t.equal((asArrayBuffer as ArrayBuffer).byteLength, 4, "only the message's bytes");

  ws.binaryType = "nodebuffer";
  ws.send(new DataView(bytes.buffer, 1, 2));
  const asBuffer = (await next<MessageEvent>(ws, "message")).data;
  t.ok(Buffer.isBuffer(asBuffer), "a Buffer");
  t.same([...(asBuffer as Buffer)], [2, 3], "a DataView sends its own range");

  // @ts-expect-error: not one of the enumeration's values
  ws.binaryType = "text";
  t.equal(ws.binaryType, "nodebuffer", "an unknown value is ignored");

  ws.send(new Blob(["blob ", Uint8Array.of(0x21)]));
  ws.send("text stays text");
  t.same([...((await next<MessageEvent>(ws, "message")).data as Buffer)], [...Buffer.from("blob !")]);
  t.equal(
    (await next<MessageEvent>(ws, "message")).data,
    "text stays text",
    "a Blob keeps its place in line",
  );
  const origin = next<MessageEvent>(ws, "message");
  ws.send("o");
  t.equal((await origin).origin, new URL(peer.url).origin, "origin is the URL's");
  ws.close();
  await next(ws, "close");
});

t.test("bufferedAmount counts UTF-8 bytes until sent, and keeps growing after close", async (t) => {
  const peer = await startWsPeer({}, echo);
  t.teardown(() => peer.close());
  const ws = new WebSocket(peer.url);
  await next(ws, "open");
  ws.send("héllo"); // 6 bytes of UTF-8
  ws.send(new Uint8Array(10));
  ws.send(new Blob([new Uint8Array(7)]));
  t.equal(ws.bufferedAmount, 23, "counted at once");
  for (let i = 0; i < 3; i++) await next(ws, "message");
  t.equal(ws.bufferedAmount, 0, "all sent once the echoes are back");
  const closed = next(ws, "close");
  ws.close();
  ws.send("abc");
  ws.send(new ArrayBuffer(5));
  t.equal(ws.bufferedAmount, 8, "data sent while closing is dropped but counted");
  await closed;
  ws.send("z");
  t.equal(ws.bufferedAmount, 9, "and while closed");
});

t.test("bufferedAmount rises while the socket is full and falls as it drains", async (t) => {
  let server: import("ws").WebSocket | undefined;
  const peer = await startWsPeer({ maxPayload: 64 * 1024 * 1024 }, (ws) => {
    server = ws;
    ws.pause();
  });
  t.teardown(() => peer.close());
  const ws = new WebSocket(peer.url);
  await next(ws, "open");
  const chunk = new Uint8Array(1024 * 1024);
  for (let i = 0; i < 32; i++) ws.send(chunk);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const held = ws.bufferedAmount;
  t.ok(held > 0, `bytes are held while the server does not read (${held})`);
  server!.resume();
  const deadline = Date.now() + 10_000;
  while (ws.bufferedAmount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.equal(ws.bufferedAmount, 0, "drained once the server reads");
  ws.close();
  await next(ws, "close");
});

t.test("onX handlers: one per type, replaced in place, removed with null; this is the socket", async (t) => {
  const peer = await startWsPeer({}, (ws) => ws.send("hi"));
  t.teardown(() => peer.close());
  const ws = new WebSocket(peer.url);
  const order: string[] = [];
  ws.onmessage = () => order.push("first handler");
  ws.addEventListener("message", () => order.push("listener"));
  let self: unknown;
  ws.onmessage = function (this: WebSocket) {
    self = this;
    order.push("replacement handler");
  };
  const sawOpen: string[] = [];
  ws.onopen = () => sawOpen.push("removed");
  ws.onopen = null;
  t.equal(ws.onopen, null);
  await next(ws, "message");
  t.same(order, ["replacement handler", "listener"], "the replacement keeps the first handler's place");
  t.equal(self, ws);
  t.same(sawOpen, []);
  ws.close();
  await next(ws, "close");
});

t.test(
  "wschan options reach the handshake: headers, and configure() for libraries that take a class",
  async (t) => {
    const seen: (string | undefined)[] = [];
    const peer = await startWsPeer({
      verifyClient: (info, done) => {
        seen.push(info.req.headers.authorization);
        done(true);
      },
    });
    t.teardown(() => peer.close());
    const direct = new WebSocket(peer.url, { headers: { Authorization: "Bearer a" } });
    await next(direct, "open");
    direct.close();
    await next(direct, "close");

    const Configured = WebSocket.configure({ headers: { Authorization: "Bearer b" } });
    const configured = new Configured(peer.url, ["p"]);
    t.ok(configured instanceof WebSocket);
    await next(configured, "open");
    configured.close();
    await next(configured, "close");
    // Configuring a configured class keeps its options and adds the new ones.
    const Twice = Configured.configure({ protocols: ["p2"] });
    const twice = new Twice(peer.url);
    await next(twice, "open");
    t.equal(twice.protocol, "p2", "the second configure's protocols are offered");
    twice.close();
    await next(twice, "close");
    t.same(seen, ["Bearer a", "Bearer b", "Bearer b"]);
  },
);

t.test("the security policy applies: a denied URL fails with error then close 1006", async (t) => {
  const peer = await startWsPeer();
  t.teardown(() => peer.close());
  let connections = 0;
  peer.server.on("connection", () => connections++);
  const ws = new WebSocket(peer.url, { policy: { private_networks: false } });
  const error = next<Event & { error?: unknown }>(ws, "error");
  await next(ws, "close");
  t.ok(errors.is((await error).error, errors.PERMISSION_DENIED));
  t.equal(connections, 0, "nothing reached the server");
});

t.test("compression negotiated through the options shows in extensions", async (t) => {
  const peer = await startWsPeer({ perMessageDeflate: true }, echo);
  t.teardown(() => peer.close());
  const ws = new WebSocket(peer.url, { compression: 1 });
  await next(ws, "open");
  t.match(ws.extensions, /permessage-deflate/);
  const text = "compressible ".repeat(200);
  ws.send(text);
  t.equal((await next<MessageEvent>(ws, "message")).data, text);
  ws.close();
  await next(ws, "close");
});
