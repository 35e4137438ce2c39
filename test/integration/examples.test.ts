import t from "tap";
import { basics } from "../../examples/basic.js";
import { connectChat } from "../../examples/chat.js";
import { startDemoServer } from "../../examples/demo-server.js";
import { streamPrices } from "../../examples/price-stream.js";

t.setTimeout(30_000);

t.test(
  "the seed's chat example joins a room, receives every message and ends with the server's close",
  async (t) => {
    const server = await startDemoServer();
    t.teardown(() => server.close());
    const seen: unknown[] = [];
    const close = await connectChat(server.url, "lobby", (data) => seen.push(data));
    t.same(seen[0], { type: "joined", room: "lobby", members: 1 });
    t.same(seen[1], { type: "message", from: "you", text: "hello from wschan" });
    t.equal(seen.length, 5);
    t.same(close, { code: 1000, reason: "room closed", clean: true });
  },
);

t.test("the seed's price stream example receives ticks and pings on its heartbeat", async (t) => {
  const server = await startDemoServer();
  t.teardown(() => server.close());
  const ticks: [string, number][] = [];
  const { pings, close } = await streamPrices(server.url, (s, v) => ticks.push([s, v]), "150ms");
  t.equal(ticks.length, 10, "5 ticks of 2 symbols");
  t.ok(
    ticks.every(([s, v]) => (s === "BTC-USD" || s === "ETH-USD") && v > 0),
    "each tick names a subscribed symbol",
  );
  t.ok(pings >= 3, `the heartbeat pinged (${pings})`);
  t.same(close, { code: 1001, reason: "market closed", clean: true });
});

t.test("the basic example runs its sends, receives and close", async (t) => {
  const server = await startDemoServer();
  t.teardown(() => server.close());
  const lines: string[] = [];
  await basics(server.url, (line) => lines.push(line));
  t.same(lines, [
    "Type: text  Data: Hello, Server!",
    'Type: text  Data: {"type":"subscribe","channel":"orders"}',
    "Type: binary  Data: deadbeef",
    "ping answered: true",
    'closed: code 1000 "Session ended" clean=true',
  ]);
});
