// The pure pieces of the CLI's output and interactive commands: escaping, binary marking, slash
// commands, exit codes from error ids, and the flags added for wscat and websocat users.
import t from "tap";
import { parseCommand } from "../../src/cli/commands.js";
import { escapeJson, escapeText } from "../../src/cli/escape.js";
import { EXIT, exitCodeForClose, exitCodeForError } from "../../src/cli/exit.js";
import { BOOLEAN_FLAGS, VALUE_FLAGS } from "../../src/cli/flags.js";
import { formatClose, formatError, formatMessage, jsonEvent } from "../../src/cli/format.js";
import { helpText } from "../../src/cli/help.js";
import { historyPath } from "../../src/cli/history.js";
import { wantsColor } from "../../src/cli/style.js";
import { failure, WebSocketError } from "../../src/errors/errors.js";
import { options, usageError } from "../helpers/cli-args.js";

const URL = "ws://127.0.0.1:8080/";

t.test("escapeText: controls, DEL, C1, separators and bidi controls become escapes", async (t) => {
  t.equal(escapeText("plain text, ünïcode ✓, tab\tstays"), "plain text, ünïcode ✓, tab\tstays");
  t.equal(escapeText("a\nb\r\n"), "a\\nb\\r\\n");
  t.equal(escapeText("\u001b[2J\u001b]0;title\u0007"), "\\x1b[2J\\x1b]0;title\\x07");
  t.equal(escapeText("\u0000\u007f\u0085\u009b"), "\\x00\\x7f\\x85\\x9b");
  t.equal(escapeText("\u2028\u2029\u202e\u2066\u2069"), "\\u2028\\u2029\\u202e\\u2066\\u2069");
  t.notMatch(
    escapeText(String.fromCharCode(...Array.from({ length: 0xa0 }, (_, i) => i))),
    /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/,
  );
  const json = escapeJson(JSON.stringify({ s: "\u009b\u202e\u007f" }));
  t.equal(json, '{"s":"\\u009b\\u202e\\u007f"}');
  t.same(JSON.parse(json), { s: "\u009b\u202e\u007f" }, "escaped JSON reads back the same");
});

t.test("line mode: one line per message, binary marked, a look-alike text escaped", async (t) => {
  t.equal(formatMessage({ type: "text", data: "two\nlines" }, "hex"), "two\\nlines");
  t.equal(formatMessage({ type: "binary", data: Buffer.alloc(0) }, "hex"), "[binary 0 bytes]");
  t.equal(formatMessage({ type: "binary", data: Buffer.from([7]) }, "hex"), "[binary 1 byte] 07");
  t.equal(formatMessage({ type: "text", data: "[binary 1 byte] 07" }, "hex"), "\\x5bbinary 1 byte] 07");
  t.equal(formatMessage({ type: "text", data: "[binaryish" }, "hex"), "[binaryish");
  t.equal(formatMessage({ type: "text", data: "0001ff" }, "hex"), "0001ff", "hex digits as text stay text");
  t.equal(
    formatClose({ code: 4000, reason: "bye\u001b[2J", clean: true }),
    'wschan: closed with code 4000 "bye\\x1b[2J"',
    "the peer's close reason is escaped too",
  );
  t.equal(
    formatError(new WebSocketError("INTERNAL", "status 500 \u001b[31mboom")),
    "wschan: error: status 500 \\x1b[31mboom",
  );
  const time = new Date(0);
  t.same(JSON.parse(jsonEvent({ event: "pong", rtt_ms: 0.25 }, time, "hex")), {
    event: "pong",
    time: "1970-01-01T00:00:00.000Z",
    rtt_ms: 0.25,
  });
  t.match(
    JSON.parse(jsonEvent({ event: "error", error: failure("DNS_FAILED", "no such host") }, time, "hex")),
    {
      kind: "INTERNAL",
      id: "DNS_FAILED",
      retryable: true,
    },
  );
});

t.test("slash commands", async (t) => {
  t.same(parseCommand("hello"), { kind: "send", text: "hello" });
  t.same(parseCommand(""), { kind: "send", text: "" });
  t.same(parseCommand("//etc/passwd"), { kind: "send", text: "/etc/passwd" });
  t.same(parseCommand("/ping"), { kind: "ping", data: undefined });
  t.same(parseCommand("/ping a b"), { kind: "ping", data: "a b" });
  t.equal(parseCommand(`/ping ${"x".repeat(126)}`).kind, "error");
  t.same(parseCommand("/close"), { kind: "close", code: undefined, reason: "" });
  t.same(parseCommand("/close 4000"), { kind: "close", code: 4000, reason: "" });
  t.same(parseCommand("/close 1001 going  away"), { kind: "close", code: 1001, reason: "going  away" });
  t.equal(parseCommand("/close 1006").kind, "error", "a code that cannot be sent");
  t.equal(parseCommand("/close abc").kind, "error");
  t.same(parseCommand("/binary 00ff"), { kind: "binary", data: Buffer.from([0, 255]) });
  t.same(parseCommand("/binary hex 00 ff"), { kind: "binary", data: Buffer.from([0, 255]) });
  t.same(parseCommand("/binary base64 AAH/"), { kind: "binary", data: Buffer.from([0, 1, 255]) });
  t.equal(parseCommand("/binary 0f0").kind, "error", "odd number of hex digits");
  t.equal(parseCommand("/binary base64 A").kind, "error");
  t.same(parseCommand("/quit"), { kind: "quit" });
  t.same(parseCommand("/help"), { kind: "help" });
  t.match(parseCommand("/frob"), { kind: "error", message: /unknown command \/frob/ });
});

t.test("exit codes follow the error's id, and its kind where the id is generic", async (t) => {
  t.equal(exitCodeForError(failure("POLICY_PRIVATE_NETWORK", "x")), EXIT.PERMISSION);
  t.equal(exitCodeForError(failure("DNS_FAILED", "x")), EXIT.CONNECT);
  t.equal(exitCodeForError(failure("TLS_FAILED", "x")), EXIT.CONNECT);
  t.equal(exitCodeForError(failure("HANDSHAKE_STATUS", "x", { status: 503 })), EXIT.CONNECT);
  t.equal(exitCodeForError(failure("PROXY_REFUSED", "x")), EXIT.CONNECT);
  t.equal(exitCodeForError(failure("DIAL_TIMEOUT", "x")), EXIT.TIMEOUT);
  t.equal(exitCodeForError(failure("INVALID_URL", "x")), EXIT.USAGE);
  t.equal(exitCodeForError(failure("CANCELED", "x")), EXIT.INTERRUPTED);
  t.equal(exitCodeForError(failure("PROTOCOL_ERROR", "x")), EXIT.CLOSED, "specific even at connect");
  t.equal(exitCodeForError(new WebSocketError("INTERNAL", "lost"), "connect"), EXIT.CONNECT);
  t.equal(exitCodeForError(new WebSocketError("INTERNAL", "lost"), "open"), EXIT.CLOSED);
  const lost = { code: 1006, reason: "", clean: false };
  t.equal(exitCodeForClose({ ...lost, error: failure("CONNECTION_RESET", "x") }), EXIT.CLOSED);
  t.equal(exitCodeForClose({ ...lost, error: failure("KEEPALIVE_TIMEOUT", "x") }), EXIT.TIMEOUT);
  t.equal(
    exitCodeForClose({ code: 1009, reason: "", clean: false, error: failure("MESSAGE_TOO_LARGE", "x") }),
    EXIT.CLOSED,
  );
});

t.test("the flags for wscat and websocat users", async (t) => {
  const o = options([
    "-x",
    "one",
    "--execute=two",
    "-w",
    "2s",
    "-1",
    "-b",
    "-P",
    "--print-ping-rtts",
    "--ping",
    "1s",
    "--ping-timeout",
    "500ms",
    "--keepalive",
    "30s",
    "--keepalive-timeout",
    "5s",
    "-o",
    "https://app.example",
    "--auth",
    "u:p:w",
    "--ca",
    "a.pem",
    "--ca",
    "b.pem",
    "--cert",
    "c.pem",
    "--key",
    "k.pem",
    "--servername",
    "ws.test",
    "--tls-min",
    "1.3",
    "--proxy",
    "socks5h://127.0.0.1:1080",
    "--no-private-networks",
    "--allow",
    "wss://*.example.com",
    "--deny",
    "wss://admin.example.com",
    "--compression-threshold",
    "1KiB",
    "--raw",
    "--no-color",
    "--history-file",
    "/tmp/h",
    URL,
  ]);
  t.same(o.execute, ["one", "two"]);
  t.equal(o.wait, 2000);
  t.ok(o.once && o.binaryStdin && o.showPingPong && o.printPingRtts && o.raw);
  t.equal(o.ping, 1000);
  t.equal(o.pingTimeout, 500);
  t.equal(o.keepalive, 30_000);
  t.equal(o.keepaliveTimeout, 5000);
  t.same(o.headers, {
    Origin: "https://app.example",
    Authorization: `Basic ${Buffer.from("u:p:w").toString("base64")}`,
  });
  t.same(o.tls, {
    ca: ["a.pem", "b.pem"],
    cert: "c.pem",
    key: "k.pem",
    servername: "ws.test",
    minVersion: "TLSv1.3",
  });
  t.equal(o.proxy, "socks5h://127.0.0.1:1080", "any proxy URL is passed through for the library to judge");
  t.equal(o.privateNetworks, false);
  t.same([o.allow, o.deny], [["wss://*.example.com"], ["wss://admin.example.com"]]);
  t.equal(o.compressionThreshold, 1024);
  t.equal(o.color, false);
  t.equal(o.historyFile, "/tmp/h");
  t.equal(options(["-w", "forever", URL]).wait, Number.POSITIVE_INFINITY);
  t.match(usageError(["-w", "5", URL]), /--wait: expected a duration/);
  t.match(usageError(["--auth", "nocolon", URL]), /--auth: expected user:password/);
  t.match(usageError(["--origin", "a", "-H", "origin: b", URL]), /give the origin once/);
  t.match(usageError(["--keepalive-timeout", "1s", URL]), /without --keepalive/);
  t.match(usageError(["--key", "k", URL]), /--cert and --key go together/);
  t.match(usageError(["--json", "--raw", URL]), /cannot be used together/);
  t.match(usageError(["--tls-min", "1.1", URL]), /expected 1\.2 or 1\.3/);
});

t.test("every flag is in --help", async (t) => {
  const help = helpText("0.0.0");
  for (const [name, letter] of [...Object.entries(VALUE_FLAGS), ...Object.entries(BOOLEAN_FLAGS)]) {
    t.match(help, new RegExp(`--${name}\\b`), `--${name}`);
    if (letter !== undefined) t.match(help, new RegExp(`-${letter}, --${name}\\b`), `-${letter}`);
  }
});

t.test("colour and history switches", async (t) => {
  t.equal(wantsColor({}, true, true), true);
  t.equal(wantsColor({ NO_COLOR: "1" }, true, true), false);
  t.equal(wantsColor({ NO_COLOR: "" }, true, true), true, "an empty NO_COLOR does not count");
  t.equal(wantsColor({}, false, true), false, "--no-color");
  t.equal(wantsColor({}, true, false), false, "not a terminal");
  t.match(historyPath(true, undefined, {}), /\.wschan_history$/);
  t.equal(historyPath(true, "/x/h", {}), "/x/h");
  t.equal(historyPath(false, undefined, {}), undefined);
  t.equal(historyPath(true, undefined, { WSCHAN_NO_HISTORY: "1" }), undefined);
});
