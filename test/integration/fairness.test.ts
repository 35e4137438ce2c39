// Issue 17: a connection receiving a flood never holds the event loop for long, and receiving in
// batches keeps every message, in order, within the channel's bounds.
import { monitorEventLoopDelay } from "node:perf_hooks";
import t from "tap";
import * as websocket from "../../src/index.js";
import { RawPeer, serverFrame } from "../helpers/raw-peer.js";

t.setTimeout(60_000);

const BINARY = 0x2;

/** `count` 16-byte binary frames numbered 0…count-1 (a 32-bit index at the start of each). */
function numberedFrames(from: number, count: number): Buffer {
  const frames: Buffer[] = [];
  for (let i = from; i < from + count; i++) {
    const payload = Buffer.alloc(16);
    payload.writeUInt32BE(i, 0);
    frames.push(serverFrame(BINARY, payload));
  }
  return Buffer.concat(frames);
}

t.test(
  "receiveBatch and tryReceive get every message in order, never more than channel_capacity at once",
  async (t) => {
    const peer = await RawPeer.start();
    t.teardown(() => peer.close());
    const client = await websocket.connect(peer.url, { channel_capacity: 16 });
    const conn = await peer.connection();
    const count = 50_000;
    void conn.write(numberedFrames(0, count));
    const ch = client.channel();
    let next = 0;
    let largest = 0;
    let inOrder = true;
    while (next < count) {
      const first = ch.tryReceive();
      const batch = first === undefined ? await ch.receiveBatch() : [first];
      if (batch.length === 0) break;
      largest = Math.max(largest, batch.length);
      for (const message of batch) {
        if (message.type !== "binary" || message.data.readUInt32BE(0) !== next) inOrder = false;
        next++;
      }
    }
    t.equal(next, count, "every message arrived");
    t.ok(inOrder, "in the order sent");
    t.ok(largest <= 16, `no batch is larger than channel_capacity (largest: ${largest})`);
    await client.close();
  },
);

t.test(
  "a flood of 16-byte messages on one connection leaves timers and a second connection their turn",
  async (t) => {
    const peer = await RawPeer.start();
    t.teardown(() => peer.close());
    const flooded = await websocket.connect(peer.url);
    const floodConn = await peer.connection();
    const quiet = await websocket.connect(peer.url);
    const quietConn = await peer.connection();

    // About 1.3 million messages (24 MiB), written as fast as the socket takes them.
    const block = numberedFrames(0, 4096);
    let flooding = true;
    const writer = (async () => {
      for (let i = 0; i < 320 && flooding; i++) await floodConn.write(block);
    })();

    let received = 0;
    const reader = (async () => {
      const ch = flooded.channel();
      for (;;) {
        const batch = await ch.receiveBatch();
        if (batch.length === 0) return;
        received += batch.length;
      }
    })();

    // Meanwhile: an immediate on every turn of the event loop, counting the messages taken between
    // turns (the bound on work per turn, which does not depend on how loaded the machine is), a
    // 1 ms timer again and again, and a message on the second connection every 10 timers.
    let mostPerTurn = 0;
    let turns = 0;
    let lastSeen = 0;
    let watching = true;
    const watch = (): void => {
      mostPerTurn = Math.max(mostPerTurn, received - lastSeen);
      lastSeen = received;
      turns++;
      if (watching) setImmediate(watch);
    };
    setImmediate(watch);
    const lateness: number[] = [];
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    let quietReceived = 0;
    const quietReader = (async () => {
      for await (const _ of quiet.channel()) quietReceived++;
    })();
    const started = Date.now();
    let quietSent = 0;
    while (Date.now() - started < 1500 && received < 1_000_000) {
      const before = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 1));
      lateness.push(performance.now() - before - 1);
      if (lateness.length % 10 === 0) {
        await quietConn.write(serverFrame(BINARY, "x"));
        quietSent++;
      }
    }
    watching = false;
    delay.disable();
    flooding = false;
    const flowed = received;
    lateness.sort((a, b) => a - b);
    const p99 = lateness[Math.floor(lateness.length * 0.99)]!;
    t.ok(flowed > 10_000, `the flood was being received (${flowed} messages over ${turns} turns)`);
    // About 2,000 messages of 16 B make one turn's budget (see WORK_PER_TURN in client.ts); a
    // client that read on until its socket ran dry would take hundreds of thousands per turn.
    t.ok(mostPerTurn <= 10_000, `at most ${mostPerTurn} messages were taken in one turn of the event loop`);
    t.ok(
      lateness.length >= 20,
      `the 1 ms timer fired ${lateness.length} times, late by ${p99.toFixed(1)} ms at p99 (event-loop delay p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms)`,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    t.ok(
      quietReceived >= quietSent - 1 && quietSent > 0,
      `the second connection kept receiving (${quietReceived} of ${quietSent})`,
    );
    await flooded.close();
    await quiet.close();
    await Promise.all([writer, reader, quietReader]);
  },
);
