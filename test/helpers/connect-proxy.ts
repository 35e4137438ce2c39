import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as net from "node:net";

/** What the proxy was asked. */
export interface ConnectRecord {
  /** The CONNECT target, e.g. "127.0.0.1:8080". */
  readonly authority: string;
  readonly headers: http.IncomingHttpHeaders;
}

export interface ProxyBehaviour {
  /** When set, a CONNECT without `Proxy-Authorization: Basic base64(credentials)` gets 407. */
  readonly credentials?: string;
  /** Where a CONNECT target host really is: names and addresses the test uses map to 127.0.0.1. Default: the host itself. */
  readonly route?: (host: string) => string;
  /** Answer every CONNECT with this status instead of tunnelling. */
  readonly status?: number;
  /** Never answer a CONNECT (for cancellation tests). */
  readonly silent?: boolean;
}

/** A small HTTP CONNECT proxy on 127.0.0.1, written for the tests with `http` and `net`. */
export interface TestProxy {
  readonly url: string;
  readonly port: number;
  readonly requests: ConnectRecord[];
  close(): Promise<void>;
}

export async function startProxy(behaviour: ProxyBehaviour = {}): Promise<TestProxy> {
  const requests: ConnectRecord[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((_req, res) => {
    res.writeHead(405).end();
  });
  server.on("connect", (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => {});
    const authority = req.url ?? "";
    requests.push({ authority, headers: req.headers });
    if (behaviour.silent) return;
    if (behaviour.credentials !== undefined) {
      const expected = `Basic ${Buffer.from(behaviour.credentials).toString("base64")}`;
      if (req.headers["proxy-authorization"] !== expected) {
        client.end(
          'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n',
        );
        return;
      }
    }
    if (behaviour.status !== undefined) {
      client.end(
        `HTTP/1.1 ${behaviour.status} ${http.STATUS_CODES[behaviour.status]}\r\nContent-Length: 0\r\n\r\n`,
      );
      return;
    }
    const colon = authority.lastIndexOf(":");
    const host = authority.slice(0, colon).replace(/^\[|\]$/g, "");
    const port = Number(authority.slice(colon + 1));
    const upstream = net.connect({ host: behaviour.route ? behaviour.route(host) : host, port });
    sockets.add(upstream);
    upstream.on("close", () => {
      sockets.delete(upstream);
      // pipe() stops reading the client when upstream closes; read on so that its end is seen.
      client.resume();
      client.end();
    });
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("connect", () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      client.pipe(upstream);
      upstream.pipe(client);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    async close() {
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
