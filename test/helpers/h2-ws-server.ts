import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import * as wsModule from "ws";
import { WebSocket } from "ws";
import { socketQueue } from "./ws-server.js";

/** Parts of `ws` that its ESM entry exports but its type declarations leave out. */
interface WsExtras {
  readonly extension: {
    parse(header: string): Record<string, object[] | undefined>;
    format(extensions: Record<string, object[]>): string;
  };
  readonly PerMessageDeflate: {
    readonly extensionName: string;
    new (options: object): { accept(offers: object[]): object; readonly params: object };
  };
}
const { extension, PerMessageDeflate } = wsModule as unknown as WsExtras;

/**
 * Node's own HTTP/2 server as a second, independent RFC 8441 peer: Node's http2 answers the
 * extended CONNECT, and `ws`'s WebSocket (server side, over the stream as a plain Duplex) speaks
 * RFC 6455 and 7692 on it. With `enableConnectProtocol: false` the server does not advertise
 * SETTINGS_ENABLE_CONNECT_PROTOCOL, which is how a server says "no WebSockets over HTTP/2".
 */

export interface H2PeerOptions {
  /** Advertise SETTINGS_ENABLE_CONNECT_PROTOCOL. Default true. */
  readonly enableConnectProtocol?: boolean;
  /** TLS (ALPN h2, and http/1.1 when allowHTTP1): certificate and key. Omitted: cleartext h2. */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** Accept HTTP/1.1 on the TLS port too (ALPN http/1.1). */
  readonly allowHTTP1?: boolean;
  /** The server's SETTINGS_MAX_CONCURRENT_STREAMS. */
  readonly maxConcurrentStreams?: number;
  /** Answer every extended CONNECT with this status instead of 200. */
  readonly status?: number;
  /** Reset every extended CONNECT with this RST_STREAM code instead of answering. */
  readonly reset?: number;
  /** Accept permessage-deflate offers. Default true. */
  readonly perMessageDeflate?: boolean;
}

export interface H2Peer {
  readonly server: http2.Http2Server | http2.Http2SecureServer;
  readonly port: number;
  /** Extended CONNECT requests received, their headers as Node gave them. */
  readonly requests: http2.IncomingHttpHeaders[];
  /** Sessions (TCP connections) accepted so far. */
  sessions(): number;
  /** The next server-side WebSocket. */
  connection(): Promise<WebSocket>;
  /** Sends GOAWAY on every session (code 0 unless given) without closing open streams. */
  goaway(code?: number, lastStreamId?: number): void;
  close(): Promise<void>;
}

export async function startH2Peer(
  options: H2PeerOptions = {},
  onConnection?: (ws: WebSocket) => void,
): Promise<H2Peer> {
  const settings: http2.Settings = {
    enableConnectProtocol: options.enableConnectProtocol ?? true,
    ...(options.maxConcurrentStreams === undefined
      ? {}
      : { maxConcurrentStreams: options.maxConcurrentStreams }),
  };
  const server =
    options.tls === undefined
      ? http2.createServer({ settings })
      : http2.createSecureServer({
          settings,
          cert: options.tls.cert,
          key: options.tls.key,
          allowHTTP1: options.allowHTTP1 ?? false,
        });
  const requests: http2.IncomingHttpHeaders[] = [];
  const sockets = socketQueue();
  const sessions = new Set<http2.ServerHttp2Session>();
  let sessionCount = 0;
  server.on("session", (session) => {
    sessionCount++;
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
    session.on("error", () => {});
  });
  server.on("stream", (stream, headers) => {
    stream.on("error", () => {});
    if (headers[":method"] !== "CONNECT" || headers[":protocol"] !== "websocket") {
      stream.respond({ ":status": 404 }, { endStream: true });
      return;
    }
    requests.push(headers);
    if (options.reset !== undefined) {
      stream.close(options.reset);
      return;
    }
    if (options.status !== undefined) {
      stream.respond({ ":status": options.status }, { endStream: true });
      return;
    }
    const reply: http2.OutgoingHttpHeaders = { ":status": 200 };
    const protocols = String(headers["sec-websocket-protocol"] ?? "")
      .split(",")
      .map((p) => p.trim())
      .filter((p) => p !== "");
    if (protocols.length > 0) reply["sec-websocket-protocol"] = protocols[0];
    const ws = new WebSocket(null as unknown as string, undefined, { autoPong: true });
    const offer = headers["sec-websocket-extensions"];
    if ((options.perMessageDeflate ?? true) && typeof offer === "string") {
      const deflate = new PerMessageDeflate({ isServer: true, maxPayload: 0 });
      const offers = extension.parse(offer);
      if (offers[PerMessageDeflate.extensionName] !== undefined) {
        deflate.accept(offers[PerMessageDeflate.extensionName]!);
        reply["sec-websocket-extensions"] = extension.format({
          [PerMessageDeflate.extensionName]: [deflate.params],
        });
        (ws as unknown as { _extensions: object })._extensions = {
          [PerMessageDeflate.extensionName]: deflate,
        };
      }
    }
    if (protocols.length > 0) (ws as unknown as { _protocol: string })._protocol = protocols[0]!;
    stream.respond(reply);
    (ws as unknown as { setSocket(s: unknown, head: Buffer, o: object): void }).setSocket(
      stream,
      Buffer.alloc(0),
      { maxPayload: 0 },
    );
    onConnection?.(ws);
    sockets.offer(ws);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    requests,
    sessions: () => sessionCount,
    connection: sockets.next,
    goaway(code = 0, lastStreamId?: number) {
      for (const session of sessions) session.goaway(code, lastStreamId);
    },
    async close() {
      for (const session of sessions) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
