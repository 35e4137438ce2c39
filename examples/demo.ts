// `npm run demo`: starts the embedded server on 127.0.0.1 and runs the specification's examples against it.
import { basics } from "./basic.js";
import { connectChat } from "./chat.js";
import { startDemoServer } from "./demo-server.js";
import { streamPrices } from "./price-stream.js";

const server = await startDemoServer();
const log = (line: string): void => console.log(line);
try {
  console.log(`demo server listening on ${server.url}\n`);

  console.log("== basics: connect, send text/JSON/binary, receive, ping, close ==");
  await basics(server.url, (line) => log(`  ${line}`));

  console.log("\n== real-time chat ==");
  const chatClose = await connectChat(server.url, "general", (data) => log(`  ${JSON.stringify(data)}`));
  log(`  chat ended: code ${chatClose.code} "${chatClose.reason}"`);

  console.log("\n== price stream with keep-alive (heartbeat every 300ms) ==");
  const { pings, close } = await streamPrices(
    server.url,
    (symbol, value) => log(`  ${symbol.padEnd(8)} ${value.toFixed(2)}`),
    "300ms",
  );
  log(`  stream ended: code ${close.code} "${close.reason}" after ${pings} keep-alive pings`);
  console.log("\ndemo finished");
} finally {
  await server.close();
}
