// diagnostics_channel, NODE_DEBUG=wschan and client.stats(), against ws's server.
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import t from "tap";
import * as websocket from "../../src/index.js";
import { echo, startWsPeer } from "../helpers/ws-server.js";

t.setTimeout(60_000);

t.test(
  "a subscriber sees the open, every message in and out with sizes, pongs with their RTT, and the close",
  async (t) => {
    const peer = await startWsPeer({ perMessageDeflate: true }, echo);
    t.teardown(() => peer.close());
    const events: [string, Record<string, unknown>][] = [];
    const listeners = websocket.DIAGNOSTICS_CHANNELS.map((name) => {
      const listener = (message: unknown): void => {
        events.push([name, message as Record<string, unknown>]);
      };
      subscribe(name, listener);
      return [name, listener] as const;
    });
    t.teardown(() => {
      for (const [name, listener] of listeners) unsubscribe(name, listener);
    });

    const client = await websocket.connect(peer.url, { compression: websocket.COMPRESSION.CONTEXT_TAKEOVER });
    const text = "compress me ".repeat(100);
    await client.send(text);
    await client.send(Buffer.alloc(64, 1));
    const ch = client.channel();
    await ch.receive();
    await ch.receive();
    await client.ping();
    await client.close(1000, "bye");

    const dial = events.filter(([name, e]) => name.startsWith("wschan:dial:") && e.url === client.url);
    t.equal(dial[0]?.[0], "wschan:dial:start", "the dial starts");
    const phases = dial.filter(([name]) => name === "wschan:dial:phase").map(([, e]) => e.phase);
    t.same(phases.slice(-2), ["tcp", "upgrade"], `every phase of the dial is timed (${phases.join(", ")})`);
    t.ok(
      dial.every(([name, e]) => name !== "wschan:dial:phase" || (typeof e.ms === "number" && e.ms >= 0)),
      "with its duration",
    );
    const opened = events.findIndex(([name]) => name === "wschan:open");
    const lastPhase = events.findLastIndex(([name]) => name === "wschan:dial:phase");
    t.ok(lastPhase < opened, "the phases come before the open");

    const mine = events.filter(([, e]) => e.client === client);
    const names = mine.map(([name]) => name);
    t.same(names, [
      "wschan:open",
      "wschan:message:out",
      "wschan:message:out",
      "wschan:message:in",
      "wschan:message:in",
      "wschan:pong",
      "wschan:close",
    ]);
    t.match(mine[0]![1], { url: peer.url, extensions: /permessage-deflate/ });
    const textOut = mine[1]![1];
    t.match(textOut, { type: "text", size: text.length });
    t.ok(
      (textOut.compressedSize as number) < text.length / 4,
      `compressed to ${String(textOut.compressedSize)} bytes`,
    );
    t.match(
      mine[2]![1],
      { type: "binary", size: 64, compressedSize: 64 },
      "below the threshold: not compressed",
    );
    t.match(mine[3]![1], { type: "text", size: text.length });
    t.ok((mine[3]![1].compressedSize as number) < text.length / 4, "the echo came compressed");
    t.ok((mine[5]![1].rtt as number) >= 0, "the pong carries a round-trip time");
    t.match(mine[6]![1], { code: 1000, reason: "bye", clean: true });

    const stats = client.stats();
    t.match(stats, {
      messagesIn: 2,
      messagesOut: 2,
      payloadBytesIn: text.length + 64,
      payloadBytesOut: text.length + 64,
    });
    t.ok(stats.bytesOut > stats.wirePayloadBytesOut, "bytes on the wire include headers and control frames");
    t.ok(stats.compressionRatioOut < 0.5, `compression ratio out ${stats.compressionRatioOut.toFixed(3)}`);
    t.ok(stats.compressionRatioIn < 0.5);
    t.type(stats.lastRtt, "number");
  },
);

t.test("a failed dial publishes its error with the stable id", async (t) => {
  const errors: unknown[] = [];
  const stop = websocket.observe("wschan:dial:error", (e) => errors.push(e.error.id));
  t.teardown(stop);
  await t.rejects(websocket.connect("ws://127.0.0.1:1/", { proxy: false }), {
    name: "WebSocketError",
    id: "CONNECT_FAILED",
  });
  t.same(errors, ["CONNECT_FAILED"]);
});

t.test("NODE_DEBUG=wschan prints one line per event", async (t) => {
  const peer = await startWsPeer({}, echo);
  t.teardown(() => peer.close());
  const script = `
    const websocket = await import(${JSON.stringify(new URL("../../src/index.js", import.meta.url).href)});
    const client = await websocket.connect(process.argv[1]);
    await client.send("hello");
    await client.channel().receive();
    await client.close();
  `;
  // The child talks to this process's server: run it without blocking this event loop.
  const { spawn } = await import("node:child_process");
  const run = async (env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script, peer.url],
      {
        env,
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    return { code, stderr };
  };
  const debug = await run({ ...process.env, NODE_DEBUG: "wschan" });
  t.equal(debug.code, 0, debug.stderr);
  const lines = debug.stderr
    .split("\n")
    .filter((l) => l.startsWith("WSCHAN"))
    .join("\n");
  t.match(lines, /open url=ws:\/\/127\.0\.0\.1/);
  t.match(lines, /message:out type=text size=5/);
  t.match(lines, /message:in type=text size=5/);
  t.match(lines, /close code=1000 .*clean=true/);
  const { NODE_DEBUG: _, ...plain } = process.env;
  const quiet = await run(plain);
  t.equal(quiet.code, 0);
  t.notMatch(quiet.stderr, /WSCHAN/, "without NODE_DEBUG nothing is printed");
});
