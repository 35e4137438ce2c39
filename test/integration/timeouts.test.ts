import t from "tap";
import * as websocket from "../../src/index.js";
import { RawPeer, serverFrame } from "../helpers/raw-peer.js";

t.setTimeout(30_000);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

t.test("read_timeout fails a silent connection with TIMEOUT (retryable) and 1006", async (t) => {
  const peer = await RawPeer.start();
  t.teardown(() => peer.close());
  const started = Date.now();
  const client = await websocket.connect(peer.url, { read_timeout: "150ms" });
  await peer.connection();
  const info = await client.closed;
  const elapsed = Date.now() - started;
  t.equal(info.code, 1006);
  t.equal(info.error?.kind, "TIMEOUT");
  t.equal(info.error?.id, "READ_TIMEOUT");
  t.equal(info.error?.retryable, true);
  t.ok(elapsed >= 140 && elapsed < 1500, `after ${elapsed} ms`);
});

t.test("read_timeout is reset by every frame received", async (t) => {
  const peer = await RawPeer.start();
  t.teardown(() => peer.close());
  const client = await websocket.connect(peer.url, { read_timeout: 150 });
  const conn = await peer.connection();
  for (let i = 0; i < 8; i++) {
    await conn.write(serverFrame(0xa, "tick"));
    await sleep(60);
  }
  let settled = false;
  void client.closed.then(() => {
    settled = true;
  });
  await sleep(0);
  t.equal(settled, false, "alive after 480 ms of frames every 60 ms");
  const closing = client.close();
  await conn.answerClose();
  await closing;
});

t.test("write_timeout fails a send the peer never reads, and the connection with it", async (t) => {
  const peer = await RawPeer.start();
  t.teardown(() => peer.close());
  const client = await websocket.connect(peer.url, { write_timeout: "200ms" });
  const conn = await peer.connection();
  conn.socket.pause();
  const big = Buffer.alloc(8 * 1024 * 1024);
  const results = await Promise.allSettled([
    client.send(big),
    client.send(big),
    client.send(big),
    client.ping(),
  ]);
  const kinds = results.map((r) =>
    r.status === "rejected" ? (r.reason as websocket.WebSocketError).kind : "sent",
  );
  t.ok(kinds.includes("TIMEOUT"), `a send timed out (${kinds.join(", ")})`);
  t.ok(
    kinds.every((k) => k === "TIMEOUT" || k === "sent" || k === "INTERNAL"),
    "each send either went out or failed",
  );
  const info = await client.closed;
  t.equal(info.code, 1006);
  t.equal(info.error?.kind, "TIMEOUT");
  t.equal(info.error?.id, "WRITE_TIMEOUT");
});
