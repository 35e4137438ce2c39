// The built `wschan` command driven end to end as a child process, through real pipes, against
// `ws`'s server (and, for the write timeout, our raw peer that stops reading). `npm test` builds
// dist/ before tap runs.
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import t from "tap";
import { WebSocketServer } from "ws";
import { RawPeer } from "../helpers/raw-peer.js";
import { echo, startWsPeer } from "../helpers/ws-server.js";

// Generous: the machine running the suite may be heavily loaded. Durations that matter are
// measured from when the server saw the connection, not from the spawn, for the same reason.
t.setTimeout(300_000);
// Each case spawns its own processes and servers on their own ports: run several at once.
t.jobs = 4;

const root = fileURLToPath(new URL("../../", import.meta.url));
const MAIN = join(root, "dist/cli/main.js");
const VERSION = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;

if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" first (npm test does)`);

/** The environment of the child: ours without tap's variables. */
const childEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(TAP|_TAPJS|NODE_OPTIONS$)/.test(k)),
);

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

interface Running {
  readonly child: ChildProcessWithoutNullStreams;
  readonly result: Promise<Result>;
  /** Resolves with the first line written to stdout. */
  readonly firstLine: Promise<string>;
}

/** Starts `node dist/cli/main.js ...args` with piped stdio; stdin stays open unless `input` is given (then it is written and ended). */
function start(args: readonly string[], input?: string): Running {
  const began = Date.now();
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: root, env: childEnv });
  let stdout = "";
  let stderr = "";
  let announce: (line: string) => void = () => {};
  const firstLine = new Promise<string>((resolve) => {
    announce = resolve;
  });
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    stdout += chunk;
    const nl = stdout.indexOf("\n");
    if (nl >= 0) announce(stdout.slice(0, nl));
  });
  child.stderr.on("data", (chunk: string) => {
    stderr += chunk;
  });
  child.stdin.on("error", () => {}); // the child may exit before reading everything
  if (input !== undefined) child.stdin.end(input);
  const result = new Promise<Result>((resolve) => {
    child.on("close", (code) => resolve({ code, stdout, stderr, ms: Date.now() - began }));
  });
  return { child, result, firstLine };
}

function cli(args: readonly string[], input?: string): Promise<Result> {
  return start(args, input).result;
}

/** The JSON events of a --json run. */
function events(stdout: string): Record<string, unknown>[] {
  return stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Resolves with the code and reason of the client's Close as the server saw it. */
function serverClose(ws: import("ws").WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

t.test(
  "lines on stdin go out as text messages, messages come back on stdout, end of input closes with 1000",
  async (t) => {
    const peer = await startWsPeer({}, echo);
    t.teardown(() => peer.close());
    const running = cli([peer.url], "hello\nwörld\n\nlast line without newline");
    const ws = await peer.connection();
    const closed = serverClose(ws);
    const r = await running;
    t.equal(r.code, 0);
    t.equal(r.stdout, "hello\nwörld\n\nlast line without newline\n", "echoed in order, the empty line too");
    t.match(r.stderr, /^wschan: connected to ws:\/\/127\.0\.0\.1:\d+\/\n/);
    t.match(r.stderr, /wschan: closed with code 1000\n$/);
    t.same(await closed, { code: 1000, reason: "" });
  },
);

t.test("thousands of piped lines are all sent, in order, with a bounded number in flight", async (t) => {
  const peer = await startWsPeer({}, echo);
  t.teardown(() => peer.close());
  const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${"x".repeat(i % 300)}`);
  const r = await cli(["-q", peer.url], `${lines.join("\n")}\n`);
  t.equal(r.code, 0);
  t.equal(r.stderr, "", "-q leaves stderr empty");
  t.same(r.stdout.split("\n").slice(0, -1), lines);
});

t.test("--json prints one object per event: open, message, close, each with an ISO time", async (t) => {
  const peer = await startWsPeer({}, echo);
  t.teardown(() => peer.close());
  const r = await cli(["--json", peer.url], "one\ntwo\n");
  t.equal(r.code, 0);
  t.equal(r.stderr, "", "nothing on stderr in JSON mode");
  const list = events(r.stdout);
  t.same(
    list.map((e) => e.event),
    ["open", "message", "message", "close"],
  );
  for (const e of list) {
    t.match(e.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    t.ok(Math.abs(Date.parse(String(e.time)) - Date.now()) < 60_000, "a real, recent time");
  }
  t.match(list[0], { url: `${peer.url}/`, protocol: "", extensions: "" });
  t.match(list[1], { type: "text", data: "one" });
  t.match(list[2], { type: "text", data: "two" });
  t.match(list[3], { code: 1000, reason: "", clean: true });
  t.same(Object.keys(list[3]!).sort(), ["clean", "code", "event", "reason", "time"]);
});

t.test("binary messages print marked, as hex by default and as base64 with --binary base64", async (t) => {
  const bytes = Buffer.from([0, 1, 0x7f, 0x80, 0xff]);
  const peer = await startWsPeer({}, (ws) => {
    ws.send(bytes, { binary: true });
    ws.send("and text");
    setTimeout(() => ws.close(1000), 50);
  });
  t.teardown(() => peer.close());
  const hex = await cli(["-n", peer.url]);
  t.equal(hex.code, 0);
  t.equal(hex.stdout, "[binary 5 bytes] 00017f80ff\nand text\n");
  const b64 = await cli(["-n", "--binary", "base64", peer.url]);
  t.equal(b64.stdout, "[binary 5 bytes] AAF/gP8=\nand text\n");
  const json = await cli(["-n", "--json", "--binary=base64", peer.url]);
  t.match(events(json.stdout)[1], {
    event: "message",
    type: "binary",
    encoding: "base64",
    length: 5,
    data: "AAF/gP8=",
  });
});

t.test(
  "-H sends extra handshake headers; a header the handshake owns is invalid usage (exit 2)",
  async (t) => {
    const peer = await startWsPeer({}, echo);
    t.teardown(() => peer.close());
    const requests: IncomingMessage[] = [];
    peer.server.on("connection", (_ws, request) => requests.push(request));
    const r = await cli(
      ["-H", "Authorization: Bearer t0k3n", "--header=X-Trace: a", "-H", "x-trace: b", peer.url],
      "",
    );
    t.equal(r.code, 0);
    t.equal(requests[0]?.headers.authorization, "Bearer t0k3n");
    t.equal(requests[0]?.headers["x-trace"], "a, b");
    const owned = await cli(["-H", "Sec-WebSocket-Key: abc", peer.url], "");
    t.equal(owned.code, 2);
    t.match(owned.stderr, /^wschan: invalid: .*header/i);
    const bad = await cli(["-H", "Bad Name: x", peer.url], "");
    t.equal(bad.code, 2);
  },
);

t.test("-p offers subprotocols and the chosen one is reported", async (t) => {
  const offered: string[][] = [];
  const peer = await startWsPeer({
    handleProtocols: (protocols) => {
      offered.push([...protocols]);
      return protocols.has("v2.chat") ? "v2.chat" : false;
    },
  });
  t.teardown(() => peer.close());
  const r = await cli(["--json", "-p", "v1.chat", "--protocol", "v2.chat", peer.url], "");
  t.equal(r.code, 0);
  t.same(offered[0], ["v1.chat", "v2.chat"]);
  t.match(events(r.stdout)[0], { event: "open", protocol: "v2.chat" });
  const plain = await cli(["-p", "v2.chat", peer.url], "");
  t.match(plain.stderr, /connected to ws:\/\/\S+ \(protocol v2\.chat\)/);
});

t.test("--compression passes the mode to connect and the connection works either way", async (t) => {
  const peer = await startWsPeer({ perMessageDeflate: true }, echo);
  t.teardown(() => peer.close());
  const offers: (string | undefined)[] = [];
  peer.server.on("connection", (_ws, request) => offers.push(request.headers["sec-websocket-extensions"]));
  for (const mode of ["none", "context", "no-context"]) {
    const r = await cli(["--compression", mode, "--json", peer.url], `${mode} ${"z".repeat(2000)}\n`);
    t.equal(r.code, 0, mode);
    t.match(events(r.stdout)[1], { type: "text", data: `${mode} ${"z".repeat(2000)}` }, mode);
  }
  t.equal(offers[0], undefined, "none offers nothing");
  // Whether a mode is offered depends on permessage-deflate being built; if offered, it is named.
  for (const offer of offers.slice(1)) if (offer !== undefined) t.match(offer, /permessage-deflate/);
  const bad = await cli(["--compression", "brotli", peer.url], "");
  t.equal(bad.code, 2);
  t.match(bad.stderr, /--compression: expected none, context or no-context/);
});

t.test("--dial-timeout: a server that never answers the handshake exits 4", async (t) => {
  const sockets = new Set<net.Socket>();
  let connectedAt = 0;
  const server = net.createServer((socket) => {
    connectedAt = Date.now();
    sockets.add(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const port = (server.address() as net.AddressInfo).port;
  const r = await cli(["--dial-timeout", "300ms", `ws://127.0.0.1:${port}/`], "");
  t.equal(r.code, 4);
  t.match(r.stderr, /^wschan: timeout: .*300ms.* \(retryable\)\n$/);
  t.ok(Date.now() - connectedAt < 5000, `ended ${Date.now() - connectedAt} ms after the TCP connection`);
  const json = await cli(["--json", "--dial-timeout=200ms", `ws://127.0.0.1:${port}/`], "");
  t.equal(json.code, 4);
  t.match(events(json.stdout), [{ event: "error", kind: "TIMEOUT", retryable: true }]);
});

t.test("--read-timeout: a silent server fails the connection with exit 4", async (t) => {
  const peer = await startWsPeer();
  t.teardown(() => peer.close());
  const running = start(["--read-timeout", "300ms", "--json", peer.url]); // stdin stays open
  await peer.connection();
  const opened = Date.now();
  const r = await running.result;
  t.equal(r.code, 4);
  const list = events(r.stdout);
  t.same(
    list.map((e) => e.event),
    ["open", "error", "close"],
  );
  t.match(list[1], { kind: "TIMEOUT", message: /300ms/ });
  t.match(list[2], { code: 1006, clean: false });
  t.ok(Date.now() - opened < 5000, `ended ${Date.now() - opened} ms after the connection opened`);
});

t.test("--write-timeout: a server that stops reading fails a send with exit 4", async (t) => {
  const peer = await RawPeer.start();
  t.teardown(() => peer.close());
  const running = start(["--write-timeout", "300ms", peer.url]);
  const connection = await peer.connection(30_000);
  connection.socket.pause(); // read nothing: the kernel buffers fill, then our sends stall
  const line = `${"w".repeat(64 * 1024)}\n`;
  let written = 0;
  const feed = (): void => {
    // Enough to fill both socket buffers many times over, written as the pipe drains.
    while (written < 1024 && !running.child.stdin.destroyed) {
      written++;
      if (!running.child.stdin.write(line)) {
        running.child.stdin.once("drain", feed);
        return;
      }
    }
  };
  feed();
  const r = await running.result;
  t.equal(r.code, 4);
  t.match(r.stderr, /wschan: timeout: .*300ms/);
  t.match(r.stderr, /closed with code 1006 \(not clean\)/);
});

t.test(
  "--read-limit: a message of exactly the limit passes, one byte more closes with 1009 and exits 5",
  async (t) => {
    const peer = await startWsPeer({}, (ws) => {
      ws.send("x".repeat(16));
      ws.send("y".repeat(17));
    });
    t.teardown(() => peer.close());
    const running = start(["--json", "--read-limit", "16", peer.url]);
    const ws = await peer.connection();
    const closed = serverClose(ws);
    const r = await running.result;
    t.equal(r.code, 5);
    const list = events(r.stdout);
    t.match(list[1], { event: "message", data: "x".repeat(16) });
    t.match(list.at(-1), { event: "close", code: 1009 });
    t.equal((await closed).code, 1009, "the server got a 1009 Close");
    const bad = await cli(["--read-limit", "lots", peer.url], "");
    t.equal(bad.code, 2);
  },
);

t.test("--ping sends keep-alive pings on its interval", async (t) => {
  let pings = 0;
  const peer = await startWsPeer({}, (ws) => {
    ws.on("ping", () => pings++);
    setTimeout(() => ws.close(1000, "enough"), 550);
  });
  t.teardown(() => peer.close());
  const r = await cli(["-n", "--ping", "100ms", peer.url]);
  t.equal(r.code, 0);
  t.ok(pings >= 2 && pings <= 6, `the server saw ${pings} pings in 550 ms`);
  t.match(r.stderr, /closed with code 1000 "enough"/);
});

t.test("--ping: no pong in time (read timeout) exits 4 after closing with 1001", async (t) => {
  const peer = await startWsPeer({ autoPong: false }, (ws) => {
    // Keeps talking, so the silence rule never fires; only the pongs are missing.
    const timer = setInterval(() => ws.send("tick"), 50);
    ws.on("close", () => clearInterval(timer));
  });
  t.teardown(() => peer.close());
  const running = start(["--ping", "100ms", "--read-timeout", "300ms", peer.url]);
  const ws = await peer.connection();
  const closed = serverClose(ws);
  const r = await running.result;
  t.equal(r.code, 4);
  t.match(r.stderr, /wschan: timeout: keep-alive: .*300ms/);
  t.same(await closed, { code: 1001, reason: "keep-alive ping timed out" });
  t.match(r.stdout, /^tick\n/);
});

t.test("--close CODE:REASON is the Close sent at end of input; a bad one is invalid usage", async (t) => {
  const peer = await startWsPeer({}, echo);
  t.teardown(() => peer.close());
  const running = cli(["--close", "4001:done here", peer.url], "bye\n");
  const ws = await peer.connection();
  const closed = serverClose(ws);
  const r = await running;
  t.equal(r.code, 0, "the echo of our own code is a normal end");
  t.equal(r.stdout, "bye\n");
  t.same(await closed, { code: 4001, reason: "done here" });
  const bad = await cli(["--close", "1006", peer.url], "");
  t.equal(bad.code, 2);
  t.match(bad.stderr, /--close: expected CODE\[:REASON\]/);
});

const haveOpenssl = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

t.test(
  "--insecure connects to a self-signed TLS server, with a warning; without it the TLS failure exits 3",
  { skip: haveOpenssl ? false : "openssl is needed to make a self-signed certificate" },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "wschan-cli-tls-"));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=localhost",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    const https = createHttpsServer({
      key: readFileSync(join(dir, "key.pem")),
      cert: readFileSync(join(dir, "cert.pem")),
    });
    const wss = new WebSocketServer({ server: https });
    wss.on("connection", echo);
    await new Promise<void>((resolve) => https.listen(0, "127.0.0.1", resolve));
    t.teardown(() => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      https.close();
    });
    const url = `wss://127.0.0.1:${(https.address() as net.AddressInfo).port}/`;
    const refused = await cli([url], "secret\n");
    t.equal(refused.code, 3);
    t.match(refused.stderr, /^wschan: error: .*certificate/i);
    const r = await cli(["-k", url], "secret\n");
    t.equal(r.code, 0);
    t.equal(r.stdout, "secret\n");
    t.match(r.stderr, /^wschan: warning: --insecure: the server's TLS certificate is not verified/);
  },
);

t.test("exit 3: connection refused, and a handshake the server refuses", async (t) => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const refused = await cli([`ws://127.0.0.1:${port}/`], "");
  t.equal(refused.code, 3);
  t.match(refused.stderr, /^wschan: error: .*ECONNREFUSED.* \(retryable\)\n$/);
  const json = await cli(["--json", `ws://127.0.0.1:${port}/`], "");
  t.equal(json.code, 3);
  t.match(events(json.stdout), [{ event: "error", kind: "INTERNAL", retryable: true }]);

  const peer = await startWsPeer({ verifyClient: () => false });
  t.teardown(() => peer.close());
  const denied = await cli(["--json", peer.url], "");
  t.equal(denied.code, 3);
  t.match(events(denied.stdout), [{ event: "error", kind: "INTERNAL", status: 401, retryable: false }]);
});

t.test("exit 5: the server closes with an error code, or drops the connection", async (t) => {
  const peer = await startWsPeer({}, (ws) => {
    ws.send("before");
    setTimeout(() => ws.close(1011, "it broke"), 30);
  });
  t.teardown(() => peer.close());
  const r = await cli([peer.url]); // stdin open: the server's close alone must end the run
  t.equal(r.code, 5);
  t.equal(r.stdout, "before\n");
  t.match(r.stderr, /wschan: closed with code 1011 "it broke"\n$/);
  const quiet = await cli(["-q", peer.url]);
  t.equal(quiet.code, 5);
  t.match(quiet.stderr, /closed with code 1011/, "a failing close is reported even with -q");

  const dropper = await startWsPeer({}, (ws) => setTimeout(() => ws.terminate(), 30));
  t.teardown(() => dropper.close());
  const dropped = await cli(["--json", dropper.url]);
  t.equal(dropped.code, 5);
  const list = events(dropped.stdout);
  t.same(
    list.map((e) => e.event),
    ["open", "error", "close"],
  );
  t.match(list[2], { code: 1006, clean: false });
});

t.test("the server's normal close ends the run with 0 even while stdin is still open", async (t) => {
  const peer = await startWsPeer({}, (ws) => {
    ws.send("bye");
    setTimeout(() => ws.close(1001, "going away"), 30);
  });
  t.teardown(() => peer.close());
  const running = start([peer.url]);
  await peer.connection();
  const opened = Date.now();
  const r = await running.result;
  t.equal(r.code, 0);
  t.equal(r.stdout, "bye\n");
  t.ok(Date.now() - opened < 5000, `ended ${Date.now() - opened} ms after the connection opened`);
});

t.test("-n ignores stdin: end of input does not close", async (t) => {
  const peer = await startWsPeer({}, (ws) => setTimeout(() => ws.send("late"), 200));
  t.teardown(() => peer.close());
  const running = start(["-n", peer.url], "this is not sent\n");
  const ws = await peer.connection();
  const received: string[] = [];
  ws.on("message", (data) => received.push(data.toString()));
  t.equal(await running.firstLine, "late", "still connected after stdin ended");
  ws.close(1000);
  const r = await running.result;
  t.equal(r.code, 0);
  t.same(received, []);
});

t.test("Ctrl-C (SIGINT) closes with the --close code and exits 0", async (t) => {
  const peer = await startWsPeer({}, (ws) => ws.send("ready"));
  t.teardown(() => peer.close());
  const running = start(["--close", "1001:interrupted", peer.url]);
  const ws = await peer.connection();
  const closed = serverClose(ws);
  await running.firstLine;
  running.child.kill("SIGINT");
  const r = await running.result;
  t.equal(r.code, 0);
  t.same(await closed, { code: 1001, reason: "interrupted" });
});

t.test("a reader that goes away (| head -1) makes wschan close and exit", async (t) => {
  const peer = await startWsPeer({}, (ws) => {
    const timer = setInterval(() => ws.send("tick"), 10);
    ws.on("close", () => clearInterval(timer));
  });
  t.teardown(() => peer.close());
  const running = start(["-n", peer.url]);
  const ws = await peer.connection();
  const closed = serverClose(ws);
  t.equal(await running.firstLine, "tick");
  running.child.stdout.destroy();
  const r = await running.result;
  t.equal(r.code, 0);
  t.equal((await closed).code, 1000);
  t.notMatch(r.stderr, /Error|at /, "no crash");
});

t.test("usage errors exit 2 with a hint; --help and --version exit 0", async (t) => {
  const none = await cli([]);
  t.equal(none.code, 2);
  t.equal(
    none.stderr,
    'wschan: missing URL (e.g. wschan ws://127.0.0.1:8080/)\nTry "wschan --help" for usage.\n',
  );
  const unknown = await cli(["--frobnicate", "ws://127.0.0.1:1/"]);
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /unknown option --frobnicate/);
  const scheme = await cli(["http://127.0.0.1:1/"]);
  t.equal(scheme.code, 2);
  const fragment = await cli(["ws://127.0.0.1:1/#frag"], "");
  t.equal(fragment.code, 2, "an INVALID from connect is a usage error too");
  t.match(fragment.stderr, /^wschan: invalid: .*fragment/);

  const help = await cli(["--help"]);
  t.equal(help.code, 0);
  t.match(help.stdout, /^wschan \S+: a WebSocket client for the command line\n\nUsage: wschan \[options\]/);
  t.match(help.stdout, /Exit codes:/);
  const version = await cli(["-V"]);
  t.equal(version.code, 0);
  t.equal(version.stdout, `${VERSION}\n`);
});
