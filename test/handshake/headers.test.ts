import t from "tap";
import { checkProtocols, checkUserHeaders, isToken } from "../../src/handshake/index.js";

t.test("isToken accepts RFC 7230 tokens and nothing else", async (t) => {
  for (const s of ["a", "X-Token", "graphql-ws", "v1.json", "!#$%&'*+-.^_`|~", "0"]) {
    t.ok(isToken(s), `${JSON.stringify(s)} is a token`);
  }
  for (const s of [
    "",
    "a b",
    "a,b",
    "a:b",
    "a/b",
    "(a)",
    "a\tb",
    "naïve",
    "a\r\n",
    '"a"',
    "a;b",
    "a=b",
    "@",
  ]) {
    t.notOk(isToken(s), `${JSON.stringify(s)} is not a token`);
  }
});

t.test("checkUserHeaders accepts ordinary extra headers", async (t) => {
  const good: Record<string, string>[] = [
    {},
    { Authorization: "Bearer abc.def" },
    { "X-Token": "abc", Origin: "https://example.com", Cookie: "a=b; c=d" },
    { "X-Tab": "a\tb" },
    { "X-Empty": "" },
    { "X-Latin1": "café" },
    { "User-Agent": "wschan/0.1 (+https://example.com)" },
  ];
  for (const headers of good) {
    t.equal(checkUserHeaders(headers), undefined, JSON.stringify(headers));
  }
});

t.test("checkUserHeaders refuses bad names and values with a message naming the header", async (t) => {
  const bad: [Record<string, string>, RegExp][] = [
    [{ "Bad Name": "x" }, /"Bad Name" is not a valid HTTP token/],
    [{ "": "x" }, /"" is not a valid HTTP token/],
    [{ "X:Y": "x" }, /not a valid HTTP token/],
    [{ naïve: "x" }, /not a valid HTTP token/],
    [{ "X-Inject": "a\r\nX-Evil: 1" }, /"X-Inject" contains a control character/],
    [{ "X-LF": "a\nb" }, /"X-LF" contains a control character/],
    [{ "X-CR": "a\rb" }, /control character/],
    [{ "X-Nul": "a\0b" }, /control character/],
    [{ "X-Bell": "a\x07b" }, /control character/],
    [{ "X-Del": "a\x7fb" }, /control character/],
    [{ "X-Euro": "5 €" }, /above U\+00FF/],
    [{ "X-A": "1", "x-a": "2" }, /"X-A" and "x-a" differ only by case/],
  ];
  for (const [headers, message] of bad) {
    t.match(checkUserHeaders(headers), message, JSON.stringify(headers));
  }
});

t.test("checkUserHeaders refuses the handshake's own headers in any case", async (t) => {
  const reserved = [
    "Upgrade",
    "Connection",
    "Sec-WebSocket-Key",
    "Sec-WebSocket-Version",
    "Sec-WebSocket-Accept",
    "Sec-WebSocket-Extensions",
    "Sec-WebSocket-Protocol",
    "Host",
    "Content-Length",
    "Transfer-Encoding",
  ];
  for (const name of reserved) {
    for (const spelled of [name, name.toLowerCase(), name.toUpperCase()]) {
      t.match(
        checkUserHeaders({ [spelled]: "x" }),
        new RegExp(`"${spelled}" is set by the WebSocket handshake`),
        spelled,
      );
    }
  }
});

t.test("checkUserHeaders refuses a value that is not a string", async (t) => {
  const headers = { "X-Number": 5 } as unknown as Record<string, string>;
  t.match(checkUserHeaders(headers), /"X-Number" must be a string, not number/);
});

t.test("checkProtocols accepts unique tokens, compared case-sensitively", async (t) => {
  for (const protocols of [
    [],
    ["chat"],
    ["graphql-ws", "graphql-transport-ws"],
    ["v1.json", "v2.json"],
    ["chat", "Chat"],
  ]) {
    t.equal(checkProtocols(protocols), undefined, JSON.stringify(protocols));
  }
});

t.test("checkProtocols refuses empty, non-token and duplicate subprotocols", async (t) => {
  const bad: [string[], RegExp][] = [
    [[""], /subprotocol "" is not a valid token/],
    [["a b"], /"a b" is not a valid token/],
    [["a,b"], /"a,b" is not a valid token/],
    [["chat\r\n"], /is not a valid token/],
    [["é"], /is not a valid token/],
    [["chat", "chat"], /"chat" is offered more than once/],
    [["a", "b", "a"], /"a" is offered more than once/],
  ];
  for (const [protocols, message] of bad) {
    t.match(checkProtocols(protocols), message, JSON.stringify(protocols));
  }
  t.match(checkProtocols([5] as unknown as string[]), /must be a string, not number/);
});
