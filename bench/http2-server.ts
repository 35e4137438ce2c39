// The peer of the HTTP/2 benchmark (bench/http2.ts): one process serving WebSockets over HTTP/1.1
// (ws's WebSocketServer on `http`) and over HTTP/2 (Node's http2 with SETTINGS_ENABLE_CONNECT_PROTOCOL,
// ws's WebSocket on each extended CONNECT stream), so both transports meet the same WebSocket
// engine. On the text message "go <count> <size>" a connection is sent <count> binary messages of
// <size> bytes, then the text "done".
//
// Run: npx tsx bench/http2-server.ts; prints "listening <http1 port> <http2 port>" once ready.

import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer } from "ws";

function serve(ws: WebSocket): void {
  ws.on("message", (data, isBinary) => {
    if (isBinary) return;
    const [word, count, size] = data.toString().split(" ");
    if (word !== "go") return;
    const payload = Buffer.alloc(Number(size), 0x61);
    const n = Number(count);
    let sent = 0;
    // Written in bursts that respect backpressure, so that the server never holds more than a
    // little per connection and the client's reading is what is measured.
    const burst = (): void => {
      while (sent < n) {
        ws.send(payload, { binary: true });
        sent++;
        if (ws.bufferedAmount > 64 * 1024) {
          setImmediate(burst);
          return;
        }
      }
      ws.send("done");
    };
    burst();
  });
}

const plain = http.createServer();
const wss = new WebSocketServer({ server: plain, perMessageDeflate: false });
wss.on("connection", serve);
plain.listen(0, "127.0.0.1");

const h2 = http2.createServer({ settings: { enableConnectProtocol: true, maxConcurrentStreams: 2000 } });
h2.on("session", (session) => session.on("error", () => {}));
h2.on("stream", (stream, headers) => {
  stream.on("error", () => {});
  if (headers[":method"] !== "CONNECT" || headers[":protocol"] !== "websocket") {
    stream.respond({ ":status": 404 }, { endStream: true });
    return;
  }
  stream.respond({ ":status": 200 });
  const ws = new WebSocket(null as unknown as string, undefined, { autoPong: true });
  (ws as unknown as { setSocket(s: unknown, head: Buffer, o: object): void }).setSocket(
    stream,
    Buffer.alloc(0),
    {
      maxPayload: 0,
    },
  );
  serve(ws);
});
h2.listen(0, "127.0.0.1");

await Promise.all(
  [plain, h2].map(
    (s) => new Promise<void>((resolve) => (s.listening ? resolve() : s.once("listening", () => resolve()))),
  ),
);
console.log(`listening ${(plain.address() as AddressInfo).port} ${(h2.address() as AddressInfo).port}`);
