// The seed's "Price Stream with Keep-Alive" example in TypeScript.
import * as websocket from "../src/index.js";

export async function streamPrices(
  base: string,
  updatePrice: (symbol: string, value: number) => void,
  heartbeatEvery: websocket.Duration = "30s",
): Promise<{ pings: number; close: websocket.CloseInfo }> {
  const client = await websocket.connect(`${base}/prices`);
  await client.send(JSON.stringify({ action: "subscribe", symbols: ["BTC-USD", "ETH-USD"] }));

  const ch = client.channel();
  let heartbeat = websocket.after(heartbeatEvery);
  let pings = 0;
  while (true) {
    const r = await websocket.select([ch.case_receive(), heartbeat.case_receive()]);
    if (r.index === 1) {
      // the heartbeat fired
      client.ping(); // keep-alive; its promise may be ignored safely
      pings++;
      heartbeat = websocket.after(heartbeatEvery);
    } else if (!r.ok) {
      break; // connection closed
    } else {
      const price: { symbol: string; value: number } = JSON.parse(String(r.value.data));
      updatePrice(price.symbol, price.value);
    }
  }
  await client.close();
  return { pings, close: await client.closed };
}
