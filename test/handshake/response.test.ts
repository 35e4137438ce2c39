import t from "tap";
import { type ParsedResponse, type ResponseError, ResponseParser } from "../../src/handshake/index.js";
import { parseHeaderBlock } from "../../src/handshake/response.js";

type Result = ParsedResponse | ResponseError | undefined;

const HEAD = [
  "HTTP/1.1 101 Switching Protocols",
  "Upgrade: websocket",
  "Connection: Upgrade",
  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
  "Set-Cookie: a=1",
  "X-Spaces: \t padded value \t ",
  "set-cookie: b=2",
  "X-Empty:",
  "",
  "",
].join("\r\n");

/** A text frame "Hello" and a ping, as a server would send right after the 101. */
const FRAMES = Buffer.from([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x89, 0x00]);

const WHOLE = Buffer.concat([Buffer.from(HEAD, "latin1"), FRAMES]);

/**
 * Feeds `pieces` in order. Returns the first non-undefined result and every byte handed on after
 * it (the result's `rest` plus the pieces never pushed), which a client gives the frame parser.
 */
function feed(pieces: Uint8Array[], max?: number): { result: Result; after: Buffer; pushes: number } {
  const parser = new ResponseParser(max);
  for (let n = 0; n < pieces.length; n++) {
    const result = parser.push(pieces[n]!);
    if (result !== undefined) {
      const rest = result.kind === "response" ? [result.rest] : [];
      return { result, after: Buffer.concat([...rest, ...pieces.slice(n + 1)]), pushes: n + 1 };
    }
  }
  return { result: undefined, after: Buffer.alloc(0), pushes: pieces.length };
}

function withoutRest(result: Result): unknown {
  if (result?.kind !== "response") return result;
  const { rest: _rest, ...others } = result;
  return others;
}

function bytesOf(text: string): Buffer {
  return Buffer.from(text, "latin1");
}

t.test("a valid response is parsed with lower-case names, trimmed values and repeats in order", async (t) => {
  const { result, after } = feed([WHOLE]);
  t.same(withoutRest(result), {
    kind: "response",
    status: 101,
    statusText: "Switching Protocols",
    headers: new Map([
      ["upgrade", ["websocket"]],
      ["connection", ["Upgrade"]],
      ["sec-websocket-accept", ["s3pPLMBiTxaQ9kYGzzhZRbK+xOo="]],
      ["set-cookie", ["a=1", "b=2"]],
      ["x-spaces", ["padded value"]],
      ["x-empty", [""]],
    ]),
    text: HEAD,
  });
  t.ok(after.equals(FRAMES), "the frame bytes after the empty line are handed back intact");
});

t.test("every split into two pieces gives the same response and loses no frame byte", async (t) => {
  const reference = withoutRest(feed([WHOLE]).result);
  for (let cut = 0; cut <= WHOLE.length; cut++) {
    const { result, after } = feed([WHOLE.subarray(0, cut), WHOLE.subarray(cut)]);
    t.same(withoutRest(result), reference, `cut at ${cut}`);
    t.ok(after.equals(FRAMES), `frames intact when cut at ${cut}`);
  }
});

t.test("one byte at a time gives the same response, exactly on the byte that ends the block", async (t) => {
  const reference = withoutRest(feed([WHOLE]).result);
  const bytes = [...WHOLE].map((b) => Uint8Array.of(b));
  const { result, after, pushes } = feed(bytes);
  t.same(withoutRest(result), reference);
  t.equal(pushes, HEAD.length);
  t.equal(result?.kind === "response" ? result.rest.length : -1, 0);
  t.ok(after.equals(FRAMES));
});

t.test("rest is the tail of the last chunk even when the chunk is a view into a larger buffer", async (t) => {
  const backing = Buffer.concat([Buffer.from("junk"), WHOLE, Buffer.from("tail")]);
  const view = new Uint8Array(backing.buffer, backing.byteOffset + 4, WHOLE.length);
  const result = new ResponseParser().push(view);
  t.equal(result?.kind, "response");
  if (result?.kind === "response") t.ok(result.rest.equals(FRAMES));
});

t.test("the parser copies header bytes, so the caller may reuse its chunk buffer", async (t) => {
  const parser = new ResponseParser();
  const scratch = Buffer.alloc(1);
  let result: Result;
  for (const byte of bytesOf(HEAD)) {
    scratch[0] = byte;
    result = parser.push(scratch);
  }
  t.same(withoutRest(result), withoutRest(feed([WHOLE]).result));
});

t.test("a response without frames after it has an empty rest", async (t) => {
  const result = new ResponseParser().push(bytesOf(HEAD));
  t.equal(result?.kind === "response" ? result.rest.length : -1, 0);
});

t.test("a status line without a reason phrase is accepted", async (t) => {
  for (const line of ["HTTP/1.1 101", "HTTP/1.1 101 "]) {
    const result = new ResponseParser().push(bytesOf(`${line}\r\nUpgrade: websocket\r\n\r\n`));
    t.match(result, { kind: "response", status: 101, statusText: "" }, JSON.stringify(line));
  }
});

t.test("header values keep obs-text as Latin-1 and inner whitespace as sent", async (t) => {
  const result = new ResponseParser().push(
    bytesOf("HTTP/1.1 403 Forbidden\r\nX-Name:  caf\xe9 au\tlait \r\n\r\n"),
  );
  t.match(result, { kind: "response", status: 403, statusText: "Forbidden" });
  if (result?.kind === "response") t.same(result.headers.get("x-name"), ["café au\tlait"]);
});

t.test("the kept text of the final block parses again to the same status and headers", async (t) => {
  const interim = "HTTP/1.1 100 Continue\r\nX-Early: 1\r\n\r\n";
  const final =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nX-Name:  caf\xe9 \r\nX-Name: two\r\n\r\n";
  const result = new ResponseParser().push(bytesOf(interim + final));
  if (result?.kind !== "response") {
    t.fail("no response");
    return;
  }
  t.equal(result.text, final, "only the 101's block, not the interim one");
  const again = parseHeaderBlock(result.text);
  t.equal(again.status, 101);
  t.equal(again.statusText, "Switching Protocols");
  t.same([...again.headers], [...result.headers]);
  t.same(again.headers.get("x-name"), ["café", "two"]);
});

t.test("a refusal over HTTP/1.0 is parsed so its status can be judged", async (t) => {
  const result = new ResponseParser().push(
    bytesOf("HTTP/1.0 503 Service Unavailable\r\nRetry-After: 5\r\n\r\n"),
  );
  t.match(result, { kind: "response", status: 503, statusText: "Service Unavailable" });
});

t.test("interim 1xx responses before the final one are skipped", async (t) => {
  const interim =
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n";
  const whole = Buffer.concat([bytesOf(interim), WHOLE]);
  const reference = withoutRest(feed([WHOLE]).result);
  for (let cut = 0; cut <= whole.length; cut++) {
    const { result, after } = feed([whole.subarray(0, cut), whole.subarray(cut)]);
    t.same(withoutRest(result), reference, `cut at ${cut}`);
    t.ok(after.equals(FRAMES), `frames intact when cut at ${cut}`);
  }
});

t.test("a header block of exactly the limit is accepted and one byte more is not", async (t) => {
  const block = bytesOf(HEAD);
  t.equal(feed([WHOLE], block.length).result?.kind, "response");
  t.match(feed([WHOLE], block.length - 1).result, {
    kind: "error",
    message: `the response header block is larger than ${block.length - 1} bytes without ending in an empty line`,
  });
});

t.test("the limit counts only header bytes, not the frames that follow in the same chunk", async (t) => {
  const big = Buffer.concat([bytesOf(HEAD), Buffer.alloc(100000, 0x82)]);
  const result = new ResponseParser(HEAD.length).push(big);
  t.equal(result?.kind === "response" ? result.rest.length : -1, 100000);
});

t.test("an oversize header block fails as soon as the limit is passed, before it ends", async (t) => {
  const huge = bytesOf(`HTTP/1.1 101 Switching Protocols\r\nX-Big: ${"x".repeat(100000)}\r\n\r\n`);
  const parser = new ResponseParser(1024);
  let failedAt = -1;
  for (let i = 0; i < huge.length; i++) {
    const result = parser.push(huge.subarray(i, i + 1));
    if (result !== undefined) {
      t.match(result, { kind: "error", message: /larger than 1024 bytes/ });
      failedAt = i;
      break;
    }
  }
  t.equal(failedAt, 1023, "fails on the 1024th byte, when no complete block can fit any more");
  t.match(
    parser.push(bytesOf("\r\n\r\n")),
    { kind: "error", message: /larger than 1024 bytes/ },
    "stays failed",
  );
});

t.test("interim responses count toward the limit", async (t) => {
  const interim = "HTTP/1.1 100 Continue\r\n\r\n".repeat(20);
  const result = new ResponseParser(200).push(bytesOf(interim));
  t.match(result, { kind: "error", message: /larger than 200 bytes/ });
});

t.test("malformed status lines are errors naming the line", async (t) => {
  const bad: [string, RegExp][] = [
    ["HTTP/1.1 1O1 Switching", /status line "HTTP\/1\.1 1O1 Switching" is not of the form/],
    ["HTTP/1.1  101 Switching", /is not of the form/],
    ["HTTP/1.1 10 Short", /is not of the form/],
    ["HTTP/1.1 1010 Long", /is not of the form/],
    ["HTTP/2 101 Switching", /is not of the form/],
    ["HTTP/1.2 101 Switching", /is not of the form/],
    ["HTTP/1.1", /is not of the form/],
    ["HTTP/1.1 099 Low", /status 099 is outside the range 100–599/],
    ["HTTP/1.1 600 High", /status 600 is outside the range/],
    ["HTTP/1.0 101 Switching Protocols", /HTTP\/1\.0 response cannot have the status 101/],
    ["http/1.1 101 Switching", /does not start with an HTTP status line/],
    ["ICY 200 OK", /does not start with an HTTP status line/],
  ];
  for (const [line, message] of bad) {
    t.match(
      new ResponseParser().push(bytesOf(`${line}\r\nUpgrade: websocket\r\n\r\n`)),
      { kind: "error", message },
      line,
    );
  }
});

t.test("malformed header lines are errors", async (t) => {
  const bad: [string, RegExp][] = [
    ["NoColonHere", /header line "NoColonHere" has no colon/],
    [" folded: value", /folded \(obs-fold\) continuation line/],
    ["\tfolded", /obs-fold/],
    ["Bad Name: x", /header name "Bad Name" is not a valid token/],
    ["Upgrade : websocket", /header name "Upgrade " is not a valid token/],
    [": no name", /header name "" is not a valid token/],
    ["X-Nul: a\0b", /control character 0x00/],
    ["X-Esc: a\x1bb", /control character 0x1b/],
    ["X-Del: a\x7fb", /control character 0x7f/],
    ["X-CR: a\rb", /a CR in the response header is not followed by LF/],
    ["X-LF: a\nb", /ends in a bare LF instead of CRLF/],
  ];
  for (const [line, message] of bad) {
    const text = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n${line}\r\nConnection: Upgrade\r\n\r\n`;
    t.match(new ResponseParser().push(bytesOf(text)), { kind: "error", message }, JSON.stringify(line));
  }
});

t.test("a response with bare LF line endings fails on the first LF", async (t) => {
  const parser = new ResponseParser();
  t.equal(parser.push(bytesOf("HTTP/1.1 101 Switching Protocols")), undefined);
  t.match(parser.push(bytesOf("\n")), { kind: "error", message: /bare LF/ });
});

t.test("a peer that does not speak HTTP fails on its first wrong byte", async (t) => {
  t.match(new ResponseParser().push(Uint8Array.of(0x16)), {
    kind: "error",
    message: /does not start with an HTTP/,
  });
  t.match(new ResponseParser().push(bytesOf("SSH-")), {
    kind: "error",
    message: /does not start with an HTTP/,
  });
  const parser = new ResponseParser();
  t.equal(parser.push(bytesOf("HTTP/1.1 101 OK\r\nX: ")), undefined);
  t.match(parser.push(Uint8Array.of(0x01)), { kind: "error", message: /control character 0x01/ });
});

t.test("pushing after the response is complete is an error, not a second response", async (t) => {
  const parser = new ResponseParser();
  t.equal(parser.push(WHOLE)?.kind, "response");
  t.match(parser.push(FRAMES), { kind: "error", message: /already complete/ });
});

t.test("an empty chunk asks for more bytes", async (t) => {
  const parser = new ResponseParser();
  t.equal(parser.push(new Uint8Array(0)), undefined);
  t.equal(parser.push(WHOLE)?.kind, "response");
});
