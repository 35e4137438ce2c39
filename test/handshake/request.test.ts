import t from "tap";
import { buildRequest, type RequestInput } from "../../src/handshake/index.js";

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

function request(url: string, extra: Omit<RequestInput, "url" | "key"> = {}): string {
  return buildRequest({ url: new URL(url), key: KEY, ...extra }).toString("latin1");
}

function expected(target: string, host: string, ...more: string[]): string {
  return [
    `GET ${target} HTTP/1.1`,
    `Host: ${host}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${KEY}`,
    "Sec-WebSocket-Version: 13",
    ...more,
    "",
    "",
  ].join("\r\n");
}

t.test("the request for a plain URL has exactly the handshake's lines", async (t) => {
  t.equal(request("ws://example.com/chat"), expected("/chat", "example.com"));
});

t.test("an empty path is sent as /", async (t) => {
  t.equal(request("ws://example.com"), expected("/", "example.com"));
  t.equal(request("wss://example.com?x=1"), expected("/?x=1", "example.com"));
});

t.test("Host carries the port only when it is not the scheme's default", async (t) => {
  t.equal(request("ws://example.com:80/"), expected("/", "example.com"));
  t.equal(request("wss://example.com:443/"), expected("/", "example.com"));
  t.equal(request("ws://example.com:443/"), expected("/", "example.com:443"));
  t.equal(request("wss://example.com:80/"), expected("/", "example.com:80"));
  t.equal(request("ws://example.com:8080/"), expected("/", "example.com:8080"));
});

t.test("an IPv6 host keeps its brackets", async (t) => {
  t.equal(request("ws://[::1]:9000/x"), expected("/x", "[::1]:9000"));
  t.equal(request("wss://[2001:db8::1]/"), expected("/", "[2001:db8::1]"));
});

t.test("path and query are sent as the URL normalised them and the fragment never is", async (t) => {
  t.equal(request("ws://h/a/b?x=1&y=two#frag"), expected("/a/b?x=1&y=two", "h"));
  t.equal(request("ws://h/a b?q=ü"), expected("/a%20b?q=%C3%BC", "h"));
  t.notMatch(request("ws://h/#only-fragment"), /#/);
});

t.test("offered subprotocols are listed in order in one header", async (t) => {
  t.equal(
    request("ws://h/", { protocols: ["graphql-ws", "chat"] }),
    expected("/", "h", "Sec-WebSocket-Protocol: graphql-ws, chat"),
  );
  t.equal(request("ws://h/", { protocols: [] }), expected("/", "h"));
});

t.test("an extension offer is sent as given", async (t) => {
  const offer = "permessage-deflate; client_max_window_bits";
  t.equal(
    request("ws://h/", { protocols: ["chat"], extensions: offer }),
    expected("/", "h", "Sec-WebSocket-Protocol: chat", `Sec-WebSocket-Extensions: ${offer}`),
  );
  t.equal(request("ws://h/", { extensions: "" }), expected("/", "h"));
});

t.test("user headers follow the handshake's with their names exactly as given", async (t) => {
  t.equal(
    request("ws://h/", { headers: { "X-CaSe-Kept": "v", authorization: "Bearer t", "x-lower": "a\tb" } }),
    expected("/", "h", "X-CaSe-Kept: v", "authorization: Bearer t", "x-lower: a\tb"),
  );
});

t.test("user header values are written as Latin-1 bytes", async (t) => {
  const bytes = buildRequest({ url: new URL("ws://h/"), key: KEY, headers: { "X-Name": "café" } });
  t.ok(bytes.includes(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0d, 0x0a])));
});

t.test("userinfo in the URL becomes Basic authorization, percent-decoded", async (t) => {
  const auth = Buffer.from("us@er:p:ss wörd", "utf8").toString("base64");
  t.equal(request("ws://us%40er:p%3Ass%20w%C3%B6rd@h/"), expected("/", "h", `Authorization: Basic ${auth}`));
  t.equal(
    request("ws://user@h/"),
    expected("/", "h", `Authorization: Basic ${Buffer.from("user:").toString("base64")}`),
  );
  t.equal(
    request("ws://:secret@h/"),
    expected("/", "h", `Authorization: Basic ${Buffer.from(":secret").toString("base64")}`),
  );
});

t.test("userinfo that is not valid percent-encoding is sent as written", async (t) => {
  t.equal(
    request("ws://a%zz:b@h/"),
    expected("/", "h", `Authorization: Basic ${Buffer.from("a%zz:b").toString("base64")}`),
  );
});

t.test("a user Authorization header wins over the URL's userinfo", async (t) => {
  t.equal(
    request("ws://user:pass@h/", { headers: { AUTHORIZATION: "Bearer token" } }),
    expected("/", "h", "AUTHORIZATION: Bearer token"),
  );
});

t.test("userinfo is never sent in Host or the request line", async (t) => {
  const text = request("ws://user:pass@h:81/p");
  t.match(text, /^GET \/p HTTP\/1\.1\r\nHost: h:81\r\n/);
  t.notMatch(text, /pass/);
});
