import t from "tap";
import {
  acceptFor,
  type HandshakeOffer,
  type ParsedResponse,
  validateResponse,
} from "../../src/handshake/index.js";

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

function response(status: number, lines: [string, string][], statusText = "Whatever"): ParsedResponse {
  const headers = new Map<string, string[]>();
  for (const [name, value] of lines) {
    const key = name.toLowerCase();
    headers.set(key, [...(headers.get(key) ?? []), value]);
  }
  const text = `HTTP/1.1 ${status} ${statusText}\r\n${lines.map(([n, v]) => `${n}: ${v}\r\n`).join("")}\r\n`;
  return { kind: "response", status, statusText, headers, rest: Buffer.alloc(0), text };
}

const GOOD: [string, string][] = [
  ["Upgrade", "websocket"],
  ["Connection", "Upgrade"],
  ["Sec-WebSocket-Accept", ACCEPT],
];

function upgraded(...more: [string, string][]): ParsedResponse {
  return response(101, [...GOOD, ...more], "Switching Protocols");
}

function without(name: string, ...more: [string, string][]): ParsedResponse {
  return response(101, [...GOOD.filter(([n]) => n !== name), ...more], "Switching Protocols");
}

function offer(protocols: string[] = [], extensionsOffered = false): HandshakeOffer {
  return { key: KEY, protocols, extensionsOffered };
}

t.test("the RFC's accept value is what acceptFor computes for the test key", async (t) => {
  t.equal(acceptFor(KEY), ACCEPT);
});

t.test("a correct 101 without subprotocol or extensions succeeds with empty values", async (t) => {
  t.same(validateResponse(upgraded(), offer()), { ok: true, protocol: "", extensions: "" });
  t.same(validateResponse(upgraded(), offer(["chat"], true)), { ok: true, protocol: "", extensions: "" });
});

t.test("a refusal reports its status and is retryable only for 5xx and 429", async (t) => {
  const cases: [number, string, boolean][] = [
    [500, "Internal Server Error", true],
    [502, "Bad Gateway", true],
    [503, "Service Unavailable", true],
    [429, "Too Many Requests", true],
    [400, "Bad Request", false],
    [401, "Unauthorized", false],
    [403, "Forbidden", false],
    [404, "Not Found", false],
    [200, "OK", false],
    [100, "Continue", false],
  ];
  for (const [status, text, retryable] of cases) {
    const outcome = validateResponse(response(status, [], text), offer());
    t.same(
      outcome,
      {
        ok: false,
        message: `the server refused the WebSocket upgrade with status ${status} ${text}`,
        retryable,
        status,
      },
      `${status}`,
    );
  }
  t.match(validateResponse(response(503, [], ""), offer()), {
    message: "the server refused the WebSocket upgrade with status 503",
  });
});

t.test("a redirect is not followed and its Location is reported", async (t) => {
  for (const status of [301, 302, 307, 308]) {
    const outcome = validateResponse(
      response(status, [["Location", "wss://other.example/ws"]], "Moved"),
      offer(),
    );
    t.same(
      outcome,
      {
        ok: false,
        message: `the server answered the WebSocket upgrade with the redirect ${status} Moved to "wss://other.example/ws"; redirects are not followed`,
        retryable: false,
        status,
        location: "wss://other.example/ws",
      },
      `${status}`,
    );
  }
  const bare = validateResponse(response(302, [], "Found"), offer());
  t.match(bare, { ok: false, retryable: false, status: 302, message: /302 Found but no Location header/ });
  t.notOk("location" in bare);
});

t.test("Sec-WebSocket-Accept must be present, once, and match the key", async (t) => {
  t.same(validateResponse(without("Sec-WebSocket-Accept"), offer()), {
    ok: false,
    message: "the server's 101 response has no Sec-WebSocket-Accept header",
    retryable: false,
  });
  t.same(validateResponse(upgraded(["Sec-WebSocket-Accept", ACCEPT]), offer()), {
    ok: false,
    message: "the server sent the Sec-WebSocket-Accept header 2 times; it must appear once",
    retryable: false,
  });
  t.same(validateResponse(without("Sec-WebSocket-Accept", ["Sec-WebSocket-Accept", "wrong="]), offer()), {
    ok: false,
    message: `the server's Sec-WebSocket-Accept header is "wrong=" but the key sent requires "${ACCEPT}"`,
    retryable: false,
  });
  t.match(validateResponse(upgraded(), { ...offer(), key: "AAAAAAAAAAAAAAAAAAAAAA==" }), {
    ok: false,
    message: /Sec-WebSocket-Accept/,
  });
  t.match(
    validateResponse(
      without("Sec-WebSocket-Accept", ["Sec-WebSocket-Accept", ACCEPT.toLowerCase()]),
      offer(),
    ),
    { ok: false, message: /Sec-WebSocket-Accept/ },
    "the comparison is case-sensitive (base64)",
  );
});

t.test("Upgrade must name websocket, in any case, possibly among other tokens", async (t) => {
  t.same(validateResponse(without("Upgrade"), offer()), {
    ok: false,
    message: "the server's 101 response has no Upgrade header",
    retryable: false,
  });
  t.same(validateResponse(without("Upgrade", ["Upgrade", "h2c"]), offer()), {
    ok: false,
    message: `the server's Upgrade header is "h2c", which does not name "websocket"`,
    retryable: false,
  });
  for (const value of ["WebSocket", "WEBSOCKET", "foo, websocket", " websocket "]) {
    t.match(validateResponse(without("Upgrade", ["Upgrade", value]), offer()), { ok: true }, value);
  }
});

t.test("Connection must contain upgrade, in any case, across token lists and header lines", async (t) => {
  t.same(validateResponse(without("Connection"), offer()), {
    ok: false,
    message: "the server's 101 response has no Connection header",
    retryable: false,
  });
  t.same(validateResponse(without("Connection", ["Connection", "keep-alive"]), offer()), {
    ok: false,
    message: `the server's Connection header is "keep-alive", which does not contain "Upgrade"`,
    retryable: false,
  });
  t.match(validateResponse(without("Connection", ["Connection", "keep-alive, upgraded"]), offer()), {
    ok: false,
  });
  for (const lines of [
    [["Connection", "keep-alive, Upgrade"]],
    [["Connection", "UPGRADE"]],
    [["Connection", "upgrade"]],
    [["Connection", "keep-alive,,Upgrade"]],
    [
      ["Connection", "keep-alive"],
      ["Connection", "Upgrade"],
    ],
  ] as [string, string][][]) {
    t.match(validateResponse(without("Connection", ...lines), offer()), { ok: true }, JSON.stringify(lines));
  }
});

t.test("the chosen subprotocol must be a single offered value", async (t) => {
  t.same(validateResponse(upgraded(["Sec-WebSocket-Protocol", "chat"]), offer(["superchat", "chat"])), {
    ok: true,
    protocol: "chat",
    extensions: "",
  });
  t.same(validateResponse(upgraded(["Sec-WebSocket-Protocol", "chat"]), offer()), {
    ok: false,
    message: `the server selected the subprotocol "chat" in Sec-WebSocket-Protocol but none was offered`,
    retryable: false,
  });
  t.same(validateResponse(upgraded(["Sec-WebSocket-Protocol", "mqtt"]), offer(["chat", "superchat"])), {
    ok: false,
    message: `the server selected the subprotocol "mqtt" in Sec-WebSocket-Protocol, which is not one of those offered ("chat", "superchat")`,
    retryable: false,
  });
  t.match(
    validateResponse(upgraded(["Sec-WebSocket-Protocol", "Chat"]), offer(["chat"])),
    { ok: false, message: /"Chat".*not one of those offered/ },
    "subprotocols are compared case-sensitively",
  );
  t.same(
    validateResponse(upgraded(["Sec-WebSocket-Protocol", "chat, superchat"]), offer(["chat", "superchat"])),
    {
      ok: false,
      message: `the server's Sec-WebSocket-Protocol header is "chat, superchat"; it must name exactly one subprotocol`,
      retryable: false,
    },
  );
  t.match(
    validateResponse(
      upgraded(["Sec-WebSocket-Protocol", "chat"], ["Sec-WebSocket-Protocol", "chat"]),
      offer(["chat"]),
    ),
    { ok: false, message: /"chat, chat"; it must name exactly one subprotocol/ },
  );
  t.match(validateResponse(upgraded(["Sec-WebSocket-Protocol", ""]), offer(["chat"])), { ok: false });
});

t.test("extensions are refused when none were offered and passed on raw when some were", async (t) => {
  t.same(validateResponse(upgraded(["Sec-WebSocket-Extensions", "permessage-deflate"]), offer()), {
    ok: false,
    message:
      "the server accepted an extension the client did not offer (Sec-WebSocket-Extensions: permessage-deflate)",
    retryable: false,
  });
  t.same(validateResponse(upgraded(["Sec-WebSocket-Extensions", ""]), offer()), {
    ok: true,
    protocol: "",
    extensions: "",
  });
  t.same(
    validateResponse(
      upgraded(
        ["Sec-WebSocket-Extensions", "permessage-deflate; server_no_context_takeover"],
        ["Sec-WebSocket-Extensions", "x-other"],
      ),
      offer([], true),
    ),
    { ok: true, protocol: "", extensions: "permessage-deflate; server_no_context_takeover, x-other" },
  );
});

t.test("all checks together succeed on a full negotiation", async (t) => {
  const res = upgraded(
    ["Sec-WebSocket-Protocol", "graphql-ws"],
    ["Sec-WebSocket-Extensions", "permessage-deflate"],
  );
  t.same(validateResponse(res, offer(["graphql-ws"], true)), {
    ok: true,
    protocol: "graphql-ws",
    extensions: "permessage-deflate",
  });
});
