import type { AddressInfo } from "node:net";
import { type ServerOptions, type WebSocket, WebSocketServer } from "ws";

/** `ws`'s server on 127.0.0.1, an independent peer for integration tests. */
export interface WsPeer {
  readonly server: WebSocketServer;
  readonly url: string;
  /** The next server-side socket. */
  connection(): Promise<WebSocket>;
  close(): Promise<void>;
}

/**
 * Server-side sockets in the order they connected, for a peer's `connection()`: each goes to the
 * oldest waiting caller, or waits for the next one.
 */
export function socketQueue(): { offer(ws: WebSocket): void; next(): Promise<WebSocket> } {
  const queue: WebSocket[] = [];
  const waiters: ((ws: WebSocket) => void)[] = [];
  return {
    offer(ws) {
      const waiter = waiters.shift();
      if (waiter) waiter(ws);
      else {
        queue.push(ws);
        // A socket nobody asked for must not stay referenced after it closes.
        ws.once("close", () => {
          const index = queue.indexOf(ws);
          if (index >= 0) queue.splice(index, 1);
        });
      }
    },
    next() {
      const ready = queue.shift();
      return ready ? Promise.resolve(ready) : new Promise((resolve) => waiters.push(resolve));
    },
  };
}

export async function startWsPeer(
  options: ServerOptions = {},
  onConnection?: (ws: WebSocket) => void,
): Promise<WsPeer> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0, ...options });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const sockets = socketQueue();
  server.on("connection", (ws) => {
    onConnection?.(ws);
    sockets.offer(ws);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    url: `ws://127.0.0.1:${port}`,
    connection: sockets.next,
    async close() {
      for (const client of server.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Echoes every message back with its type. */
export function echo(ws: WebSocket): void {
  ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
}
