import t from "tap";
import {
  checkHttp2Headers,
  connectHeaders,
  FallbackMemory,
  judgeConnectResponse,
  originOf,
  sessionKey,
} from "../../src/routes/http2.js";
import { parseProxy } from "../../src/routes/proxy.js";

t.test("the extended CONNECT carries the pseudo-headers of RFC 8441 §5 and no key", async (t) => {
  const headers = connectHeaders({
    url: new URL("wss://user:p%40ss@example.com:8443/chat?room=1"),
    headers: { Origin: "https://example.com", "X-Trace": "abc" },
    protocols: ["graphql-ws", "chat"],
    extensions: "permessage-deflate; client_max_window_bits",
  });
  t.same(headers, {
    ":method": "CONNECT",
    ":protocol": "websocket",
    ":scheme": "https",
    ":path": "/chat?room=1",
    ":authority": "example.com:8443",
    "sec-websocket-version": "13",
    "sec-websocket-protocol": "graphql-ws, chat",
    "sec-websocket-extensions": "permessage-deflate; client_max_window_bits",
    authorization: `Basic ${Buffer.from("user:p@ss").toString("base64")}`,
    origin: "https://example.com",
    "x-trace": "abc",
  });
  t.notOk("sec-websocket-key" in headers);
});

t.test("ws: URLs use the http scheme, the default port is left out, IPv6 keeps its brackets", async (t) => {
  const plain = connectHeaders({
    url: new URL("ws://[::1]/"),
    headers: {},
    protocols: [],
    extensions: undefined,
  });
  t.equal(plain[":scheme"], "http");
  t.equal(plain[":authority"], "[::1]");
  t.equal(plain[":path"], "/");
  t.notOk("sec-websocket-protocol" in plain);
  t.notOk("sec-websocket-extensions" in plain);
  const secureDefault = connectHeaders({
    url: new URL("wss://example.com:443/x"),
    headers: {},
    protocols: [],
    extensions: undefined,
  });
  t.equal(secureDefault[":authority"], "example.com");
});

t.test("a user's Authorization wins over the URL's credentials", async (t) => {
  const headers = connectHeaders({
    url: new URL("wss://a:b@example.com/"),
    headers: { Authorization: "Bearer t" },
    protocols: [],
    extensions: undefined,
  });
  t.equal(headers.authorization, "Bearer t");
});

t.test("headers specific to HTTP/1.1 connections are refused for HTTP/2", async (t) => {
  t.equal(checkHttp2Headers({ "X-Ok": "1", Origin: "x" }), undefined);
  t.match(checkHttp2Headers({ "Keep-Alive": "timeout=5" }), /Keep-Alive/);
  t.match(checkHttp2Headers({ TE: "gzip" }), /TE/);
  t.match(checkHttp2Headers({ "proxy-connection": "x" }), /proxy-connection/);
});

t.test("a 200 opens the WebSocket with the chosen subprotocol and extensions", async (t) => {
  const outcome = judgeConnectResponse(
    { ":status": 200, "sec-websocket-protocol": "chat", "sec-websocket-extensions": "permessage-deflate" },
    { protocols: ["graphql-ws", "chat"], extensionsOffered: true },
  );
  t.same(outcome, { ok: true, protocol: "chat", extensions: "permessage-deflate" });
});

t.test("a gateway's Sec-WebSocket-Accept is ignored over HTTP/2", async (t) => {
  const outcome = judgeConnectResponse(
    { ":status": 200, "sec-websocket-accept": "whatever" },
    { protocols: [], extensionsOffered: false },
  );
  t.same(outcome, { ok: true, protocol: "", extensions: "" });
});

t.test("an unoffered subprotocol or extension is refused, not retryable", async (t) => {
  const protocol = judgeConnectResponse(
    { ":status": 200, "sec-websocket-protocol": "other" },
    { protocols: ["chat"], extensionsOffered: false },
  );
  t.match(protocol, { ok: false, retryable: false, fallback: false });
  const extension = judgeConnectResponse(
    { ":status": 200, "sec-websocket-extensions": "permessage-deflate" },
    { protocols: [], extensionsOffered: false },
  );
  t.match(extension, { ok: false, retryable: false, fallback: false });
});

t.test("refusals: 501 allows HTTP/1.1, 5xx and 429 are retryable, others are not", async (t) => {
  const offer = { protocols: [], extensionsOffered: false };
  t.match(judgeConnectResponse({ ":status": 501 }, offer), { ok: false, status: 501, fallback: true });
  t.match(judgeConnectResponse({ ":status": 503 }, offer), { ok: false, retryable: true, fallback: false });
  t.match(judgeConnectResponse({ ":status": 429 }, offer), { ok: false, retryable: true });
  t.match(judgeConnectResponse({ ":status": 403 }, offer), { ok: false, retryable: false, status: 403 });
  t.match(judgeConnectResponse({ ":status": 302, location: "/x" }, offer), { ok: false, retryable: false });
  t.match(judgeConnectResponse({ ":status": 204 }, offer), { ok: false, status: 204 });
});

t.test("the fallback memory lasts its time, per origin, and is bounded", async (t) => {
  const memory = new FallbackMemory(1000, 2);
  memory.remember("wss://a:443", 0);
  t.ok(memory.refused("wss://a:443", 999));
  t.notOk(memory.refused("wss://b:443", 999));
  t.notOk(memory.refused("wss://a:443", 1000), "forgotten once its time is up");
  t.notOk(memory.refused("wss://a:443", 10), "and stays forgotten");
  memory.remember("wss://a:443", 0);
  memory.remember("wss://b:443", 0);
  memory.remember("wss://c:443", 0);
  t.notOk(memory.refused("wss://a:443", 1), "the oldest goes past the bound");
  t.ok(memory.refused("wss://c:443", 1));
  memory.clear();
  t.notOk(memory.refused("wss://c:443", 1));
});

t.test("sessions are shared only for one origin, route and TLS options", async (t) => {
  const base = {
    origin: originOf(new URL("wss://h.test/"), 443),
    tls: {},
    proxy: undefined,
    privateRefused: false,
  };
  const key = sessionKey(base);
  t.equal(sessionKey({ ...base, tls: {} }), key, "equal options, equal key");
  t.not(sessionKey({ ...base, origin: originOf(new URL("wss://h.test:444/"), 444) }), key);
  t.not(sessionKey({ ...base, tls: { ca: "PEM" } }), key);
  t.not(
    sessionKey({ ...base, tls: { ca: Buffer.from("PEM2") } }),
    sessionKey({ ...base, tls: { ca: "PEM" } }),
  );
  t.not(sessionKey({ ...base, tls: { rejectUnauthorized: false } }), key);
  t.not(sessionKey({ ...base, tls: { servername: "x.test" } }), key);
  t.not(sessionKey({ ...base, privateRefused: true }), key);
  const proxy = parseProxy("http://p:3128");
  t.not(sessionKey({ ...base, proxy }), key);
  t.notMatch(sessionKey({ ...base, tls: { key: "SECRET-KEY" } }), /SECRET/, "no key material in the key");
});
