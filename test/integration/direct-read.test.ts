// Issue 17: on ws: sockets, large frames are read by the kernel straight into their message's
// memory (net.connect's onread); wss: reads the ordinary way. Either way every byte arrives intact.
import { randomBytes } from "node:crypto";
import t from "tap";
import { directReads } from "../../src/client/direct-read.js";
import * as websocket from "../../src/index.js";
import { haveOpenssl, makeCerts } from "../helpers/certs.js";
import { RawPeer, serverFrame } from "../helpers/raw-peer.js";
import { echo, startWsPeer } from "../helpers/ws-server.js";
import { startWss } from "../helpers/wss-server.js";

t.setTimeout(60_000);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

t.test(
  "large binary and text messages over ws: are read into their memory directly and arrive intact",
  async (t) => {
    const peer = await startWsPeer({ maxPayload: 64 * 1024 * 1024 }, echo);
    t.teardown(() => peer.close());
    const client = await websocket.connect(peer.url, { read_limit: 32 * 1024 * 1024 });
    const ch = client.channel();
    const before = directReads.bytes;
    for (const size of [100_000, 1024 * 1024, 5 * 1024 * 1024 + 3]) {
      const bytes = randomBytes(size);
      await client.send(bytes);
      const [binary] = await ch.receive();
      t.equal(binary?.type, "binary");
      t.ok(Buffer.compare(binary!.data as Buffer, bytes) === 0, `binary of ${size} bytes is intact`);
      const text = "é🎉a–z".repeat(Math.ceil(size / 10)).slice(0, size);
      await client.send(text);
      const [message] = await ch.receive();
      t.ok(message?.type === "text" && message.data === text, `text of ${text.length} code units is intact`);
    }
    t.ok(
      directReads.bytes - before > 1024 * 1024,
      `bytes were read straight into messages (${directReads.bytes - before})`,
    );
    // Small messages still work in between, the ordinary way.
    await client.send("small");
    t.same(await ch.receive(), [{ type: "text", data: "small" }, true]);
    await client.close();
  },
);

t.test("invalid UTF-8 inside a large text frame read directly fails the connection with 1007", async (t) => {
  const peer = await RawPeer.start();
  t.teardown(() => peer.close());
  const client = await websocket.connect(peer.url);
  const conn = await peer.connection();
  const payload = Buffer.alloc(512 * 1024, 0x61);
  payload[400 * 1024] = 0xff;
  const frame = serverFrame(0x1, payload);
  const before = directReads.count;
  // In pieces, with pauses, so that most of the payload is read after its header was parsed.
  for (let at = 0; at < frame.length; at += 64 * 1024) {
    await conn.write(frame.subarray(at, at + 64 * 1024));
    await sleep(5);
  }
  const info = await client.closed;
  t.equal(info.code, 1007, "closed with 1007");
  t.equal(info.error?.id, "INVALID_UTF8");
  t.ok(directReads.count > before, "the payload was read directly");
  const [, ok] = await client.channel().receive();
  t.equal(ok, false, "nothing was delivered");
});

t.test(
  "wss: reads the ordinary way and large messages arrive intact",
  { skip: !haveOpenssl() && "no openssl" },
  async (t) => {
    const certs = makeCerts();
    const peer = await startWss(certs.server);
    t.teardown(() => peer.close());
    const client = await websocket.connect(`wss://127.0.0.1:${peer.port}/`, { tls: { ca: certs.ca.cert } });
    const ch = client.channel();
    const before = directReads.count;
    const bytes = randomBytes(2 * 1024 * 1024);
    await client.send(bytes);
    const [binary] = await ch.receive();
    t.ok(Buffer.compare(binary!.data as Buffer, bytes) === 0, "2 MiB intact over TLS");
    t.equal(directReads.count, before, "no direct reads on TLS");
    await client.close();
  },
);
