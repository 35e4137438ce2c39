// The flags `wschan` gained beside wscat and websocat, driven end to end through pipes against
// real servers on 127.0.0.1: `ws`'s server, our raw peer (a server that never answers), a TLS
// server with test certificates, and an HTTP CONNECT proxy. `npm test` builds dist/ first.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t, { type Test } from "tap";
import { haveOpenssl, makeCerts, type TestCerts } from "../helpers/certs.js";
import { childEnv, requireBuild, runCli, startCli } from "../helpers/cli-process.js";
import { startProxy } from "../helpers/connect-proxy.js";
import { closeCodeOf, RawPeer } from "../helpers/raw-peer.js";
import { echo, startWsPeer } from "../helpers/ws-server.js";
import { startWss } from "../helpers/wss-server.js";

requireBuild();
// Generous bounds: the machine running the suite may be heavily loaded; each case spawns processes.
t.setTimeout(300_000);
t.jobs = 2;

/** The JSON events of a --json run. */
function events(stdout: string): Record<string, unknown>[] {
  return stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A server that sends `messages` (a Buffer as binary) and then closes with 1000. */
async function sender(t: Test, messages: readonly (string | Buffer)[]) {
  const peer = await startWsPeer({}, (ws) => {
    for (const m of messages) ws.send(m, { binary: typeof m !== "string" });
    setTimeout(() => ws.close(1000), 100);
  });
  t.teardown(() => peer.close());
  return peer;
}

t.test("received text is escaped, one message per line; binary is marked; --raw is byte-exact", async (t) => {
  const hostile = "a\u001b[31mb\r\nc\u0007\u009b\u202e";
  const binary = Buffer.from([0x1b, 0x5b, 0x32, 0x4a, 0xff]);
  const peer = await sender(t, [hostile, "[binary 3 bytes] 414243", binary, "tab\tand \\n stay"]);
  const lines = await runCli(["-n", peer.url]);
  t.equal(lines.code, 0);
  t.equal(
    lines.stdout,
    "a\\x1b[31mb\\r\\nc\\x07\\x9b\\u202e\n\\x5bbinary 3 bytes] 414243\n[binary 5 bytes] 1b5b324aff\ntab\tand \\n stay\n",
    "controls escaped; a text that looks like a binary line has its [ escaped",
  );
  const raw = await runCli(["-n", "--raw", peer.url]);
  t.equal(raw.code, 0);
  t.same(
    raw.bytes,
    Buffer.concat([
      Buffer.from(hostile),
      Buffer.from("[binary 3 bytes] 414243"),
      binary,
      Buffer.from("tab\tand \\n stay"),
    ]),
    "--raw writes each payload unchanged, nothing added",
  );
  const json = await runCli(["-n", "--json", peer.url]);
  t.notMatch(
    json.stdout,
    /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/,
    "no raw control character in JSON output",
  );
  t.equal(events(json.stdout)[1]?.data, hostile, "the JSON text reads back exactly");
  t.match(json.stdout, /\\u009b\\u202e/);
});

t.test("-x sends messages on connect, in order; -w stays after input ends, then closes", async (t) => {
  const received: string[] = [];
  const peer = await startWsPeer({}, (ws) => {
    ws.on("message", (data) => {
      received.push(String(data));
      ws.send(String(data));
    });
  });
  t.teardown(() => peer.close());
  const r = await runCli(["-x", "first", "--execute", "second", "-w", "400ms", peer.url], "from stdin\n");
  t.equal(r.code, 0);
  t.same(received, ["first", "second", "from stdin"]);
  t.equal(r.stdout, "first\nsecond\nfrom stdin\n");
  t.ok(r.ms >= 400, `stayed ${r.ms} ms after input ended`);

  const listening = await runCli(["-n", "-x", "only", "-w", "200ms", peer.url]);
  t.equal(listening.code, 0, "-n with -x and -w: send, wait, close");
  t.equal(listening.stdout, "only\n");
});

t.test("-w forever stays after input ends until the server closes", async (t) => {
  const peer = await startWsPeer({}, (ws) => setTimeout(() => ws.close(1000, "bye"), 500));
  t.teardown(() => peer.close());
  const r = await runCli(["-w", "forever", peer.url], "");
  t.equal(r.code, 0);
  t.match(r.stderr, /closed with code 1000 "bye"/, "the server's Close ended it, not ours");
  t.ok(r.ms >= 500);
});

t.test("-1 prints the first message, closes with 1000 and exits 0", async (t) => {
  let closeCode = 0;
  const peer = await startWsPeer({}, (ws) => {
    ws.on("close", (code) => {
      closeCode = code;
    });
    const timer = setInterval(() => ws.send("tick"), 5);
    ws.on("close", () => clearInterval(timer));
  });
  t.teardown(() => peer.close());
  const r = await runCli(["-1", peer.url]);
  t.equal(r.code, 0);
  t.equal(r.stdout, "tick\n");
  t.equal(closeCode, 1000);
});

t.test("-b sends each input line's bytes as a binary message", async (t) => {
  const received: { hex: string; binary: boolean }[] = [];
  const peer = await startWsPeer({}, (ws) => {
    ws.on("message", (data, binary) => received.push({ hex: (data as Buffer).toString("hex"), binary }));
  });
  t.teardown(() => peer.close());
  const r = await runCli(["-b", peer.url], Buffer.from([0x61, 0x62, 0x0a, 0x00, 0xff, 0x0a, 0x80]));
  t.equal(r.code, 0);
  t.same(received, [
    { hex: "6162", binary: true },
    { hex: "00ff", binary: true },
    { hex: "80", binary: true },
  ]);
});

t.test("--origin and --auth set their headers; --auth with -H Authorization is a usage error", async (t) => {
  const peer = await startWsPeer({}, echo);
  t.teardown(() => peer.close());
  const requests: IncomingMessage[] = [];
  peer.server.on("connection", (_ws, request) => requests.push(request));
  const r = await runCli(["-o", "https://app.example", "--auth", "alice:s3cr:et", peer.url], "");
  t.equal(r.code, 0);
  t.equal(requests[0]?.headers.origin, "https://app.example");
  t.equal(requests[0]?.headers.authorization, `Basic ${Buffer.from("alice:s3cr:et").toString("base64")}`);
  const both = await runCli(["--auth", "a:b", "-H", "Authorization: x", peer.url], "");
  t.equal(both.code, 2);
  t.equal(requests.length, 1, "nothing was sent for the usage error");
});

t.test("exit 6: the policy flags refuse the connection before any socket", async (t) => {
  let connections = 0;
  const peer = await startWsPeer({}, () => connections++);
  t.teardown(() => peer.close());
  const priv = await runCli(["--no-private-networks", peer.url], "");
  t.equal(priv.code, 6);
  t.match(priv.stderr, /^wschan: permission denied: .*private_networks/m);
  const denied = await runCli(["--deny", "ws://127.0.0.1:*", peer.url], "");
  t.equal(denied.code, 6);
  const notAllowed = await runCli(["--allow", "wss://api.example.com", peer.url], "");
  t.equal(notAllowed.code, 6);
  const json = await runCli(["--json", "--deny", "ws://127.0.0.1:*", peer.url], "");
  t.match(events(json.stdout)[0], { event: "error", kind: "PERMISSION_DENIED", retryable: false });
  t.equal(connections, 0, "no connection reached the server");
  const allowed = await runCli(["--allow", "ws://127.0.0.1:*", peer.url], "");
  t.equal(allowed.code, 0, "an allow pattern that matches lets it through");
});

t.test("--ping against a peer that never answers gives up promptly: Close 1001 sent, exit 4", async (t) => {
  const peer = await RawPeer.start();
  t.teardown(() => peer.close());
  const running = startCli(["--ping", "300ms", peer.url]);
  const connection = await peer.connection(30_000);
  const opened = Date.now();
  const frames = await connection.framesUntilClose(30_000); // reads, never answers anything
  const r = await running.result;
  const ms = Date.now() - opened;
  t.equal(r.code, 4);
  // Ping at 300 ms, no pong by 600 ms, Close sent, grace of 1 s: about 1.6 s (it was 35 s); the
  // upper bound leaves room for a loaded machine.
  t.ok(ms >= 1500 && ms < 8000, `gave up ${ms} ms after the connection opened`);
  const close = frames[frames.length - 1]!;
  t.equal(closeCodeOf(close), 1001);
  t.equal(close.payload.subarray(2).toString(), "keep-alive ping timed out");
  t.ok(
    frames.some((f) => f.opcode === 0x9),
    "a ping went out first",
  );
  t.match(r.stderr, /wschan: timeout: keep-alive: no pong within 300ms/);
  t.match(r.stderr, /sent Close 1001, no answer within 1s; gave up/);
});

t.test("--ping-timeout bounds the pong wait; -P and --print-ping-rtts show pings and pongs", async (t) => {
  const peer = await startWsPeer({}, (ws) => setTimeout(() => ws.close(1000), 1000));
  t.teardown(() => peer.close());
  const rtts = await runCli([
    "-n",
    "--ping",
    "100ms",
    "--ping-timeout",
    "10s",
    "--print-ping-rtts",
    peer.url,
  ]);
  t.equal(rtts.code, 0);
  const pongs = rtts.stderr.match(/^wschan: pong after [\d.]+ms$/gm) ?? [];
  t.ok(pongs.length >= 2, `${pongs.length} round-trip times printed`);
  t.notMatch(rtts.stderr, /wschan: ping/, "pings themselves only with -P");
  const shown = await runCli(["-n", "-P", "--ping", "100ms", "--ping-timeout", "10s", peer.url]);
  t.match(shown.stderr, /^wschan: ping\nwschan: pong after [\d.]+ms$/m);
  const json = await runCli(["-n", "--json", "-P", "--ping", "100ms", "--ping-timeout", "10s", peer.url]);
  const kinds = events(json.stdout).map((e) => e.event);
  t.ok(kinds.includes("ping") && kinds.includes("pong"), `JSON events: ${kinds.join(", ")}`);
  t.type(events(json.stdout).find((e) => e.event === "pong")?.rtt_ms, "number");
  t.equal((await runCli(["--ping-timeout", "1s", peer.url], "")).code, 2, "--ping-timeout needs --ping");
});

t.test(
  "--keepalive is the library's keep-alive: a peer that never answers fails with 1006, exit 4",
  async (t) => {
    const peer = await RawPeer.start();
    t.teardown(() => peer.close());
    const running = startCli(["-n", "--keepalive", "200ms", "--keepalive-timeout", "200ms", peer.url]);
    await peer.connection(30_000);
    const opened = Date.now();
    const r = await running.result;
    t.equal(r.code, 4);
    t.match(r.stderr, /wschan: timeout: keep-alive/);
    t.match(r.stderr, /closed with code 1006/);
    t.ok(Date.now() - opened < 8000, `dropped ${Date.now() - opened} ms after the connection opened`);
  },
);

t.test("--read-limit: a larger message fails the connection with 1009, exit 5", async (t) => {
  const peer = await sender(t, ["x".repeat(2000)]);
  const r = await runCli(["-n", "--read-limit", "1KiB", peer.url]);
  t.equal(r.code, 5);
  t.match(r.stderr, /closed with code 1009/);
});

t.test("--proxy tunnels through an HTTP CONNECT proxy", async (t) => {
  const peer = await startWsPeer({}, echo);
  const proxy = await startProxy({ credentials: "u:p" });
  t.teardown(async () => {
    await proxy.close();
    await peer.close();
  });
  const port = new URL(peer.url).port;
  const r = await runCli(["--proxy", `http://u:p@127.0.0.1:${proxy.port}`, peer.url], "via proxy\n");
  t.equal(r.code, 0);
  t.equal(r.stdout, "via proxy\n");
  t.equal(proxy.requests[0]?.authority, `127.0.0.1:${port}`);
  const refused = await runCli(["--proxy", `http://127.0.0.1:${proxy.port}`, peer.url], "");
  t.equal(refused.code, 3, "407 from the proxy: the connection could not be made");
});

t.test(
  "TLS flags: --ca, --servername, --cert/--key with WSCHAN_KEY_PASSPHRASE, --tls-min; unreadable files exit 2",
  { skip: haveOpenssl() ? false : "openssl is needed for test certificates" },
  async (t) => {
    const certs: TestCerts = makeCerts();
    const dir = mkdtempSync(join(tmpdir(), "wschan-cli-pem-"));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const file = (name: string, text: string): string => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const ca = file("ca.pem", certs.ca.cert);
    const server = await startWss(certs.nameOnly, {
      requestCert: true,
      rejectUnauthorized: true,
      ca: certs.clientCa.cert,
    });
    t.teardown(() => server.close());
    const url = `wss://127.0.0.1:${server.port}/`;
    const cert = file("client.pem", certs.client.cert);
    const key = file("client.key", certs.client.key);
    const env = childEnv({ WSCHAN_KEY_PASSPHRASE: certs.passphrase });

    const ok = await runCli(
      ["--ca", ca, "--servername", "ws.test", "--cert", cert, "--key", key, "--tls-min", "1.3", url],
      "over tls\n",
      env,
    );
    t.equal(ok.code, 0, ok.stderr);
    t.equal(ok.stdout, "over tls\n");
    t.match(server.sessions.at(-1), { servername: "ws.test", peer: "test-client" });

    const noName = await runCli(["--ca", ca, "--cert", cert, "--key", key, url], "", env);
    t.equal(noName.code, 3, "the certificate names ws.test, not 127.0.0.1");
    const untrusted = await runCli(["--servername", "ws.test", "--cert", cert, "--key", key, url], "", env);
    t.equal(untrusted.code, 3, "Node's roots do not know the test CA");
    const missing = await runCli(["--ca", join(dir, "nope.pem"), url], "");
    t.equal(missing.code, 2);
    t.match(missing.stderr, /^wschan: cannot read --ca .*nope\.pem/);
    t.equal((await runCli(["--cert", cert, url], "")).code, 2, "--cert without --key");
  },
);

t.test("--unix-socket, --no-proxy, --http2 and --happy-eyeballs-delay reach the library", async (t) => {
  const { createServer } = await import("node:http");
  const { WebSocketServer } = await import("ws");
  const dir = mkdtempSync(join(tmpdir(), "wschan-cli-unix-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "ws.sock");
  const http = createServer();
  const wss = new WebSocketServer({ server: http });
  wss.on("connection", (ws) => ws.send("over the unix socket"));
  await new Promise<void>((resolve) => http.listen(path, resolve));
  t.teardown(() => new Promise<void>((resolve) => http.close(() => resolve())));
  t.teardown(() => wss.close());
  const viaSocket = await runCli(["-n", "-1", "--unix-socket", path, "ws://unix.test/"]);
  t.equal(viaSocket.code, 0, viaSocket.stderr);
  t.equal(viaSocket.stdout, "over the unix socket\n");
  const viaUrl = await runCli(["-n", "-1", `ws+unix:${path}:/`]);
  t.equal(viaUrl.code, 0, viaUrl.stderr);
  t.equal(viaUrl.stdout, "over the unix socket\n");
  const refused = await runCli(["-n", "--no-private-networks", "--unix-socket", path, "ws://unix.test/"]);
  t.equal(refused.code, 6, "the policy refuses a unix socket under --no-private-networks (exit 6)");

  // An environment proxy that does not exist: --no-proxy goes direct all the same.
  const peer = await startWsPeer({}, echo);
  t.teardown(() => peer.close());
  const direct = await runCli(
    [
      "-w",
      "forever",
      "-x",
      "hi",
      "-1",
      "--no-proxy",
      "--http2",
      "off",
      "--happy-eyeballs-delay",
      "50ms",
      peer.url,
    ],
    "",
    childEnv({ ALL_PROXY: "http://127.0.0.1:1" }),
  );
  t.equal(direct.code, 0, direct.stderr);
  t.equal(direct.stdout, "hi\n");
  const bad = await runCli(["--http2", "maybe", peer.url]);
  t.equal(bad.code, 2, "a bad --http2 is a usage error");
});
