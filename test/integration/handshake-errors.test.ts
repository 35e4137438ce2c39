import type * as net from "node:net";
import t from "tap";
import { connectWith } from "../../src/client/connect.js";
import * as websocket from "../../src/index.js";
import { haveOpenssl, makeCerts } from "../helpers/certs.js";
import { RawPeer } from "../helpers/raw-peer.js";
import { startWsPeer } from "../helpers/ws-server.js";
import { startWss } from "../helpers/wss-server.js";

/** Errors a user can act on: the refused handshake's whole response, and the scheme mix-ups named. */

t.setTimeout(30_000);
const io = { env: {} };
const dial_timeout = "5s";

async function refusal(response: string | Buffer, keepOpen = false): Promise<websocket.WebSocketError> {
  const peer = await RawPeer.start({ respond: () => response });
  const sockets = new Set<net.Socket>();
  peer.server.on("connection", (s: net.Socket) => sockets.add(s));
  try {
    const error = await connectWith(peer.url, { dial_timeout }, io).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof websocket.WebSocketError)) throw new Error("expected a WebSocketError");
    return error;
  } finally {
    if (!keepOpen) for (const s of sockets) s.destroy();
    await peer.close();
  }
}

t.test("a refused handshake exposes the status line, headers and a Content-Length body", async (t) => {
  const body = '{"error":"slow down"}';
  const error = await refusal(
    `HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nX-Reason: quota\r\nX-Reason: burst\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  );
  t.match(error, { id: "HANDSHAKE_STATUS", status: 429, retryable: true });
  t.equal(error.response?.status, 429);
  t.equal(error.response?.statusText, "Too Many Requests");
  t.same(error.response?.headers["retry-after"], ["7"]);
  t.same(error.response?.headers["x-reason"], ["quota", "burst"], "repeated headers kept in order");
  t.equal(Buffer.from(error.response!.body).toString(), body);
});

t.test("401 with WWW-Authenticate and a chunked body", async (t) => {
  const error = await refusal(
    'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm="api"\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n',
  );
  t.match(error, { id: "HANDSHAKE_STATUS", status: 401, retryable: false });
  t.same(error.response?.headers["www-authenticate"], ['Bearer realm="api"']);
  t.equal(Buffer.from(error.response!.body).toString(), "hello, world");
});

t.test("a body without framing ends with the connection; a huge body is cut at 64 KiB", async (t) => {
  const closed = await refusal("HTTP/1.1 503 Service Unavailable\r\n\r\nback soon");
  t.equal(Buffer.from(closed.response!.body).toString(), "back soon");
  t.match(closed, { status: 503, retryable: true });
  const huge = await refusal(`HTTP/1.1 500 Oops\r\nContent-Length: 200000\r\n\r\n${"x".repeat(200_000)}`);
  t.equal(huge.response?.body.length, 64 * 1024, "bounded at 64 KiB");
  const started = Date.now();
  const silent = await refusal("HTTP/1.1 403 Forbidden\r\nContent-Length: 100\r\n\r\npartial", true);
  t.equal(Buffer.from(silent.response!.body).toString(), "partial");
  t.ok(
    Date.now() - started < 3000,
    "a body that never completes does not hold the error to the dial timeout",
  );
});

t.test("the response survives as the error's own data: ws's refusal with its headers", async (t) => {
  const peer = await startWsPeer({
    verifyClient: (_info, done) => done(false, 503, "Service Unavailable", { "Retry-After": "30" }),
  });
  t.teardown(() => peer.close());
  const error = await connectWith(peer.url, { dial_timeout }, io).catch((e: unknown) => e);
  t.match(error, { id: "HANDSHAKE_STATUS", status: 503 });
  t.same((error as websocket.WebSocketError).response?.headers["retry-after"], ["30"]);
  t.equal(Buffer.from((error as websocket.WebSocketError).response!.body).toString(), "Service Unavailable");
});

if (haveOpenssl()) {
  const certs = makeCerts();

  t.test("ws:// to a TLS server names the likely mix-up", async (t) => {
    const server = await startWss(certs.server);
    t.teardown(() => server.close());
    const error = await connectWith(`ws://127.0.0.1:${server.port}/`, { dial_timeout }, io).catch(
      (e: unknown) => e,
    );
    t.match(error, { name: "WebSocketError", message: /use wss:\/\// });
    t.match(error, { id: /^HANDSHAKE_(CLOSED|INVALID)$/ });
  });

  t.test("wss:// to a plain server names the likely mix-up", async (t) => {
    const peer = await startWsPeer();
    t.teardown(() => peer.close());
    const error = await connectWith(peer.url.replace("ws:", "wss:"), { dial_timeout }, io).catch(
      (e: unknown) => e,
    );
    t.match(error, {
      name: "WebSocketError",
      id: "TLS_FAILED",
      message: /does not seem to speak TLS.*use ws:\/\//,
    });
  });
}
