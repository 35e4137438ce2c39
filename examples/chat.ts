// The seed's "Real-Time Chat" example in TypeScript.
import * as websocket from "../src/index.js";

const token = "demo-token";

export async function connectChat(
  base: string,
  roomId: string,
  onMessage: (data: unknown) => void,
): Promise<websocket.CloseInfo> {
  const client = await websocket.connect(`${base}/chat/ws`, {
    headers: { Authorization: `Bearer ${token}` },
  });

  // Join room
  await client.send(JSON.stringify({ type: "join", room: roomId }));
  await client.send(JSON.stringify({ type: "say", text: "hello from wschan" }));

  // Message loop
  const ch = client.channel();
  while (true) {
    const [msg, ok] = await ch.receive();
    if (!ok) break;
    if (msg.type === websocket.TYPE_TEXT) onMessage(JSON.parse(msg.data));
  }
  await client.close();
  return client.closed;
}
