import t from "tap";
import { connectWith } from "../../src/client/connect.js";
import type { DialIO } from "../../src/client/dial.js";
import type * as websocket from "../../src/index.js";
import { haveOpenssl, makeCerts, type TestCerts } from "../helpers/certs.js";
import { startWss, testLookup } from "../helpers/wss-server.js";

t.setTimeout(30_000);

/**
 * The dial's outside world for these tests (DNS, TCP), passed to every connect; an empty
 * environment, so that a machine's own proxy variables cannot reroute the tests.
 */
let io: DialIO = { env: {} };
function useDialIO(value: DialIO | undefined): void {
  io = { env: {}, ...value };
}
const dialWith = (url: string | URL, options?: websocket.ConnectOptions): Promise<websocket.Client> =>
  connectWith(url, options, io);

if (!haveOpenssl()) {
  t.test(
    "TLS against a local server",
    { skip: "openssl is needed to generate the test certificates" },
    async () => {},
  );
} else {
  run(makeCerts());
}

function run(certs: TestCerts): void {
  useDialIO({ lookup: testLookup });
  t.teardown(() => useDialIO(undefined));
  const dial_timeout = "5s";

  async function echoOnce(client: websocket.Client): Promise<void> {
    await client.send("over TLS");
    const [message] = await client.channel().receive();
    if (message?.data !== "over TLS") throw new Error("no echo");
  }

  t.test(
    "a certificate from a trusted CA is accepted, by host name and by IP address, with ALPN http/1.1",
    async (t) => {
      const peer = await startWss(certs.server);
      t.teardown(() => peer.close());
      const client = await dialWith(`wss://ws.test:${peer.port}/`, {
        tls: { ca: certs.ca.cert },
        dial_timeout,
      });
      await echoOnce(client);
      await client.close();
      t.same(
        await client.closed,
        { code: 1000, reason: "", clean: true },
        "the closing handshake completes over TLS",
      );
      const byIp = await dialWith(`wss://127.0.0.1:${peer.port}/`, {
        tls: { ca: [certs.ca.cert] },
        dial_timeout,
      });
      await echoOnce(byIp);
      await byIp.close();
      t.same(
        peer.sessions,
        [
          { alpn: "http/1.1", servername: "ws.test", peer: "" },
          { alpn: "http/1.1", servername: false, peer: "" },
        ],
        "SNI carries the host name (never an IP address) and ALPN offers http/1.1",
      );
    },
  );

  t.test("an unknown CA is refused, saying so, and is retryable as API.md has it", async (t) => {
    const peer = await startWss(certs.untrusted);
    t.teardown(() => peer.close());
    const error = await dialWith(`wss://ws.test:${peer.port}/`, {
      tls: { ca: certs.ca.cert },
      dial_timeout,
    }).catch((e: unknown) => e);
    t.match(error, {
      name: "WebSocketError",
      kind: "INTERNAL",
      retryable: true,
      message: /TLS handshake with ws\.test:\d+ failed: .*unknown CA.*\(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/,
    });
    t.ok((error as Error).cause, "the TLS error is the cause");
    const byDefault = await dialWith(`wss://ws.test:${peer.port}/`, { dial_timeout }).catch(
      (e: unknown) => e,
    );
    t.match(
      byDefault,
      { name: "WebSocketError", kind: "INTERNAL", message: /unknown CA/ },
      "verification is on without any tls option",
    );
  });

  t.test("a certificate for another host name is refused, naming the name", async (t) => {
    const peer = await startWss(certs.server);
    t.teardown(() => peer.close());
    await t.rejects(
      dialWith(`wss://other.test:${peer.port}/`, { tls: { ca: certs.ca.cert }, dial_timeout }),
      {
        kind: "INTERNAL",
        retryable: true,
        message: /does not match the host name "other\.test".*\(ERR_TLS_CERT_ALTNAME_INVALID\)/,
      },
    );
    const nameOnly = await startWss(certs.nameOnly);
    t.teardown(() => nameOnly.close());
    await t.rejects(
      dialWith(`wss://127.0.0.1:${nameOnly.port}/`, { tls: { ca: certs.ca.cert }, dial_timeout }),
      { name: "WebSocketError", kind: "INTERNAL", message: /does not match the host name "127\.0\.0\.1"/ },
      "an IP address is checked against the certificate's IP names",
    );
    const client = await dialWith(`wss://127.0.0.1:${nameOnly.port}/`, {
      tls: { ca: certs.ca.cert, servername: "ws.test" },
      dial_timeout,
    });
    await echoOnce(client);
    await client.close();
    t.pass("tls.servername names the host to check when dialling an address");
  });

  t.test("an expired certificate is refused, saying it has expired", async (t) => {
    const peer = await startWss(certs.expired);
    t.teardown(() => peer.close());
    await t.rejects(dialWith(`wss://ws.test:${peer.port}/`, { tls: { ca: certs.ca.cert }, dial_timeout }), {
      kind: "INTERNAL",
      retryable: true,
      message: /the server's certificate has expired \(CERT_HAS_EXPIRED\)/,
    });
  });

  t.test("rejectUnauthorized: false turns verification off", async (t) => {
    const peer = await startWss(certs.expired);
    t.teardown(() => peer.close());
    const client = await dialWith(`wss://ws.test:${peer.port}/`, {
      tls: { rejectUnauthorized: false },
      dial_timeout,
    });
    await echoOnce(client);
    await client.close();
  });

  t.test("client certificates work, with an encrypted key and its passphrase", async (t) => {
    const peer = await startWss(certs.server, {
      requestCert: true,
      rejectUnauthorized: true,
      ca: certs.clientCa.cert,
    });
    t.teardown(() => peer.close());
    const client = await dialWith(`wss://ws.test:${peer.port}/`, {
      tls: {
        ca: certs.ca.cert,
        cert: certs.client.cert,
        key: certs.client.key,
        passphrase: certs.passphrase,
      },
      dial_timeout,
    });
    await echoOnce(client);
    await client.close();
    t.equal(peer.sessions[0]?.peer, "test-client", "the server saw the client certificate");
    await t.rejects(
      dialWith(`wss://ws.test:${peer.port}/`, { tls: { ca: certs.ca.cert }, dial_timeout }),
      { name: "WebSocketError", kind: "INTERNAL", message: /the server requires a client certificate/ },
      "without one the server refuses",
    );
    await t.rejects(
      dialWith(`wss://ws.test:${peer.port}/`, {
        tls: { ca: certs.ca.cert, cert: certs.client.cert, key: certs.client.key, passphrase: "wrong" },
        dial_timeout,
      }),
      { name: "WebSocketError", kind: "INVALID", message: /option tls: .*bad decrypt/ },
      "a wrong passphrase is INVALID",
    );
  });

  t.test("minVersion is honoured", async (t) => {
    const peer = await startWss(certs.server, { maxVersion: "TLSv1.2" });
    t.teardown(() => peer.close());
    await t.rejects(
      dialWith(`wss://ws.test:${peer.port}/`, {
        tls: { ca: certs.ca.cert, minVersion: "TLSv1.3" },
        dial_timeout,
      }),
      {
        kind: "INTERNAL",
        retryable: true,
        message: /TLS handshake with ws\.test:\d+ failed: no TLS version acceptable to both sides/,
      },
    );
    const client = await dialWith(`wss://ws.test:${peer.port}/`, {
      tls: { ca: certs.ca.cert },
      dial_timeout,
    });
    await client.close();
  });

  t.test("mistyped tls options are INVALID before any socket", async (t) => {
    const bad: object[] = [
      { ca: 42 },
      { cert: [certs.client.cert, 1] },
      { key: {} },
      { passphrase: 1 },
      { servername: true },
      { rejectUnauthorized: "false" },
      { minVersion: "SSLv3" },
      { ciphers: "ALL" },
    ];
    for (const tls of bad) {
      await t.rejects(
        dialWith("wss://ws.test/", { tls } as never),
        { name: "WebSocketError", kind: "INVALID" },
        JSON.stringify(tls),
      );
    }
  });
}
