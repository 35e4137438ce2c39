import * as net from "node:net";
import * as tls from "node:tls";
import t from "tap";
import { connectWith } from "../../src/client/connect.js";
import type * as websocket from "../../src/index.js";
import { haveOpenssl, makeCerts } from "../helpers/certs.js";
import { type Daemon, freePort, squidBinary, startSquid } from "../helpers/daemons.js";
import { echo, startWsPeer } from "../helpers/ws-server.js";
import { startWss } from "../helpers/wss-server.js";

/**
 * Through a real squid: HTTP CONNECT with and without Basic authentication (a 407 without it),
 * ws: and wss: through the tunnel, and an https:// proxy (TLS to the proxy, terminated by a
 * small TLS front of ours that hands the bytes to squid) with TLS to the target inside.
 */

t.setTimeout(60_000);
const dial_timeout = "10s";
// No environment proxy may interfere: every connect names its proxy or none.
const io = { env: {} };

async function roundTrip(client: websocket.Client, text: string): Promise<string | undefined> {
  await client.send(text);
  const [message] = await client.channel().receive();
  return message?.data as string | undefined;
}

/** A TLS server on 127.0.0.1 that forwards every decrypted connection to `port` (an HTTPS proxy in front of squid). */
async function tlsFront(
  pair: { cert: string; key: string },
  port: number,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ cert: pair.cert, key: pair.key }, (secure) => {
    const plain = net.connect({ host: "127.0.0.1", port });
    for (const s of [secure, plain]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {
        secure.destroy();
        plain.destroy();
      });
    }
    secure.pipe(plain).pipe(secure);
  });
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

if (squidBinary === undefined) {
  t.test("squid", { skip: "squid is not installed (.ci/run installs it)" }, async () => {});
} else {
  const started = Date.now();
  let open: Daemon | undefined;
  let authed: Daemon | undefined;
  t.before(async () => {
    [open, authed] = await Promise.all([startSquid(), startSquid({ credentials: "alice:s3cret" })]);
    t.comment(`two squids started in ${Date.now() - started} ms`);
  });
  t.teardown(async () => {
    await Promise.all([open?.stop(), authed?.stop()]);
  });

  t.test("ws: through squid", async (t) => {
    const peer = await startWsPeer({}, echo);
    t.teardown(() => peer.close());
    const client = await connectWith(peer.url, { proxy: `http://127.0.0.1:${open!.port}`, dial_timeout }, io);
    t.equal(await roundTrip(client, "through squid"), "through squid");
    await client.close();
    t.same(await client.closed, { code: 1000, reason: "", clean: true });
  });

  t.test(
    "squid with Basic authentication: 407 without credentials, PROXY_REFUSED with the response",
    async (t) => {
      const peer = await startWsPeer({}, echo);
      t.teardown(() => peer.close());
      const error = await connectWith(
        peer.url,
        { proxy: `http://127.0.0.1:${authed!.port}`, dial_timeout },
        io,
      ).catch((e: unknown) => e);
      t.match(error, {
        name: "WebSocketError",
        id: "PROXY_REFUSED",
        kind: "INTERNAL",
        status: 407,
        retryable: false,
      });
      const response = (error as websocket.WebSocketError).response;
      t.equal(response?.status, 407);
      t.match(
        response?.headers["proxy-authenticate"]?.[0],
        /^Basic realm="wschan-test"/,
        "squid's challenge is exposed",
      );
      t.ok((response?.body.length ?? 0) > 0, "squid's error page is the body");
      const wrong = await connectWith(
        peer.url,
        { proxy: `http://alice:wrong@127.0.0.1:${authed!.port}`, dial_timeout },
        io,
      ).catch((e: unknown) => e);
      t.match(wrong, { id: "PROXY_REFUSED", status: 407 });
      t.notMatch((wrong as Error).message, /alice|wrong/, "no credentials in the message");
      const client = await connectWith(
        peer.url,
        { proxy: `http://alice:s3cret@127.0.0.1:${authed!.port}`, dial_timeout },
        io,
      );
      t.equal(await roundTrip(client, "authorised"), "authorised");
      await client.close();
    },
  );

  if (haveOpenssl()) {
    const certs = makeCerts();

    t.test("wss: through squid: TLS to the target inside the tunnel, its certificate checked", async (t) => {
      const peer = await startWss(certs.server);
      t.teardown(() => peer.close());
      const client = await connectWith(
        `wss://127.0.0.1:${peer.port}/`,
        { proxy: `http://alice:s3cret@127.0.0.1:${authed!.port}`, tls: { ca: certs.ca.cert }, dial_timeout },
        io,
      );
      t.equal(await roundTrip(client, "wss via squid"), "wss via squid");
      await client.close();
      await t.rejects(
        connectWith(
          `wss://127.0.0.1:${peer.port}/`,
          { proxy: `http://127.0.0.1:${open!.port}`, dial_timeout },
          io,
        ),
        { id: "TLS_FAILED", message: /unknown CA/ },
        "the target's certificate is still verified",
      );
    });

    t.test("https:// proxy: TLS to the proxy with proxy_tls, then ws: and wss: through it", async (t) => {
      const front = await tlsFront(certs.server, authed!.port);
      t.teardown(() => front.close());
      const peer = await startWsPeer({}, echo);
      t.teardown(() => peer.close());
      const wss = await startWss(certs.server);
      t.teardown(() => wss.close());
      const proxy = `https://alice:s3cret@127.0.0.1:${front.port}`;
      const plain = await connectWith(
        peer.url,
        { proxy, proxy_tls: { ca: certs.ca.cert }, dial_timeout },
        io,
      );
      t.equal(await roundTrip(plain, "ws via https proxy"), "ws via https proxy");
      await plain.close();
      const secure = await connectWith(
        `wss://127.0.0.1:${wss.port}/`,
        { proxy, proxy_tls: { ca: certs.ca.cert }, tls: { ca: certs.ca.cert }, dial_timeout },
        io,
      );
      t.equal(await roundTrip(secure, "wss via https proxy"), "wss via https proxy");
      await secure.close();
      await t.rejects(
        connectWith(peer.url, { proxy, tls: { ca: certs.ca.cert }, dial_timeout }, io),
        { id: "TLS_FAILED", message: /TLS handshake with the proxy 127\.0\.0\.1:\d+ failed: .*unknown CA/ },
        "the proxy's certificate is checked with proxy_tls, not tls",
      );
    });
  }

  t.test(
    "the policy applies to the proxy's address: a loopback squid under private_networks: false",
    async (t) => {
      const error = await connectWith(
        "ws://93.184.216.34:80/",
        { proxy: `http://127.0.0.1:${open!.port}`, policy: { private_networks: false }, dial_timeout },
        io,
      ).catch((e: unknown) => e);
      t.match(error, { kind: "PERMISSION_DENIED", message: /127\.0\.0\.1 is not public/ });
    },
  );

  t.test("squid answering 503 for an unreachable target: PROXY_REFUSED, retryable", async (t) => {
    const port = await freePort();
    await t.rejects(
      connectWith(`ws://127.0.0.1:${port}/`, { proxy: `http://127.0.0.1:${open!.port}`, dial_timeout }, io),
      {
        name: "WebSocketError",
        id: "PROXY_REFUSED",
        retryable: true,
        status: 503,
      },
      "the tunnel to a closed port is refused by squid",
    );
  });
}
