import * as https from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { WebSocketServer } from "ws";
import type { LookupFunction } from "../../src/client/dial.js";
import type { Pair } from "./certs.js";

/** `ws`'s server behind `https` on 127.0.0.1, echoing every message. */
export interface WssPeer {
  readonly port: number;
  /** What each TLS connection negotiated, in order. */
  readonly sessions: { alpn: string | false | null; servername: string | false | undefined; peer: string }[];
  close(): Promise<void>;
}

export async function startWss(pair: Pair, options: https.ServerOptions = {}): Promise<WssPeer> {
  const server = https.createServer({
    cert: pair.cert,
    key: pair.key,
    ALPNProtocols: ["http/1.1"],
    ...options,
  });
  const sessions: WssPeer["sessions"] = [];
  server.on("secureConnection", (socket: TLSSocket) => {
    const peer = socket.getPeerCertificate();
    sessions.push({
      alpn: socket.alpnProtocol,
      servername: (socket as TLSSocket & { servername?: string | false }).servername,
      peer: String(peer?.subject?.CN ?? ""),
    });
  });
  server.on("tlsClientError", () => {});
  const wss = new WebSocketServer({ server });
  wss.on("connection", (ws) => ws.on("message", (data, binary) => ws.send(data, { binary })));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    sessions,
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A lookup stub: every name ending in ".test" is 127.0.0.1, every other name does not exist. */
export const testLookup: LookupFunction = async (hostname) => {
  if (hostname.endsWith(".test")) return [{ address: "127.0.0.1", family: 4 }];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
};
