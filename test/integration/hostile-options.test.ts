import { mkdtempSync, rmSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { connectWith } from "../../src/client/connect.js";
import type { DialIO } from "../../src/client/dial.js";
import * as websocket from "../../src/index.js";
import { haveOpenssl, makeCerts } from "../helpers/certs.js";
import { RawPeer, serverFrame } from "../helpers/raw-peer.js";
import { startWss } from "../helpers/wss-server.js";

/**
 * Options and URLs as an attacker would use them: a polluted Object.prototype, objects changed
 * after connect() was called, credentials in the URL. Real sockets on 127.0.0.1 throughout.
 */

t.setTimeout(60_000);

// DNS through a test's own resolver, and no proxy from this machine's environment.
let io: DialIO = { env: {} };
function setDialHooks(hooks: Pick<DialIO, "lookup"> | undefined): void {
  io = { env: {}, ...hooks };
}
const connect = (url: string | URL, options?: websocket.ConnectOptions): Promise<websocket.Client> =>
  connectWith(url, options, io);
const dial_timeout = "5s";

/** Runs `fn` with `fields` set on Object.prototype, always removing them afterwards. */
async function polluted<T>(fields: Record<string, unknown>, fn: () => Promise<T>): Promise<T> {
  const proto = Object.prototype as Record<string, unknown>;
  for (const [key, value] of Object.entries(fields)) {
    Object.defineProperty(proto, key, { value, configurable: true, writable: true, enumerable: false });
  }
  try {
    return await fn();
  } finally {
    for (const key of Object.keys(fields)) delete proto[key];
  }
}

/** The error `promise` rejects with; throws when it resolves. */
async function rejection(promise: Promise<websocket.Client>): Promise<websocket.WebSocketError> {
  let client: websocket.Client;
  try {
    client = await promise;
  } catch (error) {
    if (error instanceof websocket.WebSocketError) return error;
    throw error;
  }
  await client.close().catch(() => {});
  throw new Error(`connected to ${client.url}, which must be refused`);
}

/** A TCP listener that only counts the connections it gets and drops them. */
async function listener(
  where: number | string,
): Promise<{ port: number; count(): number; close(): Promise<void> }> {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) =>
    typeof where === "string" ? server.listen(where, resolve) : server.listen(where, "127.0.0.1", resolve),
  );
  const address = server.address();
  return {
    port: typeof address === "object" && address !== null ? address.port : 0,
    count: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

if (!haveOpenssl()) {
  t.test(
    "TLS with a polluted Object.prototype",
    { skip: "openssl is needed for the certificates" },
    async () => {},
  );
} else {
  const certs = makeCerts();
  t.test("TLS: a polluted Object.prototype never turns certificate checks off", async (t) => {
    const lookups: string[] = [];
    setDialHooks({
      lookup: async (hostname: string) => {
        lookups.push(hostname);
        if (hostname.replace(/\.$/, "").endsWith(".test")) return [{ address: "127.0.0.1", family: 4 }];
        throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
      },
    });
    t.teardown(() => setDialHooks(undefined));

    const selfSigned = await startWss(certs.otherCa);
    t.teardown(() => selfSigned.close());
    await polluted({ rejectUnauthorized: false }, async () => {
      for (const [what, options] of [
        ["with tls: { ca }", { tls: { ca: certs.ca.cert } }],
        ["with tls: {}", { tls: {} }],
        ["without tls", {}],
      ] as const) {
        const error = await rejection(
          connect(`wss://127.0.0.1:${selfSigned.port}/`, { ...options, dial_timeout }),
        );
        t.equal(error.kind, "INTERNAL", `a self-signed server is refused ${what}`);
        t.match(error.message, /TLS handshake/);
      }
    });

    const untrusted = await startWss(certs.untrusted);
    t.teardown(() => untrusted.close());
    await polluted({ ca: certs.otherCa.cert }, async () => {
      for (const options of [{}, { tls: {} }]) {
        const error = await rejection(
          connect(`wss://ws.test:${untrusted.port}/`, { ...options, dial_timeout }),
        );
        t.equal(error.kind, "INTERNAL", "a polluted ca is not trusted");
        t.match(error.message, /not trusted|unknown CA|self-signed/);
      }
    });

    const nameOnly = await startWss(certs.nameOnly);
    t.teardown(() => nameOnly.close());
    await polluted({ servername: "ws.test", checkServerIdentity: () => undefined }, async () => {
      const error = await rejection(
        connect(`wss://127.0.0.1:${nameOnly.port}/`, { tls: { ca: certs.ca.cert }, dial_timeout }),
      );
      t.equal(
        error.kind,
        "INTERNAL",
        "a certificate for ws.test is refused for 127.0.0.1 whatever servername is polluted",
      );
      t.match(error.message, /does not match the host name/);
    });
  });

  t.test("SNI carries the host name without its trailing dot", async (t) => {
    setDialHooks({
      lookup: async (hostname: string) => {
        if (hostname === "ws.test.") return [{ address: "127.0.0.1", family: 4 }];
        throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
      },
    });
    t.teardown(() => setDialHooks(undefined));
    const peer = await startWss(certs.server);
    t.teardown(() => peer.close());
    const client = await connect(`wss://WS.TEST.:${peer.port}/`, {
      tls: { ca: certs.ca.cert },
      dial_timeout,
    });
    await client.close();
    t.equal(peer.sessions.length, 1);
    t.equal(peer.sessions[0]?.servername, "ws.test", "RFC 6066 §3: no trailing dot");
  });
}

t.test("a polluted proxy or path does not reroute a ws: dial", async (t) => {
  const peer = await RawPeer.start();
  t.teardown(() => peer.close());
  const proxy = await listener(0);
  t.teardown(() => proxy.close());
  const dir = mkdtempSync(join(tmpdir(), "wschan-pollution-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const unix = await listener(join(dir, "sock"));
  t.teardown(() => unix.close());
  const proxyUrl = `http://127.0.0.1:${proxy.port}`;
  await polluted({ proxy: proxyUrl, path: join(dir, "sock") }, async () => {
    const client = await connect(peer.url, { dial_timeout });
    const conn = await peer.connection();
    t.equal(conn.request.requestLine, "GET / HTTP/1.1", "the real server got the handshake");
    const closing = client.close();
    await conn.answerClose();
    await closing;
  });
  t.equal(proxy.count(), 0, "the fake proxy saw no connection");
  t.equal(unix.count(), 0, "the Unix socket saw no connection");
});

t.test(
  "polluted headers, protocols, compression, limits and policy fields change nothing on the wire",
  async (t) => {
    const peer = await RawPeer.start();
    t.teardown(() => peer.close());
    const pollution = {
      headers: { "X-Injected": "1" },
      "X-Injected": "1",
      extensions: "permessage-deflate\r\nX-Injected: 1",
      protocols: ["evil"],
      compression: 1,
      read_limit: 1,
      channel_capacity: 1,
      read_timeout: 1,
      // A polluted policy "connect" is tested in test/policy: Node's own event emitter breaks on it.
      private_networks: false,
      urls: { allow: [], deny: ["ws://*:*"] },
      allow: [],
      deny: ["ws://*:*"],
    };
    await polluted(pollution, async () => {
      for (const options of [{ dial_timeout }, { dial_timeout, headers: {}, protocols: [], policy: {} }]) {
        const client = await connect(peer.url, options);
        const conn = await peer.connection();
        const names = conn.request.rawHeaders.map(([name]) => name.toLowerCase());
        t.notOk(names.includes("x-injected"), "no injected header");
        t.notOk(names.includes("sec-websocket-protocol"), "no subprotocol offered");
        t.notOk(names.includes("sec-websocket-extensions"), "no compression offered");
        const text = "x".repeat(100);
        await conn.write(serverFrame(0x1, text));
        await conn.write(serverFrame(0x1, text));
        // Past a polluted read_timeout of 1 ms, the connection is still open.
        await new Promise((resolve) => setTimeout(resolve, 50));
        const [first] = await client.channel().receive();
        t.equal(first?.data, text, "a 100-byte message passes the default read_limit");
        const [second] = await client.channel().receive();
        t.equal(second?.data, text);
        const closing = client.close();
        await conn.answerClose();
        t.equal(await closing, true, "closed cleanly");
      }
    });
  },
);

t.test("headers and protocols changed after connect() is called change nothing on the wire", async (t) => {
  const peer = await RawPeer.start();
  t.teardown(() => peer.close());
  const headers: Record<string, string> = { "X-Trace": "a" };
  const protocols = ["chat"];
  const pending = connect(peer.url, { headers, protocols, dial_timeout });
  headers["X-Injected"] = "1";
  headers.Cookie = "session=stolen";
  headers.Host = "evil.example";
  headers["X-Trace"] = "changed";
  protocols[0] = "evil";
  protocols.push("more");
  const client = await pending;
  const conn = await peer.connection();
  const raw = conn.request.rawHeaders;
  const names = raw.map(([name]) => name.toLowerCase());
  t.same(
    raw.filter(([name]) => name === "X-Trace"),
    [["X-Trace", "a"]],
    "the header as it was at the call",
  );
  t.notOk(names.includes("x-injected"));
  t.notOk(names.includes("cookie"));
  t.equal(names.filter((name) => name === "host").length, 1, "one Host");
  t.equal(conn.request.headers.host, `127.0.0.1:${new URL(peer.url).port}`);
  t.equal(conn.request.headers["sec-websocket-protocol"], "chat");
  const closing = client.close();
  await conn.answerClose();
  await closing;
});

t.test("credentials in the URL go out as Authorization and are shown nowhere", async (t) => {
  const peer = await RawPeer.start();
  t.teardown(() => peer.close());
  const port = new URL(peer.url).port;
  const client = await connect(`ws://alice:s3cret@127.0.0.1:${port}/chat?room=1`, { dial_timeout });
  const conn = await peer.connection();
  t.equal(conn.request.headers.authorization, `Basic ${Buffer.from("alice:s3cret").toString("base64")}`);
  t.equal(client.url, `ws://127.0.0.1:${port}/chat?room=1`, "client.url has no user:pass@");
  const closing = client.close();
  await conn.answerClose();
  await closing;

  const closed = await listener(0);
  const closedPort = closed.port;
  await closed.close();
  const error = await rejection(
    connect(`ws://alice:s3cret@127.0.0.1:${closedPort}/`, { dial_timeout: "2s" }),
  );
  t.notMatch(error.message, /s3cret|alice/, "the error does not show them");
});
