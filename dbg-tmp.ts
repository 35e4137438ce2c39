import * as net from "node:net";
import * as websocket from "./src/index.js";
import { RawPeer, serverFrame } from "./test/helpers/raw-peer.js";

const peer = await RawPeer.start();
const client = await websocket.connect(peer.url);
const conn = await peer.connection();
const message = serverFrame(2, Buffer.alloc(16 * 1024 * 1024, 1));
for (let i = 0; i < 32; i++) conn.socket.write(message);
await new Promise((r) => setTimeout(r, 1000));
console.log("unread", client.channel().length);
const keep = undefined;
const t0 = Date.now();
void client.close();
const info = await client.closed;
console.log("closed", info.code, info.error?.id, Date.now() - t0, "ms");

await peer.close();
