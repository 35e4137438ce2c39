import { WebSocketServer } from "ws";

/**
 * The embedded server the demo and the examples run against, on 127.0.0.1 (no internet needed):
 *   /chat/ws   chat rooms: {"type":"join","room":...} then {"type":"say","text":...}; requires a Bearer token
 *   /prices    a price stream: {"action":"subscribe","symbols":[...]} then one tick per symbol every 200 ms
 *   /echo      echoes every message
 */
export interface DemoServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startDemoServer(port = 0): Promise<DemoServer> {
  const server = new WebSocketServer({ host: "127.0.0.1", port });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const rooms = new Map<string, Set<import("ws").WebSocket>>();
  const timers = new Set<NodeJS.Timeout>();

  server.on("connection", (ws, request) => {
    const path = (request.url ?? "/").split("?")[0];
    if (path === "/echo") {
      ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
    } else if (path === "/chat/ws") {
      if (request.headers.authorization !== "Bearer demo-token") {
        ws.close(1008, "missing or wrong token");
        return;
      }
      let room: string | undefined;
      ws.on("message", (data) => {
        const msg: { type: string; room?: string; text?: string } = JSON.parse(String(data));
        if (msg.type === "join" && msg.room) {
          room = msg.room;
          const members = rooms.get(room) ?? new Set();
          members.add(ws);
          rooms.set(room, members);
          ws.send(JSON.stringify({ type: "joined", room, members: members.size }));
          const script = [`welcome to #${room}`, "the server says hi", "this room closes in a moment"];
          script.forEach((text, i) => {
            const timer = setTimeout(
              () => {
                timers.delete(timer);
                ws.send(JSON.stringify({ type: "message", from: "bot", text }));
                if (i === script.length - 1) ws.close(1000, "room closed");
              },
              100 * (i + 1),
            );
            timers.add(timer);
          });
        } else if (msg.type === "say" && room) {
          for (const member of rooms.get(room) ?? []) {
            member.send(JSON.stringify({ type: "message", from: "you", text: msg.text }));
          }
        }
      });
      ws.on("close", () => {
        if (room) rooms.get(room)?.delete(ws);
      });
    } else if (path === "/prices") {
      const prices: Record<string, number> = { "BTC-USD": 97_000, "ETH-USD": 3_400 };
      let ticks = 0;
      ws.on("message", (data) => {
        const msg: { action: string; symbols: string[] } = JSON.parse(String(data));
        if (msg.action !== "subscribe") return;
        const timer = setInterval(() => {
          for (const symbol of msg.symbols) {
            const value = (prices[symbol] ?? 100) * (1 + (Math.random() - 0.5) / 100);
            prices[symbol] = value;
            ws.send(JSON.stringify({ symbol, value: Math.round(value * 100) / 100 }));
          }
          if (++ticks === 5) {
            clearInterval(timer);
            timers.delete(timer);
            ws.close(1001, "market closed");
          }
        }, 200);
        timers.add(timer);
      });
    } else {
      ws.close(1008, "unknown path");
    }
  });

  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the demo server has no TCP address");
  return {
    url: `ws://127.0.0.1:${address.port}`,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      for (const client of server.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
