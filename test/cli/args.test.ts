import t from "tap";
import { parseArgs, parseClose, parseSize } from "../../src/cli/args.js";
import { EXIT, exitCodeForClose, exitCodeForError } from "../../src/cli/exit.js";
import { formatError, formatMessage, jsonEvent } from "../../src/cli/format.js";
import { helpText } from "../../src/cli/help.js";
import { WebSocketError } from "../../src/errors/errors.js";
import { options, usageError } from "../helpers/cli-args.js";

const URL = "ws://127.0.0.1:8080/";

t.test("a bare URL gives the defaults", async (t) => {
  t.same(options([URL]), {
    url: URL,
    headers: {},
    protocols: [],
    compression: 0,
    dialTimeout: undefined,
    readTimeout: undefined,
    writeTimeout: undefined,
    readLimit: undefined,
    ping: undefined,
    close: { code: 1000, reason: "" },
    json: false,
    binary: "hex",
    insecure: false,
    input: true,
    quiet: false,
    compressionThreshold: undefined,
    keepalive: undefined,
    keepaliveTimeout: undefined,
    pingTimeout: undefined,
    raw: false,
    tls: { ca: [], cert: undefined, key: undefined, servername: undefined, minVersion: undefined },
    proxy: undefined,
    privateNetworks: true,
    allow: [],
    deny: [],
    execute: [],
    wait: undefined,
    once: false,
    binaryStdin: false,
    printPingRtts: false,
    showPingPong: false,
    color: true,
    history: true,
    historyFile: undefined,
  });
});

t.test("-H is repeatable, splits at the first colon, trims, and joins a repeated name", async (t) => {
  const o = options([
    "-H",
    "Authorization: Bearer a:b",
    "--header=X-One:1",
    "-HX-Two:  2 ",
    URL,
    "-H",
    "x-one: 3",
  ]);
  t.same(o.headers, { Authorization: "Bearer a:b", "X-One": "1, 3", "X-Two": "2" });
  t.match(usageError(["-H", "no colon", URL]), /-H: expected "Name: value"/);
  t.match(usageError(["-H", ": empty name", URL]), /-H: expected/);
  t.match(usageError([URL, "-H"]), /-H needs a value/);
});

t.test("--protocol/-p is repeatable and takes comma-separated lists", async (t) => {
  t.same(options(["-p", "chat", "--protocol", "v2.json, v1.json", "-psuperchat", URL]).protocols, [
    "chat",
    "v2.json",
    "v1.json",
    "superchat",
  ]);
  t.match(usageError(["-p", "a,,b", URL]), /empty subprotocol/);
});

t.test("--compression names the three modes", async (t) => {
  t.equal(options(["--compression", "none", URL]).compression, 0);
  t.equal(options(["--compression", "context", URL]).compression, 1);
  t.equal(options(["--compression=no-context", URL]).compression, 2);
  t.match(usageError(["--compression", "gzip", URL]), /none, context or no-context/);
});

t.test("timeouts and --ping take Go durations, never bare numbers", async (t) => {
  const o = options([
    "--dial-timeout",
    "1.5s",
    "--read-timeout=1m30s",
    "--write-timeout",
    "250ms",
    "--ping",
    "30s",
    URL,
  ]);
  t.equal(o.dialTimeout, 1500);
  t.equal(o.readTimeout, 90_000);
  t.equal(o.writeTimeout, 250);
  t.equal(o.ping, 30_000);
  t.equal(options(["--read-timeout", "0", URL]).readTimeout, 0, "0 means none");
  t.match(usageError(["--dial-timeout", "5", URL]), /expected a duration such as 500ms/);
  t.match(usageError(["--read-timeout", "-1s", URL]), /--read-timeout/);
  t.match(usageError(["--write-timeout", "soon", URL]), /--write-timeout/);
  t.match(usageError(["--ping", "0s", URL]), /more than zero/);
  t.match(usageError(["--ping", URL]), /expected a duration/, "a flag's value is the next word, even a URL");
});

t.test("--read-limit takes bytes with optional binary units, up to 128 MiB", async (t) => {
  t.equal(options(["--read-limit", "65536", URL]).readLimit, 65536);
  t.equal(options(["--read-limit", "64KiB", URL]).readLimit, 65536);
  t.equal(options(["--read-limit", "16m", URL]).readLimit, 16 * 1024 * 1024);
  t.equal(options(["--read-limit", "128MiB", URL]).readLimit, 128 * 1024 * 1024);
  t.match(usageError(["--read-limit", "129MiB", URL]), /up to 128MiB/);
  t.match(usageError(["--read-limit", "1.5k", URL]), /--read-limit/);
  t.equal(parseSize("10 kib"), 10240);
  t.equal(parseSize("10GB"), undefined);
});

t.test("--close takes CODE[:REASON] with a code that may be sent", async (t) => {
  t.same(options(["--close", "4001:bye now: really", URL]).close, { code: 4001, reason: "bye now: really" });
  t.same(options(["--close=1001", URL]).close, { code: 1001, reason: "" });
  t.same(parseClose("3000:"), { code: 3000, reason: "" });
  for (const bad of ["1005", "1006", "999", "5000", "2000", "abc", "1000x", `1000:${"x".repeat(124)}`]) {
    t.match(usageError(["--close", bad, URL]), /--close: expected CODE\[:REASON\]/, bad);
  }
  t.ok(parseClose(`1000:${"x".repeat(123)}`), "a reason of exactly 123 bytes fits");
});

t.test("boolean flags, long and short, and grouped short flags", async (t) => {
  const o = options(["--json", "-knq", "--binary", "base64", URL]);
  t.equal(o.json, true);
  t.equal(o.insecure, true);
  t.equal(o.input, false);
  t.equal(o.quiet, true);
  t.equal(o.binary, "base64");
  t.same(options(["--insecure", "--no-input", "--quiet", URL]).input, false);
  t.match(usageError(["--json=yes", URL]), /takes no value/);
  t.match(usageError(["--binary", "octal", URL]), /hex or base64/);
});

t.test("--help and --version win over everything else before --", async (t) => {
  t.same(parseArgs(["--help"]), { kind: "help" });
  t.same(parseArgs(["--bogus", "-h"]), { kind: "help" });
  t.same(parseArgs(["-V"]), { kind: "version" });
  t.same(parseArgs(["--version", URL]), { kind: "version" });
  t.match(usageError(["--", "--help"]), /must start with ws:\/\//, "after -- it is the URL");
});

t.test("usage errors: the URL, unknown flags", async (t) => {
  t.match(usageError([]), /missing URL/);
  t.match(usageError([URL, URL]), /expected one URL, got 2/);
  t.match(usageError(["http://example.com"]), /must start with ws:\/\/, wss:\/\/, ws\+unix: or wss\+unix:/);
  t.match(usageError(["--frobnicate", URL]), /unknown option --frobnicate/);
  t.match(usageError(["-Z", URL]), /unknown option -Z/);
  t.match(usageError([URL, "-x"]), /-x needs a value/);
  t.equal(options(["WSS://example.com/"]).url, "WSS://example.com/", "the scheme is case-insensitive");
});

t.test("exit codes for errors name each kind", async (t) => {
  t.equal(exitCodeForError(new WebSocketError("INVALID", "x")), EXIT.USAGE);
  t.equal(exitCodeForError(new WebSocketError("INTERNAL", "x", { retryable: true })), EXIT.CONNECT);
  t.equal(exitCodeForError(new WebSocketError("TIMEOUT", "x")), EXIT.TIMEOUT);
  t.equal(exitCodeForError(new WebSocketError("PERMISSION_DENIED", "x")), EXIT.PERMISSION);
  t.equal(exitCodeForError(new WebSocketError("CANCELED", "x")), EXIT.INTERRUPTED);
  t.equal(exitCodeForError(new Error("bug")), EXIT.FAILURE);
  t.same([EXIT.OK, EXIT.USAGE, EXIT.CONNECT, EXIT.TIMEOUT, EXIT.CLOSED, EXIT.PERMISSION], [0, 2, 3, 4, 5, 6]);
});

t.test("exit codes for a close: normal codes, our own code, errors, timeouts", async (t) => {
  const clean = (code: number) => ({ code, reason: "", clean: true });
  t.equal(exitCodeForClose(clean(1000)), EXIT.OK);
  t.equal(exitCodeForClose(clean(1001)), EXIT.OK);
  t.equal(exitCodeForClose(clean(1005)), EXIT.OK);
  t.equal(exitCodeForClose(clean(1011)), EXIT.CLOSED);
  t.equal(exitCodeForClose(clean(4001)), EXIT.CLOSED, "an application code from the peer");
  t.equal(exitCodeForClose(clean(4001), 4001), EXIT.OK, "the echo of the code we sent");
  t.equal(exitCodeForClose({ code: 1006, reason: "", clean: false }), EXIT.CLOSED);
  const timeout = new WebSocketError("TIMEOUT", "nothing received for 1s", { retryable: true });
  t.equal(exitCodeForClose({ code: 1006, reason: "", clean: false, error: timeout }), EXIT.TIMEOUT);
});

t.test("formatting: messages, JSON events, errors, help", async (t) => {
  t.equal(formatMessage({ type: "text", data: "héllo" }, "hex"), "héllo");
  t.equal(
    formatMessage({ type: "binary", data: Buffer.from([0, 1, 255]) }, "hex"),
    "[binary 3 bytes] 0001ff",
  );
  t.equal(
    formatMessage({ type: "binary", data: Buffer.from([0, 1, 255]) }, "base64"),
    "[binary 3 bytes] AAH/",
  );
  const time = new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 6));
  t.same(JSON.parse(jsonEvent({ event: "message", message: { type: "text", data: "hi" } }, time, "hex")), {
    event: "message",
    time: "2025-01-02T03:04:05.006Z",
    type: "text",
    data: "hi",
  });
  t.same(
    JSON.parse(
      jsonEvent({ event: "message", message: { type: "binary", data: Buffer.from("hi") } }, time, "base64"),
    ),
    {
      event: "message",
      time: "2025-01-02T03:04:05.006Z",
      type: "binary",
      encoding: "base64",
      length: 2,
      data: "aGk=",
    },
  );
  t.same(
    JSON.parse(
      jsonEvent(
        {
          event: "error",
          error: new WebSocketError("INTERNAL", "refused", { retryable: false, status: 403 }),
        },
        time,
        "hex",
      ),
    ),
    {
      event: "error",
      time: "2025-01-02T03:04:05.006Z",
      kind: "INTERNAL",
      id: "INTERNAL_ERROR",
      message: "refused",
      retryable: false,
      status: 403,
    },
  );
  t.equal(
    formatError(new WebSocketError("TIMEOUT", "nothing received for 1s", { retryable: true })),
    "wschan: timeout: nothing received for 1s (retryable)",
  );
  t.equal(
    formatError(new WebSocketError("PERMISSION_DENIED", "URL denied by rule x")),
    "wschan: permission denied: URL denied by rule x",
  );
  const help = helpText("1.2.3");
  t.match(help, /^wschan 1\.2\.3/);
  for (const code of ["0", "1", "2", "3", "4", "5", "6", "130"]) {
    t.match(help, new RegExp(`\\n  ${code} +\\S`), `help documents exit code ${code}`);
  }
});

t.test("network flags: --no-proxy, --unix-socket, --happy-eyeballs-delay, --http2", async (t) => {
  t.equal(options([URL]).proxy, undefined, "no flag: the library's default (the environment)");
  t.equal(options(["--no-proxy", URL]).proxy, false);
  t.equal(options(["--unix-socket", "/run/app.sock", URL]).unixSocket, "/run/app.sock");
  t.equal(options(["--happy-eyeballs-delay", "100ms", URL]).happyEyeballsDelay, 100);
  t.equal(options(["--http2", "auto", URL]).http2, "auto");
  t.equal(options(["--http2", "on", URL]).http2, true);
  t.equal(options(["--http2", "off", URL]).http2, false);
  t.match(usageError(["--http2", "yes", URL]), /--http2: expected auto, on or off/);
  t.equal(options(["ws+unix:/run/app.sock:/chat"]).url, "ws+unix:/run/app.sock:/chat");
  const message = usageError(["http://alice:s3cret@example.com/"]);
  t.notMatch(message, /s3cret/, "a refused URL is shown without its credentials");
  t.match(message, /http:\/\/example\.com\//);
});
