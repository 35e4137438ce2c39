// The seed's basic examples: connect with options, send text, JSON and binary, receive, close.
import * as websocket from "../src/index.js";

export async function basics(base: string, log: (line: string) => void): Promise<void> {
  let client: websocket.Client;
  try {
    client = await websocket.connect(`${base}/echo`, {
      headers: { "X-Client": "wschan-demo" },
      dial_timeout: "10s",
      read_timeout: "30s",
    });
  } catch (err) {
    if (websocket.errors.is(err, websocket.errors.PERMISSION_DENIED)) log(`Access denied: ${err.message}`);
    else if (err instanceof websocket.WebSocketError && err.retryable) log(`Temporary error: ${err.message}`);
    throw err;
  }

  await client.send("Hello, Server!");
  await client.send(JSON.stringify({ type: "subscribe", channel: "orders" }));
  await client.send(new Uint8Array([0xde, 0xad, 0xbe, 0xef]), websocket.BINARY);

  const ch = client.channel();
  for (let i = 0; i < 3; i++) {
    const [msg, ok] = await ch.receive();
    if (!ok) break;
    log(`Type: ${msg.type}  Data: ${msg.type === "text" ? msg.data : msg.data.toString("hex")}`);
  }
  log(`ping answered: ${await client.ping()}`);
  await client.close(websocket.CLOSE_CODES.NORMAL, "Session ended");
  const info = await client.closed;
  log(`closed: code ${info.code} "${info.reason}" clean=${info.clean}`);
}
