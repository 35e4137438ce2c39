// The example test of docs/testing.md: the seed's chat client (examples/chat.ts) against
// wschan/testing's scripted server. The docs show it with `from "wschan/testing"`; here the
// imports point into the source tree. Keep the two the same.
import t from "tap";
import { connectChat } from "../../examples/chat.js";
import * as websocket from "../../src/index.js";
import { type TestConnection, TestServer } from "../../src/testing/index.js";

/** The client's next message, which must be JSON text. */
async function nextJson(conn: TestConnection): Promise<unknown> {
  const message = await conn.expect("1s");
  if (message.type !== "text") throw new Error(`expected text, got ${message.type}`);
  return JSON.parse(message.data);
}

t.test(
  "the chat client joins, says hello, delivers the room's messages and ends with the server's close",
  async (t) => {
    const server = await TestServer.start();
    t.teardown(() => server.close());
    const received: unknown[] = [];
    const done = connectChat(server.url, "lobby", (message) => received.push(message));

    const conn = await server.accept();
    t.equal(conn.request.path, "/chat/ws");
    t.equal(conn.request.headers.authorization, "Bearer demo-token");
    t.same(await nextJson(conn), { type: "join", room: "lobby" });
    t.same(await nextJson(conn), { type: "say", text: "hello from wschan" });

    await conn.send(JSON.stringify({ type: "message", from: "bot", text: "welcome" }));
    await conn.send(Uint8Array.of(1, 2, 3)); // binary: the chat client ignores it
    await conn.send(JSON.stringify({ type: "message", from: "ana", text: "hi" }));
    const info = await conn.close(1000, "room closed");

    t.same(await done, { code: 1000, reason: "room closed", clean: true });
    t.same(received, [
      { type: "message", from: "bot", text: "welcome" },
      { type: "message", from: "ana", text: "hi" },
    ]);
    t.equal(info.clean, true, "the client answered the server's Close");
  },
);

t.test("a server that refuses the handshake: connectChat rejects with the status", async (t) => {
  const server = await TestServer.start();
  t.teardown(() => server.close());
  const done = connectChat(server.url, "lobby", () => {});
  await server.refuse(401, { body: "bad token" });
  const error = await done.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!websocket.errors.is(error, websocket.errors.INTERNAL))
    throw new Error(`expected a refusal, got ${String(error)}`);
  t.equal(error.id, "HANDSHAKE_STATUS");
  t.equal(error.status, 401);
  t.equal(error.retryable, false, "a 401 is not worth retrying");
});

t.test(
  "a server that crashes mid-room: the message loop ends and the close is reported with 1006",
  async (t) => {
    const server = await TestServer.start();
    t.teardown(() => server.close());
    const received: unknown[] = [];
    const done = connectChat(server.url, "lobby", (message) => received.push(message));
    const conn = await server.accept();
    await nextJson(conn); // join
    await nextJson(conn); // say
    await conn.send(JSON.stringify({ type: "message", from: "bot", text: "last words" }));
    conn.destroy();

    const closed = await done;
    t.equal(closed.code, 1006);
    t.equal(closed.clean, false);
    t.same(
      received,
      [{ type: "message", from: "bot", text: "last words" }],
      "what arrived before the crash is kept",
    );
  },
);

t.test("docs/testing.md shows this file's tests, word for word", async (t) => {
  const { readFile } = await import("node:fs/promises");
  const here = await readFile(new URL(import.meta.url), "utf8");
  const docs = await readFile(new URL("../../docs/testing.md", import.meta.url), "utf8");
  const section = docs.slice(docs.indexOf("## Example: testing the seed's chat client"));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  // Compared without comments at the top and import lines, which differ between the two.
  const body = (text: string): string =>
    text
      .split("\n")
      .filter((line) => !line.startsWith("import ") && !line.startsWith("// "))
      .join("\n")
      .trim();
  const mine = here.slice(0, here.indexOf('t.test("docs/testing.md'));
  t.equal(body(block), body(mine));
});
