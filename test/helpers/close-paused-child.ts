// Run by test/integration/hostile-peer.test.ts in its own process, against a server in the
// parent: with the channel full the socket is paused, so nothing but the close deadline keeps
// this process alive while close() waits for a Close that never comes.
import * as websocket from "../../src/index.js";

const client = await websocket.connect(process.argv[2]!, {
  channel_byte_limit: 64 * 1024,
  close_timeout: "200ms",
});
await new Promise((r) => setTimeout(r, 200));
const unread = client.channel().length;
void client.close();
const info = await client.closed;
process.stdout.write(JSON.stringify({ unread, code: info.code, id: info.error?.id }));
