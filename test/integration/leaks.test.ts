import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import t from "tap";
import * as websocket from "../../src/index.js";
import { echo, startWsPeer } from "../helpers/ws-server.js";

t.setTimeout(180_000);

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setImmediate(r));
    gc();
  }
}

const CONNECTIONS = Number(process.env.WSCHAN_LEAK_CONNECTIONS ?? 10_000);

t.test(
  `${CONNECTIONS} connections opened, used and closed in sequence leave heap and handles where they were`,
  async (t) => {
    const peer = await startWsPeer({}, echo);
    t.teardown(() => peer.close());
    const run = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        const client = await websocket.connect(peer.url);
        await client.send(`message ${i}`);
        const [m] = await client.channel().receive();
        if (m?.data !== `message ${i}`) throw new Error(`echo ${i} was wrong`);
        client.ping();
        await client.close();
      }
    };
    // Warm up the JIT, the pools and ws, then measure.
    await run(200);
    await settle();
    const heapBefore = process.memoryUsage().heapUsed;
    const handlesBefore = process.getActiveResourcesInfo().filter((r) => r !== "Timeout").length;
    await run(CONNECTIONS);
    await settle();
    const heapAfter = process.memoryUsage().heapUsed;
    const handlesAfter = process.getActiveResourcesInfo().filter((r) => r !== "Timeout").length;
    const growth = heapAfter - heapBefore;
    t.comment(
      `heap ${(heapBefore / 1e6).toFixed(2)} MB → ${(heapAfter / 1e6).toFixed(2)} MB after ${CONNECTIONS} connections`,
    );
    t.ok(
      growth < 2 * 1024 * 1024,
      `heap grew by ${(growth / 1024).toFixed(0)} KiB (< 2 MiB, ~${Math.max(0, growth / CONNECTIONS).toFixed(0)} B per connection)`,
    );
    t.equal(handlesAfter, handlesBefore, "no socket or other handle is left open");
  },
);
